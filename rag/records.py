"""JSON-lines record files (.jsonl, .jsonl.gz), read as a stream within limits: a line is never
held beyond ``max_record_bytes``, a .jsonl.gz never unpacked beyond ``max_unpacked_bytes`` (nor to
more than :data:`MAX_GZIP_RATIO` times its packed size: JSON text never packs that well, a gzip
bomb does). A bad record is one failure naming file and line; the records after it still load."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from rag.discover import LoadFailure
from rag.errors import LoadError
from rag.settings import IngestSettings

MAX_GZIP_RATIO = 200
_RATIO_AFTER = 64 * 2**20  # small streams may pack as well as they like


@dataclass
class RecordFields:
    id_field: str = "id"
    text_field: str = "text"
    title_field: str = "title"


@dataclass
class Record:
    """One JSON object of a record file, with where it came from."""

    where: str  # FILE:LINE
    id: str
    text: str
    title: str | None


def _lines(stream: IO[bytes], max_line: int, check: Callable[[], None]) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line) of a binary stream; a line longer than ``max_line`` comes as None
    (skipped to its end without holding it)."""
    line_no = 0
    while line := stream.readline(max_line + 1):
        line_no += 1
        check()
        if len(line) > max_line and not line.endswith(b"\n"):
            while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
                check()
            yield line_no, None
        else:
            yield line_no, line


def read_records(path: Path, fields: RecordFields, limits: IngestSettings) -> Iterator[Record | LoadFailure]:
    """The records of one file; failures are yielded, never raised."""
    try:
        raw = path.open("rb")
    except OSError as exc:
        yield LoadFailure(str(path), f"cannot read: {exc.strerror or exc}")
        return
    with raw:
        packed = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        stream: IO[bytes] = gzip.GzipFile(fileobj=raw) if packed else raw  # type: ignore[assignment]

        def check() -> None:
            if not packed:
                return
            unpacked = stream.tell()
            if unpacked > limits.max_unpacked_bytes:
                raise LoadError(f"unpacks to more than {limits.max_unpacked_bytes:,} bytes "
                                "(ingest.max_unpacked_bytes); split it")
            if unpacked > _RATIO_AFTER and unpacked > MAX_GZIP_RATIO * max(raw.tell(), 1):
                raise LoadError(f"unpacks to over {MAX_GZIP_RATIO} times its size: not JSON text (a gzip bomb?)")

        seen_any = False
        line_no = 0
        try:
            for line_no, line in _lines(stream, limits.max_record_bytes, check):
                where = f"{path}:{line_no}"
                if line is None:
                    yield LoadFailure(where, f"record longer than {limits.max_record_bytes:,} bytes "
                                      "(ingest.max_record_bytes); skipped")
                    continue
                if b"\x00" in line:
                    raise LoadError(f"binary content at line {line_no}, not JSON lines")
                if not line.strip():
                    continue
                seen_any = True
                item = _record(where, line[3:] if line_no == 1 and line.startswith(b"\xef\xbb\xbf") else line,
                               fields, limits)
                yield item
        except LoadError as exc:
            yield LoadFailure(str(path), str(exc))
            return
        except (EOFError, OSError, gzip.BadGzipFile) as exc:
            yield LoadFailure(f"{path}:{line_no + 1}", f"truncated or damaged record file ({exc})")
            return
    if not seen_any:
        yield LoadFailure(str(path), "empty file")


def _record(where: str, line: bytes, fields: RecordFields, limits: IngestSettings) -> Record | LoadFailure:
    try:
        record: Any = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        return LoadFailure(where, "not UTF-8 (JSON lines must be UTF-8)")
    except json.JSONDecodeError as exc:
        return LoadFailure(where, f"invalid JSON: {exc.msg}")
    if not isinstance(record, dict):
        return LoadFailure(where, "record is not a JSON object")
    rid, text = record.get(fields.id_field), record.get(fields.text_field)
    if rid is None or not isinstance(text, str):
        return LoadFailure(where, f"record lacks {fields.id_field!r} or text field {fields.text_field!r}")
    if len(text) > limits.max_document_chars:
        return LoadFailure(where, f"{len(text):,} characters in one record, above the limit of "
                           f"{limits.max_document_chars:,} (ingest.max_document_chars)")
    title = record.get(fields.title_field)
    return Record(where, str(rid), text, str(title) if title else None)
