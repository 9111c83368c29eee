"""``rag eval --mode chat``: conversations played turn by turn as ``rag chat`` plays them.

Each turn is rewritten from the standalone questions before it (code, then the model where code
falls short, as in the REPL). A follow-up's rewrite is right when it holds its
``rewrite_must_include`` strings; a later turn without that field must come out untouched. A graded
turn (``must_include``, or ``type: unanswerable``) is retrieved and answered as searched, and when it
names its ``standalone`` twin, that question is answered too, on its own: follow-up accuracy is
compared with the accuracy of the same questions asked standalone. The rewriter uses questions
only, so ungraded turns are not answered. Records go to ``OUT/items.jsonl`` (``<id>#<turn>`` and
``<id>#<turn>~standalone``) and a killed run resumes where it stopped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from rag.durable import write_text_atomic
from rag.errors import EvalSetError
from rag.evalmetrics import compute_metrics
from rag.evaluate import EvalPipeline, add_answer, add_retrieval, prepare_out, read_run, run_config
from rag.jsonl import append_record
from rag.types import ChatItem, ChatTurn, EvalItem, EvalRecord


def load_chat_set(path: Path) -> list[ChatItem]:
    """Read and check a chat set (``eval/FORMAT.md``); errors name the file and line."""
    if not path.is_file():
        raise EvalSetError(f"{path}: no such eval set")
    items: list[ChatItem] = []
    seen: set[str] = set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = ChatItem.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise EvalSetError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from exc
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(x) for x in err["loc"])
            raise EvalSetError(f"{path}:{lineno}: {where}: {err['msg']} (is this a chat set, with turns?)") from exc
        if item.id in seen:
            raise EvalSetError(f"{path}:{lineno}: duplicate id {item.id!r}")
        if not item.turns or any(not t.question.strip() for t in item.turns):
            raise EvalSetError(f"{path}:{lineno}: a conversation needs turns, each with a question")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise EvalSetError(f"{path}: the eval set is empty")
    return items


def role(turn: ChatTurn, index: int) -> str:
    if index == 0:
        return "first"
    return "standalone" if turn.rewrite_must_include is None else "followup"


def _record(item: ChatItem, turn: ChatTurn, index: int, question: str, record_role: str) -> EvalRecord:
    suffix = "~standalone" if record_role == "twin" else ""
    return EvalRecord(id=f"{item.id}#{index + 1}{suffix}", type=turn.type, mode="chat", question=question,
                      gold_answer=turn.answer, must_include=turn.must_include, sources=turn.sources,
                      conversation=item.id, turn=index + 1, role=record_role)


def _answer(p: EvalPipeline, record: EvalRecord, question: str) -> None:
    from rag.answer import QuestionError

    item = EvalItem(id=record.id, question=question)
    try:
        add_retrieval(p.need_retriever(), item, record, baselines=False)
        add_answer(p, item, record)
    except QuestionError as exc:
        record.error = str(exc)


def play(p: EvalPipeline, item: ChatItem, done: dict[str, EvalRecord], emit: Callable[[EvalRecord], None]) -> None:
    """Play one conversation; turns already in ``done`` are not run again (their rewrite is reused)."""
    from rag.followup import carries, resolve

    conv = p.settings.conversation
    history: list[str] = []
    for index, turn in enumerate(item.turns):
        record = _record(item, turn, index, turn.question, role(turn, index))
        if record.id in done:
            history.append(done[record.id].searched or turn.question)
            continue
        t0 = time.perf_counter()
        llm = p.need_llm() if conv.model_rewrite else None
        asked = resolve(turn.question, history, llm, conv.rewrite_tokens)
        record.timings["rewrite"] = time.perf_counter() - t0
        record.searched, record.rewritten_by = asked.question, asked.by or None
        if record.role == "followup":
            record.rewrite_must_include = turn.rewrite_must_include
            record.rewrite_ok = carries(asked.question, turn.rewrite_must_include)
        elif record.role == "standalone":
            record.rewrite_ok = not asked.changed
        if turn.graded:
            _answer(p, record, asked.question)
            if turn.standalone:
                twin = _record(item, turn, index, turn.standalone, "twin")
                if twin.id not in done:
                    t1 = time.perf_counter()
                    _answer(p, twin, turn.standalone)
                    twin.timings["total"] = time.perf_counter() - t1
                    emit(twin)
        record.timings["total"] = time.perf_counter() - t0
        history.append(asked.question)
        emit(record)


def run_chat(p: EvalPipeline, set_path: Path, out_dir: Path, *, limit: int = 0, fresh: bool = False,
             on_start: Callable[[int], None] | None = None,
             on_item: Callable[[], None] | None = None) -> list[EvalRecord]:
    """Run (or resume) a chat set into OUT_DIR (items.jsonl, metrics.json); ``limit`` counts conversations."""
    items = load_chat_set(set_path)[:limit or None]
    config = run_config(p, set_path, "chat", False)
    prepare_out(out_dir, config, fresh)
    items_file = out_dir / "items.jsonl"
    done = {r.id: r for r in read_run(items_file)} if items_file.exists() else {}
    if on_start:
        on_start(sum(1 for i in items if any(_record(i, t, n, "", role(t, n)).id not in done
                                             for n, t in enumerate(i.turns))))
    p.need_retriever().search("预热", k=1)
    with items_file.open("a", encoding="utf-8") as fh:
        def emit(record: EvalRecord) -> None:
            record.timings = {k: round(v, 4) for k, v in record.timings.items()}
            append_record(fh, record.to_json())
            done[record.id] = record

        for item in items:
            play(p, item, done, emit)
            if on_item:
                on_item()
    wanted = {i.id for i in items}
    records = [r for r in read_run(items_file) if r.conversation in wanted]
    write_text_atomic(out_dir / "metrics.json", json.dumps(compute_metrics(records), ensure_ascii=False, indent=1))
    return records
