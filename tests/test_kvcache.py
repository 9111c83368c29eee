"""The prefix cache on disk, against a stand-in for llama_cpp.Llama that records what it is asked."""

from __future__ import annotations

import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from rag.kvcache import PrefixCache, common_prefix


class FakeLlama:
    """Its "KV state" is the bytes of the tokens it has read: a load must restore exactly that."""

    def __init__(self, n_ctx: int = 64) -> None:
        self.input_ids = np.zeros(n_ctx, dtype=np.intc)
        self.n_tokens = 0
        self.evals: list[list[int]] = []
        self.loaded: list[Any] = []

    def reset(self) -> None:
        self.n_tokens = 0

    def eval(self, tokens: list[int]) -> None:
        self.evals.append(list(tokens))
        self.input_ids[self.n_tokens:self.n_tokens + len(tokens)] = tokens
        self.n_tokens += len(tokens)

    def state_bytes(self) -> bytes:
        return bytes(self.input_ids[: self.n_tokens].astype("<i4").tobytes())

    def save_state(self) -> Any:
        return SimpleNamespace(llama_state=self.state_bytes(), seed=7)

    def load_state(self, state: Any) -> None:
        self.loaded.append(state)
        self.input_ids = state.input_ids.copy()
        self.n_tokens = state.n_tokens
        assert state.llama_state == self.state_bytes()  # what was saved for these very tokens

    def n_vocab(self) -> int:
        return 8


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "m.gguf"
    path.write_bytes(b"GGUF" + b"\0" * 16)
    return path


PREFIX = list(range(100, 140))


def test_read_once_then_loaded_from_disk_then_kept_in_memory(tmp_path: Path, model: Path) -> None:
    cache = PrefixCache(tmp_path / "kv", model, 64)
    first = FakeLlama()
    assert cache.prime(first, PREFIX) == "read"
    assert first.evals == [PREFIX]
    [file] = (tmp_path / "kv").iterdir()
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "kv").stat().st_mode) == 0o700

    fresh = FakeLlama()  # a new process: nothing read, the state comes from the file
    assert cache.prime(fresh, PREFIX) == "disk"
    assert fresh.evals == [] and len(fresh.loaded) == 1
    assert fresh.n_tokens == len(PREFIX) and list(fresh.input_ids[:40]) == PREFIX
    assert fresh.loaded[0].seed == 7

    fresh.eval([1, 2, 3])  # a question read after the prefix: the prefix is still there
    assert cache.prime(fresh, PREFIX) == "memory"
    assert fresh.evals == [[1, 2, 3]]
    assert (cache.loaded, cache.saved) == (1, 1)


def test_a_damaged_or_foreign_file_is_never_loaded(tmp_path: Path, model: Path) -> None:
    cache = PrefixCache(tmp_path / "kv", model, 64)
    cache.prime(FakeLlama(), PREFIX)
    path = cache.path(PREFIX)
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0xFF  # one flipped byte of the state
    path.write_bytes(bytes(blob))
    llama = FakeLlama()
    assert cache.prime(llama, PREFIX) == "read" and llama.loaded == []
    assert cache.prime(FakeLlama(), PREFIX) == "disk"  # rewritten whole

    path.write_bytes(path.read_bytes()[:50])  # cut short
    assert cache.prime(FakeLlama(), PREFIX) == "read"
    path.write_bytes(b"not a state file")
    assert cache.prime(FakeLlama(), PREFIX) == "read"


def test_the_file_is_named_by_the_tokens_the_model_and_the_context(tmp_path: Path, model: Path) -> None:
    cache = PrefixCache(tmp_path / "kv", model, 64)
    before = cache.path(PREFIX).name
    other_tokens = cache.path([*PREFIX[:-1], 999]).name
    other_ctx = PrefixCache(tmp_path / "kv", model, 128).path(PREFIX).name
    model.write_bytes(b"GGUF" + b"\1" * 32)  # the model file replaced
    after = cache.path(PREFIX).name
    assert len({before, other_tokens, other_ctx, after}) == 4
    assert cache.path(PREFIX).name == after  # and stable


def test_common_prefix() -> None:
    assert common_prefix([1, 2, 3, 4], [1, 2, 9]) == 2
    assert common_prefix([], [1]) == 0
    assert common_prefix([5, 6], [5, 6]) == 2
