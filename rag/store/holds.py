"""Reader holds on store generations: a reader holds the generation it reads (a shared ``flock`` on
``readers/N``), and a writer deletes a generation's files only when it can take that lock
exclusively. The kernel drops a killed reader's lock, so no hold outlives its process."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from rag.private import PRIVATE_DIR, PRIVATE_FILE

try:
    import fcntl
except ImportError:  # Windows: no flock; generations then live until the next-but-one commit
    fcntl = None  # type: ignore[assignment]


class Holds:
    def __init__(self, store_dir: Path) -> None:
        self.dir = store_dir / "readers"

    def _file(self, generation: int) -> Path:
        return self.dir / str(generation)

    def acquire(self, generation: int) -> int | None:
        """Hold ``generation``; returns the descriptor to release, or None where holds cannot be
        taken (no flock, or a store this user may not write to)."""
        if fcntl is None:
            return None
        try:
            self.dir.mkdir(mode=PRIVATE_DIR, exist_ok=True)
            fd = os.open(self._file(generation), os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
        except OSError:
            os.close(fd)
            return None
        return fd

    @staticmethod
    def release(fd: int | None) -> None:
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def held(self) -> set[int] | None:
        """Generations some reader holds now; None where holds cannot be known (no flock)."""
        if fcntl is None:
            return None
        if not self.dir.is_dir():
            return set()
        out: set[int] = set()
        for item in self.dir.iterdir():
            if not item.name.isdigit():
                continue
            try:
                fd = os.open(item, os.O_RDWR)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                out.add(int(item.name))
                continue
            finally:
                os.close(fd)
        return out

    def forget(self, generation: int) -> None:
        """Remove the hold file of a generation whose files are gone."""
        with contextlib.suppress(OSError):
            self._file(generation).unlink()
