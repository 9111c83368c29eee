"""The records that cross module boundaries: passages, documents, filters, hits, figures, eval
items and records. A module can take or return them without importing the module that makes them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

OUTLINE_ID = -1  # the id of a section's outline made for a question; no stored chunk has it


@dataclass
class ChunkRecord:
    """One chunk of a document as stored, with its document's title, date, 文号."""

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

    @property
    def is_outline(self) -> bool:
        """A section's outline made for a question (:mod:`rag.outline`), not a stored chunk."""
        return self.id == OUTLINE_ID

    @property
    def named_title(self) -> str:
        """The document's title, or "" when it is only its file name: scraped notices are often
        named by a hash, and the title is what tells a reader which document it is."""
        return self.title if self.title and self.title != PurePath(self.source).stem else ""


@dataclass
class Filters:
    sources: list[str] = field(default_factory=list)  # file names / record ids, SQL LIKE patterns allowed
    doc_ids: list[str] = field(default_factory=list)
    date_from: str | None = None  # ISO date prefix, inclusive
    date_to: str | None = None
    kind: str | None = None

    def active(self) -> bool:
        return bool(self.sources or self.doc_ids or self.date_from or self.date_to or self.kind)


@dataclass(frozen=True)
class DocumentInfo:
    """A document of the store (without its text)."""

    doc_id: str
    key: str
    file: str
    source: str
    title: str
    date: str | None
    doc_number: str | None


@dataclass
class Hit:
    rank: int
    chunk: ChunkRecord
    score: float
    dense_rank: int | None = None
    bm25_rank: int | None = None
    rerank_score: float | None = None

    def as_dict(self) -> dict[str, object]:
        c = self.chunk
        return {"rank": self.rank, "source": c.source, "doc_id": c.doc_id, "chunk_id": c.id,
                "section": c.section, "kind": c.kind, "title": c.title, "date": c.date,
                "text": c.text, "score": round(self.score, 6), "dense_rank": self.dense_rank,
                "bm25_rank": self.bm25_rank, "rerank_score": self.rerank_score, "outline": c.is_outline}


@dataclass(frozen=True)
class QuestionTerms:
    """The question's content terms, each weighted by its rarity in the store (IDF): what a passage
    must contain to be about the question rather than its topic."""

    weights: dict[str, float]

    @cached_property
    def _groups(self) -> list[tuple[float, float, list[tuple[str, float]]]]:
        """The terms grouped under the longest term holding them (医护 护人 人员 under 医护人员: the
        keyword index's overlapping pieces of one word), each group weighing as its weightiest term,
        so a compound counts once, not once per piece."""
        heads: dict[str, list[tuple[str, float]]] = {}
        for tok in sorted(self.weights, key=lambda t: (-len(t), t)):
            head = next((h for h in heads if tok in h), tok)
            heads.setdefault(head, []).append((tok, self.weights[tok]))
        return [(max(w for _, w in m), sum(w for _, w in m), m) for m in heads.values()]

    def coverage(self, text: str) -> float:
        total = sum(top for top, _, _ in self._groups)
        if not total:
            return 1.0
        text = text.lower()  # the terms are the keyword index's, lower-cased ("2h" of 翼龙—2H)
        held = [(top, whole, sum(w for tok, w in m if tok in text)) for top, whole, m in self._groups]
        return sum(top if part == whole else top * part / whole for top, whole, part in held if part) / total


# --- figures (parsed by rag.figures) ----------------------------------------------------------------

FigureKind = Literal["number", "percent", "date", "year"]
# units that count the same things: "56人" backs "56名", never "56家"
_UNIT_GROUPS = [
    {"人", "名", "位", "人次"},
    {"个", "家", "所", "项", "件", "宗", "份", "张", "条", "场", "次", "台", "户", "批", "期", "篇", "座", "栋", "间",
     "套", "辆", "支", "例", "起", "类", "种", "届", "处", "只", "部", "本", "册", "首", "块", "株", "艘", "架", "列",
     "趟", "班", "室", "层", "级", "轮", "段"},
    {"日", "天"},
    {"月", "个月"},
    {"元", "元钱"},
    {"个百分点", "百分点"},
    {"公里", "千米"},
    {"公斤", "千克"},
]


@dataclass(frozen=True)
class Figure:
    """One figure of a text. ``low``/``high`` carry the value with its magnitude applied (equal
    unless a range); for a date they are the day (0 when only the month is given)."""

    kind: FigureKind
    low: float
    high: float
    unit: str
    text: str
    start: int
    end: int
    month: int = 0
    approx: bool = False

    def matches(self, other: Figure) -> bool:
        """Does ``other`` (in a passage) state this figure (in an answer)?"""
        if self.kind == "date" or other.kind == "date":
            if self.kind != other.kind or self.month != other.month:
                return False
            if not self.low:
                return True  # "7月" is backed by any 7月 date
            return bool(other.low) and other.low <= self.low and self.high <= other.high
        if self.kind == "year" or other.kind == "year":
            bare = other if self.kind == "year" else self
            if bare.kind not in ("year", "number") or (bare.kind == "number" and bare.unit):
                return False
            return _same(self.low, other.low) and _same(self.high, other.high)  # 2024 is not "2020-2025"
        if self.kind != other.kind:
            return False
        if self.kind == "number" and max(self.low, other.low) >= 1e9 and _IDENT.fullmatch(self.text) and _IDENT.fullmatch(other.text):
            # account and telephone numbers beyond float precision: digit for digit
            return _digits(self.text) == _digits(other.text)
        return _same(self.low, other.low) and _same(self.high, other.high) and units_compatible(self.unit, other.unit)

    def same_metric_kind(self, other: Figure) -> bool:
        """Could ``other`` be another value of the same kind of quantity (for "资料为…")?"""
        if self.kind != other.kind:
            return False
        if self.kind == "number":
            return bool(self.unit) and units_compatible(self.unit, other.unit) and bool(other.unit)
        return True


def _same(a: float, b: float) -> bool:
    # float error only: 2.8亿 is 2.8 * 1e8, while 7712818453 and 7712818455 are two numbers
    return abs(a - b) <= max(1e-9, 1e-12 * max(abs(a), abs(b)))


_IDENT = re.compile(r"[\d—–-]+")


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def units_compatible(a: str, b: str) -> bool:
    if a == b:
        return True
    if not a or not b:
        return a not in ("%", "‰") and b not in ("%", "‰")
    return any(a in g and b in g for g in _UNIT_GROUPS)


# --- eval sets and run records (persisted as JSON lines: pydantic reads them back) ----------------

class _Json(BaseModel):
    model_config = ConfigDict(extra="ignore")


class EvalItem(_Json):
    """One line of an eval set (``eval/FORMAT.md``): a question with its gold answer, or a text
    with its reference summary."""

    id: str
    type: str = "unknown"
    question: str = ""
    answer: str = ""
    must_include: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    title: str = ""
    text: str = ""
    summary: str = ""


class ChatTurn(_Json):
    """One turn of a conversation in a chat eval set: the question as typed, what its standalone
    rewrite must hold, the same question asked standalone, and the gold answer (as in EvalItem)."""

    question: str
    type: str = "followup"
    rewrite_must_include: list[str] | None = None  # None: a question that stands alone, left untouched
    standalone: str = ""
    answer: str = ""
    must_include: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)

    @property
    def graded(self) -> bool:
        return bool(self.must_include) or self.type == "unanswerable"


class ChatItem(_Json):
    id: str
    type: str = "chat"
    turns: list[ChatTurn]


class RetrievedRef(_Json):
    rank: int
    source: str
    doc_id: str = ""
    chunk_id: int = 0
    score: float = 0.0


class CitedPassage(_Json):
    n: int
    source: str
    section: str = ""
    text: str = ""
    heading: str = ""  # its document's title and 文号, as the answer's source line shows them


class SentenceCheck(_Json):
    status: str
    reasons: list[str] = Field(default_factory=list)
    text: str = ""


class EvalRecord(_Json):
    """What one eval item produced: a line of ``OUT/items.jsonl``; metrics are computed from these."""

    id: str
    type: str = "unknown"
    mode: str = "retrieval"
    # the item (question sets)
    question: str = ""
    gold_answer: str = ""
    must_include: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    # the item (summary sets)
    title: str = ""
    text: str = ""
    reference: str = ""
    # retrieval
    retrieved: list[RetrievedRef] = Field(default_factory=list)
    baselines: dict[str, list[str]] | None = None
    # answer
    answer: str = ""
    refused: bool = False
    model: str = ""
    citations: list[CitedPassage] = Field(default_factory=list)
    verification: str | None = None
    checks: list[SentenceCheck] = Field(default_factory=list)
    relevance: float | None = None
    answerable: float | None = None
    warnings: list[str] = Field(default_factory=list)
    draft: str = ""
    # summary
    summary: str = ""
    # chat: a turn of a conversation ("first", "followup", "standalone") or its standalone twin ("twin")
    conversation: str | None = None
    turn: int | None = None
    role: str | None = None
    searched: str | None = None
    rewritten_by: str | None = None
    rewrite_must_include: list[str] | None = None
    rewrite_ok: bool | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)
