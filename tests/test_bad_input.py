"""Every format and every kind of bad input: one clear line per failure, the rest still goes in."""

from __future__ import annotations

import gzip
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from rag.app import App
from rag.discover import discover
from rag.load import Document, LoadFailure, load_file
from tests.conftest import SEEDS, ingest_paths

CN = "龙岗区总工会二〇一九年全年完成2346宗劳资纠纷调处工作，为职工争取各类经济利益1.8亿元。"


def make_docx(path: Path, paragraphs: list[str]) -> None:
    import docx

    d = docx.Document()
    d.add_heading("二〇二〇年工作要点", level=1)
    for p in paragraphs:
        d.add_paragraph(p)
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "指标"
    table.rows[0].cells[1].text = "98.9%"
    d.save(str(path))


def make_pdf(path: Path, lines: list[str], password: str | None = None) -> None:
    """A minimal one-page PDF with a real text layer (ASCII, Helvetica)."""
    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({ln}) Tj T*" for ln in lines) + " ET"
    objs = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n{body}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    data = out.getvalue()
    if password:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
        writer.encrypt(user_password=password, owner_password=password + "x")
        buf = io.BytesIO()
        writer.write(buf)
        data = buf.getvalue()
    path.write_bytes(data)


def only(path: Path) -> Document | LoadFailure:
    items = list(load_file(path))
    assert len(items) == 1, items
    return items[0]


# --- formats -------------------------------------------------------------------------------------

def test_docx(tmp_path: Path) -> None:
    f = tmp_path / "plan.docx"
    make_docx(f, [CN, "下一步，继续推进基层建会。"])
    doc = only(f)
    assert isinstance(doc, Document)
    assert "2346宗劳资纠纷" in doc.text and "98.9%" in doc.text and "二〇二〇年工作要点" in doc.text


def test_pdf_text_layer(tmp_path: Path) -> None:
    f = tmp_path / "report.pdf"
    make_pdf(f, ["Annual report 2019", "Total disputes resolved: 2346"])
    doc = only(f)
    assert isinstance(doc, Document) and "2346" in doc.text


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "big5", "utf-8-sig", "utf-16"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    text = "深化新時代產業工人隊伍建設改革，推進會在傳化集團召開。" * 5 if encoding == "big5" else CN * 5
    f = tmp_path / f"{encoding}.txt"
    f.write_bytes(text.encode(encoding))
    doc = only(f)
    assert isinstance(doc, Document), doc
    assert text[:20] in doc.text


def test_mixed_gbk_and_utf8_lines(tmp_path: Path) -> None:
    f = tmp_path / "mixed.txt"
    f.write_bytes(("第一行是UTF-8编码的内容。\n" * 3).encode() + ("第二行是GBK编码的内容。\n" * 3).encode("gbk"))
    doc = only(f)
    assert isinstance(doc, Document)
    assert "第一行是UTF-8编码的内容" in doc.text and "第二行是GBK编码的内容" in doc.text


def test_html_file(tmp_path: Path) -> None:
    f = tmp_path / "page.html"
    f.write_text("<html><head><title>罗湖区会议</title><script>alert('x')</script><style>p{}</style></head>"
                 "<body><nav>首页 | 新闻</nav><p>会议在罗湖区委7楼会议室召开。</p><!-- comment -->"
                 "<div class='share'>分享到微信</div><p>责任编辑：某某</p></body></html>", encoding="utf-8")
    doc = only(f)
    assert isinstance(doc, Document)
    assert doc.title == "罗湖区会议"
    assert "7楼会议室" in doc.text
    for junk in ("alert", "首页", "分享", "comment", "责任编辑"):
        assert junk not in doc.text


def test_deeply_nested_html(tmp_path: Path) -> None:
    f = tmp_path / "deep.html"
    f.write_text("<div>" * 5000 + "<p>深层嵌套的正文内容在这里。</p>" + "</div>" * 5000, encoding="utf-8")
    item = only(f)
    assert isinstance(item, Document | LoadFailure)
    if isinstance(item, LoadFailure):
        assert "nested" in item.reason


def test_jsonl_and_gz_records(tmp_path: Path) -> None:
    recs = [{"id": "a1", "text": CN}, {"id": "a2", "text": "第二篇新闻的正文内容。" * 3}]
    lines = [json.dumps(r, ensure_ascii=False) for r in recs] + ["{not json", json.dumps({"id": "a3"})]
    plain = tmp_path / "news.jsonl"
    plain.write_text("\n".join(lines), encoding="utf-8")
    gz = tmp_path / "news.jsonl.gz"
    gz.write_bytes(gzip.compress("\n".join(lines).encode()))
    for f in (plain, gz):
        items = list(load_file(f))
        docs = [i for i in items if isinstance(i, Document)]
        fails = [i for i in items if isinstance(i, LoadFailure)]
        assert [d.source for d in docs] == ["a1", "a2"]
        assert [x.path.rsplit(":", 1)[1] for x in fails] == ["3", "4"]
        assert "invalid JSON" in fails[0].reason and "lacks" in fails[1].reason
    truncated = tmp_path / "cut.jsonl.gz"
    truncated.write_bytes(gzip.compress("\n".join(lines[:2]).encode())[:-12])
    items = list(load_file(truncated))
    assert any(isinstance(i, LoadFailure) and "truncated" in i.reason for i in items)


# --- bad input -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,data,reason", [
    ("empty.txt", b"", "empty file"),
    ("blank.md", b"   \n\n  ", "empty file"),
    ("garbage.txt", os.urandom(4096) + b"\x00" * 10, "binary"),
    ("fake.docx", b"this is not a zip at all, just words", "not a .docx"),
    ("archive.txt", gzip.compress(b"hello"), "archive"),
])
def test_bad_files_one_clear_reason(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    f = tmp_path / name
    f.write_bytes(data)
    item = only(f)
    assert isinstance(item, LoadFailure)
    assert item.path == str(f) and reason in item.reason


def test_truncated_docx_and_pdf(tmp_path: Path) -> None:
    good = tmp_path / "g.docx"
    make_docx(good, [CN])
    cut = tmp_path / "cut.docx"
    cut.write_bytes(good.read_bytes()[:600])
    item = only(cut)
    assert isinstance(item, LoadFailure) and "docx" in item.reason
    pdf = tmp_path / "g.pdf"
    make_pdf(pdf, ["Hello 2019"])
    cutpdf = tmp_path / "cut.pdf"
    cutpdf.write_bytes(pdf.read_bytes()[:200])
    item = only(cutpdf)
    assert isinstance(item, LoadFailure) and "PDF" in item.reason


def test_password_protected_pdf(tmp_path: Path) -> None:
    f = tmp_path / "secret.pdf"
    make_pdf(f, ["Top secret 2020"], password="pw")
    item = only(f)
    assert isinstance(item, LoadFailure) and "password-protected" in item.reason


def test_pdf_renamed_docx_is_read_with_warning(tmp_path: Path) -> None:
    f = tmp_path / "actually_pdf.docx"
    make_pdf(f, ["Renamed file content 2021"])
    doc = only(f)
    assert isinstance(doc, Document)
    assert "2021" in doc.text and any("content is .pdf" in w for w in doc.warnings)


def test_symlink_loop_and_missing_path(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.txt").write_text(CN, encoding="utf-8")
    (root / "sub" / "loop").symlink_to(root)
    (root / "self").symlink_to(root / "self")
    files, failures = discover([root, tmp_path / "nope"])
    assert [f.name for f in files] == ["a.txt"]
    reasons = " ".join(f.reason for f in failures)
    assert "symlink loop" in reasons and "no such file" in reasons


def test_names_with_spaces_and_chinese(fake_app: App, tmp_path: Path) -> None:
    folder = tmp_path / "工作 总结"
    folder.mkdir()
    (folder / "龙岗 区 2019.txt").write_text(CN, encoding="utf-8")
    report = ingest_paths(fake_app, [folder])
    assert report.added == 1 and not report.failures
    assert fake_app.store.documents()[0].source == "龙岗 区 2019.txt"


def test_batch_goes_on_and_reports(fake_app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    for f in SEEDS.iterdir():
        (batch / f.name).write_bytes(f.read_bytes())
    (batch / "empty.txt").write_bytes(b"")
    (batch / "bin.txt").write_bytes(os.urandom(2000) + b"\x00")
    (batch / "denied.txt").write_text(CN, encoding="utf-8")
    real_open = Path.open

    def opened(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == "denied.txt":
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", opened)
    report = ingest_paths(fake_app, [batch])
    assert report.added == 4
    assert sorted(Path(f.path).name for f in report.failures) == ["bin.txt", "denied.txt", "empty.txt"]
    assert any("Permission denied" in f.reason for f in report.failures)


def test_file_vanishing_mid_ingest(fake_app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import rag.ingest as ingest_mod

    batch = tmp_path / "b"
    batch.mkdir()
    (batch / "a.txt").write_text(CN, encoding="utf-8")
    (batch / "b.txt").write_text(CN + "另一篇。", encoding="utf-8")
    real = ingest_mod.discover

    def discover_then_delete(paths, follow):  # type: ignore[no-untyped-def]
        files, failures = real(paths, follow)
        (batch / "b.txt").unlink()
        return files, failures

    monkeypatch.setattr(ingest_mod, "discover", discover_then_delete)
    report = ingest_paths(fake_app, [batch])
    assert report.added == 1 and len(report.failures) == 1
    assert "b.txt" in report.failures[0].path


def test_cli_json_reports_counts_and_failures(tmp_path: Path, home: Path) -> None:
    import subprocess
    import sys

    batch = tmp_path / "in"
    batch.mkdir()
    (batch / "ok.txt").write_text(CN, encoding="utf-8")
    (batch / "empty.txt").write_bytes(b"")
    env = dict(os.environ, RAG_HOME=str(home))
    proc = subprocess.run([sys.executable, "-m", "rag.cli", "ingest", str(batch), "--json"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert (data["added"], data["failed"]) == (1, 1)
    assert data["failures"][0]["path"].endswith("empty.txt") and data["failures"][0]["reason"] == "empty file"


def test_duplicate_record_ids_keep_the_first(fake_app: App, tmp_path: Path) -> None:
    f = tmp_path / "dup.jsonl"
    f.write_text("\n".join(json.dumps({"id": "x", "text": t}, ensure_ascii=False) for t in (CN, CN + "第二版。")),
                 encoding="utf-8")
    report = ingest_paths(fake_app, [f])
    assert report.added == 1 and "duplicate record id 'x'" in report.failures[0].reason
