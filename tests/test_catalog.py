from pathlib import Path

import pytest

from rag.catalog import CatalogError, ModelMissingError, load_catalog, parse_catalog, resolve_model

GOOD = """# comment
chat   m1  packaged  pypi-parts:pkg_part{1..3}  m1.gguf  %s  123  apache-2.0
embed  e1  packaged  pypi-dir:somepkg/e1        e1       -    -    mit  # trailing comment
rerank r1  download  https://example.org/r1     r1       -    -    mit
""" % ("a" * 64)


def test_parse_good() -> None:
    entries = parse_catalog(GOOD)
    assert [e.name for e in entries] == ["m1", "e1", "r1"]
    assert entries[0].part_modules == ["pkg_part1", "pkg_part2", "pkg_part3"]
    assert entries[0].size == 123 and entries[1].sha256 is None


@pytest.mark.parametrize("line,fragment", [
    ("chat m1 packaged pypi-parts:p{1..2} m1.gguf - -", "expected 8 columns"),
    ("llm m1 packaged pypi-parts:p{1..2} m1.gguf - - mit", "unknown role 'llm'"),
    ("chat m1 maybe pypi-parts:p{1..2} m1.gguf - - mit", "unknown status"),
    ("chat m1 packaged ftp://x m1.gguf - - mit", "not pypi-parts"),
    ("chat m1 packaged https://x/m1 m1.gguf - - mit", "needs a pypi- source"),
    ("chat m1 packaged pypi-parts:p{1..2} m1.gguf XYZ - mit", "sha256 'XYZ'"),
    ("chat m1 packaged pypi-parts:p{1..2} m1.gguf - 12k mit", "size '12k'"),
])
def test_malformed_lines_name_line_and_problem(line: str, fragment: str) -> None:
    with pytest.raises(CatalogError) as info:
        parse_catalog("# header\n" + line, origin="models.txt")
    assert "models.txt line 2" in str(info.value)
    assert fragment in str(info.value)


def test_duplicate_names_rejected() -> None:
    with pytest.raises(CatalogError, match="appears twice"):
        parse_catalog("embed a packaged pypi-dir:x/a a - - mit\nembed a packaged pypi-dir:x/a a - - mit")


def test_shipped_catalog_parses_and_lists_packaged_and_downloads() -> None:
    entries = load_catalog()
    roles = {e.role for e in entries}
    assert {"chat", "chat-small", "embed", "rerank"} <= roles
    assert {e.status for e in entries} == {"packaged", "download"}
    packaged = [e for e in entries if e.status == "packaged"]
    assert all(e.sha256 for e in packaged)


def test_missing_model_message_names_file_and_line(tmp_path: Path) -> None:
    entries = parse_catalog(GOOD)
    with pytest.raises(ModelMissingError) as info:
        resolve_model("m1", "chat", tmp_path, entries)
    msg = str(info.value)
    assert str(tmp_path / "m1.gguf") in msg
    assert "models.txt line 2" in msg and "setup.sh" in msg
    with pytest.raises(ModelMissingError, match=r"download it from https://example\.org/r1"):
        resolve_model("r1", "rerank", tmp_path, entries)
    with pytest.raises(ModelMissingError, match=r"neither a models\.txt name nor an existing path"):
        resolve_model("/no/such.gguf", "chat", tmp_path, entries)


def test_path_instead_of_name(tmp_path: Path) -> None:
    f = tmp_path / "x.gguf"
    f.write_bytes(b"GGUF")
    assert resolve_model(str(f), "chat", tmp_path, parse_catalog(GOOD)) == f
