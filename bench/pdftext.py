"""Chinese PDF text layers: pypdf against pypdfium2 (and pdfplumber), printing numbers.

    python -m bench.pdftext [--pages 24]

Pages of the seed documents and provincial 2025 reports (the cleaned text is the ground truth) are
written as text PDFs the three ways Chinese office PDFs come: an embedded TrueType subset with a
ToUnicode map (what Word and WPS export; fpdf2 with Noto Sans SC), a non-embedded CID font
(STSong-Light, UniGB-UCS2-H, reportlab) and a two-column page of the embedded kind. Each
extractor's text is scored: character error rate with whitespace removed (characters lost, wrong
or out of order), spaces inserted next to a Chinese character (beyond those the text has), and seconds per page.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.ocr import _norm, levenshtein, paginate, source_pages
from bench.scans import font_path

PAGE_CHARS = 900
_CJK_SPACE_RE = re.compile(r"(?<=[\u4e00-\u9fff]) +(?=[\u4e00-\u9fff0-9])|(?<=[0-9]) +(?=[\u4e00-\u9fff])")


def fpdf_page(paragraphs: list[str], columns: int = 1, latin: bool = False) -> bytes:
    """Noto Sans SC embedded; with ``latin``, digits and letters in another font (Bitstream Vera,
    shipped in reportlab's wheel) as Word writes them, the Chinese falling back to Noto."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.add_font("noto", fname=str(font_path("sc")))
    if latin:
        import reportlab

        pdf.add_font("vera", fname=str(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"))
        pdf.set_fallback_fonts(["noto"])
    pdf.set_font("vera" if latin else "noto", size=11)
    width = (pdf.w - 40 - 8 * (columns - 1)) / columns
    per_column = -(-len(paragraphs) // columns)
    for col in range(columns):
        pdf.set_xy(20 + col * (width + 8), 20)
        for para in paragraphs[col * per_column:(col + 1) * per_column]:
            pdf.set_x(20 + col * (width + 8))
            pdf.multi_cell(width, 6, "\u3000\u3000" + para, align="J", new_x="LEFT", new_y="NEXT")
    return bytes(pdf.output())


def cid_page(paragraphs: list[str], latin: bool = False) -> bytes:
    """STSong-Light, not embedded; with ``latin``, digit and letter runs in Times-Roman."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("body", fontName="STSong-Light", fontSize=11, leading=17, firstLineIndent=22,
                           wordWrap="CJK", alignment=4)
    buf = io.BytesIO()
    def markup(text: str) -> str:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return re.sub(r"[0-9A-Za-z.%]+", lambda m: f'<font name="Times-Roman">{m.group()}</font>', text) if latin else text

    SimpleDocTemplate(buf, pagesize=A4).build([Paragraph(markup(p), style) for p in paragraphs])
    return buf.getvalue()


def with_pypdf(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def with_pdfium(data: bytes) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_bounded() for page in pdf)
    finally:
        pdf.close()


def with_pdfplumber(data: bytes) -> str:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


EXTRACTORS: dict[str, Callable[[bytes], str]] = {"pypdf": with_pypdf, "pypdfium2": with_pdfium,
                                                 "pdfplumber": with_pdfplumber}
MAKERS: dict[str, Callable[[list[str]], bytes]] = {
    "embedded": fpdf_page, "word-like": lambda p: fpdf_page(p, latin=True), "cid": cid_page,
    "cid+latin": lambda p: cid_page(p, latin=True), "two-column": lambda p: fpdf_page(p, columns=2)}


def score(truth: str, text: str) -> tuple[int, int, int]:
    """(edit distance, ground-truth length, spaces inserted next to Chinese characters)."""
    inserted = len(_CJK_SPACE_RE.findall(text)) - len(_CJK_SPACE_RE.findall(truth))
    return levenshtein(_norm(truth), _norm(text)), len(_norm(truth)), inserted


@dataclass
class Tally:
    errors: int = 0
    chars: int = 0
    spaces: int = 0
    seconds: float = 0.0
    pages: int = 0

    def add(self, other: Tally) -> None:
        for key in ("errors", "chars", "spaces", "seconds", "pages"):
            setattr(self, key, getattr(self, key) + getattr(other, key))

    def row(self, kind: str, name: str) -> str:
        return (f"{kind:<12}{name:<12}{self.pages:>6}{self.errors / max(1, self.chars):>9.2%}{self.spaces:>12}"
                f"{self.seconds / max(1, self.pages):>9.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pdftext")
    parser.add_argument("--pages", type=int, default=24)
    args = parser.parse_args(argv)
    pages = [p for _, paras in source_pages(args.pages) for p in paginate(paras, PAGE_CHARS)][:args.pages]
    totals = {(kind, name): Tally() for kind in MAKERS for name in EXTRACTORS}
    for n, paragraphs in enumerate(pages):
        kind = list(MAKERS)[n % len(MAKERS)]
        data = MAKERS[kind](paragraphs)
        for name, extract in EXTRACTORS.items():
            start = time.perf_counter()
            text = extract(data)
            elapsed = time.perf_counter() - start
            errors, chars, spaces = score("\n".join(paragraphs), text)
            totals[(kind, name)].add(Tally(errors, chars, spaces, elapsed, 1))
    print(f"{'pdf kind':<12}{'extractor':<12}{'pages':>6}{'CER':>9}{'+spaces':>12}{'s/page':>9}")
    for name in EXTRACTORS:
        overall = Tally()
        for kind in MAKERS:
            print(totals[(kind, name)].row(kind, name))
            overall.add(totals[(kind, name)])
        print(overall.row("all", name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
