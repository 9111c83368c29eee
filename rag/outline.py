"""A section's outline as one more passage, for a question that asks what parts a section has
("龙岗区总工会2020年工作思路包括哪几个方面？"): the passages the search finds hold a few of its parts,
each cut to a sentence or two; the section's headings, in the document's own words, hold them all."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from rag.headings import heading_level
from rag.normalize import compact
from rag.terms import asked_years
from rag.types import OUTLINE_ID, ChunkRecord, Hit, QuestionTerms

ASKS_PARTS_RE = re.compile(r"(?:哪几|哪些|几)个?(?:方面|部分|板块)|(?:哪几|几)(?:项|条)(?:重点|主要)?(?:工作|任务)")
MIN_COVERAGE = 0.25  # of the question's terms, in the section's heading
_YEAR_RE = re.compile(r"((?:19|20)\d{2})年")
_SEP = " > "
_LEAD, _JOIN = "：", "；"  # an outline reads "heading：part；part；…。"


def with_outline(question: str, hits: list[Hit], terms: QuestionTerms,
                 document_chunks: Callable[[str], list[ChunkRecord]],
                 document_text: Callable[[str], str | None]) -> list[Hit]:
    """``hits`` with the outline of the section the question asks about put before the first passage
    of its document. That section is the heading, among those above the passages shown, that holds
    most of the question (none naming another year than one asked); it must have two parts or more:
    for a part of a report ("三、2025年政府工作任务"), its areas as the report's structure reads them
    (:func:`rag.summarize.outline.parse_outline`: "（一）…" headings, also inline, and "——…" lines);
    deeper, the headings of its sub-sections. The "一是…" inside a text are no parts: a passage may
    hold several, so a list of them could miss one. Unchanged when the question does not ask for
    parts, when the heading it names best has no parts (the parts of "（三）…维权维稳工作" are not
    those of the section above it) or holds too little of the question."""
    if not hits or not ASKS_PARTS_RE.search(question):
        return hits
    years = asked_years(question)
    best: tuple[float, ChunkRecord, tuple[str, ...]] | None = None
    for doc_id in list(dict.fromkeys(h.chunk.doc_id for h in hits))[:3]:
        shown = [(h.chunk, _headings(h.chunk.section)) for h in hits if h.chunk.doc_id == doc_id]
        for path in dict.fromkeys(p[:depth] for _, p in shown for depth in range(1, len(p) + 1)):
            named = set(_YEAR_RE.findall(compact(path[-1])))
            score = terms.coverage(compact(path[-1]))
            if (not years or not named or named & years) and (best is None or score > best[0]):
                best = (score, next(c for c, p in shown if p[:len(path)] == path), path)
    if best is None or best[0] < MIN_COVERAGE:
        return hits
    _, inside, path = best
    parts = _areas(document_text(inside.doc_id) or "", inside, path[0]) if len(path) == 1 else []
    parts = parts or _parts(document_chunks(inside.doc_id)).get(path, [])
    if len(parts) < 2:
        return hits
    text = f"{path[-1]}{_LEAD}" + _JOIN.join(p.rstrip("。；;") for p in parts) + "。"
    outline = replace(inside, id=OUTLINE_ID, ordinal=-1, text=text, search_text=text, section=_SEP.join(path))
    at = next(n for n, h in enumerate(hits) if h.chunk.doc_id == outline.doc_id)
    placed = [*hits[:at], Hit(0, outline, hits[at].score), *hits[at:]]
    return [replace(h, rank=n) for n, h in enumerate(placed, 1)]


def parts_listed(chunk: ChunkRecord) -> int:
    """How many parts an outline lists (0 for a stored passage): a list of six states "六个方面"."""
    return chunk.text.split(_LEAD, 1)[1].count(_JOIN) + 1 if chunk.is_outline and _LEAD in chunk.text else 0


def _areas(text: str, chunk: ChunkRecord, heading: str) -> list[str]:
    """The headings of the areas of the report's part ``heading``, as its structure reads them."""
    from rag.summarize.outline import parse_outline

    part = next((p for p in parse_outline(text, chunk.title, chunk.date).parts
                 if compact(p.heading) == compact(heading)), None)
    return [a.heading for a in part.areas] if part else []


def _headings(section: str) -> tuple[str, ...]:
    """A passage's section path without the "一是…" it may end with (what its text opens with)."""
    return tuple(label for label in section.split(_SEP) if heading_level(label) is not None) if section else ()


def _parts(chunks: list[ChunkRecord]) -> dict[tuple[str, ...], list[str]]:
    """Each section (a path of headings) with its direct parts' headings in the document's order:
    every heading with text of its own starts a passage, so none is missed."""
    parts: dict[tuple[str, ...], list[str]] = {}
    for c in chunks:
        path = _headings(c.section)
        for depth in range(1, len(path)):
            kids = parts.setdefault(path[:depth], [])
            if path[depth] not in kids:
                kids.append(path[depth])
    return parts
