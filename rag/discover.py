"""Which files an ingest of some paths reads: regular files of the supported types, found
recursively; symlinks followed only as far as ``ingest.follow_symlinks`` allows, loops and
unreadable folders reported once each. Files keep the path the user named (not the symlink's
target), so `rag remove` and `--prune` on that path find them."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

SUFFIXES = (".txt", ".md", ".html", ".htm", ".docx", ".pdf", ".xlsx", ".csv", ".jsonl", ".jsonl.gz",
            ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp",
            ".doc", ".wps", ".xls")  # the last three are refused by name, with what to save them as
Follow = Literal["inside", "all", "none"]


@dataclass
class LoadFailure:
    path: str
    reason: str


def suffix_of(path: Path) -> str:
    name = path.name.lower()
    return ".jsonl.gz" if name.endswith(".jsonl.gz") else path.suffix.lower()


def named_path(path: Path) -> Path:
    """Absolute, with symlinks kept as named (``resolve`` would replace them by their targets)."""
    return Path(os.path.abspath(path))


def not_regular(st: os.stat_result) -> str | None:
    """Why a file that is no regular file is not read (reading a FIFO blocks for ever)."""
    if stat.S_ISREG(st.st_mode):
        return None
    kind = ("a FIFO" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
            else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file")
    return f"{kind}, not a document file; skipped"


def _inside(target: Path, root: Path) -> bool:
    return target == root or root in target.parents


def discover(paths: list[Path], follow: Follow = "inside") -> tuple[list[Path], list[LoadFailure]]:
    """Files under ``paths`` and the failures met on the way (each path once)."""
    files: list[Path] = []
    failures: list[LoadFailure] = []
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()

    def add_file(path: Path, st: os.stat_result) -> None:
        if (reason := not_regular(st)) is not None:
            failures.append(LoadFailure(str(path), reason))
        elif (st.st_dev, st.st_ino) not in seen_files:  # the same file reached by two names: read once
            seen_files.add((st.st_dev, st.st_ino))
            files.append(path)

    def walk(directory: Path, root: Path) -> None:
        try:
            st = directory.stat()
        except OSError as exc:
            failures.append(LoadFailure(str(directory), f"cannot read folder: {exc.strerror}"))
            return
        ident = (st.st_dev, st.st_ino)
        if ident in seen_dirs:
            failures.append(LoadFailure(str(directory), "symlink loop: folder already visited"))
            return
        seen_dirs.add(ident)
        try:
            entries = sorted(directory.iterdir())
        except OSError as exc:
            failures.append(LoadFailure(str(directory), f"cannot list folder: {exc.strerror}"))
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                if not entry.exists():
                    failures.append(LoadFailure(str(entry), "broken symlink or symlink loop"))
                    continue
                target = entry.resolve()
                if follow == "none" or (follow == "inside" and not _inside(target, root)):
                    where = "" if follow == "none" else f", outside {root}"
                    failures.append(LoadFailure(str(entry), f"symlink to {target}{where}: not followed (setting "
                                                "ingest.follow_symlinks = \"all\" follows it)"))
                    continue
            try:
                st = entry.stat()
            except OSError as exc:
                failures.append(LoadFailure(str(entry), f"cannot read: {exc.strerror}"))
                continue
            if stat.S_ISDIR(st.st_mode):
                walk(entry, root)
            elif suffix_of(entry) in SUFFIXES:
                add_file(entry, st)

    for given in paths:
        path = named_path(given)
        if path.is_symlink() and not path.exists():
            failures.append(LoadFailure(str(given), "broken symlink or symlink loop"))
        elif not path.exists():
            failures.append(LoadFailure(str(given), "no such file or folder"))
        elif path.is_dir():
            walk(path, path.resolve())
        elif suffix_of(path) in SUFFIXES:
            add_file(path, path.stat())
        else:
            failures.append(LoadFailure(str(given), f"unsupported file type {path.suffix or '(none)'}; "
                                        f"supported: {' '.join(SUFFIXES)}"))
    return files, failures
