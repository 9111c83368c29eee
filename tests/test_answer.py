"""The answer pipeline's wiring, with a fake LLM: gate, prompt, budget, verification, refusal."""

from __future__ import annotations

import re

import pytest

from rag.answer import QuestionError, answer_question, clean_question
from rag.app import App
from rag.prompting import PromptPassage, build_qa_prompt, refusal_text
from rag.settings import Settings
from tests.conftest import FakeLLM


def test_cited_answer_with_verified_numbers(seeded_app: App) -> None:
    def reply(messages):  # type: ignore[no-untyped-def]
        user = messages[-1]["content"]
        n = next(i for i in range(1, 6) if f"[{i}]" in user and "2346" in user.split(f"[{i}]")[1][:900])
        return f"全年完成2346宗劳资纠纷调处工作，为职工争取各类经济利益1.8亿元[{n}]。"

    seeded_app.use_llm(FakeLLM(reply))
    streamed: list[str] = []
    r = answer_question("2019年龙岗区全年完成了多少宗劳资纠纷调处工作？", seeded_app.retriever, seeded_app.llm, seeded_app.settings, on_token=streamed.append)
    assert not r.refused
    assert "".join(streamed).startswith("全年完成2346宗")
    assert r.verification is not None and r.verification.outcome == "verified"
    [cit] = r.citations()
    assert cit["source"] == "001_db1d55a4d02b970e.txt" and "2346" in cit["text"]
    d = r.as_dict()
    assert set(d) >= {"question", "answer", "refused", "citations", "warnings", "timings"}


def every_passage(app: App) -> Settings:
    return app.settings.model_copy(update={"generation": app.settings.generation.model_copy(
        update={"passage_floor": 0.0})})


def test_prompt_carries_numbered_passages_and_refusal_wording(seeded_app: App) -> None:
    llm = FakeLLM("资料中未找到相关内容。")
    seeded_app.use_llm(llm)
    answer_question("罗湖区产业工人队伍建设改革会议由谁主持？", seeded_app.retriever, seeded_app.llm, every_passage(seeded_app))
    system, user = llm.sent[0][0]["content"], llm.sent[0][-1]["content"]
    assert refusal_text() in system and "[1]" in user and "[5]" in user


def test_passages_far_from_the_question_are_not_shown(seeded_app: App) -> None:
    """Only the passages holding at least ``passage_floor`` of what the best one holds of the question
    reach the prompt, numbered from 1, and the result's hits are those passages."""
    from rag.answer import question_terms
    from rag.terms import passage_context

    question = "罗湖区产业工人队伍建设改革会议由谁主持？"
    search = seeded_app.retriever.search(question)
    terms = question_terms(seeded_app.retriever, search.query_tokens)
    cover = [terms.coverage(passage_context(h.chunk)) for h in search.hits]
    expected = [h.chunk.id for h, c in zip(search.hits, cover, strict=True) if c >= 0.7 * max(cover)]
    assert 1 <= len(expected) < len(search.hits)
    llm = FakeLLM("资料中未找到相关内容。")
    r = answer_question(question, seeded_app.retriever, llm, seeded_app.settings)
    assert [h.chunk.id for h in r.hits] == expected and [h.rank for h in r.hits] == list(range(1, len(expected) + 1))
    user = llm.sent[0][-1]["content"]
    assert f"[{len(expected)}]" in user and f"[{len(expected) + 1}]" not in user


def test_passages_are_headed_by_their_document_and_its_number(seeded_app: App) -> None:
    """A 文号 question is answered from the heading line, and the checker accepts its figures."""
    def reply(messages):  # type: ignore[no-untyped-def]
        user = messages[-1]["content"]
        n = next(i for i in range(1, 6) if f"[{i}] 《深圳市龙岗区总工会" in user)
        return f"发文字号是深龙工〔2020〕8号[{n}]。"

    seeded_app.use_llm(FakeLLM(reply))
    r = answer_question("龙岗区总工会2019年工作总结及2020年工作思路的发文字号是什么？", seeded_app.retriever, seeded_app.llm, seeded_app.settings)
    user = seeded_app.llm.sent[0][-1]["content"]
    assert "《深圳市龙岗区总工会2019年工作总结及2020年工作思路》（深龙工〔2020〕8号）" in user
    assert "《004_54b52c534d77a648》" not in user  # a file name is no title
    assert not r.refused and r.verification is not None and r.verification.outcome == "verified"
    assert "8号" in r.answer


def test_model_refusal_is_reported(seeded_app: App) -> None:
    seeded_app.use_llm(FakeLLM("资料中未找到相关内容。"))
    r = answer_question("罗湖区总工会主席是谁？", seeded_app.retriever, seeded_app.llm, seeded_app.settings)
    assert r.refused and r.answer == refusal_text() and r.hits


def test_question_about_absent_year_refused_before_generation(seeded_app: App) -> None:
    llm = FakeLLM("百人以上企业建会率达98.9%[1]。")
    seeded_app.use_llm(llm)
    r = answer_question("2031年龙岗区百人以上企业建会率是多少？", seeded_app.retriever, seeded_app.llm, seeded_app.settings)
    assert r.refused and not llm.sent
    assert any("2031" in w for w in r.warnings)


def test_invented_answer_becomes_refusal(seeded_app: App) -> None:
    seeded_app.use_llm(FakeLLM("罗湖区工会经费预算为987654321元[1]。"))
    r = answer_question("罗湖区产业工人队伍建设改革领导小组会议在哪里召开？", seeded_app.retriever, seeded_app.llm, seeded_app.settings)
    assert r.refused
    assert any("987654321" in w for w in r.warnings)


def test_english_drift_regenerated(seeded_app: App) -> None:
    replies = iter(["The meeting was held in Room 7 of the district committee [1].",
                    "会议在罗湖区委7楼会议室召开[1]。"])
    seeded_app.use_llm(FakeLLM(lambda m: next(replies)))
    r = answer_question("罗湖区推进产业工人队伍建设改革领导小组工作会议在什么地点召开？", seeded_app.retriever, seeded_app.llm, seeded_app.settings)
    assert not r.refused and "7楼会议室" in r.answer
    assert any("English" in w for w in r.warnings)


@pytest.mark.parametrize("q", ["", "   ", "🎉🎉🎉", "？？？"])
def test_empty_or_symbol_questions_rejected(q: str) -> None:
    with pytest.raises(QuestionError):
        clean_question(q)


def test_huge_question_trimmed(seeded_app: App) -> None:
    seeded_app.use_llm(FakeLLM("资料中未找到相关内容。"))
    r = answer_question("龙岗区" * 5000, seeded_app.retriever, seeded_app.llm, seeded_app.settings)
    assert any("question cut" in w for w in r.warnings)


def test_prompt_budget_drops_and_trims_passages() -> None:
    passages = [PromptPassage(i, "s.txt", "", "内容" * 300) for i in range(1, 6)]
    built = build_qa_prompt("问题？", passages, len, budget=1500)
    assert built.tokens <= 1500
    assert built.dropped >= 1 and built.trimmed == 1
    assert [p.n for p in built.passages] == list(range(1, len(built.passages) + 1))


def test_focus_shares_one_budget_and_keeps_every_passage_s_best_sentence() -> None:
    from rag.prompting import focus, overlap_score

    texts = ["第一句讲天气很好。全年完成2346宗劳资纠纷调处工作。为职工争取经济利益1.8亿元。第四句讲别的事情很长很长很长。",
             "另一段的开头无关。培训职工3600人次。"]
    score = overlap_score("全年完成了多少宗劳资纠纷调处工作？")
    # the best sentence with the one after it, then the second text's best (its first: none scores)
    assert focus(texts, score, 45) == ["…全年完成2346宗劳资纠纷调处工作。为职工争取经济利益1.8亿元。…", "另一段的开头无关。…"]
    assert focus(texts, score, 45, neighbours=0) == ["…全年完成2346宗劳资纠纷调处工作。…", "另一段的开头无关。…"]
    assert focus(texts, score, 0) == texts
    assert focus(texts, score, 1000) == texts


def test_focus_cuts_a_long_sentence_after_commas_so_its_figure_clause_fits_alone() -> None:
    from rag.prompting import focus, overlap_score

    long = ("发挥工会组建专项工作领导小组机制优势，以向企业提供一对一竭诚服务为前提，实施分类指导，一企一策、梯次推进，"
            "通过定时蹲点沟通、推动解决企业实际困难、大力宣讲建会有关知识政策等方式，多角度合力攻坚重点企业建会工作，"
            "百人以上企业建会率达98.9%，超额完成95%的年度组建任务。")
    score = overlap_score("百人以上企业建会率达到多少？")
    assert focus([long, "另一段。"], score, 60, neighbours=0, piece_chars=200)[0] == long
    kept = focus([long, "另一段。"], score, 60, neighbours=0, piece_chars=80)
    assert kept[0] == "…大力宣讲建会有关知识政策等方式，多角度合力攻坚重点企业建会工作，百人以上企业建会率达98.9%，超额完成95%的年度组建任务。"


def test_evidence_comes_first_and_is_the_passages_own_sentence(seeded_app: App) -> None:
    events: list[str] = []
    seeded_app.use_llm(FakeLLM(lambda m: events.append("model") or "资料中未找到相关内容。"))
    quotes: list[object] = []

    def on_evidence(found: list[object]) -> None:
        events.append("evidence")
        quotes.extend(found)

    r = answer_question("2019年龙岗区全年完成了多少宗劳资纠纷调处工作？", seeded_app.retriever, seeded_app.llm,
                        seeded_app.settings, on_evidence=on_evidence)
    assert events == ["evidence", "model"]
    assert quotes == r.evidence and 1 <= len(r.evidence) <= 3
    best = r.evidence[0]
    # verbatim from the passage it is numbered after (the original's spaces around digits kept)
    assert best.text in r.hits[best.n - 1].chunk.text and "2346" in best.text
    assert r.as_dict()["evidence"][0]["n"] == best.n
    assert r.timings["evidence"] < r.timings["total"]


def test_titles_head_the_first_passage_of_each_document_and_echoed_headings_are_removed(seeded_app: App) -> None:
    def echo_heading(messages: list[dict[str, str]]) -> str:
        label = next(line for line in messages[-1]["content"].splitlines() if line.startswith("[1] "))
        return f"{label[4:]} > 全年完成2346宗劳资纠纷调处工作[1]。"

    llm = FakeLLM(echo_heading)
    r = answer_question("2019年龙岗区总工会全年完成了多少宗劳资纠纷调处工作？", seeded_app.retriever, llm,
                        every_passage(seeded_app))
    assert r.answer == "全年完成2346宗劳资纠纷调处工作[1]。"
    assert r.verification is not None and [s.status for s in r.verification.sentences if s.text.strip()] == ["verified"]
    labels = [line for line in llm.sent[0][-1]["content"].splitlines() if re.match(r"\[\d+\] ", line)]
    titled = [int(line[1:line.index("]")]) for line in labels if "《" in line]
    first_of_doc = sorted({h.chunk.doc_id: n for n, h in reversed(list(enumerate(r.hits, 1)))}.values())
    assert titled == first_of_doc and len(r.hits) > len(first_of_doc)


def test_passage_heading_settings_keep_their_old_meaning() -> None:
    from rag.settings import GenerationSettings

    assert GenerationSettings().passage_heading == "document"
    assert GenerationSettings(passage_heading=True).passage_heading == "passage"  # the old `true`
    assert GenerationSettings(passage_heading=False).passage_heading == "off"


def test_a_document_named_by_its_title_is_headed_by_it_and_one_named_by_a_hash_is_not() -> None:
    """Thirty-one provincial reports named "2025年甘肃省政府工作报告.docx": without the title the
    model cannot tell 甘肃's grain output from 湖南's."""
    from rag.prompting import passage_heading

    assert passage_heading("2025年甘肃省政府工作报告", None, "一、2024年工作回顾", "2025年甘肃省政府工作报告.docx") == (
        "《2025年甘肃省政府工作报告》 > 一、2024年工作回顾")
    assert passage_heading("001_db1d55a4d02b970e", None, "一、2024年工作回顾", "001_db1d55a4d02b970e.txt") == "一、2024年工作回顾"


def test_relevance_is_read_where_the_claim_comes_from() -> None:
    """A passage whose other sentences hold the question's words backs no answer copied from its
    one sentence about something else; the same passage backs the sentence that answers."""
    from rag.answer import RELEVANCE_THRESHOLD, answer_relevance
    from rag.types import ChunkRecord, Hit, QuestionTerms
    from rag.verify import verify_answer

    text = ("广州市商务局对电子商务企业、物流企业给予一定额度的资金扶持。扶持资金按企业配送量核定。"
            "各区商务部门负责组织申报。市商务局联合江南果菜市场成立了保障供应专班。专班确保大型连锁商超的蔬菜供应。"
            "专班每日调度货车保证配送。")
    chunk = ChunkRecord(1, "d", 0, text, text, "", "text", "gz.txt", "广州市商务局通知", None, "k")
    hits = [Hit(1, chunk, 1.0)]
    terms = QuestionTerms({"广州": 1.0, "商务局": 1.0, "电子商务": 2.0, "物流": 2.0, "扶持": 1.5})
    question = "广州市商务局对电子商务企业、物流企业给予什么扶持？"
    off = verify_answer("市商务局联合江南果菜市场成立了保障供应专班[1]。专班确保大型连锁商超的蔬菜供应[1]。", [text], question)
    on = verify_answer("广州市商务局对电子商务企业、物流企业给予一定额度的资金扶持[1]。", [text], question)
    assert [s.status for s in off.sentences] == ["verified", "verified"]
    assert answer_relevance(terms, off, hits) < RELEVANCE_THRESHOLD <= answer_relevance(terms, on, hits) == 1.0


def test_relevance_reads_the_matter_a_notice_names_once_in_its_opening() -> None:
    """A claim from a later section of a notice answers a question that names the notice's matter,
    stated in its opening only, when the claim's own sentences hold the question's sharpest word; a
    claim from another section that lacks that word (邮寄送达 for 复工顺序) is still no answer."""
    from rag.answer import RELEVANCE_THRESHOLD, answer_relevance
    from rag.types import ChunkRecord, Hit, QuestionTerms
    from rag.verify import verify_answer

    def hit(rank: int, ordinal: int, section: str, text: str) -> Hit:
        return Hit(rank, ChunkRecord(ordinal, "d", ordinal, text, text, section, "text", "n.txt", "通知", None, "k"), 1.0)

    opening = "在疫情防控期间对“国内企业在境外开办企业（金融企业除外）备案”事项的办理流程进行调整。复工顺序另行通知。"
    issuing = "按企业申请事项，符合条件的，分别颁发《企业境外投资（机构）证书》等。办理结果通过邮寄方式送达申请企业。"
    terms = QuestionTerms({"国内": 4.0, "开办": 5.8, "备案": 3.2, "金融": 2.4, "颁发": 6.1, "证书": 5.2})
    question = "国内企业在境外开办企业（金融企业除外）备案符合要求，将会被颁发哪些证书？"
    alone = verify_answer("符合条件的，将会被颁发《企业境外投资（机构）证书》等[1]。", [issuing], question)
    both = verify_answer("符合条件的，将会被颁发《企业境外投资（机构）证书》等[2]。", [opening, issuing], question)
    assert [s.status for s in alone.sentences] == [s.status for s in both.sentences] == ["verified"]
    shown = [hit(1, 0, "", opening), hit(2, 1, "三、颁证与送达", issuing)]
    assert answer_relevance(terms, alone, [hit(1, 1, "三、颁证与送达", issuing)]) < RELEVANCE_THRESHOLD
    assert answer_relevance(terms, both, shown) == 1.0
    # the question's sharpest word (顺序) is in the opening only: the claim about mailing stays unrelated
    order = QuestionTerms({"复工": 1.5, "顺序": 6.3, "备案": 3.2, "办理": 1.0})
    mailed = verify_answer("办理结果通过邮寄方式送达申请企业[2]。", [opening, issuing], "境外投资备案的复工顺序是什么？")
    assert [s.status for s in mailed.sentences] == ["verified"]
    assert answer_relevance(order, mailed, shown) == order.coverage("办理") < RELEVANCE_THRESHOLD


def test_relevance_reads_the_questions_content_words_only() -> None:
    """What the question is about decides relevance, not its function words (对于 为 有何), its place
    names (the entity check reads those) or jieba's guesses no stored passage holds (率有)."""
    from rag.answer import RELEVANCE_THRESHOLD, answer_relevance, content_terms
    from rag.types import ChunkRecord, Hit, QuestionTerms
    from rag.verify import verify_answer

    def relevance(question: str, weights: dict[str, float], text: str, draft: str) -> tuple[float, float]:
        chunk = ChunkRecord(1, "d", 0, text, text, "", "text", "n.txt", "通知", None, "k")
        terms = QuestionTerms(weights)
        v = verify_answer(draft, [text], question)
        assert [s.status for s in v.sentences] == ["verified"]
        kept = content_terms(terms, question, lambda t: t not in ("率有", "小区", "居民"))
        return answer_relevance(terms, v, [Hit(1, chunk, 1.0)]), answer_relevance(kept, v, [Hit(1, chunk, 1.0)])

    # a related notice of the same province, about another measure: no word of 小区居民 in it
    related = "江西省实行在职省级领导干部联点包干开发区疫情防控工作。各地要强化疫情防控责任落实，进一步压实属地责任。"
    before, after = relevance("江西省为进一步强化疫情防控对小区居民是怎样管理的？",
                              {"江西省": 1.5, "江西": 1.2, "进一步": 1.0, "一步": 1.0, "强化": 1.3, "疫情": 0.3,
                               "防控": 0.3, "小区": 2.0, "居民": 1.5, "管理": 0.8},
                              related, "江西省实行在职省级领导干部联点包干开发区疫情防控工作[1]。")
    assert before >= RELEVANCE_THRESHOLD > after
    # the answer, in a passage that lacks only the question's function words and jieba's guess
    answer = "重庆市网上申报税务的比例达到95%以上，纳税人可通过12366和办税服务厅反映意见。"
    before, after = relevance("重庆市网上申报税务率有多少？",
                              {"重庆市": 1.0, "重庆": 1.0, "网上": 1.0, "申报": 1.0, "税务": 1.0, "率有": 6.0},
                              answer, "重庆市网上申报税务的比例达到95%以上[1]。")
    assert before < RELEVANCE_THRESHOLD and after == 1.0
    # the words that frame what is asked (做了哪些相应政策, 有什么问题出现) are rare in notices, so weighty, yet
    # no passage holds them: the answer, word for word, is about 捐赠物资 and 复工
    customs = "上海海关还联合上海市红十字联合会、市民政局，在浦东国际机场设立工作点，为捐赠物资的政策咨询、手续办理等提供一站式解决方案。"
    before, after = relevance("上海海关为捐赠物资做了哪些相应政策？",
                              {"捐赠": 2.58, "相应": 3.38, "政策": 1.11, "做": 3.39, "物资": 1.41}, customs,
                              "上海海关在浦东国际机场设立工作点，为捐赠物资的政策咨询、手续办理等提供一站式解决方案[1]。")
    assert before < RELEVANCE_THRESHOLD and after == 1.0
    sichuan = "目前，随着企业复工复产返岗人员大幅增加，交通检疫检测点撤销后人流物流加快，依然存在疫情防控反弹的风险。"
    before, after = relevance("四川省随着企业复工复产有什么问题出现？",
                              {"问题": 1.74, "复工": 1.52, "出现": 2.82, "企业": 0.76}, sichuan,
                              "随着企业复工复产返岗人员大幅增加，依然存在疫情防控反弹的风险[1]。")
    assert before < RELEVANCE_THRESHOLD <= after == pytest.approx((1.52 + 0.76) / (1.74 + 1.52 + 0.76))
    # a figure's stage (预期目标) is read by the stage check, from the report's section and wording: an item
    # of the target list whose lead sentence is in another passage still answers "…预期目标是多少？"
    grain = "国际收支保持基本平衡；粮食产量1.4万亿斤左右；单位国内生产总值能耗降低3%左右。"
    weights = {"粮食产量": 4.4, "粮食": 2.56, "产量": 3.01, "预期": 3.38, "目标": 2.12}
    before, after = relevance("粮食产量预期目标是多少？", weights, grain, "粮食产量1.4万亿斤左右[1]。")
    assert before < RELEVANCE_THRESHOLD and after == 1.0
    # asked for the target's wording, not a figure, the words stay
    before, after = relevance("粮食产量的预期目标怎样表述？", weights, grain, "粮食产量1.4万亿斤左右[1]。")
    assert before == after < RELEVANCE_THRESHOLD


def test_quoted_terms_are_what_the_question_quotes() -> None:
    from rag.terms import quoted_terms

    assert quoted_terms("内江市要求企业如何落实“ 日报告 ” 制度？") == ["日报告"]
    assert quoted_terms("宁波《关于促进企业复工复产的若干意见》和“八闽健康码”、「一企一策」") == [
        "关于促进企业复工复产的若干意见", "八闽健康码", "一企一策"]
    assert quoted_terms("“黨”的“工伤探视”") == ["工伤探视"]  # one character is no name; traditional compacted
    assert quoted_terms("龙岗区建会率达到多少？") == []
    # a designation of letters and digits names one model: 翼龙—2 is another drone
    assert quoted_terms("翼龙—2H应急救灾型无人机的最大续航时间是多少小时？") == ["2H"]
    assert quoted_terms("C919和5G，2024年GDP、GDP 2024、COVID-19、500km、长征-5B") == ["C919", "5B"]


def test_the_model_reads_traditional_text_simplified_and_the_user_sees_the_original(seeded_app: App) -> None:
    """The prompt carries the passage simplified, without pinyin and the spaces around it; the answer
    is checked and cited against the document's own traditional text."""
    def reply(messages):  # type: ignore[no-untyped-def]
        user = messages[-1]["content"]
        n = next(i for i in range(1, 6) if "在传化集团召开" in user.split(f"[{i}]")[1].split("\n\n")[0])
        return f"推进会于7月19-20日在传化集团召开[{n}]。"

    llm = FakeLLM(reply)
    r = answer_question("深化新时代浙江产业工人队伍建设改革工作推进会在哪里召开？", seeded_app.retriever, llm,
                        seeded_app.settings)
    user = llm.sent[0][-1]["content"]
    assert "傳" not in user and "產" not in user and "产业工人队伍建设改革" in user
    assert r.verification is not None and r.verification.outcome == "verified"
    [cit] = r.citations()
    assert cit["source"] == "003_480abb7d6411b3a0.txt" and "在傳化集團召開" in cit["text"]


def test_the_questions_figures_must_be_in_a_passage_behind_the_answer() -> None:
    from rag.answer import unstated_figures
    from rag.normalize import compact

    quarantine = "为有效切断疫情潜在传染链条，重庆已为密切接触者设置了95个集中隔离医学观察点。"
    rule = "参考其他冠状病毒所致疾病潜伏期，将密切接触者医学观察期定为14天。"
    assert unstated_figures("为什么要对密切接触者医学观察14天？", [compact(quarantine)]) == ["14天"]
    assert unstated_figures("为什么要对密切接触者医学观察14天？", [compact(quarantine), compact(rule)]) == []
    # years are the year checks' business; a range is mentioned by its two ends
    assert unstated_figures("2019年龙岗区25-99人的企业建会率是多少？", [compact("25人-99人企业建会率达到74.4%")]) == []
    assert unstated_figures("2020年1月25日晚上，湖南省下发的通知要求在机场做什么？", [compact("开展并强化体温检测。")]) == []


def judged(app: App, floor: float) -> Settings:
    return app.settings.model_copy(update={"generation": app.settings.generation.model_copy(
        update={"judge_floor": floor})})


ANSWER_2346 = "全年完成2346宗劳资纠纷调处工作[1]。"
QUESTION_2346 = "2019年龙岗区全年完成了多少宗劳资纠纷调处工作？"


def test_the_model_is_asked_whether_the_passages_answer_only_when_the_floor_is_set(seeded_app: App) -> None:
    off = FakeLLM(ANSWER_2346, yes=0.01)
    r = answer_question(QUESTION_2346, seeded_app.retriever, off, seeded_app.settings)
    assert off.asked == [] and r.answerable is None and not r.refused and "judge" not in r.timings

    on = FakeLLM(ANSWER_2346, yes=0.9)
    r = answer_question(QUESTION_2346, seeded_app.retriever, on, judged(seeded_app, 0.5))
    assert not r.refused and r.answerable == 0.9 and r.as_dict()["answerable"] == 0.9
    [asked] = on.asked
    # the question follows the prompt and the model's own draft, so only it is read anew
    assert asked[:-2] == on.sent[0]
    assert asked[-2] == {"role": "assistant", "content": ANSWER_2346}
    assert asked[-1]["role"] == "user" and f"“{QUESTION_2346}”" in asked[-1]["content"]


def test_an_answer_the_model_says_the_passages_do_not_give_is_a_refusal(seeded_app: App) -> None:
    r = answer_question(QUESTION_2346, seeded_app.retriever, FakeLLM(ANSWER_2346, yes=0.3), judged(seeded_app, 0.5))
    assert r.refused and r.answer == refusal_text() and r.cited == [] and r.answerable == 0.3
    assert any("the model said no (P(是) 0.30)" in w for w in r.warnings)
    # the checks ran first and passed: the draft's claim is verified, the refusal is the judge's
    assert r.verification is not None and r.verification.outcome == "verified"


def test_a_backend_without_logits_is_not_judged(seeded_app: App) -> None:
    r = answer_question(QUESTION_2346, seeded_app.retriever, FakeLLM(ANSWER_2346, yes=None), judged(seeded_app, 0.99))
    assert not r.refused and r.answerable is None


def test_an_answer_the_checks_refuse_is_not_judged(seeded_app: App) -> None:
    llm = FakeLLM("全年完成9999宗劳资纠纷调处工作[1]。", yes=0.99)
    r = answer_question(QUESTION_2346, seeded_app.retriever, llm, judged(seeded_app, 0.5))
    assert r.refused and llm.asked == [] and r.answerable is None


def test_another_provinces_report_silent_on_the_place_asked_is_not_shown() -> None:
    from rag.answer import shown_passages
    from rag.types import ChunkRecord, Hit, QuestionTerms

    def hit(n: int, title: str, text: str) -> Hit:
        return Hit(n, ChunkRecord(n, title, n, text, text, "一、2024年工作回顾", "other", f"{title}.docx", title, None, "k"),
                   1.0 / n)

    hunan = hit(1, "2025年湖南省政府工作报告", "粮食总产达615.6亿斤、创近5年新高。")
    gansu = hit(2, "2025年甘肃省政府工作报告", "粮食播种面积、单产、总产“三增长”，粮食产量259.2亿斤。")
    aid = hit(3, "2025年江苏省政府工作报告", "支援湖南抗洪，调运粮食1万吨。")
    national = hit(4, "2025年国务院政府工作报告", "全国粮食产量1.4万亿斤。")
    terms = QuestionTerms({"粮食": 1.0, "产量": 1.0})
    shown = shown_passages(terms, [hunan, gansu, aid, national], 0.1, asked_places=["湖南"])
    assert [h.chunk.title for h in shown] == ["2025年湖南省政府工作报告", "2025年江苏省政府工作报告", "2025年国务院政府工作报告"]
    assert [h.rank for h in shown] == [1, 2, 3]
    # with no place asked, or only other provinces' reports retrieved, nothing is left out for it
    assert len(shown_passages(terms, [hunan, gansu, aid, national], 0.1)) == 4
    assert len(shown_passages(terms, [gansu], 0.1, asked_places=["湖南"])) == 1


def test_a_company_is_no_place_asked() -> None:
    from rag.answer import asked_places

    assert asked_places("吉利集团工会总结的产改工作“四个坚持”是什么？") == []
    assert asked_places("湖南省2024年粮食产量是多少？") == ["湖南"]


def test_another_years_report_silent_on_the_year_asked_is_not_shown() -> None:
    from rag.answer import asked_years, shown_passages
    from rag.types import ChunkRecord, Hit, QuestionTerms

    def hit(n: int, title: str, section: str, text: str) -> Hit:
        return Hit(n, ChunkRecord(n, title, n, text, text, section, "other", f"{title}.txt", title, None, "k"), 1.0 / n)

    targets_2013 = hit(1, "2013年政府工作报告", "二、2013年工作总体部署", "今年发展的主要预期目标是：居民消费价格涨幅3.5%左右。")
    targets_2012 = hit(2, "2012年政府工作报告", "二、2012年主要任务", "今年发展的主要预期目标是：居民消费价格涨幅控制在4%左右。")
    review_2014 = hit(3, "2014年政府工作报告", "一、过去一年工作回顾", "居民消费价格涨幅控制在2.6%。")
    no_year = hit(4, "物价工作通知", "一、总体要求", "居民消费价格涨幅保持稳定。")
    terms = QuestionTerms({"居民消费价格": 1.0, "涨幅": 1.0})
    hits = [targets_2013, targets_2012, review_2014, no_year]
    assert asked_years("2013年居民消费价格涨幅目标是多少？") == {"2013"}
    shown = shown_passages(terms, hits, 0.1, asked_years={"2013"})
    # the 2014 report's review of the past year speaks of 2013; a document naming no year stays
    assert [h.chunk.title for h in shown] == ["2013年政府工作报告", "2014年政府工作报告", "物价工作通知"]
    assert [h.rank for h in shown] == [1, 2, 3]
    # no passage speaks of the year asked: nothing is left out for it; a date's year is no year asked
    assert len(shown_passages(terms, hits, 0.1, asked_years={"2019"})) == 4
    assert asked_years("2020年1月25日晚上，湖南省委办公厅下发了什么通知？") == set()


def test_a_section_headed_by_another_year_of_a_report_titled_with_both_is_not_shown() -> None:
    from rag.answer import shown_passages
    from rag.types import ChunkRecord, Hit, QuestionTerms

    title = "龙岗区总工会2019年工作总结及2020年工作思路"

    def hit(n: int, section: str, text: str) -> Hit:
        return Hit(n, ChunkRecord(n, "d", n, text, text, section, "other", f"{title}.txt", title, None, "k"), 1.0 / n)

    done_2019 = hit(1, "一、2019年主要工作完成情况", "主要工作：夯实组织阵地建设。")
    plan_2020 = hit(2, "二、2020年工作思路", "主要工作：不断夯实基层组织建设基础。")
    opening = hit(3, "", "现将主要工作印发给你们。")
    terms = QuestionTerms({"主要工作": 1.0})
    shown = shown_passages(terms, [done_2019, plan_2020, opening], 0.1, asked_years={"2020"})
    assert [h.chunk.section for h in shown] == ["二、2020年工作思路", ""]
    assert [h.chunk.section for h in shown_passages(terms, [done_2019, plan_2020, opening], 0.1,
                                                    asked_years={"2019"})] == ["一、2019年主要工作完成情况", ""]


def test_asked_a_years_result_its_own_reports_targets_are_not_shown_beside_its_review() -> None:
    from rag.answer import shown_passages
    from rag.types import ChunkRecord, Hit, QuestionTerms

    def hit(n: int, title: str, section: str, text: str) -> Hit:
        return Hit(n, ChunkRecord(n, title, n, text, text, section, "other", f"{title}.txt", title, None, "k"), 1.0 / n)

    targets = hit(1, "2023年政府工作报告", "二、对今年政府工作的建议", "今年发展主要预期目标是：城镇新增就业1200万人左右。")
    review = hit(2, "2024年政府工作报告", "一、2023年工作回顾", "城镇新增就业1244万人。")
    terms = QuestionTerms({"城镇新增就业": 1.0})
    assert [h.chunk.title for h in shown_passages(terms, [targets, review], 0.1, asked_years={"2023"},
                                                  result_asked=True)] == ["2024年政府工作报告"]
    # a target asked keeps them; with no review of the year found, the result's question keeps them too
    assert len(shown_passages(terms, [targets, review], 0.1, asked_years={"2023"})) == 2
    assert len(shown_passages(terms, [targets], 0.1, asked_years={"2023"}, result_asked=True)) == 1


def test_a_byline_with_the_place_and_year_asked_is_no_evidence() -> None:
    """A report's byline holds the question's place and year and nothing it asks: the evidence
    lines start with the target sentence (seen in `rag chat` on the provincial reports)."""
    from rag.quotes import best_quotes
    from rag.types import ChunkRecord, Hit, QuestionTerms

    text = ("——2025年1月19日在宁夏回族自治区第十三届人民代表大会第三次会议上\n宁夏回族自治区人民政府主席 张雨浦\n"
            "主要预期目标是：地区生产总值增长5.5%左右。")
    chunk = ChunkRecord(1, "d", 0, text, text, "", "text", "2025年宁夏政府工作报告.docx", "2025年宁夏政府工作报告", None, "k")
    terms = QuestionTerms({"宁夏回族自治区": 7.0, "宁夏": 3.3, "回族": 7.0, "自治区": 2.6, "2025": 0.5, "年": 0.1,
                           "生产总值": 2.9, "地区": 1.8, "增长": 1.2, "预期": 2.8, "目标": 1.5})
    quotes = best_quotes(terms, [Hit(1, chunk, 1.0)], "宁夏回族自治区2025年地区生产总值增长的预期目标是多少？")
    assert [q.text for q in quotes] == ["主要预期目标是：地区生产总值增长5.5%左右。"]
    # a question of nothing but a place and a year keeps them
    only = best_quotes(QuestionTerms({"宁夏": 3.3, "2025": 0.5}), [Hit(1, chunk, 1.0)], "宁夏2025年？")
    assert [q.text for q in only][:1] == ["——2025年1月19日在宁夏回族自治区第十三届人民代表大会第三次会议上"]


def test_a_compound_and_its_pieces_count_once() -> None:
    """The keyword index cuts 医护人员 into overlapping pieces (医护 护人 人员) besides the word: they
    weigh as the word once, so a passage naming 医护人员 but not 紧缺 does not cover most of the question."""
    from rag.types import QuestionTerms

    terms = QuestionTerms({"医护": 3.5, "护人": 3.8, "医护人员": 4.0, "人员": 1.0, "紧缺": 4.5, "措施": 1.0, "国家": 1.5})
    total = 4.0 + 4.5 + 1.0 + 1.5
    assert terms.coverage("国家调集医护人员，采取措施") == pytest.approx((4.0 + 1.0 + 1.5) / total)
    assert terms.coverage("医护人员紧缺国家措施") == 1.0
    assert terms.coverage("人员紧缺") == pytest.approx((4.0 * 1.0 / 12.3 + 4.5) / total)
    assert terms.coverage("其他") == 0.0
    assert QuestionTerms({}).coverage("任何") == 1.0


def test_the_documents_title_repeated_in_its_text_is_no_evidence() -> None:
    """A notice's text opens with its title (and the title of the report it sends): those lines hold
    every word of the question and say nothing the source line does not."""
    from rag.quotes import best_quotes
    from rag.types import ChunkRecord, Hit, QuestionTerms

    title = "关于印发《深圳市龙岗区总工会2019年工作总结及2020年工作思路》的通知"
    text = (f"{title}\n深圳市龙岗区总工会2019年工作总结及2020年工作思路\n"
            "三、2020年工作思路：（一）不断夯实基层组织建设基础；（二）推动职工深度参与基层社会治理。")
    chunk = ChunkRecord(1, "d", 0, text, text, "", "plan", "lg.txt", title, None, "k")
    terms = QuestionTerms({"龙岗区": 1.0, "总工会": 1.0, "工作": 0.5, "思路": 1.5})
    quotes = best_quotes(terms, [Hit(1, chunk, 1.0)], "龙岗区总工会2020年工作思路包括哪几个方面？")
    assert [q.text for q in quotes] == ["三、2020年工作思路：（一）不断夯实基层组织建设基础；"]


def test_relevance_reads_latin_letters_in_either_case_and_a_bare_name_where_the_story_is_told() -> None:
    """The keyword index's terms are lower-case ("2h" of 翼龙—2H); and a bare name the claim gives
    ("吴金学", in several sentences of a story) is read in the sentence told nearest the question."""
    from rag.answer import RELEVANCE_THRESHOLD, answer_relevance
    from rag.types import ChunkRecord, Hit, QuestionTerms
    from rag.verify import verify_answer

    assert QuestionTerms({"2h": 2.0, "续航": 1.0}).coverage("翼龙—2H最大续航时间可达20小时") == 1.0
    text = ("8月6日晚，落水获救家庭代表将锦旗送到了二级上士吴金学手中。被救者家庭为吴金学赠送锦旗。"
            "当天群众纷纷点赞。7月30日，一辆货车在两岔河坠入河中，武警战士吴金学跳水救出一家四口。")
    chunk = ChunkRecord(1, "d", 0, text, text, "", "text", "news-1", "news-1", None, "k")
    terms = QuestionTerms({"货车": 5.3, "武警": 5.5, "战士": 5.6, "跳水": 6.4, "救出": 5.7, "落水": 5.9})
    v = verify_answer("吴金学[1]", [text], "在两岔河跳水救出落水货车一家四口的武警战士叫什么？")
    assert [s.status for s in v.sentences] == ["verified"]
    assert answer_relevance(terms, v, [Hit(1, chunk, 1.0)]) >= RELEVANCE_THRESHOLD
    # the story told elsewhere in the article: the sentences naming him hold none of it
    other = ("8月6日晚，落水获救家庭代表将锦旗送到了二级上士吴金学手中。被救者家庭为吴金学赠送锦旗。"
             "当天群众纷纷点赞。")
    chunk = ChunkRecord(1, "d", 0, other, other, "", "text", "news-1", "news-1", None, "k")
    v = verify_answer("吴金学[1]", [other], "在两岔河跳水救出落水货车一家四口的武警战士叫什么？")
    assert answer_relevance(terms, v, [Hit(1, chunk, 1.0)]) < RELEVANCE_THRESHOLD


def test_a_count_asked_in_days_is_not_answered_by_a_month() -> None:
    from rag.verify import states_no_figure, verify_answer

    question = "姆巴佩说他多少天前就已表示要履行完与巴黎的合同？"
    month = verify_answer("姆巴佩说他9月份才表示要履行完与巴黎的合同[1]。", ["姆巴佩说他9月份才表示要履行完与巴黎的合同。"],
                          question)
    days = verify_answer("姆巴佩说他50天前就已表示要履行完与巴黎的合同[1]。", ["姆巴佩说，他50天前就已表示要履行完合同。"],
                         question)
    assert [s.status for s in month.sentences] == [s.status for s in days.sentences] == ["verified"]
    assert (states_no_figure(question, month), states_no_figure(question, days)) == (True, False)
    # a counter that is no unit of its own (枚) takes any count
    medals = verify_answer("日本队拿下了4枚金牌[1]。", ["柔道比赛首日，日本队拿下了4枚金牌。"], "日本队拿下了几枚金牌？")
    assert states_no_figure("日本队拿下了几枚金牌？", medals) is False
    # "几个人" counts people; students are no count of universities
    hired = verify_answer("党报招4名校对人员[1]。", ["党报招聘校对人员4名。"], "党报招几个人？")
    students = verify_answer("研习营有20名研究生参加[1]。", ["研习营有来自14所高校的20名研究生参加。"], "研习营有来自多少所高校的研究生参加？")
    assert (states_no_figure("党报招几个人？", hired), states_no_figure("研习营有来自多少所高校的研究生参加？", students)) == (
        False, True)


def test_a_question_on_a_model_no_passage_names_is_refused(fake_app: App, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """翼龙—2H asked, the store holding only 翼龙—2 and another drone's 续航时间超4小时: no passage speaks
    of the model asked, so nothing is generated; once its own story is in, its figure is answered."""
    from tests.conftest import ingest_paths

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("海燕号以翼龙—2无人机系统为基础，完成适应性改进，曾执行机动气象观测任务。", encoding="utf-8")
    (docs / "b.txt").write_text("美国测试了一种反无人机系统，该无人机巡航速度为111千米/小时，续航时间超4小时。", encoding="utf-8")
    ingest_paths(fake_app, [docs])
    question = "翼龙—2H应急救灾型无人机的最大续航时间是多少小时？"
    llm = FakeLLM("翼龙—2H应急救灾型无人机的最大续航时间超4小时[2]。")
    fake_app.use_llm(llm)
    r = answer_question(question, fake_app.retriever, fake_app.llm, fake_app.settings)
    assert r.refused and not llm.sent
    assert "refused before generation: the passages do not mention “2H”" in r.warnings
    # another variant of the model named in one story, the figure of another drone in the other
    (docs / "a.txt").write_text("海燕号以翼龙—2无人机系统为基础改进。翼龙—2H气象型无人机曾在祁连山开展人工增雨。", encoding="utf-8")
    ingest_paths(fake_app, [docs])
    llm = FakeLLM(lambda m: "翼龙—2H应急救灾型无人机的最大续航时间超4小时[{}]。".format(
        next(i for i in range(1, 6) if f"[{i}]" in m[-1]["content"] and "超4小时" in m[-1]["content"].split(f"[{i}]")[1][:200])))
    fake_app.use_llm(llm)
    r = answer_question(question, fake_app.retriever, fake_app.llm, every_passage(fake_app))  # both stories shown
    assert llm.sent and r.refused
    [s] = [s for s in r.verification.sentences if s.text.strip()]  # type: ignore[union-attr]
    assert s.status == "flagged" and "4小时 is stated in no document that names 2H" in s.notes, s.notes
    (docs / "c.txt").write_text("翼龙—2H应急救灾型无人机以150千米/小时速度巡航时，最大续航时间可达20小时。", encoding="utf-8")
    ingest_paths(fake_app, [docs])

    def reply(messages):  # type: ignore[no-untyped-def]
        user = messages[-1]["content"]
        n = next(i for i in range(1, 6) if f"[{i}]" in user and "20小时" in user.split(f"[{i}]")[1][:200])
        return f"翼龙—2H应急救灾型无人机的最大续航时间可达20小时[{n}]。"

    fake_app.use_llm(FakeLLM(reply))
    r = answer_question(question, fake_app.retriever, fake_app.llm, fake_app.settings)
    assert not r.refused, r.warnings
    assert r.verification is not None and r.verification.outcome == "verified"
