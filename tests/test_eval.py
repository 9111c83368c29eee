"""Eval metrics against hand-computed values, and `rag eval` runs (fake models): records, resume, report."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag import metrics as m
from rag.app import App
from rag.evalmetrics import answer_numbers
from rag.evaluate import (
    EvalPipeline,
    EvalRunError,
    EvalSetError,
    RunConfig,
    compute_metrics,
    load_set,
    prepare_out,
    read_run,
    run_items,
)
from rag.types import EvalRecord
from tests.conftest import ROOT, SEEDS, FakeEncoder, FakeLLM, ingest_paths

# --- metric functions -----------------------------------------------------------------------------


def test_contains_all_normalizes_width_script_and_spaces() -> None:
    assert m.contains_all("建會率達 ９８.９％", ["98.9%", "建会率"])
    assert m.contains_all("2019 年 共 2346 宗", ["2019年", "2346宗"])
    assert not m.contains_all("建会率98.9%", ["98.9%", "95%"])
    assert m.contains_all("任何回答", [])
    # from ncp_dev: digits for a Chinese count, a citation inside the phrase, a gold string ending in "。"
    assert m.contains_all("南通市提出了12条政策意见[1][2]。", ["十二条"])
    assert m.contains_all("亏损最长结转年限由5年延长至8年[2]。", ["由5年延长至8年。"])
    assert m.contains_all("开辟、拓展“绿色通道”", ["开辟、拓展绿色通道"])
    assert not m.contains_all("争取经济利益18亿元", ["1.8亿"])
    assert not m.contains_all("提出了十三条意见", ["十二条"])


def test_contains_all_respects_number_boundaries() -> None:
    assert not m.contains_all("深龙工〔2020〕18号", ["8号"])
    assert m.contains_all("深龙工〔2020〕8号", ["8号"])
    assert not m.contains_all("2025年实现全覆盖", ["25"])
    assert m.contains_all("25-99人企业实现基本全覆盖", ["25"])
    assert not m.contains_all("建会率98.95%", ["98.9"])
    assert m.contains_all("7月19-20日召开", ["7月19"])
    # what the checker says the passage has is not the answer's
    assert not m.contains_all("建会率达到98.9%⚠未核实（资料为74.4%）[1]。", ["74.4%"])
    assert m.strict_figure_counts("建会率达到98.9%⚠未核实（资料为74.4%）", "建会率达到74.4%") == (0, 1)


def test_strict_figures_by_hand() -> None:
    # a list's numbering is no figure; a decimal after a full stop is one
    assert m.strict_figures("目标：1. 百人以上企业全覆盖[1]。2. 25人-99人企业[1]。3、推进；4.5%") == [
        ("25", "", "人"), ("99", "", "人"), ("4.5", "", "%")]
    assert m.strict_figures("争取1.8亿元，覆盖27.9万人[2]，占98.9%") == [("1.8", "亿", "元"), ("27.9", "万", "人"),
                                                                    ("98.9", "", "%")]
    # "[2]" is a citation, not a figure; 2.8万元 is not 2.8亿元; a figure without a unit matches its digits
    assert m.strict_figure_counts("投入2.8万元，建成20家[1]", "投入2.8亿元，建成20家") == (1, 2)
    assert m.strict_figure_counts("共357", "签订集体合同357份") == (1, 1)
    assert m.strict_figure_counts("74%", "建会率74.4%") == (0, 1)


def test_rouge_l_by_hand() -> None:
    # candidate 甲乙丙丁, reference 甲丙丁戊: LCS 甲丙丁 = 3; P = 3/4, R = 3/4 -> F = 0.75
    assert m.rouge_l("甲乙丙丁", "甲丙丁戊") == pytest.approx(0.75)
    # punctuation and spaces are ignored, full-width digits equal half-width ones, traditional = simplified
    assert m.rouge_l("黨建 １２３，", "党建123") == pytest.approx(1.0)
    # LCS 2 of candidate length 2, reference length 4: P = 1, R = 0.5 -> F = 2/3
    assert m.rouge_l("甲乙", "甲丙乙丁") == pytest.approx(2 / 3)
    assert m.rouge_l("", "甲") == 0.0


def test_gold_recall_by_hand() -> None:
    # gold 免收2月份房租 (7 characters after normalization) inside a longer answer: recall 1, ROUGE-L lower
    answer = "不裁员的，免收２月份房租。"
    assert m.gold_recall(answer, "免收2月份房租") == pytest.approx(1.0)
    assert m.rouge_l(answer, "免收2月份房租") == pytest.approx(2 * (7 / 11) / (7 / 11 + 1))
    # gold 优先审单优先查验优先放行 (12), the answer has 优先审单…优先放行 in order: LCS 8 -> 8/12
    assert m.gold_recall("设置优先审单、优先放行", "优先审单、优先查验、优先放行") == pytest.approx(8 / 12)
    assert m.gold_recall("", "甲") == 0.0


def test_token_f1_by_hand() -> None:
    pred, gold = ["建会率", "达到", "98.9%"], ["建会率", "98.9%", "超额", "完成"]
    # common 2; P = 2/3, R = 2/4 -> F = 2*(2/3)*(1/2)/(2/3+1/2) = 4/7
    assert m.f1_from_counts(pred, gold) == pytest.approx(4 / 7)
    assert m.token_f1("龙岗区总工会", "龍崗區總工會") == pytest.approx(1.0)
    assert m.token_f1("完全无关", "集体合同") == 0.0


def test_ranking_metrics_by_hand() -> None:
    ranked = ["b.txt", "a.txt", "a.txt", "c.txt", "d.txt"]
    assert m.first_gold_rank(ranked, {"a.txt"}) == 2
    assert m.recall_at(2, 1) == 0.0 and m.recall_at(2, 5) == 1.0 and m.recall_at(None, 10) == 0.0
    assert m.reciprocal_rank(2) == 0.5 and m.reciprocal_rank(None) == 0.0 and m.reciprocal_rank(11) == 0.0
    # gold {a, d}: a first at rank 2, d at rank 5 (the second a gains nothing);
    # DCG = 1/log2(3) + 1/log2(6); IDCG = 1/log2(2) + 1/log2(3)
    expected = (1 / math.log2(3) + 1 / math.log2(6)) / (1 + 1 / math.log2(3))
    assert m.ndcg_at(ranked, {"a.txt", "d.txt"}) == pytest.approx(expected)
    assert m.ndcg_at(["a.txt"], {"a.txt"}) == pytest.approx(1.0)


def test_percentile_and_ratio() -> None:
    assert m.percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)
    assert m.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 95) == pytest.approx(10.5)
    assert m.percentile([], 50) is None and m.ratio(1, 0) is None


def _record(**kw: object) -> EvalRecord:
    base: dict[str, object] = {"id": "x", "type": "number", "mode": "answer", "question": "q", "gold_answer": "",
                               "must_include": [], "sources": ["a.txt"], "retrieved": [], "answer": "",
                               "refused": False, "citations": [], "timings": {"total": 1.0}}
    base.update(kw)
    return EvalRecord.model_validate(base)


def test_compute_metrics_from_records_by_hand() -> None:
    records = [
        # right answer, one good and one bad citation, numbers 98.9 (cited) and 95 (not cited)
        _record(id="1", must_include=["98.9%"], gold_answer="建会率达98.9%", answer="建会率达９８.９％[1]，目标95%[2]。",
                retrieved=[{"rank": 1, "source": "a.txt"}, {"rank": 2, "source": "b.txt"}],
                citations=[{"n": 1, "source": "a.txt", "text": "建会率达98.9%"},
                           {"n": 2, "source": "b.txt", "text": "无关"}], timings={"total": 2.0}),
        # wrong answer, gold source at rank 2
        _record(id="2", must_include=["2346"], gold_answer="2346宗", answer="2000宗[1]。",
                retrieved=[{"rank": 1, "source": "b.txt"}, {"rank": 2, "source": "a.txt"}],
                citations=[{"n": 1, "source": "b.txt", "text": "2000宗"}], timings={"total": 4.0}),
        # unanswerable, refused correctly
        _record(id="3", type="unanswerable", sources=[], answer="资料中未找到相关内容。", refused=True,
                timings={"total": 1.0}),
        # answerable but refused: false refusal, gold never retrieved
        _record(id="4", must_include=["357份"], answer="资料中未找到相关内容。", refused=True,
                retrieved=[{"rank": 1, "source": "c.txt"}], timings={"total": 1.0}),
    ]
    got = compute_metrics(records)
    r = got["retrieval"]["hybrid"]
    assert r["n"] == 3  # the unanswerable item has no gold source
    assert r["recall@1"] == pytest.approx(1 / 3) and r["recall@5"] == pytest.approx(2 / 3)
    assert r["mrr@10"] == pytest.approx((1 + 0.5 + 0) / 3)
    a = got["answer"]
    assert a["accuracy"] == pytest.approx(1 / 3)
    assert a["citation_precision"] == pytest.approx(1 / 3)  # 3 citations on answered items, 1 correct
    assert a["citation_recall"] == pytest.approx(1 / 3)  # 3 answerable, 1 with a correct citation
    assert a["number_precision"] == pytest.approx(2 / 3)  # 98.9 ok, 95 not in cited, 2000 in cited
    # a 文号 is checked against what the passage's source line shows: its document's title and 文号
    numbered = _record(id="5", answer="深龙工〔2020〕8号[1]", citations=[
        {"n": 1, "source": "a.txt", "text": "大力推进工会网站建设。", "heading": "龙岗区总工会工作总结 深龙工〔2020〕8号"}])
    assert answer_numbers(numbered) == (2, 2)
    assert answer_numbers(numbered.model_copy(update={"citations": [numbered.citations[0].model_copy(
        update={"heading": "龙岗区总工会工作总结"})]})) == (0, 2)
    assert a["refusal_accuracy"] == 1.0 and a["false_refusal_rate"] == pytest.approx(1 / 3)
    assert got["by_type"]["unanswerable"]["correct"] == 1.0
    assert got["latency_s"]["total"]["p50"] == pytest.approx(1.5)


# --- eval sets and runs -----------------------------------------------------------------------------


def test_load_set_errors_name_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "问"}\n{"id": "b"\n', encoding="utf-8")
    with pytest.raises(EvalSetError, match=r"bad.jsonl:2: not valid JSON"):
        load_set(bad, "answer")
    bad.write_text('{"id": "a", "question": "问"}\n{"id": "a", "question": "再问"}\n', encoding="utf-8")
    with pytest.raises(EvalSetError, match=r"bad.jsonl:2: duplicate id"):
        load_set(bad, "answer")
    bad.write_text('{"id": "a", "text": "正文", "summary": "摘要"}\n', encoding="utf-8")
    with pytest.raises(EvalSetError, match="use --mode summary"):
        load_set(bad, "answer")
    assert load_set(bad, "summary")[0].id == "a"
    with pytest.raises(EvalSetError, match="no such eval set"):
        load_set(tmp_path / "missing.jsonl", "answer")


def test_retrieval_run_resumes_and_metrics_recompute(seeded_app: App, tmp_path: Path) -> None:
    items = load_set(ROOT / "eval" / "dev.jsonl", "retrieval")
    out = tmp_path / "run"
    config = RunConfig("dev.jsonl", "sha", "retrieval", True, "ident", "")
    done = prepare_out(out, config, fresh=False)
    pipeline = EvalPipeline.from_app(seeded_app, "retrieval")
    first = list(run_items(pipeline, items[:5], "retrieval", out, done, baselines=True))
    assert len(first) == 5
    # a torn last line (killed mid-write) is ignored; the rerun does only the remaining items
    with (out / "items.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"id": "dev-06", "retr')
    done = prepare_out(out, config, fresh=False)
    assert done == {i.id for i in items[:5]}
    rest = list(run_items(pipeline, items, "retrieval", out, done, baselines=True))
    assert [r.id for r in rest] == [i.id for i in items[5:]]
    records = read_run(out / "items.jsonl")
    assert len(records) == len(items)
    metrics = compute_metrics(records)
    assert set(metrics["retrieval"]) == {"hybrid", "bm25", "dense"}
    assert metrics["retrieval"]["hybrid"]["recall@5"] >= 0.9  # the seeds are four documents
    assert metrics["retrieval"]["hybrid"]["n"] == sum(1 for i in items if i.type != "unanswerable")
    # a different configuration in the same directory is refused, --fresh starts over
    with pytest.raises(EvalRunError, match="different mode"):
        prepare_out(out, RunConfig("dev.jsonl", "sha", "answer", True, "ident", "m"), fresh=False)
    assert prepare_out(out, RunConfig("dev.jsonl", "sha", "answer", True, "ident", "m"), fresh=True) == set()


def test_answer_run_records_citations_and_refusals(seeded_app: App, tmp_path: Path) -> None:
    def reply(messages):  # type: ignore[no-untyped-def]
        user = messages[-1]["content"]
        for i in range(1, 6):
            if f"[{i}]" in user and "98.9%" in user.split(f"[{i}]")[1][:900]:
                return f"2019年龙岗区百人以上企业建会率达98.9%[{i}]。"
        return "资料中未找到相关内容。"

    seeded_app.use_llm(FakeLLM(reply))
    items = load_set(ROOT / "eval" / "dev.jsonl", "answer")
    first = next(i for i in items if i.id == "dev-01")
    unanswerable = next(i for i in items if i.type == "unanswerable")
    out = tmp_path / "run"
    records = list(run_items(EvalPipeline.from_app(seeded_app, "answer"), [first, unanswerable], "answer", out, set()))
    ok, refused = records
    assert ok.answer.startswith("2019年龙岗区百人以上企业建会率达98.9%") and not ok.refused
    assert ok.citations[0].source == "001_db1d55a4d02b970e.txt"
    assert ok.citations[0].heading == "关于印发《深圳市龙岗区总工会2019年工作总结及2020年工作思路》的通知 深龙工〔2020〕8号"
    assert ok.verification == "verified" and "answer.total" in ok.timings
    assert refused.refused
    # what was written reads back as the same records
    assert read_run(out / "items.jsonl") == records
    metrics = compute_metrics(records)
    assert metrics["answer"]["accuracy"] == 1.0 and metrics["answer"]["refusal_accuracy"] == 1.0
    assert metrics["answer"]["citation_precision"] == 1.0 and metrics["answer"]["number_precision"] == 1.0


def test_cli_eval_writes_report_and_compare(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rag import cli
    from rag.cli import common as cli_common
    from tests.conftest import FakeEncoder

    monkeypatch.setattr(cli_common, "make_app", lambda s: App(s, encoder=FakeEncoder(), llm=FakeLLM()))
    runner = CliRunner()
    out_a, out_b = tmp_path / "a", tmp_path / "b"
    res = runner.invoke(cli.app, ["eval", str(ROOT / "eval" / "dev.jsonl"), "--mode", "retrieval", "--baseline",
                                  "--corpus", str(SEEDS), "--out", str(out_a), "--limit", "6"])
    assert res.exit_code == 0, res.output
    metrics = json.loads((out_a / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["items"] == 6 and "bm25" in metrics["retrieval"]
    page = (out_a / "report.html").read_text(encoding="utf-8")
    assert "<svg" in page and "Worst items" in page and "recall@5" in page
    res = runner.invoke(cli.app, ["eval", str(ROOT / "eval" / "dev.jsonl"), "--mode", "retrieval",
                                  "--out", str(out_b), "--limit", "3"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli.app, ["eval", "compare", str(out_a), str(out_b)], env={"COLUMNS": "200"})
    assert res.exit_code == 0 and "retrieval.hybrid.recall@5" in res.output
    res = runner.invoke(cli.app, ["eval", "compare", str(out_a)])
    assert res.exit_code != 0
    res = runner.invoke(cli.app, ["eval", str(tmp_path / "nope.jsonl"), "--mode", "retrieval"])
    assert res.exit_code == 1 and "no such eval set" in res.output


def test_summary_mode_records_and_metrics(fake_app: App, tmp_path: Path) -> None:
    sset = tmp_path / "sum.jsonl"
    sset.write_text(json.dumps({"id": "s1", "title": "运动会开幕", "text": "第十六届运动会于7月28日开幕，3933名运动员参赛。",
                                "summary": "第十六届运动会7月28日开幕，3933名运动员参赛。"}, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    fake_app.use_llm(FakeLLM("第十六届运动会于7月28日开幕，3933名运动员参赛。共有5000名观众。"))
    items = load_set(sset, "summary")
    [record] = list(run_items(EvalPipeline.from_app(fake_app, "summary"), items, "summary", tmp_path / "run", set()))
    assert record.summary == "第十六届运动会于7月28日开幕，3933名运动员参赛。"  # the invented 5000 is cut
    metrics = compute_metrics([record])
    assert metrics["summary"]["number_precision"] == 1.0
    assert metrics["summary"]["rouge_l"] == pytest.approx(m.rouge_l(record.summary, record.reference))
    assert 0.9 < metrics["summary"]["rouge_l"] <= 1.0


def test_a_resumed_run_refuses_changed_settings_prompts_or_documents(seeded_app: App, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from rag.evaluate import run_config

    dev = ROOT / "eval" / "dev.jsonl"
    out = tmp_path / "run"

    def config(app: App) -> RunConfig:
        return run_config(EvalPipeline.from_app(app, "answer"), dev, "answer", False)

    base = config(seeded_app)
    prepare_out(out, base, fresh=False)
    (out / "items.jsonl").write_text('{"id": "dev-01"}\n', encoding="utf-8")
    assert prepare_out(out, config(seeded_app), fresh=False) == {"dev-01"}

    def refused(app: App, field: str) -> None:
        with pytest.raises(EvalRunError, match=f"different {field}"):
            prepare_out(out, config(app), fresh=False)

    changed = seeded_app.settings.model_copy(deep=True)
    changed.retrieval.k = 8
    refused(App(changed, encoder=FakeEncoder(), llm=FakeLLM()), "retrieval_settings")
    changed = seeded_app.settings.model_copy(deep=True)
    changed.generation.max_tokens = 100
    refused(App(changed, encoder=FakeEncoder(), llm=FakeLLM()), "generation_settings")
    changed = seeded_app.settings.model_copy(deep=True)
    changed.generation.threads = 1  # does not change answers
    assert prepare_out(out, config(App(changed, encoder=FakeEncoder(), llm=FakeLLM())), fresh=False) == {"dev-01"}
    prompts = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", prompts)
    monkeypatch.setenv("RAG_PROMPTS_DIR", str(prompts))
    assert prepare_out(out, config(seeded_app), fresh=False) == {"dev-01"}
    (prompts / "qa.txt").write_text((prompts / "qa.txt").read_text(encoding="utf-8") + "\n简要回答。",
                                    encoding="utf-8")
    refused(seeded_app, "prompts")
    monkeypatch.delenv("RAG_PROMPTS_DIR")
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "new.txt").write_text("关于新增文件的通知\n一、总体要求\n新增一份文件，涉及资金100万元。", encoding="utf-8")
    ingest_paths(seeded_app, [extra])
    refused(seeded_app, "store_documents")


def test_a_pipeline_without_the_piece_a_mode_needs_is_refused(seeded_app: App, tmp_path: Path) -> None:
    items = load_set(ROOT / "eval" / "dev.jsonl", "answer")[:1]
    retrieval_only = EvalPipeline.from_app(seeded_app, "retrieval")
    assert retrieval_only.llm is None and retrieval_only.retriever is seeded_app.retriever
    with pytest.raises(EvalRunError, match="needs a chat model"):
        list(run_items(retrieval_only, items, "answer", tmp_path / "run", set()))
    with pytest.raises(EvalRunError, match="needs a store"):
        list(run_items(EvalPipeline(seeded_app.settings, llm=FakeLLM()), items, "retrieval", tmp_path / "r2", set()))
