"""Text encoders (embedders and rerankers) behind a small interface; heavy models load lazily."""

from __future__ import annotations

import hashlib
import json
import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import numpy as np

from rag.offline import force_offline

# Query/passage prefixes of known model families (matched on the folder name).
_PREFIXES: dict[str, tuple[str, str]] = {
    "bge-": ("为这个句子生成表示以用于检索相关文章：", ""),
    "e5-": ("query: ", "passage: "),
}


class Encoder(ABC):
    """Maps texts to L2-normalized float32 vectors."""

    model_id: str
    dim: int

    @abstractmethod
    def encode_passages(self, texts: list[str]) -> np.ndarray: ...

    @abstractmethod
    def encode_queries(self, texts: list[str]) -> np.ndarray: ...


class SentenceTransformerEncoder(Encoder):
    """Any sentence-transformers model by folder; batches sorted by length to cut padding."""

    def __init__(self, path: Path, batch_size: int = 64, max_seq_length: int = 512,
                 query_prefix: str | None = None, passage_prefix: str | None = None,
                 threads: int = 0, precision: str = "auto", query_cache: Path | None = None) -> None:
        """``query_cache``: where a BERT folder's weights are kept as NumPy arrays, so that questions
        are encoded without loading sentence-transformers (see :mod:`rag.bert_numpy`); None: never."""
        self.path = path
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        family = next((v for k, v in _PREFIXES.items() if k in path.name.lower()), ("", ""))
        self.query_prefix = family[0] if query_prefix is None else query_prefix
        self.passage_prefix = family[1] if passage_prefix is None else passage_prefix
        self.threads = threads
        self.bf16 = precision == "bf16" or (precision == "auto" and cpu_has_bf16())
        self.model_id = f"{path.name}@{_folder_fingerprint(path)}"
        self._model: Any = None
        self._dim = declared_dim(path)
        self.query_cache = query_cache
        self._numpy: Any = None  # NumpyBert, False when the folder is not one it can read

    @property
    def loaded(self) -> bool:
        """Whether sentence-transformers (and torch) have been loaded for this model."""
        return self._model is not None

    @property
    def dim(self) -> int:  # type: ignore[override]
        if self._dim is None:
            self._load()
        assert self._dim is not None
        return self._dim

    def _load(self) -> Any:
        if self._model is None:
            force_offline()
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(self.threads or os.cpu_count() or 1)
            model = SentenceTransformer(str(self.path), device="cpu")
            model.max_seq_length = min(self.max_seq_length, model.max_seq_length or self.max_seq_length)
            get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            self._dim = int(get_dim() or 0)
            self._model = model
        return self._model

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # bf16 matmuls (AVX512-BF16/AMX) double throughput; vectors agree with fp32 to cosine > 0.9999.
        autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16)
        with torch.inference_mode(), autocast:
            for start in range(0, len(texts), self.batch_size):
                idx = order[start:start + self.batch_size]
                vecs = model.encode([texts[i] for i in idx], batch_size=len(idx), convert_to_numpy=True,
                                    normalize_embeddings=True, show_progress_bar=False)
                out[idx] = vecs
        return out

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.passage_prefix + t for t in texts])

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        texts = [self.query_prefix + t for t in texts]
        if self._numpy is None and self.query_cache is not None:
            from rag.bert_numpy import NumpyBert

            self._numpy = NumpyBert.load(self.path, self.query_cache, self.max_seq_length) or False
        if self._numpy and texts:
            return np.asarray(self._numpy.encode(texts), dtype=np.float32)
        return self._encode(texts)


def cpu_has_bf16() -> bool:
    """Whether the CPU does bf16 matrix math natively (x86 AVX512-BF16 or AMX-BF16)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as fh:
            for line in fh:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool({"avx512_bf16", "amx_bf16"} & flags)
    except OSError:
        pass
    return False


def declared_dim(path: Path) -> int | None:
    """Output dimension from the folder's config files without loading the model (None if unsure)."""
    try:
        modules = json.loads((path / "modules.json").read_text()) if (path / "modules.json").exists() else []
        if any("Dense" in str(m.get("type", "")) for m in modules):
            return None
        config = json.loads((path / "config.json").read_text())
        return int(config["hidden_size"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _folder_fingerprint(path: Path) -> str:
    """Cheap identity of a model folder: names and sizes of its files (not a full hash)."""
    digest = hashlib.sha256()
    if path.is_dir():
        for item in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(f"{item.relative_to(path)}:{item.stat().st_size}\n".encode())
    return digest.hexdigest()[:12]


class CrossEncoderReranker:
    """Scores (query, passage) pairs with any sentence-transformers CrossEncoder by folder."""

    def __init__(self, path: Path, max_length: int = 512) -> None:
        self.path = path
        self.max_length = max_length
        self._model: Any = None

    def score(self, query: str, passages: list[str]) -> list[float]:
        if self._model is None:
            force_offline()
            from sentence_transformers import CrossEncoder

            self._model = CrossEncoder(str(self.path), device="cpu", max_length=self.max_length)
        if not passages:
            return []
        scores = self._model.predict([(query, p) for p in passages], show_progress_bar=False)
        return [float(s) for s in np.asarray(scores).reshape(-1)]
