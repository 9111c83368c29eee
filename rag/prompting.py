"""Prompts live as files in ``prompts/``; this module fills them and fits them to a token budget."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag.resources import prompt_file


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
    if title and title != Path(source).stem:
        title = _COVER_NOTE_RE.sub(r"\1", title)  # 关于印发《X》的通知 -> X
        parts.append(f"《{title[:HEADING_TITLE_CHARS].strip('《》')}》")
    if doc_number:
        parts.append(f"（{doc_number}）" if parts else doc_number)
    head = "".join(parts)
    return " > ".join(p for p in (head, section) if p)


HEADING_TITLE_CHARS = 40
_COVER_NOTE_RE = re.compile(r"^关于(?:印发|转发|下发)《(.+)》的通知$")
_SENTENCE_RE = re.compile(r"[^。！？；!?;\n]*(?:[。！？；!?;]+[”’」』）)]*|\n|$)")


def focus(text: str, question: str, max_chars: int) -> str:
    """The sentences of a passage that share most with the question, in their order, within
    ``max_chars``: small models answer better, and faster, from less text. Gaps are marked "…"."""
    if max_chars <= 0 or len(text) <= max_chars:
        return text
    from rag.normalize import compact

    q = compact(question)
    grams = {q[i:i + 2] for i in range(len(q) - 1)}
    sentences = [s for s in _SENTENCE_RE.findall(text) if s.strip()]
    scores = [sum(1 for g in grams if g in compact(s)) for s in sentences]
    keep: set[int] = set()
    size = 0
    for i in sorted(range(len(sentences)), key=lambda i: -scores[i]):
        if keep and (scores[i] == 0 or size + len(sentences[i]) > max_chars):
            continue
        keep.add(i)
        size += len(sentences[i])
    out, last = [], -1
    for i in sorted(keep):
        if i != last + 1:
            out.append("…")
        out.append(sentences[i].strip())
        last = i
    if last != len(sentences) - 1:
        out.append("…")
    return "".join(out)


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
