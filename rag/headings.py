"""Heading lines of Chinese documents (一、 / （二） / 1. / 第三条 …): what chunking cuts sections at and
what cleaning must never merge into the paragraph before."""

from __future__ import annotations

import re

CN_NUM = "一二三四五六七八九十百零〇"
_HEADING_PATTERNS: list[tuple[int, re.Pattern[str]]] = [
    (0, re.compile(r"^〔(?:扫描件)?第\d+页(?:，OCR)?〕$")),  # rag.ocr.page_marker: above every other heading
    (1, re.compile(f"^第[{CN_NUM}\\d]+[编章](?:\\s|$|[^{CN_NUM}])")),
    (1, re.compile(f"^[{CN_NUM}]+、")),
    (2, re.compile(f"^第[{CN_NUM}\\d]+节")),
    (2, re.compile(f"^[（(][{CN_NUM}]+[）)]")),
    (3, re.compile(r"^\d{1,2}[.、．](?!\d)")),
    (3, re.compile(f"^第[{CN_NUM}\\d]+条")),
    (4, re.compile(r"^[（(]\d{1,2}[）)]")),
]
MAX_HEADING_CHARS = 40


def heading_level(line: str) -> int | None:
    """Level of a heading line (1 = top), or None for body text.

    Article headings (``第三条 …``) may carry their body on the same line; other headings are short.
    """
    stripped = line.strip()
    for level, pattern in _HEADING_PATTERNS:
        if pattern.match(stripped):
            if level == 3 and stripped.startswith("第"):
                return level
            if len(stripped) <= MAX_HEADING_CHARS and not stripped.endswith(("。", "；", ";")):
                return level
    return None
