"""Store consistency checks and repair, and full reindexing with the current settings."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from rag.store import (
    PendingDoc,
    Store,
    StoreCorruptError,
    StoreError,
    StoreWriter,
    new_vector_index,
    vector_ids,
)

if TYPE_CHECKING:
    from rag.app import App


def check_store(app: App, repair: bool = True) -> dict[str, Any]:
    """Every chunk in both indexes, no orphan vectors, rows or files; repairs what it can."""
    problems: list[str] = []
    repaired: list[str] = []
    path = app.settings.store_dir
    db = path / Store.DB
    if not db.exists():
        raise StoreError(f"no store at {path}")
    try:
        conn = sqlite3.connect(str(db))
        verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
        conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreCorruptError(f"chunk store {db} is not a readable SQLite database ({exc}); the documents "
                                f"must be ingested again into a new store (move {path} away first)") from exc
    if verdict != "ok":
        problems.append(f"SQLite integrity check: {verdict}")

    with app.writer() as writer:
        store = writer.store
        assert store is not None
        conn = store.conn
        chunk_ids = {r[0] for r in conn.execute("SELECT id FROM chunks")}
        orphan_chunks = [r[0] for r in conn.execute(
            "SELECT id FROM chunks WHERE doc_id NOT IN (SELECT doc_id FROM documents)")]
        if orphan_chunks:
            problems.append(f"{len(orphan_chunks)} chunks without a document")
            if repair:
                conn.execute("DELETE FROM chunks WHERE doc_id NOT IN (SELECT doc_id FROM documents)")
                chunk_ids -= set(orphan_chunks)
                repaired.append(f"dropped {len(orphan_chunks)} orphan chunks")

        rebuild_vectors = False
        try:
            vectors = store.vectors
            vec_ids = {int(i) for i in vector_ids(vectors)}
        except StoreCorruptError as exc:
            problems.append(str(exc).split(";")[0])
            vectors, vec_ids, rebuild_vectors = new_vector_index(app.encoder.dim), set(), True
        try:
            bm25 = store.bm25()
            bm_ids = set(int(i) for i in bm25.row_ids)
            bm_bad = False
        except StoreCorruptError as exc:
            problems.append(str(exc).split(";")[0])
            bm_ids, bm_bad = set(), True

        missing_vec = chunk_ids - vec_ids
        orphan_vec = vec_ids - chunk_ids
        if missing_vec:
            problems.append(f"{len(missing_vec)} chunks have no vector")
        if orphan_vec:
            problems.append(f"{len(orphan_vec)} vectors belong to no chunk")
        if bm_ids != chunk_ids and not bm_bad:
            problems.append(f"keyword index covers {len(bm_ids & chunk_ids)} of {len(chunk_ids)} chunks "
                            f"and {len(bm_ids - chunk_ids)} unknown rows")
        if repair and (missing_vec or orphan_vec or bm_bad or bm_ids != chunk_ids or rebuild_vectors
                       or orphan_chunks):
            _rebuild_indexes(app, writer, vectors, sorted(missing_vec), sorted(orphan_vec))
            repaired.append("rebuilt the vector and keyword indexes from the chunk store")
        if writer.ann is not None and not repaired:
            ann = store.ann
            if ann is None or ann.ntotal != len(chunk_ids):
                problems.append("the HNSW index is missing or out of date")
                if repair:
                    writer.rebuild_ann = True
                    writer.commit(rebuilt_bm25=store.bm25())
                    repaired.append("rebuilt the HNSW index")
        counts = store.counts()
    ok = not problems or (repair and bool(repaired) and verdict == "ok")
    return {"ok": ok, "problems": problems, "repaired": repaired, **counts}


def _rebuild_indexes(app: App, writer: StoreWriter, vectors: Any, missing: list[int], orphans: list[int]) -> None:
    """Embed chunks lacking vectors, drop orphan vectors, rebuild BM25 from stored tokens; commit."""
    from rag.bm25 import BM25Index

    store = writer.store
    assert store is not None
    conn = store.conn
    if orphans:
        vectors.remove_ids(np.asarray(orphans, dtype=np.int64))
    if missing:
        for start in range(0, len(missing), 512):
            ids = missing[start:start + 512]
            texts = dict(conn.execute(f"SELECT id, search_text FROM chunks WHERE id IN ({','.join('?' * len(ids))})",
                                      ids).fetchall())
            vecs = app.encoder.encode_passages([texts[i] for i in ids])
            vectors.add_with_ids(np.ascontiguousarray(vecs, dtype=np.float32), np.asarray(ids, dtype=np.int64))
    rows = conn.execute("SELECT id, tokens FROM chunks ORDER BY id").fetchall()
    store.replace_vectors(vectors)
    writer.commit(rebuilt_bm25=BM25Index.empty().with_changes(set(), [(r[0], r[1].split()) for r in rows]))


def reindex_store(app: App, progress: Callable[[int, int], None] | None = None) -> int:
    """Re-chunk and re-embed every stored document with the current settings, under the writer
    lock, in one transaction: readers see the old store until the switch, and a kill at any point
    leaves the old store. File signatures are kept, so the next ingest re-reads nothing.
    ``progress(done, total)`` is called once the lock is held, then after each batch."""
    from rag.ingest import embed_pending, prepare
    from rag.load import Document, retitle

    step = app.settings.index.commit_every_docs
    manifest = app.manifest()
    with StoreWriter(app.settings.store_dir, manifest, app.ann_spec(), rebuild=True) as writer:
        conn = writer.conn
        doc_ids = [r[0] for r in conn.execute("SELECT doc_id FROM documents ORDER BY key")]
        if progress:
            progress(0, len(doc_ids))

        def batches() -> Iterator[list[PendingDoc]]:
            for start in range(0, len(doc_ids), step):
                part = doc_ids[start:start + step]
                rows = conn.execute(
                    "SELECT doc_id, key, file, source, title, date, doc_number, content_sha, text FROM documents "
                    f"WHERE doc_id IN ({','.join('?' * len(part))})", part).fetchall()
                batch = [prepare(Document(doc_id, key, source, retitle(title, text, source), date, text, sha,
                                          doc_number), file, app.settings)
                         for doc_id, key, file, source, title, date, doc_number, sha, text in rows]
                conn.executemany("UPDATE documents SET title=? WHERE doc_id=? AND title<>?",
                                 [(d.info.title, d.info.doc_id, d.info.title) for d in batch])
                embed_pending(batch, app.encoder)
                yield batch
                if progress:
                    progress(start + len(part), len(doc_ids))

        done = writer.replace_chunks(manifest, batches())
    app.close_store()
    return done
