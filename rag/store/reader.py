"""Read access to the committed generation of a store."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from rag.bm25 import BM25Index
from rag.errors import StoreCorruptError, StoreError, StoreMismatchError
from rag.private import make_private
from rag.store.holds import Holds
from rag.store.schema import Manifest, connect
from rag.store.vectors import new_vector_index, read_ann, read_index
from rag.types import ChunkRecord, DocumentInfo, Filters

_DOC_FIELDS = ("doc_id", "key", "file", "source", "title", "date", "doc_number")


class Store:
    """Read access to one committed generation of a store, which it holds (its files are not
    deleted while it is open); its indexes load on first use. :meth:`snapshot` moves to the newest
    generation and keeps the SQLite rows and the index files of one generation together."""

    DB = "chunks.sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db_path = path / self.DB
        if not self.db_path.exists():
            raise StoreError(f"no store at {path}: run `rag ingest PATH --store {path}` first")
        make_private(path)
        self.meta: dict[str, str] = {}
        self.generation = -1
        self._holds = Holds(path)
        self._hold: int | None = None
        self._expected: Manifest | None = None
        self._vectors: Any = None
        self._ann: Any = None
        self._bm25: BM25Index | None = None
        self._dated: dict[tuple[int, tuple[str, ...]], np.ndarray] = {}
        try:
            self.conn = connect(self.db_path)
            self.conn.execute("SELECT count(*) FROM chunks").fetchone()
            self._pin_newest()
        except sqlite3.DatabaseError as exc:
            raise StoreCorruptError(f"chunk store {self.db_path} is damaged ({exc}); run `rag doctor "
                                    f"--store {path}` or rebuild it with `rag reindex`") from exc

    # -- generations -------------------------------------------------------------------------------
    def _read_meta(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT key, value FROM meta").fetchall())

    def _pin_newest(self) -> bool:
        """Hold the committed generation (read again once held: a writer may have moved on and
        deleted it in between) and drop indexes loaded from an older one; whether it moved."""
        for _ in range(100):
            meta = self._read_meta()
            gen = int(meta.get("generation", "0"))
            if gen == self.generation:
                self.meta = meta
                return False
            hold = self._holds.acquire(gen)
            meta = self._read_meta()
            if int(meta.get("generation", "0")) == gen:
                self._holds.release(self._hold)
                self._hold, self.generation, self.meta = hold, gen, meta
                self.forget_loaded()
                return True
            self._holds.release(hold)
        raise StoreError(f"store {self.path} changes faster than it can be read; try again")

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Move to the newest committed generation and read it consistently: the SQLite rows read
        inside are those of the generation whose vector and keyword files are used (a commit
        meanwhile is seen by the next snapshot)."""
        if self.conn.in_transaction:  # nested: the outer snapshot already pins one generation
            yield
            return
        moved = False
        for _ in range(100):
            moved = self._pin_newest() or moved
            self.conn.execute("BEGIN")
            if int(self._read_meta().get("generation", "0")) == self.generation:
                break
            self.conn.execute("COMMIT")
        try:
            if moved and self._expected is not None:
                self.check_identity(self._expected)
            yield
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    # -- manifest --------------------------------------------------------------------------------
    @property
    def manifest(self) -> Manifest | None:
        if "identity" not in self.meta:
            return None
        return Manifest(self.meta["identity"], self.meta["embed_model"], int(self.meta["dim"]),
                        self.meta["normalizer_version"], self.meta["chunker_version"],
                        json.loads(self.meta.get("settings", "{}")))

    def check_identity(self, expected: Manifest) -> None:
        """Refuse a store built with other settings (checked again whenever a snapshot moves to
        a new generation: `rag reindex` may have rebuilt it meanwhile)."""
        self._expected = expected
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

    def ann_file(self, generation: int | None = None) -> Path:
        return self.path / f"ann.{self.generation if generation is None else generation}.faiss"

    @property
    def vectors(self) -> Any:
        if self._vectors is None:
            if self.generation == 0:
                self._vectors = new_vector_index(int(self.meta.get("dim", "0")) or 1)
            else:
                self._vectors = read_index(self.vector_file(), self.meta.get("vectors_size"), self.path)
        return self._vectors

    @property
    def ann(self) -> Any:
        """The HNSW index of this generation, or None (then search is exact)."""
        if self._ann is None and self.generation:
            self._ann = read_ann(self.ann_file(), self.meta.get("ann_size"))
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

    def replace_vectors(self, vectors: Any) -> None:
        """Use ``vectors`` (a repaired index) as this store's; the next commit writes it."""
        self._vectors = vectors

    def adopt(self, generation: int, meta: dict[str, str], ann: Any, bm25: BM25Index) -> None:
        """Take on the generation a writer just committed, with the indexes it holds in memory."""
        hold = self._holds.acquire(generation)
        self._holds.release(self._hold)
        self._hold = hold
        self.generation = generation
        self.meta.update(meta)
        if ann is None:
            self.meta.pop("ann_size", None)
        self._ann, self._bm25 = ann, bm25

    def forget_loaded(self) -> None:
        """Drop the indexes held in memory (a failed commit may have changed them)."""
        self._vectors = self._ann = self._bm25 = None

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
        clauses: list[str] = []
        args: list[str] = []
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

    def chunk_ids_of_years(self, years: list[str]) -> np.ndarray:
        """Chunks of the documents whose title or file name names one of ``years`` ("2023年…政府工作报告"),
        or that are dated in it while most dated documents are not (a folder of one year's notices, all
        dated in it, is not told apart by it), leaving out a section headed by other years only: "一、2019年
        主要工作" of "…2019年工作总结及2020年工作思路" is not of 2020. Kept for the generation read."""
        key = (self.generation, tuple(sorted(years)))
        if key not in self._dated:
            if len(self._dated) > 64 or any(g != self.generation for g, _ in self._dated):
                self._dated.clear()
            of_doc, args = [], []
            for year in key[1]:
                in_year, dated = self.conn.execute(
                    "SELECT count(*) FILTER (WHERE date LIKE ?), count(date) FROM documents", (year + "%",)).fetchone()
                of_doc.append("instr(d.title, ?) > 0 OR instr(d.source, ?) > 0"
                              + (" OR d.date LIKE ?" if 2 * in_year <= dated else ""))
                args += [year, year, year + "%"][:3 if 2 * in_year <= dated else 2]
            headed = " OR ".join(["c.section NOT GLOB '*[12][0-9][0-9][0-9]年*'", *["instr(c.section, ?) > 0"] * len(key[1])])
            rows = self.conn.execute("SELECT c.id FROM chunks c JOIN documents d USING(doc_id) "
                                     f"WHERE ({' OR '.join(of_doc)}) AND ({headed})", [*args, *key[1]])
            self._dated[key] = np.fromiter((r[0] for r in rows), dtype=np.int64)
        return self._dated[key]

    def documents(self) -> list[DocumentInfo]:
        rows = self.conn.execute(f"SELECT {', '.join(_DOC_FIELDS)} FROM documents ORDER BY key")
        return [DocumentInfo(*r) for r in rows]

    def document_chunks(self, doc_id: str) -> list[ChunkRecord]:
        rows = self.conn.execute("SELECT id FROM chunks WHERE doc_id=? ORDER BY ordinal", (doc_id,))
        return self.chunks([r[0] for r in rows])

    def document_text(self, doc_id: str) -> str | None:
        row = self.conn.execute("SELECT text FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        self.conn.close()
        self._holds.release(self._hold)
        self._hold = None
