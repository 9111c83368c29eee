"""`rag summarize` wiring with fake models: grouping, constrained-output retries, verification of
every item against its cited chunk, Markdown, custom schemas and resume after SIGKILL."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rag.app import App
from rag.schemas import SummaryRecord
from rag.summarize import SummarizeError, group_chunks, load_schema_file, summarize_batch, summarize_document
from tests.conftest import ROOT, SEEDS, FakeEncoder, FakeLLM, ingest_paths

WORK_PLAN = "001_db1d55a4d02b970e.txt"


def _doc(app: App, source: str) -> dict[str, Any]:
    return next(d for d in app.store.documents() if d.source == source)


def _passage_with(user: str, needle: str) -> int:
    """The number of the passage in the prompt that contains ``needle`` (0 when none does)."""
    for m in re.finditer(r"^\[(\d+)\]", user, re.M):
        end = user.find("\n[", m.end())
        if needle in user[m.end():end if end > 0 else None].replace(" ", ""):
            return int(m.group(1))
    return 0


def scripted(messages: list[dict[str, str]]) -> str:
    user = messages[1]["content"]
    if "每一项都要写" in user:  # a work report read by its structure: one phrasing per area, its title here
        items = [{"n": int(n), "summary": t} for n, t in re.findall(r"^\[(\d+)\] 标题：(.+)$", user, re.M)]
        return json.dumps({"items": items}, ensure_ascii=False)
    if "issuer" in user:
        return json.dumps({"issuer": "深圳市龙岗区总工会"}, ensure_ascii=False)
    if "工作总结部分" in user:
        review = []
        if n := _passage_with(user, "98.9%"):
            review += [
                {"item": "百人以上企业建会率达98.9%", "figures": ["98.9%", "99.9%"], "cite": n},  # 99.9% invented
                {"item": "建会率达98.9%，新增会员100万", "figures": [], "cite": n},  # invented figure in the item
                {"item": "百人以上企业建会率达98.9%，超额完成年度组建任务", "figures": ["98.9%"], "cite": 9},  # no passage 9
            ]
        if n := _passage_with(user, "2346"):
            review.append({"item": "完成2346宗劳资纠纷调处工作", "figures": ["2346宗", "1.8亿元"], "cite": n})
        return json.dumps({"review": review, "problems": []}, ensure_ascii=False)
    if "工作计划部分" in user:
        plan = [{"goal": "不断夯实基层组织建设基础", "measures": ["深入探索智慧工建模式"], "targets": [],
                 "owner": "火星工会委员会", "deadline": "", "cite": 1}]  # owner not in the document
        return json.dumps({"plan": plan}, ensure_ascii=False)
    return json.dumps({"review": [], "plan": []})


@pytest.fixture
def work_plan_app(fake_app: App) -> App:
    ingest_paths(fake_app, [SEEDS])
    fake_app.use_llm(FakeLLM(scripted))
    return fake_app


def test_groups_follow_sections_and_cover_every_chunk(work_plan_app: App) -> None:
    chunks = work_plan_app.store.document_chunks(_doc(work_plan_app, WORK_PLAN).doc_id)
    groups = group_chunks(chunks, max_chars=1500)
    assert [c.id for g in groups for c in g.chunks] == [c.id for c in chunks]
    for g in groups:
        assert len({c.kind for c in g.chunks}) == 1
        assert all(" > ".join(c.section.split(" > ")[:2]) == g.section for c in g.chunks)
        assert len(g.chunks) == 1 or sum(len(c.text) for c in g.chunks) <= 1500
    assert any("2020年工作思路" in g.section and g.kind == "plan" for g in groups)


def test_items_are_verified_against_their_chunks(work_plan_app: App) -> None:
    app = work_plan_app
    doc = _doc(app, WORK_PLAN)
    chunks = app.store.document_chunks(doc.doc_id)
    record = summarize_document(app.llm, doc, chunks, "work-plan", app.settings.generation)
    by_id = {c.id: c for c in chunks}
    items = {i.item: i for i in record.review}
    first = items["百人以上企业建会率达98.9%"]
    assert first.figures == ["98.9%"]  # the invented 99.9% is removed
    assert "98.9" in by_id[first.citations[0].chunk_id].text
    assert "建会率达98.9%，新增会员100万" not in items  # an invented figure in the item drops the item
    recited = items["百人以上企业建会率达98.9%，超额完成年度组建任务"]  # cited [9], re-cited by wording
    assert "98.9" in by_id[recited.citations[0].chunk_id].text
    money = items["完成2346宗劳资纠纷调处工作"]
    assert money.figures == ["2346宗", "1.8亿元"]
    assert any("1.8" in by_id[c.chunk_id].text for c in money.citations)
    assert record.plan and all(p.owner == "" for p in record.plan)  # the invented owner is emptied
    assert record.issuer == "深圳市龙岗区总工会" and record.doc_number == "深龙工〔2020〕8号"
    v = record.verification
    assert any("99.9%" in d for d in v.dropped) and any("names no passage" in c for c in v.corrected)
    assert any("火星工会委员会" in c for c in v.corrected)
    assert not record.errors
    # every figure-bearing clause is harvested verbatim by code, cited to the chunk that holds it
    harvested = {f: item for item in record.figures for f in item.figures}
    for figure in ("98.9%", "2346宗", "1.8亿元", "357份", "27.9万人"):
        item = harvested[figure]
        source_text = by_id[item.citations[0].chunk_id].text
        assert figure in item.text.replace(" ", "")
        assert all(part.rstrip("，,、") in source_text for part in item.text.split("…") if part)
    SummaryRecord.model_validate_json(record.model_dump_json())


def test_invalid_output_is_retried_then_reported(work_plan_app: App) -> None:
    app = work_plan_app
    calls = {"n": 0}

    def flaky(messages: list[dict[str, str]]) -> str:
        calls["n"] += 1
        if len(messages) == 2:  # first attempt: truncated JSON
            return '{"review": [{"item": "建会'
        return scripted([messages[0], messages[1]])

    app.use_llm(FakeLLM(flaky))
    doc = _doc(app, WORK_PLAN)
    record = summarize_document(app.llm, doc, app.store.document_chunks(doc.doc_id), "work-plan",
                                app.settings.generation)
    assert not record.errors and record.review
    retry_prompts = [m for sent in app.llm.sent if len(sent) == 4 for m in sent]  # type: ignore[attr-defined]
    assert any("不是完整有效的JSON" in m["content"] for m in retry_prompts)

    app.use_llm(FakeLLM("not json at all"))
    record = summarize_document(app.llm, doc, app.store.document_chunks(doc.doc_id), "work-plan",
                                app.settings.generation)
    assert record.errors and all("invalid output after 2 attempts" in e for e in record.errors)
    assert not record.review and not record.plan


def test_custom_schema_file(work_plan_app: App, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(SummarizeError, match=r"bad\.json is not valid JSON"):
        load_schema_file(bad)
    bad.write_text('{"type": "array"}', encoding="utf-8")
    with pytest.raises(SummarizeError, match="expected a JSON schema"):
        load_schema_file(bad)
    good = tmp_path / "mine.json"
    good.write_text(json.dumps({"type": "object", "properties": {"指标": {"type": "array", "items": {"type": "string"}}},
                                "required": ["指标"]}), encoding="utf-8")
    schema = load_schema_file(good)
    app = work_plan_app
    app.use_llm(FakeLLM('{"指标": ["建会率98.9%", "会员8888万"]}'))
    doc = _doc(app, WORK_PLAN)
    record = summarize_document(app.llm, doc, app.store.document_chunks(doc.doc_id), schema,
                                app.settings.generation)
    assert record.custom and record.custom[0]["output"]["指标"][0] == "建会率98.9%"
    assert any("8888" in d for d in record.verification.dropped)


def test_brief_style_drops_sentences_with_invented_figures(work_plan_app: App, tmp_path: Path) -> None:
    app = work_plan_app
    app.use_llm(FakeLLM("龙岗区百人以上企业建会率达98.9%。全区会员突破500万人。工会工作成绩显著。"))
    doc = _doc(app, WORK_PLAN)
    result = summarize_batch(app, [doc], "work-plan", "brief", tmp_path / "out")
    [record] = result.records
    assert record.brief == "龙岗区百人以上企业建会率达98.9%。工会工作成绩显著。"
    assert "98.9%" in result.out_md.read_text(encoding="utf-8")


def test_cli_summarize_writes_jsonl_and_markdown(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rag import cli
    from rag.cli import common as cli_common

    monkeypatch.setattr(cli_common, "make_app", lambda s: App(s, encoder=FakeEncoder(), llm=FakeLLM(scripted)))
    out = tmp_path / "out"
    res = CliRunner().invoke(cli.app, ["summarize", str(SEEDS / WORK_PLAN), "--out", str(out)],
                             env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "工作回顾" in res.output and "98.9%" in res.output and "工作计划" in res.output
    [line] = (out / "summaries.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["source"] == WORK_PLAN

    res = CliRunner().invoke(cli.app, ["summarize", str(SEEDS / WORK_PLAN), "--out", str(out), "--format", "jsonl"])
    assert res.exit_code == 0 and "1 already done" in res.output
    # the summary made (not the one skipped) is in the answer log, with its Markdown
    from rag.answerlog import AnswerLog

    [logged] = AnswerLog(home).entries()
    assert logged.command == "summarize" and logged.searched == WORK_PLAN and "98.9%" in logged.answer
    res = CliRunner().invoke(cli.app, ["summarize", "--out", str(out)])
    assert res.exit_code == 1 and "--all" in res.output
    res = CliRunner().invoke(cli.app, ["summarize", "--all", "--schema", "nope", "--out", str(out)])
    assert res.exit_code == 1 and "nope" in res.output
    res = CliRunner().invoke(cli.app, ["summarize", "--all", "--fast", "--model", "default", "--out", str(out)])
    assert res.exit_code == 1 and "--fast is --model small" in res.output
    # a narrow terminal or a pipe gets the Markdown lines as written, not re-wrapped
    res = CliRunner().invoke(cli.app, ["summarize", str(SEEDS / WORK_PLAN), "--out", str(tmp_path / "o2"), "--no-log"],
                             env={"COLUMNS": "40"})
    assert res.exit_code == 0 and "   - 出处：三、2020 年工作思路 > （一）不断夯实基层组织建设基础\n" in res.output


def test_killed_batch_resumes_without_redoing_documents(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.summarize_worker", str(out), "0.4"], cwd=ROOT, env=env)
    jsonl = out / "summaries.jsonl"
    deadline = time.time() + 180  # generous: CI machines may be busy
    while time.time() < deadline and (not jsonl.exists() or jsonl.read_text(encoding="utf-8").count("\n") < 1):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    written = [json.loads(x)["doc_id"] for x in jsonl.read_text(encoding="utf-8").splitlines() if x.endswith("}")]
    assert 1 <= len(written) < 4
    done = subprocess.run([sys.executable, "-m", "tests.summarize_worker", str(out), "0"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["skipped"] == len(written) and report["new"] == 4 - len(written)
    ids = [json.loads(x)["doc_id"] for x in jsonl.read_text(encoding="utf-8").splitlines()]
    assert len(ids) == len(set(ids)) == 4


def test_parallel_workers_write_every_document_once(work_plan_app: App, tmp_path: Path) -> None:
    import threading

    seen_threads: set[int] = set()

    def reply(messages: list[dict[str, str]]) -> str:
        seen_threads.add(threading.get_ident())
        time.sleep(0.01)
        return scripted(messages)

    app = work_plan_app
    app.use_llm(FakeLLM(reply))
    docs = app.store.documents()
    result = summarize_batch(app, docs, "work-plan", "structured", tmp_path / "out", workers=3)
    assert result.new == len(docs) == 4 and len(seen_threads) > 1
    ids = [json.loads(x)["doc_id"] for x in result.out_jsonl.read_text(encoding="utf-8").splitlines()]
    assert sorted(ids) == sorted(d.doc_id for d in docs)


def test_brief_style_strips_an_echoed_prompt_and_keeps_whole_sentences(work_plan_app: App, tmp_path: Path) -> None:
    app = work_plan_app
    long_tail = "工会工作成绩显著。" * 40
    app.use_llm(FakeLLM("标题：龙岗区总结正文：龙岗区百人以上企业建会率达98.9%。" + long_tail))
    doc = _doc(app, WORK_PLAN)
    [record] = summarize_batch(app, [doc], "work-plan", "brief", tmp_path / "out").records
    assert record.brief is not None and record.brief.startswith("龙岗区百人以上企业建会率达98.9%。")
    assert len(record.brief) <= 300 and record.brief.endswith("。")


def test_a_failed_summary_is_tried_again_on_rerun_and_counted_once(work_plan_app: App, tmp_path: Path) -> None:
    app = work_plan_app
    doc = _doc(app, WORK_PLAN)
    out = tmp_path / "out"
    app.use_llm(FakeLLM("模型没有按要求输出JSON"))
    first = summarize_batch(app, [doc], "work-plan", "structured", out)
    assert first.new == 1 and first.records[0].errors
    app.use_llm(FakeLLM(scripted))
    second = summarize_batch(app, [doc], "work-plan", "structured", out)
    assert (second.new, second.skipped) == (1, 0)
    assert [r.errors for r in second.records] == [[]]
    third = summarize_batch(app, [doc], "work-plan", "structured", out)
    assert (third.new, third.skipped) == (0, 1) and [r.errors for r in third.records] == [[]]
    assert "错误：" not in third.out_md.read_text(encoding="utf-8")
    # an unreadable run file (a crash of an older version mid-write) starts the run over
    (out / "summaries.run.json").write_text('{"schema": "work-pl', encoding="utf-8")
    fourth = summarize_batch(app, [doc], "work-plan", "structured", out)
    assert (fourth.new, fourth.skipped) == (1, 0)
