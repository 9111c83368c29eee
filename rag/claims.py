"""The parts of a claim the checker binds to a passage: names, polarity, the words around a figure.

All functions take and return the search form (:func:`rag.normalize.compact`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from rag import places
from rag.normalize import compact
from rag.segment import tagged as _segment_tagged
from rag.types import Figure

_CJK = "\u4e00-\u9fff"
# Place and organisation names: a two-character proper name before a suffix. Only the proper name is
# compared ("罗湖" for 罗湖区), so 深圳市罗湖区 / 罗湖区委 / 罗湖 all count as naming it.
_NAME_SUFFIXES = "省|市|区|县|镇|乡|街道|集团"
_NAME_RE = re.compile(f"([{_CJK}]{{2}})(?:{_NAME_SUFFIXES})")
_NOT_NAMES = frozenset("""全区 本区 该区 辖区 城区 社区 园区 地区 市区 片区 小区 景区 湾区 新区 各区 两区 郊区 山区 矿区 试验区
城市 全市 本市 该市 各市 我市 超市 上市 门市 城市 股市 楼市 入市 开市 省市 地市 县市 市市 都市 海市 早市 夜市 灰市
全省 本省 该省 各省 我省 外省 分省 节省 反省 外县 全县 本县 各县 该县 城镇 乡镇 村镇 集镇 全镇 各镇 本镇 城乡 全乡
各乡 下乡 家乡 返乡 老乡 异乡 各街道 全街道 本公司 该公司 分公司 子公司 总公司 各公司 全集团 本集团 该集团 大集团
龙头公司 中区 东区 西区 南区 北区 各街 服务区 示范区 开发区 保税区 功能区 行政区 风景区 生活区 工业区 产业区 居住区 聚集区
重点区 先行区 核心区 高新区 自贸区 特区 经济区 实验区 边区 疫区 灾区 风险区 防控区 管控区 封控区 低风险区 中风险区 高风险区
风险区 建成 建成区 自治 自治区
控股 投资 建设 实业 发展 科技 产业 能源 交通 旅游 文化 传媒 医药 教育 金融 物流 商业 工业 农业 建工 城建 城投 贸易 电力 航空 钢铁 责任区 战区 禁区 校区 厂区 营区 库区 港区 站区 政区 各区县 区县 市县 省区""".split())
_FUNCTION_CHARS = set("全本该各我你他这那其此每某分两省市区县镇乡在于由对向从把被和与及或等为是的了将到至哪几多")
# jieba tags many words as places (多角度, 上门); of its place tags only these count
_PROVINCES = frozenset("""北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东
海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门 深圳 广州 武汉 南京 杭州 成都 西安""".split())

# Negation, and pairs of opposite wording: a claim whose wording differs from its passage's here has
# reversed what the passage says.
_NOT_NEGATION = ("不断", "不仅", "不但", "不少", "不同", "不久", "不管", "不论", "未来", "无论", "无数", "非公", "非常",
                 "非遗", "无偿", "无缝", "无障碍", "无人机", "不忘", "毫不", "并非", "无一", "不懈", "不动产", "非法",
                 "不得", "不良", "无形", "无线", "未成年", "不定期", "不限", "不超过", "不低于", "不少于", "不高于",
                 "不大于", "不小于", "非税", "非营利", "非物质", "无纸化", "无接触", "非接触", "无症状", "南非", "北非", "东非", "西非",
                 "非洲", "亚非", "不讳", "不已", "不菲", "不禁", "不妨", "不时", "不停", "无比", "无私", "无疑", "非凡",
                 "除非", "不锈钢")
_NEGATION_RE = re.compile("尚未|未能|并未|从未|没有|没|未|不|无|非")
_DIRECTIONS = (("增长|增加|提高|上升|提升|扩大|上涨|超额|超过|高于|多于|以上|翻番", 1),
               ("下降|减少|降低|下滑|缩小|下跌|低于|少于|不足|以下|回落", -1))


def names_in(text: str) -> list[str]:
    """Proper names of places and organisations ("罗湖", "传化", "山西"), in order, without repeats."""
    return list(_names(text))


@functools.lru_cache(maxsize=4096)
def _names(text: str) -> tuple[str, ...]:
    spans: list[tuple[int, int, str, str]] = []
    pos = 0
    for word, flag in _tagged(text):
        spans.append((pos, pos + len(word), word, flag))
        pos += len(word)
    starts = {s for s, _, _, _ in spans}
    found: list[tuple[int, str]] = []
    for m in _NAME_RE.finditer(text):
        name, suffix_at = m.group(1), m.start() + 2
        if m.group(0) in _NOT_NAMES or name in _NOT_NAMES or name[0] in _FUNCTION_CHARS or name[1] in _FUNCTION_CHARS:
            continue
        if name.endswith("族"):
            continue  # 瀍河回族区, 壮族自治区: the people's name, not the place's
        if m.start() not in starts or (text[suffix_at:suffix_at + 2] in _SUFFIX_WORDS
                                       and text[suffix_at + 1:suffix_at + 3] not in _GOVERNMENT):
            continue  # 推进园区: "进园" starts inside a word; 投放市场: 市 begins 市场 (but 天津市政府 is 天津's)
        if any(s == suffix_at and e > m.end() for s, e, _, _ in spans):
            continue  # 签订区域性: the "suffix" begins another word
        if any(m.start() < s < suffix_at < e for s, e, _, _ in spans) and any(
                s == m.start() and flag in _NOT_NAME_TAGS for s, _, _, flag in spans):
            continue  # 以社区: a preposition, then a word (社区) across the "name" and its suffix
        if any(m.start() < s < suffix_at < e and flag != "ns" for s, e, _, flag in spans):
            continue  # 惠彤超市: the "suffix" 市 ends a word (超市) that begins inside the "name"
        if any(s == m.start() and e == suffix_at and flag in _NOT_NAME_TAGS for s, e, _, flag in spans):
            continue  # 内容概述市…: a verb or function word is no name
        found.append((m.start(), name))
    for start, _, word, flag in spans:
        proper = _SUFFIX_RE.sub("", _REGION_RE.sub("", word))
        if flag in ("ns", "nt") and proper in _PROVINCES:
            found.append((start, proper))
    return tuple(dict.fromkeys(name for _, name in sorted(found)))


def persons_in(text: str) -> list[str]:
    """Person names as jieba tags them (卢耀明, 王文序): checked only for being in the passage, so a
    word it mistags is harmless when the answer copies its passage."""
    return [w for w, flag in _tagged(text) if flag in ("nr", "nrfg", "nrt") and 2 <= len(w) <= 4]


def places_in(text: str) -> list[str]:
    """Place words as jieba tags them ("福田" in "助力福田高质量发展", where no 区 follows): like
    :func:`persons_in`, only checked for being in a passage."""
    return [w for w, flag in _tagged(text) if flag == "ns" and 2 <= len(w) <= 4]


def words(text: str) -> tuple[tuple[str, str], ...]:
    """jieba's words of ``text`` with their part-of-speech tags."""
    return _tagged(text)


@functools.lru_cache(maxsize=4096)
def _tagged(text: str) -> tuple[tuple[str, str], ...]:
    return tuple(_segment_tagged(text))


_SUFFIX_WORDS = frozenset("市场 市民 市值 市政 市容 市面 区域 区间 区别 区分 区块 县域 省份 省级 省钱 省力 镇压 乡村 乡镇 集团化".split())
_GOVERNMENT = frozenset({"政府", "政协"})  # after 市/区/县 these begin no word with it: 天津市政府
_NOT_NAME_TAGS = frozenset({"v", "d", "p", "c", "r", "u", "ad", "m", "q", "f"})
_SUFFIX_RE = re.compile(f"(?:{_NAME_SUFFIXES})$")
_REGION_RE = re.compile("(?:壮族|回族|维吾尔)?自治区$|特别行政区$")  # 宁夏回族自治区: one word to jieba


def polarity(clause: str) -> tuple[bool, int]:
    """(negated?, direction +1/-1/0) of a clause."""
    text = clause
    for word in _NOT_NEGATION:
        text = text.replace(word, "")
    negated = len(_NEGATION_RE.findall(text)) % 2 == 1
    direction = 0
    for pattern, sign in _DIRECTIONS:
        if re.search(pattern, text):
            direction = sign if direction in (0, sign) else 0
    return negated, direction


def clauses(text: str) -> list[str]:
    return [c for c in re.split(r"[，,；;。！？!?：:\n]+", text) if c]


_CLAUSE_SPLIT_RE = re.compile(r"[，,；;。！？!?：:、\n]")


def clause_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and not _CLAUSE_SPLIT_RE.match(text[start - 1]):
        start -= 1
    while end < len(text) and not _CLAUSE_SPLIT_RE.match(text[end]):
        end += 1
    return start, end


_RATE_RE = re.compile("每(?:小时|分钟|秒|天|日|周|星期|月|年)|[日周月年]均")


def per_unit(text: str, fig: Figure) -> bool:
    """``fig`` is a rate in time (每小时21万个, 日均3500人), shortly after its 每/均 in its clause (每家企业
    最高30万元 is a cap for each, not a rate: not counted)."""
    start, _ = clause_span(text, fig.start, fig.end)
    return bool(_RATE_RE.search(text[max(start, fig.start - 8):fig.start]))


def asks_rate(question: str) -> bool:
    return bool(_RATE_RE.search(question))


def segment(text: str, fig: Figure, figures: list[Figure]) -> str:
    """The words that go with ``fig`` in ``text``: its clause, cut at the neighbouring figures."""
    start, end = clause_span(text, fig.start, fig.end)
    lo, hi = start, end
    for other in figures:
        if other is fig or other.kind == "year":
            continue
        if start <= other.start and other.end <= fig.start:
            start = other.end
        elif fig.end <= other.start and other.end <= end:
            end = other.start
    seg = text[start:fig.start] + text[fig.end:end]
    if len(content_grams(seg)) < 2:  # "25人-99人企业…": a pair of figures shares its clause's words
        inside = [o for o in figures if lo <= o.start and o.end <= hi]
        seg, last = "", lo
        for o in sorted(inside, key=lambda o: o.start):
            seg, last = seg + text[last:o.start] + " ", o.end
        seg += text[last:hi]
    return seg


_CELL_RE = re.compile("[^;；]+")
_COLON_RE = re.compile("[:：]")


@dataclass(frozen=True)
class Cell:
    """Where a table row line names the cell of a figure: spans of the caption, the row's label and
    the cell's column header (``header``, also among ``spans``; None when the cell has none)."""

    spans: list[tuple[int, int]]
    header: tuple[int, int] | None


def table_cell(text: str, fig: Figure) -> Cell | None:
    """The cell of a figure in a row line as :mod:`rag.tables` writes it ("【表1】指标：建会率；
    2019年完成：98.9%；年度任务：95%。"): the caption, the row's label (its first cell, and any cell
    without a figure) and the cell's own column header, never the other cells' values. ``None``
    when the figure is not in such a line."""
    left = max(text.rfind(ch, 0, fig.start) for ch in _SENTENCE_STOPS) + 1
    ends = [i for i in (text.find(ch, fig.end) for ch in _SENTENCE_STOPS) if i != -1]
    right = min(ends) if ends else len(text)
    lead = text.rfind("【", left, fig.start)
    close = text.find("】", lead, fig.start) if lead != -1 else -1
    if close == -1 or "【" in text[close:fig.start]:
        return None
    parts = [(m.start(), m.end()) for m in _CELL_RE.finditer(text, close + 1, right)]
    headed = [bool(_COLON_RE.search(text, s, e)) for s, e in parts]
    if len(parts) < 2 or (any(headed) and not all(headed)):
        return None
    spans = [(lead + 1, close)]
    header = None
    for n, (start, end) in enumerate(parts):
        colon = _COLON_RE.search(text, start, end)
        if start <= fig.start < end:
            if colon and colon.start() < fig.start:
                header = (start, colon.start())
                spans.append(header)
        elif n == 0 or not re.search(r"\d", text[colon.end() if colon else start:end]):
            spans.append((start, end))
    return Cell(spans, header)


def figure_token(fig: Figure) -> str:
    """A figure as one "word" of its neighbour's context: "25-99人企业建会率达74.4%" binds 74.4% to 25-99人."""
    return f"#{fig.kind}:{fig.low:g}-{fig.high:g}:{fig.unit}"


def neighbours(text: str, fig: Figure, figures: list[Figure]) -> set[str]:
    """Tokens of the other figures (not years) in the clause of ``fig``."""
    start, end = clause_span(text, fig.start, fig.end)
    return {figure_token(o) for o in figures
            if o is not fig and o.kind != "year" and start <= o.start and o.end <= end}


def bind_score(grams: set[str], seg: str, tokens: set[str]) -> float:
    """Share of the claim's words (bigrams, and its neighbours' figure tokens) in a passage segment."""
    if not grams:
        return 0.0
    return sum(1 for g in grams if (g in tokens if g.startswith("#") else g in seg)) / len(grams)


SLOT_CHARS = 5  # the question's words this close to 多少/几 say what fills the slot
_ASKED_RE = re.compile("多少|几")
_COUNTER_RE = re.compile("(?:多少|几)([个项家人次条场件名所座台辆份套批期轮起宗户])")


def asked_slot(question: str) -> set[str]:
    """Bigrams of the question's words right before and after its 多少/几: "再给予多少贴息支持"."""
    m = _ASKED_RE.search(question)
    if not m:
        return set()
    return content_grams(question[max(0, m.start() - SLOT_CHARS):m.start()]) | content_grams(
        question[m.end():m.end() + SLOT_CHARS])


def slot_score(slot: set[str], text: str, fig: Figure) -> int:
    """How many of the slot's bigrams stand right around ``fig`` in ``text`` (a 的 or 达 between allowed)."""
    left, right = text[max(0, fig.start - SLOT_CHARS - 2):fig.start], text[fig.end:fig.end + SLOT_CHARS + 2]
    return sum(1 for g in slot if g in left or g in right)


def asked_counter(question: str) -> str:
    """The counter the question asks for ("多少项" -> 项), or ""."""
    m = _COUNTER_RE.search(question)
    return m.group(1) if m else ""


def content_grams(text: str) -> set[str]:
    """Character bigrams of the Chinese words (digits, letters and punctuation left out)."""
    runs = re.findall(f"[{_CJK}]+", text)
    return {run[i:i + 2] for run in runs for i in range(len(run) - 1)}


def overlap(words: set[str], text: str) -> float:
    """Share of ``words`` (bigrams) that occur in ``text``."""
    if not words:
        return 0.0
    return sum(1 for g in words if g in text) / len(words)


_CLAUSE_STOPS = "。！？!?；;\n"
_SENTENCE_STOPS = "。！？!?\n"


def sentence_around(text: str, start: int, stops: str = _CLAUSE_STOPS) -> str:
    """The sentence of ``text`` (up to 。！？; or a line break) that holds position ``start``."""
    left = max(text.rfind(ch, 0, start) for ch in stops) + 1
    ends = [i for i in (text.find(ch, start) for ch in stops) if i != -1]
    return text[left:min(ends) if ends else len(text)]


def window_around(text: str, start: int) -> str:
    """The full sentence (to 。, across ；) holding ``start`` and the one before it, joined by NUL:
    where a figure's or a claim's subject is named ("传化集团…四个坚持：坚持…；坚持…；坚持…。")."""
    sentence = sentence_around(text, start, _SENTENCE_STOPS)
    left = text.find(sentence)
    return sentence_around(text, left - 1, _SENTENCE_STOPS) + "\x00" + sentence if left > 1 else sentence


def _bigrams(text: str) -> set[str]:
    clean = re.sub(r"[\s\W_]+", "", compact(text))
    return {clean[i:i + 2] for i in range(len(clean) - 1)}


def support(sentence: str, passage: str) -> float:
    """Share of the sentence's character bigrams found in the passage (0..1)."""
    grams = _bigrams(sentence)
    if not grams:
        return 1.0
    return len(grams & _bigrams(passage)) / len(grams)


def mentions(text: str, name: str) -> bool:
    """``name`` occurs in ``text`` other than as where people come from: a hospital notice of 天津
    asking after patients "来自武汉市及周边地区" or "有武汉市旅行史" says nothing of 武汉's own rules."""
    return any(not places.as_origin(text, m.start(), m.end()) for m in re.finditer(re.escape(name), text))
