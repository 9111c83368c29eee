"""Target or result: a figure a passage gives as a plan's target (预期目标、计划、力争) is no answer to
a question about what was done ("2022年国内生产总值增长了多少？" answered with 2022's 5.5%左右 target),
and a figure of a review (工作回顾、完成情况) is no answer to a question about a target ("2021年城镇新增
就业目标" answered with 2021's 1269万人 result). Yearly reports state both, for every year, in the
same words; a small model copies whichever its passage holds."""

from __future__ import annotations

import re
from typing import Literal

from rag.checks import Claim, Finding
from rag.evidence import LAST_YEAR_RE, Evidence
from rag.figures import figures_in
from rag.normalize import compact
from rag.terms import asked_stage
from rag.types import Figure

Stage = Literal["target", "result", ""]
__all__ = ["asked_stage", "check_stage", "over_years", "stated_stage"]

# words that make a passage's figure a target, looked for in its clause and in the head its list
# hangs from ("今年发展主要预期目标是：…；城镇新增就业1100万人以上；…")
_TARGET_WORDS_RE = re.compile(r"目标|预期|计划|力争|力求|拟|任务|指标|确保|要求|规划")  # not 争取: "为职工争取…1.8亿元" is done
_REVIEW_SECTION_RE = re.compile(r"回顾|完成情况|工作情况|总结|过去一年|过去五年|主要成绩|主要工作")
_OVER_YEARS_RE = re.compile(r"年均|年平均|平均每年|每年平均|(?:[两二三四五六七八九十]|\d+)年(?:来|间|内|中)?(?:累计|共计|总计|合计)")
_PLAN_SECTION_RE = re.compile(r"思路|计划|要点|安排|总体要求|主要任务|预期目标|目标任务|部署|工作重点")


def stated_stage(ev: Evidence, fig: Figure) -> Stage:
    """How the passage gives ``fig`` (one of its figures): as a target when its clause, or the head
    of the list it stands in, has a target word or its section is a plan; as a result when its
    section is a review and neither has one; else it does not say."""
    before = ev.full[max(ev.full.rfind(ch, 0, fig.start) for ch in "。！？!?\n") + 1:fig.start]
    head = before[:max(before.rfind("："), before.rfind(":"), 0)]
    clause = re.split(r"[，,；;：:]", before)[-1] + ev.full[fig.start:fig.end + 6]
    if LAST_YEAR_RE.search(clause):
        return "result"  # "去年居民消费价格涨幅回落到2.6%", in the section of this year's targets
    if _TARGET_WORDS_RE.search(clause) or _TARGET_WORDS_RE.search(head):
        return "target"
    section = compact(ev.section)
    if _PLAN_SECTION_RE.search(section):
        return "target"
    if _REVIEW_SECTION_RE.search(section):
        return "result"
    # no heading the chunker knew: the last review or plan heading written in the passage before it
    # ("2024年工作回顾 过去一年，…地区生产总值增长5.7%" at the top of a .docx whose headings are plain lines)
    written = ev.heading_in_text(fig)
    return "result" if written == "review" else "target" if written == "plan" else ""


def over_years(ev: Evidence, fig: Figure) -> bool:
    """The passage gives ``fig`` (one of its figures) for several years at once: an average
    ("年均增长7.8%") or a total ("五年累计新增就业6400万人") in its clause."""
    before = ev.full[max(ev.full.rfind(ch, 0, fig.start) for ch in "。！？!?\n；;，,") + 1:fig.start]
    return _OVER_YEARS_RE.search(before) is not None


def check_stage(claim: Claim) -> None:
    """Each figure the claim's citations back must be given at the stage the question asks: a
    target for a target, a result for a result; and for one year asked, as that year's, not as an
    average or total over several. A figure echoed from the question is left alone."""
    asked = figures_in(claim.question, already_compact=True)
    if len({f.low for f in asked if f.kind == "year"}) == 1 and not _OVER_YEARS_RE.search(claim.question):
        for fig, backing in claim.backed:
            cited = [(i, pf) for i, pf in backing.items() if i in claim.cites]
            if fig.kind not in ("year", "date") and cited and all(over_years(claim.evidence[i - 1], pf) for i, pf in cited):
                claim.findings.append(Finding("stage", f"{fig.text} is given for several years together, the question "
                                              "asks one year's", "资料所述为多年平均或累计"))
    wanted = asked_stage(claim.question)
    if not wanted:
        return
    for fig, backing in claim.backed:
        if fig.kind in ("year", "date") or any(fig.matches(q) for q in asked):
            continue
        stages = {stated_stage(claim.evidence[i - 1], pf) for i, pf in backing.items() if i in claim.cites}
        if stages and wanted not in stages and "" not in stages:
            said = "预期目标" if wanted == "result" else "完成情况"
            claim.findings.append(Finding("stage", f"{fig.text} is given in the passage as a "
                                          f"{'target' if wanted == 'result' else 'result'}, the question asks "
                                          f"a {wanted}", f"资料所述为{said}"))
