"""The name checks of one claim: the places, organisations, persons and 《documents》 it names must be
those of the passages it cites, and a figure or a sentence a passage says of one place must not be
given for another. Each failure is a :class:`rag.checks.Finding` on the claim."""

from __future__ import annotations

import re

from rag import claims, places
from rag.checks import DROP_THRESHOLD, SUPPORT_THRESHOLD, Claim, Finding
from rag.normalize import compact
from rag.terms import designations
from rag.types import Figure

_TITLE_RE = re.compile(r"《([^《》]{2,80})》")
_ASKS_PLACE_RE = re.compile(r"哪(?:个|些|一)?(?:省|市|区|县|地|里|儿)|什么地方|何地|何处")
SUBJECT_CHARS = 8  # a sentence names its subject within its first characters


def check_names(claim: Claim, q_names: list[str]) -> None:
    texts = [claim.evidence[i - 1].full for i in claim.cites]
    names = [*claims.names_in(claim.body), *claims.persons_in(claim.body)]
    for name in [*names, *(w for w in claims.places_in(claim.body) if w not in names and w not in claim.question
                           and not any(w in n or n in w for n in names))]:
        if any(claims.mentions(t, name) for t in texts) or any(places.names_part_of(name, [*claims.names_in(t), *claims.places_in(t)])
                                                for t in texts):
            continue  # "江西" is backed by a passage about 南昌 and 上饶; "广西" by "超市梧州店"
        other = recite_to_passage_naming(claim, name, name)
        if other is not None:
            texts.append(claim.evidence[other - 1].full)
            _drop_foreign_citations(claim, name)
            continue
        claim.findings.append(Finding("entity", f"the cited passages do not mention {name}", f"资料未提及{name}"))
    # asked of 北京市通州区, a passage about 北京 at large is about another place than the one asked
    q_names = [n for n in q_names if not any(places.within(m, n) for m in q_names)]
    others = {n for t in texts for n in claims.names_in(t)} - set(q_names)
    asked_named = any(claims.mentions(t, name) for name in q_names for t in texts)
    if q_names and others and not asked_named and not any(places.names_part_of(name, others) for name in q_names):
        # the passages speak of another place (a notice that says only 本市 is not flagged)
        claim.findings.append(Finding("entity", f"the cited passages are about {'、'.join(sorted(others))}, "
                                      f"not {'、'.join(q_names)}", f"资料未提及{q_names[0]}"))
    elif q_names and not others and not asked_named:
        _check_home(claim, [n for n in q_names if places.provinces_of(n)])


def _check_home(claim: Claim, asked: list[str]) -> None:
    """Passages that name no place (本市, 我省) are their document's: a notice of 北京 that says
    "全力保障生活必需品等重要物资市场供应" on its first page and 北京 on its last is no answer about 广州."""
    homes = {h for i in claim.cites for h in claim.evidence[i - 1].home}
    if asked and homes and all(claim.evidence[i - 1].home for i in claim.cites) and all(
            places.elsewhere(h, asked) for h in homes):
        home = "、".join(sorted(homes))
        claim.findings.append(Finding("entity", f"the cited passages are of a document about {home}, not "
                                      f"{'、'.join(asked)}", f"资料所述为{home}"))


def _drop_foreign_citations(claim: Claim, name: str) -> None:
    """Once the claim is re-cited to the passage naming its place, a cited passage of a document
    about a place in another province goes (2%左右 of 四川, cited to 四川's report and 宁夏's), while
    the claim's figures stay backed by the passages left."""
    foreign = {i: owner for i in claim.cites if (owner := other_issuer(claim.evidence[i - 1].title, [name]))}
    left = [i for i in claim.cites if i not in foreign]
    if foreign and left and all(any(i in backing for i in left) for _, backing in claim.backed):
        claim.cites = left
        claim.recited.extend(f"[{i}] removed: its document is {owner}'s" for i, owner in foreign.items())


def check_titles(claim: Claim) -> None:
    """A document the claim names in 《》 must be named in a cited passage (or the model cited the
    wrong one): small models invent a plausible 《…指引》 to source a correct sentence."""
    for title in dict.fromkeys(_TITLE_RE.findall(claim.body)):
        if any(title in claim.evidence[i - 1].full for i in claim.cites):
            continue
        if recite_to_passage_naming(claim, title, f"《{title}》") is not None:
            continue
        shown = title if len(title) <= 20 else title[:20] + "…"
        claim.findings.append(Finding("entity", f"the cited passages do not name 《{title}》", f"资料未提及《{shown}》"))


def recite_to_passage_naming(claim: Claim, needle: str, label: str) -> int | None:
    """The model cited the wrong passage for ``needle``: add the first one that holds it, of a
    cited passage's document or sharing some of the claim's words (a 12345 hotline story that
    names 通州 is no source of 北京's rule said of 通州)."""
    other = next((i for i in claim.valid() if claims.mentions(claim.evidence[i - 1].full, needle)
                  and (_same_document(claim, i) or claims.support(claim.body, claim.evidence[i - 1].full)
                       >= DROP_THRESHOLD)), None)
    if other is not None:
        # a cited passage that neither names it, holds one of the claim's figures nor supports the claim
        # is no source of it ("推动职工深度参与基层社会治理[1][2]" where [2] is the report's opening)
        dropped = [i for i in claim.cites if not claims.mentions(claim.evidence[i - 1].full, needle)
                   and not any(i in backing for _, backing in claim.backed)
                   and claims.support(claim.body, claim.evidence[i - 1].full) < SUPPORT_THRESHOLD]
        if claims.support(claim.body, claim.evidence[other - 1].full) < SUPPORT_THRESHOLD:
            dropped = []
        claim.cites = sorted({*(i for i in claim.cites if i not in dropped), other})
        claim.naming.add(other)
        claim.recited.append(f"re-cited to [{other}], which names {label}" + "".join(f" (not [{i}])" for i in dropped))
    return other


def _document(claim: Claim, n: int) -> tuple[str, str] | None:
    """Which document passage ``n`` is of (its title and 文号), when it has a title."""
    ev = claim.evidence[n - 1]
    return (ev.title, ev.doc_number) if ev.title else None


def _same_document(claim: Claim, n: int) -> bool:
    doc = _document(claim, n)
    return doc is not None and any(_document(claim, i) == doc for i in claim.cites)


def check_places(claim: Claim) -> None:
    for fig, backing in claim.backed:
        check_place(claim, fig, [(i, pf) for i, pf in backing.items() if i in claim.cites])
        check_designation(claim, fig, [i for i in backing if i in claim.cites])


def check_designation(claim: Claim, fig: Figure, backed: list[int]) -> None:
    """A figure given for the model asked (翼龙—2H) must be stated in its document: another drone's
    "续航时间超4小时" is no figure of it, though another passage shown names 翼龙—2H."""
    asked = {c.lower() for c in designations(claim.question)}
    codes = [c for c in designations(claim.body) if c.lower() in asked]
    if not codes or not backed:
        return
    for i in backed:
        doc = _document(claim, i)
        texts = [claim.evidence[n - 1].full.lower() for n in claim.valid()
                 if n == i or (doc is not None and _document(claim, n) == doc)]
        if all(any(c.lower() in t for t in texts) for c in codes):
            return
    claim.findings.append(Finding("entity", f"{fig.text} is stated in no document that names {codes[0]}",
                                  f"资料未将{fig.text}与{codes[0]}对应"))


def check_place(claim: Claim, fig: Figure, backed: list[tuple[int, Figure]]) -> None:
    """A figure given for a place must be stated for it: near the place's name in a passage that
    states it, or in a passage about that place alone — not in a sentence that opens with another."""
    names = claims.names_in(claim.body) or claims.names_in(claim.question)
    if not names or not backed:
        return
    subjects: list[str] = []
    for i, pf in backed:
        full = claim.evidence[i - 1].full
        window = claims.window_around(full, pf.start)
        if any(n in window for n in names):
            return
        near = [n for part in window.split("\x00") for n in claims.names_in(part[:SUBJECT_CHARS])]
        named = any(n in full or places.names_part_of(n, claims.names_in(full)) for n in names)
        if not near and (named or not claims.names_in(full)):
            return  # about that place, or a notice that names no place (本市, 我省)
        subjects += [n for n in near if n not in subjects]
    where = "、".join(subjects) or "another place"
    claim.findings.append(Finding("entity", f"{fig.text} is stated for {where}, not for {'、'.join(names)}",
                                  f"资料所述为{subjects[0]}" if subjects else f"资料未将{fig.text}与{names[0]}对应"))


def check_foreign_place(claim: Claim, q_places: list[str], answer_names_them: bool) -> None:
    """A claim that speaks only of places in other provinces than the question's does not answer
    it ("兰州…" to a question about 广州: the related notice's sentence, not the one asked for) —
    unless the answer is about the place asked, or the question asks for a place ("江西省对口支援哪个市？":
    随州), and the passage it cites names the place asked (what 山东 did for 武汉, in a notice about 武汉)."""
    if not q_places or any(q in claim.body for q in q_places) or any(f.reason == "entity" for f in claim.findings):
        return
    named = [n for n in claims.names_in(claim.body) if places.provinces_of(n)]
    foreign = [n for n in named if places.elsewhere(n, q_places)]
    if not foreign or len(foreign) < len(named):
        return
    texts = [claim.evidence[i - 1].full for i in claim.cites]
    if (answer_names_them or _ASKS_PLACE_RE.search(claim.question)) and any(q in t or places.names_part_of(q, claims.names_in(t))
                                 for q in q_places for t in texts):
        return
    claim.findings.append(Finding("entity", f"the claim speaks of {'、'.join(foreign)}, not of "
                                  f"{'、'.join(q_places)}", f"资料所述为{foreign[0]}"))


def check_subject(claim: Claim, q_names: list[str]) -> None:
    """A claim that names a place or organisation must not take the words a passage says of
    another one: the sentence of the passage it copies must not open with a different name. A
    sentence that names none speaks of the question's ("坚持党建思想引领" under "吉利集团…四个坚持")."""
    names = claims.names_in(claim.body) or q_names
    if not names:
        return
    grams = claims.content_grams(claim.body)
    for name in names:
        grams -= claims.content_grams(name)
    best: tuple[float, int, int] = (0.0, 0, 0)
    for i in claim.cites:
        full = claim.evidence[i - 1].full
        for unit in [*claims.clauses(full), *re.split("[。！？!?；;\n]+", full)]:
            score = claims.overlap(grams, unit)
            if unit and score > best[0]:
                best = (score, i, full.find(unit))
    score, i, start = best
    if score < 0.6 or start < 0:
        return
    full = claim.evidence[i - 1].full
    swapped = _swapped_name(claim, full)
    if swapped:
        name, there = swapped
        claim.findings.append(Finding("entity", f"the passage it copies says {there}, not {name}",
                                      f"资料所述为{there}"))
        return
    window = claims.window_around(full, start)
    if any(claims.mentions(window, n) for n in names):
        return
    near = [n for part in window.split("\x00") for n in claims.names_in(part[:SUBJECT_CHARS])]
    # what a province does ("福建…八闽健康码具有…") is said of its cities too; its figures are not (check_place)
    if near and not all(places.names_part_of(m, names) for m in near):
        claim.findings.append(Finding("entity", f"the passage says this of {'、'.join(near)}, not of "
                                      f"{'、'.join(names)}", f"资料所述为{near[0]}"))
        return
    owner = other_issuer(claim.evidence[i - 1].title, names) if not near else None
    if owner:
        claim.findings.append(Finding("entity", f"the sentence it copies is {owner}'s (its document's title), "
                                      f"not {'、'.join(names)}'s", f"资料所述为{owner}"))


def other_issuer(title: str, names: list[str]) -> str | None:
    """The place a document's title names when it lies in another province than every place of
    ``names``: a sentence with no subject of its own in 沈阳's notice ("对一线医务人员按照一类补助标准
    给予临时性工作补助") is 沈阳's measure, not 湖北's, however often the notice mentions 湖北."""
    asked = [n for n in names if places.provinces_of(n)]
    title = compact(title)
    if not asked or any(n in title for n in asked):
        return None
    owners = [n for n in claims.names_in(title) if places.provinces_of(n)]
    if owners and all(places.elsewhere(o, asked) for o in owners):
        return owners[0]
    return None


def _swapped_name(claim: Claim, full: str) -> tuple[str, str] | None:
    """A name of the claim missing from the passage it copies, where the passage has another name
    followed by the same words ("西藏出台“线上”…" copied from "新疆出台“线上”…")."""
    for name in claims.names_in(claim.body):
        if name in full:
            continue
        at = claim.body.find(name)
        tail = claim.body[at + len(name):at + len(name) + 4]
        if len(tail) < 3:
            continue
        for other in claims.names_in(full):
            if other != name and other + tail in full:
                return name, other
    return None
