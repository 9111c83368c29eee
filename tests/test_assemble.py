import hashlib
from pathlib import Path

import pytest

from rag.assemble import AssemblyError, assemble, locate_parts
from rag.catalog import parse_catalog


def make_parts(root: Path, chunks: list[bytes]) -> dict[str, Path]:
    found = {}
    for i, data in enumerate(chunks, start=1):
        d = root / f"pk_part{i}"
        (d / "data").mkdir(parents=True)
        (d / "data" / f"part{i:02d}.bin").write_bytes(data)
        found[f"pk_part{i}"] = d
    return found


def entry_for(data: bytes, n: int):  # type: ignore[no-untyped-def]
    sha = hashlib.sha256(data).hexdigest()
    return parse_catalog(f"chat m packaged pypi-parts:pk_part{{1..{n}}} m.gguf {sha} {len(data)} mit")[0]


CHUNKS = [b"GGUF" + b"a" * 100, b"b" * 100, b"c" * 50]


def test_assemble_in_order_and_idempotent(tmp_path: Path) -> None:
    found = make_parts(tmp_path, CHUNKS)
    entry = entry_for(b"".join(CHUNKS), 3)
    parts = locate_parts(entry, found.get)
    target = tmp_path / "models" / "m.gguf"
    assert assemble(entry, parts, target) == entry.sha256
    assert target.read_bytes() == b"".join(CHUNKS)
    mtime = target.stat().st_mtime_ns
    assemble(entry, parts, target)  # second run: no re-assembly
    assert target.stat().st_mtime_ns == mtime


def test_missing_part_is_named(tmp_path: Path) -> None:
    found = make_parts(tmp_path, CHUNKS)
    del found["pk_part2"]
    with pytest.raises(AssemblyError, match=r"1 of 3 parts missing: pk_part2 \(data/part02.bin\)"):
        locate_parts(entry_for(b"".join(CHUNKS), 3), found.get)


def test_wrong_order_is_detected(tmp_path: Path) -> None:
    found = make_parts(tmp_path, CHUNKS)
    entry = entry_for(b"".join(CHUNKS), 3)
    parts = locate_parts(entry, found.get)
    swapped = [parts[0], parts[2], parts[1]]
    target = tmp_path / "m.gguf"
    with pytest.raises(AssemblyError, match="corrupt or out of order"):
        assemble(entry, swapped, target)
    assert not target.exists() and not (tmp_path / "m.gguf.partial").exists()


def test_first_part_must_be_gguf(tmp_path: Path) -> None:
    chunks = [b"b" * 10, b"GGUF" + b"a" * 10]
    found = make_parts(tmp_path, chunks)
    with pytest.raises(AssemblyError, match="GGUF magic"):
        locate_parts(entry_for(b"".join(chunks), 2), found.get)
