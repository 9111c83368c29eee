"""Every answer, kept: a SQLite log in $RAG_HOME (``rag log``), and the Markdown a user hands on.

One row per answer from ``ask``, ``chat`` and ``summarize``: the question as typed and as searched,
the answer with its marks, the verification outcome, the citations with chunk ids and the quoted
passage text, model, store identity, timings and time. The log is the user's record, so a write
that fails is reported and never stops an answer.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.errors import RagError
from rag.private import private_file

if TYPE_CHECKING:
    from rag.answer import AnswerResult
    from rag.schemas import SummaryRecord

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, command TEXT NOT NULL,
    conversation TEXT NOT NULL DEFAULT '', question TEXT NOT NULL, searched TEXT NOT NULL,
    answer TEXT NOT NULL, refused INTEGER NOT NULL, outcome TEXT NOT NULL, model TEXT NOT NULL,
    store TEXT NOT NULL, citations TEXT NOT NULL, timings TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS answers_time ON answers(time);
"""


class LogError(RagError):
    """The answer log cannot be read or written."""


@dataclass(frozen=True)
class Cited:
    n: int
    source: str
    title: str
    section: str
    chunk_id: int
    text: str


@dataclass(frozen=True)
class Entry:
    id: int
    time: float
    command: str
    conversation: str
    question: str
    searched: str
    answer: str
    refused: bool
    outcome: str
    model: str
    store: str
    citations: list[Cited] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "time": self.time, "command": self.command, "conversation": self.conversation,
                "question": self.question, "searched": self.searched, "answer": self.answer,
                "refused": self.refused, "outcome": self.outcome, "model": self.model, "store": self.store,
                "citations": [c.__dict__ for c in self.citations], "timings": self.timings}


def citations_of(result: AnswerResult) -> list[Cited]:
    return [Cited(n, c.source, c.title, c.section, c.id, c.text) for n, c in result.cited_chunks()]


def entry_of(result: AnswerResult, command: str, store: str = "", question: str | None = None,
             conversation: str = "", entry_id: int = 0) -> Entry:
    outcome = "refused" if result.refused else result.verification.outcome if result.verification else "unverified"
    return Entry(entry_id, time.time(), command, conversation, question or result.question, result.question,
                 result.answer, result.refused, outcome, result.model, store, citations_of(result),
                 {k: round(v, 3) for k, v in result.timings.items()})


class AnswerLog:
    FILE = "log.sqlite"

    def __init__(self, home: Path) -> None:
        self.path = home / self.FILE

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(str(private_file(self.path)), timeout=10)
            conn.executescript(_SCHEMA)
            return conn
        except (OSError, sqlite3.Error) as exc:
            raise LogError(f"answer log {self.path} cannot be opened ({exc})") from exc

    def record(self, result: AnswerResult, command: str, store: str, question: str | None = None,
               conversation: str = "") -> int:
        """Log one answer; ``question`` is what the user typed when it differs from what was searched."""
        e = entry_of(result, command, store, question, conversation)
        row = (e.time, e.command, e.conversation, e.question, e.searched, e.answer, int(e.refused), e.outcome,
               e.model, e.store, json.dumps([c.__dict__ for c in e.citations], ensure_ascii=False),
               json.dumps(e.timings))
        return self._insert(row)

    def record_summary(self, record: SummaryRecord, markdown: str, store: str) -> int:
        """Log one document's summary (its Markdown, with the chunk each item cites)."""
        v = record.verification
        outcome = "failed" if record.errors else "corrected" if (v.corrected or v.dropped) else "verified"
        row = (time.time(), "summarize", "", f"摘要：{record.title or record.source}", record.source, markdown,
               int(bool(record.errors)), outcome, record.model, store, "[]",
               json.dumps({"summarize": round(record.seconds, 3)}))
        return self._insert(row)

    def _insert(self, row: tuple[object, ...]) -> int:
        conn = self._connect()
        try:
            with conn:
                cur = conn.execute("INSERT INTO answers(time, command, conversation, question, searched, answer, "
                                   "refused, outcome, model, store, citations, timings) "
                                   "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", row)
            return int(cur.lastrowid or 0)
        except sqlite3.Error as exc:
            raise LogError(f"answer log {self.path}: cannot write ({exc})") from exc
        finally:
            conn.close()

    def entries(self, limit: int = 20, search: str = "", since: float | None = None,
                ids: list[int] | None = None) -> list[Entry]:
        """Newest first."""
        if not self.path.exists():
            return []
        where: list[str] = ["1"]
        args: list[str | float | int] = []
        if search:
            where.append("(question LIKE ? OR searched LIKE ? OR answer LIKE ?)")
            args += [f"%{search}%"] * 3
        if since is not None:
            where.append("time >= ?")
            args.append(since)
        if ids:
            where.append(f"id IN ({','.join('?' * len(ids))})")
            args += ids
        sql = f"SELECT * FROM answers WHERE {' AND '.join(where)} ORDER BY id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        conn = self._connect()
        try:
            rows = conn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise LogError(f"answer log {self.path} cannot be read ({exc})") from exc
        finally:
            conn.close()
        return [Entry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), r[8], r[9], r[10],
                      [Cited(**c) for c in json.loads(r[11])], json.loads(r[12])) for r in rows]

    def get(self, entry_id: int) -> Entry:
        found = self.entries(limit=1, ids=[entry_id])
        if not found:
            raise LogError(f"no answer {entry_id} in the log {self.path}")
        return found[0]


def to_markdown(entries: list[Entry]) -> str:
    """Questions and answers with their inline citations, each followed by its numbered sources
    (document, section, the quoted passage): readable when pasted into a report."""
    parts = []
    for e in entries:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.time))
        lines = [f"## 问：{e.question}", ""]
        if e.searched != e.question:
            lines += [f"（按“{e.searched}”检索）", ""]
        lines += [e.answer, ""]
        if e.citations:
            lines.append("来源：")
            lines.append("")
            for c in e.citations:
                where = " · ".join(x for x in (f"《{c.title}》" if c.title else "", c.source, c.section) if x)
                lines.append(f"[{c.n}] {where}")
                lines.append("")
                lines += [f"> {line}" for line in c.text.strip().splitlines() if line.strip()]
                lines.append("")
        lines.append(f"*{when} · {e.outcome} · {e.model}*")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def log_answer(home: Path, result: AnswerResult, command: str, store: str, question: str | None = None,
               conversation: str = "") -> str | None:
    """Record ``result``; a warning to show when the log cannot be written (the answer stands)."""
    try:
        AnswerLog(home).record(result, command, store, question, conversation)
    except LogError as exc:
        return f"not logged: {exc}"
    return None
