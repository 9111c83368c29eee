"""Search filters as users write them (``--year 2019-2021``, ``/filter kind=plan``): parsed and
described in one place for the command line and the REPL."""

from __future__ import annotations

from rag.errors import FilterError
from rag.types import Filters

KINDS = ("review", "plan", "other")


def year_range(value: str) -> tuple[str, str]:
    """"2019" -> ("2019", "2019"); "2019-2021" -> ("2019", "2021")."""
    first, _, last = value.strip().partition("-")
    if not first.isdigit() or (last and not last.isdigit()):
        raise FilterError(f"year {value!r}: expected YYYY or YYYY-YYYY")
    return first, last or first


def check_kind(value: str) -> str:
    if value not in KINDS:
        raise FilterError(f"kind {value!r}: expected review, plan or other")
    return value


def make_filters(sources: list[str] | None = None, doc_ids: list[str] | None = None, date_from: str | None = None,
                 date_to: str | None = None, kind: str | None = None, year: str | None = None) -> Filters:
    if year:
        date_from, date_to = year_range(year)
    return Filters(list(sources or []), list(doc_ids or []), date_from, date_to,
                   None if kind is None else check_kind(kind))


def set_filter(filters: Filters, key: str, value: str) -> None:
    """Add or set one filter in place: source, doc (added), year, kind (set)."""
    key, value = key.strip(), value.strip()
    if key == "source":
        filters.sources.append(value)
    elif key == "doc":
        filters.doc_ids.append(value)
    elif key == "year":
        filters.date_from, filters.date_to = year_range(value)
    elif key == "kind":
        filters.kind = check_kind(value)
    else:
        raise FilterError(f"unknown filter {key!r}: source, doc, year or kind")


def clear_filters(filters: Filters) -> None:
    filters.sources.clear()
    filters.doc_ids.clear()
    filters.date_from = filters.date_to = filters.kind = None


def describe_filters(f: Filters) -> str:
    parts = [f"source={s}" for s in f.sources] + [f"doc={d}" for d in f.doc_ids]
    if f.date_from or f.date_to:
        parts.append(f"dates {f.date_from or '…'}..{f.date_to or '…'}")
    if f.kind:
        parts.append(f"kind={f.kind}")
    return ", ".join(parts) or "none"
