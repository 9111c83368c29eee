"""``rag log``: the answers given so far (list, show one with its passages, export to Markdown)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rag.cli.common import JsonOpt, app, console, fail, guarded, settings

log_app = typer.Typer(add_completion=False, rich_markup_mode=None, no_args_is_help=False,
                      help="The answer log: every answer of `rag ask` and `rag chat` ($RAG_HOME/log.sqlite).")
app.add_typer(log_app, name="log")


@log_app.callback(invoke_without_command=True)
def log_list(
    ctx: typer.Context,
    n: Annotated[int, typer.Option("-n", help="how many, newest first (0 = all)")] = 20,
    search: Annotated[str, typer.Option("--search", help="only answers whose question or text holds this")] = "",
    json_out: JsonOpt = False,
) -> None:
    """The latest answers (`rag log show ID` for one, `rag log export FILE.md` to hand them on)."""
    if ctx.invoked_subcommand is not None:
        return
    from rag.answerlog import AnswerLog

    entries = guarded(lambda: AnswerLog(settings().home).entries(limit=n, search=search))
    if json_out:
        print(json.dumps([e.as_dict() for e in entries], ensure_ascii=False, indent=2))
        return
    if not entries:
        console.print("the answer log is empty" + (f" for {search!r}" if search else ""))
        return
    table = Table()
    for col in ("id", "time", "question", "answer", "outcome"):
        table.add_column(col, overflow="fold")
    for e in entries:
        asked = e.question if e.searched == e.question else f"{e.question} → {e.searched}"
        table.add_row(str(e.id), time.strftime("%m-%d %H:%M", time.localtime(e.time)), asked,
                      e.answer[:80] + ("…" if len(e.answer) > 80 else ""), e.outcome)
    console.print(table)


@log_app.command("show")
def log_show(entry_id: Annotated[int, typer.Argument(help="an id from `rag log`")], json_out: JsonOpt = False) -> None:
    """One answer with its cited passages."""
    from rag.answerlog import AnswerLog, to_markdown

    entry = guarded(lambda: AnswerLog(settings().home).get(entry_id))
    if json_out:
        print(json.dumps(entry.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(to_markdown([entry]), end="")


@log_app.command("export")
def log_export(
    file: Annotated[Path, typer.Argument(help="Markdown file to write")],
    since: Annotated[str | None, typer.Option("--since", help="only answers from this date on (YYYY-MM-DD)")] = None,
) -> None:
    """The logged answers (oldest first) with inline citations and their quoted sources, as Markdown."""
    from rag.answerlog import AnswerLog, to_markdown

    start = None
    if since:
        try:
            start = time.mktime(time.strptime(since, "%Y-%m-%d"))
        except ValueError as exc:
            raise fail(f"--since {since!r}: expected YYYY-MM-DD") from exc
    entries = guarded(lambda: AnswerLog(settings().home).entries(limit=0, since=start))
    if not entries:
        raise fail("no answers to export" + (f" since {since}" if since else ""))
    try:
        file.write_text(to_markdown(list(reversed(entries))), encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {file}: {exc.strerror or exc}") from exc
    console.print(f"exported {len(entries)} answer(s) -> {file}", highlight=False)
