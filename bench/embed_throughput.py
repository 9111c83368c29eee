"""Benchmark: our embedding path (length-sorted batches) vs sentence-transformers' plain encode.

usage: python -m bench.embed_throughput [--corpus DIR] [--limit N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rag.app import App
from rag.chunk import chunk_document
from rag.discover import discover
from rag.ingest import embed_text
from rag.load import Document, load_file
from rag.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared/corpus/ncp_policies"))
    ap.add_argument("--limit", type=int, default=2000)
    args = ap.parse_args()
    texts: list[str] = []
    files, _ = discover([Path(args.corpus)])
    for f in files:
        for d in load_file(f):
            if isinstance(d, Document):
                texts.extend(embed_text(d.title, c.section_path, c.text) for c in chunk_document(d.text, d.title))
        if len(texts) >= args.limit:
            break
    texts = texts[: args.limit]
    app = App(load_settings())
    enc = app.encoder
    enc.encode_passages(texts[:16])  # warm up
    model = enc._model  # type: ignore[attr-defined]
    t = time.perf_counter()
    model.encode(texts, batch_size=32, show_progress_bar=False)
    naive = len(texts) / (time.perf_counter() - t)
    t = time.perf_counter()
    enc.encode_passages(texts)
    ours = len(texts) / (time.perf_counter() - t)
    chars = sum(map(len, texts)) / len(texts)
    print(f"{len(texts)} chunks, mean {chars:.0f} chars: naive encode(batch 32, unsorted) {naive:.1f} chunks/s; "
          f"sorted batches of {enc.batch_size}: {ours:.1f} chunks/s; ratio {ours / naive:.2f}x")  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
