"""FAISS files of a store: the exact index (the source of truth) and an HNSW one derived from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import StoreCorruptError


def faiss_module() -> Any:
    import faiss

    return faiss


def vector_ids(index: Any) -> np.ndarray:
    """The chunk ids held by an ``IndexIDMap2``."""
    if index.ntotal == 0:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(faiss_module().vector_to_array(index.id_map), dtype=np.int64)


def new_vector_index(dim: int) -> Any:
    faiss = faiss_module()
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
    inner = faiss_module().downcast_index(index.index)
    return ids, np.asarray(inner.reconstruct_n(0, inner.ntotal), dtype=np.float32)


def build_ann(exact: Any, spec: AnnSpec, previous: Any = None, added: np.ndarray | None = None) -> Any:
    """An HNSW index of the exact one: ``previous`` plus ``added`` ids when nothing was removed
    (HNSW cannot delete), else rebuilt from every vector."""
    faiss = faiss_module()
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


def read_index(path: Path, expected_size: str | None, store: Path) -> Any:
    """The exact vector index in ``path``, checked against the size the store recorded."""
    if not path.exists():
        raise StoreCorruptError(f"vector file {path} is missing; run `rag doctor --store {store}`")
    if expected_size is not None and path.stat().st_size != int(expected_size):
        raise StoreCorruptError(f"vector file {path} has the wrong size (truncated or replaced); "
                                f"run `rag doctor --store {store}`")
    try:
        return faiss_module().deserialize_index(np.fromfile(path, dtype=np.uint8))
    except Exception as exc:
        raise StoreCorruptError(f"vector file {path} is damaged ({exc}); run `rag doctor --store {store}`") from exc


def read_ann(path: Path, expected_size: str | None) -> Any:
    """The HNSW index in ``path``, or None when it is missing, stale or torn (exact search is
    always correct)."""
    if not path.exists() or expected_size is None or path.stat().st_size != int(expected_size):
        return None
    try:
        return faiss_module().deserialize_index(np.fromfile(path, dtype=np.uint8))
    except Exception:
        return None


def serialize(index: Any) -> bytes:
    return bytes(faiss_module().serialize_index(index).tobytes())
