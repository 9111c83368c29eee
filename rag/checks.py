"""The checks of one claim (an answer sentence) against the passages it may cite (each read as an
:class:`rag.evidence.Evidence`): each figure bound to the clause that speaks of the same thing, the year
it is stated for, its bound, and the claim's polarity (names: :mod:`rag.namechecks`; target or result:
:mod:`rag.stages`). What fails becomes a :class:`Finding`; :mod:`rag.verify` decides."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag import claims
from rag.evidence import Evidence
from rag.figures import PHONE, bound, figures_in
from rag.types import Figure

SUPPORT_THRESHOLD = 0.5
DROP_THRESHOLD = 0.25  # a claim sharing less with every passage shares almost nothing
STRONG = 0.8  # a binding this close leaves no doubt which metric a figure is
QUESTION_FLOOR = 0.3  # a bare figure is bound through the question's words, which match less
ALT_MARGIN = 0.2  # another clause must bind this much better to count as "the passage says otherwise"
SLOT_MARGIN = 2  # bigrams of the question's slot another figure must have more of
BARE_MARGIN = 0.15  # a bare figure has only the question to bind by: a smaller lead decides
QUALIFIED_ALIKE = 0.6  # two values whose clauses share this much of their words are values of one metric
NARROWER = 2  # question bigrams a later value of the sentence must add to be the one asked
_LINK_RE = re.compile("(?:达到|达|为|是|共|计)+$")  # between a metric and its value
_PARTS_RE = re.compile(r"方面|部分|板块")  # after a count: the parts of a list
_HOW_MANY_RE = re.compile("多少|几")
_DAY_RE = re.compile(r"(?<!\d)(\d{1,2})月(\d{1,2})日")
_IDENTIFIER_RE = re.compile(rf"\d{{5,}}|{PHONE}")


def is_identifier(fig: Figure) -> bool:
    """A hotline, telephone or account number (12366, 0771—2818453, 0409020029300539524): it names, it does not measure, so
    being in the passage is enough."""
    return fig.kind == "number" and not fig.unit and bool(_IDENTIFIER_RE.fullmatch(fig.text))


def _narrower_after(ev: Evidence, pf: Figure, asked: set[str]) -> bool:
    """Another value of the same kind later in ``pf``'s sentence is stated for more of the question's
    words: "在建省大中型项目复工率达93.5%，其中基础设施项目复工率达89.8%" asked of 基础设施项目."""
    sentence = claims.sentence_around(ev.full, pf.start)
    start = ev.full.find(sentence, max(0, pf.start - 400))
    if start < 0:
        return False

    def upto(fig: Figure) -> float:  # the question's words from the sentence's start to the end of fig's clause
        return claims.overlap(asked, ev.full[start:claims.clause_span(ev.full, fig.start, fig.end)[1]]) * len(asked)

    sentence_end = start + len(sentence)
    before = upto(pf)
    return any(o.start > pf.end and o.end <= sentence_end and pf.same_metric_kind(o) and not pf.matches(o)
               and upto(o) >= before + NARROWER for o in ev.figures)


@dataclass
class Finding:
    reason: str
    note: str
    hint: str = ""  # what the passage says instead, shown after the mark


@dataclass
class Claim:
    """One sentence being checked: what it says, where it cites, what failed."""

    body: str  # search form, no citation markers
    cites: list[int]
    evidence: list[Evidence]
    question: str
    findings: list[Finding] = field(default_factory=list)
    recited: list[str] = field(default_factory=list)
    naming: set[int] = field(default_factory=set)  # passages cited because they name what the claim names
    contrary: set[int] = field(default_factory=set)  # cited passages that give a figure's metric another value
    backed: list[tuple[Figure, dict[int, Figure]]] = field(default_factory=list)  # figure -> passages stating it
    rewrites: list[tuple[str, str, str]] = field(default_factory=list)  # (figure as written, as the passage bounds it, note)

    def valid(self) -> list[int]:
        return list(range(1, len(self.evidence) + 1))

    def context_grams(self, fig: Figure, figures: list[Figure]) -> tuple[set[str], bool]:
        """The claim's words around ``fig``, and whether they are the answer's own (else the question's)."""
        grams = claims.content_grams(claims.segment(self.body, fig, figures))
        own = len(grams) >= 3
        if not own:  # "98.9%[1]。", "不超过6个月": the question says what the figure is
            grams |= claims.content_grams(self.question)
        return grams | claims.neighbours(self.body, fig, figures), own

    def check_figure(self, fig: Figure, figures: list[Figure]) -> None:
        if fig.kind == "number" and _PARTS_RE.match(self.body, fig.end):  # "六个方面", of an outline of six
            listing = [i for i in self.valid() if self.evidence[i - 1].parts == fig.low == fig.high]
            if listing:
                if not set(listing) & set(self.cites):
                    self.cites = sorted({*self.cites, listing[0]})
                    self.recited.append(f"re-cited to [{listing[0]}], which lists {fig.text}")
                return
        grams, own = self.context_grams(fig, figures)
        asked = claims.content_grams(self.question)
        backing: dict[int, tuple[float, Figure]] = {}  # passage -> (binding, the passage's figure)
        rate = claims.per_unit(self.body, fig) or (not own and claims.asks_rate(self.question))
        rival: tuple[float, Figure] | None = None
        stated = [*figures, *figures_in(self.question, already_compact=True)]
        contrary: set[int] = set()
        for i in self.valid():
            ev = self.evidence[i - 1]
            same = [(ev.binding(pf, grams), pf) for pf in ev.figures if fig.matches(pf)
                    and (fig.kind != "number" or claims.per_unit(ev.full, pf) == rate)]  # 每小时21万个 is no total
            if fig.kind == "year" or is_identifier(fig):
                if same:
                    backing[i] = max(same, key=lambda s: s[0])
                elif fig.kind == "year" and fig.low == fig.high and fig.low in ev.years_looked_back:
                    backing[i] = (1.0, fig)
                continue
            others = [(ev.binding(pf, grams), pf) for pf in ev.figures
                      if fig.same_metric_kind(pf) and not fig.matches(pf)]
            best_other = max(others, key=lambda s: (s[0], ev.clause_share(s[1], grams)), default=None)
            if best_other and (rival is None or best_other[0] > rival[0]) and i in self.cites:
                rival = best_other
            if not same:
                continue
            # of two equal bindings, the one whose own clause holds the claim's words ("25日表示，朝鲜24日
            # 深夜…至25日0时…发射")
            best = max(same, key=lambda s: (s[0], ev.clause_share(s[1], grams)))
            floor = SUPPORT_THRESHOLD if own else QUESTION_FLOOR
            rivals = [pf for _, pf in others if not any(f.matches(pf) for f in stated)]  # "20家产业园区…" qualifies
            bound_better = best_other is not None and best_other[0] >= floor and (
                best_other[0] > best[0] + (ALT_MARGIN if own else BARE_MARGIN)
                or ev.qualified_elsewhere(best[1], best_other[1], grams, asked))
            if bound_better or (rivals and self.clause_elsewhere(ev, best[1], rivals, grams)):
                # the passage gives this metric another value (in another clause of a sentence that binds
                # every figure alike, too); the figure belongs elsewhere
                contrary.add(i)
                continue
            if own and len(grams) >= 3 and best[0] < 0.15:
                continue  # the figure occurs, but about something else
            if not own and best[0] < QUESTION_FLOOR and any(
                    ev.binding(pf, grams) > best[0] + ALT_MARGIN for pf in ev.figures if pf.kind != "year"):
                continue  # a bare figure, while the question's words point to another figure of the passage
            if not own and self.fills_other_slot(ev, fig, grams, same, others):
                continue  # a bare figure, while another one stands where the question's 多少 does
            if not own and _narrower_after(ev, best[1], asked):
                continue  # "93.5%" to "…其中基础设施项目复工率达到了多少？": 89.8% is the one 其中 narrows to
            backing[i] = best
        if rival and rival[0] >= (STRONG if own else QUESTION_FLOOR):
            # a passage that holds the figure alone backs nothing while a cited passage gives this
            # metric another value ("不超过6个月" of 缓缴, asked the 免征期限: 不超过5个月)
            margin = ALT_MARGIN if own else BARE_MARGIN
            backing = {i: b for i, b in backing.items() if rival[0] <= b[0] + margin}
        cited = [i for i in self.cites if i in backing]
        best_i = max(backing, key=lambda i: backing[i][0], default=0)
        if not cited and backing:
            # re-cite, unless the cited passage gives this very metric another value
            self.cites = sorted({*self.cites, best_i})
            self.contrary |= contrary
            self.recited.append(f"re-cited to [{best_i}], which states {fig.text}")
            cited = [best_i]
        if not cited:
            same_digits = next((pf for i in self.cites for pf in self.evidence[i - 1].figures
                                if pf.low == fig.low and pf.kind != "year" and not fig.matches(pf)), None)
            hint = (f"资料为{same_digits.text}" if same_digits else
                    f"资料为{rival[1].text}" if rival and rival[0] >= QUESTION_FLOOR else "")
            anywhere = any(fig.matches(pf) for ev in self.evidence for pf in ev.figures)
            why = "is stated for something else in the passages" if anywhere else "is in no passage"
            reason = "date" if fig.kind == "date" and not anywhere else "figure"
            self.findings.append(Finding(reason, f"{fig.text} {why}" + (f" ({hint})" if hint else ""), hint))
            return
        if fig.kind != "year":
            self.backed.append((fig, {i: pf for i, (_, pf) in backing.items()}))

    def check_qualifiers(self, figures: list[Figure]) -> None:
        """A figure the passage tells apart from another value of the same metric by a figure that
        qualifies it ("百人以上企业建会率达98.9%，…25-99人企业建会率达到74.4%") must keep that
        qualifier, in the claim or in its question: "建会率98.9%" alone says it of every firm, so the
        passage's words are put after it ("98.9%（百人以上企业建会率）")."""
        asked = {claims.figure_token(f) for f in figures_in(self.question, already_compact=True) if f.kind != "year"}
        for fig, backing in self.backed:
            mine = claims.neighbours(self.body, fig, figures) | asked
            for i, pf in backing.items():
                ev = self.evidence[i - 1]
                quals = ev.qualifiers(pf)
                if not quals:
                    continue
                grams = claims.content_grams(ev.context(pf)[0])
                # the passage's other values of this metric, each with what it is the value for
                alike = [(o, ev.qualifiers(o)) for o in ev.figures
                         if fig.same_metric_kind(o) and claims.overlap(grams, ev.context(o)[0]) >= QUALIFIED_ALIKE]
                asked_for = [o for o, q in alike if q & asked] if not quals & asked else []
                if asked_for and not any(f.matches(o) for f in figures for o in asked_for):
                    # "25-99人企业建会率达到74.4%" to "百人以上企业建会率达到多少？": true, and no answer
                    self.findings.append(Finding("figure", f"{fig.text} is the passage's figure for another group than "
                                                 f"the one asked ({asked_for[0].text})", f"资料为{asked_for[0].text}"))
                    return
                if quals & mine:
                    continue
                if any(q and not q & quals and not fig.matches(o) for o, q in alike):
                    start, _ = claims.clause_span(ev.full, pf.start, pf.end)
                    phrase = _LINK_RE.sub("", ev.full[start:pf.start])
                    self.rewrites.append((fig.text, f"{fig.text}（{phrase}）",
                                          f"{fig.text} is the passage's figure for {phrase} only"))
                    break

    @staticmethod
    def clause_elsewhere(ev: Evidence, fig: Figure, others: list[Figure], grams: set[str]) -> bool:
        """Another value of ``fig``'s sentence stands in the clause that holds most of the claim's
        words the sentence has: "5.5%左右" of 地区生产总值 where "地区生产总值增长5.0%—5.5%，…社会消费品
        零售总额增长5.5%左右"."""
        sentence, mine = ev.sentence(fig), ev.clause_share(fig, grams)
        return any(ev.sentence(o) == sentence and ev.clause_share(o, grams) >= max(SUPPORT_THRESHOLD, mine + ALT_MARGIN)
                   for o in others)

    def fills_other_slot(self, ev: Evidence, fig: Figure, grams: set[str], same: list[tuple[float, Figure]],
                         others: list[tuple[float, Figure]]) -> bool:
        """For a bare figure: another figure of the passage has the words the question puts around
        its 多少 ("再给予25%的贴息支持" for "再给予多少贴息支持", not "利率的50%给予贴息"), or the counter
        it asks for (12项 for 多少项, not 四个)."""
        top = max(b for b, _ in same)
        slot = claims.asked_slot(self.question)
        if slot and others:
            mine = max(claims.slot_score(slot, ev.full, pf) for _, pf in same)
            if any(claims.slot_score(slot, ev.full, pf) >= mine + SLOT_MARGIN and b >= top - ALT_MARGIN
                   for b, pf in others):
                return True
        counter = claims.asked_counter(self.question)
        if counter and fig.unit and not (fig.unit.startswith(counter) or counter.startswith(fig.unit)):
            # "五条" to "共设立多少个发热门诊": another figure counts in 个, whatever its unit family
            return any(pf.unit.startswith(counter) and ev.binding(pf, grams) >= top for pf in ev.figures)
        return False

    def check_years(self, q_years: set[float]) -> None:
        """A figure given for the year asked must be stated for that year by a passage that has it
        (re-cited there when the cited one states it for another year)."""
        for fig, backing in self.backed:
            if fig.kind == "date" or not q_years:
                continue
            stated = {i: self.evidence[i - 1].years_for(pf) for i, pf in backing.items()}
            good = [i for i, years in stated.items() if not years or years & q_years]
            if any(i in self.cites for i in good):
                continue
            if good:
                # a passage that states the claim's only figure for another year is no source of it
                wrong = [i for i in self.cites if i in stated and i not in good] if len(self.backed) == 1 else []
                self.cites = sorted({*(i for i in self.cites if i not in wrong), good[0]})
                self.recited.append(f"re-cited to [{good[0]}], which states {fig.text} for the year asked" +
                                    "".join(f"; [{i}] removed: it states {fig.text} for another year" for i in wrong))
                continue
            cited = next((i for i in self.cites if i in stated), next(iter(stated)))
            shown = "、".join(f"{int(y)}年" for y in sorted(stated[cited]))
            self.findings.append(Finding("year", f"{fig.text} is stated for {shown}, not for "
                                          f"{'、'.join(f'{int(y)}年' for y in sorted(q_years))}",
                                          f"资料所述为{shown}"))

    def check_bounds(self) -> None:
        """A bound the cited passage puts on a figure (超过2000家, 近600吨, 100万元以上) must stay: a
        figure written without it is restored to the passage's words, one bounded the other way
        ("超过" where the passage says "近") is marked, and a bound the passage does not put is taken off. The question's own figures, echoed, are left."""
        asked = figures_in(self.question, already_compact=True)
        for fig, backing in self.backed:
            cited = next((i for i in self.cites if i in backing), None)
            if cited is None or any(fig.matches(q) for q in asked):
                continue
            pf = backing[cited]
            direction, before, after = bound(self.evidence[cited - 1].full, pf)
            own, own_before, own_after = bound(self.body, fig)
            if own and not direction:  # "实际增长5%左右" of a review's exact "增长5%": the target's words
                self.rewrites.append((f"{own_before}{fig.text}{own_after}", pf.text,
                                      f"{own_before}{fig.text}{own_after} written as the passage states it: {pf.text}"))
                continue
            if not direction or own == direction:
                continue
            phrase = f"{before}{pf.text}{after}"
            if own:
                self.findings.append(Finding("figure", f"{fig.text} is bounded otherwise in the passage: {phrase}",
                                             f"资料为{phrase}"))
            else:
                self.rewrites.append((fig.text, phrase, f"{fig.text} written as the passage bounds it: {phrase}"))

    def rewritten(self, body: str) -> str:
        """``body`` (the answer's own text) with the rewrites found applied, each noted; a figure
        whose search form is not written so in the body is left alone."""
        for written, bounded, note in self.rewrites:
            if written in body:
                body = body.replace(written, bounded, 1)
                self.recited.append(note)
        return body

    def check_section_year(self, q_years: set[float], figures: list[Figure]) -> None:
        """A claim with no figure of its own (the figure rule reads those) cited only to passages
        whose section is headed by another year: "2020年…目标" answered with a line of the section
        "一、2019年主要工作完成情况" tells what was done in 2019, not what is planned for 2020. When a
        passage of a section headed by the year asked supports it at least as well as the cited ones
        (the outline of "三、2020年工作思路"), the claim is re-cited there instead; a passage of that
        year that merely shares its words is no source of a line copied from another year's section."""
        if not q_years or not self.cites or any(f.kind not in ("year", "date") for f in figures):
            return
        stated = [self.evidence[i - 1].section_years for i in self.cites]
        if all(years and not years & q_years for years in stated):
            shown = "、".join(f"{int(y)}年" for y in sorted(set().union(*stated)))
            backing = {i: claims.support(self.body, ev.full) for i, ev in enumerate(self.evidence, 1)
                       if i not in self.cites and ev.section_years & q_years}
            best = max(backing, key=backing.__getitem__, default=0)
            held = max(claims.support(self.body, self.evidence[i - 1].full) for i in self.cites)
            if best and backing[best] >= max(SUPPORT_THRESHOLD, held):  # it holds the claim as well as they do
                self.recited.append(f"re-cited to [{best}], whose section is about the year asked; "
                                    f"{''.join(f'[{i}]' for i in self.cites)} removed: about {shown}")
                self.cites = [best]
                return
            self.findings.append(Finding("year", f"the cited passage's section is about {shown}, not "
                                          f"{'、'.join(f'{int(y)}年' for y in sorted(q_years))}", f"资料所述为{shown}"))

    def check_question_dates(self, figures: list[Figure]) -> None:
        """A figure answering a question about a day or period ("1月24日至2月11日…累计验放多少批次")
        must come from a passage that names that day: another notice's count is for another period."""
        days = dict.fromkeys(f"{m}月{d}日" for m, d in _DAY_RE.findall(self.question))
        if not days or not any(f.kind not in ("year", "date") for f in figures):
            return
        texts = [self.evidence[i - 1].full for i in self.cites]
        for day in days:
            if not any(day in t for t in texts):
                self.findings.append(Finding("year", f"the cited passages do not mention {day}", f"资料未提及{day}"))
                return

    def check_restated(self, figures: list[Figure]) -> None:
        """An answer to "多少/几" whose only figures are the question's own has not answered it."""
        if not _HOW_MANY_RE.search(self.question):
            return
        asked = figures_in(self.question, already_compact=True)
        counted = [f for f in figures if f.kind != "year"]
        if counted and all(any(f.matches(q) for q in asked) for f in counted):
            self.findings.append(Finding("figure", f"{counted[0].text} only repeats the question's figure"))

    def check_polarity(self) -> None:
        for clause in claims.clauses(self.body):
            grams = claims.content_grams(clause)
            if len(grams) < 3:
                continue
            score, best = self._closest(clause, grams, self.cites)
            if score < 0.6 or not _reverses(clause, best):
                continue
            # the clause word for word, its polarity kept, in a passage shown but not cited ("…等非医疗
            # 废物专业处置设施" cited to the passage listing the same 焚烧设施 with no 非): that is its source
            others = [(*self._closest(clause, grams, [i]), i) for i in self.valid() if i not in self.cites]
            rival = max(others, default=None)
            if rival is not None and rival[0] >= score and not _reverses(clause, rival[1]):
                self.recited.append(f"cited [{rival[2]}], the passage that states it" +
                                    "".join(f" (not [{i}])" for i in self.cites))
                self.cites = [rival[2]]
                continue
            self.findings.append(Finding("polarity", f"“{clause}” reverses the passage (“{best}”)",
                                          f"资料为“{best[:30]}”"))

    def _closest(self, clause: str, grams: set[str], cites: list[int]) -> tuple[float, str]:
        """The passages' clause that is the same claim as ``clause``: most of the answer's clause is in
        it, or most of it is in the answer's (a short passage clause inside a long answer clause,
        "疫情防控期间", decides nothing); (0, "") for none."""
        return max(((max(claims.overlap(grams, c), claims.overlap(claims.content_grams(c), clause)
                         if 2 * len(claims.content_grams(c)) >= len(grams) >= 4 else 0.0), c)
                    for i in cites for c in claims.clauses(self.evidence[i - 1].full)), default=(0.0, ""))


def _reverses(clause: str, passage_clause: str) -> bool:
    (a_neg, a_dir), (p_neg, p_dir) = claims.polarity(clause), claims.polarity(passage_clause)
    return a_neg != p_neg or bool(a_dir and p_dir and a_dir != p_dir)
