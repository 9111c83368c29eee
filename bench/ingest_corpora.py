"""Benchmark: ingest each shared corpus into its own store; documents, chunks, seconds, failures.

usage: python -m bench.ingest_corpora [NAME ...]   (default: seeds ncp_policies gov_reports provincial_2025_docx)
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from rag.app import App
from rag.ingest import ingest
from rag.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ["seeds", "ncp_policies", "gov_reports", "provincial_2025_docx"]


def main() -> None:
    names = sys.argv[1:] or CORPORA
    base = Path(os.environ.get("RAG_BENCH_HOME", tempfile.mkdtemp(prefix="rag-corpora-")))
    rows = []
    for name in names:
        corpus = ROOT.parent / "shared" / "corpus" / name
        settings = load_settings(overrides={"home": str(base / name)})
        app = App(settings)
        with app.writer() as w:
            report = ingest([corpus], w, settings, app.encoder)
        app.close_store()
        counts = app.store.counts()
        row = {"corpus": name, "documents": counts["documents"], "chunks": counts["chunks"],
               "seconds": round(report.seconds, 1), "failed": report.failed,
               "failures": [f"{f.path}: {f.reason}" for f in report.failures][:10]}
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
