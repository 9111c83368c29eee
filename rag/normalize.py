"""Chinese text normalization: cleaning of the original text, and the simplified *search form*.

The original text (traditional script, full-width digits and all) is what users see and what answers
quote; the search form (NFKC, simplified script, no spaces next to Chinese characters; a space
between two numbers stays, since it parts two figures) is what is embedded, tokenized and compared.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter

from rag.headings import heading_level

NORMALIZER_VERSION = "5"

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{CJK}]")

# A pinyin annotation is a parenthesised valid pinyin syllable directly after a Chinese character:
# 黨(dang) 的 / 區(qū). Real parenthesised text (（2020-2025）, (记者 王曦)) never matches.
_TONES = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ", "aaaaeeeeiiiioooouuuuvvvvvnnnm")
_SYLLABLE_RE = re.compile(
    r"^(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ueng|ang|eng|ing|ong|uan|uai|ian|iao|van|ai|ei|ao|ou|an|en|er|in|un|vn|ua|uo|ui|"
    r"ie|ia|iu|ve|ue|a|o|e|i|u|v|ng|n|m)$"
)
_PINYIN_CANDIDATE_RE = re.compile(f"(?<=[{CJK}])\\(([a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ]{{1,7}})\\) ?")


def _is_pinyin(word: str) -> bool:
    plain = word.translate(_TONES).lower()
    return word.islower() and bool(_SYLLABLE_RE.match(plain))


def strip_pinyin(text: str) -> str:
    """Remove inline pinyin annotations: ``黨(dang) 的`` -> ``黨的``, ``區(qū)`` -> ``區``."""
    return _PINYIN_CANDIDATE_RE.sub(lambda m: "" if _is_pinyin(m.group(1)) else m.group(0), text)


@functools.cache
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return str(_t2s().convert(text))


# A space between two numbers is kept: it parts two figures ("账号：2102108009249007743 2.网络捐款", a
# list of telephone numbers), and joining them writes a number no document holds.
_SPACE = "[ \\t\u3000\u00a0]+"
_SPACE_BETWEEN_RE = re.compile(f"(?<=[{CJK}%])(?:{_SPACE})(?=[{CJK}0-9])|(?<=[0-9．.])(?:{_SPACE})(?=[{CJK}])"
                               f"|(?<=[{CJK}])(?:{_SPACE})(?=[%．.])")
_WHITESPACE_RE = re.compile(r"(?<=[0-9．.])(\s+)(?=[0-9])|\s+")


def squeeze_cjk_spaces(text: str) -> str:
    """``2019 年`` -> ``2019年``; spaces between Latin words are kept."""
    return _SPACE_BETWEEN_RE.sub("", text)


def search_form(text: str) -> str:
    """NFKC (full-width -> half-width), traditional -> simplified, spaces next to CJK removed."""
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text)
    return squeeze_cjk_spaces(text)


def compact(text: str) -> str:
    """Search form without whitespace, but for one space between two numbers: the form in which
    answers and gold strings are compared."""
    return _WHITESPACE_RE.sub(lambda m: " " if m.lastindex else "", search_form(text))


# --- page structure: chrome, page numbers, repeated headers, page breaks -------------------------

_CHROME_START = [
    r"责任编辑[:：]", r"编辑[:：]", r"上一篇", r"下一篇", r"相关推荐$", r"相关阅读$", r"分享(本页|到)",
    r"返回顶部$", r"微信公众号$", r"微信小程序$", r"扫一扫", r"打印本页", r"关闭窗口$", r"特别声明[:：].*版权",
    r"Copyright", r"©", r"【?字号", r"点击.*(查看|进入)",
]
_CHROME_ANYWHERE = [r"版权所有", r"扫描二维码", r"海量资讯、精准解读"]
_CHROME_START_RE = re.compile("^(?:" + "|".join(_CHROME_START) + ")", re.IGNORECASE)
_CHROME_ANYWHERE_RE = re.compile("|".join(_CHROME_ANYWHERE))
_PAGE_NO_RE = re.compile(r"^\s*(?:[-—–－]\s*\d+\s*[-—–－]|第\s*\d+\s*页(?:\s*[/，,]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+|\d{1,3})\s*$")


def is_chrome_line(line: str) -> bool:
    """Page chrome is a line of its own that starts like chrome (责任编辑：, 上一篇, 特别声明…), or a short
    line with a chrome phrase; longer text that merely mentions 版权所有 is content."""
    simple = to_simplified(line.strip())
    if len(simple) <= 400 and _CHROME_START_RE.match(simple):
        return True
    return len(simple) <= 60 and bool(_CHROME_ANYWHERE_RE.search(simple))


# Scraped pages keep their footer on the last text line: "…2020年2月20日责任编辑：陈静 扫一扫在手机打开当前页
# 相关稿件 …". The byline is never content; the phone-view line starts the footer (related articles).
_BYLINE_RE = re.compile(r"\s*[（(]?责任编辑[:：]\s*[^\s，。；）)]{0,8}[）)]?")
_FOOTER_RE = re.compile(r"\s*扫一扫在手机(?:上)?打开当前页")


def strip_chrome_tail(line: str) -> str:
    """Drop an editor's byline and what follows the phone-view footer from inside a text line."""
    simple = to_simplified(line)
    if len(simple) != len(line):  # positions are read on the simplified line only when they align
        simple = line
    footer = _FOOTER_RE.search(simple)
    end = footer.start() if footer else len(line)
    kept, at = [], 0
    for m in _BYLINE_RE.finditer(simple, 0, end):
        kept.append(line[at:m.start()])
        at = m.end()
    kept.append(line[at:end])
    return "".join(kept).rstrip()


_SENTENCE_END = "。！？；!?;：:”’」』)）】"


def _looks_like_heading(line: str) -> bool:
    return heading_level(line) is not None


def join_page_breaks(paragraphs: list[str]) -> list[str]:
    """Join a paragraph cut by a page break mid-sentence with its continuation.

    A body paragraph (it has inner punctuation; titles and headings do not) that ends on a Chinese character (no closing punctuation) followed by a
    paragraph that does not start a heading is one paragraph: ``三年组`` + ``建规划``.
    """
    out: list[str] = []
    for para in paragraphs:
        if out:
            prev = out[-1]
            if (len(prev) >= 20 and prev[-1] not in _SENTENCE_END and _CJK_RE.match(prev[-1])
                    and re.search("[，。；、,]", prev) and not _looks_like_heading(prev)
                    and para and (_CJK_RE.match(para[0]) or para[0] in "“‘\"0123456789")
                    and not _looks_like_heading(para)):
                out[-1] = prev + para
                continue
        out.append(para)
    return out


def drop_repeated_lines(paragraphs: list[str], min_repeats: int = 3, max_len: int = 60) -> list[str]:
    """Drop page headers/footers and repeated captions: short lines seen ``min_repeats`` times or more
    keep only their first occurrence; bare page numbers go entirely."""
    counts = Counter(p for p in paragraphs if len(p) <= max_len)
    seen: set[str] = set()
    out = []
    for para in paragraphs:
        if _PAGE_NO_RE.match(para):
            continue
        if counts.get(para, 0) >= min_repeats:
            if para in seen:
                continue
            seen.add(para)
        out.append(para)
    return out


_INLINE_HEADING_RE = re.compile(
    r"\s+(?=(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|第[一二三四五六七八九十百零]+[章节条]"
    r"|\d{1,2}[、．](?!\d)))")


_HEADING_WITH_BODY_RE = re.compile(
    f"^((?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)])[^。；\\s]{{2,38}})\\s+(?=[{CJK}“])")


def split_run_on_lines(line: str, limit: int = 200) -> list[str]:
    """Very long single lines (scraped notices keep paragraphs apart by spaces only) are split
    before inline headings and at wide spaces between Chinese sentences."""
    if len(line) <= limit:
        return [line]
    pieces = _INLINE_HEADING_RE.split(line)
    out: list[str] = []
    for piece in pieces:
        head = _HEADING_WITH_BODY_RE.match(piece)
        if head:  # "一、支持疫情防控物资供应 对生产……": the heading is what comes before the space
            out.append(head.group(1))
            piece = piece[head.end():]
        out.extend(p for p in re.split(f"(?<=[。！？；：:])\\s+(?=[{CJK}“])", piece) if p.strip())
    return [p.strip() for p in out if p.strip()]


def clean_text(text: str) -> str:
    """Clean the original text of a document, keeping its script and wording."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C"
                   or unicodedata.category(ch) == "Co")
    text = strip_pinyin(text)
    paragraphs: list[str] = []
    for raw in text.split("\n"):
        line = re.sub(r"[ \t\u00a0]+", " ", raw).strip(" \t\u3000\u00a0")
        pieces = (strip_chrome_tail(p) for p in split_run_on_lines(line) if not is_chrome_line(p))
        paragraphs.extend(p for p in pieces if p)
    paragraphs = drop_repeated_lines(paragraphs)
    paragraphs = join_page_breaks(paragraphs)
    return "\n".join(paragraphs)


def has_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text))
