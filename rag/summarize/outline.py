"""The review / plan structure of a work report, read from its text by rules.

A report is a header (title, 文号, issuer lines), then parts ("一、2019年主要工作完成情况",
"三、2020年工作思路", or unnumbered "2025年工作安排建议"), each part holding areas ("（一）不断夯实…",
inline "（一）大力提振消费…。促进…" or "——经济运行稳中向好。…"). A part is review or plan by its
heading's words, else by its year against the year the report plans for; an area is what its part is.
Summaries take plan items only from plan areas and review items only from review areas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from rag.normalize import search_form

Kind = Literal["review", "plan", "other"]

_CN = "一二三四五六七八九十"
_PART_RE = re.compile(f"^([{_CN}]+)、\\s*(.+)$")
_AREA_RE = re.compile(f"^[（(]([{_CN}]+)[）)]\\s*(.+)$")
_DASH_RE = re.compile(r"^——\s*(.+)$")
_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
_END_PUNCT = ("。", "；", ";", "：", ":", "！", "？", "，", "、")
# a short opening sentence that names what the paragraph is about; not a sentence about the year
LEAD_RE = re.compile(r"^\**(?:——|[一二三四五六七八九十]是)?(?!今年|过去|一年来|这|我们|同时|此外|各位|回顾|面对|完成|\d)([^。！：:但]{4,30})[。！]\**")
_APPENDIX_RE = re.compile(r"^(?:附件\s*\d*|附\s*件|名词解释|注释)")
HEADING_CHARS = 40
TITLE_CHARS = 64
UNNUMBERED_CHARS = 16

REVIEW_WORDS = ("回顾", "总结", "完成情况", "工作情况", "主要成绩", "成效", "取得")
PLAN_WORDS = ("思路", "计划", "安排", "任务", "目标", "要求", "打算", "举措", "重点工作", "部署", "建议", "展望", "要点")


@dataclass
class Area:
    title: str            # the area's heading without its number, or the part's heading
    heading: str          # the heading line as written ("（一）不断夯实基层组织建设基础")
    part: str             # the part heading it sits under ("" for the preamble)
    kind: Kind
    paras: list[str] = field(default_factory=list)
    implicit: bool = False  # the paragraphs before a part's first area, or a part without areas

    @property
    def text(self) -> str:
        return "\n".join(self.paras)

    @property
    def section(self) -> str:
        return " > ".join(s for s in (self.part, "" if self.implicit else self.heading) if s)


@dataclass
class Part:
    heading: str
    kind: Kind
    intro: list[str] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)


@dataclass
class Outline:
    plan_year: int | None
    header: list[str]
    preamble: list[str]
    parts: list[Part]

    def areas(self, kind: Kind | None = None) -> list[Area]:
        """Every area in document order: the preamble (review when a review part follows), each part's
        intro, then its areas."""
        out: list[Area] = []
        first = self.parts[0].kind if self.parts else "other"
        if self.preamble:
            out.append(Area("总体情况", "", "", "review" if first == "review" else "other", list(self.preamble),
                            implicit=True))
        for part in self.parts:
            if part.intro or not part.areas:
                out += _split_leads(Area(_strip_number(part.heading), part.heading, part.heading, part.kind,
                                         list(part.intro), implicit=True))
            out += part.areas
        return [a for a in out if kind is None or a.kind == kind]

    @property
    def structured(self) -> bool:
        """Does the text have both a review and a plan part, or at least a plan part with areas?"""
        kinds = {p.kind for p in self.parts}
        return "plan" in kinds and ("review" in kinds or any(p.areas for p in self.parts if p.kind == "plan"))


def _split_leads(area: Area) -> list[Area]:
    """A part's paragraphs without numbered areas, cut where a paragraph opens with a short lead
    sentence ("实施更加积极的财政政策。…"): each lead is an area of its own."""
    out = [Area(area.title, area.heading, area.part, area.kind, [], implicit=True)]
    for para in area.paras:
        m = LEAD_RE.match(para)
        if m:
            out.append(Area(m.group(1).strip(), m.group(1).strip(), area.part, area.kind, [para[m.end():].strip()]))
        else:
            out[-1].paras.append(para)
    return [a for a in out if a.paras and any(p.strip() for p in a.paras)]


def _strip_number(heading: str) -> str:
    for pattern in (_PART_RE, _AREA_RE, _DASH_RE):
        m = pattern.match(heading)
        if m:
            return m.group(m.lastindex or 1).strip()
    return heading.strip()


def _split_inline(body: str) -> tuple[str, str]:
    """("（一）大力提振消费…。促进…" body) -> (title, rest): the first sentence is the title when short."""
    body = body.strip()
    if len(body) <= HEADING_CHARS and not body.endswith(("。", "；")):
        return body, ""
    m = re.match(r"^(.+?)[。！]", body)
    if m and len(m.group(1)) <= TITLE_CHARS:
        return m.group(1).strip("*").strip(), body[m.end():].strip()
    return "", body


def years_in(text: str) -> list[int]:
    return [int(y) for y in _YEAR_RE.findall(search_form(text))]


def _kind_of(heading: str, plan_year: int | None, previous: Kind | None) -> Kind:
    simple = search_form(heading)
    if any(w in simple for w in PLAN_WORDS):
        return "plan"
    if any(w in simple for w in REVIEW_WORDS):
        return "review"
    years = years_in(heading)
    if years and plan_year:
        return "plan" if max(years) >= plan_year else "review"
    return "plan" if previous == "plan" else "other"


def _is_unnumbered_heading(line: str) -> bool:
    return (len(line) <= UNNUMBERED_CHARS and not line.endswith(_END_PUNCT) and not line.startswith(("——", "（", "("))
            and not re.search(r"[：:，,。]", line) and re.search(r"[\u4e00-\u9fff]{4}", line) is not None)


def _part_lines(lines: list[str]) -> list[int]:
    """Indexes of the part heading lines: numbered ("一、…") when the text has them, else short
    unnumbered lines that name a review or plan part."""
    numbered = [i for i, line in enumerate(lines) if (m := _PART_RE.match(line)) and _split_inline(m.group(2))[0]]
    if numbered:
        return numbered
    found = [i for i, line in enumerate(lines) if i > 0 and _is_unnumbered_heading(line)]
    keyed = [i for i in found if any(w in search_form(lines[i]) for w in REVIEW_WORDS + PLAN_WORDS)]
    if not keyed:
        return []
    # an unnumbered line counts once a keyed part heading has been seen (a closing "加强政府自身建设")
    return [i for i in found if i >= keyed[0]]


def parse_outline(text: str, title: str = "", date: str | None = None) -> Outline:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    cut = next((i for i, line in enumerate(lines) if i > 0 and _APPENDIX_RE.match(line)), len(lines))
    lines = lines[:cut]
    starts = _part_lines(lines)
    heading_years = [y for i in starts for y in years_in(lines[i])]
    plan_year = (max(heading_years) if heading_years else None) or (max(years_in(title)) if years_in(title) else None)
    if plan_year is None and date and date[:4].isdigit():
        plan_year = int(date[:4])
    if not starts:
        return Outline(plan_year, [], lines, [])
    head = lines[:starts[0]]
    header, preamble = _split_header(head, title)
    parts: list[Part] = []
    bounds = [*starts, len(lines)]
    for i, start in enumerate(starts):
        m = _PART_RE.match(lines[start])
        heading_text, rest = _split_inline(m.group(2)) if m else (lines[start], "")
        heading = (f"{m.group(1)}、{heading_text}" if m else heading_text)
        part = Part(heading, _kind_of(heading, plan_year, parts[-1].kind if parts else None))
        body = ([rest] if rest else []) + lines[start + 1:bounds[i + 1]]
        _fill(part, body)
        parts.append(part)
    return Outline(plan_year, header, preamble, parts)


def _split_header(head: list[str], title: str) -> tuple[list[str], list[str]]:
    """Lines before the first part: header lines (up to the report's own title line, or the
    salutation "各位代表：") and the preamble paragraphs after them."""
    simple_title = re.sub(r"\s+", "", search_form(title))
    end = 0
    for i, line in enumerate(head):
        flat = re.sub(r"\s+", "", search_form(line))
        if (line.endswith(("：", ":")) and len(line) <= 24) or (len(flat) <= TITLE_CHARS and (flat in simple_title or any(w in flat for w in ("工作总结", "工作思路",
                                                                                          "工作报告", "工作计划")))):
            end = i + 1
    return head[:end], head[end:]


def _fill(part: Part, body: list[str]) -> None:
    has_numbered = any(_AREA_RE.match(line) for line in body)
    current: Area | None = None
    for line in body:
        m = _AREA_RE.match(line) if has_numbered else _DASH_RE.match(line)
        title, rest = _split_inline(m.group(m.lastindex or 1)) if m else ("", "")
        if m and title:
            current = Area(title, line if not rest else line[: len(line) - len(rest)].rstrip("。！ "), part.heading,
                           part.kind, [rest] if rest else [])
            part.areas.append(current)
        elif current is not None:
            current.paras.append(line)
        else:
            part.intro.append(line)
