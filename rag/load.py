"""Read every supported format into cleaned :class:`Document` objects.

Formats: .txt .md .html .htm .docx .pdf, and .jsonl / .jsonl.gz record files (one document per
record, :mod:`rag.records`). A file's real type is sniffed from its bytes, so a PDF named .docx is
still read (with a warning). Limits (``ingest.*`` settings) are checked before anything is read.
Failures never stop a batch: each becomes one :class:`LoadFailure` naming file and reason.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from rag.discover import LoadFailure, named_path, not_regular, suffix_of
from rag.errors import LoadError
from rag.formats import (
    IMAGE_SUFFIXES,
    LEGACY,
    check_zip,
    decode_bytes,
    html_to_text,
    looks_like_html,
    read_docx,
    read_pdf,
    sniff_kind,
    split_front_matter,
)
from rag.headings import heading_level
from rag.normalize import clean_text, has_cjk, search_form, squeeze_cjk_spaces
from rag.ocr import PageFn, page_marker, read_image
from rag.records import RecordFields, read_records
from rag.settings import IngestSettings
from rag.tables import read_csv, read_xlsx

__all__ = ["Document", "LoadFailure", "RecordFields", "build_document", "file_signature", "load_file"]


@dataclass
class Document:
    doc_id: str
    key: str  # what identifies the document across runs: the file's path as named, or path#record-id
    source: str  # display name: file name, or record id
    title: str
    date: str | None
    text: str  # cleaned original text
    content_sha: str
    doc_number: str | None = None
    warnings: list[str] = field(default_factory=list)


# --- bytes -> text ------------------------------------------------------------------------------

_DATE_CN_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DATE_ISO_RE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_DOC_NO_RE = re.compile(r"[\u4e00-\u9fff]{1,10}\s*[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d+\s*号")
_TITLE_WORDS = ("总结", "思路", "计划", "报告", "要点", "通知", "会议", "召开", "方案", "意见", "办法", "决定",
                "规定", "公告", "通报", "纪要", "讲话", "推进会")


def _iso(y: str, m: str, d: str) -> str | None:
    year, month, day = int(y), int(m), int(d)
    if 1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def find_date(meta: dict[str, Any], raw: str) -> str | None:
    value = meta.get("date")
    if value is not None:
        text = str(value)
        try:
            return parsedate_to_datetime(text).date().isoformat()
        except (TypeError, ValueError, IndexError):
            match = _DATE_ISO_RE.search(text)
            if match and (iso := _iso(*match.groups())):
                return iso
    # Official documents carry their date at the end (落款) or in the header; dates in the body are
    # usually about something else.
    stripped = raw.strip()
    for window in (stripped[-400:], stripped[:300]):
        for pattern in (_DATE_CN_RE, _DATE_ISO_RE):
            found = [iso for m in pattern.finditer(window) if (iso := _iso(*m.groups()))]
            if found:
                return found[-1] if window is not stripped[:300] else found[0]
    return None


def find_title(meta: dict[str, Any], html_title: str | None, text: str, fallback: str) -> str:
    """The document's title: its own metadata's, else a file name that reads as one (the user's name
    for it: "2017年中华人民共和国国务院政府工作报告.txt", whose text opens "政府工作报\n告\n——2017年3月5日在…"),
    else a title line of its opening, else its headline, else ``fallback`` (the file name)."""
    for candidate in (meta.get("title"), html_title):
        if candidate and str(candidate).strip():
            return squeeze_cjk_spaces(str(candidate).strip())
    if _names_a_document(fallback):
        return fallback.replace("_", " ").strip()
    for line in text.split("\n")[:15]:
        line = line.strip()
        if line.startswith(_NOT_TITLE_START):
            continue  # "——2017年3月5日在第十二届全国人民代表大会第五次会议上" is a byline
        if 6 <= len(line) <= 80 and not line.endswith(("。", "：", ":", "；")) and heading_level(line) is None:
            simple = search_form(line)
            if any(w in simple for w in _TITLE_WORDS):
                return squeeze_cjk_spaces(line)
    return _headline(text) or fallback


def retitle(title: str, text: str, source: str) -> str:
    """A stored document's title as :func:`find_title` gives it now (``rag reindex``): for one titled
    by its file name or a byline, and one whose file name reads as a title while a line of its text
    titled it. Any other came from the text or its metadata, which are no longer at hand: it stays."""
    stem = Path(source).stem
    from_text = squeeze_cjk_spaces(title) in squeeze_cjk_spaces(text[:3000])
    if title == stem or title.startswith(_NOT_TITLE_START) or (_names_a_document(stem) and from_text):
        return find_title({}, None, text, stem)
    return title


_NOT_TITLE_START = ("—", "－", "-", "，", ",", "、")


def _names_a_document(stem: str) -> bool:
    """A file name of at least 6 Chinese characters holding a document word (报告、通知、总结…), or of
    12 or more: not an editor's default ("新建文本文档") or a hash."""
    simple = search_form(stem)
    cjk = len(re.findall(r"[\u4e00-\u9fff]", simple))
    return cjk >= 12 or (cjk >= 6 and any(w in simple for w in _TITLE_WORDS))


_ISSUED_RE = re.compile(r"^([^，,。！？!?：:\n]{0,80}?关于[^，,。！？!?：:\n]{2,100}?的(?:紧急通知|补充通知|通知|公告|通告|意见|"
                        r"函|批复|决定|办法|规定|方案|指南|通报|倡议书|公开信|一封信))"
                        r"(?=[\s（(]|$|[\u4e00-\u9fff]{1,10}[〔\[［]\d{4}[〕\]］]\d+号)")
_HEADLINE_RE = re.compile(r"^(?:【[^】\n]{1,10}】)?([^\s。；;]{6,60}?)[ \t\u3000]+(?=\S)")


def _headline(text: str) -> str | None:
    """Scraped notices often come as one line: a headline, a space, then the body
    (``江西：六大举措保障疫情防控期间就业稳定 2月13日，省政府办公厅…``); the headline may list its
    issuers apart by spaces (``财政部 税务总局关于…的公告 财政部公告2020年第8号``), be followed by
    its addressees only (``…的一封信 各房地产经纪机构：``), or stand alone on the first line."""
    first = text.lstrip().split("\n", 1)[0]
    issued = _ISSUED_RE.match(first)
    if issued and issued.group(1).count("《") == issued.group(1).count("》") and all(
            len(issuer) <= 24 for issuer in issued.group(1).split("关于", 1)[0].split()[:-1]):
        return squeeze_cjk_spaces(issued.group(1))  # a space ends a headline, not an issuer's name
    m = _HEADLINE_RE.match(first)
    if m and has_cjk(m.group(1)):
        rest = first[m.end():].rstrip()
        if len(rest) > 20 or rest.endswith(("：", ":")) or rest.startswith("原标题"):
            return m.group(1)
    if ("\n" in text.strip() and 6 <= len(first) <= 60 and has_cjk(first) and "。" not in first
            and not first.endswith(("：", ":", "；", "，", ","))):
        return first.strip()
    return None


# --- documents -----------------------------------------------------------------------------------

def make_doc_id(key: str, content_sha: str) -> str:
    return hashlib.sha256(f"{key}\n{content_sha}".encode()).hexdigest()[:16]


def build_document(key: str, source: str, raw_text: str, meta: dict[str, Any] | None = None,
                   html_title: str | None = None, warnings: list[str] | None = None) -> Document:
    meta = meta or {}
    text = clean_text(raw_text)
    if not text.strip():
        raise LoadError("no text left after cleaning")
    if not has_cjk(text) and len(text) < 20:
        raise LoadError("no meaningful text")
    content_sha = hashlib.sha256(text.encode()).hexdigest()
    doc_number_match = _DOC_NO_RE.search(text[:2000])
    return Document(
        doc_id=make_doc_id(key, content_sha),
        key=key,
        source=source,
        title=find_title(meta, html_title, text, Path(source).stem),
        date=find_date(meta, raw_text),
        text=text,
        content_sha=content_sha,
        doc_number=squeeze_cjk_spaces(doc_number_match.group(0)) if doc_number_match else None,
        warnings=warnings or [],
    )


def text_to_document(key: str, source: str, text: str, warnings: list[str] | None = None) -> Document:
    meta, body = split_front_matter(text)
    html_title = None
    if looks_like_html(body) or key.lower().endswith((".html", ".htm")):
        body, html_title = html_to_text(body)
    return build_document(key, source, body, meta, html_title, warnings)


def _read_limited(path: Path, limits: IngestSettings) -> bytes:
    """The bytes of a document file, refused before reading when it is no regular file or too big."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise LoadError(f"cannot read: {exc.strerror or exc}") from exc
    if (reason := not_regular(st)) is not None:
        raise LoadError(reason)
    if st.st_size > limits.max_file_bytes:
        raise LoadError(f"{st.st_size:,} bytes, above the limit of {limits.max_file_bytes:,} "
                        "(ingest.max_file_bytes); split the file or raise the limit")
    try:
        with path.open("rb") as fh:
            data = fh.read(limits.max_file_bytes + 1)
    except OSError as exc:
        raise LoadError(f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > limits.max_file_bytes:  # grew since stat
        raise LoadError(f"more than {limits.max_file_bytes:,} bytes (ingest.max_file_bytes)")
    return data


def load_file(path: Path, fields: RecordFields | None = None, limits: IngestSettings | None = None,
              on_page: PageFn | None = None) -> Iterator[Document | LoadFailure]:
    """Documents in one file (several for record files); failures are yielded, never raised.
    ``on_page(done, total)`` is called as OCR reads the pages of a scan."""
    fields = fields or RecordFields()
    limits = limits or IngestSettings()
    key = str(named_path(path))
    suffix = suffix_of(path)
    if suffix in (".jsonl", ".jsonl.gz"):
        for item in read_records(path, fields, limits):
            if isinstance(item, LoadFailure):
                yield item
                continue
            try:
                yield build_document(f"{key}#{item.id}", item.id, item.text,
                                     {"title": item.title} if item.title else {})
            except LoadError as exc:
                yield LoadFailure(item.where, str(exc))
        return
    try:
        data = _read_limited(path, limits)
        kind = sniff_kind(data, suffix)
        warnings = []
        if kind != suffix and kind in (".pdf", ".docx", ".xlsx") and suffix in (".pdf", ".docx", ".xlsx", ".txt",
                                                                                ".md", ".html", ".htm", ".csv"):
            warnings.append(f"content is {kind} but the name says {suffix}; read as {kind}")
        if kind == ".pdf":
            text, notes = read_pdf(data, limits.ocr, limits.ocr_dpi, on_page)
            warnings.extend(notes)
        elif kind in IMAGE_SUFFIXES:
            if not limits.ocr:
                raise LoadError("an image, and OCR is off (ingest.ocr)")
            frames = read_image(data, on_page)
            text = "\n".join(page_marker(i, ocr=True) + "\n" + t for i, t in enumerate(frames, 1) if t.strip())
            if not text:
                raise LoadError("OCR found no text in the image")
        elif kind == ".docx":
            if suffix == ".docx" and not data.startswith(b"PK\x03\x04"):
                raise LoadError("not a .docx (no zip container): wrong extension or damaged file")
            check_zip(data, ".docx", limits.max_zip_members, limits.max_unpacked_bytes)
            text = read_docx(data)
        elif kind == ".xlsx":
            check_zip(data, ".xlsx", limits.max_zip_members, limits.max_unpacked_bytes)
            text = "\n".join(read_xlsx(data))
            if not text.strip():
                raise LoadError("the workbook has no cells with text")
        elif kind == ".csv":
            text = "\n".join(read_csv(decode_bytes(data), path.stem))
        elif kind == "ole" or suffix in LEGACY:
            raise LoadError(f"a legacy {suffix if suffix in LEGACY else 'Office'} file (Word/Excel 97-2003 or WPS), "
                            f"which no maintained library reads; save it as {LEGACY[suffix if suffix in LEGACY else kind]}")
        elif kind in ("zip", "gzip"):
            raise LoadError(f"{kind} archive with a {suffix} name; unpack it first")
        else:
            text = decode_bytes(data)
        if len(text) > limits.max_document_chars:
            raise LoadError(f"{len(text):,} characters in one document, above the limit of "
                            f"{limits.max_document_chars:,} (ingest.max_document_chars); split the file "
                            "(or write it as .jsonl records)")
        yield text_to_document(key, path.name, text, warnings)
    except LoadError as exc:
        yield LoadFailure(str(path), str(exc))
    except RecursionError:
        yield LoadFailure(str(path), "document structure too deeply nested to parse")


def file_signature(path: Path) -> str:
    st = os.stat(path)
    return f"{st.st_size}:{st.st_mtime_ns}"
