"""Shared fixtures: a temp RAG_HOME, a deterministic fake encoder and a scripted fake LLM."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag.app import App
from rag.encoders import Encoder
from rag.llm import LLM, Message
from rag.normalize import compact
from rag.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "sample_corpus"
SHARED = ROOT.parent / "shared"
REAL_HOME = Path(os.environ.get("RAG_HOME", Path.home() / ".rag"))


class FakeEncoder(Encoder):
    """Hashed character-bigram bag: similar texts get similar vectors, no model needed."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.model_id = f"fake-bigram-{dim}"
        self.calls = 0

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        s = re.sub(r"\s+", "", compact(text))
        for i in range(len(s) - 1):
            h = int.from_bytes(hashlib.blake2b(s[i:i + 2].encode(), digest_size=4).digest(), "little")
            v[h % self.dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.encode_passages(texts)


class FakeLLM(LLM):
    """Returns scripted replies (a callable gets the messages); records what it was sent."""

    def __init__(self, reply: Any = "资料中未找到相关内容。", n_ctx: int = 4096) -> None:
        self.reply = reply
        self.name = "fake"
        self.n_ctx = n_ctx
        self.sent: list[list[Message]] = []

    def count_tokens(self, text: str) -> int:
        return len(text)

    def stream(self, messages: list[Message], max_tokens: int, temperature: float = 0.0,
               json_schema: dict[str, Any] | None = None) -> Iterator[str]:
        self.sent.append(messages)
        text = self.reply(messages) if callable(self.reply) else self.reply
        for i in range(0, len(text), 3):
            yield text[i:i + 3]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "home"
    monkeypatch.setenv("RAG_HOME", str(h))
    for name in list(os.environ):
        if name.startswith("RAG_") and "__" in name:
            monkeypatch.delenv(name)
    monkeypatch.delenv("RAG_STORE", raising=False)
    monkeypatch.delenv("RAG_CONFIG", raising=False)
    return h


@pytest.fixture
def settings(home: Path) -> Settings:
    return load_settings()


@pytest.fixture
def fake_app(settings: Settings) -> App:
    return App(settings, encoder=FakeEncoder(), llm=FakeLLM())


def ingest_paths(app: App, paths: list[Path], **kw: Any) -> Any:
    from rag.ingest import ingest

    with app.writer() as writer:
        report = ingest(paths, writer, app.settings, app.encoder, **kw)
    app.close_store()
    return report


@pytest.fixture
def seeded_app(fake_app: App) -> App:
    ingest_paths(fake_app, [SEEDS])
    return fake_app
