"""One typed settings object, layered: defaults <- TOML file <- environment <- command-line flags.

Environment variables: ``RAG_HOME`` moves all data (models, stores, caches); ``RAG_CONFIG`` names
the TOML file (default ``$RAG_HOME/config.toml``); ``RAG_STORE`` picks the store; any field can be
set as ``RAG_<SECTION>__<FIELD>`` (e.g. ``RAG_RETRIEVAL__K=8``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rag.errors import SettingsError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModelSettings(_Section):
    chat: str = Field("qwen2.5-coder-1.5b-instruct-q4_k_m", description="models.txt name or GGUF path")
    chat_small: str = Field("qwen2.5-coder-0.5b-instruct-q4_k_m", description="used by --model small")
    embed: str = Field("m3e-small", description="models.txt name or sentence-transformers folder")
    rerank: str | None = Field(None, description="models.txt name or CrossEncoder folder; none by default")
    catalog: Path | None = Field(None, description="models.txt to read (default: the one shipped)")
    dir: Path | None = Field(None, description="where GGUF files live (default: $RAG_HOME/models)")


class ChunkSettings(_Section):
    target_chars: int = Field(400, ge=50, le=4000)
    max_chars: int = Field(500, ge=80, le=8000)
    overlap_chars: int = Field(80, ge=0, le=1000)


class EmbedSettings(_Section):
    batch_size: int = Field(16, ge=1, le=4096)
    max_seq_length: int = Field(512, ge=16, le=8192)
    query_prefix: str | None = Field(None, description="overrides the model's own query prefix")
    passage_prefix: str | None = None
    numpy_queries: bool = Field(True, description="encode questions with a NumPy copy of a BERT model "
                                "(no sentence-transformers import: evidence in well under a second)")
    precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto", description="auto: bf16 where the CPU has native bf16 math (2x faster, same vectors to 1e-5)")


class IndexSettings(_Section):
    kind: Literal["flat", "hnsw"] = Field("flat", description="flat = exact search; hnsw = approximate, "
                                          "faster on large stores (see README: recall trade-off)")
    hnsw_m: int = Field(32, ge=4, le=128)
    hnsw_ef_construction: int = Field(80, ge=8, le=1024)
    hnsw_ef_search: int = Field(96, ge=8, le=4096, description="higher = better recall, slower queries")
    commit_every_docs: int = Field(500, ge=1, description="ingest commits (and can resume) this often")
    commit_interval_s: float = Field(60.0, ge=0.0, description="...but not more often than this")


class RetrievalSettings(_Section):
    k: int = Field(5, ge=1, le=100)
    candidates: int = Field(50, ge=1, le=2000)
    dense_weight: float = Field(1.0, ge=0.0)
    # Tuned on ncp_dev (599 notices): keyword matches of names and places are the sharper signal,
    # and a small rrf_k lets a first place in either list count (Recall@5 0.864 -> 0.884).
    bm25_weight: float = Field(1.5, ge=0.0)
    rrf_k: int = Field(10, ge=1)
    max_per_doc: int = Field(0, ge=0, description="at most this many passages per document (0: no limit); "
                             "1 helps collections of many short notices")
    coverage_weight: float = Field(1.0, ge=0.0, description="weight of a third fused list: the candidates ranked "
                                   "by the share of the question's IDF-weighted terms their title and text hold (0 = off)")
    # Chosen on the tune half of ncp_dev (0/0.5/1/1.5/2): R@5 0.927 -> 0.951; report half 0.889 -> 0.933.
    pairs_weight: float = Field(2.0, ge=0.0, description="weight of the keyword list ranked by the question's "
                                "character pairs (0 = off)")
    # Off: 3 (chosen on the tune half of ncp_dev from 0/0.5/1/2/3/4/6/8) lifts the report half's R@1 0.696 -> 0.726,
    # R@5 0.941 -> 0.956, but fresh answers back to back refused fewer of set B's negatives (49 -> 46/54).
    phrase_weight: float = Field(0.0, ge=0.0, description="weight of a list of the candidates ranked by the "
                                 "question's stretches they hold word for word, weighted by rarity (0 = off)")
    year_weight: float = Field(4.0, ge=0.0, description="weight of a keyword list over the documents whose title, "
                               "file name or date names a year the question asks (0 = off)")
    bm25_k1: float = Field(1.2, gt=0.0)
    bm25_b: float = Field(0.75, ge=0.0, le=1.0)
    rerank_candidates: int = Field(20, ge=1)


class GenerationSettings(_Section):
    backend: Literal["llama", "openai", "fake"] = "llama"  # fake: rag.testing.FakeLLM, no model
    base_url: str = "http://127.0.0.1:8080/v1"
    api_model: str = "local"
    n_ctx: int = Field(4096, ge=512, le=131072)
    threads: int = Field(0, ge=0, description="0 = all cores")
    max_tokens: int = Field(384, ge=16, le=8192)
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    seed: int = 0
    context_chars: int = Field(600, ge=0, le=20000, description="passage text in the prompt, all passages "
                               "together: each keeps its best sentences, the rest go to the most relevant; 0 = whole passages")
    context_neighbours: int = Field(0, ge=0, le=5, description="with context_chars: sentences kept after "
                                    "each chosen one while the budget lasts")
    # Chosen on the tune half of ncp_dev with `bench.ttft --count-only` (80/120 x 500/600/700):
    # 600/80 reads 10% fewer tokens than 700/120 and shows one more gold string (17/19 vs 16/19).
    context_piece_chars: int = Field(80, ge=20, le=2000, description="with context_chars: a sentence longer "
                                     "than this is cut after a comma into pieces chosen one by one")
    passage_floor: float = Field(0.7, ge=0.0, le=1.0, description="passages that hold less than this share of "
                                 "the question's weighted terms the best passage holds are left out of the prompt "
                                 "(0 = all k)")
    prompt_lookup: int = Field(4, ge=0, le=32, description="greedy decoding with drafts of this many tokens looked "
                               "up in the prompt (rag/lookup.py; 4 chosen on dev.jsonl from 4/8/16); 0 = off")
    prefix_cache: bool = Field(True, description="keep the model's state after the fixed system prompt and "
                               "example in $RAG_HOME/cache/kv, so a new process need not read them again")
    judge_floor: float = Field(0.0, ge=0.0, le=1.0, description="after the checks pass, the chat model is asked "
                               "whether the passages answer the question (prompts/judge.txt): an answer whose "
                               "P(是) is below this is a refusal (0 = not asked)")
    passage_heading: Literal["document", "passage", "off"] = Field(
        "document", description="head passages with their document's title and 文号: document = on the first "
        "passage of each document (the others show their section), passage = on every passage")

    @field_validator("passage_heading", mode="before")
    @classmethod
    def _heading_from_bool(cls, value: object) -> object:
        # `passage_heading = true` in older config files meant a heading on every passage
        return {True: "passage", False: "off"}.get(value, value) if isinstance(value, bool) else value


class IngestSettings(_Section):
    """What one input may cost, checked before it is read, and how far symlinks are followed."""

    # A whole government work report is ~30k characters; a single "document" 100x larger is a
    # dump or garbage, and would take hours to embed on a laptop.
    max_document_chars: int = Field(3_000_000, ge=1000, description="per document and per JSONL record")
    max_file_bytes: int = Field(256 * 2**20, ge=1024, description="per document file on disk (JSONL files "
                                "are read as a stream: their records are limited instead)")
    max_record_bytes: int = Field(32 * 2**20, ge=1024, description="per JSONL line, before decoding")
    max_unpacked_bytes: int = Field(1024 * 2**20, ge=1024, description="unpacked size of a .docx/.xlsx or "
                                    ".jsonl.gz")
    max_zip_members: int = Field(10_000, ge=10, description="files inside a .docx/.xlsx")
    ocr: bool = Field(True, description="OCR PDF pages without a usable text layer, and image files")
    ocr_dpi: int = Field(200, ge=72, le=600, description="resolution PDF pages are rendered at for OCR")
    follow_symlinks: Literal["inside", "all", "none"] = Field(
        "inside", description="inside: only links that stay inside the folder being ingested")


class ConversationSettings(_Section):
    model_rewrite: bool = Field(True, description="let the chat model rewrite a follow-up that code can only "
                                "complete with the previous subject and year, or not at all")
    rewrite_tokens: int = Field(48, ge=8, le=256, description="longest model rewrite, in tokens")


class LogSettings(_Section):
    enabled: bool = Field(True, description="record every answer in $RAG_HOME/log.sqlite (`rag log`)")


class Settings(_Section):
    home: Path = Field(default_factory=lambda: Path.home() / ".rag")
    store: Path | None = Field(None, description="store directory (default: $RAG_HOME/stores/default)")
    models: ModelSettings = Field(default_factory=ModelSettings)
    chunk: ChunkSettings = Field(default_factory=ChunkSettings)
    embed: EmbedSettings = Field(default_factory=EmbedSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    generation: GenerationSettings = Field(default_factory=GenerationSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    conversation: ConversationSettings = Field(default_factory=ConversationSettings)

    @property
    def models_dir(self) -> Path:
        return self.models.dir if self.models.dir is not None else self.home / "models"

    @property
    def store_dir(self) -> Path:
        return self.store if self.store is not None else self.home / "stores" / "default"

    def index_identity(self, embed_model_id: str, normalizer_version: str, chunker_version: str) -> str:
        """Hash of every setting that changes chunks or vectors: a store built otherwise is not mixed."""
        payload = {
            "embed_model": embed_model_id,
            "normalizer": normalizer_version,
            "chunker": chunker_version,
            "chunk": self.chunk.model_dump(),
            "max_seq_length": self.embed.max_seq_length,
            "passage_prefix": self.embed.passage_prefix,
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _env_layer(environ: dict[str, str]) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    if environ.get("RAG_HOME"):
        layer["home"] = environ["RAG_HOME"]
    if environ.get("RAG_STORE"):
        layer["store"] = environ["RAG_STORE"]
    sections = set(Settings.model_fields) - {"home", "store"}
    for name, value in environ.items():
        if not name.startswith("RAG_") or "__" not in name:
            continue
        section, _, field = name[4:].lower().partition("__")
        if section not in sections:
            raise SettingsError(f"environment variable {name}: unknown section {section!r}")
        layer.setdefault(section, {})[field] = value
    return layer


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {path}: invalid TOML: {exc}") from exc
    except OSError as exc:
        raise SettingsError(f"config file {path}: cannot read: {exc.strerror}") from exc


def _describe(exc: ValidationError, origin: str) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"{loc}: {err['msg']} (got {err.get('input')!r})")
    return f"invalid settings from {origin}: " + "; ".join(parts)


def load_settings(
    config_file: Path | None = None,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Build the effective settings. ``overrides`` are command-line flags (nested dicts)."""
    env = dict(os.environ if environ is None else environ)
    env_layer = _env_layer(env)
    flag_layer = overrides or {}

    home_hint = flag_layer.get("home") or env_layer.get("home") or Settings().home
    if config_file is None and env.get("RAG_CONFIG"):
        config_file = Path(env["RAG_CONFIG"])
    explicit = config_file is not None
    path = config_file if config_file is not None else Path(home_hint) / "config.toml"
    file_layer: dict[str, Any] = {}
    if path.exists() or explicit:
        file_layer = _read_toml(path)

    merged: dict[str, Any] = {}
    for origin, layer in (("config file " + str(path), file_layer), ("environment", env_layer),
                          ("command line", flag_layer)):
        merged = _deep_merge(merged, layer)
        try:
            Settings.model_validate(merged)
        except ValidationError as exc:
            raise SettingsError(_describe(exc, origin)) from exc
    settings = Settings.model_validate(merged)
    settings.home = settings.home.expanduser()
    return settings


def settings_as_dict(settings: Settings) -> dict[str, Any]:
    data = settings.model_dump(mode="json")
    data["store"] = str(settings.store_dir)
    return data
