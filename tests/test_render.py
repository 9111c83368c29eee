"""What the terminal shows while an answer is worked on, in order, and that it is erased after."""

from __future__ import annotations

import io

from rich.console import Console

from rag.quotes import Quote
from rag.render import DRAFT_LABEL, READING, SEARCHING, draft_view


def test_search_status_then_evidence_then_reading_then_draft_then_erased() -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=80)
    with draft_view(console) as view:
        assert view is not None
        view.evidence([Quote(1, "001.txt", "一、工作", "全年完成2346宗劳资纠纷调处工作。", 0.9)])
        view.token("全年完成")
        view.token("2346宗[1]。")
    out = buf.getvalue()
    order = [out.index(s) for s in (SEARCHING, "资料摘句", "2346", READING, DRAFT_LABEL, "全年完成2346宗[1]。")]
    assert order == sorted(order)
    assert out.index("\r\x1b[K", out.index(SEARCHING)) < out.index("资料摘句")  # the status line is cleared
    assert out.endswith("\x1b[J")  # status and draft erased; the evidence stays above


def test_nothing_is_drawn_when_not_a_terminal() -> None:
    buf = io.StringIO()
    with draft_view(Console(file=buf, force_terminal=False)) as view:
        assert view is None
    assert buf.getvalue() == ""
