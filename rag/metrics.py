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

from rag.normalize import compact
from rag.verify import cn_to_int, strip_citations

_PUNCT_RE = re.compile(r"[\W_]+")


def normal_form(text: str) -> str:
    return compact(text)


def _bare(text: str) -> str:
    return _PUNCT_RE.sub("", compact(text))


# punctuation that never changes what a phrase says; "." and "%" stay (1.8亿 is not 18亿)
_LOOSE_PUNCT_RE = re.compile(r"[，。、；：？！“”‘’「」『』（）()《》〈〉【】\[\]…—–\-·,;:?!\"'~～]+")
_CN_COUNT_RE = re.compile(r"[零〇一二两三四五六七八九十百千]+(?=[条项个家名次件种类批年月日天倍万亿元人])")


def match_form(text: str) -> str:
    """Normal form for must_include matching: no [n] markers, no punctuation, and Chinese numerals
    before a unit written in digits (十二条 = 12条)."""
    text = _LOOSE_PUNCT_RE.sub("", normal_form(strip_citations(text)))
    return _CN_COUNT_RE.sub(lambda m: str(value) if (value := cn_to_int(m.group(0))) is not None else m.group(0), text)


def contains_all(answer: str, must_include: Sequence[str]) -> bool:
    """Every gold string occurs in the answer, both in match form."""
    norm = match_form(answer)
    return all(match_form(m) in norm for m in must_include)


def tokens(text: str) -> list[str]:
    """jieba words of the normal form, punctuation dropped."""
    import jieba

    return [t for t in jieba.lcut(compact(text)) if _bare(t)]


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
