"""A passage as the checker reads it (:class:`Evidence`): the chunk's text and its document's own
title, 文号, section and year, and what they tell of each figure in it: the words bound to it, the
table cell it stands in, the years it is stated for."""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass

from rag import claims
from rag.figures import figures_in
from rag.normalize import compact
from rag.types import Figure

SENTENCE_WEIGHT = 0.6  # the metric named earlier in the sentence binds, less than in the clause
# review and plan headings as a passage's text writes them, for a chunk without a section
REVIEW_TEXT_RE = re.compile(r"工作回顾|过去一年|过去五年")
PLAN_TEXT_RE = re.compile(r"工作安排|今年(?:发展|经济社会发展)?的?主要预期目标|今年(?:政府)?工作")
_COMPARED_YEAR_RE = re.compile(r"(?:较|比|与|同比|自|从)$")
LAST_YEAR_RE = re.compile(r"(?<![较比与同])(?:去年|上年)(?!同期)")  # 比去年: a comparison, not last year's figure


@dataclass(frozen=True)
class Evidence:
    """A passage as the checker reads it: the chunk's text and its document's own title, 文号,
    section and year (what its heading shows a reader), never the prompt's labels."""

    text: str
    title: str = ""
    doc_number: str = ""
    section: str = ""
    year: str = ""
    home: tuple[str, ...] = ()  # the provinces its whole document speaks of (places.home)
    parts: int = 0  # for a section's outline (rag.outline), how many parts it lists

    @functools.cached_property
    def full(self) -> str:
        parts = (self.text, self.section, self.title, self.doc_number, self.year)
        return "\n".join(compact(p) for p in parts)

    @functools.cached_property
    def figures(self) -> list[Figure]:
        return figures_in(self.full, already_compact=True)

    @functools.cached_property
    def _cells(self) -> dict[int, claims.Cell | None]:
        return {}

    def cell(self, fig: Figure) -> claims.Cell | None:
        """The table cell holding ``fig`` (one of :attr:`figures`), looked up once per figure."""
        if fig.start not in self._cells:
            self._cells[fig.start] = claims.table_cell(self.full, fig)
        return self._cells[fig.start]

    def context(self, fig: Figure) -> tuple[str, set[str]]:
        """The words that go with ``fig`` (one of :attr:`figures`) and the tokens of the figures
        that qualify it ("25-99人" of "25-99人企业建会率74.4%")."""
        cell = self.cell(fig)
        if cell:  # a table row: the cell is named by its row label and column header
            return " ".join(self.full[s:e] for s, e in cell.spans), {
                claims.figure_token(o) for o in self.figures
                if o is not fig and o.kind != "year" and any(s <= o.start and o.end <= e for s, e in cell.spans)}
        return claims.segment(self.full, fig, self.figures), claims.neighbours(self.full, fig, self.figures)

    def qualifiers(self, fig: Figure) -> set[str]:
        """Tokens of the figures before ``fig`` (one of :attr:`figures`) in its clause, years aside:
        what it is the value for ("百人以上企业建会率达98.9%")."""
        start, _ = claims.clause_span(self.full, fig.start, fig.end)
        return {claims.figure_token(o) for o in self.figures if o.kind != "year" and start <= o.start and o.end <= fig.start}

    def binding(self, fig: Figure, grams: set[str]) -> float:
        """How well the words around ``fig`` (one of :attr:`figures`) match the claim's words."""
        score = claims.bind_score(grams, *self.context(fig))
        return max(score, SENTENCE_WEIGHT * claims.overlap(grams, self.sentence(fig)))

    def clause_share(self, fig: Figure, grams: set[str]) -> float:
        """Of the claim's words that ``fig``'s sentence holds, the share in ``fig``'s own clause: in
        "地区生产总值增长5.0%—5.5%，…社会消费品零售总额增长5.5%左右" every figure binds the same sentence,
        and only the clauses tell which one a claim on 地区生产总值 speaks of."""
        held = {g for g in grams if not g.startswith("#") and g in self.sentence(fig)}
        seg = self.context(fig)[0]
        return sum(1 for g in held if g in seg) / len(held) if held else 0.0

    def sentence(self, fig: Figure) -> str:
        return claims.sentence_around(self.full, fig.start)

    @functools.cached_property
    def section_years(self) -> set[float]:
        """The years its section heading names ("一、2019年主要工作完成情况": 2019)."""
        return {f.low for f in figures_in(compact(self.section), already_compact=True) if f.kind == "year"}

    def qualified_elsewhere(self, fig: Figure, other: Figure, grams: set[str], asked: set[str]) -> bool:
        """The claim's qualifying figures go with ``other``, not with ``fig`` ("25-99人企业建会率为98.9%"
        where the passage has 98.9% for 百人以上 and 74.4% for 25-99人), or the question's words
        (``asked``) name the table column of ``other`` and not that of ``fig`` (年度任务, not 2019年完成)."""
        wanted = {g for g in grams if g.startswith("#")}
        if wanted and wanted <= self.context(other)[1] and not wanted & self.context(fig)[1]:
            return True
        named = [bool(h) and h <= asked for h in (self.column(fig), self.column(other))]
        return named == [False, True]

    def column(self, fig: Figure) -> set[str]:
        """The words of the column header of the table cell that holds ``fig`` (none outside tables)."""
        cell = self.cell(fig)
        return claims.content_grams(self.full[cell.header[0]:cell.header[1]]) if cell and cell.header else set()

    def years_for(self, fig: Figure) -> set[float]:
        """Years the passage states ``fig`` for: those of its sentence, else of the chunk's text, else
        of its section, else of its document (a 2019 review section of a "2019 summary and 2020
        plan" answers for 2019 only; a section 过去一年 of a 2023 report, for 2022)."""
        sentence = self.sentence(fig)
        start = self.full.find(sentence)
        stated = [f for f in self.figures if f.kind == "year"
                  and not _COMPARED_YEAR_RE.search(self.full[max(0, f.start - 2):f.start])
                  and not self.full.startswith("以来", f.end)]
        bounds = [0]
        for part in (self.text, self.section, self.title + self.doc_number + self.year):
            bounds.append(bounds[-1] + len(compact(part)) + 1)
        clause = re.split(r"[，,；;：:]", self.full[start:fig.start])[-1]
        documents = {f.low for f in stated if f.start >= bounds[2]}
        if documents and LAST_YEAR_RE.search(clause) and not any(
                fig.start - len(clause) <= f.start < fig.start for f in stated):
            return {y - 1 for y in documents}  # "去年居民消费价格涨幅回落到2.6%" of the 2013 report is 2012's
        for level, (lo, hi) in enumerate(((start, start + len(sentence)), *itertools.pairwise(bounds))):
            years = {f.low for f in stated if lo <= f.start < hi}
            if years and level == 3 and self.looking_back:
                years = {y - k for y in years for k in self.looking_back}
            if years and level in (1, 3) and documents & years and self.heading_in_text(fig) == "review":
                # "2024年工作回顾 过去一年，…增长5.7%" at the top of the 2025 report: not 2025's
                years = (years - documents) or {y - 1 for y in documents}
            if years:
                return years
        return set()

    def heading_in_text(self, fig: Figure) -> str:
        """"review" or "plan": the last such heading written in the passage's text before ``fig``
        ("2024年工作回顾", "过去一年，…"; "今年发展主要预期目标"), in a passage the chunker gave no
        section and with ``fig`` in its text; else ""."""
        if compact(self.section) or fig.start >= len(compact(self.text)):
            return ""
        marks = [(m.start(), "review") for m in REVIEW_TEXT_RE.finditer(self.full, 0, fig.start)]
        marks += [(m.start(), "plan") for m in PLAN_TEXT_RE.finditer(self.full, 0, fig.start)]
        return max(marks)[1] if marks else ""

    @functools.cached_property
    def looking_back(self) -> range:
        """How many years before its document's a review section speaks of: "一、过去一年和五年工作
        回顾" of the 2023 report tells 2022's results (and 2018-2022's)."""
        if "过去五年" in self.section or "和五年" in self.section:
            return range(1, 6)
        return range(1, 2) if "过去一年" in self.section else range(0)

    @functools.cached_property
    def years_looked_back(self) -> set[float]:
        """The years before its document's the passage speaks of without naming them: those of a
        review section (过去一年), and the year before for a passage that says 去年."""
        back = set(self.looking_back) | ({1} if LAST_YEAR_RE.search(compact(self.text)) else set())
        own = figures_in(compact(self.title + self.doc_number + self.year), already_compact=True)
        return {f.low - k for f in own if f.kind == "year" for k in back}
