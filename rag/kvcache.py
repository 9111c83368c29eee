"""The model's state after reading a prompt's fixed prefix, kept on disk so that a one-shot
``rag ask`` (or the first question of a ``rag eval``) does not read the system prompt and the worked
example again: ~220 tokens, 10 s of a 2-core laptop's time, replaced by a 0.3 s load of ~6 MB.

The prefix is found, not declared: it is the longest run of tokens a prompt shares with the same
prompt whose last message is empty, so any caller whose last message is the varying part gains.
A file is named by everything its state depends on (model file, context size, llama-cpp-python
version, the tokens) and carries a checksum: a stale, truncated or foreign file is read again from
the model, never loaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.durable import write_atomic
from rag.private import PRIVATE_DIR

MAGIC = b"RAGKV1\n"
MIN_PREFIX_TOKENS = 32  # below this, reading the prefix costs less than loading it
KEEP_FILES = 16  # newest states kept per folder (~6 MB each for the 1.5B model's QA prefix)


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class PrefixCache:
    """States of fixed prompt prefixes for one loaded model, in ``directory``."""

    def __init__(self, directory: Path, model: Path, n_ctx: int) -> None:
        self.directory = directory
        self.model = model
        self.n_ctx = n_ctx
        self.loaded = 0  # prefixes taken from disk, in this process
        self.saved = 0

    def identity(self, tokens: Sequence[int]) -> str:
        import llama_cpp

        st = self.model.stat()
        head = f"{self.model.resolve()}|{st.st_size}|{st.st_mtime_ns}|{self.n_ctx}|{llama_cpp.__version__}|"
        h = hashlib.sha256(head.encode())
        h.update(struct.pack(f"<{len(tokens)}i", *tokens))
        return h.hexdigest()[:32]

    def path(self, tokens: Sequence[int]) -> Path:
        return self.directory / f"{self.identity(tokens)}.kv"

    def prime(self, llama: Any, tokens: Sequence[int]) -> str:
        """Leave ``llama`` holding the state after ``tokens``; says how: "memory" (already there),
        "disk" (loaded), "read" (evaluated now, then saved)."""
        if common_prefix(llama.input_ids[: llama.n_tokens], tokens) == len(tokens):
            return "memory"
        path = self.path(tokens)
        if self._load(llama, path, tokens):
            self.loaded += 1
            return "disk"
        llama.reset()
        llama.eval(list(tokens))
        self._save(llama, path, tokens)
        return "read"

    def _load(self, llama: Any, path: Path, tokens: Sequence[int]) -> bool:
        import numpy as np
        from llama_cpp import LlamaState

        try:
            blob = path.read_bytes()
        except OSError:
            return False
        if not blob.startswith(MAGIC):
            return False
        header_end = blob.find(b"\n", len(MAGIC))
        if header_end < 0:
            return False
        try:
            header = json.loads(blob[len(MAGIC):header_end])
        except ValueError:
            return False
        state = blob[header_end + 1:]
        if (not isinstance(header, dict) or header.get("n_tokens") != len(tokens) or header.get("bytes") != len(state)
                or header.get("sha256") != hashlib.sha256(state).hexdigest()):
            return False
        ids = np.zeros(llama.input_ids.shape, dtype=llama.input_ids.dtype)
        ids[: len(tokens)] = tokens
        scores = np.zeros((1, llama.n_vocab()), dtype=np.single)  # the suffix's decode refreshes them
        try:
            llama.load_state(LlamaState(ids, scores, len(tokens), state, len(state), header.get("seed", 0)))
        except RuntimeError:
            llama.reset()
            return False
        return True

    def _save(self, llama: Any, path: Path, tokens: Sequence[int]) -> None:
        state = llama.save_state()
        data = bytes(state.llama_state)
        header = {"n_tokens": len(tokens), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                  "seed": state.seed, "model": self.model.name}
        with contextlib.suppress(OSError):  # a read-only home only costs the next run the prefix
            self.directory.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
            write_atomic(path, MAGIC + json.dumps(header).encode() + b"\n" + data)
            self.saved += 1
            self._prune()

    def _prune(self) -> None:
        files = sorted(self.directory.glob("*.kv"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[KEEP_FILES:]:
            old.unlink(missing_ok=True)
