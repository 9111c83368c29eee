"""Which province a city, district or county lies in: a notice of 南昌 and 上饶 speaks of 江西 even
when it never writes the word. The table (``places.txt``) lists each province-level division with
the divisions inside it; names are looked up as the checker writes them: whole ("景德镇市"), without
the administrative suffix ("景德镇") or as the two-character stem (``claims.names_in``: "景德")."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
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
