"""What code reads out of an area's text without a model: measures (一是…/lead sentences), stated
targets with their deadlines, responsible bodies, figure clauses, problems, and the issuer."""

from __future__ import annotations

import re

from rag.figures import figures_in
from rag.summarize.outline import LEAD_RE, years_in

_CN = "一二三四五六七八九十"
_MEASURE_RE = re.compile(f"(?<![{_CN}])[{_CN}]是\\**([^。；;！]+)")
_SENTENCE_RE = re.compile(r"[^。；;！？!?\n]+[。；;！？!?]?")
_CLAUSE_SPLIT_RE = re.compile(r"[，；,;]")
_DEADLINE_RE = re.compile(r"(?:力争|争取|确保)?(?:到|至|在|于)?((?:19|20)\d{2}年(?:底|末|前|上半年|下半年|内|年底前)|年底前|年内|"
                          r"\d{1,2}月(?:底)?前|[“\"]十[一二三四五六七八九]五[”\"](?:期间|末))")
_NON_NUMERIC_TARGET_RE = re.compile(r"(?:实现|达到|做到|确保|力争)[^，。；]{0,12}(?:基本)?(?:全覆盖|全部|清零|动态清零|应建尽建)")
_CONTEXT_RE = re.compile(r"(?:力争|争取|确保|到|至|年底|目标)")
_OWNER_RES = (
    re.compile(r"(?:责任单位|牵头单位|责任部门)[:：]\s*([^。；\n]{2,40})"),
    re.compile(r"由([\u4e00-\u9fff、]{2,30}?)(?:牵头|负责|组织实施)"),
    re.compile(r"(?:^|[，。；])([\u4e00-\u9fff]{2,14}(?:总工会|工会|人民政府|政府|委员会|局|厅|委|办公室|中心))(?:将|要|牵头|负责)"),
)
_PROBLEM_RE = re.compile(r"(?:问题和不足|不足和问题|问题与不足|困难和问题|问题和挑战|困难和挑战|风险挑战|差距和不足|短板和不足|"
                         r"存在(?:的)?(?:一些|以下|主要)?(?:问题|不足)(?=[：:，,]|主要))")
_PROBLEM_ITEM_RE = re.compile(f"(?<![{_CN}])[{_CN}]是([^；;。]+)")
MEASURE_CHARS = 48
MAX_MEASURES = 8
TARGET_CHARS = 90
MAX_REVIEW_FIGURES = 6
MAX_PROBLEMS = 6


def _shorten(text: str, limit: int) -> str:
    """Cut at the last comma before ``limit``, never inside a figure."""
    text = text.strip().strip("*").strip()
    if len(text) <= limit:
        return text
    cut = max(text.rfind(sep, 0, limit) for sep in "，、,")
    return (text[:cut] if cut >= limit // 3 else text[:limit]) + "…"


def measures(text: str) -> list[str]:
    """The 一是/二是 measures of an area, else its paragraphs' short lead sentences."""
    text = re.sub(f"([。；])([{_CN}])(?=\\2是)", r"\1", text)  # "…动力。一\n一是" (a page break repeated it)
    found = [_shorten(m.group(1), MEASURE_CHARS) for m in _MEASURE_RE.finditer(text)]
    if not found:
        found = [m.group(1).strip() for para in text.splitlines() if (m := LEAD_RE.match(para.strip()))]
    return list(dict.fromkeys(f for f in found if f))[:MAX_MEASURES]


_QUOTED_RE = re.compile(r"“[^”]{0,24}”|\"[^\"]{0,24}\"")
_LIST_MARK_RE = re.compile(r"^\d{1,2}[.、．](?!\d)")


def _counts(clause: str) -> bool:
    """Does a clause state a figure a reader would file (not only a year, a date, an ordinal, a list
    number or a quoted name such as “8+4”, “315”工程)?"""
    clause = _LIST_MARK_RE.sub("", _QUOTED_RE.sub("", clause.strip()))
    if clause.endswith(("：", ":")) or re.search(r"\d+\s*(?:个)?方面", clause):
        return False  # "认真抓好11方面重点工作：" opens a list
    for f in figures_in(clause):
        if (f.kind in ("year", "date") or not re.search(r"\d", f.text) or f.text.endswith("周")
                or re.search(rf"{re.escape(f.text)}(?:[A-Za-z]|版)|[A-Za-z]{re.escape(f.text)}", clause)):  # 5G, 3.0版, PM2.5
            continue  # Chinese numerals here are slogans and ordinals: 二是, 十九大, 四个意识, “两个覆盖”
        if re.search(rf"第\s*{re.escape(f.text)}|{re.escape(f.text)}\s*(?:周年|届|次会议)", clause):
            continue
        return True
    return False


def _past(clause: str, plan_year: int | None) -> bool:
    return plan_year is not None and any(y < plan_year for y in years_in(clause))


def targets(text: str, plan_year: int | None) -> list[str]:
    """Clauses of a plan area that state a figure to reach ("国内生产总值增长5%左右") or a coverage
    goal ("…实现全覆盖"), each with the short clause before it when that carries the deadline or the
    subject ("力争到2020年底，…"). Clauses about an earlier year are review, not targets."""
    out: list[str] = []
    for sentence in _SENTENCE_RE.findall(text):
        body = sentence.strip().rstrip("。；;！？!?")
        head = re.split(r"[：:]", body, maxsplit=1)
        if len(head) == 2 and "目标" in head[0]:
            body = head[1]
        clauses = [c.strip() for c in _CLAUSE_SPLIT_RE.split(body) if c.strip()]
        for i, clause in enumerate(clauses):
            if not (_counts(clause) or _NON_NUMERIC_TARGET_RE.search(clause)) or _past(clause, plan_year):
                continue
            prev = clauses[i - 1] if i else ""
            lead = re.match(r"^[^\d一二三四五六七八九十百千万亿]*", clause)
            subjectless = lead is not None and len(lead.group(0)) < 2
            if prev and not _counts(prev) and not _past(prev, plan_year) and not _NON_NUMERIC_TARGET_RE.search(prev) and (
                    subjectless or (len(prev) <= 14 and _CONTEXT_RE.search(prev))):
                clause = f"{prev}，{clause}"
            out.append(_shorten(clause, TARGET_CHARS))
    return list(dict.fromkeys(out))


def deadline(text: str) -> str:
    m = _DEADLINE_RE.search(text)
    return m.group(0).lstrip("，") if m else ""


def owners(text: str) -> str:
    found: list[str] = []
    for pattern in _OWNER_RES:
        found += [m.group(1).strip("、 ") for m in pattern.finditer(text)]
    return "、".join(dict.fromkeys(found))[:40]


def figure_clauses(text: str, limit: int = MAX_REVIEW_FIGURES) -> list[str]:
    """Sentences of a review area that state figures, verbatim (long ones cut to their figure clauses)."""
    out: list[str] = []
    for sentence in _SENTENCE_RE.findall(text):
        sentence = sentence.strip()
        if not _counts(sentence):
            continue
        if len(sentence) > TARGET_CHARS:
            parts = [c for c in _CLAUSE_SPLIT_RE.split(sentence) if _counts(c)]
            sentence = "，".join(parts)
        out.append(_shorten(sentence.rstrip("。；;"), TARGET_CHARS))
        if len(out) >= limit:
            break
    return out


def problems(text: str) -> list[str]:
    """Shortcomings a review states ("存在的问题和不足…一是…二是…"), verbatim."""
    out: list[str] = []
    for para in text.splitlines():
        m = _PROBLEM_RE.search(para)
        if not m:
            continue
        rest = para[m.end():]
        items = [i.group(1) for i in _PROBLEM_ITEM_RE.finditer(rest)]
        if not items:
            start = rest.find("。")
            items = [s.strip("。；; ") for s in _SENTENCE_RE.findall(rest[start + 1:] if start >= 0 else rest)]
        # "我们一定直面问题…", "对此，…必须…": what the report resolves to do is no problem
        out += [_shorten(i, TARGET_CHARS) for i in items
                if len(i.strip()) >= 6 and not re.match(r"^(?:我们|对此|必须|各级|要|一定)", i.strip())]
    return list(dict.fromkeys(out))[:MAX_PROBLEMS]


_ISSUER_RES = (
    re.compile(r"^(.{2,30}?)文件$"),
    re.compile(r"^(.{2,24}?(?:人民政府|国务院))\s*(?:省长|市长|主席|总理|区长|县长)"),
    re.compile(r"^(.{2,30}?)\s*(?:\d{4}年\d{1,2}月\d{1,2}日)?印发$"),
)
_HEAD_RE = re.compile(r"(?:^|(?<=[上在\s，—]))([\u4e00-\u9fff]{2,4}?(?:省|市|自治区))(?:代)?(?:省长|市长|主席)")
_TITLE_ISSUER_RE = re.compile(r"(国务院|[\u4e00-\u9fff]{2,10}?人民政府)")


def issuer(lines: list[str], title: str = "") -> str:
    """The issuing body from the header ("深圳市龙岗区总工会文件", "四川省人民政府省长 施小琳"), the
    imprint line ("深圳市龙岗区总工会办公室 2020年1月20日印发"), the head of government who reports
    ("广东省省长 王伟中": 广东省人民政府) or the title ("…国务院政府工作报告")."""
    for line in lines:
        for pattern in _ISSUER_RES:
            m = pattern.match(line.strip())
            if m:
                return m.group(1).strip()
    for line in lines:
        if m := _HEAD_RE.search(line.strip()):
            return m.group(1) + "人民政府"
    m = _TITLE_ISSUER_RE.search(title)
    return m.group(1) if m else ""
