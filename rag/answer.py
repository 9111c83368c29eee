"""retrieve -> gate -> prompt -> generate (streamed) -> verify: a cited answer, or an honest refusal."""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from rag import claims, places
from rag.chunk import split_sentences
from rag.errors import QuestionError
from rag.figures import figures_in
from rag.namechecks import other_issuer
from rag.normalize import compact, has_cjk, to_simplified
from rag.outline import parts_listed, with_outline
from rag.prompting import build_qa_prompt, prompt, prompt_passages, refusal_text, strip_echoes
from rag.quotes import Quote, best_quotes, sentence_score
from rag.retrieve import Retriever
from rag.settings import Settings
from rag.terms import YEAR_RE, asked_stage, asked_years, passage_context, unquoted_terms, weigh
from rag.types import ChunkRecord, Figure, Filters, Hit, QuestionTerms
from rag.verify import (
    Evidence,
    Verification,
    latin_ratio,
    states_no_figure,
    strip_citations,
    support,
    verify_answer,
)

if TYPE_CHECKING:
    from rag.bm25 import BM25Index
    from rag.llm import LLM

MAX_QUESTION_CHARS = 1000
COVERAGE_THRESHOLD = 0.4
FRAME_WORDS = frozenset({"采取", "相应", "出现", "做", "有", "是", "要", "待", "会", "能", "可"})
BARE_ANSWER = 8  # characters: a claim this short (a name) is copied alike by every sentence that holds it
RELEVANCE_THRESHOLD = 0.5  # of the question's weighted terms, in one passage behind a supported claim
@dataclass
class AnswerResult:
    question: str
    answer: str
    refused: bool
    hits: list[Hit]
    cited: list[int]
    verification: Verification | None
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    draft: str = ""
    model: str = ""
    relevance: float | None = None  # see answer_relevance; None when refused before generation
    evidence: list[Quote] = field(default_factory=list)  # the passages' best sentences, shown first
    prefix: str = ""  # the prompt's fixed prefix: "disk" (prefix cache), "memory", "read" or "" (none)
    answerable: float | None = None  # the model's P(是) that the passages answer it; None when not asked

    def cited_chunks(self) -> list[tuple[int, ChunkRecord]]:
        """(citation number, passage) of every passage the answer cites."""
        return [(n, self.hits[n - 1].chunk) for n in self.cited if 1 <= n <= len(self.hits)]

    def citations(self) -> list[dict[str, Any]]:
        return [{"n": n, "source": c.source, "doc_id": c.doc_id, "chunk_id": c.id, "section": c.section,
                 "text": c.text} for n, c in self.cited_chunks()]

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": self.question, "answer": self.answer, "refused": self.refused,
            "citations": self.citations(),
            "passages": [h.as_dict() for h in self.hits],
            "verification": None if self.verification is None else {
                "outcome": self.verification.outcome,
                "removed_citations": self.verification.removed_citations,
                "sentences": [{"text": s.text, "status": s.status, "support": round(s.support, 3),
                               "citations": s.citations, "reasons": s.reasons, "notes": s.notes}
                              for s in self.verification.sentences if s.text.strip()],
            },
            "relevance": None if self.relevance is None else round(self.relevance, 3),
            "evidence": [q.as_dict() for q in self.evidence],
            "warnings": self.warnings, "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "model": self.model, "prefix": self.prefix,
            "answerable": None if self.answerable is None else round(self.answerable, 3),
        }


def clean_question(question: str) -> tuple[str, list[str]]:
    text = question.strip()
    if not text:
        raise QuestionError("the question is empty")
    if not re.search(r"[\w\u4e00-\u9fff]", text):
        raise QuestionError("the question has no words (only symbols or emoji); ask in Chinese")
    warnings = []
    if len(text) > MAX_QUESTION_CHARS:
        warnings.append(f"question cut from {len(text)} to {MAX_QUESTION_CHARS} characters")
        text = text[:MAX_QUESTION_CHARS]
    return text, warnings


def _years(text: str) -> set[str]:
    return set(YEAR_RE.findall(text))


def asked_places(question: str) -> list[str]:
    """The places the question names: 吉利集团 is a company, though 吉利 is also a district of 洛阳."""
    q = compact(question)
    return [n for n in claims.names_in(q) if not re.search(f"{n}(?:集团|公司)", q)]


def _bm25(retriever: Retriever) -> BM25Index:
    return retriever.store.bm25(retriever.settings.bm25_k1, retriever.settings.bm25_b)


def question_terms(retriever: Retriever, tokens: list[str]) -> QuestionTerms:
    return weigh(_bm25(retriever), tokens)


def evidence_check(terms: QuestionTerms, question: str, hits: list[Hit]) -> tuple[float, list[str]]:
    """Does retrieval support answering at all? Returns the IDF-weighted share of the question's
    content terms found in the passages, and what the question names that the passages cannot back:

    - a year the question asks about must be a year of some passage (its text, section, title or
      date), unless that passage names no year at all: "2021年…建会率" is not answered by a 2019 report;
    - any other number in the question must occur in some passage;
    - a place or organisation the question names (福田区, 传化集团) must be named by some passage (a
      province by one of its cities: 江西 by 南昌);
    - what the question quotes (“日报告”, 《指南》) must be in some passage.
    """
    if not hits:
        return 0.0, []
    contexts = [passage_context(h.chunk) for h in hits]
    text = "\n".join(contexts)
    q = compact(question)
    missing: list[str] = []
    asked_years = _years(q)
    if asked_years and not any((asked_years <= _years(c) or not _years(c)) and terms.coverage(c) >= 0.5
                               for c in contexts):
        missing.extend(sorted(asked_years))
    for fig in figures_in(YEAR_RE.sub("", q), already_compact=True):
        if not _mentioned(fig, text):
            missing.append(fig.text)
    missing.extend(f"“{t}”" for t in unquoted_terms(question, [text]))
    absent = [name for name in claims.names_in(q) if name not in text]
    if absent:  # "江西" is named by a passage about 南昌 and 上饶
        named = [n for c in contexts for n in claims.names_in(c)]
        missing.extend(name for name in absent if not places.names_part_of(name, named))
    return terms.coverage(text), missing


def shown_passages(terms: QuestionTerms, hits: list[Hit], floor: float, asked_places: list[str] | None = None,
                   asked_years: set[str] | None = None, result_asked: bool = False) -> list[Hit]:
    """The hits the prompt shows, renumbered from 1: those whose title, section and text hold at least
    ``floor`` of what the best one holds of the question's weighted terms. A passage that shares only
    the topic costs prompt tokens and gives a small model a sentence to copy as an answer."""
    if floor <= 0 or not hits:
        return hits
    if asked_places:  # another province's report, silent on the place asked, states the same metric for its own
        hits = [h for h in hits if not other_issuer(h.chunk.title, asked_places)
                or any(p in compact(h.chunk.text) for p in asked_places)] or hits
    if asked_years and any(_speaks_of(h.chunk, asked_years) for h in hits):
        # another year's report, silent on the year asked, states the same metric for its own year
        hits = [h for h in hits if _speaks_of(h.chunk, asked_years) or not _years(compact(h.chunk.title))]
    if result_asked and asked_years and any(_reviews(h.chunk, asked_years) for h in hits):
        # asked 2023's result, with the 2024 report's "一、2023年工作回顾" found: the 2023 report's own
        # passages hold its targets (增长5%左右), which a small model gives as the result
        hits = [h for h in hits if not (asked_years & _years(compact(h.chunk.title)))
                or asked_years & _years(compact(h.chunk.section))]
    cover = [terms.coverage(passage_context(h.chunk)) for h in hits]
    best = max(cover)
    kept = [h for h, c in zip(hits, cover, strict=True) if c >= floor * best]
    return [replace(h, rank=n) for n, h in enumerate(kept, 1)]


def _reviews(chunk: ChunkRecord, years: set[str]) -> bool:
    """A section of another year's document headed by a year asked ("一、2023年工作回顾" of the 2024 report)."""
    return bool(years & _years(compact(chunk.section))) and not years & _years(compact(chunk.title))


def _speaks_of(chunk: ChunkRecord, years: set[str]) -> bool:
    """The passage names one of ``years`` in its text or section, or its document's title does (the
    years before it, for a review section 过去一年 of a year's report)."""
    if years & _years(compact(chunk.text + chunk.section)):
        return True
    if _years(compact(chunk.section)):  # "一、2019年主要工作" of a report titled with 2019 and 2020
        return False
    ev = evidence_of(chunk)
    titled = {float(y) for y in _years(compact(chunk.title))}
    return bool({float(y) for y in years} & ((set() if ev.looking_back else titled) | ev.years_looked_back))


_ASKS_FIGURE_RE = re.compile(r"多少|几")
_STAGE_WORD_RE = re.compile(r"预期|目标|预期目标|指标|力争|计划")


def content_terms(terms: QuestionTerms, question: str, in_store: Callable[[str], bool]) -> QuestionTerms:
    """The question's terms that say what it is about: without its function words (prepositions,
    conjunctions, pronouns, particles, numerals: 针对 对于 有何 哪几种), its one-character adverbs and
    counters (已 次) and the verbs that frame what it asks (做了哪些相应政策, 采取…措施, 有什么问题出现, 待…后):
    rare in notices, so weighty by their IDF, yet no passage need hold them; its place names (the entity
    check reads those, in titles and issuers too), for a figure asked as a target its stage words
    (预期 目标: the stage check reads the figure's stage, from a section or a list whose lead sentence
    the passage may not hold) and jieba's guesses that no passage of the store holds (率有 部到: every
    passage lacks them alike; a dictionary word no passage holds still counts)."""
    from rag.segment import dictionary_words, tagged

    question = to_simplified(question)
    words = dictionary_words(question)
    known = {t: w for t, w in terms.weights.items() if in_store(t) or t in words} or terms.weights
    tags = tagged(question)
    shape = [w for w, tag in tags if tag[:1] in "pcrumfx" or tag == "ns" or "哪" in w]
    light = {w for w, tag in tags if (len(w) == 1 and tag[:1] in "dq") or w in FRAME_WORDS}
    if asked_stage(question) == "target" and _ASKS_FIGURE_RE.search(question):
        light |= {t for t in known if _STAGE_WORD_RE.fullmatch(t)}  # the stage check reads the figure's stage
    kept = {t: w for t, w in known.items() if t not in light and not any(t in w_ for w_ in shape)}
    return QuestionTerms(kept or known)


def answer_relevance(terms: QuestionTerms, verification: Verification, hits: list[Hit]) -> float:
    """How much of the question the passage behind the supported claims covers, read where the
    claims come from: its title, section and date, and the sentences each claim copies with their
    neighbours. A claim copied faithfully from a passage about something else (another library's
    closing date, another group's 四个坚持), or from the one sentence of a related passage that
    shares a few words, is no answer to the question. The other passages shown of the claim's
    document count too (a notice names its matter once, in its opening: "国内企业在境外开办企业备案"),
    but only when the claim's own sentences hold the question's most specific word (开封's 复工顺序 is
    in its opening; a claim about 供餐方式 is still no answer to it)."""
    sharpest = max(terms.weights, key=terms.weights.__getitem__, default="")
    return max((terms.coverage(own + rest if sharpest in own.lower() else own)
                for own, rest in claim_sources(verification, hits, terms)), default=0.0)


def claim_sources(verification: Verification, hits: list[Hit], terms: QuestionTerms) -> list[tuple[str, str]]:
    """Per document behind a supported claim: its title, sections and dates with the sentences the
    claims copy and their neighbours (the whole text when no sentence shares the claim's words), and
    the text of its other passages shown. Of the sentences a bare answer (a name, "吴金学") is in alike,
    the one told among neighbours nearest the question."""
    windows: dict[int, tuple[list[str], set[int]]] = {}
    for s in verification.sentences:
        if s.status not in ("verified", "corrected"):
            continue
        body = strip_citations(s.text)
        for n in s.citations:
            if not 1 <= n <= len(hits):
                continue
            sentences, kept = windows.setdefault(n, (split_sentences(hits[n - 1].chunk.text), set()))
            if not sentences:
                continue
            scores = [support(body, x) for x in sentences]
            top = max(scores)
            if not top:
                kept.update(range(len(sentences)))
                continue
            tied = [i for i, x in enumerate(scores) if x == top]
            best = tied[0] if len(compact(body)) > BARE_ANSWER else max(tied, key=lambda i: terms.coverage(
                compact("".join(sentences[max(0, i - 1):i + 2]))))
            kept.update(range(max(0, best - 1), min(len(sentences), best + 2)))
    own: dict[str, str] = {}
    for n, (sentences, kept) in windows.items():
        c = hits[n - 1].chunk
        own[c.doc_id] = own.get(c.doc_id, "") + f"{c.title}{c.section}{c.date or ''}" + "".join(
            sentences[i] for i in sorted(kept))
    rest = dict.fromkeys(own, "")
    for n, h in enumerate(hits, 1):
        if h.chunk.doc_id in own and n not in windows:
            rest[h.chunk.doc_id] += h.chunk.section + h.chunk.text
    return [(compact(own[d]), compact(rest[d])) for d in own]


def unstated_figures(question: str, backing: list[str]) -> list[str]:
    """The question's quantities that no passage behind the answer's claims mentions:
    "为什么要对密切接触者医学观察14天？" is not answered by a passage on quarantine sites that never
    says 14天, however faithfully its sentences are copied. Years and dates are left to the year and
    date checks: "1月25日晚上…下发通知中…" dates the notice, often in another passage of it."""
    q = compact(question)
    return [fig.text for fig in figures_in(YEAR_RE.sub("", q), already_compact=True)
            if fig.kind not in ("year", "date") and not any(_mentioned(fig, b) for b in backing)]


def _mentioned(fig: Figure, text: str) -> bool:
    """The question's figure is mentioned: each end of a range on its own ("25-99人" by "25人-99人")."""
    others = figures_in(text, already_compact=True)
    for value in {fig.low, fig.high}:
        digits = f"{value:g}" if value < 1e15 else str(value)
        if not (re.search(rf"(?<![\d.]){re.escape(digits)}(?![\d])", text.replace(",", ""))
                or any(value in (o.low, o.high) for o in others)):
            return False
    return True


def evidence_of(chunk: ChunkRecord, home_of: Callable[[str], tuple[str, ...]] | None = None) -> Evidence:
    """What the checker may read of a passage: its text and its document's own title, 文号, section,
    and the provinces the whole document speaks of (``home_of`` its doc_id, when given)."""
    year = f"{chunk.date[:4]}年" if chunk.date and chunk.date[:4].isdigit() else ""
    home = home_of(chunk.doc_id) if home_of else ()
    return Evidence(chunk.text, chunk.title, chunk.doc_number or "", chunk.section, year, home, parts_listed(chunk))


def answer_question(question: str, retriever: Retriever, llm: LLM, settings: Settings | None = None, *,
                    k: int | None = None, filters: Filters | None = None,
                    on_token: Callable[[str], None] | None = None,
                    on_evidence: Callable[[list[Quote]], None] | None = None) -> AnswerResult:
    """Answer ``question`` from what ``retriever`` finds, written by ``llm`` and checked claim by
    claim; a refusal when the passages do not answer it. ``settings`` defaults to the built-in ones
    (retrieval settings always come from the retriever). ``on_evidence`` gets the passages' best
    sentences before the model starts; ``on_token`` the model's text as it is written."""
    t_start = time.perf_counter()
    settings = settings or Settings()
    question, warnings = clean_question(question)
    if not has_cjk(question):
        warnings.append("the question is not in Chinese; the documents are, so results may be poor")
    k = k or retriever.settings.k
    result = retriever.search(question, k=k, filters=filters)
    hits = result.hits
    timings = {"retrieve": time.perf_counter() - t_start}

    terms = question_terms(retriever, result.query_tokens)
    coverage, missing_numbers = evidence_check(terms, question, hits)
    refusal = refusal_text()
    if not hits or coverage < COVERAGE_THRESHOLD or missing_numbers:
        quotes = best_quotes(terms, hits, question)
        why = ("no passages" if not hits else
               f"the passages do not mention {', '.join(missing_numbers)}"
               if missing_numbers else f"the passages cover little of the question ({coverage:.2f})")
        timings["total"] = time.perf_counter() - t_start
        if on_token:
            on_token(refusal)
        return AnswerResult(question, refusal, True, hits, [], None, [*warnings, f"refused before generation: {why}"],
                            timings, evidence=quotes)
    hits = shown_passages(terms, hits, settings.generation.passage_floor, asked_places(question),
                          asked_years(question), asked_stage(question) == "result")
    hits = with_outline(question, hits, terms, retriever.store.document_chunks, retriever.store.document_text)
    quotes = best_quotes(terms, hits, question)
    timings["evidence"] = time.perf_counter() - t_start
    if on_evidence:
        on_evidence(quotes)

    gen = settings.generation
    budget = llm.n_ctx - gen.max_tokens - 32
    built = build_qa_prompt(question, prompt_passages(hits, sentence_score(terms, question), gen), llm.count_tokens,
                            budget)
    if built.dropped or built.trimmed:
        warnings.append(f"context budget: {built.dropped} passage(s) dropped, {built.trimmed} trimmed")

    def generate(messages: list[dict[str, str]]) -> str:
        pieces: list[str] = []
        t0 = time.perf_counter()
        for piece in llm.stream(messages, gen.max_tokens, gen.temperature):
            if not pieces:
                timings.setdefault("first_token", time.perf_counter() - t_start)
            pieces.append(piece)
            if on_token:
                on_token(piece)
        timings["generate"] = timings.get("generate", 0.0) + time.perf_counter() - t0
        return "".join(pieces)

    messages = built.messages
    draft = generate(messages)
    prefix = llm.last_prefix
    if latin_ratio(draft) > 0.5:
        warnings.append("the model drifted into English; regenerated in Chinese")
        if on_token:
            on_token("\n")
        messages = [*messages, {"role": "assistant", "content": draft},
                    {"role": "user", "content": prompt("regenerate_chinese")}]
        draft = generate(messages)
    draft_simplified = to_simplified(strip_echoes(draft, built.passages))

    @functools.cache  # passages often share a document: read and scan it once
    def home_of(doc_id: str) -> tuple[str, ...]:
        return places.home(compact(retriever.store.document_text(doc_id) or ""))

    # Claims are checked against the document's own words of each passage shown, never the labels.
    evidence = [evidence_of(hits[p.n - 1].chunk, home_of) for p in built.passages]
    verification = verify_answer(draft_simplified, evidence, question)
    warnings.extend(verification.warnings)
    answer = verification.answer
    cited = sorted({n for s in verification.sentences if s.status != "dropped" for n in s.citations})
    bm25 = _bm25(retriever)
    relevance = answer_relevance(content_terms(terms, question, lambda t: bm25.df(t) > 0), verification, hits)
    backing = [passage_context(hits[n - 1].chunk) for s in verification.sentences if s.status in ("verified", "corrected")
               for n in s.citations if 1 <= n <= len(hits)]
    unnamed = [f"“{t}”" for t in unquoted_terms(question, backing)]
    unnamed += unstated_figures(question, backing)
    no_figure = verification.supported and states_no_figure(question, verification)
    refused = not verification.supported or relevance < RELEVANCE_THRESHOLD or bool(unnamed) or no_figure
    answerable = None
    if not refused and gen.judge_floor > 0:
        t0 = time.perf_counter()
        answerable = llm.yes_probability([*messages, {"role": "assistant", "content": draft},
                                          {"role": "user", "content": prompt("judge").format(question=question)}])
        timings["judge"] = time.perf_counter() - t0
        refused = answerable is not None and answerable < gen.judge_floor
    if refused:
        if answerable is not None:
            warnings.append(f"asked whether the passages answer the question, the model said no "
                            f"(P(是) {answerable:.2f}); answered with a refusal")
        elif not verification.supported:
            if any(s.status in ("flagged", "dropped") for s in verification.sentences):
                warnings.append("no claim of the answer could be verified; answered with a refusal")
        elif no_figure:
            warnings.append("the question asks how much or which day, and the answer states no figure; "
                            "answered with a refusal")
        elif unnamed:
            warnings.append(f"the passages behind the answer do not name {'、'.join(unnamed)}; "
                            "answered with a refusal")
        else:
            warnings.append(f"the passages behind the answer cover little of the question ({relevance:.2f}); "
                            "answered with a refusal")
        answer = refusal
        cited = []
    timings["total"] = time.perf_counter() - t_start
    return AnswerResult(question, answer, refused, hits, cited, verification, warnings, timings,
                        draft, llm.name, relevance, quotes, prefix, answerable)
