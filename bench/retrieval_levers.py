"""Benchmark: document-level retrieval on ncp_dev, split by notice into a tuning half and a report
half (no notice in both), for the retrieval levers that need no re-ingest: how chunk hits become a
document ranking, a title/文号 field, question words dropped, the phrase list.

usage: python -m bench.retrieval_levers --store N [--set ../shared/eval/ncp_dev.jsonl] [--half tune|report|all]
(N: `rag ingest ../shared/corpus/ncp_policies --store N`). Prints Recall@1/5/10 and MRR@10 per lever.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

from rag.app import App
from rag.bm25 import QUESTION_WORDS, BM25Index, tokenize
from rag.normalize import search_form
from rag.retrieve import Retriever, SearchResult
from rag.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
DEPTH = 50
PHRASE_WEIGHT = 3.0  # off by default (see README); chosen on the tune half


def half_of(sources: list[str]) -> str:
    """By the notice: every question about one notice falls in the same half."""
    return "tune" if int(hashlib.sha1(min(sources).encode()).hexdigest(), 16) % 2 == 0 else "report"


_QUESTION_WORDS = re.compile(rf"({QUESTION_WORDS}|？|\?)")


def first_ranks(result: SearchResult, attr: str) -> list[str]:
    """Documents in order of their best chunk in one ranked list (dense or keyword)."""
    ranked = sorted((h for h in result.hits if getattr(h, attr) is not None), key=lambda h: getattr(h, attr))
    return list(dict.fromkeys(h.chunk.source for h in ranked))


def rrf(lists: list[tuple[list[str], float]], k: int) -> list[str]:
    scores: dict[str, float] = {}
    for docs, weight in lists:
        for rank, doc in enumerate(docs, start=1):
            scores[doc] = scores.get(doc, 0.0) + weight / (k + rank)
    return sorted(scores, key=lambda d: -scores[d])


def metrics(ranked: list[list[str]], gold: list[list[str]]) -> dict[str, float]:
    ranks = []
    for docs, sources in zip(ranked, gold, strict=True):
        ranks.append(next((i for i, d in enumerate(docs, 1) if d in sources), None))
    n = len(ranks)
    return {"R@1": sum(r == 1 for r in ranks) / n, "R@5": sum(r is not None and r <= 5 for r in ranks) / n,
            "R@10": sum(r is not None and r <= 10 for r in ranks) / n,
            "MRR@10": sum(1 / r for r in ranks if r is not None and r <= 10) / n, "n": n}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    ap.add_argument("--set", default=str(ROOT.parent / "shared/eval/ncp_dev.jsonl"))
    ap.add_argument("--half", choices=("tune", "report", "all"), default="tune")
    args = ap.parse_args()
    items = [json.loads(line) for line in Path(args.set).read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [i for i in items if i.get("sources") and i.get("type") != "unanswerable"]
    if args.half != "all":
        items = [i for i in items if half_of(i["sources"]) == args.half]
    app = App(load_settings(overrides={"store": args.store}))
    retriever = app.retriever
    docs = app.store.documents()
    titles = BM25Index.empty().with_changes(set(), [(n, tokenize(search_form(f"{d.title} {d.doc_number or ''}")))
                                                    for n, d in enumerate(docs)])
    k_rrf = app.settings.retrieval.rrf_k
    phrased = Retriever(app.store, app.encoder, app.settings.retrieval.model_copy(
        update={"phrase_weight": PHRASE_WEIGHT}))

    def title_ranks(question: str) -> list[str]:
        return [docs[i].source for i, _ in titles.search(tokenize(search_form(question)), DEPTH)]

    levers: dict[str, Callable[[str, SearchResult, SearchResult], list[str]]] = {
        "hybrid, passages deduplicated (today)": lambda q, r, r2: list(dict.fromkeys(h.chunk.source for h in r.hits)),
        "bm25 only": lambda q, r, r2: first_ranks(r, "bm25_rank"),
        "dense only": lambda q, r, r2: first_ranks(r, "dense_rank"),
        "document fusion (best chunk per list)": lambda q, r, r2: rrf(
            [(first_ranks(r, "dense_rank"), 1.0), (first_ranks(r, "bm25_rank"), 1.5)], k_rrf),
        "+ title field": lambda q, r, r2: rrf(
            [(first_ranks(r, "dense_rank"), 1.0), (first_ranks(r, "bm25_rank"), 1.5), (title_ranks(q), 0.5)], k_rrf),
        "question words dropped": lambda q, r, r2: list(dict.fromkeys(h.chunk.source for h in r2.hits)),
        f"phrase list (retrieval.phrase_weight {PHRASE_WEIGHT})": lambda q, r, r2: list(dict.fromkeys(
            h.chunk.source for h in phrased.search(q, k=DEPTH).hits)),
        "question words dropped + document fusion + title": lambda q, r, r2: rrf(
            [(first_ranks(r2, "dense_rank"), 1.0), (first_ranks(r2, "bm25_rank"), 1.5),
             (title_ranks(_QUESTION_WORDS.sub(" ", q)), 0.5)], k_rrf),
    }
    ranked: dict[str, list[list[str]]] = {name: [] for name in levers}
    for item in items:
        q = item["question"]
        result = retriever.search(q, k=DEPTH)
        stripped = retriever.search(_QUESTION_WORDS.sub(" ", q), k=DEPTH)
        for name, lever in levers.items():
            ranked[name].append(lever(q, result, stripped))
    gold = [i["sources"] for i in items]
    copies = Copies(app)
    print(f"{args.half} half: {len(items)} questions (in brackets: a near-copy of the gold notice counts as "
          "it; then also any notice that holds the gold answer word for word)")
    for name in levers:
        m = metrics(ranked[name], gold)
        near = [copies.of(g, ranked[name][n]) for n, g in enumerate(gold)]
        d = metrics(ranked[name], near)
        a = metrics(ranked[name], [[*g, *copies.holding(i["answer"])] for g, i in zip(near, items, strict=True)])
        print(f"  {name:52s} R@1 {m['R@1']:.3f} ({d['R@1']:.3f}; {a['R@1']:.3f})  "
              f"R@5 {m['R@5']:.3f} ({d['R@5']:.3f}; {a['R@5']:.3f})  R@10 {m['R@10']:.3f}  MRR {m['MRR@10']:.3f}")


class Copies:
    """Near-copies of a notice (the corpus reprints notices under other titles): documents that share
    at least COPY of the smaller one's 8-character shingles."""

    COPY = 0.6

    def __init__(self, app: App) -> None:
        self.app = app
        self.ids = {d.source: d.doc_id for d in app.store.documents()}
        self.shingles: dict[str, set[str]] = {}
        self.texts: dict[str, str] = {}

    def _of(self, source: str) -> set[str]:
        if source not in self.shingles:
            from rag.normalize import compact

            text = compact(self.app.store.document_text(self.ids[source]) or "")
            self.shingles[source] = {text[i:i + 8] for i in range(max(1, len(text) - 7))}
        return self.shingles[source]

    def holding(self, answer: str, shortest: int = 8) -> list[str]:
        """The notices whose text holds ``answer`` word for word (none for an answer shorter than
        ``shortest`` characters, which many unrelated notices hold: 推迟进行)."""
        from rag.normalize import compact

        wanted = compact(answer)
        if len(wanted) < shortest:
            return []
        if not self.texts:
            self.texts = {s: compact(self.app.store.document_text(i) or "") for s, i in self.ids.items()}
        return [s for s, text in self.texts.items() if wanted in text]

    def of(self, gold: list[str], ranked: list[str]) -> list[str]:
        """The gold sources and the ranked documents (top 10) that are near-copies of one of them."""
        near = [d for d in ranked[:10] if d not in gold and any(
            len(self._of(d) & self._of(g)) >= self.COPY * min(len(self._of(d)), len(self._of(g))) for g in gold)]
        return [*gold, *near]


if __name__ == "__main__":
    main()
