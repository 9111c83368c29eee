"""The figure parser, on hand-written values: every figure is a value with its unit and magnitude."""

from __future__ import annotations

import pytest

from rag.figures import cn_to_int, figures_in, has_figure
from rag.types import Figure


def one(text: str) -> Figure:
    [fig] = figures_in(text)
    return fig


@pytest.mark.parametrize(("text", "kind", "low", "high", "unit"), [
    ("全年完成2346宗", "number", 2346, 2346, "宗"),
    ("争取各类经济利益1.8亿元", "number", 1.8e8, 1.8e8, "元"),
    ("覆盖职工27.9万人", "number", 279000, 279000, "人"),
    ("发放慰问金47.35万元", "number", 473500, 473500, "元"),
    ("建会率达98.9%", "percent", 98.9, 98.9, "%"),
    ("增长百分之五", "percent", 5, 5, "%"),
    ("提高2个百分点", "number", 2, 2, "个百分点"),
    ("服务职工3万多人次", "number", 30000, 30000, "人次"),
    ("二十万家", "number", 200000, 200000, "家"),
    ("二千三百四十六宗", "number", 2346, 2346, "宗"),
    ("3-4个", "number", 3, 4, "个"),
    ("增长5.0%—5.5%", "percent", 5.0, 5.5, "%"),
    ("3‰～5‰", "percent", 0.3, 0.5, "%"),
    ("共1,200家", "number", 1200, 1200, "家"),
    ("七月十九日", "date", 19, 19, ""),
    ("7月19-20日", "date", 19, 20, ""),
    ("7月18日至20日", "date", 18, 20, ""),
    ("二〇一九年", "year", 2019, 2019, "年"),
    ("2020-2025年", "year", 2020, 2025, "年"),
])
def test_values(text: str, kind: str, low: float, high: float, unit: str) -> None:
    fig = one(text)
    assert (fig.kind, fig.low, fig.high, fig.unit) == (kind, low, high, unit)


def test_dates_carry_their_month() -> None:
    assert one("8月10日").month == 8 and one("七月十九日").month == 7
    assert [f.kind for f in figures_in("2023年2月9日下午")] == ["year", "date"]


def test_wording_is_not_a_figure() -> None:
    assert figures_in("一是基层工会工作基础仍较薄弱，二是职工服务") == []
    assert figures_in("一批示范点，一个重要举措") == []
    assert [f.low for f in figures_in("四个坚持")] == [4]


def test_cn_to_int() -> None:
    assert cn_to_int("二千三百四十六") == 2346
    assert cn_to_int("十二") == 12
    assert cn_to_int("六") == 6
    assert cn_to_int("二〇二〇") == 2020
    assert cn_to_int("两三") is None
    assert cn_to_int("abc") is None


@pytest.mark.parametrize(("answer", "passage", "same"), [
    ("2346宗", "全年完成2346宗劳资纠纷", True),
    ("234宗", "全年完成2346宗劳资纠纷", False),
    ("74%", "建会率为74.4%", False),
    ("74.4%", "建会率为74.4%", True),
    ("2.8万元", "投入2.8亿元", False),
    ("二十万家", "新建20家", False),
    ("56万人", "占比56%", False),
    ("20家", "新建二十家", True),
    ("27.9万人", "覆盖职工279000人", True),
    ("13.3万", "新办理会员服务卡13.3万张", True),
    ("3600人", "培训职工3600人次", True),
    ("125家", "完成年度任务的125%", False),
    ("8号", "深龙工〔2020〕18号", False),
    ("7月20日", "7月19-20日召开", True),
    ("10月19日", "7月19-20日召开", False),
    ("7月", "7月19-20日召开", True),
    ("2019年", "深龙工〔2019〕8号", True),
    ("2021年", "2020-2025年规划", False),
    ("2024年", "行动方案（2020-2025）", False),
    ("2020-2025年", "行动方案（2020-2025）", True),
    ("6个", "共六个方面", True),
])
def test_matching(answer: str, passage: str, same: bool) -> None:
    assert has_figure(one(answer), passage) is same


def test_a_telephone_number_is_one_figure_not_a_range() -> None:
    (phone, hours) = figures_in("热线电话：0771—2818453（24小时）")
    assert (phone.kind, phone.low, phone.high, phone.text) == ("number", 7712818453.0, 7712818453.0, "0771—2818453")
    assert (hours.low, hours.unit) == (24.0, "小时")
    assert not phone.matches(figures_in("0771-5860326")[0])
    assert [(f.low, f.high) for f in figures_in("25-99人企业")] == [(25.0, 99.0)]
    # numbers beyond float precision are compared digit for digit; amounts keep their value
    account = figures_in("账号：0409020029300539524")[0]
    assert account.matches(figures_in("0409020029300539524")[0])
    assert not account.matches(figures_in("0409020029300539525")[0])
    assert figures_in("12亿元")[0].matches(figures_in("1200000000元")[0])


@pytest.mark.parametrize(("text", "expected"), [
    ("超过2000家", ("up", "超过", "")), ("逾百家", ("up", "逾", "")), ("2000多家", ("up", "", "")),
    ("3万余人", ("up", "", "")), ("100万元以上", ("up", "", "以上")), ("超99.6%", ("up", "超", "")),
    ("近2000家", ("down", "近", "")), ("将近600吨", ("down", "将近", "")), ("不足5%", ("down", "不足", "")),
    ("不超过6个月", ("down", "不超过", "")), ("约30万人", ("about", "约", "")), ("增长5%左右", ("about", "", "左右")),
    ("2000家", ("", "", "")), ("最近2000家企业", ("", "", "")), ("附近300米", ("", "", "")),
])
def test_the_words_that_bound_a_figure(text: str, expected: tuple[str, str, str]) -> None:
    from rag.figures import bound

    assert bound(text, figures_in(text)[0]) == expected
