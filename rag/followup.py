"""Follow-up questions in a conversation, rewritten into standalone ones by code.

"2019年龙岗区百人以上企业建会率达到多少？" then "那25-99人的企业呢？" is searched as
"2019年龙岗区25-99人的企业建会率达到多少？": the follow-up's fragment takes the place of the part of the
previous question it stands for (a year for a year, a place for a place, a qualifier of the same
noun for a qualifier), and what it leaves out (subject, year, metric) is carried over. A question
that names its own subject and is not elliptical is left alone. The rewrite never brings in a name,
year or figure that neither the conversation nor the follow-up mentions.

Where code can only carry the subject and year over ("覆盖多少职工？" → "2019年龙岗区覆盖多少职工？",
the 集体合同 of the previous question lost) or finds no rewrite at all, :func:`resolve` asks the chat
model, with the earlier questions quoted inside one user message (given as chat turns, small models
answer them instead of rewriting), and keeps its question only if it passes :func:`accept`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag import claims
from rag.normalize import compact
from rag.terms import asked_stage, stage_words_at

if TYPE_CHECKING:
    from rag.llm import LLM

_LEAD_RE = re.compile(r"^(?:那么|那|还有|另外|再问一下|再问|接着|然后)[，,、\s]*")
_TAIL_RE = re.compile(r"(?:的情况|情况)?(?:呢|怎么样|如何|怎样)?[？?。.！!\s]*$")
_PRONOUN_RE = re.compile(r"(?:它们|他们|它|其|该单位|该区|该市|该部门|这个单位|这家单位|上述单位|那里|这里)")
_YEAR_RE = re.compile(r"(?:19|20)\d{2}年")
_SUFFIX = "(?:(?:壮族|回族|维吾尔)?自治区|特别行政区|省|市|区|县|镇|乡|街道|集团)"
_QUESTION_RE = re.compile(r"多少|几|什么|哪|谁|是否|吗|如何|怎样|怎么|多长|多久|多大|何时|何地|何处")
SHORT = 14  # a fragment this short (in characters, without its 那/呢) that names no place or year cannot stand alone
_HOW_MANY_RE = re.compile(r"(?:多少|几)(?:人次|万元|亿元|[个家项条名份张场宗次位所批人元])?")  # "确定了多少个|区级示范点": kept
_TOPIC_TAIL_RE = re.compile(r"(?:在|于|的|需要|有|是|对|为|要|将)+$")


@dataclass(frozen=True)
class Rewrite:
    question: str  # what is searched and answered
    original: str
    reason: str = ""  # empty when the question stands alone
    needs_model: bool = False  # a follow-up that code rewrote only by carrying context over, or not at all
    carried: tuple[str, ...] = ()  # the year and subject code carried over: a model's rewrite must keep them
    by: str = ""  # "code" or "model" when changed

    @property
    def changed(self) -> bool:
        return self.question != self.original


_REGION_RE = re.compile(r"(?:广西壮族|内蒙古|西藏|宁夏回族|新疆维吾尔)自治区")


def _subject(question: str) -> str:
    """The place/organisation the question is about, with its suffix ("深圳市罗湖区")."""
    names = claims.names_in(compact(question))
    if not names:
        region = _REGION_RE.search(question)  # jieba's tags of a long question may miss one
        return region.group(0) if region else ""
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
    merged = _merge(fragment, previous, asks=bool(_QUESTION_RE.search(fragment)))
    if merged is None or _drifts(merged.text, [*history, text]):
        # the model's rewrite must keep the place and year the follow-up leaves to the previous question
        prev_year = _YEAR_RE.search(previous)
        keep = [prev_year.group(0)] if prev_year and not _YEAR_RE.search(fragment) else []
        keep += [subject] if (subject := _subject(previous)) and not _subject(fragment) else []
        return Rewrite(text, text, "", needs_model=True, carried=tuple(keep))
    return Rewrite(merged.text, text, f"follow-up of “{previous}”", needs_model=bool(merged.carried),
                   carried=merged.carried, by="code")


def carries(question: str, pieces: list[str] | None) -> bool:
    """Whether a rewritten question holds every piece it must carry (subject, year, metric): how a
    chat set's ``rewrite_must_include`` is graded."""
    return all(compact(x) in compact(question) for x in pieces or [])


@dataclass(frozen=True)
class _Merged:
    text: str
    carried: tuple[str, ...] = ()  # set when the fragment was only prefixed with the previous year/subject


_ORG = "(?:总工会|红十字会|慈善总会|联合会|委员会|基金会|研究会|促进会|总会|工会|协会|商会|学会|局|厅|办公室|部|院|中心|集团|公司|银行)"
_ORG_RE = re.compile(f"[\u4e00-\u9fff]{{0,8}}?{_ORG}")
_LEVEL_RE = re.compile("^[省市区县]")


def _swap_org(fragment: str, prev_body: str, subject: str) -> str | None:
    """"那红十字会呢？" after "广西慈善总会接收捐款账户信息是什么？": the organisation after the subject
    is replaced, the place kept ("广西红十字会…"); one named by its level ("市总工会") replaces both."""
    if not _ORG_RE.fullmatch(fragment) or _subject(fragment) or not subject or subject not in prev_body:
        return None
    begin = prev_body.find(subject)
    org = _ORG_RE.match(prev_body, begin + len(subject))
    if not org or org.group(0) == fragment:
        return None
    start = begin if _LEVEL_RE.match(fragment) else org.start()
    return prev_body[:start] + fragment + prev_body[org.end():] + "？"


def _merge(fragment: str, previous: str, asks: bool) -> _Merged | None:
    prev_body = re.sub(r"[？?。.！!\s]+$", "", previous)
    subject = _subject(prev_body)
    if _PRONOUN_RE.search(fragment) and subject:
        return _Merged(_PRONOUN_RE.sub(subject, fragment, count=1) + "？")
    swapped = None if asks else _swap_org(fragment, prev_body, subject)
    if swapped:
        return _Merged(swapped)
    year = _YEAR_RE.search(fragment)
    place = _subject(fragment)
    if (year or place) and not asks:
        out = prev_body
        if place:
            out = out.replace(subject, place, 1) if subject else place + out
        if year:
            out = _YEAR_RE.sub(year.group(0), out, count=1) if _YEAR_RE.search(out) else year.group(0) + out
        return _Merged(_with_rest(out, fragment.replace(place, "", 1).replace(year.group(0) if year else "", "", 1)) + "？")
    switched = _switch_stage(fragment, prev_body)
    if switched:
        return _Merged(switched)
    if not asks:
        head = _shared_head(fragment, prev_body)
        if head:
            # "25-99人的企业" for "百人以上企业": the qualifier of the same noun is replaced
            at = prev_body.find(head)
            start = max(prev_body.rfind(subject) + len(subject) if subject else 0,
                        max((m.end() for m in _YEAR_RE.finditer(prev_body[:at])), default=0),
                        max((m.end() for m in _HOW_MANY_RE.finditer(prev_body[:at])), default=0),
                        _last_verb_end(prev_body[:at]))
            return _Merged(prev_body[:start] + fragment + prev_body[at + len(head):] + "？")
        return _swap_metric(fragment, prev_body, subject)
    if len(_QUESTION_RE.sub("", fragment)) <= 2 and not _shared_head(fragment, prev_body):
        # "什么时间？" after "…推进会在哪里召开？": the previous question's topic, asked anew
        q = _QUESTION_RE.search(prev_body)
        topic = _TOPIC_TAIL_RE.sub("", prev_body[:q.start()] if q else prev_body)
        if topic:
            return _Merged(topic + fragment + "？")
    # a question of its own that lacks the subject or year: carry them over
    carried = []
    prev_year = _YEAR_RE.search(prev_body)
    if prev_year and not year:
        carried.append(prev_year.group(0))
    if subject and not place:
        carried.append(subject)
    counted = _counted(prev_body)
    if carried and counted and counted not in fragment:
        # "服务了多少职工？" after "…组织了多少场职工培训活动？": of those 职工培训活动
        carried.append(counted)
    return _Merged("".join(carried) + fragment + "？", tuple(carried)) if carried else None


def _swap_metric(fragment: str, prev_body: str, subject: str) -> _Merged | None:
    """"城镇新增就业呢？" after "湖北省2025年地区生产总值增长的预期目标是多少？": another metric of the same
    place and year, asked the same way ("湖北省2025年城镇新增就业的预期目标是多少？"): what stands between
    the place and year and the stage words (or the question word) is replaced."""
    after = prev_body.find(subject) + len(subject) if subject else 0
    org = _ORG_RE.match(prev_body, after) if subject else None  # 传化集团|工会
    start = max(org.end() if org and len(org.group(0)) <= 4 else after,
                max((m.end() for m in _YEAR_RE.finditer(prev_body)), default=0))
    stage = max(stage_words_at(prev_body[start:], "target"), stage_words_at(prev_body[start:], "result"))
    q = _QUESTION_RE.search(prev_body, start)
    if not q or len(prev_body) - q.end() > 1:
        return None  # "取得了哪些成绩": what is asked stands after the question word
    end = start + stage if stage > 0 else q.start()
    while stage <= 0 and start < end and prev_body[end - 1] in _LINK_CHARS:
        end -= 1
    if start == 0 or end <= start:
        return None
    link = "的" if prev_body[end - 1] == "的" else ""
    return _Merged(prev_body[:start] + fragment + link + prev_body[end:] + "？")


def _switch_stage(fragment: str, prev_body: str) -> str | None:
    """"实际完成了多少？" after "2024年国内生产总值增长的预期目标是多少？" asks the same metric's result, not
    its target (or the other way round): the previous question up to its stage words, then the
    fragment ("2024年国内生产总值增长实际完成了多少？"); carried into the question whole, the target
    words would make the stage asked unclear, and a target answer pass for a result."""
    stage = asked_stage(fragment)
    if not stage or asked_stage(prev_body) in ("", stage):
        return None
    at = stage_words_at(prev_body, "result" if stage == "target" else "target")
    base = re.sub(r"[的是为]+$", "", prev_body[:at])
    if not base or at <= 0:
        return None
    if not _QUESTION_RE.search(fragment):  # "实际呢？": asked as the previous question asked ("…是多少")
        q = _QUESTION_RE.search(prev_body, at)
        if not q:
            return None
        fragment += ("" if fragment.endswith("是") else "是") + prev_body[q.start():]
    return base + fragment + "？"


def _with_rest(question: str, rest: str) -> str:
    """``question`` asked of what the fragment adds to its year or place ("那2020年的目标呢？": 的目标),
    put before the question word and the verb that leads to it ("…建会率的目标是多少")."""
    rest = rest.strip("的，, ")
    if not rest or rest in question:
        return question
    q = _QUESTION_RE.search(question)
    at = q.start() if q else len(question)
    while at > 0 and question[at - 1] in _LINK_CHARS:
        at -= 1
    return f"{question[:at]}的{rest}{question[at:]}"


_LINK_CHARS = "是为有达到"


def _counted(question: str) -> str:
    """What the question counts ("多少份|集体合同"), when a noun phrase of 2-12 characters follows the
    count and ends the question."""
    counts = list(_HOW_MANY_RE.finditer(question))
    if not counts:
        return ""
    m = counts[-1]
    rest = re.sub(r"[？?。.！!\s]+$", "", question[m.end():])
    return rest if 2 <= len(rest) <= 12 and not _QUESTION_RE.search(rest) and not re.search(r"[，,、]", rest) else ""


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


_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")


def _drifts(rewritten: str, said: list[str]) -> bool:
    """The rewrite names a place, year or figure nobody mentioned."""
    heard = compact("".join(said))
    names = claims.names_in(compact(rewritten))
    numbers = _NUMBER_RE.findall(compact(rewritten))
    return any(n not in heard for n in names) or any(x not in heard for x in numbers)


# --- the model, where code falls short -------------------------------------------------------------

HISTORY_TURNS = 2  # earlier questions quoted to the model
_LABEL_RE = re.compile(r"^(?:改写后的问题|改写后|改写|问题|独立问题)[：:]\s*")
_FILLER_RE = re.compile(r"[那呢吗啊呀吧了的么还有另外再问一下接着然后，,、？?。.！!\s]")


def model_prompt(question: str, history: list[str]) -> list[dict[str, str]]:
    from rag.prompting import prompt

    earlier = "\n".join(f"{i}. {q}" for i, q in enumerate(history[-HISTORY_TURNS:], 1))
    return [{"role": "system", "content": prompt("rewrite_system")},
            {"role": "user", "content": prompt("rewrite_user").format(history=earlier, question=question.strip())}]


def accept(reply: str, question: str, history: list[str], carried: tuple[str, ...] = ()) -> str | None:
    """The model's rewrite, cleaned, or None when it is no rewrite of ``question``: empty, an answer
    (no question form, a citation, too long, drifting (a name, year or figure nobody mentioned),
    dropping what code had carried over, losing the follow-up's own words, or asking more than it)."""
    line = next((ln.strip() for ln in reply.strip().splitlines() if ln.strip()), "")
    line = _LABEL_RE.sub("", line).strip("“”\"'「」 ")
    if not 4 <= len(line) <= 80 or "[" in line or "资料" in line:
        return None
    line = re.sub(r"[。.！!]+$", "", line)
    if not line.endswith(("？", "?")):
        line += "？"
    said = [*history, question]
    if _drifts(line, said) or any(compact(c) not in compact(line) for c in carried):
        return None
    if asked_stage(question) and asked_stage(line) != asked_stage(question):
        return None  # "实际完成了多少？" rewritten "…实际完成的预期目标是多少？": a target would pass for the result
    own = _FILLER_RE.sub("", _QUESTION_RE.sub("", question))
    if own and sum(ch in line for ch in own) < 0.6 * len(own):
        return None
    asked = len(_QUESTION_RE.findall(line))
    if compact(line) == compact(question) or not asked or asked > max(1, len(_QUESTION_RE.findall(question))):
        return None  # no question, or the previous question asked again alongside this one
    return line


def resolve(question: str, history: list[str], llm: LLM | None = None, max_tokens: int = 48) -> Rewrite:
    """The question to search and answer: code's rewrite, or the model's where code falls short and
    ``llm`` is given (code's, or the question as typed, when the model's is not accepted)."""
    done = rewrite(question, history)
    return improve(done, history, llm, max_tokens) if done.needs_model and llm is not None else done


def improve(done: Rewrite, history: list[str], llm: LLM, max_tokens: int = 48) -> Rewrite:
    """The model's rewrite of ``done.original`` if it is accepted, else ``done``."""
    question = done.original
    reply = llm.complete(model_prompt(question, history), max_tokens=max_tokens)
    better = accept(reply, question, history, done.carried)
    if better is None:
        return done
    return Rewrite(better, done.original, f"follow-up of “{history[-1]}” (model)", by="model")
