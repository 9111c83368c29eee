"""``rag chat``: a REPL with line editing, persistent history, streaming answers and slash commands."""

from __future__ import annotations

import functools
import sys
from typing import TYPE_CHECKING

from rich.console import Console
from rich.panel import Panel

from rag.errors import FilterError
from rag.filters import clear_filters, describe_filters, set_filter
from rag.types import Filters

if TYPE_CHECKING:
    from rag.answer import AnswerResult
    from rag.app import App

HELP = """命令 / commands:
  /sources            full text of the last answer's passages
  /k N                passages per question (now {k})
  /filter KEY=VALUE   source=NAME | doc=ID | year=2019 | year=2019-2021 | kind=review|plan|other
  /filter clear       remove all filters (now: {filters})
  /model NAME         default | small | models.txt name | GGUF path
  /help               this text
  /quit               leave (Ctrl-D too)
End a line with \\ to continue the question on the next line. Ctrl-C stops an answer."""


def parse_filter(arg: str, filters: Filters) -> str:
    arg = arg.strip()
    if arg in ("", "clear", "none"):
        clear_filters(filters)
        return "filters cleared"
    key, sep, value = arg.partition("=")
    if not sep or not value.strip():
        return "usage: /filter KEY=VALUE (source, doc, year, kind) or /filter clear"
    try:
        set_filter(filters, key, value)
    except FilterError as exc:
        return str(exc)
    return f"filter {key.strip()}={value.strip()} set"


def warm_up(app: App, model: str | None) -> None:
    """Load everything a first question needs, so it is answered as fast as the later ones: the
    embedder, the keyword index, jieba, and the model with the fixed prompt prefix in its KV cache."""
    from rag.prompting import PromptPassage, build_qa_prompt

    llm = app.use_llm(model)
    app.retriever.search("工作", k=1)
    built = build_qa_prompt("", [PromptPassage(1, "", "", "")], llm.count_tokens, llm.n_ctx)
    for _ in llm.stream([*built.messages[:-1], {"role": "user", "content": ""}], max_tokens=1):
        break


def _reader(app: App):  # type: ignore[no-untyped-def]
    if not sys.stdin.isatty():
        return lambda prompt: input(prompt)
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    app.settings.home.mkdir(parents=True, exist_ok=True)
    session: PromptSession[str] = PromptSession(history=FileHistory(str(app.settings.home / "chat_history")))
    return lambda prompt: session.prompt(prompt)


def run_repl(app: App, console: Console, model: str | None = None) -> None:
    from rag.answer import QuestionError, answer_question
    from rag.render import draft_view, print_answer

    read = _reader(app)
    k = app.settings.retrieval.k
    filters = Filters()
    last: AnswerResult | None = None
    console.print("loading models…", style="dim")
    warm_up(app, model)
    say = functools.partial(console.print, highlight=False, markup=False)
    say(f"ready: {app.store.counts()['documents']} documents. /help for commands, /quit to leave.")
    while True:
        try:
            line = read("问> ")
            while line.endswith("\\"):
                line = line[:-1] + "\n" + read("..> ")
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        text = line.strip()
        if not text:
            continue
        if text.startswith("/"):
            cmd, _, arg = text.partition(" ")
            if cmd in ("/quit", "/exit", "/q"):
                break
            if cmd == "/help":
                console.print(HELP.format(k=k, filters=describe_filters(filters)), highlight=False, markup=False)
            elif cmd == "/k":
                if arg.strip().isdigit() and 1 <= int(arg) <= 50:
                    k = int(arg)
                    say(f"k = {k}")
                else:
                    say("usage: /k N (1-50)")
            elif cmd == "/filter":
                say(parse_filter(arg, filters))
            elif cmd == "/model":
                if not arg.strip():
                    say(f"model: {app.llm.name}")
                else:
                    try:
                        warm_up(app, arg.strip())
                        say(f"model: {app.llm.name}")
                    except Exception as exc:  # a bad name must not end the session
                        console.print(f"[red]cannot use model {arg.strip()!r}:[/] {exc}", highlight=False)
            elif cmd == "/sources":
                if last is None or not last.hits:
                    console.print("no answer yet")
                for i, hit in enumerate(last.hits if last else [], start=1):
                    c = hit.chunk
                    console.print(Panel(c.text, title=f"[{i}] {c.source} | {c.section or '-'}", title_align="left"))
            else:
                console.print(f"unknown command {cmd}; /help lists them")
            continue
        try:
            with draft_view(console) as on_token:
                last = answer_question(text, app.retriever, app.llm, app.settings, k=k, filters=filters,
                                       on_token=on_token)
            print_answer(console, last)
        except QuestionError as exc:
            console.print(f"[yellow]{exc}[/]")
        except KeyboardInterrupt:
            say("\n(stopped)")
    say("bye")
