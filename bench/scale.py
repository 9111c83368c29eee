"""Benchmark: the news_scale corpus (68,798 articles, CRUD-RAG) for index build speed, query latency,
store size and serving memory.

usage:
  python -m bench.scale embed [--articles 2000]     # real m3e-small: ours vs naive encode vs raw forward
  python -m bench.scale latency [--articles 0]      # whole corpus, real ingest path; see below
  python -m bench.scale keyword --store N [--copies 35]  # the keyword lists alone at N's rows x copies

`embed` chunks the first N articles through the real loader/chunker, then times on the same chunks:
our encoder (length-sorted batches, bf16 where the CPU has it), sentence-transformers `encode`
naively (batch 32, unsorted, fp32), and the raw model forward (pre-tokenized sorted batches, only
the forward pass timed); it also ingests those articles end to end (chunk + embed + BM25 + commit)
and reports chunks/s, peak RSS and the extrapolated time for the whole corpus.

`latency` ingests the whole corpus through the real ingest path (loader, chunker, jieba BM25, SQLite,
FAISS) but with *synthetic passage vectors* (seeded random unit vectors; embedding 140k chunks with
the real model takes ~1.5 h on 2 cores, and an exact inner-product scan costs the same whatever the
values), then times real queries: m3e-small query embedding + dense + BM25 + fusion, for the exact
index and for HNSW. It prints p50/p95, store bytes per chunk and RSS while serving.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from rag.app import App
from rag.encoders import Encoder
from rag.ingest import ingest
from rag.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "news_scale"
MODELS = Path(os.environ.get("RAG_HOME", Path.home() / ".rag")) / "models"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def subset(n: int, out: Path) -> Path:
    """The first n articles as one .jsonl file (0 = all)."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / "news.jsonl"
    written = 0
    with target.open("w", encoding="utf-8") as fh:
        for f in sorted(CORPUS.glob("*.jsonl.gz")):
            with gzip.open(f, "rt", encoding="utf-8") as src:
                for line in src:
                    fh.write(line if line.endswith("\n") else line + "\n")
                    written += 1
                    if n and written >= n:
                        return target
    return target


def bench_embed(n_articles: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="rag-scale-"))
    data = subset(n_articles, work / "data")
    settings = load_settings(overrides={"home": str(work / "home"), "models": {"dir": str(MODELS)}})
    app = App(settings)
    t0 = time.perf_counter()
    with app.writer() as w:
        report = ingest([data], w, settings, app.encoder)
    ingest_s = time.perf_counter() - t0
    app.close_store()
    store = app.store
    n_chunks = store.counts()["chunks"]
    texts = [r[0] for r in store.conn.execute("SELECT search_text FROM chunks ORDER BY id")]
    enc = app.encoder
    model = enc._model  # type: ignore[attr-defined]

    t = time.perf_counter()
    enc.encode_passages(texts)
    ours = len(texts) / (time.perf_counter() - t)
    t = time.perf_counter()
    model.encode(texts, batch_size=32, show_progress_bar=False)
    naive = len(texts) / (time.perf_counter() - t)
    raw = raw_forward(model, texts, enc.batch_size, enc.bf16)  # type: ignore[attr-defined]
    total_articles = 68798
    print(json.dumps({
        "articles": report.added, "chunks": n_chunks, "chunks_per_article": round(n_chunks / max(report.added, 1), 2),
        "ingest_s": round(ingest_s, 1), "ingest_chunks_per_s": round(n_chunks / ingest_s, 1),
        "embed_ours_chunks_per_s": round(ours, 1), "embed_naive_chunks_per_s": round(naive, 1),
        "embed_raw_forward_chunks_per_s": round(raw, 1), "ours_vs_naive": round(ours / naive, 2),
        "ours_vs_raw_forward": round(ours / raw, 3), "peak_rss_mb": round(peak_rss_mb()),
        "extrapolated_full_corpus_build_min": round(total_articles * n_chunks / max(report.added, 1)
                                                    / (n_chunks / ingest_s) / 60, 1),
    }, indent=1))


def raw_forward(model: object, texts: list[str], batch_size: int, bf16: bool) -> float:
    """Chunks/s of the model's forward pass alone: tokenized beforehand, length-sorted batches."""
    import torch

    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    batches = [model.tokenize([texts[i] for i in order[s:s + batch_size]])  # type: ignore[attr-defined]
               for s in range(0, len(texts), batch_size)]
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16)
    elapsed = 0.0
    with torch.inference_mode(), autocast:
        for features in batches:
            t = time.perf_counter()
            model(features)  # type: ignore[operator]
            elapsed += time.perf_counter() - t
    return len(texts) / elapsed


class SyntheticPassages(Encoder):
    """Seeded random unit vectors for passages; the real model for queries."""

    def __init__(self, real: Encoder) -> None:
        self.real = real
        self.dim = real.dim
        self.model_id = "synthetic-" + real.model_id
        self.rng = np.random.default_rng(0)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        v = self.rng.standard_normal((len(texts), self.dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.real.encode_queries(texts)


def bench_latency(n_articles: int, queries: int, reuse: str = "") -> None:
    from rag.doctor import check_store

    work = Path(reuse) if reuse else Path(tempfile.mkdtemp(prefix="rag-scale-lat-"))
    data = work / "data" / "news.jsonl" if reuse else subset(n_articles, work / "data")
    real = App(load_settings(overrides={"models": {"dir": str(MODELS)}})).encoder
    results = {}
    for kind in ("flat", "hnsw"):
        settings = load_settings(overrides={"home": str(work / "home"), "models": {"dir": str(MODELS)},
                                            "index": {"kind": kind, "commit_every_docs": 20000}})
        app = App(settings, encoder=SyntheticPassages(real))
        t0 = time.perf_counter()
        if reuse:
            pass
        elif kind == "flat":
            with app.writer() as w:
                ingest([data], w, settings, app.encoder)
        else:  # the same store; the doctor derives the HNSW index from the exact one
            check_store(app, repair=True)
        build_s = time.perf_counter() - t0
        app.close_store()
        store = app.store
        counts = store.counts()
        size = sum(f.stat().st_size for f in settings.store_dir.iterdir()
                   if f.is_file() and (f.suffix != ".faiss" or f".{counts['generation']}." in f.name))
        qs = [r[0][:60] for r in store.conn.execute(
            f"SELECT text FROM chunks WHERE ordinal = 0 ORDER BY id LIMIT {queries}")]
        retriever = app.retriever
        retriever.search(qs[0], k=5)  # load indexes and the query model
        rss_loaded = rss_mb()
        lat: list[float] = []
        stages: dict[str, list[float]] = {"embed_query": [], "dense": [], "bm25": [], "fuse": []}
        for q in qs:
            t = time.perf_counter()
            r = retriever.search(q, k=5)
            lat.append(time.perf_counter() - t)
            for key in stages:
                stages[key].append(r.timings.get(key, 0.0))
        lat_ms = sorted(x * 1000 for x in lat)
        no_embed_ms = sorted((x - e) * 1000 for x, e in zip(lat, stages["embed_query"], strict=True))
        results[kind] = {
            "chunks": counts["chunks"], "documents": counts["documents"], "build_s": round(build_s, 1),
            "store_bytes_per_chunk": round(size / counts["chunks"]), "store_mb": round(size / 1e6, 1),
            "rss_mb_after_load": round(rss_loaded), "rss_mb_serving": round(rss_mb()),
            "query_p50_ms": round(statistics.median(lat_ms), 1),
            "query_p95_ms": round(lat_ms[int(0.95 * (len(lat_ms) - 1))], 1),
            "without_query_embedding_p50_ms": round(statistics.median(no_embed_ms), 1),
            "without_query_embedding_p95_ms": round(no_embed_ms[int(0.95 * (len(no_embed_ms) - 1))], 1),
            "stage_p50_ms": {k: round(statistics.median(v) * 1000, 2) for k, v in stages.items()},
        }
        print(kind, json.dumps(results[kind]), flush=True)
        app.close_store()
    print(json.dumps(results, indent=1))


def bench_keyword(store: str, copies: int, queries: int) -> None:
    """The two BM25 searches of a hybrid query (jieba's words, character pairs) on a keyword index
    of a real store's chunk tokens repeated ``copies`` times: their cost at ~100k chunks without
    ingesting 45,000 articles, and the index's size in memory."""
    import sqlite3

    from rag.bm25 import PAIR, BM25Index, char_pairs, tokenize
    from rag.normalize import search_form

    with sqlite3.connect(f"file:{Path(store) / 'chunks.sqlite'}?mode=ro", uri=True) as conn:
        rows = [t.split(" ") for (t,) in conn.execute("SELECT tokens FROM chunks")]
    add = [(i, toks) for i, toks in enumerate(rows * copies)]
    words = BM25Index.empty().with_changes(set(), [(i, [t for t in toks if not t.startswith(PAIR)]) for i, toks in add])
    both = BM25Index.empty().with_changes(set(), add)
    items = [json.loads(line) for line in (ROOT.parent / "shared/eval/ncp_dev.jsonl").read_text().splitlines() if line]
    questions = [search_form(i["question"]) for i in items][:queries]
    for name, index, lists in (("words only (before)", words, (tokenize,)), ("words + pairs (now)", both, (tokenize, char_pairs))):
        index.search(tokenize(questions[0]), 50)  # builds the columns
        times = []
        for q in questions:
            t0 = time.perf_counter()
            for make in lists:
                index.search(make(q), 50)
            times.append((time.perf_counter() - t0) * 1000)
        m = index.matrix  # as large as the columns a reader keeps
        mib = (m.data.nbytes + m.indices.nbytes + m.indptr.nbytes) / 2**20
        print(f"{name:22s} {len(index):,} chunks  keyword search p50 {statistics.median(times):.1f} ms  "
              f"p95 {sorted(times)[int(0.95 * len(times))]:.1f} ms  index {mib:.0f} MiB in memory")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["embed", "latency", "keyword"])
    ap.add_argument("--store", default="")
    ap.add_argument("--copies", type=int, default=35)
    ap.add_argument("--articles", type=int, default=None)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--reuse", default="", help="time queries on a store an earlier `latency` run built")
    args = ap.parse_args()
    if args.what == "embed":
        bench_embed(args.articles or 2000)
    elif args.what == "keyword":
        bench_keyword(args.store, args.copies, args.queries)
    else:
        bench_latency(args.articles or 0, args.queries, args.reuse)


if __name__ == "__main__":
    main()
