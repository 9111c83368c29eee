"""Terminal rendering of passages and answers (rich)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from rag.normalize import to_simplified
from rag.types import Hit

if TYPE_CHECKING:
    from rag.answer import AnswerResult
    from rag.quotes import Quote

_STATUS_STYLE = {"verified": "green", "corrected": "yellow", "flagged": "red", "dropped": "red strike", "note": "dim"}


def highlight(text: str, terms: list[str]) -> Text:
    """Original text with the query terms highlighted; matching runs on the simplified form, which has
    the same length as the original for OpenCC character conversion."""
    out = Text(text)
    simple = to_simplified(text)
    if len(simple) != len(text):
        simple = text
    for term in sorted({t for t in terms if len(t) >= 2 or not t.isascii()}, key=len, reverse=True):
        for m in re.finditer(re.escape(term), simple):
            out.stylize("bold yellow", m.start(), m.end())
    return out


def print_hits(console: Console, hits: list[Hit], terms: list[str]) -> None:
    for hit in hits:
        c = hit.chunk
        head = f"#{hit.rank}  {c.source}  [{c.kind}]  score {hit.score:.4f}"
        if c.section:
            head += f"\n{c.section}"
        console.print(Panel(highlight(c.text, terms), title=head, title_align="left", expand=True))


DRAFT_LABEL = "草稿（核对中，尚未核实）："
SEARCHING = "检索资料…"
READING = "阅读资料，生成中…"


class DraftView:
    """What the terminal shows while an answer is worked on: first the passages' best sentences
    (kept), then a status line, then the model's draft, dim, after a label saying it is not yet
    checked — the status and the draft are erased when the answer is done, so that only the checked
    answer (with its marks) stays on screen. (No live-refresh thread: it floods a slow terminal and,
    in a pseudo-terminal, kept Ctrl-C from stopping the answer.)"""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.out = console.file
        self.shown: list[str] = []  # what is on screen below the evidence, to erase
        self.drafting = False

    def status(self, line: str) -> None:
        self.out.write(f"\r\x1b[K\x1b[2m{line}\x1b[0m")
        self.out.flush()
        self.shown = [line]

    def evidence(self, quotes: list[Quote]) -> None:
        self.out.write("\r\x1b[K")  # the search status gives way to the evidence
        self.shown = []
        if quotes:
            self.console.print("资料摘句（原文）：", style="dim", highlight=False)
            for q in quotes:
                line = Text(f"[{q.n}] ", style="bold")
                line.append(_figures_bold(q.text))
                line.append(f"  — {_short(q.title) or q.source}{' · ' + q.section if q.section else ''}", style="dim")
                self.console.print(line)
        self.status(READING)

    def token(self, piece: str) -> None:
        if not self.drafting:
            self.out.write("\r\x1b[K\x1b[2m" + DRAFT_LABEL)  # the status line gives way to the draft
            self.shown = [DRAFT_LABEL]
            self.drafting = True
        self.shown.append(piece)
        self.out.write(piece)
        self.out.flush()

    def erase(self) -> None:
        from rich.cells import cell_len

        if not self.shown:
            return
        width = max(self.console.width, 1)
        rows = sum(max(1, -(-cell_len(line) // width)) for line in "".join(self.shown).split("\n"))
        self.out.write("\x1b[0m\r" + (f"\x1b[{rows - 1}A" if rows > 1 else "") + "\x1b[J")
        self.out.flush()
        self.shown = []


def _short(title: str, limit: int = 30) -> str:
    return title if len(title) <= limit else title[:limit] + "…"


def _figures_bold(text: str) -> Text:
    out = Text(text)
    for m in re.finditer(r"\d+(?:[.,]\d+)*\s*(?:%|万|亿)?", text):
        out.stylize("bold", m.start(), m.end())
    return out


@contextlib.contextmanager
def draft_view(console: Console) -> Iterator[DraftView | None]:
    """A :class:`DraftView` for the answer being worked on; None when not in a terminal (nothing
    streams then)."""
    if not console.is_terminal:
        yield None
        return
    view = DraftView(console)
    view.status(SEARCHING)
    try:
        yield view
    finally:
        view.erase()


def print_answer(console: Console, result: AnswerResult) -> None:
    v = result.verification
    if result.refused:
        console.print(Panel(Text(result.answer), title="未找到答案 (refused)", border_style="yellow"))
        if result.hits:
            console.print("closest passages:")
            _sources_table(console, result, list(range(1, len(result.hits) + 1)))
    else:
        title = f"answer — {v.outcome if v else 'unverified'}"
        style = _STATUS_STYLE.get(v.outcome if v else "flagged", "white")
        body = Text()
        if v is not None:
            for s in v.sentences:
                if s.text.strip():
                    body.append(s.text, style="strike dim" if s.status == "dropped" else
                                "bold red" if s.status == "flagged" else None)
        else:
            body.append(result.answer)
        console.print(Panel(body, title=title, border_style=style))
        _sources_table(console, result, result.cited)
        if v is not None:
            for s in v.sentences:
                if s.status != "verified" and s.text.strip():
                    console.print(f"[{_STATUS_STYLE[s.status]}]{s.status}[/]: {'; '.join(s.notes)}",
                                  highlight=False)
    for w in result.warnings:
        console.print(f"[yellow]warning[/] {w}", highlight=False)
    t = result.timings
    console.print(" ".join(f"{k} {v:.2f}s" for k, v in t.items()), style="dim", highlight=False)


def _sources_table(console: Console, result: AnswerResult, numbers: list[int]) -> None:
    table = Table(show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("source")
    table.add_column("section", overflow="fold")
    table.add_column("passage", overflow="fold")
    from rag.prompting import focus, overlap_score

    for n in numbers:
        if 1 <= n <= len(result.hits):
            c = result.hits[n - 1].chunk
            snippet = focus([c.text], overlap_score(result.answer if not result.refused else result.question), 160)[0]
            table.add_row(str(n), f"{c.named_title}\n{c.source}" if c.named_title else c.source, c.section or "-", snippet)
    console.print(table)
