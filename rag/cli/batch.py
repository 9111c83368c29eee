"""Batch commands: summarize, eval."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from rag.cli import common
from rag.cli.common import (
    BackendOpt,
    BaseUrlOpt,
    ModelOpt,
    NoLogOpt,
    StoreOpt,
    app,
    console,
    err,
    fail,
    guarded,
    progress_bar,
    settings,
)
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.app import App
    from rag.evaluate import EvalMode
    from rag.schemas import SummaryRecord
    from rag.types import EvalRecord


# --- summarize ------------------------------------------------------------------------------------

@app.command()
def summarize(
    paths: Annotated[list[Path] | None, typer.Argument(help="documents or folders (ingested first if needed)")] = None,
    all_docs: Annotated[bool, typer.Option("--all", help="every document in the store")] = False,
    schema: Annotated[str, typer.Option("--schema", help="work-plan | news | a JSON schema file")] = "work-plan",
    style: Annotated[str, typer.Option("--style", help="structured | brief (a short paragraph)")] = "structured",
    out: Annotated[Path, typer.Option("--out", help="output directory")] = Path("summaries"),
    fmt: Annotated[str, typer.Option("--format", help="what to print: md | jsonl (both files are written)")] = "md",
    workers: Annotated[int, typer.Option("--workers", help="parallel requests (HTTP backend only)")] = 0,
    fresh: Annotated[bool, typer.Option("--fresh", help="redo documents already summarized in --out")] = False,
    fast: Annotated[bool, typer.Option("--fast", help="the small model (same rules and checks; = --model small)")] = False,
    store: StoreOpt = None, model: ModelOpt = None, backend: BackendOpt = None, base_url: BaseUrlOpt = None,
    no_log: NoLogOpt = False,
) -> None:
    """Structured, cited summaries of work reports and news, in batch; a rerun resumes.

    A work report's plan and review are read from its own headings: plan items only from its plan
    part, review items only from its review part, targets, deadlines and owners by rules, each line
    cited; the model only phrases each area in one checked sentence."""
    from rag.summarize import load_schema_file

    if fast:
        if model not in (None, "small"):
            raise fail("--fast is --model small: pass one of them")
        model = "small"
    if bool(paths) == all_docs:
        raise fail("name documents (PATHS) or pass --all, not both")
    if style not in ("structured", "brief"):
        raise fail(f"--style {style!r}: expected structured or brief")
    if fmt not in ("md", "jsonl"):
        raise fail(f"--format {fmt!r}: expected md or jsonl")
    schema_value: Any = schema
    if schema not in ("work-plan", "news"):
        if not Path(schema).exists():
            raise fail(f"--schema {schema!r}: expected work-plan, news or an existing JSON schema file")
        schema_value = guarded(lambda: load_schema_file(Path(schema)))
    s = settings(store=store, generation__backend=backend, generation__base_url=base_url)
    rag_app = common.make_app(s)
    n_workers = workers or (4 if s.generation.backend == "openai" else 1)
    if n_workers > 1 and s.generation.backend != "openai":
        raise fail("--workers > 1 needs --backend openai (one in-process model answers one request at a time)")
    result = guarded(lambda: _summarize(rag_app, s, paths or [], schema_value, style, out, n_workers, fresh, model,
                                               no_log))
    if fmt == "jsonl":
        for record in result.records:
            print(json.dumps(record.model_dump(), ensure_ascii=False))
    else:
        console.print(result.out_md.read_text(encoding="utf-8"), highlight=False, markup=False, soft_wrap=True)
    err.print(f"{result.new} summarized, {result.skipped} already done -> {result.out_jsonl}, {result.out_md}",
              highlight=False)
    if any(r.errors for r in result.records):
        err.print("[yellow]some sections could not be summarized; see errors in the output[/]")
        raise typer.Exit(1)


def _ingest_first(rag_app: App, s: Settings, paths: list[Path]) -> None:
    """Bring the store up to date with these files before a batch job (a no-op when it is)."""
    from rag.ingest import ingest as run_ingest

    with rag_app.writer() as writer:
        report = run_ingest(paths, writer, s, rag_app.encoder)
    for f in report.failures:
        err.print(f"[red]failed[/] {f.path}: {f.reason}", highlight=False, soft_wrap=True)
    err.print(f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
              f"{report.failed} failed", highlight=False)


def _summarize(rag_app: Any, s: Settings, paths: list[Path], schema: Any, style: Any, out: Path, workers: int,
               fresh: bool, model: str | None, no_log: bool = False) -> Any:
    from rag.answerlog import AnswerLog, LogError
    from rag.summarize import summarize_batch, to_markdown

    if paths:
        missing = [p for p in paths if not p.exists()]
        if missing:
            raise fail(f"{missing[0]}: no such file or folder")
        _ingest_first(rag_app, s, paths)
        roots = [p.resolve() for p in paths]
        docs = [d for d in rag_app.store.documents()
                if any(Path(d.file) == r or r in Path(d.file).parents for r in roots)]
    else:
        docs = rag_app.store.documents()
    if not docs:
        raise fail("no documents to summarize")
    rag_app.use_llm(model)
    identity = rag_app.manifest().identity
    log = s.log.enabled and not no_log
    with progress_bar() as bar:
        task = bar.add_task("summarize", total=len(docs))

        def done(record: SummaryRecord) -> None:
            bar.update(task, advance=1, description=record.source[:30])
            if log:
                try:
                    AnswerLog(s.home).record_summary(record, to_markdown([record]), identity)
                except LogError as exc:
                    err.print(f"[yellow]warning[/] not logged: {exc}", highlight=False)

        return summarize_batch(rag_app, docs, schema, style, out, workers, fresh, on_done=done,
                               on_plan=lambda n: bar.update(task, total=n))


# --- eval -----------------------------------------------------------------------------------------

@app.command("eval")
def eval_cmd(
    target: Annotated[list[str], typer.Argument(metavar="SET.jsonl | compare A B",
                                                help="an eval set, or `compare` and two --out directories")],
    store: StoreOpt = None,
    mode: Annotated[str, typer.Option(help="retrieval | answer | summary | chat")] = "answer",
    out: Annotated[Path | None, typer.Option("--out", help="run directory (default: eval-runs/<set>-<mode>)")] = None,
    limit: Annotated[int, typer.Option("--limit", help="only the first N items, or conversations (0 = all)")] = 0,
    baseline: Annotated[bool, typer.Option("--baseline", help="also BM25-only and dense-only retrieval")] = False,
    corpus: Annotated[list[Path] | None, typer.Option("--corpus", help="ingest these files/folders first")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="discard earlier records in --out")] = False,
    style: Annotated[str, typer.Option("--style", help="summary mode: brief (the short paragraph graded by "
                                                        "ROUGE-L; the only style with reference texts)")] = "brief",
    model: ModelOpt = None, backend: BackendOpt = None, base_url: BaseUrlOpt = None,
) -> None:
    """Run an eval set (JSON lines, see eval/FORMAT.md) and report metrics; resumable."""
    if style != "brief":
        raise fail(f"--style {style!r}: summary sets are graded as brief summaries (ROUGE-L); structured "
                   "work-plan summaries are scored by `python -m bench.plan_summaries`")
    from rag.evaluate import compute_metrics
    from rag.report import print_compare, print_metrics

    if target and target[0] == "compare":
        if len(target) != 3:
            raise fail("usage: rag eval compare RUN_A RUN_B")
        try:
            print_compare(Path(target[1]), Path(target[2]), console)
        except (FileNotFoundError, ValueError) as exc:
            raise fail(str(exc)) from exc
        return
    if len(target) != 1:
        raise fail("usage: rag eval SET.jsonl [options]  |  rag eval compare RUN_A RUN_B")
    if mode not in ("retrieval", "answer", "summary", "chat"):
        raise fail(f"--mode {mode!r}: expected retrieval, answer, summary or chat")
    run_mode = cast("EvalMode", mode)
    set_path = Path(target[0])
    s = settings(store=store, generation__backend=backend, generation__base_url=base_url)
    rag_app = common.make_app(s)
    out_dir = out or Path("eval-runs") / f"{set_path.stem}-{mode}"
    records = guarded(lambda: _eval(rag_app, s, set_path, run_mode, out_dir, limit, baseline, corpus, fresh, model))
    print_metrics(compute_metrics(records), console)
    console.print(f"{len(records)} records -> {out_dir / 'items.jsonl'}, {out_dir / 'metrics.json'}"
                  + ("" if mode == "chat" else f", {out_dir / 'report.html'}"), highlight=False)


def _eval(rag_app: App, s: Settings, set_path: Path, mode: EvalMode, out_dir: Path, limit: int, baseline: bool,
          corpus: list[Path] | None, fresh: bool, model: str | None) -> list[EvalRecord]:
    from rag.evalchat import run_chat
    from rag.evaluate import EvalPipeline, run_eval

    if corpus:
        _ingest_first(rag_app, s, corpus)
    if mode != "retrieval":
        rag_app.use_llm(model)
    with progress_bar() as bar:
        task = bar.add_task(f"eval {mode}", total=None)
        if mode == "chat":
            return run_chat(EvalPipeline.from_app(rag_app, "answer"), set_path, out_dir, limit=limit, fresh=fresh,
                            on_start=lambda todo: bar.update(task, total=todo), on_item=lambda: bar.advance(task))
        return run_eval(EvalPipeline.from_app(rag_app, mode), set_path, mode, out_dir, limit=limit, baseline=baseline, fresh=fresh,
                        on_start=lambda todo: bar.update(task, total=todo), on_item=lambda: bar.advance(task))
