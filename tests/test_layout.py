"""The package keeps its shape: no import cycles (top-level or lazy imports alike), no module over
~400 lines."""

from __future__ import annotations

import importlib.util

from tests.conftest import ROOT


def _graph_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("import_graph", ROOT / "scripts" / "import_graph.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_import_cycles() -> None:
    g = _graph_module()
    edges = g.graph()
    assert "store.writer" in edges and "store.reader" in edges["store.writer"]  # the graph sees subpackages
    assert g.cycles(edges) == []


def test_cycles_are_found() -> None:
    assert _graph_module().cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_over_400_lines() -> None:
    sizes = {p.relative_to(ROOT).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in (ROOT / "rag").rglob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 420} == {}
