"""Ingestion pipeline: discover -> load -> normalize -> chunk -> embed -> commit, incremental and resumable."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.bm25 import char_pairs, tokenize
from rag.chunk import chunk_document
from rag.discover import discover, named_path
from rag.encoders import Encoder
from rag.load import Document, LoadFailure, RecordFields, file_signature, load_file
from rag.normalize import search_form
from rag.settings import Settings
from rag.store import PendingChunk, PendingDoc, StoreWriter
from rag.types import DocumentInfo


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    chunks_added: int = 0
    files: int = 0
    seconds: float = 0.0
    failures: list[LoadFailure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "added": self.added, "updated": self.updated, "unchanged": self.unchanged,
            "removed": self.removed, "failed": self.failed, "chunks_added": self.chunks_added,
            "files": self.files, "seconds": round(self.seconds, 3),
            "failures": [{"path": f.path, "reason": f.reason} for f in self.failures],
            "warnings": self.warnings,
        }


def embed_text(title: str, section: str, text: str) -> str:
    """What is embedded and keyword-indexed for a chunk: its context line, then its text."""
    context = " > ".join(p for p in (title, section) if p)
    return search_form(f"{context}\n{text}" if context else text)


def prepare(doc: Document, file: str, settings: Settings) -> PendingDoc:
    """Chunks, search texts and tokens of a document; vectors come later, in batches across documents."""
    chunks = chunk_document(doc.text, doc.title, settings.chunk.target_chars, settings.chunk.max_chars,
                            settings.chunk.overlap_chars)
    records = []
    for ch in chunks:
        search_text = embed_text(doc.title, ch.section_path, ch.text)
        records.append(PendingChunk(ch.ordinal, ch.text, search_text, tokenize(search_text) + char_pairs(search_text),
                                    ch.section_path, ch.kind, ch.start, ch.end))
    return PendingDoc(DocumentInfo(doc.doc_id, doc.key, file, doc.source, doc.title, doc.date, doc.doc_number),
                      doc.content_sha, doc.text, records, np.zeros((0, 0), dtype=np.float32))


def embed_pending(docs: list[PendingDoc], encoder: Encoder) -> None:
    """One encoder call for the chunks of many documents: the encoder sorts them by length, so
    batches are full and padding is small."""
    texts = [ch.search_text for d in docs for ch in d.chunks]
    vectors = encoder.encode_passages(texts) if texts else np.zeros((0, encoder.dim), dtype=np.float32)
    start = 0
    for d in docs:
        d.vectors = vectors[start:start + len(d.chunks)]
        start += len(d.chunks)


ProgressFn = Callable[[str, int, int], None]
EMBED_BATCH_CHUNKS = 4096


def _ocr_pages(progress: ProgressFn | None, name: str, n: int, total: int,
               between: Callable[[], None]) -> Callable[[int, int], None]:
    """Called after each OCR'd page of a scan: pages/s and the time left in the file's progress
    line, and ``between`` (the commit of what earlier files staged, when it is due)."""
    started = time.perf_counter()

    def on_page(done: int, pages: int) -> None:
        if progress is not None:
            rate = done / max(time.perf_counter() - started, 1e-6)
            progress(f"{name[:20]} OCR {done}/{pages}页 {rate:.2f}页/s 剩余{(pages - done) / rate:.0f}s", n, total)
        between()

    return on_page


def ingest(paths: list[Path], writer: StoreWriter, settings: Settings, encoder: Encoder,
           prune: bool = False, fields: RecordFields | None = None,
           progress: ProgressFn | None = None) -> IngestReport:
    """Bring the store in line with ``paths``. Commits every ``index.commit_every_docs`` documents so
    a killed run keeps what it finished and the next run resumes from there."""
    started = time.perf_counter()
    report = IngestReport()
    files, failures = discover(paths, settings.ingest.follow_symlinks)
    report.failures.extend(failures)
    report.files = len(files)
    pending: list[tuple[PendingDoc, str | None]] = []  # (document, id of the version it replaces)
    # Files whose documents are all in ``pending``: their signatures and vanished records are staged
    # with them, so a killed run re-reads exactly the files it had not committed.
    pending_files: list[tuple[str, str, list[str]]] = []
    pending_chunks = 0
    staged_docs = 0
    last_commit = time.monotonic()

    def flush(force_commit: bool = False) -> None:
        """Embed what is pending, stage it, and commit when enough is staged (or at the end)."""
        nonlocal pending_chunks, staged_docs, last_commit
        if pending:
            embed_pending([d for d, _ in pending], encoder)
            for doc, replaces in pending:
                if replaces:
                    writer.stage_remove(replaces)
                writer.stage_add(doc)
            staged_docs += len(pending)
            pending.clear()
            pending_chunks = 0
        for file_key, signature, vanished in pending_files:
            for doc_id in vanished:
                writer.stage_remove(doc_id)
            writer.stage_file(file_key, signature)
        pending_files.clear()
        due = (staged_docs >= settings.index.commit_every_docs
               and time.monotonic() - last_commit >= settings.index.commit_interval_s)
        if force_commit or due:
            writer.commit()
            staged_docs = 0
            last_commit = time.monotonic()

    def commit_due() -> None:
        """A long scan must not hold back what earlier files staged: commit it on the usual interval."""
        if (pending or pending_files or staged_docs) and time.monotonic() - last_commit >= settings.index.commit_interval_s:
            flush(force_commit=True)

    for n, path in enumerate(files, start=1):
        file_key = str(named_path(path))
        if progress:
            progress(path.name, n, len(files))
        try:
            signature = file_signature(path)
        except OSError as exc:
            report.failures.append(LoadFailure(str(path), f"cannot read: {exc.strerror}"))
            continue
        previous = writer.keys_for_file(file_key)
        legacy = str(path.resolve())
        if not previous and legacy != file_key and (previous := writer.keys_for_file(legacy)):
            writer.stage_forget_file(legacy)  # stored by its symlink's target before: now by its name
        elif previous and writer.file_signature(file_key) == signature:
            report.unchanged += len(previous)
            continue
        seen: set[str] = set()
        file_failed = False
        for item in load_file(path, fields, settings.ingest, _ocr_pages(progress, path.name, n, len(files), commit_due)):
            if isinstance(item, LoadFailure):
                report.failures.append(item)
                file_failed = file_failed or item.path == str(path)
                continue
            if item.key in seen:
                report.failures.append(LoadFailure(f"{path}", f"duplicate record id {item.source!r}; kept the first"))
                continue
            seen.add(item.key)
            report.warnings.extend(f"{path}: {w}" for w in item.warnings)
            known = writer.known(item.key)
            if known and known[1] == item.content_sha:
                report.unchanged += 1
                continue
            prepared = prepare(item, file_key, settings)
            if known:
                report.updated += 1
            else:
                report.added += 1
            pending.append((prepared, known[0] if known else None))
            pending_chunks += len(prepared.chunks)
            report.chunks_added += len(prepared.chunks)
            if pending_chunks >= EMBED_BATCH_CHUNKS or len(pending) >= settings.index.commit_every_docs:
                flush()
        if file_failed and not seen:
            continue  # keep what was indexed from a file that cannot be read now
        vanished = [doc_id for key, doc_id in previous.items() if key not in seen]  # records gone from a file
        report.removed += len(vanished)
        pending_files.append((file_key, signature, vanished))

    if prune:
        report.removed += stage_removal(paths, writer, only_missing=True)
    flush(force_commit=True)
    report.failed = len(report.failures)
    report.seconds = time.perf_counter() - started
    return report


def stage_removal(paths: list[Path], writer: StoreWriter, only_missing: bool = False) -> int:
    """Stage the removal of every document ingested from these files or from files under these
    folders, named as the user names them or by their symlinks' targets (``only_missing``: just
    those whose file no longer exists); returns how many."""
    roots = {r for p in paths for r in (named_path(p), p.resolve())}
    removed = 0
    def under(path: Path) -> bool:
        return any(path == r or r in path.parents for r in roots)

    for file_key in writer.all_files():
        path = Path(file_key)
        if not (under(path) or under(path.resolve())) or (only_missing and path.exists()):
            continue
        for doc_id in writer.keys_for_file(file_key).values():
            writer.stage_remove(doc_id)
            removed += 1
        writer.stage_forget_file(file_key)
    return removed


def remove_paths(paths: list[Path], writer: StoreWriter) -> int:
    """Remove every document ingested from these files or from files under these folders."""
    removed = stage_removal(paths, writer)
    writer.commit()
    return removed
