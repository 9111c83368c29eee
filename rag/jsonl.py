"""Append-only JSON-lines files that survive a killed writer: each record fsync'd, a torn tail cut."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any


def read_records(path: Path) -> list[dict[str, Any]]:
    """Records of a file; a torn last line (killed mid-write) is ignored."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def drop_torn_tail(path: Path) -> None:
    """Cut a last line left half-written by a killed run, so new records start on a line of their own."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with path.open("r+b") as fh:
            fh.truncate(data.rfind(b"\n") + 1)


def append_record(fh: IO[str], record: dict[str, Any]) -> None:
    fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    fh.flush()
    os.fsync(fh.fileno())
