"""What a question is about, as weighted terms, and how much of it a passage holds: read by the
retriever (to rank candidates by it) and by the answer path (to gate, focus and judge relevance)."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from rag.normalize import compact, search_form
from rag.types import ChunkRecord, QuestionTerms

if TYPE_CHECKING:
    from rag.bm25 import BM25Index

_SPACE_RE = re.compile(r"\s+")
YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?=年)")

# Words that shape a question but carry no content the documents would contain.
QUESTION_WORDS = frozenset(
    "包括 哪几个 几个 方面 分别 什么 哪里 哪些 多少 是否 如何 怎样 怎么 为什么 主要 内容 情况 具体 请问 提出 "
    "有关 关于 相关 哪个 哪家 哪位 谁 何时 时间 地点 哪天 几 一些 介绍 说明 概括 总结 指的是 指 意思 哪几 哪儿 "
    "为何 多久 多长 多大 多高 几项 几条 几种 哪种 哪类 怎么样 有没有 能否 可否 是不是 吗 呢 请 列出 列举 回答".split())


def idf(bm25: BM25Index, token: str) -> float:
    n = max(len(bm25), 1)
    return math.log1p((n - bm25.df(token) + 0.5) / (bm25.df(token) + 0.5))


def weigh(bm25: BM25Index, tokens: list[str]) -> QuestionTerms:
    """The question's search tokens without question words and years, each weighted by its IDF in
    the store's keyword index."""
    return QuestionTerms({tok: idf(bm25, tok) for tok in set(tokens) - QUESTION_WORDS
                          if not YEAR_RE.fullmatch(tok + "年")})


def phrase_weight(runs: list[str], text: str, pair_weight: dict[str, float], shortest: int = 3) -> float:
    """How much of the question ``text`` holds word for word: from each place in the question's runs
    the longest stretch found in ``text`` (``shortest`` characters or more), weighing its character
    pairs' ``pair_weight`` (their IDF) times its length. Neither BM25 nor the coverage list sees
    words side by side: the story naming "山东省发展改革委" whole should come before notices naming
    山东省 and 发展改革委 apart; and a rare name matched whole outweighs a stock phrase every report
    has ("2025年地区生产总值增长的预期目标")."""
    total = 0.0
    for run in runs:
        i = 0
        while i < len(run):
            n = 0
            while i + n < len(run) and run[i:i + n + 1] in text:
                n += 1
            if n < shortest:
                i += 1
                continue
            total += n * sum(pair_weight.get(run[j:j + 2], 0.0) for j in range(i, i + n - 1))
            i += n
    return total


def passage_context(chunk: ChunkRecord) -> str:
    """A passage as the question's terms are looked for in it: its document's title, its section,
    date and text, compacted."""
    return compact(f"{chunk.title}{chunk.section}{chunk.date or ''}{chunk.text}")


def searched_form(chunk: ChunkRecord) -> str:
    """The same for ranking many candidates fast: the chunk's stored search text (title, section and
    text, normalized at ingest) without its whitespace; no date, which only the year checks read."""
    return _SPACE_RE.sub("", chunk.search_text)


def asked_years(question: str) -> set[str]:
    """The years the question asks about (not those of a date: "2020年1月25日")."""
    return set(re.findall(r"(?<!\d)((?:19|20)\d{2})年(?!\d{1,2}月)", compact(question)))


_ASKS_TARGET_RE = re.compile(r"目标|预期|计划(?!生育|单列)|力争|指标")
_ASKS_RESULT_RE = re.compile(r"实际|(?:完成|增长|下降|提高|降低|达到|实现|减少|增加|新增)了|过去一年|全年完成")


def asked_stage(question: str) -> str:
    """Whether the question asks a target ("target"), a result ("result") or does not say ("")."""
    target, result = bool(_ASKS_TARGET_RE.search(question)), bool(_ASKS_RESULT_RE.search(question))
    return "target" if target and not result else "result" if result and not target else ""


def stage_words_at(question: str, stage: str) -> int:
    """Where the question's first word of ``stage`` ("target": 目标 预期…, "result": 实际 增长了…)
    begins, or -1."""
    m = (_ASKS_TARGET_RE if stage == "target" else _ASKS_RESULT_RE).search(question)
    return m.start() if m else -1


_QUOTED_RE = re.compile(r"[“\"《「]([^”\"》」]{2,30})[”\"》」]")


# a model or code of letters and digits (C919, 翼龙—2H): it names one thing of a kind. Digits first
# only after a dash (5G, 3D name no one model; 500km, 10GB are figures)
_DESIGNATION_RE = re.compile(r"(?<![A-Za-z\d.])(?:[A-Za-z]+\d[A-Za-z\d]*|(?<=[—–-])\d+[A-Za-z][A-Za-z\d]*)(?![A-Za-z\d])")


def quoted_terms(question: str) -> list[str]:
    """What the question puts in quotation marks or 《》 (“日报告”制度, “八闽健康码”, 《指南》),
    compacted, and its designations of letters and digits (翼龙—2H): the name of one scheme, document
    or model, which a passage about another does not hold."""
    quoted = (t for t in (compact(m) for m in _QUOTED_RE.findall(question)) if len(t) >= 2)
    return list(dict.fromkeys([*quoted, *designations(question)]))


def unquoted_terms(question: str, texts: list[str]) -> list[str]:
    """The question's :func:`quoted_terms` that none of ``texts`` holds (case aside: "2h" is 翼龙—2H's)."""
    lowered = [t.lower() for t in texts]
    return [t for t in quoted_terms(question) if not any(t.lower() in x for x in lowered)]


def designations(text: str) -> list[str]:
    """Models and codes of letters and digits (翼龙—2H: "2H"; C919), read with the text's spaces
    ("GDP 2024" is none)."""
    return list(dict.fromkeys(_DESIGNATION_RE.findall(search_form(text))))
