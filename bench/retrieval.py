"""Benchmark: retrieval quality (Recall@1/@5/@10, MRR by source) for dense, BM25 and hybrid.

usage: python -m bench.retrieval --set ../shared/eval/ncp_dev.jsonl --corpus ../shared/corpus/ncp_policies
The store is built once under $RAG_BENCH_HOME (default /tmp/rag-bench/<corpus name>) and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from rag.app import App
from rag.ingest import ingest
from rag.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent


def build(corpus: Path) -> App:
    home = Path(os.environ.get("RAG_BENCH_HOME", "/tmp/rag-bench")) / corpus.name
    settings = load_settings(overrides={"home": str(home)})
    app = App(settings)
    t0 = time.perf_counter()
    with app.writer() as w:
        report = ingest([corpus], w, settings, app.encoder)
    app.close_store()
    counts = app.store.counts()
    print(f"store {settings.store_dir}: {counts['documents']} documents, {counts['chunks']} chunks "
          f"(+{report.added} added, {report.failed} failed) in {time.perf_counter() - t0:.1f}s")
    return app


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default=str(ROOT.parent / "shared/eval/ncp_dev.jsonl"))
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared/corpus/ncp_policies"))
    ap.add_argument("--modes", default="dense,bm25,hybrid")
    args = ap.parse_args()
    app = build(Path(args.corpus))
    with open(args.set, encoding="utf-8") as fh:
        items = [json.loads(line) for line in fh if line.strip()]
    items = [i for i in items if i["type"] != "unanswerable"]
    results = {}
    for mode in args.modes.split(","):
        ranks: list[int | None] = []
        latencies = []
        for item in items:
            t = time.perf_counter()
            hits = app.retriever.search(item["question"], k=10, mode=mode).hits  # type: ignore[arg-type]
            latencies.append(time.perf_counter() - t)
            gold = set(item["sources"])
            rank = next((h.rank for h in hits if h.chunk.source in gold), None)
            ranks.append(rank)
        n = len(ranks)
        results[mode] = {
            "recall@1": round(sum(1 for r in ranks if r == 1) / n, 3),
            "recall@5": round(sum(1 for r in ranks if r and r <= 5) / n, 3),
            "recall@10": round(sum(1 for r in ranks if r) / n, 3),
            "mrr@10": round(sum(1 / r for r in ranks if r) / n, 3),
            "latency_p50_ms": round(statistics.median(latencies) * 1000, 1),
            "misses@5": [i["id"] for i, r in zip(items, ranks, strict=True) if not r or r > 5][:20],
        }
        print(mode, json.dumps(results[mode], ensure_ascii=False))
    print(json.dumps({"set": args.set, "questions": len(items), **results}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
