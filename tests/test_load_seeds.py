"""Every cleaning rule, proven on the seed documents."""

import re

import pytest

from rag.chunk import chunk_document
from rag.load import Document, load_file
from tests.conftest import SEEDS


def load_one(name: str) -> Document:
    [doc] = list(load_file(SEEDS / name))
    assert isinstance(doc, Document), doc
    return doc


PINYIN = re.compile(r"[\u4e00-\u9fff]\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")


@pytest.mark.parametrize("name", ["003_480abb7d6411b3a0.txt", "004_54b52c534d77a648.txt"])
def test_no_pinyin_annotation_left(name: str) -> None:
    raw = (SEEDS / name).read_text(encoding="utf-8")
    assert PINYIN.search(raw)  # the seed really has them
    doc = load_one(name)
    assert not PINYIN.search(doc.text)
    assert "黨的十八大" in doc.text or "龍崗區總工會" in doc.text


def test_html_page_chrome_removed_and_metadata_kept() -> None:
    doc = load_one("000_050fbe803fc5cea5.txt")
    for junk in ("appendQr", "责任编辑", "<p>", "<div", "news_keyword", "海量资讯", "sinaimg", "正文下iframe"):
        assert junk not in doc.text
    assert doc.title == "深圳罗湖区召开推进产业工人队伍建设改革领导小组工作会议"
    assert doc.date == "2022-08-14"
    assert "罗湖区委7楼会议室" in doc.text
    assert "(记者" not in doc.text or "记者" in doc.text  # real parentheses kept


def test_traditional_news_chrome_removed() -> None:
    doc = load_one("003_480abb7d6411b3a0.txt")
    for junk in ("責任編輯", "上一篇", "下一篇", "分享本頁", "返回頂部", "微信小程序", "特別聲明"):
        assert junk not in doc.text
    # the repeated image caption stays once
    assert doc.text.count("深化新時代浙江產業工人隊伍建設改革工作推進會在傳化集團召開") == 1
    assert doc.title.startswith("深化新時代浙江產業工人")


def test_pdf_page_break_joined_and_doc_number() -> None:
    doc = load_one("001_db1d55a4d02b970e.txt")
    assert "提前完成三年组建规划阶段性任务" in doc.text
    assert "分级管理与联动应急相统一" in doc.text
    assert doc.doc_number == "深龙工〔2020〕8号"
    assert doc.date == "2020-01-20"
    assert "2019 年工作总结" in doc.text  # the original keeps its spacing; the search form does not


def test_section_paths_and_kinds_on_seed_001() -> None:
    doc = load_one("001_db1d55a4d02b970e.txt")
    chunks = chunk_document(doc.text, doc.title)
    target = [c for c in chunks if "百人以上企业动态建会率实现全覆盖" in c.text]
    assert target
    assert all(c.section_path.startswith("三、2020年工作思路 > （一）不断夯实基层组织建设基础") for c in target)
    assert all(c.kind == "plan" for c in target)
    review = [c for c in chunks if "2346 宗劳资纠纷" in c.text]
    assert review and review[0].section_path.startswith("一、2019年主要工作完成情况 > （二）坚持预防处置相结合")
    assert review[0].kind == "review"
    # sizes bounded, no number cut in half at a chunk edge
    assert all(len(c.text) <= 500 for c in chunks)
    for c in chunks:
        assert not re.match(r"^\d", c.text) or not re.search(r"\d$", chunks[c.ordinal - 1].text) or c.ordinal == 0


def test_004_plan_paragraph_kind() -> None:
    doc = load_one("004_54b52c534d77a648.txt")
    chunks = chunk_document(doc.text, doc.title)
    nxt = [c for c in chunks if c.text.startswith("下一步")]
    assert nxt and nxt[0].kind == "plan"


BODY = "为进一步做好新型冠状病毒感染的肺炎疫情防控工作，支持相关防护物资生产和进口，现将有关政策公告如下。"


@pytest.mark.parametrize(("text", "title"), [
    # the issuers apart by spaces, then the 文号
    (f"财政部 税务总局关于支持新型冠状病毒感染的肺炎疫情防控有关税收政策的公告 财政部 税务总局公告2020年第8号 {BODY}",
     "财政部税务总局关于支持新型冠状病毒感染的肺炎疫情防控有关税收政策的公告"),
    # followed by its addressees only
    (f"致东城区房地产经纪机构和住房租赁企业的一封信 各房地产经纪机构和住房租赁企业：\n{BODY}",
     "致东城区房地产经纪机构和住房租赁企业的一封信"),
    # alone on the first line, ending in ！
    (f"应对疫情，这些措施助中小企业渡过难关！\n{BODY}", "应对疫情，这些措施助中小企业渡过难关！"),
    (f"【今日头条】“疫”路“税”行！金堂县税务局成功为一户企业办理延期申报 “因为疫情的影响，{BODY}",
     "“疫”路“税”行！金堂县税务局成功为一户企业办理延期申报"),
    # a 关于…的通知 further on belongs to the body, not to the headline
    ("市场监管总局发出紧急通知严打口罩等疫情防控物资生产领域价格违法行为 国家市场监督管理总局于2月5日发出关于疫情防控期间"
     f"严厉打击口罩等防控物资生产领域价格违法行为的通知 {BODY}", "市场监管总局发出紧急通知严打口罩等疫情防控物资生产领域价格违法行为"),
    (f"北京疫情防控期间危化品企业复产复工的安全提示 为贯彻落实应急管理部印发的《关于做好当前安全防范工作的通知》，{BODY}",
     "北京疫情防控期间危化品企业复产复工的安全提示"),
    # the 文号 right after the headline, no space between
    ("人力资源社会保障部 财政部 税务总局关于阶段性减免企业社会保险费的通知人社部发〔2020〕11号 各省、自治区、直辖市人民政府，"
     f"新疆生产建设兵团： {BODY} 一、自2020年2月起，免征中小微企业三项社会保险单位缴费部分。",
     "人力资源社会保障部财政部税务总局关于阶段性减免企业社会保险费的通知"),
    # the headline twice, then addressees: the first numbered heading of the body is no title
    ("关于贯彻落实阶段性减免企业社会保险费政策的通知 关于贯彻落实阶段性减免企业社会保险费政策的通知 税总函〔2020〕33号 "
     f"国家税务总局各省、自治区、直辖市和计划单列市税务局： {BODY} 一、推动尽快制定本地具体实施办法 各省税务局要主动向党委政府汇报。",
     "关于贯彻落实阶段性减免企业社会保险费政策的通知"),
])
def test_a_scraped_notice_is_titled_by_its_headline(text: str, title: str) -> None:
    from rag.load import build_document

    assert build_document("k", "0013aa11eb73353a.txt", text).title == title


REPORT_OPENING = ("政府工作报\n告\n\n——2017年3月5日在第十二届全国人民代表大会第五次会议上\n\n国务院总理\n李克强\n\n各位代表：\n\n"
                  "现在，我代表国务院，向大会报告政府工作，请予审议。\n\n一、2016年工作回顾\n\n过去一年，我国发展面临严峻挑战。\n")


@pytest.mark.parametrize(("name", "title"), [
    ("2017年中华人民共和国国务院政府工作报告.txt", "2017年中华人民共和国国务院政府工作报告"),  # the user's name for it
    ("决胜全面建成小康社会_夺取新时代中国特色社会主义伟大胜利_(十九大报告).txt",
     "决胜全面建成小康社会 夺取新时代中国特色社会主义伟大胜利 (十九大报告)"),
    ("新建文本文档.txt", "新建文本文档"),  # no document word: a text line would do, but none is a title; never the byline
    ("0013aa11eb73353a.txt", "0013aa11eb73353a"),
])
def test_a_file_name_that_reads_as_a_title_titles_the_document(name: str, title: str) -> None:
    from rag.load import build_document

    assert build_document("k", name, REPORT_OPENING).title == title
