"""Eval metrics, a pure function of the records of ``OUT/items.jsonl``: anyone can recompute them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from rag import metrics as m
from rag.normalize import compact
from rag.types import CitedPassage, EvalRecord

RETRIEVAL_DEPTH = 10
BASELINES: tuple[Literal["bm25"], Literal["dense"]] = ("bm25", "dense")

def _retrieval_metrics(records: list[EvalRecord], ranked: Callable[[EvalRecord], list[str]]) -> dict[str, Any]:
    graded = [r for r in records if r.sources and r.type != "unanswerable" and r.error is None]
    if not graded:
        return {"n": 0}
    ranks = [m.first_gold_rank(ranked(r), r.sources) for r in graded]
    n = len(graded)
    return {
        "n": n,
        "recall@1": sum(m.recall_at(k, 1) for k in ranks) / n,
        "recall@5": sum(m.recall_at(k, 5) for k in ranks) / n,
        "recall@10": sum(m.recall_at(k, 10) for k in ranks) / n,
        "mrr@10": sum(m.reciprocal_rank(k) for k in ranks) / n,
        "ndcg@10": sum(m.ndcg_at(ranked(r), r.sources) for r in graded) / n,
        "recall_curve": [sum(m.recall_at(k, depth) for k in ranks) / n for depth in range(1, RETRIEVAL_DEPTH + 1)],
    }


def citation_is_correct(citation: CitedPassage, record: EvalRecord) -> bool:
    """A cited passage is correct when it comes from a gold source or contains a key fact."""
    if citation.source in record.sources:
        return True
    text = compact(citation.text)
    return any(compact(g) in text for g in record.must_include)


def answer_numbers(record: EvalRecord) -> tuple[int, int]:
    """(figures in the answer stated exactly in a cited passage, figures in the answer): the strict
    scorer, independent of the checker."""
    if record.refused or not record.answer:
        return 0, 0
    cited = "".join(f"{c.heading}\n{c.section}\n{c.text}\n" for c in record.citations)
    return m.strict_figure_counts(record.answer, cited)


def summary_numbers(record: EvalRecord) -> tuple[int, int]:
    return m.strict_figure_counts(record.summary, record.title + record.text)


GOLD_COVERED = 0.8  # an answer holding >= 80% of the gold answer's characters, in order, counts as covering it


def _answer_metrics(records: list[EvalRecord]) -> dict[str, Any]:
    answerable = [r for r in records if r.type != "unanswerable"]
    unanswerable = [r for r in records if r.type == "unanswerable"]
    gradable = [r for r in answerable if r.must_include]
    correct = [r for r in gradable if not r.refused and m.contains_all(r.answer, r.must_include)]
    with_gold = [r for r in answerable if r.gold_answer]
    citations = [(c, r) for r in answerable if not r.refused for c in r.citations]
    good = sum(citation_is_correct(c, r) for c, r in citations)
    recalled = sum(any(citation_is_correct(c, r) for c in r.citations) for r in answerable)
    nums = [answer_numbers(r) for r in records]
    recalls = [0.0 if r.refused else m.gold_recall(m.answer_prose(r), r.gold_answer) for r in with_gold]
    return {
        "answerable": len(answerable), "unanswerable": len(unanswerable), "gradable": len(gradable),
        "accuracy": m.ratio(len(correct), len(gradable)),
        "token_f1": m.mean(m.token_f1(m.answer_prose(r), r.gold_answer) for r in with_gold),
        "rouge_l": m.mean(m.rouge_l(m.answer_prose(r), r.gold_answer) for r in with_gold),
        "gold_recall": m.mean(recalls),
        f"gold_covered@{GOLD_COVERED}": m.ratio(sum(x >= GOLD_COVERED for x in recalls), len(recalls)),
        "citation_precision": m.ratio(good, len(citations)),
        "citation_recall": m.ratio(recalled, len(answerable)),
        "number_precision": m.ratio(sum(a for a, _ in nums), sum(b for _, b in nums)),
        "refusal_accuracy": m.ratio(sum(r.refused for r in unanswerable), len(unanswerable)),
        "false_refusal_rate": m.ratio(sum(r.refused for r in answerable), len(answerable)),
        "claims_marked": sum(c.status == "flagged" for r in records for c in r.checks),
        "claims_dropped": sum(c.status == "dropped" for r in records for c in r.checks),
    }


def _latency(records: list[EvalRecord]) -> dict[str, dict[str, float | None]]:
    stages = sorted({k for r in records for k in r.timings})
    out = {}
    for stage in stages:
        values = [r.timings[stage] for r in records if stage in r.timings]
        out[stage] = {"p50": m.percentile(values, 50), "p95": m.percentile(values, 95), "n": len(values)}
    return out


def _baseline_sources(name: str) -> Callable[[EvalRecord], list[str]]:
    return lambda r: list((r.baselines or {}).get(name, []))


def _chat_metrics(records: list[EvalRecord]) -> dict[str, Any]:
    """Rewrites of follow-ups, and answers to graded follow-ups against their standalone twins."""
    followups = [r for r in records if r.role == "followup"]
    standalone = [r for r in records if r.role == "standalone"]
    twins = {r.id.removesuffix("~standalone"): r for r in records if r.role == "twin"}
    paired = [r for r in followups if r.id in twins]

    def answers(rs: list[EvalRecord]) -> dict[str, Any]:
        graded = [c for c in map(m.item_correct, rs) if c is not None]
        return {"n": len(rs), "correct": m.ratio(sum(graded), len(graded)),
                "refused": m.ratio(sum(r.refused for r in rs), len(rs)),
                "retrieval": _retrieval_metrics(rs, lambda r: [h.source for h in r.retrieved]),
                **{k: v for k, v in _answer_metrics(rs).items() if k in ("accuracy", "refusal_accuracy",
                                                                          "citation_precision")}}

    followed, alone = answers(paired), answers([twins[r.id] for r in paired])
    gap = None if followed["correct"] is None or alone["correct"] is None else alone["correct"] - followed["correct"]
    return {
        "rewrite": {"followups": len(followups), "rewritten_right": m.ratio(sum(bool(r.rewrite_ok) for r in followups),
                                                                            len(followups)),
                    "by_model": sum(r.rewritten_by == "model" for r in followups + standalone),
                    "standalone": len(standalone),
                    "untouched": m.ratio(sum(bool(r.rewrite_ok) for r in standalone), len(standalone))},
        "followup_answers": followed, "standalone_answers": alone, "correct_gap": gap,
        "same_question": sum(compact(r.searched or "") == compact(twins[r.id].question) for r in paired),
    }


def compute_metrics(records: list[EvalRecord]) -> dict[str, Any]:
    if not records:
        return {"items": 0}
    mode = records[0].mode
    result: dict[str, Any] = {"mode": mode, "items": len(records), "errors": sum(r.error is not None for r in records)}
    if mode == "summary":
        nums = [summary_numbers(r) for r in records]
        result["summary"] = {
            "rouge_l": m.mean(m.rouge_l(r.summary, r.reference) for r in records),
            "number_precision": m.ratio(sum(a for a, _ in nums), sum(b for _, b in nums)),
            "mean_chars": m.mean(len(r.summary) for r in records),
        }
    elif mode == "chat":
        result["chat"] = _chat_metrics(records)
    else:
        result["retrieval"] = {"hybrid": _retrieval_metrics(records, lambda r: [h.source for h in r.retrieved])}
        with_baselines = [r for r in records if r.baselines is not None]
        if with_baselines:
            for name in BASELINES:
                result["retrieval"][name] = _retrieval_metrics(with_baselines, _baseline_sources(name))
        if mode == "answer":
            result["answer"] = _answer_metrics(records)
            by_type: dict[str, Any] = {}
            for kind in sorted({r.type for r in records}):
                subset = [r for r in records if r.type == kind]
                graded = [c for c in map(m.item_correct, subset) if c is not None]
                by_type[kind] = {"n": len(subset), "correct": m.ratio(sum(graded), len(graded)),
                                 "refused": m.ratio(sum(r.refused for r in subset), len(subset))}
            result["by_type"] = by_type
    result["latency_s"] = _latency(records)
    return result
