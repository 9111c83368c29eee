"""`rag eval --mode chat`: conversations played as the REPL plays them (fake models), exactly."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rag.app import App
from rag.errors import EvalSetError
from rag.evalchat import load_chat_set, run_chat
from rag.evaluate import EvalPipeline
from rag.testing import Message
from tests.conftest import FakeLLM

RATE = "2019年龙岗区百人以上企业建会率达到多少？"
CONTRACTS = "2019年龙岗区签订了多少份集体合同？"
COVERED = "2019年龙岗区签订的集体合同覆盖多少职工？"
SOURCE = "001_db1d55a4d02b970e.txt"
CONVERSATIONS = [
    {"id": "c-1", "turns": [
        {"question": RATE},
        {"question": "那25-99人的企业呢？", "rewrite_must_include": ["2019", "龙岗", "25-99人", "建会率"],
         "standalone": "2019年龙岗区25-99人的企业建会率达到多少？", "must_include": ["74.4%"], "sources": [SOURCE]},
        {"question": "罗湖区建成了多少家四级职工服务阵地？"}]},
    {"id": "c-2", "turns": [
        {"question": CONTRACTS},
        {"question": "覆盖多少职工？", "rewrite_must_include": ["2019", "龙岗", "集体合同"], "standalone": COVERED,
         "must_include": ["27.9万"], "sources": [SOURCE]}]},
]


def _reply(messages: list[Message]) -> str:
    if "改写" in messages[0]["content"]:
        return COVERED
    user = messages[-1]["content"]
    for figure in ("74.4%", "27.9 万人", "27.9万人"):
        for n in range(1, 11):
            body = user.split(f"[{n}]", 1)[1][:1200] if f"[{n}]" in user else ""
            m = re.search(rf"[^，。；]*{re.escape(figure)}", body.split(f"[{n + 1}]")[0])
            if m and (("25-99" in messages[-1]["content"]) == (figure == "74.4%")):
                return f"{m.group(0)}[{n}]。"
    return "资料中未找到相关内容。"


def _set(tmp_path: Path, conversations: list[dict[str, object]]) -> Path:
    path = tmp_path / "chat.jsonl"
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in conversations), encoding="utf-8")
    return path


def test_chat_run_rewrites_answers_and_compares_with_standalone(seeded_app: App, tmp_path: Path) -> None:
    llm = FakeLLM(_reply)
    seeded_app.use_llm(llm)
    p, out = EvalPipeline.from_app(seeded_app, "answer"), tmp_path / "run"
    records = {r.id: r for r in run_chat(p, _set(tmp_path, CONVERSATIONS), out)}
    assert sorted(records) == ["c-1#1", "c-1#2", "c-1#2~standalone", "c-1#3", "c-2#1", "c-2#2", "c-2#2~standalone"]
    follow, covered = records["c-1#2"], records["c-2#2"]
    assert (follow.role, follow.searched, follow.rewritten_by, follow.rewrite_ok) == (
        "followup", "2019年龙岗区25-99人的企业建会率达到多少？", "code", True)
    assert (covered.searched, covered.rewritten_by, covered.rewrite_ok) == (COVERED, "model", True)
    assert (records["c-1#3"].role, records["c-1#3"].rewrite_ok, records["c-1#3"].answer) == ("standalone", True, "")
    assert records["c-1#1"].answer == "" and records["c-1#1"].role == "first"  # ungraded turns are not answered
    assert "74.4%" in follow.answer and follow.citations[0].source == SOURCE
    assert "27.9" in covered.answer and not covered.refused
    assert records["c-2#2~standalone"].question == COVERED and records["c-2#2~standalone"].role == "twin"
    chat = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["chat"]
    assert chat["rewrite"] == {"followups": 2, "rewritten_right": 1.0, "by_model": 1, "standalone": 1, "untouched": 1.0}
    assert chat["followup_answers"]["correct"] == 1.0 and chat["standalone_answers"]["correct"] == 1.0
    assert chat["correct_gap"] == 0.0 and chat["same_question"] == 2
    assert chat["followup_answers"]["retrieval"]["recall@5"] == 1.0
    # a rerun resumes: nothing is asked again
    sent = len(llm.sent)
    again = run_chat(p, _set(tmp_path, CONVERSATIONS), out)
    assert len(llm.sent) == sent and sorted(r.id for r in again) == sorted(records)


def test_without_the_model_rewrite_code_s_rewrite_is_scored(seeded_app: App, tmp_path: Path) -> None:
    seeded_app.settings.conversation.model_rewrite = False
    llm = FakeLLM(_reply)
    seeded_app.use_llm(llm)
    records = {r.id: r for r in run_chat(EvalPipeline.from_app(seeded_app, "answer"),
                                         _set(tmp_path, CONVERSATIONS[1:]), tmp_path / "run")}
    assert (records["c-2#2"].searched, records["c-2#2"].rewritten_by) == ("2019年龙岗区集体合同覆盖多少职工？", "code")
    assert not any("改写" in sent[0]["content"] for sent in llm.sent)  # the model answered, never rewrote
    chat = json.loads((tmp_path / "run" / "metrics.json").read_text(encoding="utf-8"))["chat"]
    assert chat["rewrite"]["rewritten_right"] == 1.0 and chat["rewrite"]["by_model"] == 0
    assert chat["same_question"] == 0


@pytest.mark.parametrize(("line", "message"), [
    ('{"id": "a"}', "chat.jsonl:1: turns: Field required"),
    ('{"id": "a", "turns": []}', "chat.jsonl:1: a conversation needs turns"),
    ('{"id": "a", "turns": [{"question": 3}]}', "chat.jsonl:1: turns.0.question"),
    ("not json", "chat.jsonl:1: not valid JSON"),
])
def test_a_bad_chat_set_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "chat.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(EvalSetError) as err:
        load_chat_set(path)
    assert message in str(err.value)


def test_the_shipped_chat_set_loads() -> None:
    items = load_chat_set(Path(__file__).resolve().parent.parent / "eval" / "chat_dev.jsonl")
    assert len(items) >= 30 and sum(t.graded for i in items for t in i.turns) >= 15
