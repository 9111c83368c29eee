"""Follow-up questions in a conversation, rewritten into standalone ones by code.

"2019年龙岗区百人以上企业建会率达到多少？" then "那25-99人的企业呢？" is searched as
"2019年龙岗区25-99人的企业建会率达到多少？": the follow-up's fragment takes the place of the part of the
previous question it stands for (a year for a year, a place for a place, a qualifier of the same
noun for a qualifier), and what it leaves out (subject, year, metric) is carried over. A question
that names its own subject and is not elliptical is left alone. The rewrite never brings in a name
or year that neither the conversation nor the follow-up mentions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag import claims
from rag.normalize import compact

_LEAD_RE = re.compile(r"^(?:那么|那|还有|另外|再问一下|再问|接着|然后)[，,、\s]*")
_TAIL_RE = re.compile(r"(?:的情况|情况)?(?:呢|怎么样|如何|怎样)?[？?。.！!\s]*$")
_PRONOUN_RE = re.compile(r"(?:它们|他们|它|其|该单位|该区|该市|该部门|这个单位|这家单位|上述单位|那里|这里)")
_YEAR_RE = re.compile(r"(?:19|20)\d{2}年")
_SUFFIX = "(?:省|市|区|县|镇|乡|街道|集团)"
_QUESTION_RE = re.compile(r"多少|几|什么|哪|谁|是否|吗|如何|怎样|怎么|多长|多久|多大|何时|何地|何处")
SHORT = 14  # a fragment this short (in characters, without its 那/呢) that names no place or year cannot stand alone
_TOPIC_TAIL_RE = re.compile(r"(?:在|于|的|需要|有|是|对|为|要|将)+$")


@dataclass(frozen=True)
class Rewrite:
    question: str  # what is searched and answered
    original: str
    reason: str = ""  # empty when the question stands alone

    @property
    def changed(self) -> bool:
        return self.question != self.original


def _subject(question: str) -> str:
    """The place/organisation the question is about, with its suffix ("深圳市罗湖区")."""
    names = claims.names_in(compact(question))
    if not names:
        return ""
    chain = "".join(f"(?:{re.escape(n)}{_SUFFIX}?)?" for n in names[1:])
    m = re.search(f"{re.escape(names[0])}{_SUFFIX}?{chain}", question)
    return m.group(0) if m else ""


def _is_followup(text: str, fragment: str) -> bool:
    if _LEAD_RE.match(text) or re.search(r"呢[？?]?\s*$", text) or _PRONOUN_RE.search(text):
        return True
    # a short question with neither a subject nor a year of its own
    return len(fragment) <= SHORT and not _subject(fragment) and not _YEAR_RE.search(fragment)


def rewrite(question: str, history: list[str]) -> Rewrite:
    """``history``: the standalone questions asked before, oldest first."""
    text = question.strip()
    if not history:
        return Rewrite(text, text)
    previous = history[-1]
    fragment = _TAIL_RE.sub("", _LEAD_RE.sub("", text)).strip("，, ")
    if not fragment or not _is_followup(text, fragment):
        return Rewrite(text, text)
    out = _merge(fragment, previous, asks=bool(_QUESTION_RE.search(fragment)))
    if out is None or _drifts(out, [*history, text]):
        return Rewrite(text, text, "")
    return Rewrite(out, text, f"follow-up of “{previous}”")


def _merge(fragment: str, previous: str, asks: bool) -> str | None:
    prev_body = re.sub(r"[？?。.！!\s]+$", "", previous)
    subject = _subject(prev_body)
    if _PRONOUN_RE.search(fragment) and subject:
        return _PRONOUN_RE.sub(subject, fragment, count=1) + "？"
    year = _YEAR_RE.search(fragment)
    place = _subject(fragment)
    if (year or place) and not asks:
        out = prev_body
        if place:
            out = out.replace(subject, place, 1) if subject else place + out
        if year:
            out = _YEAR_RE.sub(year.group(0), out, count=1) if _YEAR_RE.search(out) else year.group(0) + out
        return out + "？"
    if not asks:
        head = _shared_head(fragment, prev_body)
        if head:
            # "25-99人的企业" for "百人以上企业": the qualifier of the same noun is replaced
            at = prev_body.find(head)
            start = max(prev_body.rfind(subject) + len(subject) if subject else 0,
                        max((m.end() for m in _YEAR_RE.finditer(prev_body[:at])), default=0),
                        _last_verb_end(prev_body[:at]))
            return prev_body[:start] + fragment + prev_body[at + len(head):] + "？"
        return None
    if len(_QUESTION_RE.sub("", fragment)) <= 2 and not _shared_head(fragment, prev_body):
        # "什么时间？" after "…推进会在哪里召开？": the previous question's topic, asked anew
        q = _QUESTION_RE.search(prev_body)
        topic = _TOPIC_TAIL_RE.sub("", prev_body[:q.start()] if q else prev_body)
        if topic:
            return topic + fragment + "？"
    # a question of its own that lacks the subject or year: carry them over
    context = ""
    prev_year = _YEAR_RE.search(prev_body)
    if prev_year and not year:
        context += prev_year.group(0)
    if subject and not place:
        context += subject
    return (context + fragment + "？") if context else None


def _last_verb_end(text: str) -> int:
    """Where the last verb of ``text`` ends ("如何降低|用电"): a qualifier starts after it."""
    end, pos = 0, 0
    for word, flag in claims.words(text):
        pos += len(word)
        if flag.startswith("v") or flag in ("p", "r"):
            end = pos
    return end


def _shared_head(fragment: str, previous: str) -> str:
    """The longest tail of ``fragment`` (2+ characters) that occurs in ``previous``."""
    for n in range(len(fragment) - 1, 1, -1):
        tail = fragment[-n:]
        if tail in previous and not _QUESTION_RE.search(tail):
            return tail
    return ""


def _drifts(rewritten: str, said: list[str]) -> bool:
    """The rewrite names a place or year nobody mentioned."""
    heard = compact("".join(said))
    names = claims.names_in(compact(rewritten))
    years = _YEAR_RE.findall(rewritten)
    return any(n not in heard for n in names) or any(y not in heard for y in years)
