"""Evaluation metrics: pure functions over plain values, so every number can be recomputed by hand.

Text is compared in its *normal form*: NFKC (full-width digits and letters become half-width),
simplified script, no whitespace, and (for F1 / ROUGE) no punctuation.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence

from rag.figures import cn_to_int
from rag.normalize import compact
from rag.segment import cut
from rag.types import EvalRecord
from rag.verify import strip_citations, strip_marks

_PUNCT_RE = re.compile(r"[\W_]+")


def normal_form(text: str) -> str:
    return compact(text)


def _bare(text: str) -> str:
    return _PUNCT_RE.sub("", compact(text))


# punctuation that never changes what a phrase says; "." and "%" stay (1.8亿 is not 18亿)
_LOOSE_PUNCT_RE = re.compile(r"[，。、；：？！“”‘’「」『』（）()《》〈〉【】\[\]…—–\-·,;:?!\"'~～]+")
_RANGE_DASH_RE = re.compile(r"(?<=\d)[-—–~～](?=\d)")
_CN_COUNT_RE = re.compile(r"[零〇一二两三四五六七八九十百千]+(?=[条项个家名次件种类批年月日天倍万亿元人])")


def match_form(text: str) -> str:
    """Normal form for must_include matching: no [n] markers, no punctuation, and Chinese numerals
    before a unit written in digits (十二条 = 12条)."""
    text = _RANGE_DASH_RE.sub("至", normal_form(strip_citations(strip_marks(text))))  # 25-99 stays a range, not 2599
    text = _LOOSE_PUNCT_RE.sub("", text)
    return _CN_COUNT_RE.sub(lambda m: str(value) if (value := cn_to_int(m.group(0))) is not None else m.group(0), text)


def contains_all(answer: str, must_include: Sequence[str]) -> bool:
    """Every gold string occurs in the answer, both in match form, and never inside a longer number:
    "8号" is not in "18号", "25" is not in "2025"."""
    norm = match_form(answer)
    return all(_occurs(match_form(m), norm) for m in must_include)


def _occurs(needle: str, text: str) -> bool:
    if not needle:
        return True
    before = r"(?<![\d.])" if needle[0].isdigit() else ""
    after = r"(?![\d]|\.\d)" if needle[-1].isdigit() else ""
    return re.search(before + re.escape(needle) + after, text) is not None


# The strict figure scorer is written apart from the checker (rag.verify, rag.figures) on purpose: a
# metric that reused the checker's matcher would grade the checker with itself. It reads Arabic figures
# only, as (digits, magnitude, unit) exactly as written, and counts one as right when the cited text
# holds the same triple (a figure written without a unit matches the same digits and magnitude).
_STRICT_UNITS = ("个百分点|百分点|人次|平方米|公里|小时|%|元|人|名|家|个|宗|项|份|张|条|场|次|件|台|户|所|批|期|篇|倍|岁|"
                 "年|月|日|天|号|吨|亩|辆|套|座|例|起|类|种|届|处|位")
_STRICT_RE = re.compile(rf"(?<![\d.])(\d+(?:\.\d+)?)(万亿|千万|百万|万|亿|千)?(?:多|余)?({_STRICT_UNITS})?")


_LIST_NUMBER_RE = re.compile(r"(?:^|(?<=[。；;：:\n]))\s*\d{1,2}(?:[.．](?!\d)|、)")  # "1. …；2、…": numbering, no figure


def strict_figures(text: str) -> list[tuple[str, str, str]]:
    """(digits, magnitude, unit) of each Arabic figure: "2.8亿元" -> ("2.8", "亿", "元"); the numbers
    of a list's items are none."""
    norm = _LIST_NUMBER_RE.sub("", normal_form(strip_citations(strip_marks(text))).replace(",", ""))
    return [(m.group(1), m.group(2) or "", m.group(3) or "") for m in _STRICT_RE.finditer(norm)]


def strict_figure_counts(answer: str, cited_text: str) -> tuple[int, int]:
    """(figures of the answer that the cited text states exactly, figures of the answer)."""
    found = strict_figures(answer)
    held = set(strict_figures(cited_text))
    bare = {(d, mag) for d, mag, _ in held}
    right = sum(1 for d, mag, unit in found if ((d, mag, unit) in held if unit else (d, mag) in bare))
    return right, len(found)


def tokens(text: str) -> list[str]:
    """jieba words of the normal form, punctuation dropped."""
    return [t for t in cut(compact(text)) if _bare(t)]


def f1_from_counts(pred: Sequence[str], gold: Sequence[str]) -> float:
    if not pred or not gold:
        return float(pred == gold)
    common = sum((Counter(pred) & Counter(gold)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def token_f1(answer: str, gold: str) -> float:
    return f1_from_counts(tokens(answer), tokens(gold))


def lcs_length(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = [0] * (len(b) + 1)
    for ch in a:
        cur = [0]
        for j, other in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if ch == other else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def _lcs_precision_recall(candidate: str, reference: str) -> tuple[float, float]:
    c, r = _bare(candidate), _bare(reference)
    if not c or not r:
        return float(c == r), float(c == r)
    lcs = lcs_length(c, r)
    return lcs / len(c), lcs / len(r)


def rouge_l(candidate: str, reference: str) -> float:
    """Character-level ROUGE-L F1 on the normal form without punctuation."""
    precision, recall = _lcs_precision_recall(candidate, reference)
    if precision == 0 or recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def gold_recall(answer: str, gold: str) -> float:
    """Share of the gold answer's characters the answer contains in order (LCS / len(gold)).

    Unlike ROUGE-L it does not penalize an answer for quoting more of the passage than the gold
    answer does; for sets whose items carry no ``must_include``."""
    return _lcs_precision_recall(answer, gold)[1]


def first_gold_rank(ranked_sources: Sequence[str], gold: Iterable[str]) -> int | None:
    """1-based rank of the first passage whose source is a gold source."""
    gold_set = set(gold)
    return next((i for i, s in enumerate(ranked_sources, 1) if s in gold_set), None)


def recall_at(rank: int | None, k: int) -> float:
    return float(rank is not None and rank <= k)


def reciprocal_rank(rank: int | None, k: int = 10) -> float:
    return 1.0 / rank if rank is not None and rank <= k else 0.0


def ndcg_at(ranked_sources: Sequence[str], gold: Iterable[str], k: int = 10) -> float:
    """nDCG by source: each gold source gains 1 at the rank where it first appears in the top k
    passages (later passages of the same source gain nothing); the ideal puts every gold source
    at ranks 1..min(|gold|, k)."""
    gold_set = set(gold)
    if not gold_set:
        return 0.0
    seen: set[str] = set()
    dcg = 0.0
    for i, source in enumerate(ranked_sources[:k], 1):
        if source in gold_set and source not in seen:
            seen.add(source)
            dcg += 1.0 / math.log2(i + 1)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(gold_set), k) + 1))
    return dcg / ideal


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100), as numpy's default."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def mean(values: Iterable[float]) -> float | None:
    vals = list(values)
    return statistics.fmean(vals) if vals else None


def ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


# --- one eval record -------------------------------------------------------------------------------

def answer_prose(record: EvalRecord) -> str:
    """The answer without its [n] markers, whose digits would count as text."""
    return strip_citations(strip_marks(record.answer))


def item_correct(record: EvalRecord) -> bool | None:
    """Answer and chat modes: right refusal, or every must_include present; None when not gradable."""
    if record.mode not in ("answer", "chat") or record.error is not None:
        return None
    if record.type == "unanswerable":
        return record.refused
    if not record.must_include:
        return None
    return not record.refused and contains_all(record.answer, record.must_include)
