"""The store: SQLite (documents, chunks, manifest) + a FAISS vector file + a BM25 matrix file.

Crash safety: vector and BM25 files are written per *generation* (``vectors.N.faiss``,
``bm25.N.npz``) with tmp + fsync + rename, and the SQLite transaction that changes the chunk rows
also records the new generation. That commit is the single atomic switch: a writer killed at any
point leaves the previous generation intact. `rag reindex` replaces every chunk in one such
transaction. One writer at a time (a lock file). SQLite runs in WAL mode: a reader holds the
generation it reads (``holds``), whose files no writer deletes meanwhile, and each search reads the
rows and index files of one generation (:meth:`Store.snapshot`).

``schema`` holds the tables and durable writes, ``vectors`` the FAISS files, ``holds`` the reader
holds, ``reader`` the :class:`Store`, ``writer`` the :class:`StoreWriter`.
"""

from rag.durable import write_atomic
from rag.errors import StoreCorruptError, StoreError, StoreLockedError, StoreMismatchError
from rag.store.reader import Store
from rag.store.schema import Manifest
from rag.store.vectors import AnnSpec, new_vector_index, vector_ids
from rag.store.writer import PendingChunk, PendingDoc, StoreWriter

__all__ = ["AnnSpec", "Manifest", "PendingChunk", "PendingDoc", "Store", "StoreCorruptError", "StoreError",
           "StoreLockedError", "StoreMismatchError", "StoreWriter", "new_vector_index", "vector_ids",
           "write_atomic"]
