"""Summaries of many documents into OUT/summaries.jsonl (resumable) and OUT/summaries.md."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.durable import write_text_atomic
from rag.jsonl import append_record, drop_torn_tail, read_records
from rag.schemas import (
    Citation,
    SummaryRecord,
)
from rag.types import ChunkRecord, DocumentInfo

if TYPE_CHECKING:
    from rag.app import App

from rag.summarize.document import brief_record, summarize_document
from rag.summarize.generate import Style

SUMMARY_VERSION = 2  # 2: work plans read by their review/plan structure


@dataclass
class BatchResult:
    records: list[SummaryRecord]
    new: int
    skipped: int
    out_jsonl: Path
    out_md: Path


def run_config(schema: str | dict[str, Any], style: Style, model: str) -> dict[str, Any]:
    schema_id = schema if isinstance(schema, str) else json.dumps(schema, sort_keys=True, ensure_ascii=False)
    return {"schema": schema_id, "style": style, "model": model, "version": SUMMARY_VERSION}


def _read_config(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # unreadable: treated as another configuration, so the run starts over


def summarize_batch(app: App, docs: list[DocumentInfo], schema: str | dict[str, Any], style: Style, out: Path,
                    workers: int = 1, fresh: bool = False,
                    on_done: Callable[[SummaryRecord], None] | None = None,
                    on_plan: Callable[[int], None] | None = None) -> BatchResult:
    """Summarize documents into OUT/summaries.jsonl (one fsync'd line each) and OUT/summaries.md.

    A rerun with the same schema, style and model skips documents already summarized: a killed run
    resumes where it stopped, and documents whose summary failed are tried again. Documents whose
    text changed have new ids and are redone.
    """
    llm = app.llm
    out.mkdir(parents=True, exist_ok=True)
    jsonl, config_file = out / "summaries.jsonl", out / "summaries.run.json"
    config = run_config(schema, style, llm.name)
    if fresh or (config_file.exists() and _read_config(config_file) != config):
        jsonl.unlink(missing_ok=True)
    write_text_atomic(config_file, json.dumps(config, ensure_ascii=False))
    drop_torn_tail(jsonl)
    # a document whose summary failed (model error, unreadable section) is tried again
    done_ids = {r.get("doc_id") for r in read_records(jsonl) if not r.get("errors")}
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
        return summarize_document(llm, doc, chunks, schema, gen, text)

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
    latest = {r.get("doc_id"): r for r in read_records(jsonl)}  # a retried document's last record counts
    records = [SummaryRecord.model_validate(latest[d.doc_id]) for d in docs if d.doc_id in latest]
    md = out / "summaries.md"
    write_text_atomic(md, to_markdown(records))
    return BatchResult(records, new, len(docs) - len(todo), jsonl, md)


# --- Markdown ------------------------------------------------------------------------------------------

def _cites(citations: list[Citation]) -> str:
    return " ".join(f"〔{c.section or '开头'} · #{c.chunk_id}〕" for c in citations)


def _refs(citations: list[Citation]) -> str:
    return "".join(f"〔#{c.chunk_id}〕" for c in citations)


def _filed(r: SummaryRecord) -> list[str]:
    """A work report read by its structure: the plan first (what is filed and followed up), then the
    review and the problems, every line with the chunks it comes from."""
    lines: list[str] = []
    if r.plan:
        lines += [f"### {r.plan_year or ''}年工作计划（{len(r.plan)}项）", ""]
        for n, p in enumerate(r.plan, 1):
            lines.append(f"{n}. **{p.goal}** {_refs(p.citations[:1])}")
            rows = [("概括", p.summary), ("措施", "；".join(p.measures)), ("指标", "；".join(p.targets)),
                    ("时间节点", p.deadline), ("责任主体", p.owner), ("出处", p.section)]
            lines += [f"   - {k}：{v}" for k, v in rows if v]
        lines.append("")
    if r.review:
        lines += [f"### {(r.plan_year - 1) if r.plan_year else ''}年工作回顾（{len(r.review)}项）", ""]
        for n, i in enumerate(r.review, 1):
            lines.append(f"{n}. **{i.item}** {_refs(i.citations[:1])}")
            rows = [("概括", i.summary), ("要点", "；".join(i.points)), ("数据", "；".join(i.figures)),
                    ("出处", i.section)]
            lines += [f"   - {k}：{v}" for k, v in rows if v]
        lines.append("")
    if r.problems:
        lines += ["### 存在问题", ""] + [f"- {p.item} {_refs(p.citations)}" for p in r.problems] + [""]
    return lines


def to_markdown(records: list[SummaryRecord]) -> str:
    lines = ["# 文件摘要", ""]
    for r in records:
        lines += [f"## {r.title}", ""]
        meta = [("来源", r.source), ("发文机关", r.issuer), ("日期", r.date), ("文号", r.doc_number)]
        lines += [f"- {k}：{v}" for k, v in meta if v] + [""]
        if r.plan_year is not None:
            lines += _filed(r)
            v = r.verification
            lines.append(f"_核查：{v.verified} 项取自原文并注明出处，{len(v.dropped)} 处删除_")
            lines += [f"- 删除：{d}" for d in v.dropped] + [f"- 错误：{e}" for e in r.errors] + [""]
            continue
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
