"""Structure-aware chunking of Chinese documents: headings -> section paths, sentences -> chunks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.headings import CN_NUM as _CN_NUM
from rag.headings import MAX_HEADING_CHARS, heading_level
from rag.normalize import search_form, squeeze_cjk_spaces

CHUNKER_VERSION = "2"  # chunks and their keyword tokens (2: character pairs beside jieba's words)

_LEAD_RE = re.compile(f"^([{_CN_NUM}]是|首先|其次|再次|最后)")
_SENTENCE_RE = re.compile(r"[^。！？；!?;\n]*(?:[。！？；!?;]+[”’」』）)]*|\n|$)")
_NUMBER_TAIL_RE = re.compile(r"[\d.．%]")

REVIEW_WORDS = ("总结", "回顾", "成效", "完成情况", "工作情况", "主要成绩", "取得", "进展")
_PLAN_OPENINGS = ("下一步", "今后", "明年", "接下来")
PLAN_WORDS = ("思路", "计划", "要点", "目标", "举措", "下一步", "打算", "安排", "部署", "任务", "今后")


def heading_label(line: str) -> str:
    """The label a heading contributes to the section path (spacing squeezed, article bodies cut)."""
    text = squeeze_cjk_spaces(line.strip())
    if text.startswith("第") and len(text) > MAX_HEADING_CHARS:
        match = re.match(f"^第[{_CN_NUM}\\d]+条", text)
        if match:
            return match.group(0)
    return text


def classify_kind(path: list[str], text: str, title: str) -> str:
    """review / plan / other, from the deepest section heading that says, else the text's opening."""
    for label in reversed(path):
        simple = search_form(label)
        if any(w in simple for w in PLAN_WORDS):
            return "plan"
        if any(w in simple for w in REVIEW_WORDS):
            return "review"
    opening = search_form(text[:20])
    if opening.startswith(_PLAN_OPENINGS):
        return "plan"
    simple_title = search_form(title)
    has_plan = any(w in simple_title for w in PLAN_WORDS)
    has_review = any(w in simple_title for w in REVIEW_WORDS)
    if has_plan != has_review:
        return "plan" if has_plan else "review"
    return "other"


def split_sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE_RE.findall(paragraph) if s.strip()]


def _safe_cut(text: str, limit: int) -> int:
    """A cut position <= limit that does not fall inside a number; prefers a comma."""
    window = text[:limit]
    for sep in "，,、：:":
        pos = window.rfind(sep)
        if pos >= limit // 2:
            return pos + 1
    cut = limit
    while cut > limit // 2 and _NUMBER_TAIL_RE.match(text[cut - 1]) and _NUMBER_TAIL_RE.match(text[cut]):
        cut -= 1
    return cut


def split_long(sentence: str, max_chars: int) -> list[str]:
    pieces = []
    while len(sentence) > max_chars:
        cut = _safe_cut(sentence, max_chars)
        pieces.append(sentence[:cut])
        sentence = sentence[cut:]
    if sentence:
        pieces.append(sentence)
    return pieces


@dataclass
class Chunk:
    ordinal: int
    text: str
    section: list[str]
    kind: str
    start: int
    end: int

    @property
    def section_path(self) -> str:
        return " > ".join(self.section)


@dataclass
class _Unit:
    text: str
    start: int
    section: tuple[str, ...]
    lead: str | None = None


@dataclass
class _Builder:
    target: int
    max_chars: int
    overlap: int
    title: str
    chunks: list[Chunk] = field(default_factory=list)
    units: list[_Unit] = field(default_factory=list)

    def size(self) -> int:
        return sum(len(u.text) for u in self.units)

    def flush(self, keep_overlap: bool) -> None:
        if not self.units:
            return
        first = self.units[0]
        path = list(first.section) + ([first.lead] if first.lead else [])
        text = "".join(u.text for u in self.units).strip()
        last = self.units[-1]
        if text:
            self.chunks.append(Chunk(len(self.chunks), text, path, classify_kind(path, text, self.title),
                                     first.start, last.start + len(last.text)))
        carry: list[_Unit] = []
        if keep_overlap and self.overlap:
            size = 0
            for unit in reversed(self.units[1:]):
                if size + len(unit.text) > self.overlap:
                    break
                carry.insert(0, unit)
                size += len(unit.text)
        self.units = carry

    def add(self, unit: _Unit) -> None:
        if self.units and self.units[0].section != unit.section:
            self.flush(keep_overlap=False)
        if self.units and self.size() + len(unit.text) > self.max_chars:
            self.flush(keep_overlap=True)
            if self.units and self.size() + len(unit.text) > self.max_chars:
                self.units = []
        self.units.append(unit)
        if self.size() >= self.target:
            self.flush(keep_overlap=True)


def chunk_document(text: str, title: str = "", target_chars: int = 400, max_chars: int = 500,
                   overlap_chars: int = 80) -> list[Chunk]:
    """Split cleaned original text into chunks that follow its sections and sentences."""
    builder = _Builder(target_chars, max_chars, overlap_chars, title)
    stack: list[tuple[int, str]] = []
    lead: str | None = None
    offset = 0
    for paragraph in text.split("\n"):
        para_start = offset
        offset += len(paragraph) + 1
        if not paragraph.strip():
            continue
        level = heading_level(paragraph)
        if level is not None and (len(paragraph) <= MAX_HEADING_CHARS or not paragraph.startswith("第")):
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, heading_label(paragraph)))
            lead = None
            continue
        if level is not None:  # an article heading with its body on the same line
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, heading_label(paragraph)))
            lead = None
        section = tuple(label for _, label in stack)
        lead = None
        if search_form(paragraph[:6]).startswith(_PLAN_OPENINGS):
            builder.flush(keep_overlap=False)  # "下一步…" starts the plan part of a report
        pos = para_start
        for sentence in split_sentences(paragraph):
            match = _LEAD_RE.match(sentence)
            if match:
                lead = squeeze_cjk_spaces(re.split(r"[，,。；;：:]", sentence, maxsplit=1)[0])[:30]
            for piece in split_long(sentence, max_chars):
                builder.add(_Unit(piece, pos, section, lead))
                pos += len(piece)
        builder.add(_Unit("\n", pos, section, lead))
        if builder.units and builder.units[-1].text == "\n" and len(builder.units) == 1:
            builder.units = []
    builder.flush(keep_overlap=False)
    return builder.chunks
