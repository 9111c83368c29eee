"""A place named in a claim, or asked in the question, must be one its passages speak of: not a place
people come from, not a district of the city a passage speaks of at large, and not named only in an
unrelated passage the claim was re-cited to."""

from rag.claims import mentions
from rag.verify import Evidence, verify_answer

TIANJIN_HOSPITAL = Evidence(
    "按照天津市卫健委要求，所有进入医院人员均须登记姓名、住址等信息。所有发热患者或有以下流行病学史，请您直接到发热门诊就医，"
    "请勿在医院其它区域停留：（1）发病前14天内有武汉市及周边地区，或其他有病例报告社区的旅行史或居住史；"
    "（2）发病前14天内曾接触过来自武汉市及周边地区的发热患者。", title="泰达医院部分门诊停诊，来就医请带好身份证！")
WUHAN_NOTICE = Evidence(
    "由全市各社区全面排查发热病人，对于需要到发热门诊的病人，各区统一安排车辆送达指定发热门诊就诊。",
    title="武汉市新型肺炎防控指挥部通告（第7号）")
BEIJING_INSURANCE = Evidence(
    "疫情防控期间内到达退休年龄需办理医疗保险在职转退休手续的人员，可延长至疫情解除后三个月内办理。",
    title="北京多部门出台疫情期间便民举措")
HOTLINE_STORY = Evidence(
    "在通州区玉桥南里南社区，一条200多米的小巷里排列着4个没有物业管理的老旧小区，出入口多，常有人穿行。",
    title="北京12345热线：疫情防控的“连心桥”")
TONGZHOU_NOTICE = Evidence(
    "疫情防控期间内到达退休年龄需办理医疗保险在职转退休手续的人员，可延长至疫情解除后三个月内办理。",
    title="北京市通州区医疗保障局关于疫情防控期间办理医保业务的通告")


def test_a_place_people_come_from_is_not_what_the_passage_speaks_of() -> None:
    assert not mentions(TIANJIN_HOSPITAL.text, "武汉")
    assert mentions(TIANJIN_HOSPITAL.text, "天津")
    assert not mentions("非武汉市户籍人员和武汉返乡人员", "武汉")
    assert mentions("组织开展督导检查，赴北京北铃专用汽车有限公司了解生产情况", "北京")  # where one goes is spoken of
    question = "武汉市内的发热患者如何就医？"
    wrong = verify_answer("武汉市内的发热患者应前往发热门诊就诊[1]。", [TIANJIN_HOSPITAL], question)
    assert [(s.status, s.reasons) for s in wrong.sentences] == [("flagged", ["entity"])]
    assert "⚠未核实（资料未提及武汉）" in wrong.answer and not wrong.supported
    # cited to the hospital's notice, the claim is re-cited to Wuhan's own, which says it
    both = verify_answer("武汉市内的发热患者应前往指定发热门诊就诊[1]。", [TIANJIN_HOSPITAL, WUHAN_NOTICE], question)
    assert [(s.status, s.citations) for s in both.sentences] == [("corrected", [1, 2])]


def test_a_district_asked_is_not_answered_by_its_city_at_large() -> None:
    question = "北京市通州区对于疫情防控期间到达退休年龄人员办理转退休手续是如何规定的？"
    claim = "疫情防控期间内到达退休年龄需办理医疗保险在职转退休手续的人员，可延长至疫情解除后三个月内办理[1]。"
    wrong = verify_answer(claim, [BEIJING_INSURANCE], question)
    assert [(s.status, s.reasons) for s in wrong.sentences] == [("flagged", ["entity"])]
    assert "（资料未提及通州）" in wrong.answer
    right = verify_answer(claim, [TONGZHOU_NOTICE], question)
    assert right.outcome == "verified"
    # asked of 北京 alone, the city's notice answers
    assert verify_answer(claim, [BEIJING_INSURANCE], "北京市对到达退休年龄人员办理转退休手续是如何规定的？").outcome == "verified"


def test_a_passage_that_only_names_the_place_backs_no_claim_about_it() -> None:
    """The 12345 hotline story names 通州, but says nothing of 转退休手续: the claim about 通州 stays
    unbacked, where a passage of the same document as the cited one would back it."""
    answer = "北京市通州区到达退休年龄需办理医疗保险在职转退休手续的人员，可延长至疫情解除后三个月内办理[1]。"
    wrong = verify_answer(answer, [BEIJING_INSURANCE, HOTLINE_STORY], "北京市通州区办理转退休手续有何规定？")
    assert [(s.status, s.citations) for s in wrong.sentences] == [("flagged", [1])]
    assert "（资料未提及通州）" in wrong.answer
    same_document = Evidence("通州区医保中心将做好疫情防控期间的各项业务办理。", title=BEIJING_INSURANCE.title)
    right = verify_answer(answer, [BEIJING_INSURANCE, same_document], "北京市通州区办理转退休手续有何规定？")
    assert [(s.status, s.citations) for s in right.sentences] == [("corrected", [1, 2])]


def test_a_passage_that_names_no_place_is_its_documents(fake_app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """北京's commerce notice says 北京 only on its later pages: its measures, copied to answer a
    question about 广州, are marked as 北京's, through the whole answer path; about 北京, they stand."""
    from pathlib import Path

    from rag.answer import answer_question
    from rag.places import home
    from rag.testing import FakeLLM, prompt_passages
    from tests.conftest import ingest_paths

    beijing = Path(__file__).parent / "data" / "ncp" / "356fb8b804d73c3bab18472c36e67a3f.txt"
    guangzhou = tmp_path / "guangzhou.txt"
    guangzhou.write_text("共克时艰，广州市产业园区在行动\n广州市产业园区积极响应政府号召，为园区企业减免租金，"
                         "利用园区公告栏向企业宣传最新疫情信息。广州市各园区做好返岗人员登记。", encoding="utf-8")
    assert home(beijing.read_text(encoding="utf-8")) == ("北京市",)
    assert home(guangzhou.read_text(encoding="utf-8")) == ("广东省",)
    assert home("湖北、广东、北京、上海各派出医疗队驰援武汉，湖北、广东、北京、上海的队员") == ()  # many provinces: no one's
    # 北京's guideline for restaurants asks after guests "离开湖北地区或者有过湖北地区人员接触史": not 湖北's
    assert home("对前14日内离开湖北地区或者有过湖北地区人员接触史的到京人员，离开湖北地区或者有过湖北地区人员接触史的") == ()
    ingest_paths(fake_app, [beijing, guangzhou])
    measure = "对疫情防控期间重点保障生活必需品的运输，积极协调有关部门优化通行保障，提供通行便利"

    def reply(messages):  # type: ignore[no-untyped-def]
        n = next(n for n, text in prompt_passages(messages).items() if "通行便利" in text)
        return f"{measure}[{n}]。"

    wrong = answer_question("广州市为保障生活必需品运输采取了什么措施？", fake_app.retriever, FakeLLM(reply), fake_app.settings)
    assert [(s.status, s.notes[-1]) for s in wrong.verification.sentences] == [
        ("flagged", "the cited passages are of a document about 北京市, not 广州")]
    assert wrong.refused
    right = answer_question("北京市为保障生活必需品运输采取了什么措施？", fake_app.retriever, FakeLLM(reply), fake_app.settings)
    assert [s.status for s in right.verification.sentences] == ["verified"] and not right.refused


def test_an_autonomous_region_named_in_full_is_a_place() -> None:
    """jieba reads "宁夏回族自治区" as one word: it is 宁夏, and the question about it is not answered by
    甘肃's report."""
    from rag.claims import names_in

    assert names_in("宁夏回族自治区、广西壮族自治区、新疆维吾尔自治区、内蒙古自治区") == ["宁夏", "广西", "新疆", "内蒙古"]
    assert names_in("瀍河回族区市场监管局") == []
    question = "宁夏回族自治区2025年地区生产总值增长目标是多少？"
    answer = "宁夏回族自治区2025年地区生产总值增长目标为6%左右[1]。"
    targets = "2025年经济社会发展的主要预期目标是：地区生产总值增长6%左右。"
    gansu = verify_answer(answer, [Evidence(targets, "2025年甘肃省政府工作报告", section="二、2025年工作安排")], question)
    assert [(s.status, s.reasons) for s in gansu.sentences] == [("flagged", ["entity"])]
    ningxia = verify_answer(answer, [Evidence(targets, "宁夏回族自治区2025年政府工作报告", section="二、2025年工作安排")],
                            question)
    assert ningxia.outcome == "verified"


def test_a_city_government_names_its_city_and_another_provinces_report_leaves_the_prompt() -> None:
    """jieba reads "天津市政府" as one word, and 市政 begins 市政工程: the title "2025年天津市政府工作报告"
    still names 天津, so its target list is not shown for a question about 福建 (it states the same metric)."""
    from rag.answer import shown_passages
    from rag.claims import names_in
    from rag.types import ChunkRecord, Hit, QuestionTerms

    assert names_in("2025年天津市政府工作报告") == ["天津"]
    assert names_in("北京市政协") == ["北京"]
    assert names_in("推进市政工程建设，本市政府采购") == []

    def hit(n: int, title: str, text: str) -> Hit:
        return Hit(n, ChunkRecord(n, title, 0, text, text, "二、2025年工作安排", "text", f"{title}.docx", title, None, "k"), 1.0)

    fujian = hit(1, "2025年福建省政府工作报告", "今年经济社会发展的主要预期目标是：全省地区生产总值增长5.0%—5.5%。")
    tianjin = hit(2, "2025年天津市政府工作报告", "全市经济社会发展的预期目标是：地区生产总值增长5％左右。")
    terms = QuestionTerms({"地区": 1.0, "生产总值": 1.0, "预期": 1.0, "目标": 1.0})
    shown = shown_passages(terms, [fujian, tianjin], 0.7, ["福建"], None)
    assert [h.chunk.title for h in shown] == ["2025年福建省政府工作报告"]
