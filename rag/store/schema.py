"""The SQLite side of a store: its tables, its manifest (what the vectors were built with), and
the durable-write helpers every store file goes through."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.private import PRIVATE_FILE

SCHEMA_VERSION = "1"
SCHEMA = """
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


def connect(path: Path, writer: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode; transactions are explicit. The writer puts the database in
    WAL mode (it persists in the file), so readers keep reading their snapshot while it commits."""
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    if writer:
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
