"""Benchmark: answers on an eval set (default ../shared/eval/dev.jsonl) against its gold strings.

usage: python -m bench.answer_dev [--set FILE] [--corpus DIR] [--model default|small] [--limit N]
Prints accuracy (all must_include present after normalization), refusal accuracy, citation precision
(cited passages from a gold source and containing a must_include string), unflagged numbers absent
from the cited passages, and time to first token. Uses its own store under a temp RAG_HOME.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from rag.answer import answer_question
from rag.app import App
from rag.ingest import ingest
from rag.normalize import compact
from rag.settings import load_settings
from rag.verify import number_in_passage, numbers_in, strip_citations

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default=str(ROOT.parent / "shared/eval/dev.jsonl"))
    ap.add_argument("--corpus", default=str(ROOT / "sample_corpus"))
    ap.add_argument("--model", default="default")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    models_dir = Path(os.environ.get("RAG_HOME", Path.home() / ".rag")) / "models"
    home = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    settings = load_settings(overrides={"home": str(home), "models": {"dir": str(models_dir)}})
    app = App(settings)
    t0 = time.perf_counter()
    with app.writer() as w:
        ingest([Path(args.corpus)], w, settings, app.encoder)
    app.close_store()
    print(f"ingest {time.perf_counter() - t0:.1f}s")
    app.llm(args.model)
    with open(args.set, encoding="utf-8") as fh:
        items = [json.loads(line) for line in fh if line.strip()]
    if args.limit:
        items = items[: args.limit]
    rows = []
    for item in items:
        t = time.perf_counter()
        r = answer_question(app, item["question"])
        wall = time.perf_counter() - t
        ans = compact(r.answer)
        gold = [compact(m) for m in item["must_include"]]
        unans = item["type"] == "unanswerable"
        correct = r.refused if unans else (not r.refused and all(g in ans for g in gold))
        cits = r.citations()
        good_cits = [c for c in cits if c["source"] in item["sources"] or any(g in compact(c["text"]) for g in gold)]
        unflagged_bad = 0
        if r.verification:
            for s in r.verification.sentences:
                if s.status in ("verified", "corrected"):
                    cited = "".join(compact(r.hits[n - 1].chunk.section + r.hits[n - 1].chunk.text)
                                    for n in s.citations if n <= len(r.hits))
                    unflagged_bad += sum(1 for n in numbers_in(strip_citations(s.text)) if not number_in_passage(n, cited))
        rows.append({"id": item["id"], "type": item["type"], "correct": correct, "refused": r.refused,
                     "answer": r.answer, "citations": len(cits), "good_citations": len(good_cits),
                     "unflagged_bad_numbers": unflagged_bad, "ttft": r.timings.get("first_token"),
                     "wall": wall, "outcome": r.verification.outcome if r.verification else None,
                     "warnings": r.warnings, "draft": r.draft})
        print(f"{item['id']:8s} {'OK ' if correct else 'BAD'} refused={r.refused!s:5s} {wall:5.1f}s {r.answer[:70]!r}",
              flush=True)
    answerable = [r for r in rows if r["type"] != "unanswerable"]
    unanswerable = [r for r in rows if r["type"] == "unanswerable"]
    cited_total = sum(r["citations"] for r in answerable if not r["refused"])
    cited_good = sum(r["good_citations"] for r in answerable if not r["refused"])
    ttfts = [r["ttft"] for r in rows if r["ttft"]]
    summary = {
        "model": app.llm().name, "items": len(rows),
        "answer_accuracy": round(sum(r["correct"] for r in answerable) / max(len(answerable), 1), 3),
        "refusal_accuracy": round(sum(r["correct"] for r in unanswerable) / max(len(unanswerable), 1), 3),
        "false_refusals": sum(r["refused"] for r in answerable),
        "citation_precision": round(cited_good / cited_total, 3) if cited_total else None,
        "unflagged_numbers_absent_from_cited": sum(r["unflagged_bad_numbers"] for r in rows),
        "ttft_median_s": round(statistics.median(ttfts), 2) if ttfts else None,
        "wall_median_s": round(statistics.median(r["wall"] for r in rows), 2),
    }
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    if args.out:
        Path(args.out).write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")


if __name__ == "__main__":
    main()
