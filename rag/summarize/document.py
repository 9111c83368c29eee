"""One document's summary: header, review / plan / problems (work plans), or news items; brief
summaries of a text."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from rag.figures import figures_in, has_figure
from rag.normalize import compact, to_simplified
from rag.prompting import prompt
from rag.schemas import (
    Citation,
    FigureItem,
    HeaderDraft,
    NewsDraft,
    OtherGroupDraft,
    PlanGroupDraft,
    ReviewGroupDraft,
    SummaryRecord,
    draft_schema,
)
from rag.settings import GenerationSettings
from rag.types import ChunkRecord, DocumentInfo
from rag.verify import split_answer

if TYPE_CHECKING:
    from rag.llm import LLM

from rag.summarize.check import Checker, dedupe
from rag.summarize.generate import (
    GROUP_MAX_TOKENS,
    Group,
    chat_messages,
    generate_json,
    group_chunks,
    json_validator,
    pydantic_validator,
)
from rag.summarize.workplan import summarize_work_plan

BRIEF_MAX_TOKENS = 320
BRIEF_MAX_CHARS = 300
_ECHO_RE = re.compile(r"^(?:摘要[:：]|标题[:：][^\n]*?(?=正文[:：]|\n)|正文[:：]|文章(?:标题|内容)[:：])\s*")
_NUMBER_UNIT_RE = re.compile(r"(\d+(?:\.\d+)?)((?:万|亿)?(?:元|人次|人|宗|份|个|项|家|场|次|条|所|名|张)|万|亿|%)")


def summarize_document(llm: LLM, doc: DocumentInfo, chunks: list[ChunkRecord], schema: str | dict[str, Any],
                       gen: GenerationSettings, text: str | None = None) -> SummaryRecord:
    """``text`` (the document's stored text) lets a work plan be read by its own review/plan
    structure; without it, or when the text has none, the model reads it section by section."""
    t0 = time.perf_counter()
    schema_name = schema if isinstance(schema, str) else "custom"
    record = SummaryRecord(doc_id=doc.doc_id, source=doc.source, title=doc.title, date=doc.date,
                           doc_number=doc.doc_number, schema_name=schema_name, model=llm.name)
    if not chunks:
        record.errors.append("the document has no text to summarize")
        return record
    groups = group_chunks(chunks)
    report = record.verification
    if schema == "news":
        _news(llm, groups, chunks, record)
    elif isinstance(schema, dict):
        for group in groups:
            value, error = generate_json(llm, prompt("summary_custom").format(passages=group.passages()), schema,
                                         GROUP_MAX_TOKENS, json_validator)
            if error:
                record.errors.append(f"section {group.section or '(start)'}: {error}")
                continue
            bad = Checker(group, chunks, report).custom(value)
            if bad:
                report.dropped.append(f"section {group.section or '(start)'}: figures not in the document: "
                                      + ", ".join(bad))
            record.custom.append({"section": group.section, "chunk_ids": [c.id for c in group.chunks], "output": value})
    elif not (text and summarize_work_plan(llm, text, doc.title, doc.date, chunks, record)):
        _work_plan(llm, groups, chunks, record)
    record.seconds = round(time.perf_counter() - t0, 2)
    return SummaryRecord.model_validate(record.model_dump())


def _header(llm: LLM, groups: list[Group], chunks: list[ChunkRecord], record: SummaryRecord) -> None:
    first = Group(groups[0].section, groups[0].kind, groups[0].chunks[:2])
    user = prompt("summary_header").format(passages=first.passages(), title=record.title)
    value, error = generate_json(llm, user, draft_schema(HeaderDraft), 80, pydantic_validator(HeaderDraft))
    if error:
        record.errors.append(f"issuer: {error}")
    elif isinstance(value, HeaderDraft):
        record.issuer = Checker(first, chunks, record.verification).verbatim(value.issuer, "issuer") or None


def _work_plan(llm: LLM, groups: list[Group], chunks: list[ChunkRecord], record: SummaryRecord) -> None:
    _header(llm, groups, chunks, record)
    drafts: dict[str, type[BaseModel]] = {"review": ReviewGroupDraft, "plan": PlanGroupDraft, "other": OtherGroupDraft}
    for group in groups:
        kind = group.kind if group.kind in drafts else "other"
        model = drafts[kind]
        user = prompt(f"summary_{kind}").format(passages=group.passages())
        value, error = generate_json(llm, user, draft_schema(model), GROUP_MAX_TOKENS, pydantic_validator(model))
        if error:
            record.errors.append(f"section {group.section or '(start)'}: {error}")
            continue
        check = Checker(group, chunks, record.verification)
        for d in getattr(value, "review", []):
            if (item := check.review(d)) is not None:
                record.review.append(item)
        for p in getattr(value, "plan", []):
            if (plan := check.plan(p)) is not None:
                record.plan.append(plan)
        for pr in getattr(value, "problems", []):
            if (problem := check.problem(pr)) is not None:
                record.problems.append(problem)
    record.figures = harvest_figures(chunks)
    record.review = dedupe(record.review, lambda i: i.item)
    record.plan = dedupe(record.plan, lambda i: i.goal)
    record.problems = dedupe(record.problems, lambda i: i.item)


_CLAUSE_RE = re.compile(r"[^。；;！？!?\n]+[。；;！？!?]?")
MAX_CLAUSE_CHARS = 160


def _figure_parts(clause: str) -> str:
    """A long clause cut to its comma-separated parts that carry a figure, gaps shown as "…"."""
    parts = re.split(r"(?<=[，,、])", clause)
    out: list[str] = []
    gap = False
    for part in parts:
        if _NUMBER_UNIT_RE.search(compact(part)):
            out.append(("…" if gap or (not out and part is not parts[0]) else "") + part)
            gap = False
        else:
            gap = True
    return "".join(out).rstrip("，,、") + ("…" if gap else "")


def harvest_figures(chunks: list[ChunkRecord]) -> list[FigureItem]:
    """Every clause of the document that states a figure with a unit (98.9%, 2346宗, 1.8亿元), verbatim
    and cited: small models leave most figures out, code does not."""
    items: list[FigureItem] = []
    seen: set[str] = set()
    for chunk in chunks:
        for m in _CLAUSE_RE.finditer(chunk.text):
            clause = m.group(0).strip()
            key = compact(clause)
            figures = list(dict.fromkeys(n + u for n, u in _NUMBER_UNIT_RE.findall(key)))
            if not figures or key in seen or any(key in k for k in seen):
                continue
            seen.add(key)
            text = clause if len(clause) <= MAX_CLAUSE_CHARS else _figure_parts(clause)
            items.append(FigureItem(kind=chunk.kind, text=text, figures=figures,
                                    citations=[Citation(chunk_id=chunk.id, section=chunk.section, source=chunk.source)]))
    return items


def _news(llm: LLM, groups: list[Group], chunks: list[ChunkRecord], record: SummaryRecord) -> None:
    for group in groups:
        user = prompt("summary_news").format(passages=group.passages())
        value, error = generate_json(llm, user, draft_schema(NewsDraft), GROUP_MAX_TOKENS // 2,
                                     pydantic_validator(NewsDraft))
        if error:
            record.errors.append(f"section {group.section or '(start)'}: {error}")
        elif isinstance(value, NewsDraft) and (item := Checker(group, chunks, record.verification).news(value)):
            record.news.append(item)


# --- brief style --------------------------------------------------------------------------------------

def brief_summary(llm: LLM, text: str, title: str, gen: GenerationSettings) -> str:
    """A short paragraph; sentences with figures the text does not contain are removed. Text longer
    than the context allows is summarized in parts first."""
    budget = llm.n_ctx - BRIEF_MAX_TOKENS - 200
    if llm.count_tokens(text) > budget:
        step = max(budget, 500)
        parts = [text[i:i + step] for i in range(0, len(text), step)]
        text = "\n".join(brief_summary(llm, part, title, gen) for part in parts)
    user = prompt("summary_brief").format(title=title or "（无）", text=text)
    draft = to_simplified(llm.complete(chat_messages(user), BRIEF_MAX_TOKENS, gen.temperature)).strip()
    # small models sometimes echo the prompt's labels and the article before summarizing
    for _ in range(3):
        draft = _ECHO_RE.sub("", draft)
    source = compact(title + text)
    kept = []
    for sentence in split_answer(draft):
        if all(has_figure(f, source, already_compact=True) for f in figures_in(sentence)):
            kept.append(sentence)
    summary = re.sub(r"\s*\n\s*", "", "".join(kept)).strip()
    while len(summary) > BRIEF_MAX_CHARS and len(split_answer(summary)) > 1:  # whole sentences only
        summary = "".join(split_answer(summary)[:-1])
    return summary


def brief_record(llm: LLM, doc: DocumentInfo, text: str, gen: GenerationSettings) -> SummaryRecord:
    t0 = time.perf_counter()
    record = SummaryRecord(doc_id=doc.doc_id, source=doc.source, title=doc.title, date=doc.date,
                           doc_number=doc.doc_number, schema_name="brief", model=llm.name)
    record.brief = brief_summary(llm, text, doc.title, gen)
    record.seconds = round(time.perf_counter() - t0, 2)
    return record


# --- batch ------------------------------------------------------------------------------------------------

