"""A question that asks what parts a section has gets the section's outline as one more passage."""

from __future__ import annotations

from rag.outline import with_outline
from rag.prompting import prompt_passages
from rag.settings import GenerationSettings
from rag.types import ChunkRecord, Hit, QuestionTerms
from rag.verify import verify_answer

PLAN = "三、2020年工作思路"
REVIEW = "一、2019年主要工作完成情况"
SECTIONS = [
    "",
    f"{REVIEW} > （一）坚持党建带动引领，全面夯实组织阵地建设",
    f"{REVIEW} > （二）坚持预防处置相结合，努力维护职工合法权益",
    PLAN,
    f"{PLAN} > （一）不断夯实基层组织建设基础",
    f"{PLAN} > （一）不断夯实基层组织建设基础 > 三是深入探索“智慧工建”模式",
    f"{PLAN} > （二）推动职工深度参与基层社会治理 > 三是发挥职工主体作用",  # (二) has no text of its own here
    f"{PLAN} > （三）切实抓好职工维权维稳工作",
    f"{PLAN} > （三）切实抓好职工维权维稳工作",
    f"{PLAN} > （四）有效改善职工服务精准度及覆盖面",
]
TERMS = QuestionTerms({"龙岗区": 1.0, "总工会": 1.0, "工作": 0.5, "思路": 1.5, "维权": 2.0, "维稳": 2.0})


def _chunks() -> list[ChunkRecord]:
    return [ChunkRecord(i, "d", i, f"正文{i}。", f"正文{i}。", s, "plan", "lg.txt", "龙岗区总工会2019年工作总结及2020年工作思路",
                        "2020-01-20", "k", "深龙工〔2020〕8号") for i, s in enumerate(SECTIONS)]


def _hits(*ordinals: int) -> list[Hit]:
    chunks = _chunks()
    return [Hit(n, chunks[i], 1.0 / n) for n, i in enumerate(ordinals, 1)]


def test_the_outline_of_the_section_asked_heads_its_documents_passages() -> None:
    hits = _hits(5, 1, 9)
    out = with_outline("龙岗区总工会2020年工作思路包括哪几个方面？", hits, TERMS, lambda doc_id: _chunks(), lambda doc_id: None)
    assert [h.rank for h in out] == [1, 2, 3, 4]
    assert out[0].chunk.is_outline and out[1:] == [*(Hit(n, h.chunk, h.score) for n, h in enumerate(hits, 2))]
    outline = out[0].chunk
    # every part a heading of its own, (二) from its sub-part's path; no "三是…" of a text
    assert outline.text == (f"{PLAN}：（一）不断夯实基层组织建设基础；（二）推动职工深度参与基层社会治理；"
                            "（三）切实抓好职工维权维稳工作；（四）有效改善职工服务精准度及覆盖面。")
    assert (outline.section, outline.doc_id, outline.doc_number) == (PLAN, "d", "深龙工〔2020〕8号")
    assert {k: out[0].as_dict()[k] for k in ("chunk_id", "outline")} == {"chunk_id": -1, "outline": True}
    assert out[1].as_dict()["outline"] is False
    # shown whole, though the passages share 40 characters
    shown = prompt_passages(out, lambda s: 0.0, GenerationSettings(context_chars=40))
    assert shown[0].text == outline.text and len(shown[1].text) < len(_chunks()[5].text) + 3


def test_no_outline_when_the_question_names_a_part_or_asks_no_parts_or_another_years_section() -> None:
    hits = _hits(5, 7, 1)
    chunks = lambda doc_id: _chunks()  # noqa: E731
    # "（三）…维权维稳工作" holds the question best and has no parts of its own: not the plan's outline
    assert with_outline("龙岗区总工会2020年维权维稳工作包括哪几项工作？", hits, TERMS, chunks, lambda doc_id: None) == hits
    assert with_outline("龙岗区总工会2020年工作思路是什么？", hits, TERMS, chunks, lambda doc_id: None) == hits
    # asked about 2021, the heading naming 2020 is not the section asked
    assert with_outline("龙岗区总工会2021年工作思路包括哪几个方面？", hits, TERMS, chunks, lambda doc_id: None) == hits


def test_a_part_cited_to_another_years_section_is_recited_to_the_outline() -> None:
    """The model lists the plan's parts from the outline but cites a 2019 passage for one: the claim
    is re-cited to the outline of the 2020 section, not marked as speaking of 2019."""
    from rag.evidence import Evidence

    title = "深圳市龙岗区总工会2019年工作总结及2020年工作思路"
    outline = Evidence(f"{PLAN}：（一）不断夯实基层组织建设基础；（二）推动职工深度参与基层社会治理。", title, section=PLAN)
    review = Evidence("修订并完善6份核心制度文件，推动职工深度参与社会治理。", title, section=f"{REVIEW} > （二）坚持预防处置相结合")
    v = verify_answer("2020年工作思路包括：不断夯实基层组织建设基础[1]；推动职工深度参与基层社会治理[2]。", [outline, review],
                      "龙岗区总工会2020年工作思路包括哪几个方面？")
    assert [(s.status, s.citations, s.notes) for s in v.sentences] == [
        ("verified", [1], []),
        ("corrected", [1], ["re-cited to [1], whose section is about the year asked; [2] removed: about 2019年"])]
    # with no passage of 2020 to hold it, the claim is marked
    v = verify_answer("推动职工深度参与基层社会治理[1]。", [review], "龙岗区总工会2020年工作思路包括哪几个方面？")
    assert [(s.status, s.reasons) for s in v.sentences] == [("flagged", ["year"])]


def test_a_reports_part_is_outlined_by_its_areas_written_inline() -> None:
    """A national report writes its tasks as "（一）大力提振消费…。" opening a paragraph: no heading
    line, so the passages' section is the part; the report's structure reads the areas."""
    part = "三、2025年政府工作任务"
    text = (f"2025年政府工作报告\n一、2024年工作回顾\n过去一年，经济运行总体平稳。\n{part}\n"
            "（一）大力提振消费、提高投资效益，全方位扩大国内需求。促进消费和投资更好结合。\n"
            "（二）因地制宜发展新质生产力，加快建设现代化产业体系。推动科技创新和产业创新融合发展。\n"
            "（三）深入实施科教兴国战略，提升国家创新体系整体效能。一是建设高质量教育体系。\n")
    chunks = [ChunkRecord(i, "g", i, body, body, section, "plan", "gov.txt", "2025年政府工作报告", None, "k")
              for i, (section, body) in enumerate([("一、2024年工作回顾", "过去一年，经济运行总体平稳。"),
                                                   (part, "（一）大力提振消费、提高投资效益。"),
                                                   (part, "（三）深入实施科教兴国战略。")])]
    hits = [Hit(1, chunks[2], 1.0), Hit(2, chunks[1], 0.5)]
    terms = QuestionTerms({"政府": 1.0, "工作": 0.5, "任务": 1.5})
    out = with_outline("2025年政府工作任务包括哪几个方面？", hits, terms, lambda d: chunks, lambda d: text)
    assert out[0].chunk.is_outline and out[0].chunk.text == (
        f"{part}：（一）大力提振消费、提高投资效益，全方位扩大国内需求；（二）因地制宜发展新质生产力，加快建设现代化产业体系；"
        "（三）深入实施科教兴国战略，提升国家创新体系整体效能。")
    assert [h.chunk.id for h in out] == [-1, 2, 1]


def test_an_outline_states_how_many_parts_it_lists() -> None:
    """"四个方面" is backed by an outline of four parts, re-cited to it; "十二个方面" is in no passage."""
    from rag.answer import evidence_of
    from rag.outline import parts_listed

    out = with_outline("龙岗区总工会2020年工作思路包括哪几个方面？", _hits(5, 1), TERMS, lambda d: _chunks(), lambda d: None)
    assert [parts_listed(h.chunk) for h in out] == [4, 0, 0]
    evidence = [evidence_of(h.chunk) for h in out]
    question = "龙岗区总工会2020年工作思路包括哪几个方面？"
    v = verify_answer("2020年工作思路包括四个方面：不断夯实基层组织建设基础[2]。", evidence, question)
    assert [(s.status, s.citations) for s in v.sentences] == [("corrected", [1, 2])]
    assert v.sentences[0].notes[0] == "re-cited to [1], which lists 四个"
    v = verify_answer("2020年工作思路包括十二个方面[1]。", evidence, question)
    assert [(s.status, s.notes) for s in v.sentences] == [("flagged", ["十二个 is in no passage"])]


def test_a_line_copied_from_another_years_section_is_not_recited_to_a_passage_that_shares_its_words() -> None:
    """Asked about 2019, a line of the 2020 plan stays marked: a 2019 passage that shares some of
    its words holds it less well than the 2020 passage it was copied from."""
    from rag.evidence import Evidence

    title = "深圳市龙岗区总工会2019年工作总结及2020年工作思路"
    plan = Evidence("全面加强工会干部队伍自身建设，继续抓好工会系统党建工作。", title,
                    section=f"{PLAN} > （六）全面加强工会干部队伍自身建设")
    review = Evidence("回顾2019年，区总工会加强工会干部队伍建设，抓好机关党建工作。", title, section=REVIEW)
    v = verify_answer("龙岗区总工会2019年工作包括全面加强工会干部队伍自身建设，继续抓好工会系统党建工作[1]。", [plan, review],
                      "龙岗区总工会2019年工作包括哪几个方面？")
    assert [(s.status, s.citations, s.reasons) for s in v.sentences] == [("flagged", [1], ["year"])]
