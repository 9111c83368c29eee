"""``rag eval``: run an eval set through the pipeline, one record per item, metrics from the records only.

Records go to ``OUT/items.jsonl`` as they are made (a killed run resumes where it stopped); the
metrics in ``OUT/metrics.json`` are a pure function of those records (:func:`compute_metrics`), so
anyone can recompute them. The set format is described in ``eval/FORMAT.md``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from rag.durable import write_text_atomic
from rag.errors import EvalRunError, EvalSetError
from rag.evalmetrics import (  # noqa: F401  (the metrics were part of this module's API)
    BASELINES,
    GOLD_COVERED,
    RETRIEVAL_DEPTH,
    answer_numbers,
    citation_is_correct,
    compute_metrics,
    summary_numbers,
)
from rag.jsonl import append_record, drop_torn_tail, read_records
from rag.types import CitedPassage, EvalItem, EvalRecord, Hit, RetrievedRef, SentenceCheck

if TYPE_CHECKING:
    from rag.app import App
    from rag.llm import LLM
    from rag.retrieve import Retriever
    from rag.settings import Settings

EvalMode = Literal["retrieval", "answer", "summary", "chat"]
_QA_FIELDS = ("id", "question")
_SUMMARY_FIELDS = ("id", "text", "summary")


def load_set(path: Path, mode: EvalMode) -> list[EvalItem]:
    """Read and check an eval set; errors name the file and line."""
    if not path.is_file():
        raise EvalSetError(f"{path}: no such eval set")
    required = _SUMMARY_FIELDS if mode == "summary" else _QA_FIELDS
    items: list[EvalItem] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvalSetError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from exc
            if not isinstance(item, dict):
                raise EvalSetError(f"{path}:{lineno}: expected a JSON object")
            missing = [f for f in required if not isinstance(item.get(f), str) or not item[f].strip()]
            if missing:
                raise EvalSetError(f"{path}:{lineno}: missing or empty field(s) {', '.join(missing)}"
                                   + (" (is this a summary set? use --mode summary)" if "question" in missing
                                      and "summary" in item else ""))
            if item["id"] in seen:
                raise EvalSetError(f"{path}:{lineno}: duplicate id {item['id']!r}")
            seen.add(item["id"])
            for key in ("must_include", "sources"):
                value = item.setdefault(key, [])
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise EvalSetError(f"{path}:{lineno}: field {key} must be a list of strings")
            for key in ("type", "answer", "title"):
                if not isinstance(item.get(key, ""), str):
                    raise EvalSetError(f"{path}:{lineno}: field {key} must be a string")
            items.append(EvalItem.model_validate(item))
    if not items:
        raise EvalSetError(f"{path}: the eval set is empty")
    return items


# --- running --------------------------------------------------------------------------------------

def _sources(hits: list[Hit]) -> list[str]:
    return [h.chunk.source for h in hits]


@dataclass(frozen=True)
class EvalPipeline:
    """The pieces an eval run uses, built once by the caller: the retriever (retrieval and answer
    modes), the chat model (answer and summary), the settings, and what identifies the store."""

    settings: Settings
    retriever: Retriever | None = None
    llm: LLM | None = None
    store_identity: str = ""
    documents: tuple[str, ...] = ()

    @classmethod
    def from_app(cls, app: App, mode: EvalMode) -> EvalPipeline:
        if mode == "summary":
            return cls(app.settings, llm=app.llm)
        return cls(app.settings, app.retriever, None if mode == "retrieval" else app.llm, app.manifest().identity,
                   tuple(sorted(d.doc_id for d in app.store.documents())))

    def need_retriever(self) -> Retriever:
        if self.retriever is None:
            raise EvalRunError("this eval mode needs a store to retrieve from")
        return self.retriever

    def need_llm(self) -> LLM:
        if self.llm is None:
            raise EvalRunError("this eval mode needs a chat model")
        return self.llm


def add_retrieval(retriever: Retriever, item: EvalItem, record: EvalRecord, baselines: bool) -> None:
    result = retriever.search(item.question, k=RETRIEVAL_DEPTH)
    record.retrieved = [RetrievedRef(rank=h.rank, source=h.chunk.source, doc_id=h.chunk.doc_id, chunk_id=h.chunk.id,
                                     score=round(h.score, 6)) for h in result.hits]
    record.timings.update({f"retrieve.{k}": v for k, v in result.timings.items()})
    if baselines:
        record.baselines = {mode: _sources(retriever.search(item.question, k=RETRIEVAL_DEPTH, mode=mode).hits)
                            for mode in BASELINES}


def add_answer(p: EvalPipeline, item: EvalItem, record: EvalRecord) -> None:
    from rag.answer import answer_question

    r = answer_question(item.question, p.need_retriever(), p.need_llm(), p.settings)
    record.answer, record.refused, record.model = r.answer, r.refused, r.model
    record.citations = [CitedPassage(n=n, source=c.source, section=c.section, text=c.text,
                                     heading=f"{c.named_title} {c.doc_number or ''}".strip()) for n, c in r.cited_chunks()]
    record.verification = r.verification.outcome if r.verification else None
    record.checks = [SentenceCheck(status=s.status, reasons=list(s.reasons), text=s.text)
                     for s in (r.verification.sentences if r.verification else []) if s.text.strip()]
    record.relevance, record.warnings, record.draft = r.relevance, r.warnings, r.draft
    record.answerable = r.answerable
    record.timings.update({f"answer.{k}": v for k, v in r.timings.items()})


def add_summary(p: EvalPipeline, item: EvalItem, record: EvalRecord) -> None:
    from rag.summarize import brief_summary

    t0 = time.perf_counter()
    record.summary = brief_summary(p.need_llm(), item.text, item.title, p.settings.generation)
    record.timings["summarize"] = time.perf_counter() - t0


@dataclass
class RunConfig:
    set_path: str
    set_sha256: str
    mode: str
    baselines: bool
    store_identity: str
    model: str
    # hashes of what else changes answers: a resumed run never mixes two configurations
    retrieval_settings: str = ""
    generation_settings: str = ""
    prompts: str = ""
    store_documents: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _sha(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()[:16]


def run_config(p: EvalPipeline, set_path: Path, mode: EvalMode, baseline: bool) -> RunConfig:
    """Everything an eval run's records depend on (threads and the server address do not count)."""
    from rag.resources import prompts_sha

    s = p.settings
    retrieval = "" if mode == "summary" else _sha({**s.retrieval.model_dump(), "index": s.index.kind,
                                                    "ef_search": s.index.hnsw_ef_search, "rerank": s.models.rerank})
    generation = "" if mode == "retrieval" else _sha(s.generation.model_dump(exclude={"threads", "base_url"}))
    if mode == "chat":
        generation = _sha([generation, s.conversation.model_dump()])
    documents = "" if mode == "summary" else _sha(list(p.documents))
    return RunConfig(str(set_path), file_sha256(set_path), mode, baseline,
                     "" if mode == "summary" else p.store_identity,
                     "" if mode == "retrieval" else p.need_llm().name, retrieval, generation,
                     "" if mode == "retrieval" else prompts_sha(), documents)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prepare_out(out: Path, config: RunConfig, fresh: bool) -> set[str]:
    """Create OUT, or resume the run in it; returns the ids already done."""
    out.mkdir(parents=True, exist_ok=True)
    run_file, items_file = out / "run.json", out / "items.jsonl"
    if fresh:
        items_file.unlink(missing_ok=True)
    elif run_file.exists() and items_file.exists():
        previous = json.loads(run_file.read_text(encoding="utf-8"))
        changed = [k for k, v in config.as_dict().items() if k != "set_path" and previous.get(k) != v]
        if changed:
            raise EvalRunError(f"{out} holds a run with a different {', '.join(changed)}; "
                               "pass --fresh to start over or choose another --out")
    write_text_atomic(run_file, json.dumps(config.as_dict(), ensure_ascii=False, indent=1))
    drop_torn_tail(items_file)
    return {r["id"] for r in read_records(items_file) if isinstance(r.get("id"), str)}


def new_record(item: EvalItem, mode: EvalMode) -> EvalRecord:
    if mode == "summary":
        return EvalRecord(id=item.id, type=item.type, mode=mode, title=item.title, text=item.text,
                          reference=item.summary)
    return EvalRecord(id=item.id, type=item.type, mode=mode, question=item.question, gold_answer=item.answer,
                      must_include=item.must_include, sources=item.sources)


def run_items(p: EvalPipeline, items: list[EvalItem], mode: EvalMode, out: Path, done: set[str],
              baselines: bool = False,
              on_item: Callable[[EvalRecord], None] | None = None) -> Iterator[EvalRecord]:
    """Evaluate the items not yet in ``done``, appending each record to OUT/items.jsonl (fsync'd)."""
    from rag.answer import QuestionError

    out.mkdir(parents=True, exist_ok=True)
    with (out / "items.jsonl").open("a", encoding="utf-8") as fh:
        for item in items:
            if item.id in done:
                continue
            record = new_record(item, mode)
            t0 = time.perf_counter()
            try:
                if mode == "summary":
                    add_summary(p, item, record)
                else:
                    add_retrieval(p.need_retriever(), item, record, baselines)
                    if mode == "answer":
                        add_answer(p, item, record)
            except QuestionError as exc:
                record.error = str(exc)
            record.timings["total"] = time.perf_counter() - t0
            record.timings = {k: round(v, 4) for k, v in record.timings.items()}
            append_record(fh, record.to_json())
            if on_item:
                on_item(record)
            yield record


def read_run(path: Path) -> list[EvalRecord]:
    """The records of OUT/items.jsonl (a line that is not a record is an error naming it)."""
    out = []
    for i, raw in enumerate(read_records(path), 1):
        try:
            out.append(EvalRecord.model_validate(raw))
        except ValidationError as exc:
            raise EvalRunError(f"{path}: record {i} is not an eval record ({exc.errors()[0]['msg']})") from exc
    return out


def run_eval(p: EvalPipeline, set_path: Path, mode: EvalMode, out_dir: Path, *, limit: int = 0, baseline: bool = False,
             fresh: bool = False, on_start: Callable[[int], None] | None = None,
             on_item: Callable[[], None] | None = None) -> list[EvalRecord]:
    """Run (or resume) an eval set into OUT_DIR: items.jsonl, metrics.json, report.html. Returns the
    records of this set's items."""
    from rag.report import write_html

    items = load_set(set_path, mode)[:limit or None]
    config = run_config(p, set_path, mode, baseline)
    done = prepare_out(out_dir, config, fresh)
    if on_start:
        on_start(sum(1 for i in items if i.id not in done))
    if mode != "summary":
        p.need_retriever().search("预热", k=1)  # load the embedder and indexes before the clock starts
    for _ in run_items(p, items, mode, out_dir, done, baseline):
        if on_item:
            on_item()
    wanted = {i.id for i in items}
    records = [r for r in read_run(out_dir / "items.jsonl") if r.id in wanted]
    metrics = compute_metrics(records)
    write_text_atomic(out_dir / "metrics.json", json.dumps(metrics, ensure_ascii=False, indent=1))
    write_html(out_dir / "report.html", metrics, records, config.as_dict())
    return records
