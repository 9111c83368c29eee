"""``rag chat``: a REPL with line editing, persistent history, streaming answers and slash commands."""

from __future__ import annotations

import functools
import signal
import sys
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from rag.errors import FilterError
from rag.filters import clear_filters, describe_filters, set_filter
from rag.private import private_file
from rag.types import Filters

if TYPE_CHECKING:
    from rag.answer import AnswerResult
    from rag.answerlog import Entry
    from rag.app import App
    from rag.followup import Rewrite

HELP = """命令 / commands:
  /sources            the last answer's passages (/sources N: passage N in full, cited sentences marked)
  /new                start a new conversation (follow-ups no longer refer to earlier questions)
  /save FILE.md       this conversation's answers with their sources, as Markdown
  /k N                passages per question (now {k})
  /filter KEY=VALUE   source=NAME | doc=ID | year=2019 | year=2019-2021 | kind=review|plan|other
  /filter clear       remove all filters (now: {filters})
  /model NAME         default | small | models.txt name | GGUF path
  /help               this text
  /quit               leave (Ctrl-D too)
A follow-up ("那25-99人的企业呢？", "2020年呢？") is searched as a full question, shown dim before the answer.
End a line with \\ to continue the question on the next line. Ctrl-C stops an answer."""


@dataclass
class Session:
    """One conversation: its settings, the standalone questions asked so far, its answers."""

    k: int
    filters: Filters = field(default_factory=Filters)
    history: list[str] = field(default_factory=list)
    answers: list[Entry] = field(default_factory=list)
    last: AnswerResult | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def restart(self) -> None:
        self.history.clear()
        self.answers.clear()
        self.last = None
        self.id = uuid.uuid4().hex[:12]


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

    history = private_file(app.settings.home / "chat_history")
    session: PromptSession[str] = PromptSession(history=FileHistory(str(history)))
    return lambda prompt: session.prompt(prompt)


def interruptible() -> None:
    """Make Ctrl-C raise KeyboardInterrupt, which stops an answer: a process started in the
    background by a shell without job control inherits SIGINT ignored, and Python then installs no
    handler of its own, so Ctrl-C in the REPL would do nothing."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


def run_repl(app: App, console: Console, model: str | None = None, log: bool = True) -> None:
    interruptible()
    read = _reader(app)
    session = Session(app.settings.retrieval.k)
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
            command(app, console, session, cmd, arg.strip())
            continue
        ask(app, console, session, text, log)
    say("bye")


def ask(app: App, console: Console, session: Session, text: str, log: bool) -> None:
    from rag.answer import QuestionError, answer_question
    from rag.answerlog import entry_of, log_answer
    from rag.render import draft_view, print_answer

    asked = searched_question(app, console, session, text)
    if asked.changed:
        console.print(f"→ {asked.question}", style="dim", highlight=False, markup=False)
    try:
        with draft_view(console) as view:
            result = answer_question(asked.question, app.retriever, app.llm, app.settings, k=session.k,
                                     filters=session.filters, on_token=view.token if view else None,
                                     on_evidence=view.evidence if view else None)
    except QuestionError as exc:
        console.print(f"[yellow]{exc}[/]")
        return
    except KeyboardInterrupt:
        console.print("\n(stopped)", highlight=False, markup=False)
        return
    session.last = result
    session.history.append(asked.question)
    store = app.manifest().identity
    session.answers.append(entry_of(result, "chat", store, text, session.id))
    if log and app.settings.log.enabled:
        warning = log_answer(app.settings.home, result, "chat", store, text, session.id)
        if warning:
            result.warnings.append(warning)
    print_answer(console, result)


def searched_question(app: App, console: Console, session: Session, text: str) -> Rewrite:
    """The question as searched: rewritten by code, or by the model where code falls short."""
    from rag.followup import improve, rewrite

    done = rewrite(text, session.history)
    conv = app.settings.conversation
    if not (conv.model_rewrite and done.needs_model):
        return done
    try:
        with console.status("改写追问…"):
            return improve(done, session.history, app.llm, conv.rewrite_tokens)
    except KeyboardInterrupt:
        return done


def command(app: App, console: Console, session: Session, cmd: str, arg: str) -> None:
    say = functools.partial(console.print, highlight=False, markup=False)
    if cmd == "/help":
        say(HELP.format(k=session.k, filters=describe_filters(session.filters)))
    elif cmd == "/new":
        session.restart()
        say("new conversation")
    elif cmd == "/save":
        say(save(session, arg))
    elif cmd == "/k":
        if arg.isdigit() and 1 <= int(arg) <= 50:
            session.k = int(arg)
            say(f"k = {session.k}")
        else:
            say("usage: /k N (1-50)")
    elif cmd == "/filter":
        say(parse_filter(arg, session.filters))
    elif cmd == "/model":
        if arg:
            try:
                warm_up(app, arg)
            except Exception as exc:  # a bad name must not end the session
                console.print(f"[red]cannot use model {arg!r}:[/] {exc}", highlight=False)
                return
        say(f"model: {app.llm.name}")
    elif cmd == "/sources":
        show_sources(console, session.last, arg)
    else:
        say(f"unknown command {cmd}; /help lists them")


def save(session: Session, arg: str) -> str:
    from rag.answerlog import to_markdown

    if not arg:
        return "usage: /save FILE.md"
    if not session.answers:
        return "nothing to save yet: ask a question first"
    path = Path(arg).expanduser()
    try:
        path.write_text(to_markdown(session.answers), encoding="utf-8")
    except OSError as exc:
        return f"cannot write {path}: {exc.strerror or exc}"
    return f"saved {len(session.answers)} answer(s) to {path}"


def show_sources(console: Console, last: AnswerResult | None, arg: str) -> None:
    if last is None or not last.hits:
        console.print("no answer yet")
        return
    if not arg:
        for i, hit in enumerate(last.hits, start=1):
            c = hit.chunk
            console.print(Panel(c.text, title=f"[{i}] {c.source} | {c.section or '-'}", title_align="left"))
        return
    if not arg.isdigit() or not 1 <= int(arg) <= len(last.hits):
        console.print(f"usage: /sources N (1-{len(last.hits)})", highlight=False, markup=False)
        return
    n = int(arg)
    c = last.hits[n - 1].chunk
    console.print(Panel(cited_text(last, n), title=f"[{n}] {c.title or c.source} | {c.section or '-'}",
                        title_align="left"))


def cited_text(result: AnswerResult, n: int) -> Text:
    """Passage ``n`` with the sentences that the answer's claims citing it come from highlighted."""
    from rag.quotes import sentence_spans
    from rag.verify import strip_citations, support

    text = result.hits[n - 1].chunk.text
    shown = Text(text)
    sentences = sentence_spans(text)
    claims = [strip_citations(s.text) for s in (result.verification.sentences if result.verification else [])
              if n in s.citations and s.status in ("verified", "corrected", "flagged")]
    for claim in claims:
        best = max(sentences, key=lambda span: support(claim, text[span[0]:span[1]]), default=None)
        if best is not None and support(claim, text[best[0]:best[1]]) > 0.3:
            shown.stylize("bold reverse", *best)
    return shown
