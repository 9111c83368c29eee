import pytest

from rag.normalize import (
    clean_text,
    compact,
    drop_repeated_lines,
    join_page_breaks,
    search_form,
    split_run_on_lines,
    strip_pinyin,
)


@pytest.mark.parametrize("raw,expected", [
    ("黨(dang) 的十八大", "黨的十八大"),
    ("龍崗區(qū)總工會", "龍崗區總工會"),
    ("關(guan) 於(yu) 產", "關於產"),
    ("爭當(dāng)先行", "爭當先行"),
    ("規劃（2020-2025）", "規劃（2020-2025）"),
    ("(记者 王曦)报道", "(记者 王曦)报道"),
    ("标准(ISO)规定", "标准(ISO)规定"),
    ("数值(abc)不是拼音", "数值(abc)不是拼音"),
    ("中心(x) 测试", "中心(x) 测试"),
])
def test_strip_pinyin(raw: str, expected: str) -> None:
    assert strip_pinyin(raw) == expected


def test_search_form() -> None:
    assert search_form("深化新時代浙江產業工人隊伍") == "深化新时代浙江产业工人队伍"
    assert search_form("１９５５年ＡＢＣ") == "1955年ABC"
    assert search_form("深圳市龙岗区总工会 2019 年工作总结") == "深圳市龙岗区总工会2019年工作总结"
    assert search_form("hello world 2019") == "hello world 2019"


@pytest.mark.parametrize(("text", "searched", "compared"), [
    ("账 号：2102108009249007743 2.网络捐款", "账号:2102108009249007743 2.网络捐款", "账号:2102108009249007743 2.网络捐款"),
    ("电话：3682007 2\n4801783", "电话:3682007 2\n4801783", "电话:3682007 2 4801783"),
    ("第1. 2020年", "第1. 2020年", "第1. 2020年"),
    ("２０１９ 年 ７ 月 增长 5.2 %", "2019年7月增长5.2 %", "2019年7月增长5.2%"),
])
def test_numbers_a_space_apart_stay_apart(text: str, searched: str, compared: str) -> None:
    """Spaces next to Chinese characters go (PDF text: "2019 年"); a space between two numbers parts
    two figures and stays, one space, in every form: the model's, the index's and the checker's."""
    from rag.prompting import prompt_form

    assert search_form(text) == searched
    assert compact(text) == compared
    assert "2102108009249007743 2." in prompt_form("账 号：2102108009249007743 2.网络捐款")
    assert compact("百人以上 企业 98.9 %") == "百人以上企业98.9%"


def test_join_page_breaks() -> None:
    long = "成功推动多个长期未建会企业完成建会，百人以上企业建会率达98.9%，超额完成95%的年度组建任务，提前完成三年组"
    assert join_page_breaks([long, "建规划阶段性任务。"]) == [long + "建规划阶段性任务。"]
    # a heading is never glued to the paragraph before it
    assert join_page_breaks([long, "（二）坚持预防处置相结合"]) == [long, "（二）坚持预防处置相结合"]
    # short lines (titles) are not joined
    assert join_page_breaks(["深圳市龙岗区总工会文件", "深龙工〔2020〕8号"]) == ["深圳市龙岗区总工会文件", "深龙工〔2020〕8号"]


def test_repeated_headers_and_page_numbers_dropped() -> None:
    paras = ["某某市人民政府公报", "正文一。", "- 1 -", "某某市人民政府公报", "正文二。", "第 2 页", "某某市人民政府公报", "正文三。"]
    assert drop_repeated_lines(paras) == ["某某市人民政府公报", "正文一。", "正文二。", "正文三。"]


def test_chrome_lines_dropped_in_both_scripts() -> None:
    text = "正文。\n責任編輯:路遙\n上一篇 2021-07-21 08:51\n分享本頁\n返回頂部\n责任编辑：刘玄逸\n结尾。"
    assert clean_text(text) == "正文。\n结尾。"


def test_run_on_line_split_before_inline_headings() -> None:
    line = "各有关单位： 为贯彻落实部署，现提出以下要求。 一、支持疫情防控物资供应 对生产企业给予支持。" * 10
    pieces = split_run_on_lines(line)
    assert len(pieces) > 5
    assert any(p.startswith("一、支持疫情防控物资供应") for p in pieces)


def test_long_line_mentioning_chrome_words_is_content() -> None:
    line = ("关于统筹做好春节后错峰返程疫情防控和交通运输保障工作的通知 各地区： 为深入贯彻落实有关部署，现就有关事项通知如下。"
            "一、加强统筹 各地要统筹做好返程工作，版权所有单位应当配合。扫描二维码即可查询。" * 4)
    text = clean_text(line)
    assert "一、加强统筹" in text and "版权所有单位应当配合" in text


@pytest.mark.parametrize("raw,expected", [
    # a signed notice whose byline follows the date on the same line
    ("请各单位做好应对工作。 开封市市场监督管理局 2020年2月20日责任编辑：陈静",
     "请各单位做好应对工作。 开封市市场监督管理局 2020年2月20日"),
    # the byline, then the phone-view footer and its related articles
    ("累计调拨19.8万件救灾物资，用于支持疫情防控工作。 责任编辑：李润发 扫一扫在手机打开当前页 相关稿件 应急管理部部署加强复工复产安全防范",
     "累计调拨19.8万件救灾物资，用于支持疫情防控工作。"),
    ("帮助小微企业顺利渡“难关”。（河南日报记者 逯彦萃 曹萍）责任编辑：银新玉",
     "帮助小微企业顺利渡“难关”。（河南日报记者 逯彦萃 曹萍）"),
    ("來源：華龍網 責任編輯：", "來源：華龍網"),
    ("指挥部 2020年1月27日 扫一扫在手机打开当前页", "指挥部 2020年1月27日"),
    # the words alone, not as a byline, are content
    ("由责任编辑审核后发布。", "由责任编辑审核后发布。"),
])
def test_byline_and_footer_dropped_inside_a_line(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_the_model_reads_no_markdown_bold_marks() -> None:
    from rag.prompting import prompt_form

    text = "文化自信进一步提升。**探索建立职工心理服务体系。**制定《打造共建共治共享社会治理格局》"
    assert prompt_form(text) == "文化自信进一步提升。探索建立职工心理服务体系。制定《打造共建共治共享社会治理格局》"
    assert prompt_form("3*4=12，**") == "3*4=12，**"  # a lone mark is text
