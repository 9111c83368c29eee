"""The SQLite side of a store: its tables, its manifest (what the vectors were built with), and
its connections."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
