"""Offline OCR of scanned pages and images: RapidOCR (``rapidocr-onnxruntime``, with its PP-OCRv4
detector) reading lines with the PP-OCRv6 small recognizer that ships inside the ``rapidocr`` 3.10
wheel — its 18,708 characters include the traditional ones PP-OCRv4's 6,623 lack (議, 黨, 隊), which
took traditional pages from 15% to 6% CER (bench/ocr.py). Nothing is downloaded; without that wheel
the PP-OCRv4 recognizer of ``rapidocr-onnxruntime`` is used. PDF pages are rendered with pypdfium2.

The detector gives one box per text line (or piece of a line); :func:`layout` puts them back in
reading order (two columns are read left column first) and joins lines into paragraphs: a line
that is indented, comes after a wide gap, or follows a short line that ends a sentence (or is a
short stub, as a heading is) starts a new paragraph.
"""

from __future__ import annotations

import functools
import io
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import LoadError

INSTALL_HINT = ("OCR needs rapidocr-onnxruntime, rapidocr and pypdfium2: "
                "pip install 'rapidocr-onnxruntime>=1.4,<1.5' 'rapidocr>=3.10,<3.11' pypdfium2")
REC_MODEL = "PP-OCRv6_rec_small.onnx"
MAX_PIXELS = 60_000_000  # a 600 dpi A3 scan is ~70 MP at 8 bits; larger is a bomb or a poster
MIN_SCORE = 0.5
FULL = 0.5  # below this fill (see _fill) a page is read again turned 180°
PageFn = Callable[[int, int], None]  # (pages done, pages in all)


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def yc(self) -> float:
        return (self.y0 + self.y1) / 2


@functools.cache
def _engine() -> Any:
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as exc:
        raise LoadError(f"this file needs OCR, which is not installed ({INSTALL_HINT})") from exc
    rec = recognizer()
    # no per-line angle classifier: on upright scans it turned ~1 line in 30 upside down and read
    # garbage there (CER 2.2% -> 0.55% without it); a page upside down is turned whole (ocr_image)
    return RapidOCR(rec_model_path=str(rec), use_cls=False) if rec else RapidOCR(use_cls=False)


def recognizer() -> Path | None:
    """The PP-OCRv6 recognizer inside the ``rapidocr`` wheel, found without importing that package."""
    import importlib.util

    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / REC_MODEL
    return path if path.is_file() else None


def boxes_of(image: Any) -> list[Box]:
    """Text boxes RapidOCR reads with confidence in an image (a NumPy array, RGB or grayscale)."""
    result, _ = _engine()(image)
    out = []
    for points, text, score in result or []:
        if float(score) < MIN_SCORE or not str(text).strip():
            continue
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        out.append(Box(min(xs), min(ys), max(xs), max(ys), str(text).strip()))
    return out


def _columns(boxes: list[Box]) -> list[list[Box]]:
    """One column, or two when most boxes keep to one half of the text area."""
    if len(boxes) < 6:
        return [boxes]
    left, right = min(b.x0 for b in boxes), max(b.x1 for b in boxes)
    mid = (left + right) / 2
    slack = (right - left) * 0.03
    lefts = [b for b in boxes if b.x1 <= mid + slack]
    rights = [b for b in boxes if b.x0 >= mid - slack]
    spanning = [b for b in boxes if b not in lefts and b not in rights]
    if len(lefts) < 0.3 * len(boxes) or len(rights) < 0.3 * len(boxes) or len(spanning) > 0.2 * len(boxes):
        return [boxes]
    top = min(b.y0 for b in lefts + rights)
    head = [b for b in spanning if b.yc < top]  # a title over both columns comes first
    rest = [b for b in spanning if b.yc >= top]
    return [head, lefts + rest, rights] if head else [lefts + rest, rights]


def _lines(boxes: list[Box]) -> list[list[Box]]:
    lines: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: b.yc):
        if lines and abs(box.yc - statistics.fmean(b.yc for b in lines[-1])) < 0.5 * box.height:
            lines[-1].append(box)
        else:
            lines.append([box])
    return [sorted(line, key=lambda b: b.x0) for line in lines]


def _join(a: str, b: str) -> str:
    """Chinese runs on across line ends, and so does a figure cut by one ("7" + "4.4%"); Latin words do not."""
    return a + " " + b if re.match(r"[A-Za-z]", b[:1]) and re.search(r"[A-Za-z]$", a) else a + b


_ENDS = ("。", "！", "？", "；", "：", "”", "」", "!", "?", ";", ":")


def layout(boxes: list[Box]) -> str:
    """The boxes' text in reading order, lines joined into paragraphs (one per line of output)."""
    paragraphs: list[str] = []
    for column in _columns(boxes):
        lines = _lines(column)
        if not lines:
            continue
        h = statistics.median(b.height for line in lines for b in line)
        left = min(line[0].x0 for line in lines)
        right = max(line[-1].x1 for line in lines)
        current, prev = "", None
        for line in lines:
            text = ""
            for box in line:
                text = _join(text, box.text) if text else box.text
            x0, x1, y0 = line[0].x0, line[-1].x1, min(b.y0 for b in line)
            new = prev is None or x0 > left + 1.2 * h or y0 - prev[2] > 1.2 * h
            if prev is not None and prev[1] < right - 2 * h:
                # a short line ends a paragraph if it ends a sentence or is a heading-like stub; a line
                # of half-width digits is short too, and goes on
                new = new or current.endswith(_ENDS) or prev[1] - prev[0] < 0.6 * (right - left)
            if new and current:
                paragraphs.append(current)
                current = ""
            current = _join(current, text) if current else text
            prev = (x0, x1, max(b.y1 for b in line))
        if current:
            paragraphs.append(current)
    return "\n".join(paragraphs)


def ocr_image(image: Any) -> str:
    """The text of a page image in reading order. A page whose boxes hold far fewer characters than
    their size fits (a scan fed upside down reads as a few short runs of noise) is tried again
    turned 180°, and the fuller reading kept."""
    boxes = boxes_of(image)
    if boxes and _fill(boxes) < FULL:
        import numpy as np

        turned = boxes_of(np.ascontiguousarray(np.rot90(image, 2)))
        if _fill(turned) > _fill(boxes):
            boxes = turned
    return layout(boxes)


def _fill(boxes: list[Box]) -> float:
    """Characters read per character the boxes could hold (a Chinese character is about as wide as
    its line is high): ~1 for text read upright."""
    return sum(len(b.text) for b in boxes) / max(1.0, sum((b.x1 - b.x0) / max(b.height, 1.0) for b in boxes))


def image_pages(data: bytes) -> list[Any]:
    """The frames of an image file (a multi-page TIFF has several) as NumPy arrays."""
    import numpy as np
    from PIL import Image, ImageSequence, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise LoadError(f"image of {img.width}×{img.height} pixels, above {MAX_PIXELS:,}")
            return [np.array(frame.convert("RGB")) for frame in ImageSequence.Iterator(img)]
    except LoadError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise LoadError(f"not a readable image ({exc.__class__.__name__})") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise LoadError(f"damaged or truncated image ({exc})") from exc


def read_image(data: bytes, on_page: PageFn | None = None) -> list[str]:
    frames = image_pages(data)
    out = []
    for i, frame in enumerate(frames, 1):
        out.append(ocr_image(frame))
        if on_page:
            on_page(i, len(frames))
    return out


def render_pdf_pages(data: bytes, pages: list[int], dpi: int) -> Any:
    """Yield (page index, image) for the given 0-based pages, rendered at ``dpi``."""
    try:
        import pypdfium2 as pdfium
    except ImportError as exc:
        raise LoadError(f"this PDF has scanned pages, and OCR is not installed ({INSTALL_HINT})") from exc
    import numpy as np

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise LoadError(f"PDFium cannot open the PDF to render its scanned pages ({exc})") from exc
    try:
        for index in pages:
            page = pdf[index]
            try:
                bitmap = page.render(scale=dpi / 72, grayscale=True)
                yield index, np.array(bitmap.to_pil().convert("RGB"))
            finally:
                page.close()
    finally:
        pdf.close()


_GARBAGE_RE = re.compile(r"[\ufffd\u25a1\x00-\x08]")
_WORD_RE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


def usable(text: str) -> bool:
    """A page's text layer is usable when it has some words and little that is replacement or
    box characters (what a broken font mapping extracts as)."""
    words = len(_WORD_RE.findall(text))
    return words >= 10 and len(_GARBAGE_RE.findall(text)) <= 0.1 * max(1, len(text.strip()))


def page_marker(number: int, ocr: bool) -> str:
    """A line before a page in a PDF that has OCR'd pages: the chunker makes it the section, so a
    citation says where the text came from."""
    return f"〔扫描件第{number}页，OCR〕" if ocr else f"〔第{number}页〕"
