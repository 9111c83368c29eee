"""Files that hold document text or questions (stores, the answer log, the chat history) are the
owner's alone: folders 0700, files 0600, existing ones tightened when opened."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600


def make_private(path: Path) -> None:
    """The store holds whole documents of a possibly confidential folder: only its owner may read
    it. Tightens an existing store too; a store owned by someone else is left as it is."""
    with contextlib.suppress(OSError):
        if stat.S_IMODE(path.stat().st_mode) != PRIVATE_DIR:
            path.chmod(PRIVATE_DIR)
    with contextlib.suppress(OSError):
        for item in path.iterdir():
            with contextlib.suppress(OSError):
                st = item.lstat()
                if stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) & 0o077:
                    item.chmod(PRIVATE_FILE)
                elif stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) != PRIVATE_DIR:
                    item.chmod(PRIVATE_DIR)


def private_file(path: Path) -> Path:
    """Create ``path`` (and its folder) readable by its owner only, or tighten it if it exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE))
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(PRIVATE_FILE)
    return path
