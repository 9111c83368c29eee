"""Which province a city, district or county lies in: a notice of 南昌 and 上饶 speaks of 江西 even
when it never writes the word. The table (``places.txt``) lists each province-level division with
the divisions inside it; names are looked up as the checker writes them: whole ("景德镇市"), without
the administrative suffix ("景德镇") or as the two-character stem (``claims.names_in``: "景德")."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from importlib.resources import files

_SUFFIX_RE = re.compile("(?:特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|自治县|自治旗|新区|林区|特区|地区|"
                        "省|市|区|县|盟|旗)$")


def _keys(name: str) -> set[str]:
    stem = _SUFFIX_RE.sub("", name)
    keys = {name, stem}
    if len(stem) > 2:
        keys.add(stem[:2])
    return {k for k in keys if len(k) >= 2}


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """(province key -> provinces, place key -> provinces it lies in)."""
    provinces: dict[str, set[str]] = {}
    inside: dict[str, set[str]] = {}
    text = (files("rag") / "places.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        province, _, places = line.partition("\t")
        for key in _keys(province):
            provinces.setdefault(key, set()).add(province)
        for place in places.split():
            for key in _keys(place):
                inside.setdefault(key, set()).add(province)
    return ({k: frozenset(v) for k, v in provinces.items()}, {k: frozenset(v) for k, v in inside.items()})


def within(place: str, region: str) -> bool:
    """``place`` is a city, district or county of the province ``region`` ("景德" in "江西")."""
    provinces, inside = _tables()
    asked = provinces.get(region, frozenset())
    return bool(asked) and place not in provinces and bool(inside.get(place, frozenset()) & asked)


def names_part_of(region: str, text_places: Iterable[str]) -> bool:
    """Some place of ``text_places`` lies in the province ``region``."""
    return any(within(p, region) for p in text_places)


def provinces_of(name: str) -> frozenset[str]:
    """The provinces ``name`` is, or lies in; empty for a name the table does not know."""
    provinces, inside = _tables()
    return provinces.get(name) or inside.get(name, frozenset())


def elsewhere(place: str, regions: Iterable[str]) -> bool:
    """``place`` lies only in provinces that none of ``regions`` is or lies in (兰州 for 广州); a
    name shared by places in several provinces (城区) is elsewhere only if none of them is one asked."""
    mine = provinces_of(place)
    asked = frozenset().union(*(provinces_of(r) for r in regions))
    return bool(mine) and bool(asked) and not mine & asked


@functools.lru_cache(maxsize=1)
def _whose() -> tuple[re.Pattern[str], dict[str, str]]:
    """Province names (北京, 广东省) and city names written with 市 (广州市), each with its one province:
    the names that say whose a document is. Districts and counties are left out (朝阳区 is in 北京
    and in 长春)."""
    provinces, inside = _tables()
    cities = {k: next(iter(v)) for k, v in inside.items() if k.endswith("市") and len(v) == 1}
    keys = sorted((k for k, v in provinces.items() if len(v) == 1), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, keys)) + "|市"), cities


def _named(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, province) of each province or city name in ``text``."""
    pattern, cities = _whose()
    for m in pattern.finditer(text):
        if m.group(0) != "市":
            yield m.start(), m.end(), next(iter(provinces_of(m.group(0))))
            continue
        end = m.end()
        for start in range(max(0, end - 8), end - 2):  # the longest city name ending at this 市
            if text[start:end] in cities:
                yield start, end, cities[text[start:end]]
                break


_ORIGIN_BEFORE = "(?:来自于?|从|途经|去过|到过|曾到|曾在|天内有|有过|离开|离|往返于?)(?:湖北省?)?"
_ORIGIN_AFTER = ("(?:[市省区县]|地区)?(?:及周边地区|及周边|等地区?|等重点地区)?"
                 "(?:返|来(?![宾安凤])|回来|回乡|回到|旅行|旅居|居住|接触|人员接触|出差|务工|籍|户籍)")


_BEFORE_RE = re.compile(f"{_ORIGIN_BEFORE}$")
_AFTER_RE = re.compile(_ORIGIN_AFTER)


def as_origin(text: str, start: int, end: int) -> bool:
    """The place named at ``text[start:end]`` is where people come from or have been: "来自武汉市及周边
    地区", "有武汉市旅行史", "离开湖北地区"."""
    return bool(_BEFORE_RE.search(text[max(0, start - 8):start]) or _AFTER_RE.match(text, end))


def home(text: str) -> tuple[str, ...]:
    """The province or two a whole document speaks of: each named (itself or by a city) at least
    twice, no other named twice, where people come from not counted; empty for a document of many
    provinces or of none (a national notice, a story about 19 provinces helping 湖北)."""
    counts: dict[str, int] = {}
    for start, end, province in _named(text):
        if not as_origin(text, start, end):
            counts[province] = counts.get(province, 0) + 1
    named = tuple(sorted(p for p, n in counts.items() if n >= 2))
    return named if len(named) <= 2 else ()
