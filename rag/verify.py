"""Check what a small model wrote against the passages it was given, in code.

- citation numbers that match no passage are removed and reported;
- every number in a sentence must occur in a cited passage (after normalization): otherwise the
  sentence is re-cited to a passage that has it, or flagged;
- each sentence's support in its cited passages is scored by character-bigram overlap; unsupported
  sentences are re-cited when another passage supports them, else flagged;
- a sentence with unsupported numbers *and* low support is dropped (it is most likely invented), and
  so is one with a date (month and day) that no passage contains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.normalize import compact, to_simplified

_CITE_RE = re.compile(r"[\[【［]\s*(\d{1,2}(?:\s*[,，、]\s*\d{1,2})*)\s*[\]】］]")
_SENTENCE_RE = re.compile(r"[^。！？!?\n]+[。！？!?]*|\n")
_UNITS = "万亿千百%％个宗人次家项份张条场名元岁倍台所户件年月日号周天小时公里平方米吨"
_NUM_RE = re.compile(r"\d+(?:[.,]\d+)*")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
# "7月19" is one figure: checked digit by digit, "10月19-20日" would pass against "7月19-20日"
_DATE_RE = re.compile(r"(?<![\d.])(\d{1,2})月(\d{1,2})(?![\d.])")
_DATE_RANGE = "[-—–~～至到]"
_CN_NUM_RE = re.compile(f"[零〇一二两三四五六七八九十百千]{{2,}}(?=[{_UNITS}])|[两三四五六七八九十]+(?=[{_UNITS}])")
SUPPORT_THRESHOLD = 0.5
DROP_THRESHOLD = 0.25


@dataclass
class SentenceCheck:
    text: str
    citations: list[int]
    status: str  # verified | corrected | flagged | dropped
    support: float
    notes: list[str] = field(default_factory=list)


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


def cn_to_int(text: str) -> int | None:
    """Chinese numeral (up to thousands) to int: 二千三百四十六 -> 2346, 十二 -> 12."""
    total, current = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
        else:
            return None
    return total + current


def numbers_in(text: str) -> list[str]:
    """Numbers a reader would check: digit runs (normalized) and Chinese numerals before a unit."""
    simple = compact(text)
    found = [f"date:{m.group(1)}月{m.group(2)}" for m in _DATE_RE.finditer(simple)]
    simple = _DATE_RE.sub("月", simple)
    found += [m.group(0).replace(",", "") for m in _NUM_RE.finditer(simple)]
    for m in _CN_NUM_RE.finditer(simple):
        value = cn_to_int(m.group(0))
        if value is not None:
            found.append(f"cn:{m.group(0)}:{value}")
    return found


def number_in_passage(number: str, passage_compact: str) -> bool:
    if number.startswith("date:"):
        return _date_in(number[5:], passage_compact)
    if number.startswith("cn:"):
        _, word, value = number.split(":")
        return word in passage_compact or re.search(rf"(?<![\d.]){value}(?![\d])", passage_compact) is not None
    pattern = rf"(?<![\d.]){re.escape(number)}(?![\d])"
    if re.search(pattern, passage_compact.replace(",", "")):
        return True
    value = number.split(".")[0]
    if "." not in number and len(value) <= 2:  # small counts may be written as Chinese numerals
        from_cn = {str(cn_to_int(m.group(0))) for m in re.finditer("[一二两三四五六七八九十]+", passage_compact)}
        return number in from_cn
    return False


def _date_in(date: str, passage_compact: str) -> bool:
    """"7月19" occurs as such, or inside a range such as "7月18-20日" / "7月18日至20日"."""
    month, day = (int(x) for x in date.split("月"))
    for m in re.finditer(rf"(?<![\d.])0?{month}月(\d{{1,2}})(?:日|号)?(?:{_DATE_RANGE}(\d{{1,2}}))?", passage_compact):
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) else first
        if first <= day <= last:
            return True
    return False


def _bigrams(text: str) -> set[str]:
    clean = re.sub(r"[\s\W_]+", "", compact(text))
    return {clean[i:i + 2] for i in range(len(clean) - 1)}


def support(sentence: str, passage: str) -> float:
    """Share of the sentence's character bigrams found in the passage (0..1)."""
    grams = _bigrams(sentence)
    if not grams:
        return 1.0
    return len(grams & _bigrams(passage)) / len(grams)


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


def _format(body: str, cites: list[int]) -> str:
    tail = ""
    match = re.search(r"[。！？!?]+$", body)
    if match:
        body, tail = body[:match.start()], match.group(0)
    return body + "".join(f"[{n}]" for n in cites) + tail


def verify_answer(answer: str, passages: list[str]) -> Verification:
    """``passages[i]`` is passage number i+1 as shown to the model."""
    answer = to_simplified(answer)
    compact_passages = [compact(p) for p in passages]
    valid = set(range(1, len(passages) + 1))
    removed: list[int] = []
    checks: list[SentenceCheck] = []
    carried: list[int] = []
    sentences = split_answer(answer)
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
        notes = [f"removed citation [{b}]: no such passage" for b in bad]
        status = "corrected" if bad else "verified"
        if not cites:
            # A sentence often shares the citation written at the end of the next one.
            following = next((parse_citations(s) for s in sentences[idx + 1:] if parse_citations(s)), [])
            cites = [n for n in (carried or following) if n in valid]
        # Numbers must occur in a cited passage.
        numbers = numbers_in(body)
        missing = [n for n in numbers if not any(number_in_passage(n, compact_passages[c - 1]) for c in cites)]
        if missing:
            added = _cover(missing, [i for i in valid if i not in cites], compact_passages)
            if added:
                still = [n for n in missing if not any(number_in_passage(n, compact_passages[c - 1]) for c in added)]
                fixed = [n for n in missing if n not in still]
                cites = sorted(set(cites) | set(added))
                status = "corrected"
                notes.append(f"re-cited to {''.join(f'[{a}]' for a in added)}, which contain "
                             f"{', '.join(_show(n) for n in fixed)}")
                missing = still
        score = max((support(body, passages[c - 1]) for c in cites), default=0.0)
        if score < SUPPORT_THRESHOLD:
            best_i = max(valid, key=lambda i: support(body, passages[i - 1]), default=None)
            if best_i is not None:
                best_score = support(body, passages[best_i - 1])
                if best_score >= SUPPORT_THRESHOLD and not missing:
                    cites = sorted(set(cites) | {best_i})
                    score = best_score
                    status = "corrected"
                    notes.append(f"cited [{best_i}], the passage that supports it")
        invented = [n for n in missing if n.startswith("date:")
                    and not any(number_in_passage(n, p) for p in compact_passages)]
        if invented:
            status = "dropped"
            notes.append(f"dropped: date {', '.join(_show(n) for n in invented)} is in no passage")
        elif missing and score < SUPPORT_THRESHOLD:
            status = "dropped"
            notes.append(f"dropped: {', '.join(_show(n) for n in missing)} not in any passage")
        elif score < DROP_THRESHOLD:
            status = "dropped"
            notes.append(f"dropped: shares almost nothing with any passage ({score:.2f})")
        elif missing:
            status = "flagged"
            notes.append(f"number(s) {', '.join(_show(n) for n in missing)} not found in the cited passages")
        elif score < SUPPORT_THRESHOLD:
            status = "flagged"
            notes.append(f"weak support in the cited passages ({score:.2f})")
        elif not cites:
            status = "flagged"
            notes.append("no citation")
        carried = cites
        checks.append(SentenceCheck(_format(body, cites), cites, status, score, notes))
    kept = "".join(c.text for c in checks if c.status != "dropped").strip()
    warnings = [f"citation [{n}] matches no passage and was removed" for n in removed]
    warnings += [f"{c.status}: {strip_citations(c.text)[:40]}… ({'; '.join(c.notes)})"
                 for c in checks if c.status in ("flagged", "dropped")]
    return Verification(kept, checks, removed, warnings)


def _cover(numbers: list[str], candidates: list[int], compact_passages: list[str]) -> list[int]:
    """Greedy: passages that together contain as many of ``numbers`` as possible."""
    chosen: list[int] = []
    left = list(numbers)
    while left:
        best, best_hits = None, 0
        for i in candidates:
            if i in chosen:
                continue
            hits = sum(1 for n in left if number_in_passage(n, compact_passages[i - 1]))
            if hits > best_hits:
                best, best_hits = i, hits
        if best is None:
            break
        chosen.append(best)
        left = [n for n in left if not number_in_passage(n, compact_passages[best - 1])]
    return chosen


def _show(number: str) -> str:
    return number.split(":")[1] if ":" in number else number


def latin_ratio(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if ch.isascii()) / len(letters)
