"""A work report's summary from its own structure: plan items from plan areas only, review items from
review areas only, targets, deadlines, owners and figures read by rules, each cited to its chunk; the
model only phrases each area in one sentence (areas batched, each seen once), and a phrasing that
states anything its area does not is dropped."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rag.figures import figures_in, has_figure
from rag.normalize import compact, to_simplified
from rag.prompting import prompt
from rag.schemas import (
    AreasDraft,
    Citation,
    PlanItem,
    ProblemItem,
    ReviewItem,
    SummaryRecord,
    draft_schema,
)
from rag.summarize import rules
from rag.summarize.generate import generate_json, pydantic_validator
from rag.summarize.outline import Area, Outline, parse_outline, years_in
from rag.types import ChunkRecord
from rag.verify import support

if TYPE_CHECKING:
    from rag.llm import LLM

BATCH_CHARS = 1400
BATCH_AREAS = 8
BRIEF_CHARS = 220
PHRASE_SUPPORT = 0.5
PHRASE_TOKENS = 56
PHRASE_KEEP = 50  # asked for 20-40 characters; the schema stops at PHRASE_CHARS


class Locator:
    """Which chunk holds a piece of the document's text."""

    def __init__(self, chunks: list[ChunkRecord]) -> None:
        self.chunks = chunks
        self.texts = [compact(c.text) for c in chunks]
        self.whole = "".join(self.texts)

    def find(self, snippet: str, hint: int = 0) -> int | None:
        pieces = sorted((p for p in re.split(r"[，,；;。…]", compact(snippet)) if p), key=len, reverse=True)
        if not pieces:
            return None
        needle = pieces[0][:16]
        order = [*range(hint, len(self.texts)), *range(hint)]
        return next((i for i in order if needle in self.texts[i]), None)

    def holds(self, snippet: str) -> bool:
        return all(p in self.whole for p in re.split(r"[，,；;。…]", compact(snippet)) if p)

    def cite(self, index: int) -> Citation:
        c = self.chunks[index]
        return Citation(chunk_id=c.id, section=c.section, source=c.source)


def summarize_work_plan(llm: LLM | None, text: str, title: str, date: str | None, chunks: list[ChunkRecord],
                        record: SummaryRecord) -> bool:
    """Fill ``record`` from the report's structure; False when the text has no review/plan parts
    (the caller then summarizes it section by section)."""
    outline = parse_outline(text, title, date)
    if not outline.structured or not chunks:
        return False
    where = Locator(chunks)
    report = record.verification
    record.plan_year = outline.plan_year
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    record.issuer = rules.issuer(outline.header + lines[-6:], title) or None
    areas = [a for a in outline.areas() if a.kind in ("review", "plan")]
    phrases = phrase_areas(llm, areas, outline, record) if llm is not None else {}
    hint = 0
    for i, area in enumerate(areas):
        at = where.find(area.paras[0] if area.paras else area.title, hint)
        if at is None:
            report.dropped.append(f"{area.title[:20]}: its text is not in any chunk")
            continue
        hint = at
        build = _plan_item if area.kind == "plan" else _review_item
        build(area, outline, where, at, phrases.get(i, ""), record)
    for area in areas:
        if area.kind != "review":
            continue
        for problem in rules.problems(area.text):
            at = where.find(problem)
            if at is not None:
                record.problems.append(ProblemItem(item=problem, citations=[where.cite(at)]))
                report.verified += 1
    return True


def _cited(where: Locator, first: int, pieces: list[str]) -> tuple[list[str], list[Citation]]:
    """The pieces the document holds verbatim, and the chunks they come from (the area's first)."""
    kept, cites = [], [where.cite(first)]
    for piece in pieces:
        at = where.find(piece, first)
        if at is None or not where.holds(piece):
            continue
        kept.append(piece)
        cite = where.cite(at)
        if cite not in cites:
            cites.append(cite)
    return kept, cites


def _plan_item(area: Area, outline: Outline, where: Locator, at: int, phrase: str, record: SummaryRecord) -> None:
    targets, cites = _cited(where, at, rules.targets(area.text, outline.plan_year))
    measures = rules.measures(area.text)
    if not targets and not measures and area.implicit:
        return  # an intro paragraph with nothing to file
    record.plan.append(PlanItem(goal=to_simplified(area.title), measures=measures, targets=targets,
                                owner=rules.owners(area.text), deadline=rules.deadline(area.text),
                                citations=cites, section=area.section, summary=phrase))
    record.verification.verified += 1


def _review_item(area: Area, outline: Outline, where: Locator, at: int, phrase: str, record: SummaryRecord) -> None:
    figures, cites = _cited(where, at, rules.figure_clauses(area.text))
    points = rules.measures(area.text) if not area.implicit else []
    if not figures and not points and not phrase:
        return
    record.review.append(ReviewItem(item=to_simplified(area.title), figures=figures, citations=cites,
                                    section=area.section, summary=phrase, points=points))
    record.verification.verified += 1


# --- the model's part: one sentence per area ----------------------------------------------------------

def _brief(area: Area, outline: Outline) -> str:
    parts = [re.split(r"(?<=[。！])", area.text, maxsplit=1)[0][:80]]
    parts += rules.measures(area.text)[:4]
    if area.kind == "plan":
        parts += rules.targets(area.text, outline.plan_year)[:2]
    return "；".join(p.strip("。；") for p in parts if p)[:BRIEF_CHARS]


def _batches(indexed: list[tuple[int, Area]], outline: Outline) -> list[list[tuple[int, Area, str]]]:
    out: list[list[tuple[int, Area, str]]] = []
    size = 0
    for i, area in indexed:
        brief = _brief(area, outline)
        if not out or size + len(brief) > BATCH_CHARS or len(out[-1]) >= BATCH_AREAS:
            out.append([])
            size = 0
        out[-1].append((i, area, brief))
        size += len(brief)
    return out


def phrase_areas(llm: LLM, areas: list[Area], outline: Outline, record: SummaryRecord) -> dict[int, str]:
    """One checked sentence per area, keyed by the area's index; areas of a kind are batched so the
    model reads each once."""
    phrases: dict[int, str] = {}
    for kind, label in (("plan", "工作计划"), ("review", "工作回顾")):
        indexed = [(i, a) for i, a in enumerate(areas) if a.kind == kind and not a.implicit]
        for batch in _batches(indexed, outline):
            blocks = "\n".join(f"[{n}] 标题：{a.title}\n要点：{brief}" for n, (_, a, brief) in enumerate(batch, 1))
            user = prompt("summary_areas").format(count=len(batch), label=label, areas=blocks)
            value, error = generate_json(llm, user, draft_schema(AreasDraft), PHRASE_TOKENS * len(batch) + 24,
                                         pydantic_validator(AreasDraft))
            if error or not isinstance(value, AreasDraft):
                # the items stand without it; an error makes a rerun try the phrasing again
                record.errors.append(f"{label}: phrasing {len(batch)} items failed ({error}); shown with their titles")
                continue
            for item in value.items:
                if not 1 <= item.n <= len(batch):
                    continue
                index, area, _ = batch[item.n - 1]
                if index in phrases:
                    continue
                text, reason = check_phrase(item.summary, area, outline)
                if reason:
                    record.verification.dropped.append(f"{area.title[:20]}: phrasing dropped ({reason})")
                else:
                    phrases[index] = text
    return phrases


def check_phrase(summary: str, area: Area, outline: Outline) -> tuple[str, str]:
    """(phrase, "") when every figure of it is the area's, its words are the area's, and a plan
    phrase names no earlier year; else ("", why)."""
    text = to_simplified(summary.strip()).rstrip("。") + "。"
    source = compact(area.title + area.text)
    if len(compact(text)) < 6:
        return "", "empty"
    if compact(text).rstrip("。") == compact(area.title):
        return "", "repeats the title"
    if len(summary.strip()) > PHRASE_KEEP:
        return "", "longer than one sentence (cut off, or a copied paragraph)"
    for figure in figures_in(text):
        if not has_figure(figure, source, already_compact=True):
            return "", f"{figure.text} is not in this part"
    if area.kind == "plan" and outline.plan_year and any(y < outline.plan_year for y in years_in(text)):
        return "", "names an earlier year in a plan item"
    if support(text, source) < PHRASE_SUPPORT:
        return "", "its words are not this part's"
    return text, ""
