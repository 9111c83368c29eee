"""Verification on crafted answers: wrong citation numbers, invented numbers, drift, support."""

import pytest

from rag.figures import figures_in, has_figure
from rag.normalize import compact as compact_text
from rag.verify import MARK, Evidence, support, verify_answer

P1 = "全年完成 2346 宗劳资纠纷调处工作，为职工争取各类经济利益 1.8 亿元。"
P2 = "签订区域性、行业性和单独集体合同357份，覆盖职工27.9万人。"
P3 = "百人以上企业建会率达98.9%，超额完成95%的年度组建任务。"


def test_correct_answer_is_verified() -> None:
    v = verify_answer("全年完成2346宗劳资纠纷调处工作，为职工争取各类经济利益1.8亿元[1]。", [P1, P2])
    assert v.outcome == "verified"
    assert v.sentences[0].citations == [1]


def test_citation_to_missing_passage_removed() -> None:
    v = verify_answer("全年完成2346宗劳资纠纷调处工作[7]。", [P1, P2])
    assert v.removed_citations == [7]
    assert "[7]" not in v.answer
    assert "[1]" in v.answer  # re-cited to the passage that has the number
    assert v.outcome == "corrected"


def test_wrong_citation_recited_to_the_right_passage() -> None:
    v = verify_answer("签订集体合同357份，覆盖职工27.9万人[1]。", [P1, P2])
    s = v.sentences[0]
    assert 2 in s.citations and s.status == "corrected"


def test_a_claim_without_figures_cited_to_a_passage_that_does_not_hold_it_loses_that_citation() -> None:
    parts = "三、2020年工作思路：（一）不断夯实基层组织建设基础；（二）推动职工深度参与基层社会治理。"
    opening = "现将工作总结及工作思路印发给你们，请结合实际认真贯彻落实。"
    v = verify_answer("不断夯实基层组织建设基础[1]。", [opening, parts])
    [s] = v.sentences
    assert s.status == "corrected" and s.citations == [2]
    assert "cited [2], the passage that supports it (not [1])" in s.notes
    assert v.answer == "不断夯实基层组织建设基础[2]。"


def test_a_claim_re_cited_to_the_passage_naming_its_place_loses_a_citation_that_does_not_hold_it() -> None:
    opening = "现将工作总结及工作思路印发给你们，请结合实际认真贯彻落实。"
    luohu = "罗湖区推行“生物钟”服务模式，延长职工服务时段，各类服务项目场次增加。"
    v = verify_answer("罗湖区推行“生物钟”服务模式，延长职工服务时段[1]。", [opening, luohu])
    [s] = v.sentences
    assert (s.status, s.citations, s.notes) == ("corrected", [2], ["re-cited to [2], which names 罗湖 (not [1])"])
    # a cited passage that holds the claim stays beside the one naming its place
    v = verify_answer("推行“生物钟”服务模式，延长职工服务时段，罗湖区各类服务项目场次增加[1]。",
                      ["推行“生物钟”服务模式，延长职工服务时段，各类服务项目场次增加。", luohu])
    assert v.sentences[0].citations == [1, 2]


def test_invented_number_in_a_supported_sentence_is_dropped() -> None:
    v = verify_answer("全年完成2346宗劳资纠纷调处工作[1]。另外还新建了8888个职工书屋[1]。", [P1, P2])
    assert [s.status for s in v.sentences] == ["verified", "dropped"]
    assert "8888" not in v.answer
    assert v.outcome == "flagged"
    assert any("8888" in w for w in v.warnings)


def test_figure_missing_from_a_well_supported_sentence_is_marked() -> None:
    v = verify_answer("全年完成2345宗劳资纠纷调处工作[1]。", [P1])
    [s] = v.sentences
    assert s.status == "flagged" and s.reasons == ["figure"]
    assert v.answer == f"全年完成2345宗劳资纠纷调处工作{MARK}（资料为2346宗）[1]。"


def test_figures_in_the_heading_count_but_not_the_label() -> None:
    heading = Evidence("现将工作思路印发给你们。", "深圳市龙岗区总工会2019年工作总结", "深龙工〔2020〕8号")
    assert verify_answer("发文字号是深龙工〔2020〕8号[1]。", [heading]).outcome == "verified"
    # "[3]" is the prompt's label of the third passage, not a figure of it
    v = verify_answer("共有3个示范点[3]。", [P1, P2, "龙岗区确定了一批示范点。"])
    assert v.sentences[0].status in ("flagged", "dropped") and "figure" in v.sentences[0].reasons


def test_number_with_full_width_and_spaces_matches() -> None:
    v = verify_answer("建会率达９８.９％[1]。", [P3])
    assert v.outcome == "verified"


def test_uncited_sentence_gets_citation_when_supported() -> None:
    v = verify_answer("百人以上企业建会率达98.9%，超额完成95%的年度组建任务。", [P1, P3])
    assert v.sentences[0].citations == [2]
    assert v.sentences[0].status == "corrected"


def test_unsupported_claims() -> None:
    v = verify_answer("工会还组织了大型文艺汇演和体育比赛活动[1]。", [P1])
    assert v.sentences[0].status == "dropped"  # shares nothing with the passage
    assert support("工会还组织了大型文艺汇演", P1) < 0.25
    v = verify_answer("工会完成劳资纠纷调处工作，并举办了文艺汇演比赛[1]。", [P1])
    assert v.sentences[0].status == "flagged" and v.sentences[0].reasons == ["support"]
    assert 0.25 <= v.sentences[0].support < 0.5
    assert MARK in v.answer


def test_traditional_answer_converted() -> None:
    v = verify_answer("全年完成2346宗勞資糾紛調處工作[1]。", [P1])
    assert "劳资纠纷" in v.answer


MEETING = "7月19-20日，深化新时代浙江产业工人队伍建设改革工作现场推进会在传化集团召开。2月9日，龙岗区召开工作推进会。"


def test_dates_are_checked_as_month_and_day() -> None:
    assert [(f.kind, f.month, f.low, f.high) for f in figures_in("7月19-20日在传化集团召开")] == [("date", 7, 19, 20)]
    passage = compact_text(MEETING)
    [d1], [d2], [d3], [d4] = (figures_in(x) for x in ("7月19日", "7月20日", "10月19日", "2月19日"))
    assert has_figure(d1, passage) and has_figure(d2, passage)  # 20 inside the range 19-20
    assert not has_figure(d3, passage)  # each digit run occurs, the date not
    assert not has_figure(d4, passage)


def test_sentence_with_a_date_no_passage_has_is_dropped() -> None:
    """From a real 0.5B answer: the right place, then a date taken from nowhere."""
    v = verify_answer("推进会在传化集团召开[1]。2020年10月19-20日[1]。", [MEETING, "2020年工作思路"])
    assert [s.status for s in v.sentences] == ["verified", "dropped"]
    assert "10月19" not in v.answer and "传化集团" in v.answer
    assert any("10月19" in w for w in v.warnings)
    right = verify_answer("推进会于7月19-20日在传化集团召开[1]。", [MEETING])
    assert right.outcome == "verified"


def test_an_introducing_line_is_a_note_not_a_claim() -> None:
    v = verify_answer("福建省纳税人可以通过以下渠道上报意见：\n拨打12366纳税服务热线[1]。", ["纳税人可拨打12366纳税服务热线反映意见。"])
    assert [s.status for s in v.sentences] == ["note", "verified"]
    assert v.supported and v.answer.startswith("福建省纳税人可以通过以下渠道上报意见：")


XINJIANG = ("新疆出台“线上”举措解就业难题 新华社乌鲁木齐2月8日电 记者从新疆维吾尔自治区人力资源和社会保障厅获悉，"
            "为应对疫情带来的就业难问题，新疆将充分利用互联网招聘、在线面试和签约等多种“线上”举措，稳就业促就业。")
TIBET_HOTLINE = "西藏自治区纳税服务热线：12366"


def test_a_copy_with_the_place_swapped_is_marked_though_another_cited_passage_names_it() -> None:
    answer = ("西藏出台“线上”举措解就业难题 新华社乌鲁木齐2月8日电 记者从新疆维吾尔自治区人力资源和社会保障厅获悉，"
              "为应对疫情带来的就业难问题，新疆将充分利用互联网招聘、在线面试和签约等多种“线上”举措，稳就业促就业[1][2]。")
    v = verify_answer(answer, [XINJIANG, TIBET_HOTLINE], "西藏采取什么举措解就业难题？")
    (check,) = v.sentences
    assert (check.status, check.reasons) == ("flagged", ["entity"])
    assert "（资料所述为新疆）" in v.answer
    # the faithful copy stands, cited to its passage only: the hotline passage states none of its figures
    faithful = verify_answer(answer.replace("西藏出台", "新疆出台"), [XINJIANG, TIBET_HOTLINE], "新疆采取什么举措解就业难题？")
    assert (faithful.outcome, faithful.sentences[0].citations) == ("corrected", [1])


def test_a_list_whose_items_are_empty_is_dropped() -> None:
    v = verify_answer("四川省人民政府为支持民营企业复工复产的工作部署包括：、、、[1][2]。",
                      ["四川省人民政府关于支持民营企业复工复产的工作部署。", P1])
    assert [c.status for c in v.sentences] == ["dropped"] and v.answer == ""
    listed = "传化集团工会的四个坚持：坚持党建思想引领、坚持主体作用发挥、坚持共创共建共享、坚持党经融合。"
    assert verify_answer("四个坚持包括：坚持党建思想引领、坚持主体作用发挥、坚持共创共建共享、坚持党经融合[1]。",
                         [listed]).outcome == "verified"


def test_a_cited_passage_that_states_none_of_the_figures_loses_its_citation() -> None:
    title = "深圳市龙岗区总工会2019年工作总结"
    contracts = Evidence("签订区域性、行业性和单独集体合同357份，覆盖职工27.9万人。", title=title)
    opening = Evidence("2019年，龙岗区工会改革创新取得实质性成效，推动区委将工会组织建设工作纳入党建考核。", title=title)
    v = verify_answer("2019年龙岗区签订集体合同357份[1][2]。", [contracts, opening], "2019年龙岗区签订了多少份集体合同？")
    (check,) = v.sentences
    assert (check.status, check.citations, v.answer) == ("corrected", [1], "2019年龙岗区签订集体合同357份[1]。")
    assert check.notes == ["citation [2] removed: it states none of its figures"]
    # a passage that supports the words of the claim keeps its citation, with or without figures
    both = verify_answer("龙岗区工会改革创新取得实质性成效，签订集体合同357份[1][2]。", [contracts, opening])
    assert (both.sentences[0].status, both.sentences[0].citations) == ("verified", [1, 2])


# A bare figure is bound through the question: the words around its 多少, and the counter it asks for.
P_SUBSIDY = "在中央财政按人民银行再贷款利率的50%给予贴息的基础上，省财政统筹资金再给予25%的贴息支持，贴息期限不超过1年。"
Q_SUBSIDY = "对新增的专项再贷款，江西省在原基础上决定再给予多少贴息支持？"
P_TAX = "税务总局围绕支持疫情防控出台了12项税收优惠政策，并从四个方面逐一进行解读。"
Q_TAX = "税务总局新出台了多少项支持疫情防控的税收优惠政策？"


def test_bare_figure_fills_the_questions_slot() -> None:
    assert verify_answer("25%[1]。", [P_SUBSIDY], Q_SUBSIDY).sentences[0].status == "verified"
    wrong = verify_answer("50%[1]。", [P_SUBSIDY], Q_SUBSIDY)
    assert (wrong.sentences[0].status, wrong.sentences[0].notes) == (
        "flagged", ["50% is stated for something else in the passages"])
    assert wrong.answer == f"50%{MARK}[1]。"


def test_bare_figure_with_another_counter_than_asked() -> None:
    assert verify_answer("12项[1]。", [P_TAX], Q_TAX).sentences[0].status == "verified"
    wrong = verify_answer("四个[1]。", [P_TAX], Q_TAX)
    assert (wrong.sentences[0].status, wrong.sentences[0].notes) == (
        "flagged", ["四个 is stated for something else in the passages (资料为12项)"])
    assert wrong.answer == f"四个{MARK}（资料为12项）[1]。"


def test_a_looping_list_keeps_its_first_item_only() -> None:
    v = verify_answer("采取了以下措施：\n1. 全年完成2346宗劳资纠纷调处工作[1]。\n2. 全年完成2346宗劳资纠纷调处工作[1]。"
                      "\n3. 全年完成2346宗劳资纠纷调处工作[1]。", [P1, P2])
    assert [s.status for s in v.sentences if s.text != "\n"] == ["note", "verified", "dropped", "dropped"]
    assert [s.notes for s in v.sentences if s.status == "dropped"] == [["dropped: repeats an earlier sentence"]] * 2
    assert v.answer == "采取了以下措施：1. 全年完成2346宗劳资纠纷调处工作[1]。"


def test_a_short_passage_clause_decides_no_polarity() -> None:
    # "疫情防控期间" alone is inside the answer's clause; the clause that says the same thing has 未 too
    passage = "疫情防控期间，对处于失业状态且未达到领取失业保险金条件的参保人员，按每人每月1000元的标准发放失业补助金。"
    v = verify_answer("疫情防控期间对处于失业状态且未达到领取失业保险金条件的参保人员给予每人每月1000元的失业补助金[1]。",
                      [passage], "疫情防控期间对未达到领取失业保险金条件的参保人员给予多少补助金？")
    assert [s.status for s in v.sentences] == ["verified"], v.sentences[0].notes


def test_a_hotline_number_is_checked_for_presence_only() -> None:
    passage = Evidence("三、全速推进，以最快速度响应涉税诉求 9. 做好意见收集。做好工作统筹，成立专业团队，通过12366、办税服务厅等"
                       "多种渠道积极了解、响应各类企业特别是医疗救治、疫情防控等重点行业、重点企业反映的税费问题。",
                       title="国家税务总局福建省税务局关于充分发挥税收职能作用助力打赢疫情防控阻击战十二项措施的通知")
    question = "福建省纳税人有何渠道上报意见？"
    ok = verify_answer("福建省纳税人可以通过12366、办税服务厅等多种渠道上报意见[1]。", [passage], question)
    assert [s.status for s in ok.sentences] == ["verified"], ok.sentences[0].notes
    wrong = verify_answer("福建省纳税人可以通过12345、办税服务厅等多种渠道上报意见[1]。", [passage], question)
    assert [(s.status, s.notes) for s in wrong.sentences] == [("flagged", ["12345 is in no passage"])]


def test_an_ethnic_name_is_no_place_name() -> None:
    from rag.claims import names_in

    assert names_in("瀍河回族区市场监管局") == []
    assert names_in("融水苗族自治县") == []


def test_an_answer_that_only_announces_a_list_is_no_answer() -> None:
    v = verify_answer("龙岗区总工会2020年在企业建会方面提出了以下目标：[1]", [P3], "龙岗区总工会2020年在企业建会方面提出了什么目标？")
    assert [s.status for s in v.sentences] == ["note"]
    assert not v.supported


JIANGXI_CITIES = ("截至2月25日，全省在建省大中型项目复工率达93.5%，其中基础设施项目复工率达89.8%。"
                  "南昌、上饶、景德镇市工业园区规模以上企业已全部复工。")


def test_a_province_is_backed_by_a_passage_about_its_cities() -> None:
    """南昌, 上饶 and 景德镇 lie in 江西 (rag/places.txt): the passage of 全省 with them is about the
    province asked; about 湖南 it is not."""
    from rag.places import within

    assert within("景德", "江西") and within("上饶", "江西") and not within("南昌", "湖南")
    assert not within("江西", "江西")  # a province is not a part of itself
    right = verify_answer("江西省在建省大中型项目中基础设施项目复工率达89.8%[1]。", [JIANGXI_CITIES],
                          "目前江西省在建省大中型项目中基础设施项目复工率达到了多少？")
    assert [(s.status, s.notes) for s in right.sentences] == [("verified", [])]
    wrong = verify_answer("湖南省在建省大中型项目中基础设施项目复工率达89.8%[1]。", [JIANGXI_CITIES],
                          "目前湖南省在建省大中型项目中基础设施项目复工率达到了多少？")
    assert [s.status for s in wrong.sentences] == ["flagged"] and "资料未提及湖南" in wrong.answer


WUZHOU = ("在市区原有的大润发超市梧州店、步步高南城百货超市蓝天店、龙人超市3个投放点的基础上，第二批储备冻猪肉投放"
          "再增加大乐购超市太阳广场店、汇上佳超市等9个投放点，方便市民就近购买。")


def test_a_province_is_backed_by_a_city_named_without_its_suffix() -> None:
    """梧州 (in "超市梧州店", no 市 after it) lies in 广西: the notice is about the province asked."""
    question = "广西第二批储备冻猪肉投放地点又增加了哪几个地点？"
    right = verify_answer("广西第二批储备冻猪肉投放再增加大乐购超市太阳广场店、汇上佳超市等9个投放点[1]。", [WUZHOU], question)
    assert [(s.status, s.notes) for s in right.sentences] == [("verified", [])]
    wrong = verify_answer("湖南第二批储备冻猪肉投放再增加大乐购超市太阳广场店、汇上佳超市等9个投放点[1]。", [WUZHOU],
                          question.replace("广西", "湖南"))
    assert [s.status for s in wrong.sentences] == ["flagged"] and "资料未提及湖南" in wrong.answer


NEIJIANG = "内江市住房和城乡建设局要求企业落实“日报告”制度，每日将生产经营、员工健康、疫情防控等情况向行业主管部门报告。"


def test_an_answer_that_only_restates_the_question_is_no_answer() -> None:
    question = "内江市住房和城乡建设局要求企业如何落实“日报告”制度？"
    echo = verify_answer("内江市住房和城乡建设局要求企业落实“日报告”制度[1]。", [NEIJIANG], question)
    assert [(s.status, s.notes) for s in echo.sentences] == [("note", ["only restates the question"])]
    assert not echo.supported
    light = verify_answer("市场监管总局要求对口罩生产领域价格违法的行为进行监管[1]。",
                          ["市场监管总局要求对口罩生产领域价格违法的行为进行监管，依法从重从严从快查处。"],
                          "市场监管总局要求对口罩生产领域价格违法的行为如何监管？")
    assert [s.status for s in light.sentences] == ["note"]
    # two new characters are an answer ("资金"), and so is a figure the question does not hold
    for answer, passage, asked in [
            ("广州市对电子商务企业给予资金扶持[1]。", "广州市对电子商务企业给予资金扶持。", "广州市对电子商务企业给予什么扶持？"),
            ("四川省将应急响应级别调整为二级响应[1]。", "四川省将应急响应级别调整为二级响应。", "四川省将应急响应级别调整为几级响应？")]:
        assert [s.status for s in verify_answer(answer, [passage], asked).sentences] == ["verified"]
    right = verify_answer("每日将生产经营、员工健康、疫情防控等情况向行业主管部门报告[1]。", [NEIJIANG], question)
    assert [s.status for s in right.sentences] == ["verified"]


def test_a_shop_name_is_no_place_name() -> None:
    """惠彤超市: the 市 ends the word 超市, which begins inside the would-be name 彤超."""
    from rag.claims import names_in

    assert names_in("惠彤超市灏景店、惠彤超市三龙大道店、大乐购超市太阳广场店") == []
    assert names_in("长沙市开福区、武汉市江夏区") == ["长沙", "开福", "武汉", "江夏"]


ROBOT = "重庆推广使用疫情摸排机器人，外呼系统每小时拨21万个询问电话，每分钟可呼叫3500人。"


def test_a_rate_is_no_total() -> None:
    """"每小时21万个" does not back "已完成21万个累计呼叫"; it backs the rate, and a bare figure
    when the question asks for the rate."""
    total = verify_answer("外呼系统已完成21万个累计呼叫[1]。", [ROBOT], "外呼系统已完成多少次累计呼叫？")
    assert [(s.status, s.notes) for s in total.sentences] == [
        ("flagged", ["21万个 is stated for something else in the passages"])]
    assert not total.supported and "21万个累计呼叫⚠未核实[1]" in total.answer
    rate = verify_answer("外呼系统每小时拨21万个询问电话[1]。", [ROBOT], "外呼系统每小时能拨多少个电话？")
    assert [s.status for s in rate.sentences] == ["verified"]
    bare = verify_answer("21万个[1]。", [ROBOT], "外呼系统每小时能拨多少个询问电话？")
    assert [s.status for s in bare.sentences] == ["verified"]
    cap = verify_answer("30万元[1]。", ["对新招用员工的企业给予招工补助，每家企业最高补助30万元。"],
                        "每家企业最高可获得多少招工补助？")  # for each, not per hour: no rate
    assert [s.status for s in cap.sentences] == ["verified"]


def test_a_count_for_the_period_asked_must_come_from_a_passage_naming_it() -> None:
    question = "1月24日至2月11日上海海关累计验放了多少批次防疫物资？"
    other = "上海海关共快速验放疫情防控物资68批次，货值约1.2亿元。"
    wrong = verify_answer("上海海关共快速验放疫情防控物资68批次[1]。", [other], question)
    assert [(s.status, s.notes) for s in wrong.sentences] == [("flagged", ["the cited passages do not mention 1月24日"])]
    assert "68批次⚠未核实（资料未提及1月24日）[1]" in wrong.answer and not wrong.supported
    named = "1月24日至2月11日，上海海关共快速验放疫情防控物资68批次。"
    right = verify_answer("上海海关共快速验放疫情防控物资68批次[1]。", [named], question)
    assert [s.status for s in right.sentences] == ["verified"]


TWO_CITIES = "广州市自2月10日起减免中小企业房租。兰州市对复工企业给予每户1万元补贴。"


def test_a_claim_about_a_city_of_another_province_is_no_answer() -> None:
    """The passage names 广州, but the claim copies what it says of 兰州 (甘肃): marked, with the place
    the passage speaks of; a district of 广州 is the question's own place."""
    question = "广州市对复工企业给予多少补贴？"
    wrong = verify_answer("兰州市对复工企业给予每户1万元补贴[1]。", [TWO_CITIES], question)
    assert [(s.status, s.reasons) for s in wrong.sentences] == [("flagged", ["entity"])]
    assert wrong.answer == f"兰州市对复工企业给予每户1万元补贴{MARK}（资料所述为兰州）[1]。"
    # seen on ncp_dev: an answer about 广州 that strings together sentences of related notices
    mixed = verify_answer("广州市产业园区在租金减免方面发挥作用[1]。兰州市再次向市内蔬菜批发市场投放1500吨政府冬春储备蔬菜[2]。",
                          ["广州市产业园区在租金减免方面发挥作用。", "兰州市再次向市内蔬菜批发市场投放1500吨政府冬春储备蔬菜。"],
                          "广州市为全力保障市场供应采取的措施是什么？")
    assert [(s.status, s.reasons) for s in mixed.sentences] == [("verified", []), ("flagged", ["entity"])]
    district = verify_answer("海珠区对复工企业给予每户1万元补贴[1]。", ["广州市海珠区对复工企业给予每户1万元补贴。"],
                              question)
    assert [(s.status, s.notes) for s in district.sentences] == [("verified", [])]


def test_a_claim_naming_the_questions_place_beside_another_stands() -> None:
    passage = "江西省对口支援湖北省随州市，派出医疗队员300名。"
    v = verify_answer("江西省对口支援随州市，派出医疗队员300名[1]。", [passage], "江西省派出多少医疗队员支援随州？")
    assert [(s.status, s.notes) for s in v.sentences] == [("verified", [])]
    # the question asks for a place: the answer is another province's city, from a passage naming both
    v = verify_answer("随州市[1]。", [passage], "江西省对口支援哪个市？")
    assert [(s.status, s.notes) for s in v.sentences] == [("verified", [])]
    v = verify_answer("随州市[1]。", ["湖南省对口支援湖北省随州市。"], "江西省对口支援哪个市？")
    assert [(s.status, s.reasons) for s in v.sentences] == [("flagged", ["entity"])]


WUHAN = ("近日，为增加武汉市蔬菜市场供应，国家发展改革委加强与山东等蔬菜主产地的联系，及时组织供需衔接。"
         "山东省发展改革委高度重视，寿光市迅速反应，立即组织采摘新鲜蔬菜并做好质检工作。")


def test_an_answer_about_the_place_asked_may_tell_what_another_province_did_for_it() -> None:
    """Seen on ncp_dev: the 1.5B's faithful copy, whose second sentence speaks of 山东 and 寿光 only."""
    v = verify_answer("为增加武汉市蔬菜市场供应，国家发展改革委加强与山东等蔬菜主产地的联系，及时组织供需衔接[1]。"
                      "山东省发展改革委高度重视，寿光市迅速反应，立即组织采摘新鲜蔬菜并做好质检工作[1]。", [WUHAN],
                      "为增加武汉市蔬菜市场供应国家发展改革委做了哪些措施？")
    assert [(s.status, s.notes) for s in v.sentences] == [("verified", []), ("verified", [])]


def test_a_contactless_list_is_no_negation() -> None:
    """"非接触式" names the kind of service (as 无接触 does); seen on ncp_dev as a false polarity mark."""
    passage = "税务总局发布“非接触式”网上办税缴费清单涵盖发票领用代开、税收减免备案、税费申报缴纳等日常高频涉税事项。"
    v = verify_answer("网上办税缴费清单包括发票领用代开、税收减免备案、税费申报缴纳等日常高频涉税事项[1]。", [passage],
                      "疫情期间，国家推出的网上办税缴费清单包括哪些事项？")
    assert [(s.status, s.notes) for s in v.sentences] == [("verified", [])]
    reversed_ = verify_answer("网上办税缴费清单不包括发票领用代开、税收减免备案、税费申报缴纳等日常高频涉税事项[1]。",
                              [passage], "疫情期间，国家推出的网上办税缴费清单包括哪些事项？")
    assert [(s.status, s.reasons) for s in reversed_.sentences] == [("flagged", ["polarity"])]


TAX = ("【政策依据】（2）《财政部税务总局关于全面推开营业税改征增值税试点的通知》（财税〔2016〕36号）"
       "6.对疫情防控重点物资生产企业扩大产能购置设备允许企业所得税税前一次性扣除。")


def test_a_document_the_passage_does_not_name_is_marked() -> None:
    """Seen on ncp_dev: the 1.5B sourced a right sentence to a 《…指引》 of its own making."""
    question = "对疫情防控重点保障物资生产企业为扩大产能新购置的相关设备，税收是怎么规定的？"
    claim = "对疫情防控重点物资生产企业扩大产能购置设备允许企业所得税税前一次性扣除[1]。"
    invented = verify_answer("《新冠肺炎疫情防控税收优惠政策指引》规定，" + claim, [TAX], question)
    assert [(s.status, s.reasons) for s in invented.sentences] == [("flagged", ["entity"])]
    assert f"{MARK}（资料未提及《新冠肺炎疫情防控税收优惠政策指引》）[1]" in invented.answer
    named = verify_answer("《财政部税务总局关于全面推开营业税改征增值税试点的通知》规定，" + claim, [TAX], question)
    assert [(s.status, s.notes) for s in named.sentences] == [("verified", [])]
    recited = verify_answer("《财政部税务总局关于全面推开营业税改征增值税试点的通知》规定，" + claim, [BODY_ONLY, TAX],
                            question)
    assert [(s.status, s.citations) for s in recited.sentences] == [("corrected", [1, 2])]


BODY_ONLY = "对疫情防控重点物资生产企业扩大产能购置设备允许企业所得税税前一次性扣除。"


FUJIAN = ("福建省推出“八闽健康码”，具有实时掌上大数据服务，让防疫核验和群众出行更便捷。福建省已发放健康码1200万个。"
          "莆田市民可通过闽政通APP申领。")


def test_what_a_province_does_is_said_of_its_cities_but_not_its_figures() -> None:
    """Seen on ncp_dev: 莆田's health code answered from the sentence on 福建's, refused as another place's."""
    question = "莆田市的“八闽健康码”有哪些优势？"
    city = verify_answer("莆田市的“八闽健康码”具有实时掌上大数据服务，让防疫核验和群众出行更便捷[1]。", [FUJIAN], question)
    assert [(s.status, s.notes) for s in city.sentences] == [("verified", [])]
    other = verify_answer("莆田市的“八闽健康码”具有实时掌上大数据服务，让防疫核验和群众出行更便捷[1]。",
                          [FUJIAN.replace("福建省推出", "厦门市推出")], question)
    assert [(s.status, s.reasons) for s in other.sentences] == [("flagged", ["entity"])]
    figure = verify_answer("莆田市已发放健康码1200万个[1]。", [FUJIAN], "莆田市发放了多少健康码？")
    assert [s.status for s in figure.sentences] == ["flagged"]


def test_an_uncited_list_item_is_checked_against_the_passage_it_copies() -> None:
    guangzhou = "广州创投小镇向海珠区人民政府捐赠爱心口罩10万个。"
    lanzhou = "兰州市再次向市内蔬菜批发市场投放1500吨政府冬春储备蔬菜，全力保障疫情期间蔬菜市场供应。"
    v = verify_answer("广州市保障市场供应的措施包括：广州创投小镇向海珠区人民政府捐赠爱心口罩10万个[1]；"
                      "兰州市再次向市内蔬菜批发市场投放1500吨政府冬春储备蔬菜。", [guangzhou, lanzhou],
                      "广州市为全力保障市场供应采取的措施是什么？")
    first, second = v.sentences
    assert (first.status, first.citations) == ("verified", [1])
    assert (second.status, second.citations, second.reasons) == ("flagged", [2], ["entity"])


def test_a_telephone_number_only_has_to_be_in_the_passage() -> None:
    passage = "开户名：广西慈善总会；账号：613257485006；热线电话：0771—2818453（24小时）；监督电话：0771—5860326。"
    v = verify_answer("广西慈善总会的热线电话为0771—2818453[1]。", [passage], "广西慈善总会的热线电话是多少？")
    assert [(s.status, s.notes) for s in v.sentences] == [("verified", [])]
    v = verify_answer("广西慈善总会的热线电话为0771—2818455[1]。", [passage], "广西慈善总会的热线电话是多少？")
    assert [(s.status, s.reasons) for s in v.sentences] == [("flagged", ["figure"])]


def test_a_sentence_that_copies_a_notices_heading_or_signature_is_no_claim() -> None:
    """What a notice is (its title with its 文号 and addressees, its signature) is no answer to what
    it says; asked for the notice's number or date, the same words are the answer."""
    from rag.evidence import Evidence

    title = "国家税务总局重庆市税务局关于优化税收服务的通知"
    opening = Evidence(f"{title} 渝税发〔2020〕4号 国家税务总局重庆市各区县（自治县）税务局，各派出机构，局内各单位：\n"
                       "全市税务系统要充分发挥税收职能作用，进一步落实税收政策。", title, "渝税发〔2020〕4号")
    ending = Evidence("十、实施“非接触式”办税缴费。\n国家税务总局重庆市税务局\n2020年2月6日", title, "渝税发〔2020〕4号")
    copied = (f"重庆市税务局延长税收政策具体指：{title}渝税发〔2020〕4号国家税务总局重庆市各区县（自治县）税务局，"
              "各派出机构，局内各单位：…全市税务系统要充分发挥税收职能作用[1]。…重庆市税务局2020年2月6日[2]")
    v = verify_answer(copied, [opening, ending], "重庆市税务局延长税收政策具体指什么？")
    assert [(s.status, s.notes) for s in v.sentences] == [("note", ["copies a notice's heading or signature"])] * 2
    assert not v.supported
    v = verify_answer(copied, [opening, ending], "重庆市税务局这份通知的文号和发文日期是什么？")
    assert [s.status for s in v.sentences] == ["verified", "verified"]
    v = verify_answer("全市税务系统要充分发挥税收职能作用[1]。", [opening, ending], "重庆市税务局对全市税务系统有什么要求？")
    assert [s.status for s in v.sentences] == ["verified"]


def test_a_sentence_that_only_names_documents_is_no_claim() -> None:
    passages = ["《关于加强新型冠状病毒感染的肺炎疫情社区防控工作的通知》（肺炎机制发〔2020〕5号）要求密切接触者居家医学观察。",
                "重庆：建立95个集中隔离医学观察点。"]
    v = verify_answer("《关于加强新型冠状病毒感染的肺炎疫情社区防控工作的通知》（肺炎机制发〔2020〕5号）[1]。"
                      "《重庆：建立95个集中隔离医学观察点》[2]。", passages, "为什么要对密切接触者医学观察14天？")
    assert [(s.status, s.notes) for s in v.sentences] == [("note", ["only names a document"])] * 2
    assert not v.supported
    v = verify_answer("依据《关于加强新型冠状病毒感染的肺炎疫情社区防控工作的通知》，密切接触者居家医学观察[1]。", passages)
    assert [s.status for s in v.sentences] == ["verified"]


def test_two_numbers_a_space_apart_are_two_numbers() -> None:
    """A scraped list puts "2.网络捐款" one space after an account number: joined, the passage would
    hold the account number with a 2 appended, and a model that copied it so (as the 1.5B did, shown
    the joined text) would be verified."""
    passage = ("1.银行捐款（转账或直接存款） 开户名：广西壮族自治区红十字会 开户行：工商银行桃源支行 "
               "账 号：2102108009249007743 2.网络捐款 登录广西红十字会网站捐款")
    question = "广西红十字会接收捐款账户信息是什么？"
    v = verify_answer("广西壮族自治区红十字会的账号：21021080092490077432[1]。", [passage], question)
    assert [(s.status, s.reasons) for s in v.sentences] == [("flagged", ["figure"])]
    v = verify_answer("广西壮族自治区红十字会的账号：2102108009249007743[1]。", [passage], question)
    assert [(s.status, s.notes) for s in v.sentences] == [("verified", [])]


def test_a_claim_from_a_section_about_another_year_is_not_the_year_asked() -> None:
    """A line of the 2019 review given as a 2020 target: the claim has no figure for the figure rule
    to read, so the section's year decides."""
    review = Evidence("鼓励推动“三新”领域工会组织建设，积极配合市总工会完成了网约车滴瑞行业工会联合会建会工作。",
                      "深圳市龙岗区总工会2019年工作总结及2020年工作思路", "深龙工〔2020〕8号",
                      "一、2019年主要工作完成情况 > （一）坚持党建带动引领")
    plan = Evidence("鼓励推动“三新”领域工会组织建设，扩大新就业形态劳动者入会覆盖面。",
                    "深圳市龙岗区总工会2019年工作总结及2020年工作思路", "深龙工〔2020〕8号",
                    "三、2020年工作思路 > （一）不断夯实基层组织建设基础")
    untitled = Evidence("鼓励推动“三新”领域工会组织建设，积极配合市总工会完成了网约车滴瑞行业工会联合会建会工作。")
    question = "龙岗区总工会2020年在企业建会方面提出了什么目标？"
    claim = "鼓励推动“三新”领域工会组织建设，积极配合市总工会完成了网约车滴瑞行业工会联合会建会工作[1]。"
    v = verify_answer(claim, [review], question)
    assert [(s.status, s.reasons) for s in v.sentences] == [("flagged", ["year"])]
    assert "⚠未核实（资料所述为2019年）[1]" in v.answer
    # the same line asked about 2019, the plan's line asked about 2020, a passage with no year in its section
    assert [s.status for s in verify_answer(claim, [review], "龙岗区总工会2019年在企业建会方面做了什么？").sentences] == ["verified"]
    assert [s.status for s in verify_answer("鼓励推动“三新”领域工会组织建设[1]。", [plan], question).sentences] == ["verified"]
    assert [s.status for s in verify_answer(claim, [untitled], question).sentences] == ["verified"]


def test_a_bound_the_passage_puts_on_a_figure_stays() -> None:
    """"超过2000家" copied as "2000家" is restored to the passage's words (corrected); bounded the other
    way it is marked; bounded alike it stands, and a bound the passage does not put is taken off."""
    passage = "广州市20家产业园区为超过2000家中小型企业减免租金，减免金额达8000万元。"
    question = "获得广州市20家产业园区减免租的中小型企业有多少家？"
    v = verify_answer("获得广州市20家产业园区减免租的中小型企业有2000家[1]。", ["广州市已超过20家产业园区为超过2000家中小型企业减免租金。"], question)
    assert v.answer == "获得广州市20家产业园区减免租的中小型企业有超过2000家[1]。"  # the question's 20家 is left
    v = verify_answer("获得减免租的中小型企业有2000家[1]。", [passage], question)
    assert v.answer == "获得减免租的中小型企业有超过2000家[1]。"
    assert [(s.status, s.notes) for s in v.sentences] == [
        ("corrected", ["2000家 written as the passage bounds it: 超过2000家"])]
    v = verify_answer("获得减免租的中小型企业近2000家[1]。", [passage], question)
    assert [(s.status, s.reasons) for s in v.sentences] == [("flagged", ["figure"])]
    assert "近2000家⚠未核实（资料为超过2000家）[1]" in v.answer
    for right in ("获得减免租的中小型企业逾2000家[1]。", "减免金额达8000万元[1]。"):
        assert [s.status for s in verify_answer(right, [passage], question).sentences] == ["verified"]
    # a bound the passage does not put is taken off: "5%左右" is the target's wording, the review says 5%
    review = Evidence("国内生产总值达到134.9万亿元、增长5%，增速居世界主要经济体前列。", "2025年政府工作报告", "",
                      "一、2024年工作回顾")
    v = verify_answer("2024年国内生产总值实际增长5%左右[1]。", [review], "2024年国内生产总值实际增长了多少？")
    assert (v.answer, v.sentences[0].notes) == ("2024年国内生产总值实际增长5%[1]。",
                                                ["5%左右 written as the passage states it: 5%"])
    v = verify_answer("国内生产总值达到超过134.9万亿元[1]。", [review], "国内生产总值达到多少？")
    assert (v.answer, v.sentences[0].status) == ("国内生产总值达到134.9万亿元[1]。", "corrected")


SHENYANG = Evidence("（十一）依照《财政部国家卫生健康委关于新型冠状病毒感染肺炎疫情防控有关经费保障政策的通知》有关规定，"
                    "对一线医务人员按照一类补助标准给予临时性工作补助。对驰援湖北的医务人员增发绩效工资每人每天300元。",
                    "沈阳市人民政府办公室关于印发沈阳市保障防控新冠肺炎疫情一线医务人员及其家属若干措施的通知",
                    section="五、待遇保障方面")


def test_a_sentence_of_another_provinces_notice_is_not_the_asked_places() -> None:
    """The notice mentions 湖北 (驰援湖北), but the measure copied is 沈阳's: its sentence has no
    subject of its own, and the document's title names 沈阳."""
    q = "湖北省对一线医务人员有什么补助标准？"
    for answer in ("湖北省对一线医务人员按照一类补助标准给予临时性工作补助[1]。", "对一线医务人员按照一类补助标准给予临时性工作补助[1]。"):
        s = verify_answer(answer, [SHENYANG], q).sentences[0]
        assert (s.status, s.reasons) == ("flagged", ["entity"])
        assert f"{MARK}（资料所述为沈阳）" in s.text
    # asked of 沈阳, or of 辽宁 (沈阳 lies in it), or of no place, the same sentence is verified
    for asked in ("沈阳市对一线医务人员有什么补助标准？", "辽宁省对一线医务人员有什么补助标准？", "对一线医务人员有什么补助标准？"):
        s = verify_answer("对一线医务人员按照一类补助标准给予临时性工作补助[1]。", [SHENYANG], asked).sentences[0]
        assert s.status == "verified", (asked, s.notes)
    # a notice whose title names no place speaks for whoever asks
    national = Evidence(SHENYANG.text, "关于保障一线医务人员的若干措施")
    assert verify_answer("湖北省对一线医务人员按照一类补助标准给予临时性工作补助[1]。", [national],
                         "湖北省对一线医务人员有什么补助标准？").sentences[0].status == "verified"


def test_a_figure_keeps_the_qualifier_that_tells_it_from_another_value_of_its_metric() -> None:
    rates = Evidence("百人以上企业建会率达98.9%，超额完成95%的年度组建任务，25-99人企业建会率达到74.4%。",
                     "深圳市龙岗区总工会2019年工作总结")
    q = "2019年龙岗区建会率是多少？"
    s = verify_answer("龙岗区建会率达98.9%[1]。", [rates], q).sentences[0]
    assert (s.status, s.text) == ("corrected", "龙岗区建会率达98.9%（百人以上企业建会率）[1]。")
    assert s.notes == ["98.9% is the passage's figure for 百人以上企业建会率 only"]
    assert verify_answer("74.4%[1]。", [rates], q).sentences[0].text == "74.4%（25-99人企业建会率）[1]。"
    # with the qualifier in the answer, or in the question, or for a figure no other value rivals: as written
    for answer, asked in (("百人以上企业建会率达98.9%[1]。", q), ("建会率达98.9%[1]。", "百人以上企业建会率是多少？"),
                          ("超额完成95%的年度组建任务[1]。", q), ("百人以上企业完成建会[1]。", q)):
        s = verify_answer(answer, [rates], asked).sentences[0]
        assert (s.status, s.text) == ("verified", answer), s.notes


def test_a_bare_figure_is_not_the_one_asked_when_a_later_value_of_its_sentence_narrows_to_the_question() -> None:
    works = Evidence("目前，全省复工复产取得阶段性成效，在建省大中型项目复工率达93.5%，其中基础设施项目复工率达89.8%。",
                     "江西加快推进重大基础设施项目复工复产")
    q = "目前江西省在建省大中型项目中基础设施项目复工率达到了多少？"
    s = verify_answer("93.5%[1]。", [works], q).sentences[0]
    assert (s.status, s.reasons) == ("flagged", ["figure"])
    assert verify_answer("89.8%[1]。", [works], q).sentences[0].status == "verified"
    assert verify_answer("93.5%[1]。", [works], "目前江西省在建省大中型项目复工率达到了多少？").sentences[0].status == "verified"
    # a later value for words the question does not ask (其中党员) leaves the figure asked alone
    staff = Evidence("江苏省交通运输行业每天有4.4万名交通干部职工奋战在防疫一线，其中党员有8000多名。")
    assert verify_answer("4.4万名[1]。", [staff], "江苏省每天有多少名交通干部职工奋战在防疫一线？").sentences[0].status == "verified"


def test_a_figure_recited_to_the_year_asked_loses_the_citation_of_another_years_passage() -> None:
    plan = Evidence("综合各方面因素，建议今年全市生产总值增长5%左右。", "2025年上海市政府工作报告", section="二、2025年主要任务")
    review = Evidence("全市生产总值增长5%，城镇调查失业率4.2%。", "2025年上海市政府工作报告", section="一、2024年工作回顾")
    s = verify_answer("2025年上海市生产总值预期增长目标是5%左右[2]。", [plan, review],
                      "2025年上海市地区生产总值预期增长目标是多少？").sentences[0]
    assert (s.status, s.citations) == ("corrected", [1])
    assert s.notes == ["re-cited to [1], which states 5% for the year asked; [2] removed: it states 5% for another year"]


def test_a_claim_recited_to_its_places_passage_loses_the_citation_of_another_provinces_report() -> None:
    sichuan = Evidence("城镇新增就业85万人，城镇调查失业率5.5%左右，居民消费价格涨幅2%左右。", "2025年四川省政府工作报告")
    ningxia = Evidence("规上工业增加值增长6.5%，居民消费价格涨幅2%左右。", "2025年宁夏政府工作报告")
    q = "四川省政府工作报告提出2025年居民消费价格涨幅控制在多少？"
    s = verify_answer("四川省2025年居民消费价格涨幅控制在2%左右[2]。", [sichuan, ningxia], q).sentences[0]
    assert (s.status, s.citations) == ("corrected", [1])
    assert s.notes == ["re-cited to [1], which names 四川", "[2] removed: its document is 宁夏's"]
    # a cited passage of no place's document stays
    national = Evidence(ningxia.text, "关于2025年国民经济和社会发展计划的报告")
    assert verify_answer("四川省2025年居民消费价格涨幅控制在2%左右[2]。", [sichuan, national], q).sentences[0].citations == [1, 2]


def test_a_figure_for_another_group_than_the_one_asked_is_no_answer() -> None:
    rates = Evidence("百人以上企业建会率达98.9%，超额完成95%的年度组建任务，25-99人企业建会率达到74.4%。",
                     "深圳市龙岗区总工会2019年工作总结")
    q = "2019年龙岗区百人以上企业建会率达到多少？"
    for answer in ("25-99人企业建会率达到74.4%[1]。", "建会率达到74.4%[1]。"):
        s = verify_answer(answer, [rates], q).sentences[0]
        assert (s.status, s.reasons) == ("flagged", ["figure"])
        assert f"{MARK}（资料为98.9%）" in s.text
    # with the value asked beside it, or asked of 25-99人企业, it stands
    assert verify_answer("百人以上企业建会率达98.9%，25-99人企业建会率达到74.4%[1]。", [rates], q).sentences[0].status == "verified"
    assert verify_answer("25-99人企业建会率达到74.4%[1]。", [rates], "2019年25-99人企业建会率是多少？").sentences[0].status == "verified"


# The 2022 report: its review of 2021 and its targets for 2022, in the same words.
REVIEW_2021 = Evidence("——经济保持恢复发展。国内生产总值达到114万亿元，增长8.1%。城镇新增就业1269万人，城镇调查失业率平均为5.1%。",
                       "2022年政府工作报告", "", "一、2021年工作回顾")
TARGETS_2022 = Evidence("今年发展主要预期目标是：国内生产总值增长5.5%左右；城镇新增就业1100万人以上，城镇调查失业率全年控制在"
                        "5.5%以内；粮食产量保持在1.3万亿斤以上。", "2022年政府工作报告", "", "二、2022年经济社会发展总体要求和政策取向")


@pytest.mark.parametrize(("answer", "question", "status", "shown"), [
    # a result given for a target, a target for a result: marked with what the passage gives
    ("2021年城镇新增就业预期目标是1269万人[1]。", "2021年城镇新增就业目标是多少？", "flagged",
     "2021年城镇新增就业预期目标是1269万人⚠未核实（资料所述为完成情况）[1]。"),
    ("2022年国内生产总值增长5.5%左右[2]。", "2022年国内生产总值增长了多少？", "flagged",
     "2022年国内生产总值增长5.5%左右⚠未核实（资料所述为预期目标）[2]。"),
    # each at the stage asked, or a question that does not say which
    ("2022年国内生产总值增长目标是5.5%左右[2]。", "2022年国内生产总值增长目标是多少？", "verified",
     "2022年国内生产总值增长目标是5.5%左右[2]。"),
    ("2021年城镇新增就业1269万人[1]。", "2021年城镇新增就业实际完成了多少？", "verified", "2021年城镇新增就业1269万人[1]。"),
    ("2021年城镇新增就业1269万人[1]。", "2021年城镇新增就业多少人？", "verified", "2021年城镇新增就业1269万人[1]。"),
    # 以上 is not 左右: 斤 is a unit, so the bound after it is read
    ("2022年粮食产量目标是1.3万亿斤左右[2]。", "2022年粮食产量目标是多少？", "flagged",
     "2022年粮食产量目标是1.3万亿斤左右⚠未核实（资料为1.3万亿斤以上）[2]。"),
    ("2022年粮食产量目标是1.3万亿斤以上[2]。", "2022年粮食产量目标是多少？", "verified",
     "2022年粮食产量目标是1.3万亿斤以上[2]。"),
])
def test_a_target_is_no_result_and_a_result_no_target(answer: str, question: str, status: str, shown: str) -> None:
    v = verify_answer(answer, [REVIEW_2021, TARGETS_2022], question)
    assert [s.status for s in v.sentences] == [status]
    assert v.answer == shown


@pytest.mark.parametrize(("question", "stage"), [
    ("2023年国内生产总值增长目标是多少？", "target"), ("龙岗区总工会2020年在企业建会方面提出了什么目标？", "target"),
    ("2022年国内生产总值增长了多少？", "result"), ("2019年龙岗区新办理了多少张工会会员服务卡？", ""),
    ("全年完成了多少宗劳资纠纷调处工作？", "result"), ("实际完成目标的多少？", ""), ("建会率达到多少？", ""),
])
def test_the_stage_a_question_asks(question: str, stage: str) -> None:
    from rag.stages import asked_stage

    assert asked_stage(question) == stage


def test_a_review_of_the_past_year_in_a_years_report_speaks_of_the_year_before() -> None:
    """The 2023 report's "一、过去一年和五年工作回顾" gives 2022's results (its text names no year)."""
    review = Evidence("国内生产总值增长3%，城镇新增就业1206万人，年末城镇调查失业率降到5.5%。",
                      "2023年中华人民共和国国务院政府工作报告", "", "一、过去一年和五年工作回顾")
    v = verify_answer("2022年国内生产总值增长3%[1]。", [review], "2022年国内生产总值实际增长了多少？")
    assert (v.answer, v.sentences[0].status) == ("2022年国内生产总值增长3%[1]。", "verified")
    v = verify_answer("2023年国内生产总值增长3%[1]。", [review], "2023年国内生产总值增长了多少？")
    assert v.answer == "2023年国内生产总值增长3%⚠未核实（资料所述为2018年、2019年、2020年、2021年、2022年）[1]。"


# A section whose heading says neither review nor plan: the list's head and 去年 tell.
PROPOSALS_2013 = Evidence("去年居民消费价格涨幅回落到2.6%，这是控制通货膨胀的重要成果。今年发展主要预期目标是：国内生产总值增长7.5%左右；"
                          "城镇新增就业900万人以上；居民消费价格涨幅3.5%左右。赤字率拟按2.8%安排，比去年预算高0.2个百分点。",
                          "2013年政府工作报告", "", "二、对今年政府工作的建议")


@pytest.mark.parametrize(("answer", "question", "shown"), [
    ("城镇新增就业900万人以上[1]。", "2013年城镇新增就业实际完成了多少？", "城镇新增就业900万人以上⚠未核实（资料所述为预期目标）[1]。"),
    ("城镇新增就业900万人以上[1]。", "2013年城镇新增就业目标是多少？", "城镇新增就业900万人以上[1]。"),
    ("2013年居民消费价格涨幅目标是2.6%[1]。", "2013年居民消费价格涨幅目标是多少？",
     "2013年居民消费价格涨幅目标是2.6%⚠未核实（资料所述为2012年）[1]。"),
    ("2012年居民消费价格涨幅回落到2.6%[1]。", "2012年居民消费价格涨幅是多少？", "2012年居民消费价格涨幅回落到2.6%[1]。"),
    ("2013年赤字率拟按2.8%安排[1]。", "2013年赤字率拟按多少安排？", "2013年赤字率拟按2.8%安排[1]。"),  # 比去年: a comparison
])
def test_the_head_of_a_target_list_and_last_years_figure(answer: str, question: str, shown: str) -> None:
    assert verify_answer(answer, [PROPOSALS_2013], question).answer == shown


def test_an_average_or_total_over_years_is_no_one_years_figure() -> None:
    """The 2016 report's review of 2015 sums up the five-year plan too: "年均增长7.8%" is no answer to
    what 2015's growth was, whether the answer keeps 年均 or drops it; asked the average, it is."""
    review = Evidence("“十二五”规划确定的主要目标任务全面完成。一是经济持续较快发展。国内生产总值年均增长7.8%，经济总量稳居世界第二位。"
                      "五年累计新增城镇就业6431万人。", "2016年政府工作报告", "", "一、2015年工作回顾")
    mark = "⚠未核实（资料所述为多年平均或累计）[1]。"
    for answer in ("2015年国内生产总值年均增长7.8%[1]。", "2015年国内生产总值增长7.8%[1]。"):
        v = verify_answer(answer, [review], "2015年国内生产总值实际增长了多少？")
        assert (v.answer, v.sentences[0].status) == (answer[:-4] + mark, "flagged")
    jobs = verify_answer("2015年城镇新增就业6431万人[1]。", [review], "2015年城镇新增就业多少人？")
    assert jobs.answer == "2015年城镇新增就业6431万人" + mark
    average = verify_answer("“十二五”期间国内生产总值年均增长7.8%[1]。", [review], "“十二五”期间国内生产总值年均增长多少？")
    assert average.sentences[0].status == "verified"
    # beside the year's own figure, the average is that figure's rival, and the year's own is verified
    both = Evidence(review.text + "2015年国内生产总值增长6.9%。", review.title, "", review.section)
    wrong = verify_answer("2015年国内生产总值增长7.8%[1]。", [both], "2015年国内生产总值实际增长了多少？")
    assert wrong.answer == "2015年国内生产总值增长7.8%⚠未核实（资料为6.9%）[1]。"
    right = verify_answer("2015年国内生产总值增长6.9%[1]。", [both], "2015年国内生产总值实际增长了多少？")
    assert (right.answer, right.sentences[0].status) == ("2015年国内生产总值增长6.9%[1]。", "verified")


RENT = "北京市人民政府办公厅关于减免中小微企业房租的措施：中小微企业承租市及区属国有企业房产的，免收2月份房租。"


@pytest.mark.parametrize(("answer", "question", "note"), [
    # seen with the 0.5B on ncp_dev, each shown as verified before
    ("国务院联防联控机制对于文件和开会提出了以下要求：[1]。", "国务院联防联控机制对于文件和开会提出了什么要求？", "introduces what follows"),
    ("北京市人民政府办公厅采取以下措施[1]。", "北京市人民政府办公厅采取哪些措施减免中小微企业房租？", "introduces what follows"),
    ("北京市人民政府办公厅采取了减免中小微企业房租的若干措施[1]。", "北京市人民政府办公厅采取什么措施减免中小微企业房租？",
     "only restates the question"),
    ("北京市人民政府办公厅减免中小微企业房租是如何做的[1]。", "北京市人民政府办公厅减免中小微企业房租是怎样做的？",
     "only restates the question"),
    ("房租[1]。", "北京市对中小微企业房租有何减免？", "only restates the question"),
])
def test_an_answer_that_says_nothing_the_question_does_not_is_a_note(answer: str, question: str, note: str) -> None:
    v = verify_answer(answer, [RENT], question)
    assert [(s.status, s.notes) for s in v.sentences] == [("note", [note])]
    assert not v.supported


def test_a_sentence_that_loops_over_its_items_is_dropped_and_a_bound_is_no_list_head() -> None:
    passage = "包头高速公路收费站、疫情防控检查点对救护车辆、防疫车辆开辟绿色通道。月收入5000元以下的职工给予补助。"
    loop = verify_answer("保障的车辆有：包头高速公路收费站、疫情防控检查点、高速公路收费站、疫情防控检查点、高速公路收费站、"
                         "疫情防控检查点、高速公路收费站[1]。", [passage], "内蒙古绿色通道保障哪些车辆？")
    assert [(s.status, s.notes) for s in loop.sentences] == [("dropped", ["dropped: its items repeat themselves"])]
    bound = verify_answer("月收入5000元以下[1]。", [passage], "哪些职工可以获得补助？")
    assert [s.status for s in bound.sentences] == ["verified"]
    listed = verify_answer("对救护车辆、防疫车辆开辟绿色通道[1]。", [passage], "内蒙古绿色通道保障哪些车辆？")
    assert [s.status for s in listed.sentences] == ["verified"]


def test_a_review_heading_written_in_the_passage_makes_its_figures_results() -> None:
    """A .docx whose headings are plain lines: the chunk at the top of 四川's 2025 report has no
    section, but "2024年工作回顾 过去一年，…" before the figure says it is a result, not the 2025 target."""
    top = Evidence("2025年四川省政府工作报告\n各位代表：\n2024年工作回顾\n过去一年，是实现“十四五”规划目标任务的关键一年，"
                   "较好完成全年主要目标任务。——经济运行稳中向好。全省地区生产总值增长5.7%，高于全国0.7个百分点。",
                   "2025年四川省政府工作报告")
    plan = Evidence("2025年工作安排建议\n今年发展主要预期目标是：地区生产总值增长5.5%以上；城镇新增就业85万人。", "2025年四川省政府工作报告")
    question = "四川省2025年地区生产总值增长的预期目标是多少？"
    wrong = verify_answer("四川省2025年地区生产总值增长的预期目标是5.7%[1]。", [top, plan], question)
    assert wrong.answer == "四川省2025年地区生产总值增长的预期目标是5.7%⚠未核实（资料所述为2024年）[1]。"
    assert wrong.sentences[0].reasons == ["year", "stage"]  # 2024's, and a result
    right = verify_answer("四川省2025年地区生产总值增长的预期目标是5.5%以上[2]。", [top, plan], question)
    assert right.sentences[0].status == "verified"
    result = verify_answer("四川省2024年地区生产总值增长5.7%[1]。", [top, plan], "四川省2024年地区生产总值实际增长了多少？")
    assert result.sentences[0].status == "verified"
    # and its year is the one before the report's, whether the passage writes it ("2024年工作回顾") or not
    untitled = Evidence(top.text.split("2024年工作回顾\n")[1], top.title)
    for passage in (top, untitled):
        year = verify_answer("四川省2025年地区生产总值增长了5.7%[1]。", [passage], "四川省2025年地区生产总值实际增长了多少？")
        assert year.answer == "四川省2025年地区生产总值增长了5.7%⚠未核实（资料所述为2024年）[1]。"


def test_a_range_end_is_not_the_target_and_another_clauses_equal_value_binds_no_claim() -> None:
    """"5.0%—5.5%" is one range: its end "5.5%" is not the 地区生产总值 target, and the same 5.5%左右
    stated for 社会消费品零售总额 later in the sentence backs no claim about 地区生产总值."""
    targets = Evidence("今年经济社会发展的主要预期目标是：全省地区生产总值增长5.0%—5.5%，根据实际情况争取更好的结果，"
                       "固定资产投资增长5%左右，社会消费品零售总额增长5.5%左右，出口增长3%左右。", "2025年福建省政府工作报告")
    question = "福建省2025年地区生产总值增长的预期目标是多少？"
    v = verify_answer("福建省2025年地区生产总值增长的预期目标是5.5%左右[1]。", [targets], question)
    assert [(s.status, s.reasons) for s in v.sentences] == [("flagged", ["figure"])]
    assert "5.5%左右⚠未核实（资料为5.0%—5.5%）[1]" in v.answer
    for right in ("福建省2025年地区生产总值增长的预期目标是5.0%—5.5%[1]。", "社会消费品零售总额增长5.5%左右[1]。"):
        assert [s.status for s in verify_answer(right, [targets], question).sentences] == ["verified"]


def test_a_figure_recited_away_from_a_passage_that_gives_its_metric_another_value_loses_that_citation() -> None:
    """Cited to 2024's review ("社会消费品零售总额增长4.4%"), the 2025 target 5.5%左右 is re-cited to the target
    list, and the review's citation goes: it shares the claim's words but states another value."""
    review = Evidence("初步统计，2024年全省地区生产总值57761亿元、增长5.5%，固定资产投资增长3.9%，社会消费品零售总额增长4.4%，"
                      "出口增长5.3%。", "2025年福建省政府工作报告", section="一、牢记殷殷嘱托，在接续奋斗中新福建建设取得新成效")
    targets = Evidence("今年经济社会发展的主要预期目标是：全省地区生产总值增长5.0%—5.5%，固定资产投资增长5%左右，"
                       "社会消费品零售总额增长5.5%左右，出口增长3%左右。", "2025年福建省政府工作报告")
    v = verify_answer("福建省2025年社会消费品零售总额增长的预期目标是5.5%左右[1]。", [review, targets],
                      "福建省2025年社会消费品零售总额增长的预期目标是多少？")
    (check,) = v.sentences
    assert (check.status, check.citations) == ("corrected", [2])
    assert v.answer == "福建省2025年社会消费品零售总额增长的预期目标是5.5%左右[2]。"
    assert check.notes == ["re-cited to [2], which states 5.5%", "citation [1] removed: it states none of its figures"]


def test_a_negation_character_inside_a_name_or_an_idiom_reverses_nothing() -> None:
    cases = [("南非代表团内的媒体工作团队就接近20人。", "南非代表团内的媒体工作团队就接近20人[1]。"),
             ("蔡某某对自己谎报警情117起的违法事实供认不讳。", "蔡某某对自己谎报警情117起的违法事实供认[1]。")]
    for passage, answer in cases:
        v = verify_answer(answer, [passage])
        assert [s.status for s in v.sentences] == ["verified"], v.sentences[0].notes
    reversed_ = verify_answer("南非代表团内的媒体工作团队尚未组建完成[1]。", ["南非代表团内的媒体工作团队已经组建完成。"])
    assert reversed_.sentences[0].status == "flagged"
    assert "reverses the passage" in reversed_.sentences[0].notes[-1]


def test_two_dates_of_one_clause_are_each_checked_in_that_clause() -> None:
    """"25日表示，朝鲜24日深夜…至25日0时…发射": the claim's 25日 is the one of the clause that holds
    its words, not the first one of the sentence."""
    passage = ("韩国联合参谋本部25日表示，朝鲜24日深夜11点55分许至25日0时在平壤一带向半岛东部海域发射2枚短程弹道导弹。"
               "报道称，朝鲜于本月22日向半岛西部海域发射数枚巡航导弹。")
    question = "朝鲜24日深夜至25日凌晨在平壤一带发射了几枚短程弹道导弹？"
    ok = verify_answer("朝鲜24日深夜11点55分许至25日0时在平壤一带发射2枚短程弹道导弹[1]。", [passage], question)
    assert [s.status for s in ok.sentences] == ["verified"], ok.sentences[0].notes
    wrong = verify_answer("朝鲜22日深夜11点55分许至25日0时在平壤一带发射2枚短程弹道导弹[1]。", [passage], question)
    assert [s.status for s in wrong.sentences] == ["flagged"]


def test_a_claim_stated_with_its_polarity_in_a_passage_not_cited_is_recited_not_reversed() -> None:
    """Seen on ncp_dev: "…工业炉窑等非医疗废物专业处置设施…" cited to the passage listing the same 焚烧设施
    with no 非; the passage shown beside it states the clause word for word."""
    listing = ("可以选择可移动式医疗废物处置设施、危险废物焚烧设施、生活垃圾焚烧设施、工业炉窑等设施应急处置肺炎疫情医疗废物。")
    stated = ("（四）其他应急处置设施的特殊要求。危险废物焚烧设施、生活垃圾焚烧设施、工业炉窑等非医疗废物专业处置设施开展"
              "肺炎疫情医疗废物应急处置活动，应按照卫生健康主管部门的要求切实做好卫生防疫工作。")
    question = "《指南》对哪些东西进行焚烧应按照卫生健康主管部门的要求切实做好卫生防疫工作？"
    answer = "危险废物焚烧设施、生活垃圾焚烧设施、工业炉窑等非医疗废物专业处置设施开展肺炎疫情医疗废物应急处置活动{c}。"
    v = verify_answer(answer.format(c="[1]"), [listing, stated], question)
    assert [(s.status, s.citations, s.notes) for s in v.sentences] == [
        ("corrected", [2], ["cited [2], the passage that states it (not [1])"])]
    # with only the listing shown, the claim is reversed; and a claim negated is stated by no passage
    alone = verify_answer(answer.format(c="[1]"), [listing], question)
    assert [(s.status, s.reasons) for s in alone.sentences] == [("flagged", ["polarity"])]
    negated = verify_answer(answer.replace("开展", "未开展").format(c="[2]"), [listing, stated], question)
    assert [(s.status, s.reasons) for s in negated.sentences] == [("flagged", ["polarity"])]
