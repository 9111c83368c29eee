"""Wiring: settings -> model catalogue -> encoder, store, retriever, LLM. Everything heavy is lazy."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rag import segment
from rag.catalog import ModelEntry, find_entry, load_catalog, resolve_model
from rag.chunk import CHUNKER_VERSION
from rag.encoders import CrossEncoderReranker, Encoder, SentenceTransformerEncoder
from rag.normalize import NORMALIZER_VERSION
from rag.retrieve import Retriever
from rag.settings import Settings
from rag.store import AnnSpec, Manifest, Store, StoreWriter

if TYPE_CHECKING:
    from rag.llm import LLM


class App:
    """One per process (or per REPL session): models and the store load once."""

    def __init__(self, settings: Settings, encoder: Encoder | None = None, llm: LLM | None = None) -> None:
        self.settings = settings
        segment.use_cache(settings.home / "cache" / "jieba")
        self._encoder = encoder
        self._llm = llm
        self._store: Store | None = None
        self._retriever: Retriever | None = None

    @functools.cached_property
    def catalog(self) -> list[ModelEntry]:
        return load_catalog(self.settings.models.catalog)

    def model_path(self, name_or_path: str, role: str) -> Path:
        return resolve_model(name_or_path, role, self.settings.models_dir, self.catalog)

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None and self.settings.models.embed == "fake":
            from rag.testing import FakeEncoder

            self._encoder = FakeEncoder()
        if self._encoder is None:
            s = self.settings
            path = self.model_path(s.models.embed, "embed")
            enc = SentenceTransformerEncoder(path, s.embed.batch_size, s.embed.max_seq_length,
                                             s.embed.query_prefix, s.embed.passage_prefix,
                                             s.generation.threads, s.embed.precision,
                                             s.home / "cache" / "embed" if s.embed.numpy_queries else None)
            entry = find_entry(self.catalog, s.models.embed)
            if entry is not None and entry.sha256:
                enc.model_id = f"{entry.name}@{entry.sha256[:12]}"
            self._encoder = enc
        return self._encoder

    def manifest(self) -> Manifest:
        enc = self.encoder
        s = self.settings
        identity = s.index_identity(enc.model_id, NORMALIZER_VERSION, CHUNKER_VERSION)
        return Manifest(identity, enc.model_id, enc.dim, NORMALIZER_VERSION, CHUNKER_VERSION,
                        {"chunk": s.chunk.model_dump(), "max_seq_length": s.embed.max_seq_length,
                         "passage_prefix": s.embed.passage_prefix})

    def writer(self) -> StoreWriter:
        self.close_store()
        return StoreWriter(self.settings.store_dir, self.manifest(), self.ann_spec())

    def ann_spec(self) -> AnnSpec | None:
        ix = self.settings.index
        return AnnSpec(ix.hnsw_m, ix.hnsw_ef_construction) if ix.kind == "hnsw" else None

    @property
    def store(self) -> Store:
        if self._store is None:
            store = Store(self.settings.store_dir)
            try:
                store.check_identity(self.manifest())
            except Exception:
                store.close()
                raise
            self._store = store
        return self._store

    def close_store(self) -> None:
        if self._store is not None:
            self._store.close()
        self._store = None
        self._retriever = None

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            reranker = None
            if self.settings.models.rerank:
                reranker = CrossEncoderReranker(self.model_path(self.settings.models.rerank, "rerank"))
            ef_search = self.settings.index.hnsw_ef_search if self.settings.index.kind == "hnsw" else None
            self._retriever = Retriever(self.store, self.encoder, self.settings.retrieval, reranker, ef_search)
        return self._retriever

    @property
    def llm(self) -> LLM:
        """The chat model in use: the settings' default until :meth:`use_llm` chooses another."""
        if self._llm is None:
            self.use_llm(None)
        assert self._llm is not None
        return self._llm

    def use_llm(self, which: str | LLM | None) -> LLM:
        """Choose the chat model: an :class:`LLM`, or ``None``/"default", "small", a models.txt name,
        a GGUF path (built from the settings; ``None`` keeps one already given to the constructor)."""
        from rag.llm import LLM

        if isinstance(which, LLM):
            self._llm = which
        elif which is not None or self._llm is None:
            self._llm = make_llm(self.settings, which, lambda name: self.model_path(name, "chat"))
        return self._llm


def make_llm(settings: Settings, which: str | None, resolve: Callable[[str], Path]) -> LLM:
    """The chat model ``which`` names ("default", "small", a models.txt name or a GGUF path; the
    backend from the settings); ``resolve`` turns a name into its file."""
    s = settings
    gen = s.generation
    if gen.backend == "openai":
        from rag.llm import OpenAICompatLLM

        return OpenAICompatLLM(gen.base_url, gen.api_model, gen.n_ctx)
    if gen.backend == "fake":
        from rag.testing import FakeLLM, extractive

        return FakeLLM(extractive, gen.n_ctx)
    if which in (None, "", "default"):
        name = s.models.chat
    elif which == "small":
        name = s.models.chat_small
    else:
        name = which
    path = resolve(name)
    from rag.llm import LlamaCppLLM

    return LlamaCppLLM(path, gen.n_ctx, gen.threads, gen.seed, gen.prompt_lookup,
                       s.home / "cache" / "kv" if gen.prefix_cache else None)
