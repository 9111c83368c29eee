"""Files the package ships: the prompts and the model manifest.

In the repository they are ``prompts/`` and ``models.txt`` at the top level; ``pyproject.toml`` maps
them into the wheel as the resource packages ``rag.prompts`` and ``rag.manifest``. An editable
install maps only ``rag`` itself, so a checkout reads them from the repository next to it.
"""

from __future__ import annotations

import hashlib
import os
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def _shipped(package: str, name: str, in_checkout: Path) -> Traversable:
    try:
        return files(package) / name
    except ModuleNotFoundError:
        return in_checkout / name


def prompt_file(name: str) -> Traversable:
    override = os.environ.get("RAG_PROMPTS_DIR")
    if override:
        return Path(override) / f"{name}.txt"
    return _shipped("rag.prompts", f"{name}.txt", _CHECKOUT / "prompts")


def prompts_sha() -> str:
    """Hash of every prompt file's name and text: a changed prompt changes answers."""
    override = os.environ.get("RAG_PROMPTS_DIR")
    folder = Path(override) if override else _shipped("rag.prompts", "", _CHECKOUT / "prompts")
    digest = hashlib.sha256()
    for item in sorted((f for f in folder.iterdir() if f.name.endswith(".txt")), key=lambda f: f.name):
        digest.update(item.name.encode() + b"\0" + item.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def catalog_file() -> Traversable:
    return _shipped("rag.manifest", "models.txt", _CHECKOUT)
