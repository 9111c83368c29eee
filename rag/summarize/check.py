"""Every item of a summary draft checked in code against the chunk it cites: figures re-cited to the
chunk that has them or removed, named bodies verbatim, near-copies for lists."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rag.figures import figures_in, has_figure
from rag.normalize import compact, to_simplified
from rag.schemas import (
    Citation,
    NewsDraft,
    NewsItem,
    PlanDraft,
    PlanItem,
    ProblemDraft,
    ProblemItem,
    ReviewDraft,
    ReviewItem,
    VerificationReport,
)
from rag.types import ChunkRecord, Figure
from rag.verify import support

if TYPE_CHECKING:
    pass

from rag.summarize.generate import Group

MIN_SUPPORT = 0.15
LIST_SUPPORT = 0.5  # a figure, measure or target is (nearly) copied from its passage, not paraphrased


@functools.lru_cache(maxsize=4096)
def _compact_cached(text: str) -> str:
    """Each group's checker compares against the whole document: convert each chunk once."""
    return compact(text)


# --- verification -----------------------------------------------------------------------------------

@dataclass
class Checker:
    """Checks draft items of one group against its chunks (and the whole document as a fallback)."""

    group: Group
    document: list[ChunkRecord]
    report: VerificationReport
    doc_compact: str = ""

    def __post_init__(self) -> None:
        self.doc_compact = "".join(self.text(c) for c in self.document)

    def text(self, chunk: ChunkRecord) -> str:
        return _compact_cached(chunk.section + chunk.text)

    def cite(self, chunk: ChunkRecord) -> Citation:
        return Citation(chunk_id=chunk.id, section=chunk.section, source=chunk.source)

    def cited_text(self, cited: list[ChunkRecord]) -> str:
        return "".join(c.section + c.text for c in cited)

    def has(self, figure: Figure, chunk: ChunkRecord) -> bool:
        return has_figure(figure, self.text(chunk), already_compact=True)

    def locate(self, figure: Figure, prefer: list[ChunkRecord]) -> ChunkRecord | None:
        for chunk in [*prefer, *self.group.chunks, *self.document]:
            if self.has(figure, chunk):
                return chunk
        return None


    def anchor(self, main: str, cite: int, label: str) -> list[ChunkRecord] | None:
        """The cited chunk, or the group chunk the item's wording best matches when the citation
        names no passage or one that shares far less; None when nothing supports the item."""
        chunks = self.group.chunks
        scores = [support(main, c.section + c.text) for c in chunks]
        best = max(range(len(chunks)), key=lambda i: scores[i])
        if scores[best] < MIN_SUPPORT:
            self.report.dropped.append(f"{label}: not supported by the passages ({main[:30]})")
            return None
        if not 1 <= cite <= len(chunks):
            self.report.corrected.append(f"{label}: citation [{cite}] names no passage; cited [{best + 1}]")
            return [chunks[best]]
        if scores[cite - 1] + 0.2 < scores[best]:
            self.report.corrected.append(f"{label}: re-cited [{cite}] -> [{best + 1}] by wording")
            return [chunks[best]]
        return [chunks[cite - 1]]

    def figures(self, values: list[str], cited: list[ChunkRecord], label: str) -> list[str]:
        """Keep the strings whose numbers the document holds, citing the chunks that hold them."""
        kept = []
        for value in values:
            value = to_simplified(value.strip())
            if not value:
                continue
            if not self.numbers_ok(value, cited, label):
                self.report.dropped.append(f"{label}: {value!r} has a figure the document does not contain")
            elif compact(value) not in self.doc_compact and support(value, self.cited_text(cited)) < LIST_SUPPORT:
                self.report.dropped.append(f"{label}: {value!r} is not in the cited passages")
            else:
                kept.append(value)
        return kept

    def numbers_ok(self, text: str, cited: list[ChunkRecord], label: str) -> bool:
        for figure in figures_in(text):
            if any(self.has(figure, c) for c in cited):
                continue
            found = self.locate(figure, [])
            if found is None:
                return False
            cited.append(found)
            self.report.corrected.append(f"{label}: figure {figure.text} re-cited to chunk {found.id}")
        return True

    def verbatim(self, value: str, label: str) -> str:
        value = to_simplified(value.strip())
        if value and compact(value) not in self.doc_compact:
            self.report.corrected.append(f"{label}: {value!r} is not in the document; left empty")
            return ""
        return value

    def finish(self, cited: list[ChunkRecord]) -> list[Citation]:
        self.report.verified += 1
        unique = list({c.id: c for c in cited}.values())
        return [self.cite(c) for c in unique]

    def review(self, d: ReviewDraft) -> ReviewItem | None:
        label = f"review {d.item[:12]}"
        cited = self.anchor(d.item, d.cite, label)
        if cited is None or not self.numbers_ok(d.item, cited, label):
            if cited is not None:
                self.report.dropped.append(f"{label}: a figure in the item is not in the document")
            return None
        figures = self.figures(d.figures, cited, label)
        return ReviewItem(item=to_simplified(d.item), figures=figures, citations=self.finish(cited))

    def plan(self, d: PlanDraft) -> PlanItem | None:
        label = f"plan {d.goal[:12]}"
        cited = self.anchor(d.goal + "".join(d.measures), d.cite, label)
        if cited is None or not self.numbers_ok(d.goal, cited, label):
            if cited is not None:
                self.report.dropped.append(f"{label}: a figure in the goal is not in the document")
            return None
        return PlanItem(goal=to_simplified(d.goal), measures=self.figures(d.measures, cited, label),
                        targets=self.figures(d.targets, cited, label), owner=self.verbatim(d.owner, label),
                        deadline=self.verbatim(d.deadline, label), citations=self.finish(cited))

    def problem(self, d: ProblemDraft) -> ProblemItem | None:
        label = f"problem {d.item[:12]}"
        cited = self.anchor(d.item, d.cite, label)
        if cited is None or not self.numbers_ok(d.item, cited, label):
            return None
        return ProblemItem(item=to_simplified(d.item), citations=self.finish(cited))

    def news(self, d: NewsDraft) -> NewsItem | None:
        label = f"news {d.event[:12]}"
        cited = self.anchor(d.event + "".join(d.decisions), d.cite, label)
        if cited is None or not self.numbers_ok(d.event, cited, label):
            return None
        return NewsItem(event=to_simplified(d.event), time=self.verbatim(d.time, label),
                        place=self.verbatim(d.place, label),
                        participants=[p for p in (self.verbatim(x, label) for x in d.participants) if p],
                        decisions=self.figures(d.decisions, cited, label), citations=self.finish(cited))

    def custom(self, value: Any) -> list[str]:
        """Figures in any string of a custom-schema output that the document does not contain."""
        bad = []
        for text in _strings(value):
            bad += [f.text for f in figures_in(text) if self.locate(f, []) is None]
        return bad


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def dedupe(items: Iterable[Any], key: Callable[[Any], str]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for item in items:
        k = compact(key(item))
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


# --- one document -------------------------------------------------------------------------------------

