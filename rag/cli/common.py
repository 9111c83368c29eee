"""What every command shares: the typer app and its global options, the consoles, settings from
flags, one-line errors, the progress bar, the option types."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from typer.core import TyperGroup

from rag.errors import RagError
from rag.settings import Settings, SettingsError, load_settings
from rag.types import Filters


class _Commands(TyperGroup):
    """Commands in the order a new user meets them, whichever module defines them."""

    ORDER = ("models", "install-models", "config", "ingest", "remove", "doctor", "reindex", "search", "ask",
             "chat", "log", "summarize", "eval")

    def list_commands(self, ctx: Any) -> list[str]:
        known = {n: i for i, n in enumerate(self.ORDER)}
        return sorted(super().list_commands(ctx), key=lambda name: known.get(name, len(known)))


app = typer.Typer(cls=_Commands, add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Offline, cited question answering over Chinese policy documents.")
console = Console()
err = Console(stderr=True)

if TYPE_CHECKING:
    from rich.progress import Progress

    from rag.app import App

T = TypeVar("T")
_state: dict[str, Any] = {}

StoreOpt = Annotated[Path | None, typer.Option("--store", help="store directory")]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]
NoLogOpt = Annotated[bool, typer.Option("--no-log", help="do not record this in the answer log (`rag log`)")]


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


def make_app(s: Settings) -> App:
    """The one place commands get their pieces from (tests put fakes in here)."""
    from rag.app import App

    return App(s)


def guarded(fn: Callable[[], T]) -> T:
    """Turn the library's user-facing errors into one clear line and a non-zero exit."""
    try:
        return fn()
    except RagError as exc:
        raise fail(str(exc)) from exc


def progress_bar(hidden: bool = False) -> Progress:
    """The one progress bar of long commands: on stderr, only on a terminal, gone when done."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=err, disable=hidden or not err.is_terminal, transient=True)


FilterSource = Annotated[list[str] | None, typer.Option("--source", help="only this file name / record id (* wildcards)")]
FilterDoc = Annotated[list[str] | None, typer.Option("--doc", help="only this document id")]
FilterFrom = Annotated[str | None, typer.Option("--from", help="documents dated on/after (YYYY or YYYY-MM-DD)")]
FilterTo = Annotated[str | None, typer.Option("--to", help="documents dated on/before (YYYY or YYYY-MM-DD)")]
FilterKind = Annotated[str | None, typer.Option("--kind", help="review | plan | other")]
FilterYear = Annotated[str | None, typer.Option("--year", help="a year or range, e.g. 2019 or 2019-2021")]
ModelOpt = Annotated[str | None, typer.Option("--model", help="default | small | models.txt name | GGUF path")]
BackendOpt = Annotated[str | None, typer.Option("--backend", help="llama | openai | fake (no model: copies a passage)")]
BaseUrlOpt = Annotated[str | None, typer.Option("--base-url", help="OpenAI-compatible server URL")]


def make_filters(source: list[str] | None, doc: list[str] | None, date_from: str | None, date_to: str | None,
                 kind: str | None, year: str | None) -> Filters:
    from rag.filters import make_filters as build

    try:
        return build(source, doc, date_from, date_to, kind, year)
    except RagError as exc:
        raise fail(f"--{exc!s}") from exc
