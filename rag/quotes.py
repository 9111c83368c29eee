"""Evidence first: the passages' own sentences that best match the question, shown (and returned
in ``--json``) before the model has read anything. For "多少 / 谁 / 何时" questions the best sentence
often is the answer; it is always the document's original wording, never the model's."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rag import claims
from rag.figures import figures_in
from rag.normalize import compact
from rag.types import Hit, QuestionTerms

_SENTENCE_RE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
_ASKS_FIGURE_RE = re.compile("多少|几|比例|比重|率|何时|哪天|时间|日期")
_YEAR_TERM_RE = re.compile(r"\d{4}年?|年")
MAX_QUOTE_CHARS = 160


@dataclass(frozen=True)
class Quote:
    n: int  # the passage's number, as the answer cites it
    source: str
    section: str
    text: str  # verbatim from the passage: a sentence, or a run of a long one's clauses
    score: float
    title: str = ""  # the document's, when it is more than its file name

    def as_dict(self) -> dict[str, object]:
        return {"n": self.n, "source": self.source, "title": self.title, "section": self.section, "text": self.text,
                "score": round(self.score, 3)}


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a passage (to 。！？； or a line break)."""
    return [(m.start(), m.end()) for m in _SENTENCE_RE.finditer(text) if m.group(0).strip()]


def _pieces(text: str) -> list[list[str]]:
    """Sentences of ``text``, each as its candidate quotes: itself, or for a long one the windows of
    its consecutive clauses (each a substring)."""
    out: list[list[str]] = []
    for start, end in sentence_spans(text):
        sentence = text[start:end].strip()
        if len(sentence) < 6:
            continue
        if len(sentence) <= MAX_QUOTE_CHARS:
            out.append([sentence])
            continue
        cuts = [0] + [c.end() for c in re.finditer("[，,、]", sentence)] + [len(sentence)]
        windows = []
        for i, start in enumerate(cuts[:-1]):
            end = max((c for c in cuts[i + 1:] if c - start <= MAX_QUOTE_CHARS), default=cuts[i + 1])
            windows.append(sentence[start:end])
        out.append(windows)
    return out


def sentence_score(terms: QuestionTerms, question: str) -> Callable[[str], float]:
    """How much of the question a sentence holds: its share of the question's weighted terms, and
    a little more for a figure when the question asks for one."""
    wants_figure = bool(_ASKS_FIGURE_RE.search(question))

    def score(text: str) -> float:
        return terms.coverage(compact(text)) + (0.05 if wants_figure and figures_in(text) else 0.0)

    return score


def best_quotes(terms: QuestionTerms, hits: list[Hit], question: str, limit: int = 3) -> list[Quote]:
    """Up to ``limit`` sentences of the passages, the question's weighted terms they hold first (a
    sentence with a figure wins a tie when the question asks for one)."""
    rate = sentence_score(terms, question)
    # a sentence holding only the question's place and year (a report's byline, "——2025年1月19日在
    # 宁夏回族自治区…会议上") says nothing of what is asked
    named = [t for t in terms.weights if claims.names_in(t)]
    plain = [t for t in terms.weights if not _YEAR_TERM_RE.fullmatch(t) and not any(t in p for p in named)]
    scored: list[Quote] = []
    for n, hit in enumerate(hits, 1):
        title = compact(hit.chunk.title)
        for candidates in _pieces(hit.chunk.text):
            score, text = max(((rate(t), t) for t in candidates), key=lambda st: st[0])
            flat = compact(text)
            if flat.rstrip("。") in title:
                continue  # the document's title again, or a part of it: the source line says as much
            if score > 0.2 and (not plain or any(t in flat for t in plain)):
                scored.append(Quote(n, hit.chunk.source, hit.chunk.section, text, score, hit.chunk.named_title))
    scored.sort(key=lambda q: (-q.score, q.n))
    out: list[Quote] = []
    for q in scored:
        if all(compact(q.text) != compact(o.text) for o in out):
            out.append(q)
        if len(out) == limit:
            break
    return out
