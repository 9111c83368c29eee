"""``rag summarize``: structured, cited summaries of stored documents, section by section.

A document's chunks are grouped by section path and packed to a size the model reads well; each
group's passages are numbered and the model fills a small JSON schema (constrained decoding, hard
``max_tokens``, one retry with a shorter-output instruction, then the failure is reported). Every
item is then checked in code: its citation must name a passage of the group, every figure must
occur in the cited chunk (re-cited to the chunk that has it, or removed when the document does not
contain it), and named bodies must be verbatim. Groups are merged into one record per document.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ValidationError

from rag.errors import SummarizeError
from rag.figures import Figure, figures_in, has_figure
from rag.jsonl import append_record, drop_torn_tail, read_records
from rag.normalize import compact, to_simplified
from rag.prompting import PromptPassage, prompt
from rag.schemas import (
    Citation,
    FigureItem,
    HeaderDraft,
    NewsDraft,
    NewsItem,
    OtherGroupDraft,
    PlanDraft,
    PlanGroupDraft,
    PlanItem,
    ProblemDraft,
    ProblemItem,
    ReviewDraft,
    ReviewGroupDraft,
    ReviewItem,
    SummaryRecord,
    VerificationReport,
    draft_schema,
)
from rag.settings import GenerationSettings
from rag.types import ChunkRecord, DocumentInfo
from rag.verify import split_answer, support

if TYPE_CHECKING:
    from rag.app import App
    from rag.llm import LLM, Message

Style = Literal["structured", "brief"]
SCHEMAS = ("work-plan", "news")
GROUP_CHARS = 1500
GROUP_MAX_TOKENS = 700
BRIEF_MAX_TOKENS = 320
BRIEF_MAX_CHARS = 300
_ECHO_RE = re.compile(r"^(?:摘要[:：]|标题[:：][^\n]*?(?=正文[:：]|\n)|正文[:：]|文章(?:标题|内容)[:：])\s*")
ATTEMPTS = 2
MIN_SUPPORT = 0.15
LIST_SUPPORT = 0.5  # a figure, measure or target is (nearly) copied from its passage, not paraphrased
_NUMBER_UNIT_RE = re.compile(r"(\d+(?:\.\d+)?)((?:万|亿)?(?:元|人次|人|宗|份|个|项|家|场|次|条|所|名|张)|万|亿|%)")


@dataclass
class Group:
    section: str
    kind: str
    chunks: list[ChunkRecord]

    def passages(self) -> str:
        return "\n\n".join(PromptPassage(i, c.source, c.section, c.text).render()
                           for i, c in enumerate(self.chunks, 1))


def group_chunks(chunks: list[ChunkRecord], max_chars: int = GROUP_CHARS) -> list[Group]:
    """Consecutive chunks of the same top two section levels, packed up to ``max_chars``."""
    groups: list[Group] = []
    for chunk in chunks:
        key = " > ".join(chunk.section.split(" > ")[:2])
        last = groups[-1] if groups else None
        if (last is not None and last.section == key and last.kind == chunk.kind
                and sum(len(c.text) for c in last.chunks) + len(chunk.text) <= max_chars):
            last.chunks.append(chunk)
        else:
            groups.append(Group(key, chunk.kind, [chunk]))
    return groups


def load_schema_file(path: Path) -> dict[str, Any]:
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SummarizeError(f"cannot read schema file {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise SummarizeError(f"schema file {path} is not valid JSON: {exc.msg} (line {exc.lineno})") from exc
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise SummarizeError(f"schema file {path}: expected a JSON schema with \"type\": \"object\"")
    try:
        from llama_cpp.llama_grammar import json_schema_to_gbnf

        json_schema_to_gbnf(json.dumps(schema))
    except ImportError:
        pass
    except Exception as exc:  # the converter raises bare exceptions on unsupported constructs
        raise SummarizeError(f"schema file {path} cannot be used for constrained output: {exc}") from exc
    return schema


# --- generation -------------------------------------------------------------------------------------

def _messages(user: str) -> list[Message]:
    return [{"role": "system", "content": prompt("summary_system")}, {"role": "user", "content": user}]


def generate_json(llm: LLM, user: str, schema: dict[str, Any], max_tokens: int,
                  validate: Callable[[str], Any]) -> tuple[Any, str | None]:
    """Schema-constrained output, validated; one retry asking for less. Returns (value, error)."""
    messages = _messages(user)
    error = ""
    for _ in range(ATTEMPTS):
        text = llm.complete(messages, max_tokens, 0.0, json_schema=schema)
        try:
            return validate(text), None
        except (ValidationError, json.JSONDecodeError, ValueError) as exc:
            error = str(exc).splitlines()[0][:200]
            messages = [*_messages(user), {"role": "assistant", "content": text[:2000]},
                        {"role": "user", "content": prompt("summary_retry")}]
    return None, f"invalid output after {ATTEMPTS} attempts: {error}"


def _pydantic_validator(model: type[BaseModel]) -> Callable[[str], BaseModel]:
    return lambda text: model.model_validate_json(text)


def _json_validator(text: str) -> Any:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object")
    return value


@functools.lru_cache(maxsize=4096)
def _compact_cached(text: str) -> str:
    """Each group's checker compares against the whole document: convert each chunk once."""
    return compact(text)


# --- verification -----------------------------------------------------------------------------------

@dataclass
class Checker:
    """Checks draft items of one group against its chunks (and the whole document as a fallback)."""

    group: Group
    document: list[ChunkRecord]
    report: VerificationReport
    doc_compact: str = ""

    def __post_init__(self) -> None:
        self.doc_compact = "".join(self.text(c) for c in self.document)

    def text(self, chunk: ChunkRecord) -> str:
        return _compact_cached(chunk.section + chunk.text)

    def cite(self, chunk: ChunkRecord) -> Citation:
        return Citation(chunk_id=chunk.id, section=chunk.section, source=chunk.source)

    def cited_text(self, cited: list[ChunkRecord]) -> str:
        return "".join(c.section + c.text for c in cited)

    def has(self, figure: Figure, chunk: ChunkRecord) -> bool:
        return has_figure(figure, self.text(chunk), already_compact=True)

    def locate(self, figure: Figure, prefer: list[ChunkRecord]) -> ChunkRecord | None:
        for chunk in [*prefer, *self.group.chunks, *self.document]:
            if self.has(figure, chunk):
                return chunk
        return None


    def anchor(self, main: str, cite: int, label: str) -> list[ChunkRecord] | None:
        """The cited chunk, or the group chunk the item's wording best matches when the citation
        names no passage or one that shares far less; None when nothing supports the item."""
        chunks = self.group.chunks
        scores = [support(main, c.section + c.text) for c in chunks]
        best = max(range(len(chunks)), key=lambda i: scores[i])
        if scores[best] < MIN_SUPPORT:
            self.report.dropped.append(f"{label}: not supported by the passages ({main[:30]})")
            return None
        if not 1 <= cite <= len(chunks):
            self.report.corrected.append(f"{label}: citation [{cite}] names no passage; cited [{best + 1}]")
            return [chunks[best]]
        if scores[cite - 1] + 0.2 < scores[best]:
            self.report.corrected.append(f"{label}: re-cited [{cite}] -> [{best + 1}] by wording")
            return [chunks[best]]
        return [chunks[cite - 1]]

    def figures(self, values: list[str], cited: list[ChunkRecord], label: str) -> list[str]:
        """Keep the strings whose numbers the document holds, citing the chunks that hold them."""
        kept = []
        for value in values:
            value = to_simplified(value.strip())
            if not value:
                continue
            if not self.numbers_ok(value, cited, label):
                self.report.dropped.append(f"{label}: {value!r} has a figure the document does not contain")
            elif compact(value) not in self.doc_compact and support(value, self.cited_text(cited)) < LIST_SUPPORT:
                self.report.dropped.append(f"{label}: {value!r} is not in the cited passages")
            else:
                kept.append(value)
        return kept

    def numbers_ok(self, text: str, cited: list[ChunkRecord], label: str) -> bool:
        for figure in figures_in(text):
            if any(self.has(figure, c) for c in cited):
                continue
            found = self.locate(figure, [])
            if found is None:
                return False
            cited.append(found)
            self.report.corrected.append(f"{label}: figure {figure.text} re-cited to chunk {found.id}")
        return True

    def verbatim(self, value: str, label: str) -> str:
        value = to_simplified(value.strip())
        if value and compact(value) not in self.doc_compact:
            self.report.corrected.append(f"{label}: {value!r} is not in the document; left empty")
            return ""
        return value

    def finish(self, cited: list[ChunkRecord]) -> list[Citation]:
        self.report.verified += 1
        unique = list({c.id: c for c in cited}.values())
        return [self.cite(c) for c in unique]

    def review(self, d: ReviewDraft) -> ReviewItem | None:
        label = f"review {d.item[:12]}"
        cited = self.anchor(d.item, d.cite, label)
        if cited is None or not self.numbers_ok(d.item, cited, label):
            if cited is not None:
                self.report.dropped.append(f"{label}: a figure in the item is not in the document")
            return None
        figures = self.figures(d.figures, cited, label)
        return ReviewItem(item=to_simplified(d.item), figures=figures, citations=self.finish(cited))

    def plan(self, d: PlanDraft) -> PlanItem | None:
        label = f"plan {d.goal[:12]}"
        cited = self.anchor(d.goal + "".join(d.measures), d.cite, label)
        if cited is None or not self.numbers_ok(d.goal, cited, label):
            if cited is not None:
                self.report.dropped.append(f"{label}: a figure in the goal is not in the document")
            return None
        return PlanItem(goal=to_simplified(d.goal), measures=self.figures(d.measures, cited, label),
                        targets=self.figures(d.targets, cited, label), owner=self.verbatim(d.owner, label),
                        deadline=self.verbatim(d.deadline, label), citations=self.finish(cited))

    def problem(self, d: ProblemDraft) -> ProblemItem | None:
        label = f"problem {d.item[:12]}"
        cited = self.anchor(d.item, d.cite, label)
        if cited is None or not self.numbers_ok(d.item, cited, label):
            return None
        return ProblemItem(item=to_simplified(d.item), citations=self.finish(cited))

    def news(self, d: NewsDraft) -> NewsItem | None:
        label = f"news {d.event[:12]}"
        cited = self.anchor(d.event + "".join(d.decisions), d.cite, label)
        if cited is None or not self.numbers_ok(d.event, cited, label):
            return None
        return NewsItem(event=to_simplified(d.event), time=self.verbatim(d.time, label),
                        place=self.verbatim(d.place, label),
                        participants=[p for p in (self.verbatim(x, label) for x in d.participants) if p],
                        decisions=self.figures(d.decisions, cited, label), citations=self.finish(cited))

    def custom(self, value: Any) -> list[str]:
        """Figures in any string of a custom-schema output that the document does not contain."""
        bad = []
        for text in _strings(value):
            bad += [f.text for f in figures_in(text) if self.locate(f, []) is None]
        return bad


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _dedupe(items: Iterable[Any], key: Callable[[Any], str]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for item in items:
        k = compact(key(item))
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


# --- one document -------------------------------------------------------------------------------------

def summarize_document(llm: LLM, doc: DocumentInfo, chunks: list[ChunkRecord], schema: str | dict[str, Any],
                       gen: GenerationSettings) -> SummaryRecord:
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
                                         GROUP_MAX_TOKENS, _json_validator)
            if error:
                record.errors.append(f"section {group.section or '(start)'}: {error}")
                continue
            bad = Checker(group, chunks, report).custom(value)
            if bad:
                report.dropped.append(f"section {group.section or '(start)'}: figures not in the document: "
                                      + ", ".join(bad))
            record.custom.append({"section": group.section, "chunk_ids": [c.id for c in group.chunks], "output": value})
    else:
        _work_plan(llm, groups, chunks, record)
    record.seconds = round(time.perf_counter() - t0, 2)
    return SummaryRecord.model_validate(record.model_dump())


def _header(llm: LLM, groups: list[Group], chunks: list[ChunkRecord], record: SummaryRecord) -> None:
    first = Group(groups[0].section, groups[0].kind, groups[0].chunks[:2])
    user = prompt("summary_header").format(passages=first.passages(), title=record.title)
    value, error = generate_json(llm, user, draft_schema(HeaderDraft), 80, _pydantic_validator(HeaderDraft))
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
        value, error = generate_json(llm, user, draft_schema(model), GROUP_MAX_TOKENS, _pydantic_validator(model))
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
    record.review = _dedupe(record.review, lambda i: i.item)
    record.plan = _dedupe(record.plan, lambda i: i.goal)
    record.problems = _dedupe(record.problems, lambda i: i.item)


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
                                     _pydantic_validator(NewsDraft))
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
    draft = to_simplified(llm.complete(_messages(user), BRIEF_MAX_TOKENS, gen.temperature)).strip()
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

@dataclass
class BatchResult:
    records: list[SummaryRecord]
    new: int
    skipped: int
    out_jsonl: Path
    out_md: Path


def run_config(schema: str | dict[str, Any], style: Style, model: str) -> dict[str, Any]:
    schema_id = schema if isinstance(schema, str) else json.dumps(schema, sort_keys=True, ensure_ascii=False)
    return {"schema": schema_id, "style": style, "model": model}


def summarize_batch(app: App, docs: list[DocumentInfo], schema: str | dict[str, Any], style: Style, out: Path,
                    workers: int = 1, fresh: bool = False,
                    on_done: Callable[[SummaryRecord], None] | None = None,
                    on_plan: Callable[[int], None] | None = None) -> BatchResult:
    """Summarize documents into OUT/summaries.jsonl (one fsync'd line each) and OUT/summaries.md.

    A rerun with the same schema, style and model skips documents already written: a killed run
    resumes where it stopped. Documents whose text changed have new ids and are redone.
    """
    llm = app.llm
    out.mkdir(parents=True, exist_ok=True)
    jsonl, config_file = out / "summaries.jsonl", out / "summaries.run.json"
    config = run_config(schema, style, llm.name)
    if fresh or (config_file.exists() and json.loads(config_file.read_text(encoding="utf-8")) != config):
        jsonl.unlink(missing_ok=True)
    config_file.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    drop_torn_tail(jsonl)
    done_ids = {r.get("doc_id") for r in read_records(jsonl)}
    todo = [d for d in docs if d.doc_id not in done_ids]
    if on_plan:
        on_plan(len(todo))
    store = app.store
    gen = app.settings.generation

    def load(doc: DocumentInfo) -> tuple[DocumentInfo, str, list[ChunkRecord]]:
        return doc, store.document_text(doc.doc_id) or "", store.document_chunks(doc.doc_id)

    def work(job: tuple[DocumentInfo, str, list[ChunkRecord]]) -> SummaryRecord:
        doc, text, chunks = job
        if style == "brief":
            return brief_record(llm, doc, text, gen)
        return summarize_document(llm, doc, chunks, schema, gen)

    new = 0
    with jsonl.open("a", encoding="utf-8") as fh, ThreadPoolExecutor(max(workers, 1)) as pool:
        # Parallel requests only help an HTTP backend. With workers, the store is read here, up
        # front: its SQLite connection belongs to this thread.
        results: Iterable[SummaryRecord] = (pool.map(work, [load(d) for d in todo]) if workers > 1
                                            else (work(load(d)) for d in todo))
        for record in results:
            append_record(fh, record.model_dump())
            new += 1
            if on_done:
                on_done(record)
    wanted = {d.doc_id for d in docs}
    records = [SummaryRecord.model_validate(r) for r in read_records(jsonl) if r.get("doc_id") in wanted]
    md = out / "summaries.md"
    md.write_text(to_markdown(records), encoding="utf-8")
    return BatchResult(records, new, len(docs) - len(todo), jsonl, md)


# --- Markdown ------------------------------------------------------------------------------------------

def _cites(citations: list[Citation]) -> str:
    return " ".join(f"〔{c.section or '开头'} · #{c.chunk_id}〕" for c in citations)


def to_markdown(records: list[SummaryRecord]) -> str:
    lines = ["# 文件摘要", ""]
    for r in records:
        lines += [f"## {r.title}", ""]
        meta = [("来源", r.source), ("发文机关", r.issuer), ("日期", r.date), ("文号", r.doc_number)]
        lines += [f"- {k}：{v}" for k, v in meta if v] + [""]
        if r.brief is not None:
            lines += [r.brief, ""]
        if r.review:
            lines += ["### 工作回顾", ""]
            for i in r.review:
                figures = f"（{'、'.join(i.figures)}）" if i.figures else ""
                lines.append(f"- {i.item}{figures} {_cites(i.citations)}")
            lines.append("")
        if r.plan:
            lines += ["### 工作计划", ""]
            for p in r.plan:
                extra = [("措施", "；".join(p.measures)), ("指标", "、".join(p.targets)), ("责任主体", p.owner),
                         ("时间节点", p.deadline)]
                detail = "；".join(f"{k}：{v}" for k, v in extra if v)
                lines.append(f"- **{p.goal}**{('：' + detail) if detail else ''} {_cites(p.citations)}")
            lines.append("")
        for kind, heading in (("review", "原文数据（回顾）"), ("plan", "原文数据（计划）"), ("other", "原文数据")):
            rows = [f for f in r.figures if f.kind == kind]
            if rows:
                lines += [f"### {heading}", ""]
                lines += [f"- {f.text} {_cites(f.citations)}" for f in rows] + [""]
        if r.problems:
            lines += ["### 存在问题", ""] + [f"- {p.item} {_cites(p.citations)}" for p in r.problems] + [""]
        if r.news:
            lines += ["### 要点", ""]
            for n in r.news:
                parts = [("时间", n.time), ("地点", n.place), ("参与", "、".join(n.participants)),
                         ("决定", "；".join(n.decisions))]
                detail = "；".join(f"{k}：{v}" for k, v in parts if v)
                lines.append(f"- **{n.event}**{('：' + detail) if detail else ''} {_cites(n.citations)}")
            lines.append("")
        for c in r.custom:
            lines += [f"### {c['section'] or '开头'}", "", "```json",
                      json.dumps(c["output"], ensure_ascii=False, indent=1), "```", ""]
        v = r.verification
        lines.append(f"_核查：{v.verified} 项通过，{len(v.corrected)} 处更正，{len(v.dropped)} 项删除_")
        lines += [f"- 删除：{d}" for d in v.dropped] + [f"- 错误：{e}" for e in r.errors] + [""]
    return "\n".join(lines)
