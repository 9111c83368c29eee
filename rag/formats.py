"""Reading one file's bytes as text, by its real format: plain text in any of the encodings Chinese
offices use (UTF-8, GB18030, Big5, mixed line by line), HTML without its page chrome, .docx with its
tables, PDF text layers; front matter split off."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from rag.errors import LoadError
from rag.ocr import PageFn


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > len(head) * 0.05


def _plausible(text: str) -> bool:
    if not text:
        return False
    good = sum(1 for ch in text if ch.isprintable() or ch in "\n\t\r" or ch.isspace())
    bad = text.count("\ufffd")
    return good / len(text) > 0.97 and bad / len(text) < 0.01


def decode_bytes(data: bytes) -> str:
    """UTF-8 (with or without BOM), GB18030/GBK, Big5 and UTF-16, also mixed line by line."""
    if not data.strip():
        raise LoadError("empty file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if _looks_binary(data):
        raise LoadError("binary content, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    non_utf8 = b"\n".join(line for line in data.split(b"\n") if not _is_utf8(line))
    best = from_bytes(non_utf8[:200_000]).best()
    legacy = best.encoding if best is not None else "gb18030"
    if legacy.replace("_", "").lower() in ("gb2312", "gbk", "hz", "gb18030", "cp936", "ascii"):
        legacy = "gb18030"
    lines = []
    for line in data.split(b"\n"):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(line.decode(legacy, errors="replace"))
    text = "\n".join(lines)
    if not _plausible(text):
        raise LoadError(f"undecodable text (not UTF-8, GB18030 or Big5; best guess {legacy})")
    return text


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


# --- per-format readers --------------------------------------------------------------------------

_FRONT_MATTER_RE = re.compile(r"\A\ufeff?\s*---[ \t]*\n(.*?)\n---[ \t]*\n", re.S)
_HTML_HINT_RE = re.compile(r"<(p|div|br|span|html|body|article|section|table|h[1-6])[\s>/]", re.I)


def looks_like_html(text: str) -> bool:
    return _HTML_HINT_RE.search(text[:5000]) is not None


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    match = _FRONT_MATTER_RE.match(text)
    if not match:
        return {}, text
    import yaml

    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        meta = None
    return (meta if isinstance(meta, dict) else {}), text[match.end():]


_CHROME_CLASS_RE = re.compile(r"appendqr|qrcode|share|editor|nav|breadcrumb|footer|header|comment|"
                              r"related|img_wrapper|recommend|copyright|toolbar|sidebar|advert", re.I)


def html_to_text(html: str) -> tuple[str, str | None]:
    """Visible text of an HTML page without scripts, styles, comments, images and page chrome."""
    from bs4 import BeautifulSoup, Comment

    soup = BeautifulSoup(html, "lxml")
    title = soup.title.get_text(strip=True) if soup.title else None
    for tag in soup(["script", "style", "noscript", "iframe", "img", "svg", "form", "button", "head",
                     "nav", "footer", "header", "template", "object", "embed"]):
        tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    chrome = []
    for tag in soup.find_all(True):
        classes = " ".join(tag.get("class") or []) + " " + str(tag.get("id") or "")
        if classes.strip() and _CHROME_CLASS_RE.search(classes) and tag.name not in ("body", "html"):
            chrome.append(tag)
    # Outermost first, and never a tag inside one already gone: bs4's ``decomposed`` check searches
    # the whole subtree, which made a 5,000-deep page take 70 s.
    gone: set[int] = set()
    for tag in chrome:
        if not any(id(parent) in gone for parent in tag.parents):
            gone.add(id(tag))
    for tag in chrome:
        if id(tag) in gone:
            tag.decompose()
    return _block_text(soup), title


_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "table",
           "blockquote", "pre", "dd", "dt"}


def _block_text(root: Any) -> str:
    """The text of a parsed page with a line break around every block element, in one pass
    without recursion (inserting break nodes into the tree costs time quadratic in its depth)."""
    from bs4 import CData, NavigableString, Tag

    out: list[str] = []
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            out.append("\n")
        elif isinstance(node, Tag):
            if node.name in _BLOCKS:
                out.append("\n")
                stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.contents))
        elif type(node) in (NavigableString, CData):
            out.append(str(node))
    return "".join(out)


def check_zip(data: bytes, what: str, max_members: int, max_unpacked: int) -> None:
    """Refuse a zip container (.docx, .xlsx) with too many members or too much to unpack, before
    unpacking anything. The sizes are those the zip declares; Python's zipfile never unpacks a
    member beyond its declared size."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise LoadError(f"damaged or truncated {what} ({exc.__class__.__name__}: {exc})") from exc
    if len(members) > max_members:
        raise LoadError(f"{len(members):,} files inside, above the limit of {max_members:,} "
                        "(ingest.max_zip_members)")
    unpacked = sum(m.file_size for m in members)
    if unpacked > max_unpacked:
        raise LoadError(f"unpacks to {unpacked:,} bytes, above the limit of {max_unpacked:,} "
                        "(ingest.max_unpacked_bytes): a zip bomb?")


def read_docx(data: bytes) -> str:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LoadError(f"damaged or truncated .docx ({exc.__class__.__name__})") from exc
    except Exception as exc:  # python-docx raises several unrelated types on bad packages
        raise LoadError(f"damaged .docx: {exc}") from exc
    from rag.tables import CAPTION_CHARS, Table, docx_rows, table_lines

    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append("".join(node.text or "" for node in child.iter() if node.tag.endswith("}t")))
        elif tag == "tbl":
            above = next((ln.strip() for ln in reversed(lines) if ln.strip()), "")
            caption = above if len(above) <= CAPTION_CHARS else ""
            lines.extend(table_lines(Table(caption, docx_rows(child))))
    return "\n".join(lines)


def read_pdf(data: bytes, ocr: bool = True, dpi: int = 200, on_page: PageFn | None = None) -> tuple[str, list[str]]:
    """A PDF's text and warnings: the text layer of each page, and OCR for the pages without a
    usable one (each such page, and the page after it, headed by a marker line)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    from rag.ocr import ocr_image, page_marker, render_pdf_pages, usable

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise LoadError("password-protected PDF")
            except Exception as exc:
                raise LoadError("password-protected PDF") from exc
        pages = [page.extract_text() or "" for page in reader.pages]
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, OSError, TypeError) as exc:
        raise LoadError(f"damaged or truncated PDF ({exc})") from exc
    except Exception as exc:
        raise LoadError(f"unreadable PDF: {exc.__class__.__name__}: {exc}") from exc
    scanned = [i for i, text in enumerate(pages) if not usable(text)]
    pages = _with_tables(data, pages, [i for i in range(len(pages)) if i not in scanned])
    if not scanned:
        return "\n".join(pages), []
    if not ocr:
        if len(scanned) == len(pages):
            raise LoadError("PDF has no text layer (scanned images?) and OCR is off (ingest.ocr)")
        return "\n".join(pages), [f"pages {_page_list(scanned)} have no text layer and were skipped "
                                   "(OCR is off: ingest.ocr)"]
    for done, (index, image) in enumerate(render_pdf_pages(data, scanned, dpi), 1):
        pages[index] = ocr_image(image)
        if on_page:
            on_page(done, len(scanned))
    read = [i for i in scanned if pages[i].strip()]  # a blank page is no scanned page
    if not read and len(scanned) == len(pages):
        raise LoadError("PDF has no text layer and OCR found no text on its pages")
    out: list[str] = []
    for i, text in enumerate(pages):
        if i in read or i - 1 in read:
            out.append(page_marker(i + 1, ocr=i in read))
        out.append(text)
    return "\n".join(out), [f"OCR: pages {_page_list(read)} read from images"] if read else []


def _with_tables(data: bytes, pages: list[str], text_pages: list[int]) -> list[str]:
    from rag.tables import pdf_table_pages

    found = pdf_table_pages(data, text_pages)
    return [found.get(i, text) for i, text in enumerate(pages)]


def _page_list(indexes: list[int]) -> str:
    shown = ", ".join(str(i + 1) for i in indexes[:10])
    return shown + (f" and {len(indexes) - 10} more" if len(indexes) > 10 else "")


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
LEGACY = {".doc": ".docx", ".wps": ".docx", ".xls": ".xlsx", "ole": ".docx or .xlsx"}


def sniff_kind(data: bytes, suffix: str) -> str:
    if data.startswith(b"%PDF"):
        return ".pdf"
    if data.startswith(b"PK\x03\x04"):
        head = data[:200_000]
        if b"word/" in head or suffix == ".docx":
            return ".docx"
        return ".xlsx" if b"xl/" in head or suffix == ".xlsx" else "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"  # Word 97-2003 .doc, WPS .wps, Excel .xls
    if data.startswith(b"\x1f\x8b"):
        return "gzip"
    for magic, kind in ((b"\x89PNG\r\n", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"II*\x00", ".tif"), (b"MM\x00*", ".tif")):
        if data.startswith(magic):
            return suffix if suffix in IMAGE_SUFFIXES else kind
    return suffix


# --- metadata ------------------------------------------------------------------------------------
