"""Prompts live as files in ``prompts/``; this module fills them and fits them to a token budget."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag.normalize import compact, has_cjk, squeeze_cjk_spaces, strip_pinyin, to_simplified
from rag.resources import prompt_file
from rag.settings import GenerationSettings
from rag.types import Hit


@functools.cache
def prompt(name: str) -> str:
    path = prompt_file(name)
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise FileNotFoundError(f"prompt file {path} is missing") from exc


def refusal_text() -> str:
    return prompt("refusal")


@dataclass
class PromptPassage:
    n: int
    source: str
    section: str
    text: str

    def render(self) -> str:
        return prompt("passage").format(n=self.n, source=self.source, section=self.section, text=self.text).replace(
            f"[{self.n}] \n", f"[{self.n}]\n")


def passage_heading(title: str, doc_number: str | None, section: str, source: str) -> str:
    """What a passage is from: the document's title and 文号, then its section. Small models answer
    "which notice / 发文字号" questions from this line, and the checker accepts figures in it."""
    parts = []
    if title and (title != Path(source).stem or has_cjk(title)):  # a file named by its title, not by a hash
        title = _COVER_NOTE_RE.sub(r"\1", title)  # 关于印发《X》的通知 -> X
        parts.append(f"《{title[:HEADING_TITLE_CHARS].strip('《》')}》")
    if doc_number:
        parts.append(f"（{doc_number}）" if parts else doc_number)
    head = "".join(parts)
    return " > ".join(p for p in (head, section) if p)


def prompt_form(text: str) -> str:
    """A passage as the model reads it: simplified, without inline pinyin, spaces between CJK
    characters or Markdown bold marks (scraped reports: "**二是持续创新职工教育培训模式。**"). The small
    models copy simplified figures and names more faithfully, and the same text costs fewer tokens;
    the user and the checker still see the original."""
    return squeeze_cjk_spaces(to_simplified(strip_pinyin(_BOLD_RE.sub(r"\1", text))))


_BOLD_RE = re.compile(r"\*\*([^*\n]{1,80})\*\*")


def prompt_passages(hits: list[Hit], score: Callable[[str], float], gen: GenerationSettings) -> list[PromptPassage]:
    """The passages as the prompt shows them, numbered from 1: each cut to the sentences ``score``
    ranks highest (``gen.context_chars`` for all), headed by its section and, once per document (or on
    every passage, per ``gen.passage_heading``), by the document's title and 文号."""
    seen: set[str] = set()
    texts = [prompt_form(h.chunk.text) for h in hits]
    cut = [i for i, h in enumerate(hits) if not h.chunk.is_outline]  # an outline is the list asked for: whole
    for i, text in zip(cut, focus([texts[i] for i in cut], score, gen.context_chars, gen.context_neighbours,
                                  gen.context_piece_chars), strict=True):
        texts[i] = text
    out = []
    for i, (h, text) in enumerate(zip(hits, texts, strict=True), 1):
        c = h.chunk
        heading = c.section
        if gen.passage_heading == "passage" or (gen.passage_heading == "document" and c.doc_id not in seen):
            heading = passage_heading(c.title, c.doc_number, c.section, c.source)
        seen.add(c.doc_id)
        out.append(PromptPassage(i, c.source, prompt_form(heading), text))
    return out


def strip_echoes(draft: str, passages: list[PromptPassage]) -> str:
    """The draft without passage headings the model copied into it ("《…》（深龙工〔2020〕8号） > 三、… >"):
    a heading is the prompt's label, not a claim, and reads as noise in an answer."""
    for p in sorted(passages, key=lambda p: -len(p.section)):
        if " > " in p.section:
            draft = re.sub(re.escape(p.section) + r"\s*(?:>\s*)?", "", draft)
    return _ECHO_RE.sub("", draft)


_ECHO_RE = re.compile(r"《[^》\n]{2,}》(?:（[^）\n]*）)?\s*>\s*(?:[^>\n。，]{1,40}\s*>\s*)*")
HEADING_TITLE_CHARS = 40
_COVER_NOTE_RE = re.compile(r"^关于(?:印发|转发|下发)《(.+)》的通知$")
_SENTENCE_RE = re.compile(r"[^。！？；!?;\n]*(?:[。！？；!?;]+[”’」』）)]*|\n|$)")


def overlap_score(reference: str) -> Callable[[str], float]:
    """Scores a sentence by the character pairs it shares with ``reference`` (an answer, say)."""
    ref = compact(reference)
    grams = {ref[i:i + 2] for i in range(len(ref) - 1)}

    def score(text: str) -> float:
        t = compact(text)
        return float(sum(1 for g in grams if g in t))

    return score


def _pieces(text: str, piece_chars: int) -> list[str]:
    """A text's sentences, a long one cut after commas into runs of at most ``piece_chars`` (so one
    long sentence cannot take a passage's whole share); joined in order they give the text back."""
    out: list[str] = []
    for sentence in _SENTENCE_RE.findall(text):
        if not sentence.strip():
            continue
        while len(sentence) > piece_chars:
            cut = max(sentence.rfind(c, 0, piece_chars) for c in "，,、")
            if cut <= 0:
                break
            out.append(sentence[:cut + 1])
            sentence = sentence[cut + 1:]
        out.append(sentence)
    return out


def focus(texts: list[str], score: Callable[[str], float], max_chars: int, neighbours: int = 1,
          piece_chars: int = 80) -> list[str]:
    """Each text cut to the sentences ``score`` ranks highest, within ``max_chars`` for all of them
    together: small models answer better, and faster, from less text. Every text keeps its best
    sentence; then the best sentences of any text, each with the ``neighbours`` after it (a figure's
    clause often goes on in the next sentence), while the budget lasts; an earlier text wins a tie.
    Kept sentences stay in their order, gaps marked "…". ``max_chars`` 0 keeps the texts whole."""
    if max_chars <= 0 or sum(len(t) for t in texts) <= max_chars:
        return list(texts)
    sentences = [_pieces(t, piece_chars) for t in texts]
    ranked = sorted(((score(s) * (1 - 0.1 * p), p, i) for p, ss in enumerate(sentences) for i, s in enumerate(ss)),
                    key=lambda r: (-r[0], r[1], r[2]))
    keep: list[set[int]] = [set() for _ in texts]
    size = 0

    def take(p: int, i: int, force: bool = False, context: int = neighbours) -> None:
        nonlocal size
        for j in range(i, min(i + 1 + context, len(sentences[p]))):
            if j not in keep[p] and (force or size + len(sentences[p][j]) <= max_chars):
                keep[p].add(j)
                size += len(sentences[p][j])
            force = False

    for value, p, i in ranked:  # each text's best sentence (its first, if none scores)
        if not keep[p]:
            take(p, i, force=True, context=neighbours if value > 0 else 0)
    for value, p, i in ranked:
        if value <= 0:
            break
        take(p, i)
    out = []
    for p, ss in enumerate(sentences):
        parts, last = [], -1
        for i in sorted(keep[p]):
            if i != last + 1:
                parts.append("…")
            parts.append(ss[i] if i == last + 1 else ss[i].strip())
            last = i
        if last != len(ss) - 1:
            parts.append("…")
        out.append("".join(parts) if ss else texts[p])
    return out


@dataclass
class BuiltPrompt:
    messages: list[dict[str, str]]
    passages: list[PromptPassage]  # those that made it into the prompt, possibly trimmed
    dropped: int
    trimmed: int
    tokens: int


def build_qa_prompt(question: str, passages: list[PromptPassage], count_tokens: Callable[[str], int],
                    budget: int) -> BuiltPrompt:
    """System + QA prompt within ``budget`` tokens: passages are kept in rank order, the last one
    that does not fit is trimmed, later ones dropped. The question itself is cut if it alone overflows."""
    refusal = refusal_text()
    system = prompt("system").format(refusal=refusal)
    # A worked example in the fixed prefix shows small models the format; being identical for every
    # question, it is evaluated once and then reused from the KV cache.
    prefix = [{"role": "system", "content": system},
              {"role": "user", "content": prompt("example_question")},
              {"role": "assistant", "content": prompt("example_answer")}]
    skeleton = prompt("qa")
    fixed = (sum(count_tokens(m["content"]) + 8 for m in prefix)
             + count_tokens(skeleton.format(passages="", question="", refusal=refusal)) + 16)
    q_tokens = count_tokens(question)
    if fixed + q_tokens > budget // 2:
        keep = max(20, int(len(question) * (budget // 2 - fixed) / max(q_tokens, 1)))
        question = question[:keep]
        q_tokens = count_tokens(question)
    room = budget - fixed - q_tokens
    kept: list[PromptPassage] = []
    trimmed = 0
    for passage in passages:
        cost = count_tokens(passage.render()) + 2
        if cost <= room:
            kept.append(passage)
            room -= cost
            continue
        if room > 80:
            ratio = (room - 40) / cost
            cut = PromptPassage(passage.n, passage.source, passage.section,
                                passage.text[: max(1, int(len(passage.text) * ratio))] + "…")
            kept.append(cut)
            trimmed += 1
            room = 0
        break
    user = skeleton.format(passages="\n\n".join(p.render() for p in kept), question=question, refusal=refusal)
    messages = [*prefix, {"role": "user", "content": user}]
    return BuiltPrompt(messages, kept, len(passages) - len(kept), trimmed, fixed + count_tokens(user))
