"""A folder of hostile inputs, each with the one failure line an ingest must give for it, and the
good files that must still go in (used by tests/test_hostile_batch.py and bench/hostile_batch.py)."""

from __future__ import annotations

import gzip
import json
import os
import zipfile
from pathlib import Path

from tests.test_bad_input import CN, make_docx, make_pdf

GOOD = ["good.docx", "mixed.txt", "nested.html", "really a pdf.docx", "utf16.txt", "big5.txt",
        "龙岗区 2019 总结.txt", "inside link.txt"]
DENIED = "secret.txt"  # root reads any file: a test makes opening it fail


def _gzip_bomb(path: Path, unpacked: int) -> None:
    """Concatenated gzip members are one valid gzip stream: one 16 MiB member of zeros (16 kB
    packed), repeated."""
    member = gzip.compress(b"\0" * (1 << 24), compresslevel=9)
    with path.open("wb") as fh:
        for _ in range(max(unpacked >> 24, 1)):
            fh.write(member)


def _zip_bomb(path: Path, unpacked: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            for _ in range(max(unpacked >> 24, 1)):
                f.write(b"\0" * (1 << 24))


def build(root: Path, outside: Path, bomb_bytes: int, max_chars: int, max_record: int) -> dict[str, str]:
    """Write the batch into ``root`` (``outside``: a folder beside it); returns each hostile file's
    expected failure reason by name (``name:LINE`` for a record)."""
    root.mkdir(parents=True)
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "elsewhere.txt").write_text(CN, encoding="utf-8")
    expect: dict[str, str] = {}

    def bad(name: str, data: bytes, reason: str) -> None:
        (root / name).write_bytes(data)
        expect[name] = reason

    bad("empty.txt", b"", "empty file")
    bad("garbage.txt", bytes(range(256)) * 64, "binary content, not text")
    bad("nul bytes.txt", CN.encode() + b"\x00\x00" + CN.encode(), "binary content, not text")
    bad("archive.txt", gzip.compress(CN.encode()), "gzip archive with a .txt name; unpack it first")
    bad("fake.docx", b"this is not a zip at all, just words",
        "not a .docx (no zip container): wrong extension or damaged file")
    make_docx(root / "good.docx", [CN])
    bad("cut.docx", (root / "good.docx").read_bytes()[:700],
        "damaged or truncated .docx (BadZipFile: File is not a zip file)")
    bad("huge one line.txt", ("龙岗" * (max_chars // 2 + 10)).encode(),
        f"{max_chars + 20:,} characters in one document, above the limit of {max_chars:,} "
        "(ingest.max_document_chars); split the file (or write it as .jsonl records)")
    with (root / "sparse 2GB.pdf").open("wb") as fh:
        fh.truncate(2 * 2**30)
    expect["sparse 2GB.pdf"] = (f"{2 * 2**30:,} bytes, above the limit of {256 * 2**20:,} (ingest.max_file_bytes); "
                                "split the file or raise the limit")
    _zip_bomb(root / "zip bomb.docx", bomb_bytes)
    expect["zip bomb.docx"] = (f"unpacks to {bomb_bytes + 8:,} bytes, above the limit of {bomb_bytes // 2:,} "
                               "(ingest.max_unpacked_bytes): a zip bomb?")
    with zipfile.ZipFile(root / "many members.docx", "w") as z:
        for i in range(10_001):
            z.writestr(f"word/m{i}.xml", b"")
    expect["many members.docx"] = "10,001 files inside, above the limit of 10,000 (ingest.max_zip_members)"
    _gzip_bomb(root / "gzip bomb.jsonl.gz", bomb_bytes)
    expect["gzip bomb.jsonl.gz"] = "unpacks to over 200 times its size: not JSON text (a gzip bomb?)"
    whole = gzip.compress(b"".join(json.dumps({"id": f"c{i}", "text": CN}).encode() + b"\n" for i in range(50)))
    bad("cut.jsonl.gz", whole[:40],
        "truncated or damaged record file (Compressed file ended before the end-of-stream marker was reached)")
    expect["cut.jsonl.gz:1"] = expect.pop("cut.jsonl.gz")
    with (root / "records.jsonl").open("wb") as fh:
        fh.write(json.dumps({"id": "r1", "text": CN}, ensure_ascii=False).encode() + b"\n")
        fh.write(b'{"id": "r2", "text": "' + b"x" * max(max_record + 10, 50 * 2**20) + b'"}\n')  # 50 MB
        fh.write(b'{"id": "r2b", "text": \n')
        fh.write(json.dumps({"id": "r3", "text": CN + "第三条记录。"}, ensure_ascii=False).encode() + b"\n")
    expect["records.jsonl:2"] = f"record longer than {max_record:,} bytes (ingest.max_record_bytes); skipped"
    expect["records.jsonl:3"] = "invalid JSON: Expecting value"
    make_pdf(root / "locked.pdf", ["Annual report 2021"] * 3, password="s3cret")
    expect["locked.pdf"] = "password-protected PDF"
    bad("scripts only.html", b"<html><body><script>alert(1)</script><style>p{}</style></body></html>",
        "no text left after cleaning")
    (root / DENIED).write_text("机密" * 50, encoding="utf-8")
    expect[DENIED] = "cannot read: Permission denied"
    os.mkfifo(root / "fifo.txt")
    expect["fifo.txt"] = "a FIFO, not a document file; skipped"
    (root / "etc").symlink_to("/etc", target_is_directory=True)
    expect["etc"] = ('symlink to /etc, outside {root}: not followed (setting ingest.follow_symlinks = "all" '
                     'follows it)')
    (root / "passwd.txt").symlink_to("/etc/passwd")
    expect["passwd.txt"] = ('symlink to /etc/passwd, outside {root}: not followed (setting '
                            'ingest.follow_symlinks = "all" follows it)')
    (root / "zero.txt").symlink_to("/dev/zero")
    expect["zero.txt"] = ('symlink to /dev/zero, outside {root}: not followed (setting '
                          'ingest.follow_symlinks = "all" follows it)')
    (root / "neighbour.txt").symlink_to(outside / "elsewhere.txt")
    expect["neighbour.txt"] = (f'symlink to {outside.resolve() / "elsewhere.txt"}, outside {{root}}: not followed '
                               '(setting ingest.follow_symlinks = "all" follows it)')
    (root / "loop").symlink_to(root, target_is_directory=True)
    expect["loop"] = "symlink loop: folder already visited"
    (root / "broken.txt").symlink_to(root / "gone.txt")
    expect["broken.txt"] = "broken symlink or symlink loop"

    make_pdf(root / "really a pdf.docx", ["Annual report 2021 of the district trade union federation"] * 4)
    (root / "mixed.txt").write_bytes(CN.encode("gbk") + b"\n" + CN.encode("utf-8") + b"\n")
    (root / "nested.html").write_text("<div>" * 5000 + f"<p>{CN}</p>" + "</div>" * 5000, encoding="utf-8")
    (root / "utf16.txt").write_text(CN + "（UTF-16）", encoding="utf-16")
    (root / "big5.txt").write_bytes("臺灣省總工會二零一九年完成職工書屋建設，舉辦職工技能競賽二十場。".encode("big5"))
    (root / "龙岗区 2019 总结.txt").write_text(CN * 3, encoding="utf-8")
    (root / "sub").mkdir()
    (root / "sub" / "inside target.txt").write_text(CN + "（链接指向的文件）", encoding="utf-8")
    (root / "inside link.txt").symlink_to(root / "sub" / "inside target.txt")
    resolved = str(root.resolve())
    return {name: reason.replace("{root}", resolved) for name, reason in expect.items()}
