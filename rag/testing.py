"""Stand-ins for the heavy models, shipped with the library (like httpx's ``MockTransport``) and
injected through constructors: ``App(settings, encoder=FakeEncoder(), llm=FakeLLM(reply))``.

They are also what ``--backend fake`` and ``RAG_MODELS__EMBED=fake`` select: the whole pipeline
runs, deterministically and in seconds, with no model file — for trying the wiring, not for answers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from rag.encoders import Encoder
from rag.llm import LLM, Message
from rag.normalize import compact

Reply = str | Callable[[list[Message]], str]
_PASSAGE_RE = re.compile(r"(?m)^\[(\d+)\][ \n]")


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


def prompt_passages(messages: list[Message]) -> dict[int, str]:
    """The passages of a question prompt, by number, as the model was shown them."""
    parts = _PASSAGE_RE.split(messages[-1]["content"])
    return {int(n): text for n, text in zip(parts[1::2], parts[2::2], strict=True)}


def extractive(messages: list[Message]) -> str:
    """The sentence of the first passage's text that shares the most characters with the question
    (the first one on a tie), cited to it: the ``fake`` backend's answer."""
    passages = prompt_passages(messages)
    if 1 not in passages:
        return "资料中未找到相关内容。"
    question = set(messages[-1]["content"].rsplit("问题：", 1)[-1].split("\n", 1)[0])
    body = passages[1].split("\n", 1)[-1].split("\n\n", 1)[0]
    sentences = [s.strip("… \n") for s in re.split(r"(?<=[。！？…])", body.strip()) if s.strip("… \n")]
    if not sentences:
        return "资料中未找到相关内容。"
    sentence = max(sentences, key=lambda s: len(set(s) & question))
    return f"{sentence.rstrip('。')}[1]。"


class FakeLLM(LLM):
    """Returns scripted replies (a callable gets the messages); records what it was sent."""

    def __init__(self, reply: Reply = "资料中未找到相关内容。", n_ctx: int = 4096, name: str = "fake",
                 yes: float | Callable[[list[Message]], float] | None = None) -> None:
        """``yes``: what :meth:`yes_probability` answers (None: like a backend without logits)."""
        self.reply = reply
        self.name = name
        self.n_ctx = n_ctx
        self.yes = yes
        self.sent: list[list[Message]] = []
        self.asked: list[list[Message]] = []  # the yes/no questions it was asked

    def count_tokens(self, text: str) -> int:
        return len(text)

    def yes_probability(self, messages: list[Message]) -> float | None:
        self.asked.append(messages)
        return self.yes(messages) if callable(self.yes) else self.yes

    def stream(self, messages: list[Message], max_tokens: int, temperature: float = 0.0,
               json_schema: dict[str, Any] | None = None) -> Iterator[str]:
        self.sent.append(messages)
        text = self.reply(messages) if callable(self.reply) else self.reply
        for i in range(0, len(text), 3):
            yield text[i:i + 3]
