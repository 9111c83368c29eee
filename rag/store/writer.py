"""The single writer of a store: stage removals and additions, then commit them as one generation."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.bm25 import BM25Index
from rag.durable import fsync_dir, write_atomic
from rag.errors import StoreCorruptError, StoreError, StoreLockedError
from rag.private import PRIVATE_DIR, PRIVATE_FILE
from rag.store.holds import Holds
from rag.store.reader import Store
from rag.store.schema import SCHEMA, SCHEMA_VERSION, Manifest, connect
from rag.store.vectors import AnnSpec, build_ann, new_vector_index, serialize
from rag.types import DocumentInfo


@dataclass(frozen=True)
class PendingChunk:
    ordinal: int
    text: str
    search_text: str
    tokens: list[str]
    section: str
    kind: str
    start: int
    end: int


@dataclass
class PendingDoc:
    """A document ready to be written: its chunks and (once embedded) their vectors, row for row."""

    info: DocumentInfo
    content_sha: str
    text: str
    chunks: list[PendingChunk]
    vectors: np.ndarray

    @property
    def doc_id(self) -> str:
        return self.info.doc_id


def manifest_meta(m: Manifest) -> dict[str, str]:
    return {"identity": m.identity, "embed_model": m.embed_model, "dim": str(m.dim),
            "normalizer_version": m.normalizer_version, "chunker_version": m.chunker_version,
            "settings": json.dumps(m.settings, ensure_ascii=False, sort_keys=True)}


# What a commit writes inside its transaction: the new generation's meta rows, HNSW index,
# keyword index and vector index.
CommitBody = Callable[[sqlite3.Connection, int, list[Path]], tuple[dict[str, str], Any, BM25Index, Any]]


class StoreWriter:
    """Exclusive writer: stage removals and additions, then ``commit()`` them atomically.

    ``rebuild=True`` opens a store built with other settings, to rebuild it with
    :meth:`replace_chunks` (`rag reindex`); anything else is refused on such a store."""

    def __init__(self, path: Path, manifest: Manifest, ann: AnnSpec | None = None, rebuild: bool = False) -> None:
        self.path = path
        self.manifest = manifest
        self.ann = ann
        self.rebuild = rebuild
        self.rebuild_ann = False
        self._lock: Any = None
        self.store: Store | None = None
        self._remove: set[str] = set()
        self._add: list[PendingDoc] = []
        self._files: dict[str, str] = {}
        self._forget_files: set[str] = set()

    def __enter__(self) -> StoreWriter:
        from filelock import FileLock, Timeout

        self.path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        lock = FileLock(str(self.path / ".lock"), mode=PRIVATE_FILE)
        try:
            lock.acquire(timeout=0)
        except Timeout as exc:
            raise StoreLockedError(f"store {self.path} is locked: another `rag` process is writing to it; "
                                   "wait for it to finish (or stop it) and try again") from exc
        self._lock = lock
        try:
            db = self.path / Store.DB
            fresh = not db.exists()
            try:
                conn = connect(db, writer=True)
                conn.executescript(SCHEMA)
                if fresh or not conn.execute("SELECT 1 FROM meta WHERE key='identity'").fetchone():
                    self._init_meta(conn)
                conn.close()
            except sqlite3.DatabaseError as exc:
                raise StoreCorruptError(f"chunk store {db} is damaged ({exc}); run `rag doctor --store "
                                        f"{self.path}`") from exc
            self.store = Store(self.path)  # also makes the store (and the new database) owner-only
            if not self.rebuild:
                self.store.check_identity(self.manifest)
            self._remove_stale_files()
        except BaseException:
            lock.release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.store is not None:
            self.store.close()
        if self._lock is not None:
            self._lock.release()

    def _init_meta(self, conn: sqlite3.Connection) -> None:
        values = {**manifest_meta(self.manifest), "schema": SCHEMA_VERSION, "generation": "0",
                  "created": str(time.time())}
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", values.items())
        conn.execute("COMMIT")

    def _remove_stale_files(self) -> None:
        """Delete the files of generations no reader holds (without flock: all but the last two)."""
        store = self._open()
        holds = Holds(self.path)
        held = holds.held()
        keep_gens = {store.generation} | (held if held is not None else {store.generation - 1})
        keep = {f(g).name for f in (store.vector_file, store.bm25_file, store.ann_file) for g in keep_gens}
        for item in self.path.iterdir():
            if item.name.startswith(("vectors.", "bm25.", "ann.")) and item.name not in keep:
                item.unlink(missing_ok=True)
        if holds.dir.is_dir():
            for item in holds.dir.iterdir():
                if item.name.isdigit() and int(item.name) not in keep_gens:
                    holds.forget(int(item.name))

    def _open(self) -> Store:
        if self.store is None:
            raise StoreError(f"store {self.path} is not open for writing (use StoreWriter as a context manager)")
        return self.store

    # -- staging -----------------------------------------------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        return self._open().conn

    def known(self, key: str) -> tuple[str, str] | None:
        """(doc_id, content_sha) of the committed document with this key."""
        row = self.conn.execute("SELECT doc_id, content_sha FROM documents WHERE key=?", (key,)).fetchone()
        return (row[0], row[1]) if row else None

    def file_signature(self, path: str) -> str | None:
        row = self.conn.execute("SELECT signature FROM files WHERE path=?", (path,)).fetchone()
        return row[0] if row else None

    def keys_for_file(self, file: str) -> dict[str, str]:
        return dict(self.conn.execute("SELECT key, doc_id FROM documents WHERE file=?", (file,)).fetchall())

    def all_files(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT DISTINCT file FROM documents")]

    def stage_remove(self, doc_id: str) -> None:
        self._remove.add(doc_id)

    def stage_add(self, doc: PendingDoc) -> None:
        self._add.append(doc)

    def stage_file(self, path: str, signature: str) -> None:
        self._files[path] = signature

    def stage_forget_file(self, path: str) -> None:
        self._forget_files.add(path)

    @property
    def pending(self) -> int:
        return len(self._remove) + len(self._add) + len(self._files) + len(self._forget_files)

    # -- commit ------------------------------------------------------------------------------------
    def commit(self, rebuilt_bm25: BM25Index | None = None) -> None:
        """Apply staged changes: one SQLite transaction, new generation files, then the switch.

        ``rebuilt_bm25`` replaces the keyword index wholesale (repair); the vector index in memory
        is written as it stands, so a repaired one is committed too.
        """
        store = self._open()
        if not self.pending and rebuilt_bm25 is None:
            return
        if self.rebuild:
            raise StoreError(f"store {self.path} is open for a rebuild: only replace_chunks() may commit")

        def body(conn: sqlite3.Connection, gen: int, written: list[Path]) -> tuple[dict[str, str], Any,
                                                                                    BM25Index, Any]:
            bm25 = store.bm25() if rebuilt_bm25 is None else rebuilt_bm25
            removed_ids, added = self._write_rows(conn)
            vectors = store.vectors
            if removed_ids:
                vectors.remove_ids(np.fromiter(removed_ids, dtype=np.int64))
            if added:
                ids = np.asarray([i for i, _ in added], dtype=np.int64)
                vecs = np.ascontiguousarray(np.vstack([d.vectors for d in self._add]), dtype=np.float32)
                vectors.add_with_ids(vecs, ids)
            new_bm25 = rebuilt_bm25 if rebuilt_bm25 is not None else bm25.with_changes(removed_ids, added)
            meta, ann = self._write_files(store, gen, vectors, new_bm25, removed_ids, [i for i, _ in added],
                                          written)
            return meta, ann, new_bm25, vectors

        self._apply(body)
        self._remove.clear()
        self._add.clear()
        self._files.clear()
        self._forget_files.clear()

    def replace_chunks(self, manifest: Manifest, batches: Iterable[list[PendingDoc]]) -> int:
        """Replace every chunk, vector and keyword row by those of ``batches`` (the stored documents
        re-chunked and re-embedded; their document rows and the file signatures stay), and the
        manifest by ``manifest``, in one transaction: killed at any point, the store is the old one.
        ``batches`` may read the documents through :attr:`conn`. Returns the documents done."""
        store = self._open()
        done = 0

        def body(conn: sqlite3.Connection, gen: int, written: list[Path]) -> tuple[dict[str, str], Any,
                                                                                    BM25Index, Any]:
            nonlocal done
            conn.execute("DELETE FROM chunks")
            vectors = new_vector_index(manifest.dim)
            rows: list[tuple[int, list[str]]] = []
            for batch in batches:
                added = self._insert_chunks(conn, batch)
                if added:
                    vectors.add_with_ids(np.ascontiguousarray(np.vstack([d.vectors for d in batch]), dtype=np.float32),
                                         np.asarray([i for i, _ in added], dtype=np.int64))
                rows.extend(added)
                done += len(batch)
            bm25 = BM25Index.empty().with_changes(set(), rows)
            self.rebuild_ann = True
            meta, ann = self._write_files(store, gen, vectors, bm25, set(), [], written)
            return {**meta, **manifest_meta(manifest)}, ann, bm25, vectors

        self._apply(body)
        self.manifest, self.rebuild = manifest, False
        return done

    def _apply(self, body: CommitBody) -> None:
        """Run ``body`` in one transaction that also switches to the new generation; on any error
        the store stays at the old one and the files written for the new one are deleted."""
        store = self._open()
        conn = store.conn
        new_gen = store.generation + 1
        written: list[Path] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            meta, ann, bm25, vectors = body(conn, new_gen, written)
            fsync_dir(self.path)
            conn.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", meta.items())
            conn.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            for done in written:
                done.unlink(missing_ok=True)
                done.with_name(done.name + ".tmp").unlink(missing_ok=True)
            store.forget_loaded()
            if isinstance(exc, OSError):
                raise StoreError(f"writing store {self.path} failed ({exc.strerror or exc}); the store is "
                                 f"unchanged at generation {store.generation}") from exc
            raise
        store.replace_vectors(vectors)
        store.adopt(new_gen, meta, ann, bm25)
        self.rebuild_ann = False
        self._remove_stale_files()

    def _write_rows(self, conn: sqlite3.Connection) -> tuple[set[int], list[tuple[int, list[str]]]]:
        """The staged changes as SQL (inside the open transaction): removed chunk ids, and the
        (new chunk id, tokens) of every added chunk, in the order of their vectors."""
        removed_ids: set[int] = set()
        for doc_id in self._remove:
            removed_ids.update(r[0] for r in conn.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,)))
            conn.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
            conn.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))
        now = time.time()
        for doc in self._add:
            conn.execute(
                "INSERT INTO documents(doc_id, key, file, source, title, date, doc_number, content_sha, text,"
                " ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (*astuple(doc.info), doc.content_sha, doc.text, now))
        added = self._insert_chunks(conn, self._add)
        for path, signature in self._files.items():
            conn.execute("INSERT OR REPLACE INTO files(path, signature) VALUES (?, ?)", (path, signature))
        for path in self._forget_files:
            conn.execute("DELETE FROM files WHERE path=?", (path,))
        return removed_ids, added

    @staticmethod
    def _insert_chunks(conn: sqlite3.Connection, docs: list[PendingDoc]) -> list[tuple[int, list[str]]]:
        """Insert the chunks of ``docs``: (new chunk id, tokens) of each, in the order of their vectors."""
        added: list[tuple[int, list[str]]] = []
        for doc in docs:
            for ch in doc.chunks:
                cur = conn.execute(
                    "INSERT INTO chunks(doc_id, ordinal, text, search_text, tokens, section, kind, start, end_)"
                    " VALUES (?,?,?,?,?,?,?,?,?)",
                    (doc.doc_id, ch.ordinal, ch.text, ch.search_text, " ".join(ch.tokens), ch.section, ch.kind,
                     ch.start, ch.end))
                added.append((int(cur.lastrowid or 0), ch.tokens))
        return added

    def _write_files(self, store: Store, gen: int, vectors: Any, bm25: BM25Index, removed_ids: set[int],
                     added_ids: list[int], written: list[Path]) -> tuple[dict[str, str], Any]:
        """The generation's vector, keyword and (if configured) HNSW files; the meta rows that
        switch to them, and the HNSW index."""
        blob = serialize(vectors)
        for path, data in ((store.vector_file(gen), blob), (store.bm25_file(gen), bm25.to_bytes())):
            written.append(path)
            write_atomic(path, data)
        meta = {"generation": str(gen), "vectors_size": str(len(blob)), "updated": str(time.time())}
        if self.ann is None:
            store.conn.execute("DELETE FROM meta WHERE key='ann_size'")
            return meta, None
        incremental = not removed_ids and not self.rebuild_ann and store.ann is not None
        ann = build_ann(vectors, self.ann, store.ann if incremental else None,
                        np.asarray(added_ids, dtype=np.int64) if incremental else None)
        ann_blob = serialize(ann)
        written.append(store.ann_file(gen))
        write_atomic(store.ann_file(gen), ann_blob)
        meta["ann_size"] = str(len(ann_blob))
        return meta, ann
