"""Tables as text a question can find: every row keeps its table's caption and the column headers.

"指标 | 2019年 | 2020年目标" over "建会率 | 98.9% | 全覆盖" becomes the line
"【2019年主要指标】指标：建会率；2019年：98.9%；2020年目标：全覆盖。", so a question about one cell
retrieves a passage that names the row and the column. Used for .docx tables, .xlsx sheets and .csv.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

from rag.errors import LoadError

_NUMERIC_RE = re.compile(r"^[\s\d.,，%％+\-—~～万亿千百元个家人次份张条项年月日:：/]*$")
_YEAR_LABEL_RE = re.compile(r"^(?:19|20)\d{2}年(?:度)?$")  # "2019年" heads a column of that year's figures
CAPTION_CHARS = 40


@dataclass(frozen=True)
class Table:
    caption: str
    rows: list[list[str]]  # cells stripped; the first row may be the header


def _has_header(rows: list[list[str]]) -> bool:
    """The first row names columns: (almost) all its cells filled, distinct, and none a figure
    other than a year label."""
    if len(rows) < 2:
        return False
    first = rows[0]
    filled = [c for c in first if c]
    if len(filled) < max(2, len(first) - 1) or len(set(filled)) < len(filled):
        return False
    return not any(_NUMERIC_RE.match(c) and re.search(r"\d", c) and not _YEAR_LABEL_RE.match(c) for c in filled)


def _squeeze(rows: list[list[str]]) -> list[list[str]]:
    """Rows without empty trailing cells and without blank rows; columns empty in every row dropped."""
    rows = [r for r in rows if any(c for c in r)]
    if not rows:
        return []
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    keep = [i for i in range(width) if any(r[i] for r in rows)]
    return [[r[i] for i in keep] for r in rows]


_UNIT_HEADER_RE = re.compile(r"^(?:计量)?单位$")


def _units_joined(header: list[str], row: list[str]) -> list[str]:
    """A 单位 column's unit written after the figure it counts ("数量：357；单位：份" -> "数量：357份"), so
    the figure is read with its unit; the unit cell is then left empty."""
    row = list(row)
    for i, h in enumerate(header):
        if i and _UNIT_HEADER_RE.match(h) and row[i] and len(row[i]) <= 4 and re.fullmatch(r"[\d.,]+", row[i - 1]):
            row[i - 1], row[i] = row[i - 1] + row[i], ""
    return row


def table_lines(table: Table) -> list[str]:
    """One line per data row, each naming the caption and, under a header, every cell's column."""
    rows = _squeeze([[re.sub(r"\s+", " ", c).strip() for c in row] for row in table.rows])
    if not rows:
        return []
    # "表1 2019年…" would read as the figure 12019 once spaces are dropped for search
    caption = re.sub(r"(?<=\d)\s+(?=\d)", "：", re.sub(r"\s+", " ", table.caption).strip())[:CAPTION_CHARS]
    lead = f"【{caption}】" if caption else ""
    if not _has_header(rows):
        return [lead + "；".join(c for c in row if c) + "。" for row in rows]
    header, body = rows[0], rows[1:]
    lines = []
    for row in body:
        row = _units_joined(header, row)
        cells = [f"{h}：{c}" if h else c for h, c in zip(header, row, strict=True) if c]
        if cells:
            lines.append(lead + "；".join(cells) + "。")
    return lines


def docx_rows(tbl: object) -> list[list[str]]:
    """The rows of a w:tbl element: a cell spanning columns fills each, a vertically merged cell
    repeats the text above it (so every row keeps its row label)."""
    def tag(el: object) -> str:
        return str(getattr(el, "tag", "")).rsplit("}", 1)[-1]

    def attr(el: object, name: str) -> str | None:
        for key, value in getattr(el, "attrib", {}).items():
            if str(key).endswith("}" + name):
                return str(value)
        return None

    rows: list[list[str]] = []
    for tr in (el for el in tbl.iter() if tag(el) == "tr"):  # type: ignore[attr-defined]
        row: list[str] = []
        for tc in (el for el in tr if tag(el) == "tc"):
            text = "".join(n.text or "" for n in tc.iter() if tag(n) == "t")
            span, merged = 1, False
            for prop in tc.iter():
                if tag(prop) == "gridSpan":
                    span = max(1, min(50, int(attr(prop, "val") or 1)))
                elif tag(prop) == "vMerge" and attr(prop, "val") != "restart":
                    merged = True
            if merged and rows and len(rows[-1]) > len(row):
                text = rows[-1][len(row)]
            row.extend([text.strip()] * span)
        rows.append(row)
    return rows


def read_csv(text: str, caption: str) -> list[str]:
    """A .csv (comma, tab, or semicolon separated) as table lines."""
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;，；")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as exc:
        raise LoadError(f"malformed CSV: {exc}") from exc
    return table_lines(Table(caption, rows))


def read_xlsx(data: bytes, max_cells: int = 2_000_000) -> list[str]:
    """Every sheet of an .xlsx workbook as table lines, captioned with the sheet's name."""
    import zipfile

    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise LoadError(f"damaged or truncated .xlsx ({exc.__class__.__name__})") from exc
    except Exception as exc:  # openpyxl raises several unrelated types on bad packages
        raise LoadError(f"damaged .xlsx: {exc}") from exc
    lines: list[str] = []
    cells = 0
    try:
        for sheet in book.worksheets:
            rows = []
            for row in sheet.iter_rows():
                cells += len(row)
                if cells > max_cells:
                    raise LoadError(f"more than {max_cells:,} cells: split the workbook")
                rows.append([_cell(getattr(c, "value", None), getattr(c, "number_format", "")) for c in row])
            lines.extend(table_lines(Table(sheet.title, rows)))
    finally:
        book.close()
    return lines


def _cell(value: object, number_format: str = "") -> str:
    """A cell as shown: 0.989 formatted as a percentage is "98.9%"."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in (number_format or ""):
        return f"{round(value * 100, 6):g}%"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "strftime"):
        return str(value.strftime("%Y年%m月%d日"))
    return str(value).strip()


def pdf_table_pages(data: bytes, pages: list[int]) -> dict[int, str]:
    """The text of those ``pages`` (0-based) of a text PDF that hold ruled tables, read by pdfplumber:
    each table written as row lines in its place, captioned by the short line above it. Pages
    without a table are left out (their text layer is used as it is)."""
    if not pages:
        return {}
    try:
        import pdfplumber
    except ImportError:  # tables then read as the text layer has them
        return {}
    out: dict[int, str] = {}
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception:  # pypdf read it; a PDF pdfminer cannot parse keeps pypdf's text
        return {}
    with pdf:
        for index in pages:
            page = pdf.pages[index]
            found = [t for t in page.find_tables() if len(t.rows) >= 2 and max(len(r.cells) for r in t.rows) >= 2]
            if found:
                out[index] = _page_with_tables(page, found)
    return out


def _page_with_tables(page: Any, tables: list[Any]) -> str:
    boxes = [t.bbox for t in tables]

    def outside(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return True
        x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)

    blocks: list[tuple[float, str | Any]] = [(ln["top"], ln["text"]) for ln in page.filter(outside).extract_text_lines()]
    blocks += [(t.bbox[1], t) for t in tables]
    lines: list[str] = []
    for _, item in sorted(blocks, key=lambda b: b[0]):
        if isinstance(item, str):
            lines.append(item)
            continue
        above = lines[-1].strip() if lines else ""
        caption = above if len(above) <= CAPTION_CHARS else ""
        lines.extend(table_lines(Table(caption, _pdf_rows(item.extract()))))
    return "\n".join(lines)


def _pdf_rows(raw: list[list[str | None]]) -> list[list[str]]:
    """pdfplumber's rows: a cell's wrapped lines joined, a merged cell (None) of the first column
    repeating the label above it (every row keeps its row label), others left empty."""
    rows: list[list[str]] = []
    for raw_row in raw:
        row = []
        for i, cell in enumerate(raw_row):
            if cell is None:
                row.append(rows[-1][i] if i == 0 and rows and len(rows[-1]) > i else "")
            else:
                row.append(re.sub(r"(?<=[^\x00-\x7f])\s*\n\s*|\s*\n\s*(?=[^\x00-\x7f])", "", cell).replace("\n", " "))
        rows.append(row)
    return rows
