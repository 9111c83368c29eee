"""Hybrid retrieval: dense (FAISS) + BM25, fused by weighted reciprocal rank with the candidates ranked by
the share of the question's weighted terms they hold, and by the stretches of it they hold word for word,
as lists of their own; optionally reranked."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from rag.bm25 import PAIR, char_pairs, runs, tokenize
from rag.encoders import CrossEncoderReranker, Encoder
from rag.normalize import search_form
from rag.settings import RetrievalSettings
from rag.store import Store
from rag.terms import asked_stage, asked_years, idf, phrase_weight, searched_form, weigh
from rag.types import ChunkRecord, Filters, Hit

Mode = Literal["hybrid", "dense", "bm25"]


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    query_tokens: list[str]
    timings: dict[str, float] = field(default_factory=dict)
    generation: int = 0  # of the store it was read from


def rrf_fuse(ranked_lists: list[tuple[list[int], float]], rrf_k: int) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion of several ranked id lists."""
    scores: dict[int, float] = {}
    for ids, weight in ranked_lists:
        if weight <= 0:
            continue
        for rank, cid in enumerate(ids, start=1):
            scores[cid] = scores.get(cid, 0.0) + weight / (rrf_k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


class Retriever:
    def __init__(self, store: Store, encoder: Encoder, settings: RetrievalSettings,
                 reranker: CrossEncoderReranker | None = None, ef_search: int | None = None) -> None:
        self.store = store
        self.encoder = encoder
        self.settings = settings
        self.reranker = reranker
        self.ef_search = ef_search  # set: search the store's HNSW index when it has one

    def dense(self, query_vec: np.ndarray, n: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        import faiss

        ann = self.store.ann if self.ef_search else None
        index = ann if ann is not None else self.store.vectors
        if index.ntotal == 0 or (allowed is not None and not len(allowed)):
            return []
        kwargs: dict[str, object] = {}
        if ann is not None:
            kwargs["efSearch"] = max(self.ef_search or 0, n)
        if allowed is not None:
            kwargs["sel"] = faiss.IDSelectorBatch(allowed)
        params: object = None
        if kwargs:
            params = (faiss.SearchParametersHNSW if ann is not None  # type: ignore[attr-defined]
                      else faiss.SearchParameters)(**kwargs)
        limit = min(n, index.ntotal if allowed is None else len(allowed))
        scores, ids = index.search(query_vec.reshape(1, -1), limit, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def _per_doc_cap(self, fused: list[tuple[int, float]], depth: int) -> list[tuple[int, float]]:
        doc_of = self.store.doc_ids([cid for cid, _ in fused])
        taken: dict[str, int] = {}
        out = []
        for cid, score in fused:
            doc = doc_of.get(cid, "")
            if taken.get(doc, 0) < self.settings.max_per_doc:
                taken[doc] = taken.get(doc, 0) + 1
                out.append((cid, score))
                if len(out) == depth:
                    break
        return out

    def _by_coverage(self, tokens: list[str], texts: dict[int, str]) -> list[int]:
        """The candidates (their searched text, in fused order) ranked by the share of the question's
        IDF-weighted terms their title, section and text hold (ties in fused order): BM25 saturates on
        a term repeated, and reads no title; a notice that names everything asked should come first."""
        terms = weigh(self.store.bm25(self.settings.bm25_k1, self.settings.bm25_b), tokens)
        cover = {cid: terms.coverage(text) for cid, text in texts.items()}
        return sorted(cover, key=lambda cid: -cover[cid])

    def _by_phrases(self, query_search: str, texts: dict[int, str]) -> list[int]:
        """The candidates ranked by the question's stretches they hold word for word
        (:func:`rag.terms.phrase_weight`), only those holding one."""
        bm25 = self.store.bm25(self.settings.bm25_k1, self.settings.bm25_b)
        question = runs(query_search)
        weights = {p.removeprefix(PAIR): idf(bm25, p) for p in char_pairs(query_search)}
        score = {cid: phrase_weight(question, text, weights) for cid, text in texts.items()}
        return sorted((cid for cid in score if score[cid] > 0), key=lambda cid: -score[cid])

    def _in_years_asked(self, query: str, tokens: list[str], n: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        """The keyword hits among the documents whose title, file name or date names a year the
        question asks (:meth:`Store.chunk_ids_of_years`): in a folder of yearly reports, "2023年…目标"
        is in the 2023 report, whose text says only 今年. Nothing when no document, or more than half
        of them, names the year (it tells them apart no better than the words do)."""
        years = sorted(asked_years(query))
        if not years:
            return []
        if asked_stage(query) == "result":  # a year's results are reported in the next year's report too
            years = sorted({*years, *(str(int(y) + 1) for y in years)})
        ids = self.store.chunk_ids_of_years(years)
        bm25 = self.store.bm25(self.settings.bm25_k1, self.settings.bm25_b)
        if not len(ids) or len(ids) > len(bm25.row_ids) / 2:
            return []
        if allowed is not None:
            ids = np.intersect1d(ids, allowed)
        return bm25.search(tokens, n, np.isin(bm25.row_ids, ids))

    def search(self, query: str, k: int | None = None, filters: Filters | None = None,
               mode: Mode = "hybrid") -> SearchResult:
        """The ``k`` best passages, all read from the store's newest generation."""
        with self.store.snapshot():
            result = self._search(query, k, filters, mode)
            result.generation = self.store.generation
            return result

    def _search(self, query: str, k: int | None, filters: Filters | None, mode: Mode) -> SearchResult:
        s = self.settings
        k = k or s.k
        timings: dict[str, float] = {}
        query_search = search_form(query.strip())
        tokens = tokenize(query_search)
        allowed: np.ndarray | None = None
        if filters is not None and filters.active():
            allowed = self.store.allowed_ids(filters)
        n = max(s.candidates, k)

        dense_hits: list[tuple[int, float]] = []
        bm25_hits: list[tuple[int, float]] = []
        pair_hits: list[tuple[int, float]] = []
        if mode in ("hybrid", "dense"):
            t0 = time.perf_counter()
            qvec = self.encoder.encode_queries([query_search])[0]
            timings["embed_query"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            dense_hits = self.dense(qvec, n, allowed)
            timings["dense"] = time.perf_counter() - t0
        if mode in ("hybrid", "bm25"):
            t0 = time.perf_counter()
            bm25 = self.store.bm25(s.bm25_k1, s.bm25_b)
            mask = np.isin(bm25.row_ids, allowed) if allowed is not None else None
            bm25_hits = bm25.search(tokens, n, mask)
            if mode == "hybrid" and s.pairs_weight > 0:
                pair_hits = bm25.search(char_pairs(query_search), n, mask)
            timings["bm25"] = time.perf_counter() - t0
        year_hits: list[tuple[int, float]] = []
        if mode == "hybrid" and s.year_weight > 0:
            t0 = time.perf_counter()
            year_hits = self._in_years_asked(query_search, tokens, n, allowed)
            timings["year"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        dense_rank = {cid: r for r, (cid, _) in enumerate(dense_hits, start=1)}
        bm25_rank = {cid: r for r, (cid, _) in enumerate(bm25_hits, start=1)}
        if mode == "dense":
            fused = dense_hits
        elif mode == "bm25":
            fused = bm25_hits
        else:
            lists = [([c for c, _ in dense_hits], s.dense_weight), ([c for c, _ in bm25_hits], s.bm25_weight),
                     ([c for c, _ in pair_hits], s.pairs_weight), ([c for c, _ in year_hits], s.year_weight)]
            fused = rrf_fuse(lists, s.rrf_k)
        timings["fuse"] = time.perf_counter() - t0

        records: dict[int, ChunkRecord] = {}
        if mode == "hybrid" and (s.coverage_weight > 0 or s.phrase_weight > 0) and fused:
            t0 = time.perf_counter()
            pool = [cid for cid, _ in fused[:n]]
            records = {c.id: c for c in self.store.chunks(pool)}
            texts = {cid: searched_form(records[cid]).lower() for cid in pool if cid in records}
            if s.coverage_weight > 0:
                lists.append((self._by_coverage(tokens, texts), s.coverage_weight))
            if s.phrase_weight > 0:
                lists.append((self._by_phrases(query_search, texts), s.phrase_weight))
            fused = rrf_fuse(lists, s.rrf_k)
            timings["coverage"] = time.perf_counter() - t0

        depth = max(k, s.rerank_candidates) if self.reranker else k
        top = self._per_doc_cap(fused, depth) if s.max_per_doc else fused[:depth]
        records.update({c.id: c for c in self.store.chunks([cid for cid, _ in top if cid not in records])})
        hits = [Hit(0, records[cid], score, dense_rank.get(cid), bm25_rank.get(cid))
                for cid, score in top if cid in records]
        if self.reranker and hits:
            t0 = time.perf_counter()
            scores = self.reranker.score(query_search, [h.chunk.search_text for h in hits])
            for hit, sc in zip(hits, scores, strict=True):
                hit.rerank_score = sc
            hits.sort(key=lambda h: -(h.rerank_score or 0.0))
            timings["rerank"] = time.perf_counter() - t0
        hits = hits[:k]
        for rank, hit in enumerate(hits, start=1):
            hit.rank = rank
        return SearchResult(query, hits, tokens, timings)
