"""The store: SQLite (documents, chunks, manifest) + a FAISS vector file + a BM25 matrix file.

Crash safety: vector and BM25 files are written per *generation* (``vectors.N.faiss``,
``bm25.N.npz``) with tmp + fsync + rename, and the SQLite transaction that changes the chunk rows
also records the new generation. That commit is the single atomic switch: a writer killed at any
point leaves the previous generation, whose files are kept until the next commit, intact.
One writer at a time (a lock file); readers load whatever generation is committed.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.bm25 import BM25Index
from rag.errors import StoreCorruptError, StoreError, StoreLockedError, StoreMismatchError

SCHEMA_VERSION = "1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, signature TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, key TEXT NOT NULL UNIQUE, file TEXT NOT NULL, source TEXT NOT NULL,
    title TEXT NOT NULL, date TEXT, doc_number TEXT, content_sha TEXT NOT NULL, text TEXT NOT NULL,
    ingested_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    ordinal INTEGER NOT NULL, text TEXT NOT NULL, search_text TEXT NOT NULL, tokens TEXT NOT NULL,
    section TEXT NOT NULL, kind TEXT NOT NULL, start INTEGER NOT NULL, end_ INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE INDEX IF NOT EXISTS documents_file ON documents(file);
"""


@dataclass(frozen=True)
class Manifest:
    identity: str
    embed_model: str
    dim: int
    normalizer_version: str
    chunker_version: str
    settings: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class ChunkRecord:
    id: int
    doc_id: str
    ordinal: int
    text: str
    search_text: str
    section: str
    kind: str
    source: str
    title: str
    date: str | None
    key: str
    doc_number: str | None = None


@dataclass
class Filters:
    sources: list[str] = field(default_factory=list)  # file names / record ids, SQL LIKE patterns allowed
    doc_ids: list[str] = field(default_factory=list)
    date_from: str | None = None  # ISO date prefix, inclusive
    date_to: str | None = None
    kind: str | None = None

    def active(self) -> bool:
        return bool(self.sources or self.doc_ids or self.date_from or self.date_to or self.kind)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _faiss() -> Any:
    import faiss

    return faiss


def vector_ids(index: Any) -> np.ndarray:
    """The chunk ids held by an ``IndexIDMap2``."""
    if index.ntotal == 0:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(_faiss().vector_to_array(index.id_map), dtype=np.int64)


def new_vector_index(dim: int) -> Any:
    faiss = _faiss()
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


@dataclass(frozen=True)
class AnnSpec:
    """An approximate (HNSW) index kept next to the exact one, for large stores. The exact index
    stays the source of truth: the HNSW one is derived from it at each commit."""

    m: int = 32
    ef_construction: int = 80


def flat_vectors(index: Any) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) of an ``IndexIDMap2`` over a flat index."""
    ids = vector_ids(index)
    if not len(ids):
        return ids, np.zeros((0, index.d), dtype=np.float32)
    inner = _faiss().downcast_index(index.index)
    return ids, np.asarray(inner.reconstruct_n(0, inner.ntotal), dtype=np.float32)


def build_ann(exact: Any, spec: AnnSpec, previous: Any = None, added: np.ndarray | None = None) -> Any:
    """An HNSW index of the exact one: ``previous`` plus ``added`` ids when nothing was removed
    (HNSW cannot delete), else rebuilt from every vector."""
    faiss = _faiss()
    ids, vectors = flat_vectors(exact)
    if previous is not None and added is not None:
        mask = np.isin(ids, added)
        previous.add_with_ids(np.ascontiguousarray(vectors[mask]), ids[mask])
        return previous
    hnsw = faiss.IndexHNSWFlat(exact.d, spec.m, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = spec.ef_construction
    index = faiss.IndexIDMap(hnsw)
    if len(ids):
        index.add_with_ids(np.ascontiguousarray(vectors), ids)
    return index


class Store:
    """Read access to a committed store generation."""

    DB = "chunks.sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db_path = path / self.DB
        if not self.db_path.exists():
            raise StoreError(f"no store at {path}: run `rag ingest PATH --store {path}` first")
        try:
            self.conn = _connect(self.db_path)
            self.conn.execute("SELECT count(*) FROM chunks").fetchone()
            meta = dict(self.conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            raise StoreCorruptError(f"chunk store {self.db_path} is damaged ({exc}); run `rag doctor "
                                    f"--store {path}` or rebuild it with `rag reindex`") from exc
        self.meta = meta
        self.generation = int(meta.get("generation", "0"))
        self._vectors: Any = None
        self._ann: Any = None
        self._bm25: BM25Index | None = None

    # -- manifest --------------------------------------------------------------------------------
    @property
    def manifest(self) -> Manifest | None:
        if "identity" not in self.meta:
            return None
        return Manifest(self.meta["identity"], self.meta["embed_model"], int(self.meta["dim"]),
                        self.meta["normalizer_version"], self.meta["chunker_version"],
                        json.loads(self.meta.get("settings", "{}")))

    def check_identity(self, expected: Manifest) -> None:
        current = self.manifest
        if current is None or current.identity == expected.identity:
            return
        diffs = []
        for name in ("embed_model", "dim", "normalizer_version", "chunker_version"):
            if getattr(current, name) != getattr(expected, name):
                diffs.append(f"{name}: store {getattr(current, name)!r} vs now {getattr(expected, name)!r}")
        for name, value in expected.settings.items():
            if current.settings.get(name) != value:
                diffs.append(f"{name}: store {current.settings.get(name)!r} vs now {value!r}")
        raise StoreMismatchError(
            f"store {self.path} was built with other settings ({'; '.join(diffs) or 'identity differs'}); "
            f"its vectors cannot be mixed with new ones. Run `rag reindex --store {self.path}` to rebuild "
            "it with the current settings, or go back to the settings it was built with.")

    # -- files -------------------------------------------------------------------------------------
    def vector_file(self, generation: int | None = None) -> Path:
        return self.path / f"vectors.{self.generation if generation is None else generation}.faiss"

    def bm25_file(self, generation: int | None = None) -> Path:
        return self.path / f"bm25.{self.generation if generation is None else generation}.npz"

    @property
    def vectors(self) -> Any:
        if self._vectors is None:
            dim = int(self.meta.get("dim", "0"))
            path = self.vector_file()
            if self.generation == 0:
                self._vectors = new_vector_index(dim or 1)
            else:
                self._vectors = self._read_vectors(path)
        return self._vectors

    def _read_vectors(self, path: Path) -> Any:
        expected = self.meta.get("vectors_size")
        if not path.exists():
            raise StoreCorruptError(f"vector file {path} is missing; run `rag doctor --store {self.path}`")
        if expected is not None and path.stat().st_size != int(expected):
            raise StoreCorruptError(f"vector file {path} has the wrong size (truncated or replaced); "
                                    f"run `rag doctor --store {self.path}`")
        try:
            data = np.fromfile(path, dtype=np.uint8)
            return _faiss().deserialize_index(data)
        except Exception as exc:
            raise StoreCorruptError(f"vector file {path} is damaged ({exc}); run `rag doctor --store "
                                    f"{self.path}`") from exc

    def ann_file(self, generation: int | None = None) -> Path:
        return self.path / f"ann.{self.generation if generation is None else generation}.faiss"

    @property
    def ann(self) -> Any:
        """The HNSW index of this generation, or None (then search is exact)."""
        if self._ann is None:
            path = self.ann_file()
            if self.generation == 0 or not path.exists():
                return None
            expected = self.meta.get("ann_size")
            if expected is None or path.stat().st_size != int(expected):
                return None  # stale or torn: exact search is always correct
            try:
                self._ann = _faiss().deserialize_index(np.fromfile(path, dtype=np.uint8))
            except Exception:
                return None
        return self._ann

    def bm25(self, k1: float = 1.2, b: float = 0.75) -> BM25Index:
        if self._bm25 is None:
            path = self.bm25_file()
            if self.generation == 0:
                self._bm25 = BM25Index.empty()
            elif not path.exists():
                raise StoreCorruptError(f"keyword index {path} is missing; run `rag doctor --store {self.path}`")
            else:
                try:
                    self._bm25 = BM25Index.load(path, k1, b)
                except Exception as exc:
                    raise StoreCorruptError(f"keyword index {path} is damaged ({exc}); run `rag doctor "
                                            f"--store {self.path}`") from exc
        return self._bm25

    # -- queries -----------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        docs = self.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        chunks = self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return {"documents": int(docs), "chunks": int(chunks), "generation": self.generation}

    def chunks(self, ids: list[int]) -> list[ChunkRecord]:
        if not ids:
            return []
        found: dict[int, ChunkRecord] = {}
        for start in range(0, len(ids), 900):
            part = ids[start:start + 900]
            marks = ",".join("?" * len(part))
            rows = self.conn.execute(
                "SELECT c.id, c.doc_id, c.ordinal, c.text, c.search_text, c.section, c.kind, d.source, d.title,"
                f" d.date, d.key, d.doc_number FROM chunks c JOIN documents d USING(doc_id) WHERE c.id IN ({marks})", part)
            for row in rows:
                found[row[0]] = ChunkRecord(*row)
        return [found[i] for i in ids if i in found]

    def doc_ids(self, chunk_ids: list[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        for start in range(0, len(chunk_ids), 900):
            part = chunk_ids[start:start + 900]
            rows = self.conn.execute(f"SELECT id, doc_id FROM chunks WHERE id IN ({','.join('?' * len(part))})", part)
            out.update(rows.fetchall())
        return out

    def allowed_ids(self, filters: Filters) -> np.ndarray:
        clauses, args = [], []
        if filters.sources:
            parts = []
            for pattern in filters.sources:
                parts.append("d.source LIKE ?" if any(c in pattern for c in "%_*") else "d.source = ?")
                args.append(pattern.replace("*", "%"))
            clauses.append("(" + " OR ".join(parts) + ")")
        if filters.doc_ids:
            clauses.append(f"d.doc_id IN ({','.join('?' * len(filters.doc_ids))})")
            args.extend(filters.doc_ids)
        if filters.date_from:
            clauses.append("d.date >= ?")
            args.append(filters.date_from)
        if filters.date_to:
            clauses.append("d.date <= ?")
            args.append(filters.date_to + "\uffff")
        if filters.kind:
            clauses.append("c.kind = ?")
            args.append(filters.kind)
        where = " AND ".join(clauses) or "1"
        rows = self.conn.execute(f"SELECT c.id FROM chunks c JOIN documents d USING(doc_id) WHERE {where}", args)
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def documents(self) -> list[dict[str, Any]]:
        fields = ("doc_id", "key", "file", "source", "title", "date", "doc_number")
        rows = self.conn.execute(f"SELECT {', '.join(fields)} FROM documents ORDER BY key")
        return [dict(zip(fields, r, strict=True)) for r in rows]

    def document_chunks(self, doc_id: str) -> list[ChunkRecord]:
        rows = self.conn.execute("SELECT id FROM chunks WHERE doc_id=? ORDER BY ordinal", (doc_id,))
        return self.chunks([r[0] for r in rows])

    def document_text(self, doc_id: str) -> str | None:
        row = self.conn.execute("SELECT text FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        self.conn.close()


@dataclass
class _PendingDoc:
    doc_id: str
    key: str
    file: str
    source: str
    title: str
    date: str | None
    doc_number: str | None
    content_sha: str
    text: str
    chunks: list[dict[str, Any]]  # ordinal, text, search_text, tokens, section, kind, start, end
    vectors: np.ndarray


class StoreWriter:
    """Exclusive writer: stage removals and additions, then ``commit()`` them atomically."""

    def __init__(self, path: Path, manifest: Manifest, ann: AnnSpec | None = None) -> None:
        self.path = path
        self.manifest = manifest
        self.ann = ann
        self.rebuild_ann = False
        self._lock: Any = None
        self.store: Store | None = None
        self._remove: set[str] = set()
        self._add: list[_PendingDoc] = []
        self._files: dict[str, str] = {}
        self._forget_files: set[str] = set()

    def __enter__(self) -> StoreWriter:
        from filelock import FileLock, Timeout

        self.path.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.path / ".lock"))
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
                conn = _connect(db)
                conn.executescript(_SCHEMA)
                if fresh or not conn.execute("SELECT 1 FROM meta WHERE key='identity'").fetchone():
                    self._init_meta(conn)
                conn.close()
            except sqlite3.DatabaseError as exc:
                raise StoreCorruptError(f"chunk store {db} is damaged ({exc}); run `rag doctor --store "
                                        f"{self.path}`") from exc
            self.store = Store(self.path)
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
        m = self.manifest
        values = {"identity": m.identity, "embed_model": m.embed_model, "dim": str(m.dim),
                  "normalizer_version": m.normalizer_version, "chunker_version": m.chunker_version,
                  "settings": json.dumps(m.settings, ensure_ascii=False, sort_keys=True),
                  "schema": SCHEMA_VERSION, "generation": "0", "created": str(time.time())}
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", values.items())
        conn.execute("COMMIT")

    def _remove_stale_files(self) -> None:
        assert self.store is not None
        gen = self.store.generation
        keep = {f(g).name for f in (self.store.vector_file, self.store.bm25_file, self.store.ann_file)
                for g in (gen, gen - 1)}
        for item in self.path.iterdir():
            if item.name.startswith(("vectors.", "bm25.", "ann.")) and item.name not in keep:
                item.unlink(missing_ok=True)

    # -- staging -----------------------------------------------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        assert self.store is not None
        return self.store.conn

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

    def stage_add(self, doc: _PendingDoc) -> None:
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
        store = self.store
        assert store is not None
        if not self.pending and rebuilt_bm25 is None:
            return
        conn = store.conn
        vectors = store.vectors
        bm25 = store.bm25() if rebuilt_bm25 is None else rebuilt_bm25
        new_gen = store.generation + 1
        written: list[Path] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            removed_ids: set[int] = set()
            for doc_id in self._remove:
                removed_ids.update(r[0] for r in conn.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,)))
                conn.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
                conn.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))
            added: list[tuple[int, list[str]]] = []
            new_vectors: list[np.ndarray] = []
            now = time.time()
            for doc in self._add:
                conn.execute(
                    "INSERT INTO documents(doc_id, key, file, source, title, date, doc_number, content_sha, text,"
                    " ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (doc.doc_id, doc.key, doc.file, doc.source, doc.title, doc.date, doc.doc_number,
                     doc.content_sha, doc.text, now))
                for ch in doc.chunks:
                    cur = conn.execute(
                        "INSERT INTO chunks(doc_id, ordinal, text, search_text, tokens, section, kind, start, end_)"
                        " VALUES (?,?,?,?,?,?,?,?,?)",
                        (doc.doc_id, ch["ordinal"], ch["text"], ch["search_text"], " ".join(ch["tokens"]),
                         ch["section"], ch["kind"], ch["start"], ch["end"]))
                    added.append((int(cur.lastrowid or 0), ch["tokens"]))
                new_vectors.append(doc.vectors)
            for path, signature in self._files.items():
                conn.execute("INSERT OR REPLACE INTO files(path, signature) VALUES (?, ?)", (path, signature))
            for path in self._forget_files:
                conn.execute("DELETE FROM files WHERE path=?", (path,))

            if removed_ids:
                vectors.remove_ids(np.fromiter(removed_ids, dtype=np.int64))
            if added:
                ids = np.asarray([i for i, _ in added], dtype=np.int64)
                vecs = np.ascontiguousarray(np.vstack(new_vectors), dtype=np.float32)
                vectors.add_with_ids(vecs, ids)
            new_bm25 = rebuilt_bm25 if rebuilt_bm25 is not None else bm25.with_changes(removed_ids, added)

            vec_path, bm_path = store.vector_file(new_gen), store.bm25_file(new_gen)
            blob = _faiss().serialize_index(vectors).tobytes()
            written.append(vec_path)
            write_atomic(vec_path, blob)
            written.append(bm_path)
            write_atomic(bm_path, new_bm25.to_bytes())
            meta = [("generation", str(new_gen)), ("vectors_size", str(len(blob))), ("updated", str(time.time()))]
            ann = None
            if self.ann is not None:
                incremental = not removed_ids and not self.rebuild_ann and store.ann is not None
                ann = build_ann(vectors, self.ann, store.ann if incremental else None,
                                np.asarray([i for i, _ in added], dtype=np.int64) if incremental else None)
                ann_blob = _faiss().serialize_index(ann).tobytes()
                ann_path = store.ann_file(new_gen)
                written.append(ann_path)
                write_atomic(ann_path, ann_blob)
                meta.append(("ann_size", str(len(ann_blob))))
            else:
                conn.execute("DELETE FROM meta WHERE key='ann_size'")
            _fsync_dir(self.path)
            conn.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", meta)
            conn.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            for done in written:
                done.unlink(missing_ok=True)
                done.with_name(done.name + ".tmp").unlink(missing_ok=True)
            store._vectors = None
            store._ann = None
            store._bm25 = None
            if isinstance(exc, OSError):
                raise StoreError(f"writing store {self.path} failed ({exc.strerror or exc}); the store is "
                                 f"unchanged at generation {store.generation}") from exc
            raise
        store.generation = new_gen
        store.meta["generation"] = str(new_gen)
        store.meta["vectors_size"] = str(len(blob))
        store.meta.update(meta)
        if ann is None:
            store.meta.pop("ann_size", None)
        store._ann = ann
        self.rebuild_ann = False
        store._bm25 = new_bm25
        self._remove.clear()
        self._add.clear()
        self._files.clear()
        self._forget_files.clear()
        self._remove_stale_files()
