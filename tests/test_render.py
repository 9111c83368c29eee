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


def test_an_answer_with_a_note_is_printed_with_the_note(seeded_app) -> None:  # type: ignore[no-untyped-def]
    """A sentence the checker keeps as a note (here: one that announces a list) is listed under the
    answer like any sentence that is not plainly verified; it once crashed `rag ask` and `rag chat`."""
    from rag.answer import answer_question
    from rag.render import print_answer
    from tests.conftest import FakeLLM

    llm = FakeLLM("全年完成2346宗劳资纠纷调处工作[1]。具体情况如下：")
    r = answer_question("2019年龙岗区全年完成了多少宗劳资纠纷调处工作？", seeded_app.retriever, llm, seeded_app.settings)
    assert r.verification is not None
    assert [s.status for s in r.verification.sentences if s.text.strip()] == ["verified", "note"]
    buf = io.StringIO()
    print_answer(Console(file=buf, width=250), r)
    out = buf.getvalue()
    assert "全年完成2346宗劳资纠纷调处工作[1]。" in out and "note: introduces what follows" in out
    # the sources table names the document by its title as well as its file
    [cited] = r.cited_chunks()
    assert cited[1].title and cited[1].title in out and cited[1].source in out


def test_evidence_names_a_document_by_its_title_not_its_hashed_file_name() -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=200)
    title = "沈阳市人民政府办公室关于印发沈阳市保障防控新冠肺炎疫情一线医务人员及其家属若干措施的通知"
    with draft_view(console) as view:
        assert view is not None
        view.evidence([Quote(1, "e14e6349e7583c1fbdc68973406bc4fa.txt", "五、待遇保障方面",
                             "对一线医务人员按照一类补助标准给予临时性工作补助。", 0.9, title),
                       Quote(2, "001.txt", "", "全年完成2346宗劳资纠纷调处工作。", 0.8)])
    out = buf.getvalue()
    assert f"— {title[:30]}… · 五、待遇保障方面" in out and "e14e6349" not in out
    assert "— 001.txt" in out  # a document without a title of its own is named by its file
