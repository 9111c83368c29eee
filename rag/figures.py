"""Figures as values: every number a reader would check, parsed from text into a typed :class:`Figure`.

"2.8亿元" is 280,000,000 of 元, "74.4%" is a percent, "7月19-20日" a date range, "二〇一九年" the year
2019, "3万多人次" about 30,000 of 人次. Two figures match only when their values are equal and their
units compatible, so "2.8万元" never backs "2.8亿元", "74%" never backs "74.4%" and "56万人" never
backs "56%". Texts are parsed in the search form (:func:`rag.normalize.compact`); spans index it.
"""

from __future__ import annotations

import functools
import re

from rag.normalize import compact
from rag.types import Figure, FigureKind, units_compatible

__all__ = ["Figure", "bound", "cn_to_int", "figures_in", "has_figure", "units_compatible"]

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_CN_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_MAGNITUDES = {"万亿": 1e12, "千万": 1e7, "百万": 1e6, "万": 1e4, "亿": 1e8, "千": 1e3}
# longest first: "个百分点" is not "个", "人次" is not "人"
_UNITS = sorted("""个百分点 百分点 平方公里 平方米 公顷 人次 户次 个月 小时 分钟 公里 千米 公斤 千克 元 人 名 位 家 个 宗 项
份 张 条 场 次 件 台 户 所 批 期 篇 倍 岁 年 月 日 天 周 号 米 亩 吨 辆 套 座 栋 间 床 支 例 起 类 种 届 处 只 部 本 册 首
块 株 艘 架 列 趟 班 室 层 级 轮 段 元钱 斤 立方米 千瓦时 千瓦""".split(), key=len, reverse=True)
_ARABIC = r"\d+(?:,\d{3})*(?:\.\d+)?"
_CN = "[零〇一二两三四五六七八九十百千]"
_RANGE = "[-—–~～至到]"
_DAY = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
_DATE_RE = re.compile(
    rf"(?<![\d.])(?P<m>\d{{1,2}}|[一二三四五六七八九十]{{1,3}})月(?:份)?"
    rf"(?:(?P<d>{_DAY})(?:日|号)?(?:{_RANGE}(?:(?P<m2>\d{{1,2}})月)?(?P<d2>{_DAY})(?:日|号)?)?)?")
_YEAR_RE = re.compile(rf"(?<![\d.])(?P<y>(?:19|20)\d{{2}}|[〇零一二三四五六七八九]{{4}})(?:{_RANGE}(?P<y2>(?:19|20)\d{{2}}))?年")
_PERCENT_RANGE_RE = re.compile(rf"(?<![\d.])(?P<n>{_ARABIC})(?P<u>[%‰]){_RANGE}(?P<n2>{_ARABIC})(?P=u)")
_PERCENT_WORD_RE = re.compile(rf"百分之(?P<n>{_ARABIC}|{_CN}+)")
PHONE = r"0\d{2,3}[-—–]\d{7,8}"  # 0771—2818453 is one telephone number, not a range
_PHONE_RE = re.compile(rf"(?<![\d.]){PHONE}(?!\d)")
_UNIT_ALT = "|".join(map(re.escape, _UNITS))
_MAG_ALT = "|".join(sorted(_MAGNITUDES, key=len, reverse=True))
_NUMBER_RE = re.compile(
    rf"(?<![\d.])(?P<n>{_ARABIC}|{_CN}+)(?:(?P<rng>{_RANGE})(?P<n2>{_ARABIC}|{_CN}+))?"
    rf"(?P<mag>{_MAG_ALT})?(?P<more>多|余)?(?P<unit>%|‰|{_UNIT_ALT})?")


def cn_to_int(text: str) -> int | None:
    """Chinese numeral to int: 二千三百四十六 -> 2346, 十二 -> 12, 二〇一九 -> 2019 (positional)."""
    if not text or any(ch not in _CN_DIGITS and ch not in _CN_SMALL_UNITS for ch in text):
        return None
    if len(text) > 1 and not any(ch in _CN_SMALL_UNITS for ch in text):
        if "两" in text:
            return None  # 两三 is "two or three", not 23
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total, current = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        else:
            total += (current or 1) * _CN_SMALL_UNITS[ch]
            current = 0
    return total + current


def _value(text: str) -> float | None:
    if text[0].isdigit():
        return float(text.replace(",", ""))
    value = cn_to_int(text)
    return None if value is None else float(value)


def _cn_ok(text: str, followed: bool) -> bool:
    """A Chinese numeral is a figure only before a magnitude or unit, and a lone 一 never is: 一是,
    一批 and 一个 are wording, not figures."""
    return followed and text != "一"


@functools.lru_cache(maxsize=8192)
def _parse(text: str) -> tuple[Figure, ...]:
    found: list[Figure] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    def add(fig: Figure) -> None:
        found.append(fig)
        taken.append((fig.start, fig.end))

    for m in _PHONE_RE.finditer(text):
        number = float(re.sub(r"\D", "", m.group(0)))
        add(Figure("number", number, number, "", m.group(0), m.start(), m.end()))
    for m in _DATE_RE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        month = _value(m.group("m"))
        if month is None or not 1 <= month <= 12:
            continue
        if not m.group("d") and not m.group("m").isdigit():
            continue  # 一月 alone is rarely a date in these texts
        day = _value(m.group("d")) if m.group("d") else 0.0
        day2 = _value(m.group("d2")) if m.group("d2") else day
        if day is None or day2 is None or day > 31 or day2 > 31:
            continue
        if m.group("m2") and m.group("d2"):
            day2 = 31.0  # 7月30日至8月2日: from the first day to the month's end is what the first month says
        add(Figure("date", day, day2, "", m.group(0), m.start(), m.end(), month=int(month)))
    for m in _YEAR_RE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        year = _value(m.group("y"))
        if year is None:
            continue
        year2 = _value(m.group("y2")) if m.group("y2") else year
        add(Figure("year", year, year2 or year, "年", m.group(0), m.start(), m.end()))
    for m in _PERCENT_RANGE_RE.finditer(text):  # "5.0%—5.5%": one range, not two percents
        if free(m.start(), m.end()):
            per = 10 if m.group("u") == "‰" else 1
            lo, hi = (float(m.group(g).replace(",", "")) / per for g in ("n", "n2"))
            add(Figure("percent", lo, hi, "%", m.group(0), m.start(), m.end(), approx=_approx_after(text, m.end())))
    for m in _PERCENT_WORD_RE.finditer(text):
        value = _value(m.group("n"))
        if value is not None and free(m.start(), m.end()):
            add(Figure("percent", value, value, "%", m.group(0), m.start(), m.end()))
    for m in _NUMBER_RE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        n, n2, mag, unit = m.group("n"), m.group("n2"), m.group("mag"), m.group("unit") or ""
        if not n[0].isdigit() and not _cn_ok(n, bool(mag or unit)):
            continue
        if n2 and not n2[0].isdigit() and not (mag or unit):
            n2 = None
        low, high = _value(n), _value(n2) if n2 else None
        if low is None:
            continue
        scale = _MAGNITUDES.get(mag or "", 1.0)
        high = low if high is None else high
        end = m.start("rng") if (m.group("n2") and n2 is None) else m.end()
        kind: FigureKind = "percent" if unit in ("%", "‰") else "number"
        if unit == "‰":
            low, high, unit = low / 10, high / 10, "%"
        approx = bool(m.group("more")) or _approx_after(text, end)
        add(Figure(kind, low * scale, high * scale, "%" if kind == "percent" else unit, text[m.start():end],
                   m.start(), end, approx=approx))
    return tuple(sorted(found, key=lambda f: f.start))


def _approx_after(text: str, end: int) -> bool:
    return text[end:end + 2] in ("左右", "以上", "以下")


def figures_in(text: str, already_compact: bool = False) -> list[Figure]:
    """Every figure of ``text``, in order; spans index ``compact(text)``."""
    return list(_parse(text if already_compact else compact(text)))


def has_figure(figure: Figure, text: str, already_compact: bool = False) -> bool:
    """Does ``text`` state ``figure`` (same value, compatible unit)?"""
    return any(figure.matches(other) for other in figures_in(text, already_compact))


# Words that bound a figure, by direction: "超过2000家" is more than 2000, "近2000家" less, "约" about.
_BEFORE = {"不少于": "up", "不低于": "up", "超过": "up", "超出": "up", "逾": "up", "超": "up",
           "不超过": "down", "不高于": "down", "不多于": "down", "将近": "down", "接近": "down", "不到": "down",
           "不足": "down", "近": "down", "大约": "about", "约": "about"}
_AFTER = {"以上": "up", "以下": "down", "左右": "about"}
_BOUND_BEFORE_RE = re.compile("(" + "|".join(sorted(_BEFORE, key=len, reverse=True)) + ")$")


def bound(text: str, fig: Figure) -> tuple[str, str, str]:
    """How ``text`` bounds ``fig``: (direction "up" / "down" / "about" or "", the word before the
    figure, the word after it): "超过2000家" is ("up", "超过", ""), "2000多家" ("up", "", ""),
    "100万元以上" ("up", "", "以上"). "最近2000家" is no bound."""
    before = _BOUND_BEFORE_RE.search(text[max(0, fig.start - 3):fig.start])
    word = before.group(1) if before else ""
    if word == "近" and text[max(0, fig.start - 2):fig.start - 1] in ("最", "附", "临", "靠"):
        word = ""
    after = text[fig.end:fig.end + 2] if text[fig.end:fig.end + 2] in _AFTER else ""
    more = fig.kind == "number" and ("多" in fig.text or "余" in fig.text)  # 2000多家, 3万余人
    return _BEFORE.get(word) or _AFTER.get(after) or ("up" if more else ""), word, after
