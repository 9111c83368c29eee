"""Benchmark: document-level retrieval on news, questions written by hand on a 3,000-article slice
of news_scale (eval/news_dev.jsonl: each answer in exactly one article, no two questions per article).

    python -m bench.news_retrieval build --out W      # W/news3000.jsonl: the slice, one record per article
    rag ingest W/news3000.jsonl --store W/store
    python -m bench.news_retrieval check --out W      # every question's answer in exactly its own article
    python -m bench.news_retrieval score --store W/store

``score`` prints Recall@1/5/10 and MRR@10 for the hybrid search and for its BM25 and dense halves in
the same run, for each kind of question: ``span`` (54, worded with the story's own names) and
``paraphrase`` (24, the story described the way one recalls it, without its names). The questions
were written before any retrieval setting was looked at on them: the whole set is held out.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from bench.retrieval_levers import DEPTH, first_ranks, metrics
from rag.normalize import compact

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "news_scale"
QUESTIONS = ROOT / "eval" / "news_dev.jsonl"
SLICE_FILES = "documents_dup_part_5_part_*.jsonl.gz"
SLICE_SIZE = 3000
SLICE_NAME = "news3000.jsonl"


def slice_articles() -> list[dict[str, str]]:
    """The first SLICE_SIZE articles of part 5 with distinct text, in file order."""
    seen: set[str] = set()
    articles: list[dict[str, str]] = []
    for f in sorted(CORPUS.glob(SLICE_FILES)):
        with gzip.open(f, "rt", encoding="utf-8") as src:
            for line in src:
                record = json.loads(line)
                digest = hashlib.sha1(record["text"].encode()).hexdigest()
                if digest in seen:
                    continue
                seen.add(digest)
                articles.append({"id": record["id"], "text": record["text"]})
                if len(articles) == SLICE_SIZE:
                    return articles
    return articles


def build(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / SLICE_NAME).open("w", encoding="utf-8") as fh:
        for a in slice_articles():
            fh.write(json.dumps(a, ensure_ascii=False) + "\n")
    print(f"{out / SLICE_NAME}: {SLICE_SIZE} articles")


def load_questions() -> list[dict[str, Any]]:
    return [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]


def article_id(source: str) -> str:
    return source.rsplit("#", 1)[-1]


def check(out: Path) -> int:
    """Problems with the set: a must_include not in its article, also in another one, or two
    questions on one article. ``anchor`` (not read by ``rag eval``) names the context of a figure
    that is common on its own (韩国 with 0.08个百分点): the answer is the figure in that context."""
    texts = {json.loads(line)["id"]: compact(json.loads(line)["text"])
             for line in (out / SLICE_NAME).read_text(encoding="utf-8").splitlines()}
    problems = 0
    used: dict[str, str] = {}
    for q in load_questions():
        (source,) = q["sources"]
        own = article_id(source)
        needles = [compact(m) for m in q["must_include"] + q.get("anchor", [])]
        holders = [i for i, t in texts.items() if all(n in t for n in needles)]
        if holders != [own]:
            problems += 1
            print(f"{q['id']}: must_include {q['must_include']} in {holders[:5]} (gold {own})")
        if own in used:
            problems += 1
            print(f"{q['id']}: second question on {own} (first {used[own]})")
        used[own] = q["id"]
    print(f"{len(load_questions())} questions, {len(used)} articles, {problems} problems")
    return problems


def score(store: str) -> None:
    from rag.app import App
    from rag.settings import load_settings

    items = load_questions()
    retriever = App(load_settings(overrides={"store": store})).retriever
    ranked: dict[str, list[list[str]]] = {"hybrid": [], "bm25 only": [], "dense only": []}
    for item in items:
        result = retriever.search(item["question"], k=DEPTH)
        ranked["hybrid"].append([article_id(s) for s in dict.fromkeys(h.chunk.source for h in result.hits)])
        ranked["bm25 only"].append([article_id(s) for s in first_ranks(result, "bm25_rank")])
        ranked["dense only"].append([article_id(s) for s in first_ranks(result, "dense_rank")])
    gold = [[article_id(s) for s in i["sources"]] for i in items]
    print(f"news, {len(items)} questions over {SLICE_SIZE} articles")
    kinds = sorted({i["type"] for i in items})
    for name, lists in ranked.items():
        m = metrics(lists, gold)
        print(f"  {name:12s} R@1 {m['R@1']:.3f}  R@5 {m['R@5']:.3f}  R@10 {m['R@10']:.3f}  MRR {m['MRR@10']:.3f}")
        for kind in kinds:
            pick = [n for n, i in enumerate(items) if i["type"] == kind]
            k = metrics([lists[n] for n in pick], [gold[n] for n in pick])
            print(f"    {kind:10s} ({len(pick)}) R@1 {k['R@1']:.3f}  R@5 {k['R@5']:.3f}  MRR {k['MRR@10']:.3f}")
    misses = [(i["id"], i["question"], lists[:3]) for i, lists, g in zip(items, ranked["hybrid"], gold, strict=True)
              if g[0] not in lists[:5]]
    for m_id, question, top in misses:
        print(f"  miss@5 {m_id} {question} -> {top}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=("build", "check", "score"))
    ap.add_argument("--out", default="")
    ap.add_argument("--store", default="")
    args = ap.parse_args()
    if args.command == "build":
        build(Path(args.out))
    elif args.command == "check":
        sys.exit(1 if check(Path(args.out)) else 0)
    else:
        score(args.store)


if __name__ == "__main__":
    main()
