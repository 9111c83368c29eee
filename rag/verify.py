"""Check what a small model wrote against the passages it was given, claim by claim, in code.

Each sentence of an answer is a claim. It is checked against the *document's own words* of the
passages it cites (the chunk text, plus its document's title, 文号 and section as :class:`Evidence`),
never against the labels the prompt adds:

- every figure must occur as the same value with a compatible unit (:mod:`rag.figures`), in the clause
  of the passage that speaks of the same thing as the answer's clause; a figure that the passage gives
  for another metric, or a value that differs from the one the passage gives for this metric, fails
  ("资料为98.9%"); a figure found only in another passage is re-cited there;
- a figure for the year asked (or the year the sentence names) must be stated for that year;
- place and organisation names in the sentence and the question must occur in a cited passage;
- negation or opposite wording (未/尚未/下降…) that the passage does not share fails the claim;
- the sentence's wording must be supported by its passages (character-bigram overlap).

A failing claim is kept with an inline mark (:data:`MARK`) and the reason, or dropped when it
shares almost nothing with any passage or names a date no passage has. Sentences that say the
documents do not answer something are kept as notes; an answer with no supported claim is a refusal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag import claims, namechecks, places, stages
from rag.checks import DROP_THRESHOLD, SUPPORT_THRESHOLD, Claim
from rag.claims import support
from rag.evidence import Evidence
from rag.figures import figures_in
from rag.normalize import CJK, compact, to_simplified

MARK = "⚠未核实"
_CITE_RE = re.compile(r"[\[【［]\s*(\d{1,2}(?:\s*[,，、]\s*\d{1,2})*)\s*[\]】］]")
_SENTENCE_RE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*|\n")
_REFUSAL_RE = re.compile("未找到|没有找到|未提及|没有提及|没有提到|未提到|无法回答|没有相关|未涉及|资料中没有|资料中未|未说明|没有说明")
_ENUMERATOR_RE = re.compile(r"^(?:\d{1,2}(?:[.．](?=\s)|[、)）])|[(（]\d{1,2}[)）]|[一二三四五六七八九十]{1,2}、)\s*")  # "1. ", "（2）"


@dataclass
class SentenceCheck:
    text: str  # as shown: the sentence, its mark if it failed, its citations
    citations: list[int]
    status: str  # verified | corrected | flagged | dropped | note
    support: float
    notes: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # figure | year | entity | polarity | support | citation | repeat


@dataclass
class Verification:
    answer: str
    sentences: list[SentenceCheck]
    removed_citations: list[int]
    warnings: list[str]

    @property
    def outcome(self) -> str:
        statuses = {s.status for s in self.sentences}
        if "flagged" in statuses or "dropped" in statuses:
            return "flagged"
        if "corrected" in statuses or self.removed_citations:
            return "corrected"
        return "verified"

    @property
    def supported(self) -> bool:
        """At least one claim passed: otherwise the answer is no answer."""
        return any(s.status in ("verified", "corrected") for s in self.sentences)


_TITLE_ONLY_RE = re.compile(r"(?:《[^《》]+》\s*(?:[（(][^（）()]{0,30}[）)])?\s*[、，,和及与]?\s*)+[。.；;]?")
# a sentence that only announces a list: "…提出了以下要求：", "…采取以下措施" (not "月收入5000元以下")
_INTRO_RE = re.compile(r"(?:[：:]|(?<![\d%元人个万亿岁斤吨米天日月年家户项次倍])(?:以下|如下|下列)[\u4e00-\u9fff]{0,6})[。.]?$")
_EMPTY_ITEMS_RE = re.compile(r"[：:、，,；;]\s*、|、\s*(?:[。.；;，,]|$)")


def split_answer(text: str) -> list[str]:
    return [s for s in _SENTENCE_RE.findall(text) if s.strip()]


def parse_citations(sentence: str) -> list[int]:
    nums: list[int] = []
    for m in _CITE_RE.finditer(sentence):
        for part in re.split(r"[,，、]", m.group(1)):
            n = int(part.strip())
            if n not in nums:
                nums.append(n)
    return nums


def strip_citations(sentence: str) -> str:
    return _CITE_RE.sub("", sentence).strip()


_MARK_RE = re.compile(MARK + r"(?:（[^）]*）)?")


def strip_marks(text: str) -> str:
    """The answer as the model claimed it: without the checker's marks and what it says the passage has."""
    return _MARK_RE.sub("", text)


def is_refusal_sentence(text: str) -> bool:
    return _REFUSAL_RE.search(compact(text)) is not None


def _format(body: str, cites: list[int], mark: str = "") -> str:
    tail = ""
    match = re.search(r"[。！？!?；;]+$", body)
    if match:
        body, tail = body[:match.start()], match.group(0)
    return body + mark + "".join(f"[{n}]" for n in cites) + tail


def verify_answer(answer: str, passages: list[Evidence] | list[str], question: str = "") -> Verification:
    """``passages[i]`` is passage number i+1 as shown to the model (plain strings are texts)."""
    evidence = [p if isinstance(p, Evidence) else Evidence(p) for p in passages]
    answer = to_simplified(answer)
    q = compact(question)
    q_years = {f.low for f in figures_in(q, already_compact=True) if f.kind == "year"}
    q_names = claims.names_in(q)
    q_places = [n for n in dict.fromkeys([*q_names, *claims.places_in(q)]) if places.provinces_of(n)]
    answer_names_them = any(p in compact(answer) for p in q_places)
    valid = set(range(1, len(evidence) + 1))
    removed: list[int] = []
    checks: list[SentenceCheck] = []
    carried: list[int] = []
    sentences = split_answer(answer)
    said: set[str] = set()
    for idx, raw in enumerate(sentences):
        if raw == "\n":
            checks.append(SentenceCheck("\n", [], "verified", 1.0))
            continue
        cites = parse_citations(raw)
        bad = [n for n in cites if n not in valid]
        removed.extend(b for b in bad if b not in removed)
        cites = [n for n in cites if n in valid]
        body = strip_citations(raw)
        if not re.sub(r"[\s\W_]+", "", body):
            continue
        if is_refusal_sentence(body):
            checks.append(SentenceCheck(body, [], "note", 1.0, ["says the documents do not answer this"]))
            continue
        if _TITLE_ONLY_RE.fullmatch(_ENUMERATOR_RE.sub("", body.strip())):  # "《重庆：建立95个集中隔离医学观察点》[3]。"
            checks.append(SentenceCheck(body, [], "note", 1.0, ["only names a document"]))
            continue
        if _INTRO_RE.search(body.strip()) and all(f.kind == "year" for f in figures_in(body)):
            checks.append(SentenceCheck(body, [], "note", 1.0, ["introduces what follows"]))  # "…以下措施："
            continue
        if heading_copy(compact(body), evidence, q):  # "…的通知渝税发〔2020〕4号…各单位：…"
            checks.append(SentenceCheck(body, [], "note", 1.0, ["copies a notice's heading or signature"]))
            continue
        if q and restates(body, q):  # "要求企业落实“日报告”制度[3]" to "如何落实“日报告”制度？"
            checks.append(SentenceCheck(body, [], "note", 1.0, ["only restates the question"]))
            continue
        if _looping(body):  # "包头高速公路收费站、疫情防控检查点、高速公路收费站、疫情防控检查点、…"
            checks.append(SentenceCheck(_format(body, cites), cites, "dropped", 0.0,
                                        ["dropped: its items repeat themselves"], ["repeat"]))
            continue
        if _EMPTY_ITEMS_RE.search(body):  # "包括：、、、[2][3]。": the list lost its items
            checks.append(SentenceCheck(_format(body, cites), cites, "dropped", 0.0,
                                        ["dropped: a list whose items are empty"], ["support"]))
            continue
        claim_body = compact(_ENUMERATOR_RE.sub("", body.strip()))
        same = claim_body.rstrip("。；;")
        if same in said:  # a small model looping: "1. X。2. X。3. X。"
            checks.append(SentenceCheck(_format(body, cites), cites, "dropped", 1.0, ["dropped: repeats an earlier sentence"],
                                        ["repeat"]))
            continue
        said.add(same)
        notes = [f"removed citation [{b}]: no such passage" for b in bad]
        assigned = []
        if not cites:
            # A sentence often shares the citation written at the end of the next one.
            following = next((parse_citations(s) for s in sentences[idx + 1:] if parse_citations(s)), [])
            guess = [n for n in (carried or following) if n in valid]
            cites = _uncited(body, guess, evidence)
            if cites != guess:
                assigned.append(f"cited [{cites[0]}], the passage that supports it")
        claim = Claim(claim_body, cites, evidence, q, recited=assigned)
        figures = figures_in(claim.body, already_compact=True)
        sentence_years = {f.low for f in figures if f.kind == "year"}
        for fig in figures:
            claim.check_figure(fig, figures)
        claim.check_qualifiers(figures)
        claim.check_years(sentence_years or q_years)
        claim.check_section_year(sentence_years or q_years, figures)
        claim.check_bounds()
        stages.check_stage(claim)
        body = claim.rewritten(body)
        claim.check_question_dates(figures)
        namechecks.check_names(claim, q_names)
        namechecks.check_titles(claim)
        namechecks.check_places(claim)
        namechecks.check_foreign_place(claim, q_places, answer_names_them)
        claim.check_restated(figures)
        _drop_idle_citations(claim, body)
        score = max((support(body, evidence[c - 1].full) for c in claim.cites), default=0.0)
        if score < SUPPORT_THRESHOLD and not claim.findings:
            best = _best_supporting(body, evidence)
            if best is not None:
                best_i, score = best  # a passage cited that does not hold the claim is no source of it
                claim.recited.append(f"cited [{best_i}], the passage that supports it" + "".join(
                    f" (not [{i}])" for i in claim.cites if i != best_i))
                claim.cites = [best_i]
        claim.check_polarity()
        namechecks.check_subject(claim, q_names)
        checks.append(_decide(body, claim, score, bad, notes))
        carried = claim.cites
    kept = re.sub(r"[；;]$", "。", "".join(c.text for c in checks if c.status != "dropped").strip())
    warnings = [f"citation [{n}] matches no passage and was removed" for n in removed]
    warnings += [f"{c.status}: {strip_citations(c.text)[:40]}… ({'; '.join(c.notes)})"
                 for c in checks if c.status in ("flagged", "dropped")]
    return Verification(kept, checks, removed, warnings)


_LIGHT_WORDS = ("进行", "开展", "实施", "做好", "有关", "相关", "工作", "方面", "若干", "一系列", "具体", "如何", "怎样",
                "怎么", "哪些", "什么", "了", "的", "是")


def restates(body: str, q: str) -> bool:
    """The sentence says nothing the question does not: every character of it stands in a character
    pair of the (compact) question, but for light verbs (进行 开展) and at most one other character."""
    text = compact(body)
    for word in _LIGHT_WORDS:
        if word not in q:
            text = text.replace(word, "")
    chars = re.sub(f"[^{CJK}]", "", text)
    if any(f.text not in q for f in figures_in(text, already_compact=True)):
        return False  # a figure the question does not hold is news
    if len(chars) < 4:
        return len(chars) >= 2 and chars in q  # "三优先" to "…设置的“三优先”是什么？"
    pairs = {q[i:i + 2] for i in range(len(q) - 1)}
    covered = [False] * len(chars)
    for i in range(len(chars) - 1):
        if chars[i:i + 2] in pairs:
            covered[i] = covered[i + 1] = True
    return covered.count(False) <= 1


def heading_copy(text: str, evidence: list[Evidence], q: str) -> bool:
    """The (compact) sentence copies the heading of a notice shown — its title with its 文号 or its
    addressees ("…的通知渝税发〔2020〕4号…各派出机构，…局内各单位：") — or is only its signature
    ("…重庆市税务局2020年2月6日"): what the notice is, not what it says, unless the question asks
    the document's name, number, issuer or date."""
    if _ASKS_DOCUMENT_RE.search(q):
        return False
    if _SIGNATURE_RE.fullmatch(text):
        return True
    return any(len(title := compact(ev.title)) >= 8 and title in text
               and ((ev.doc_number and compact(ev.doc_number) in text) or _ADDRESSEES_RE.search(text))
               for ev in evidence)


_ASKS_DOCUMENT_RE = re.compile(r"文号|字号|发文|标题|题目|名称|全称|哪个(?:部门|单位|机关)|谁|何时|什么时候|哪天|日期|时间|落款")
_SIGNATURE_RE = re.compile(r"[….。、\s]*[\u4e00-\u9fff（）()]{2,40}?[局委厅部府会院办室心处所站司](?:19|20)\d{2}年\d{1,2}月\d{1,2}日[。.]?")
_ADDRESSEES_RE = re.compile(r"(?:各|局内|市直|省直|区直|县直)[^。；;：:]{0,60}(?:单位|部门|机构|局|厅|委|政府|学校)[：:]")


def _looping(body: str) -> bool:
    """A small model looping inside one sentence: an item of its 、-list three times or more."""
    items = [i for i in re.split(r"[、，,；;]", compact(body)) if len(i) >= 2]
    return any(items.count(i) >= 3 for i in set(items))


def _uncited(body: str, guess: list[int], evidence: list[Evidence]) -> list[int]:
    """Citations for a sentence the model left uncited: the neighbour's, if that passage supports it;
    else the passage that supports it best (a list item copied from another notice than the item
    before it: "…；兰州市再次投放1500吨储备蔬菜；" is checked against the 兰州 notice)."""
    if any(support(body, evidence[n - 1].full) >= SUPPORT_THRESHOLD for n in guess):
        return guess
    best = _best_supporting(body, evidence)
    return [best[0]] if best else guess


def _best_supporting(body: str, evidence: list[Evidence]) -> tuple[int, float] | None:
    """The passage (1-based) that supports ``body`` best, with its support, if that reaches the threshold."""
    scored = [(i, support(body, ev.full)) for i, ev in enumerate(evidence, start=1)]
    best = max(scored, key=lambda x: x[1], default=None)
    return best if best and best[1] >= SUPPORT_THRESHOLD else None


def _drop_idle_citations(claim: Claim, body: str) -> None:
    """A cited passage that states none of the claim's figures and barely shares its words is no
    source of it ("…357份[1][2]" where [2] is the report's opening), nor is one that gives a figure's
    metric another value (the claim re-cited from 2024's 社会消费品零售总额增长4.4% to 2025's target):
    its citation goes, while another cited passage states the figures."""
    stating = {i for _, backing in claim.backed for i in backing}
    idle = [i for i in claim.cites if i not in stating and i not in claim.naming
            and (i in claim.contrary or support(body, claim.evidence[i - 1].full) < SUPPORT_THRESHOLD)]
    if claim.backed and idle and len(idle) < len(claim.cites):
        claim.cites = [i for i in claim.cites if i not in idle]
        claim.recited.append(f"citation {''.join(f'[{i}]' for i in idle)} removed: it states none of its figures")


def _decide(body: str, claim: Claim, score: float, bad: list[int], notes: list[str]) -> SentenceCheck:
    notes = [*notes, *claim.recited, *(f.note for f in claim.findings)]
    reasons = list(dict.fromkeys(f.reason for f in claim.findings))
    figure_missing = any(f.reason in ("figure", "date") for f in claim.findings)
    if "date" in reasons or (figure_missing and score < SUPPORT_THRESHOLD) or score < DROP_THRESHOLD:
        why = "shares almost nothing with any passage" if score < DROP_THRESHOLD else "its figures are in no passage"
        return SentenceCheck(_format(body, claim.cites), claim.cites, "dropped", score,
                             [*notes, f"dropped: {why} ({score:.2f})"], reasons or ["support"])
    if score < SUPPORT_THRESHOLD:
        reasons.append("support")
        notes.append(f"weak support in the cited passages ({score:.2f})")
    if not claim.cites:
        reasons.append("citation")
        notes.append("no passage supports it well enough to cite")
    if reasons:
        hint = next((f.hint for f in claim.findings if f.hint), "")
        mark = MARK + (f"（{hint}）" if hint else "")
        return SentenceCheck(_format(body, claim.cites, mark), claim.cites, "flagged", score, notes, reasons)
    status = "corrected" if bad or claim.recited else "verified"
    return SentenceCheck(_format(body, claim.cites), claim.cites, status, score, notes)


def latin_ratio(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if ch.isascii()) / len(letters)


_ASKS_AMOUNT_RE = re.compile(r"多少|几(?=[家次人名万亿天年月日倍元号])|哪一?天")


# a count asked in a counter ("多少天前", "几枚"): only a figure counted in it answers
_ASKS_COUNT_RE = re.compile(r"(?:多少|几)(?:[万亿千百])?(?:个(?=人))?(人次|个?百分点|个月|天|[个家项条名份张场宗次位所批人元枚件台辆部起例])")


def states_no_figure(question: str, verification: Verification) -> bool:
    """The question asks how much, how many or which day, and no claim shown states a figure the
    question does not: "给予多少补助金？" is not answered by "给予失业补助金", nor "延长到哪天？" by
    "视情再延长", nor "多少天前？" by "9月份". A figure marked ⚠未核实 still counts: its mark says what
    the passage gives instead."""
    if not _ASKS_AMOUNT_RE.search(question):
        return False
    question = compact(question)
    asked = {f.text for f in figures_in(question, already_compact=True)}
    counter = _ASKS_COUNT_RE.search(question)
    probe = [f for f in figures_in(f"1{counter.group(1)}", already_compact=True) if f.unit] if counter else []
    return not any(f.text not in asked and (not probe or probe[0].same_metric_kind(f) or (f.kind == "number" and not f.unit))
                   for s in verification.sentences if s.status in ("verified", "corrected", "flagged")
                   for f in figures_in(compact(strip_citations(s.text)), already_compact=True))
