"""Work-report summaries read by their own structure: review and plan kept apart, targets, deadlines,
owners and problems found by rules on real report text, and the model's one-sentence phrasings
checked (figures, years, words) before they are shown."""

from __future__ import annotations

import json
import re

from rag.app import App
from rag.schemas import SummaryRecord
from rag.summarize import rules
from rag.summarize.outline import parse_outline
from rag.summarize.workplan import summarize_work_plan
from tests.conftest import SEEDS, FakeLLM, ingest_paths

WORK_PLAN = "001_db1d55a4d02b970e.txt"
PLAN_AREAS = ["不断夯实基层组织建设基础", "推动职工深度参与基层社会治理", "切实抓好职工维权维稳工作",
              "有效改善职工服务精准度及覆盖面", "加快建设高素质产业工人大军", "全面加强工会干部队伍自身建设"]

# the 2025 national report's targets paragraph and one inline task area, verbatim
NATIONAL = """各位代表：
现在，我代表国务院，向大会报告政府工作，请予审议。
一、2024年工作回顾
过去一年，国内生产总值达到134.9万亿元、增长5%。
二、2025年经济社会发展总体要求和政策取向
今年发展主要预期目标是：国内生产总值增长5%左右；城镇调查失业率5.5%左右，城镇新增就业1200万人以上；居民消费价格涨幅2%左右；居民收入增长和经济增长同步；国际收支保持基本平衡；粮食产量1.4万亿斤左右；单位国内生产总值能耗降低3%左右，生态环境质量持续改善。
实施更加积极的财政政策。今年赤字率拟按4%左右安排、比上年提高1个百分点，赤字规模5.66万亿元、比上年增加1.6万亿元。
三、2025年政府工作任务
（一）大力提振消费、提高投资效益，全方位扩大国内需求。促进消费和投资更好结合，加快补上内需特别是消费短板，使内需成为拉动经济增长的主动力和稳定锚。
实施提振消费专项行动。安排超长期特别国债3000亿元支持消费品以旧换新。
积极扩大有效投资。今年中央预算内投资拟安排7350亿元。
"""

# Zhejiang's shape: numbered areas under the review part and again under the plan part
PROVINCE = """2025年浙江省政府工作报告
来源：浙江日报
各位代表：
一、2024年工作回顾
（一）系统落实一揽子存量和增量政策，有力推动经济持续回升向好。全省生产总值增长5.5%。
（二）扩大有效益的投资、激发有潜能的消费，提振内需取得积极进展。固定资产投资增长3.6%。
二、2025年目标任务和重点工作
主要预期目标为：生产总值增长5.5%左右，城镇调查失业率控制在5%以内，居民消费价格涨幅2%左右。
（一）发挥政策引导保障支撑作用，最大程度把政策红利转化为发展动力。全年新增减税降费1000亿元以上。
（二）提振和扩大消费，切实增强消费促发展基础性作用。力争到2025年底，社会消费品零售总额增长5%。
附件
名词解释
1.两新：大规模设备更新和消费品以旧换新，2024年实施。
"""

# Sichuan's shape: unnumbered part headings, a closing part without review or plan words
UNNUMBERED = """2025年四川省政府工作报告
四川省人民政府省长 施小琳
各位代表：
2024年工作回顾
——经济运行稳中向好。全省地区生产总值增长5.7%。
2025年工作安排建议
今年发展主要预期目标是：地区生产总值增长5.5%以上；城镇新增就业85万人。
（一）全方位扩大内需，稳住经济大盘。做实项目支撑扩大有效投资。
加强政府自身建设
（一）树牢正确政绩观。坚持高质量发展硬道理。
"""


def test_seed_report_outline_keeps_review_and_plan_apart() -> None:
    text = (SEEDS / WORK_PLAN).read_text(encoding="utf-8")
    outline = parse_outline(text, "深圳市龙岗区总工会2019年工作总结及2020年工作思路")
    assert outline.plan_year == 2020
    assert [(p.heading, p.kind) for p in outline.parts] == [("一、2019年主要工作完成情况", "review"),
                                                             ("三、2020 年工作思路", "plan")]
    plan = [a.title for a in outline.areas("plan") if not a.implicit]
    assert plan == PLAN_AREAS
    [preamble] = [a for a in outline.areas() if a.part == ""]
    assert preamble.kind == "review" and "柯雅琼" in preamble.text  # the 2019 awards are review
    assert not any("柯雅琼" in a.text for a in outline.areas("plan"))
    assert outline.header[:2] == ["深圳市龙岗区总工会文件", "深龙工〔2020〕8号"]
    assert rules.issuer(outline.header) == "深圳市龙岗区总工会"


def test_seed_report_rules() -> None:
    text = (SEEDS / WORK_PLAN).read_text(encoding="utf-8")
    outline = parse_outline(text, "深圳市龙岗区总工会2019年工作总结及2020年工作思路")
    first = next(a for a in outline.areas("plan") if a.title == PLAN_AREAS[0])
    assert rules.targets(first.text, 2020) == ["力争到2020年底，百人以上企业动态建会率实现全覆盖",
                                               "25人-99人企业动态建会率实现基本全覆盖",
                                               "选取 3-4 个职工密集度高、条件成熟的工业园区"]
    assert rules.deadline(first.text) == "力争到2020年底"
    assert rules.measures(first.text) == ["继续推动党委对工会工作的领导不断强化", "集中力量推动工会“两个覆盖”",
                                          "深入探索“智慧工建”模式", "提升经费收管用效能"]
    fifth = next(a for a in outline.areas("plan") if a.title == PLAN_AREAS[4])
    # "…提供不竭动力。一\n一是…": the page break repeated the numeral; the first measure is kept
    assert rules.measures(fifth.text)[0] == "全面加强工人队伍思想引领"
    review = outline.areas("review")[-1]
    assert rules.problems(review.text) == [
        "基层工会工作基础仍较薄弱，非公企业工会组织作用发挥难问题依然未得到完全解决",
        "职工服务工作仍未能紧密结合职工需求，个性化、精准化程度仍有待提高",
        "工会干部队伍建设有待进一步加强，扎根基层、深入职工的干事创业精神，以及运用法治思维、互联网思维开展工作的能力仍需提升"]
    assert "审计 33 家工会组织" not in " ".join(rules.problems(review.text))  # "存在问题并督促整改" is no list


def test_national_targets_and_inline_areas() -> None:
    outline = parse_outline(NATIONAL, "2025年中华人民共和国国务院政府工作报告")
    assert outline.plan_year == 2025
    assert [p.kind for p in outline.parts] == ["review", "plan", "plan"]
    areas = outline.areas("plan")
    assert [a.title for a in areas] == ["2025年经济社会发展总体要求和政策取向", "实施更加积极的财政政策",
                                        "大力提振消费、提高投资效益，全方位扩大国内需求"]
    assert rules.targets(areas[0].text, 2025) == ["国内生产总值增长5%左右", "城镇调查失业率5.5%左右", "城镇新增就业1200万人以上",
                                                  "居民消费价格涨幅2%左右", "粮食产量1.4万亿斤左右", "单位国内生产总值能耗降低3%左右"]
    assert rules.targets(areas[1].text, 2025) == ["今年赤字率拟按4%左右安排、比上年提高1个百分点",
                                                  "赤字规模5.66万亿元、比上年增加1.6万亿元"]
    assert rules.measures(areas[2].text) == ["实施提振消费专项行动", "积极扩大有效投资"]
    assert rules.targets(outline.areas("review")[0].text, 2025) == []  # review figures are no targets
    assert rules.issuer(outline.header, "2025年中华人民共和国国务院政府工作报告") == "国务院"


def test_targets_after_a_half_width_colon_and_problems_without_resolutions() -> None:
    assert rules.targets("主要预期目标是:经济增长5.5%左右，规上工业增加值增长7%左右，进出口稳中提质。", 2025) == [
        "经济增长5.5%左右", "规上工业增加值增长7%左右"]
    # quoted names (“315”工程), list numbers, PM2.5 and a list's opening line are no targets
    text = ("认真抓好11方面重点工作：深入实施“315”科技创新体系建设工程、“双一流196”工程，全年研发投入强度达3.3%左右。"
            "设区市PM2.5平均浓度稳中有降。1.医疗卫生方面。为全省60岁以上老年人免费接种流感疫苗。")
    assert rules.targets(text, 2025) == ["全年研发投入强度达3.3%左右", "为全省60岁以上老年人免费接种流感疫苗"]
    text = "在肯定成绩的同时，我们也清醒看到面临的问题和挑战。一些重点领域腐败问题时有发生。我们一定直面问题，尽心竭力做好工作。"
    assert rules.problems(text) == ["一些重点领域腐败问题时有发生"]


def test_province_review_areas_never_become_plan_and_appendix_is_left_out() -> None:
    outline = parse_outline(PROVINCE, "2025年浙江省政府工作报告")
    review = [a.title for a in outline.areas("review")]
    plan = [a.title for a in outline.areas("plan") if not a.implicit]
    assert review == ["系统落实一揽子存量和增量政策，有力推动经济持续回升向好", "扩大有效益的投资、激发有潜能的消费，提振内需取得积极进展"]
    assert plan == ["发挥政策引导保障支撑作用，最大程度把政策红利转化为发展动力", "提振和扩大消费，切实增强消费促发展基础性作用"]
    assert not any("两新" in a.text for a in outline.areas())
    second = outline.areas("plan")[-1]
    assert rules.targets(second.text, 2025) == ["力争到2025年底，社会消费品零售总额增长5%"]
    assert rules.deadline(second.text) == "力争到2025年底"


def test_unnumbered_parts() -> None:
    outline = parse_outline(UNNUMBERED, "2025年四川省政府工作报告")
    assert [(p.heading, p.kind) for p in outline.parts] == [
        ("2024年工作回顾", "review"), ("2025年工作安排建议", "plan"), ("加强政府自身建设", "plan")]
    assert [a.title for a in outline.areas("review")] == ["经济运行稳中向好"]
    assert rules.issuer(outline.header) == "四川省人民政府"


def _phrases(messages: list[dict[str, str]]) -> str:
    user = messages[1]["content"]
    titles = re.findall(r"^\[(\d+)\] 标题：(.+)$", user, re.M)
    items = []
    for n, title in titles:
        if title == "不断夯实基层组织建设基础":
            summary = "推动百人以上企业动态建会率实现全覆盖，探索智慧工建模式。"  # right
        elif title == "推动职工深度参与基层社会治理":
            summary = "组织职工参与社会治理活动120场。"  # a figure the area does not state
        elif title == "切实抓好职工维权维稳工作":
            summary = "延续2019年维权维稳工作成效。"  # a plan item about the review year
        elif title == "有效改善职工服务精准度及覆盖面":
            summary = "火星基地宇航员培训。"  # words not from the area
        else:
            summary = title
        items.append({"n": int(n), "summary": summary})
    return json.dumps({"items": items}, ensure_ascii=False)


def test_summary_from_structure_with_checked_phrasings(fake_app: App) -> None:
    ingest_paths(fake_app, [SEEDS])
    fake_app.use_llm(FakeLLM(_phrases))
    doc = next(d for d in fake_app.store.documents() if d.source == WORK_PLAN)
    chunks = fake_app.store.document_chunks(doc.doc_id)
    text = fake_app.store.document_text(doc.doc_id) or ""
    record = SummaryRecord(doc_id=doc.doc_id, source=doc.source, title=doc.title, date=doc.date,
                           doc_number=doc.doc_number, schema_name="work-plan", model="fake")
    assert summarize_work_plan(fake_app.llm, text, doc.title, doc.date, chunks, record)
    assert record.plan_year == 2020 and record.issuer == "深圳市龙岗区总工会"
    assert [p.goal for p in record.plan] == PLAN_AREAS
    by_id = {c.id: c for c in chunks}
    for p in record.plan:
        assert p.section.startswith("三、2020 年工作思路 > （")
        assert all(by_id[c.chunk_id].section.startswith("三、2020年工作思路") for c in p.citations)
        assert not any(word in "".join([*p.targets, *p.measures, p.summary]) for word in ("柯雅琼", "欧阳嘉玉", "98.9%"))
    phrased = {p.goal: p.summary for p in record.plan}
    assert phrased["不断夯实基层组织建设基础"] == "推动百人以上企业动态建会率实现全覆盖，探索智慧工建模式。"
    for goal in ("推动职工深度参与基层社会治理", "切实抓好职工维权维稳工作", "有效改善职工服务精准度及覆盖面",
                 "加快建设高素质产业工人大军"):  # the last one's phrasing only repeats its title
        assert phrased[goal] == ""
    dropped = " ".join(record.verification.dropped)
    assert "120场 is not in this part" in dropped and "2019年 is not in this part" in dropped and "not this part's" in dropped and "repeats the title" in dropped
    targets = record.plan[0].targets
    assert targets[0] == "力争到2020年底，百人以上企业动态建会率实现全覆盖"
    assert any("3-4" in by_id[c.chunk_id].text.replace(" ", "") for c in record.plan[0].citations)
    review = {r.item: r for r in record.review}
    assert "坚持预防处置相结合，努力维护职工合法权益" in review
    money = review["坚持预防处置相结合，努力维护职工合法权益"].figures[0]
    assert money.startswith("全年完成 2346 宗劳资纠纷调处工作，为职工争取各类经济利益 1.8 亿元")
    assert [p.item[:8] for p in record.problems] == ["基层工会工作基础", "职工服务工作仍未", "工会干部队伍建设"]
    SummaryRecord.model_validate_json(record.model_dump_json())
