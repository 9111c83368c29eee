"""Query vectors without PyTorch: a BERT encoder (mean pooling) in NumPy, for one-shot commands.

Importing sentence-transformers costs 6-12 s on a 2-core laptop (transformers, torch); a question's
vector is ~30 tokens through a 4-layer model, ~10 ms of NumPy. So `rag ask` encodes its question
here, and the passages' vectors (ingest, many texts) still come from sentence-transformers: the two
agree to cosine 1 - 1e-6 (tests/test_e2e_real_models.py checks it on the packaged m3e-small).

Only plain BERT folders with mean pooling (no modules.json other than Transformer + mean Pooling,
tokenizer.json present) are taken; anything else returns None and the caller keeps the library.
The weights are converted once into ``cache_dir`` as .npy files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from rag.private import PRIVATE_DIR

_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): NumPy has no erf, and scipy costs an import
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = ((((_A[4] * t + _A[3]) * t + _A[2]) * t + _A[1]) * t + _A[0]) * t
    return sign * (1.0 - poly * np.exp(-x * x))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def supported(path: Path) -> dict[str, Any] | None:
    """The folder's BERT config when this encoder can stand in for sentence-transformers."""
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
            return None
        if config.get("position_embedding_type", "absolute") != "absolute" or not (path / "tokenizer.json").is_file():
            return None
        if (path / "modules.json").exists():
            modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
            kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
            if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
                return None
            pooling = json.loads((path / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
            if not pooling.get("pooling_mode_mean_tokens") or any(
                    v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens"):
                return None
        return dict(config)
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


class NumpyBert:
    def __init__(self, path: Path, config: dict[str, Any], weights: dict[str, np.ndarray], max_length: int) -> None:
        from tokenizers import Tokenizer

        self.path = path
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.w = weights
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(min(max_length, int(config.get("max_position_embeddings", 512))))
        self.tokenizer.no_padding()

    @classmethod
    def load(cls, path: Path, cache_dir: Path, max_length: int = 512) -> NumpyBert | None:
        config = supported(path)
        if config is None:
            return None
        weights = _cached_weights(path, cache_dir)
        return None if weights is None else cls(path, config, weights, max_length)

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalized mean-pooled vectors, one text at a time (no padding to mask)."""
        from threadpoolctl import threadpool_limits

        if not texts:
            return np.zeros((0, 0), np.float32)
        # a question's matrices are tiny: BLAS threads only spin (0.7 s instead of 0.05 s on a busy CPU)
        with threadpool_limits(1, user_api="blas"):
            return np.stack([self._one(t) for t in texts]).astype(np.float32)

    def _one(self, text: str) -> np.ndarray:
        w = self.w
        ids = np.array(self.tokenizer.encode(text).ids)
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][: len(ids)]
        x = x + w["embeddings.token_type_embeddings.weight"][0]
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        n, d = x.shape
        hd = d // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def lin(v: np.ndarray, name: str, p: str = p) -> np.ndarray:
                return v @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            q, k, v = (lin(x, f"attention.self.{m}").reshape(n, self.heads, hd).transpose(1, 0, 2)
                       for m in ("query", "key", "value"))
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(hd)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            ctx = (scores / scores.sum(-1, keepdims=True)) @ v
            attn = lin(ctx.transpose(1, 0, 2).reshape(n, d), "attention.output.dense")
            x = _layer_norm(x + attn, w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"], self.eps)
            h = lin(_gelu(lin(x, "intermediate.dense")), "output.dense")
            x = _layer_norm(x + h, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self.eps)
        vec = x.mean(0)
        return vec / max(float(np.linalg.norm(vec)), 1e-12)


def _cached_weights(path: Path, cache_dir: Path) -> dict[str, np.ndarray] | None:
    """The model's tensors as NumPy arrays, converted once (safetensors without torch; a
    pytorch_model.bin needs torch, once) into ``cache_dir/<folder hash>/``."""
    files = [f for f in ("model.safetensors", "pytorch_model.bin") if (path / f).is_file()]
    if not files:
        return None
    source = path / files[0]
    st = source.stat()
    key = hashlib.sha256(f"{source.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]
    folder = cache_dir / key
    index = folder / "index.json"
    if index.is_file():
        with contextlib.suppress(OSError, ValueError):
            names = json.loads(index.read_text(encoding="utf-8"))
            return {n: np.load(folder / f"{i}.npy") for i, n in enumerate(names)}
    tensors = _read_tensors(source)
    if tensors is None:
        return None
    tensors = {k.removeprefix("bert."): v for k, v in tensors.items()}
    with contextlib.suppress(OSError):  # a read-only home only costs the conversion next time
        folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
        names = sorted(tensors)
        for i, n in enumerate(names):
            np.save(folder / f"{i}.npy", tensors[n])
        index.write_text(json.dumps(names), encoding="utf-8")  # written last: it marks the folder whole
    return tensors


def _read_tensors(source: Path) -> dict[str, np.ndarray] | None:
    try:
        if source.suffix == ".safetensors":
            from safetensors.numpy import load_file

            return {k: np.asarray(v, dtype=np.float32) for k, v in load_file(str(source)).items()}
        import torch

        state = torch.load(str(source), map_location="cpu", weights_only=True)
        return {k: v.float().numpy() for k, v in state.items() if hasattr(v, "numpy")}
    except Exception:  # any checkpoint it cannot read means: use sentence-transformers
        return None
