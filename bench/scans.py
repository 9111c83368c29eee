"""Scan-like pages made from known text, for OCR tests and the OCR benchmark.

Text is drawn with Noto Sans SC/TC (the ``justmytype-intl-cjk`` package, OFL) on an A4 page at
200 dpi, then degraded as office scans are: a rotation of a few degrees, grey noise, a red
stamp-like blot over part of the text. Pages can be wrapped as image-only PDFs (no text layer).
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path
from typing import Any

A4_200DPI = (1654, 2339)


def font_path(script: str = "sc") -> Path:
    spec = importlib.util.find_spec("justmytype_intl_cjk")
    if spec is None or spec.origin is None:
        raise RuntimeError("the CJK test font is missing: pip install justmytype-intl-cjk (a dev dependency)")
    name = {"sc": "notosanssc/NotoSansSC[wght].ttf", "tc": "notosanstc/NotoSansTC[wght].ttf"}[script]
    return Path(spec.origin).parent / "fonts" / "ofl" / name


def wrap(paragraphs: list[str], per_line: int) -> list[tuple[str, bool]]:
    """(line, starts a paragraph) pairs: paragraphs broken every ``per_line`` characters."""
    out = []
    for para in paragraphs:
        for i in range(0, len(para), per_line):
            out.append((para[i:i + per_line], i == 0))
    return out


def render_page(paragraphs: list[str], *, script: str = "sc", size: int = 34, rotate: float = 0.0,
                noise: float = 0.0, stamp: bool = False, seed: int = 0) -> Any:
    """A PIL image of the paragraphs (first lines indented two characters), degraded as asked."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(font_path(script)), size)
    page = Image.new("RGB", A4_200DPI, "white")
    draw = ImageDraw.Draw(page)
    margin, step = 150, int(size * 1.7)
    per_line = (A4_200DPI[0] - 2 * margin) // size
    y = margin
    lines = wrap(paragraphs, per_line - 2)
    if margin + len(lines) * step > A4_200DPI[1] - margin + step:
        raise ValueError(f"{len(lines)} lines do not fit on one page")  # the drawn text is the ground truth
    for line, first in lines:
        draw.text((margin + (2 * size if first else 0), y), line, font=font, fill="black")
        y += step
    rng = np.random.default_rng(seed)
    if stamp:
        # where an office stamps: over the end of the text, the blot's ring crossing the last line
        cx, cy = int(A4_200DPI[0] * 0.7), margin + len(lines) * step + 60
        draw.ellipse((cx - 150, cy - 150, cx + 150, cy + 150), outline=(220, 40, 40), width=10)
        draw.text((cx - 110, cy - 20), "龙岗区总工会", font=ImageFont.truetype(str(font_path()), 36), fill=(220, 40, 40))
    if rotate:
        page = page.rotate(rotate, fillcolor="white", resample=Image.Resampling.BICUBIC)
    if noise:
        arr = np.asarray(page).astype(np.int16) + rng.normal(0, noise, (A4_200DPI[1], A4_200DPI[0], 1)).astype(np.int16)
        page = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    return page


def image_pdf(pages: list[Any]) -> bytes:
    """An image-only PDF (no text layer) of the pages."""
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", resolution=200.0, save_all=True, append_images=pages[1:])
    return buf.getvalue()


def png(page: Any) -> bytes:
    buf = io.BytesIO()
    page.save(buf, "PNG")
    return buf.getvalue()
