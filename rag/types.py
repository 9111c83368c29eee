"""The records that cross module boundaries: passages, documents, filters, hits. Plain dataclasses,
so a module can take or return them without importing the module that produces them."""

from __future__ import annotations

from dataclasses import dataclass, field


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
                "bm25_rank": self.bm25_rank, "rerank_score": self.rerank_score}


@dataclass(frozen=True)
class QuestionTerms:
    """The question's content terms, each weighted by its rarity in the store (IDF): what a passage
    must contain to be about the question rather than its topic."""

    weights: dict[str, float]

    def coverage(self, text: str) -> float:
        total = sum(self.weights.values())
        return sum(w for tok, w in self.weights.items() if tok in text) / total if total else 1.0
