"""The import graph of the rag package (top-level and function-level imports alike) and its cycles.

    python scripts/import_graph.py            # one line per module: what it imports; then the cycles
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "rag"


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts) or "__init__"


def graph() -> dict[str, set[str]]:
    modules = {_module(p) for p in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module(path)
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rag"):
                target = node.module.partition(".")[2]
                subs = {f"{target}.{a.name}".strip(".") for a in node.names} & modules
                deps.update(subs)
                if target and len(subs) < len(node.names):  # names from the module itself, not submodules
                    deps.add(target)
            elif isinstance(node, ast.Import):
                deps.update(a.name.partition(".")[2] for a in node.names if a.name.startswith("rag."))
        edges[name] = deps - {name, "__init__", ""}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        for dep in sorted(edges.get(node, ())):
            if dep in path:
                cycle = path[path.index(dep):]
                if min(cycle) == cycle[0] and cycle not in found:
                    found.append(cycle)
            elif len(path) < 12:
                visit(dep, [*path, dep])

    for start in sorted(edges):
        visit(start, [start])
    return found


def main() -> int:
    edges = graph()
    for name, deps in edges.items():
        print(f"{name:10s} -> {', '.join(sorted(deps)) or '-'}")
    found = cycles(edges)
    print(f"\n{len(found)} cycle(s)" + "".join(f"\n  {' -> '.join([*c, c[0]])}" for c in found))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
