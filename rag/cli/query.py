"""Commands that answer: search, ask, chat."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from rag.cli import common
from rag.cli.common import (
    BackendOpt,
    BaseUrlOpt,
    FilterDoc,
    FilterFrom,
    FilterKind,
    FilterSource,
    FilterTo,
    FilterYear,
    JsonOpt,
    ModelOpt,
    NoLogOpt,
    StoreOpt,
    app,
    console,
    fail,
    guarded,
    make_filters,
    settings,
)

# --- search ---------------------------------------------------------------------------------------


if TYPE_CHECKING:
    from rag.retrieve import Mode


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
    rag_app = common.make_app(s)
    how = cast("Mode", mode)
    result = guarded(lambda: rag_app.retriever.search(question, k=k, filters=filters, mode=how))
    if json_out:
        print(json.dumps([h.as_dict() for h in result.hits], ensure_ascii=False, indent=2))
        return
    from rag.render import print_hits

    print_hits(console, result.hits, result.query_tokens)
    if not result.hits:
        console.print("no passages found")


# --- ask / chat --------------------------------------------------------------------------------------



@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="a question in Chinese")],
    k: Annotated[int | None, typer.Option("-k", help="passages to give the model")] = None,
    store: StoreOpt = None, json_out: JsonOpt = False, model: ModelOpt = None,
    backend: BackendOpt = None, base_url: BaseUrlOpt = None,
    source: FilterSource = None, doc: FilterDoc = None, date_from: FilterFrom = None,
    date_to: FilterTo = None, kind: FilterKind = None, year: FilterYear = None, no_log: NoLogOpt = False,
) -> None:
    """Answer a question from the documents, every claim cited and checked."""
    from rag.answer import answer_question
    from rag.render import draft_view, print_answer

    filters = make_filters(source, doc, date_from, date_to, kind, year)
    s = settings(store=store, generation__backend=backend, generation__base_url=base_url)
    rag_app = common.make_app(s)

    def go() -> Any:
        llm = rag_app.use_llm(model)
        if json_out:
            return answer_question(question, rag_app.retriever, llm, s, k=k, filters=filters)
        with draft_view(console) as view:
            return answer_question(question, rag_app.retriever, llm, s, k=k, filters=filters,
                                   on_token=view.token if view else None, on_evidence=view.evidence if view else None)

    result = guarded(go)
    if s.log.enabled and not no_log:
        from rag.answerlog import log_answer

        warning = log_answer(s.home, result, "ask", rag_app.manifest().identity)
        if warning:
            result.warnings.append(warning)
    if json_out:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        print_answer(console, result)


@app.command()
def chat(store: StoreOpt = None, model: ModelOpt = None, backend: BackendOpt = None,
         base_url: BaseUrlOpt = None, no_log: NoLogOpt = False) -> None:
    """Interactive questions and answers (/help for commands)."""
    from rag.repl import run_repl

    s = settings(store=store, generation__backend=backend, generation__base_url=base_url)
    rag_app = common.make_app(s)
    guarded(lambda: run_repl(rag_app, console, model, log=not no_log))
