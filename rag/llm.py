"""Chat models behind one small interface: llama-cpp-python in process, or an OpenAI-compatible server."""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.errors import LLMError
from rag.kvcache import MIN_PREFIX_TOKENS, PrefixCache, common_prefix
from rag.offline import force_offline

Message = dict[str, str]


class LLM(ABC):
    """A chat model that streams text pieces (never split inside a UTF-8 character)."""

    name: str
    n_ctx: int
    last_prefix: str = ""  # how the last prompt's fixed prefix was had: "memory", "disk", "read" or ""

    @abstractmethod
    def stream(self, messages: list[Message], max_tokens: int, temperature: float = 0.0,
               json_schema: dict[str, Any] | None = None) -> Iterator[str]: ...

    @abstractmethod
    def count_tokens(self, text: str) -> int: ...

    def complete(self, messages: list[Message], max_tokens: int, temperature: float = 0.0,
                 json_schema: dict[str, Any] | None = None) -> str:
        return "".join(self.stream(messages, max_tokens, temperature, json_schema))

    def yes_probability(self, messages: list[Message]) -> float | None:
        """P(是) / (P(是) + P(否)) for the reply's first token after ``messages``, which end with a
        yes/no question; None when the backend cannot tell (no logits)."""
        return None


class LlamaCppLLM(LLM):
    def __init__(self, path: Path, n_ctx: int = 4096, threads: int = 0, seed: int = 0,
                 prompt_lookup: int = 0, prefix_cache: Path | None = None) -> None:
        """``prefix_cache``: a folder where the state after a prompt's fixed prefix is kept
        (see :mod:`rag.kvcache`); None reads the prefix in every new process."""
        self.path = path
        self.name = path.name
        self.n_ctx = n_ctx
        self.threads = threads or os.cpu_count() or 1
        self.seed = seed
        self.prompt_lookup = prompt_lookup
        self.prefix_cache = PrefixCache(prefix_cache, path, n_ctx) if prefix_cache is not None else None
        self._llama: Any = None
        self._formatter: Any = None

    @property
    def llama(self) -> Any:
        if self._llama is None:
            force_offline()
            from llama_cpp import Llama

            _check_gguf(self.path)
            try:
                self._llama = Llama(model_path=str(self.path), n_ctx=self.n_ctx, n_threads=self.threads,
                                    n_threads_batch=self.threads, seed=self.seed, verbose=False, n_batch=512)
            except (ValueError, RuntimeError) as exc:
                raise LLMError(f"cannot load GGUF model {self.path}: {exc}") from exc
        return self._llama

    def count_tokens(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream(self, messages: list[Message], max_tokens: int, temperature: float = 0.0,
               json_schema: dict[str, Any] | None = None) -> Iterator[str]:
        kwargs: dict[str, Any] = {}
        if json_schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": json_schema}
        self._prime(messages)
        if self.prompt_lookup and temperature == 0 and json_schema is None and self._templated:
            from rag.lookup import greedy_lookup

            yield from greedy_lookup(self.llama, self.prompt_tokens(messages), max_tokens, self.prompt_lookup,
                                     self._stop_tokens())
            return
        for part in self.llama.create_chat_completion(messages=messages, max_tokens=max_tokens,
                                                      temperature=temperature, stream=True, **kwargs):
            delta = part["choices"][0].get("delta", {})
            text = delta.get("content")
            if text:
                yield text

    @property
    def _templated(self) -> bool:
        return "tokenizer.chat_template" in self.llama.metadata

    def _stop_tokens(self) -> set[int]:
        """End of turn and of text: the chat handler stops at either."""
        llama = self.llama
        stop = {llama.token_eos()}
        for name in (b"<|im_end|>", b"<|endoftext|>", b"<|eot_id|>"):
            ids = llama.tokenize(name, add_bos=False, special=True)
            if len(ids) == 1:
                stop.add(ids[0])
        return stop

    def yes_probability(self, messages: list[Message]) -> float | None:
        """Read only what ``messages`` add to the model's last prompt and reply (the KV cache holds
        those): a follow-up question costs its own few dozen tokens, not the passages again."""
        import llama_cpp
        import numpy as np

        llama = self.llama
        if "tokenizer.chat_template" not in llama.metadata:
            return None
        tokens = self.prompt_tokens(messages)
        keep = min(common_prefix(llama.input_ids[: llama.n_tokens], tokens), len(tokens) - 1)
        llama.n_tokens = keep
        llama.eval(tokens[keep:])
        # eval keeps no logits unless every position's are kept: read the last one from the context
        row = llama_cpp.llama_get_logits_ith(llama.ctx, -1)
        logits = np.ctypeslib.as_array(row, shape=(llama.n_vocab(),)).astype(np.float64)
        yes, no = (llama.tokenize(w.encode("utf-8"), add_bos=False, special=False)[0] for w in ("是", "否"))
        return float(1.0 / (1.0 + np.exp(logits[no] - logits[yes])))

    def prompt_tokens(self, messages: list[Message]) -> list[int]:
        """The tokens llama-cpp-python's chat handler reads for ``messages`` (the GGUF's template)."""
        if self._formatter is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            llama = self.llama

            def text(token: int) -> str:
                return llama.detokenize([token], special=True).decode("utf-8", "replace") if token != -1 else ""

            self._formatter = Jinja2ChatFormatter(template=llama.metadata["tokenizer.chat_template"],
                                                  eos_token=text(llama.token_eos()),
                                                  bos_token=text(llama.token_bos()))
        result = self._formatter(messages=messages)
        return list(self.llama.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special,
                                        special=True))

    def _prime(self, messages: list[Message]) -> None:
        """Have the fixed prefix of ``messages`` in the KV cache before the chat handler runs: it
        then reads only the rest (llama-cpp-python reuses a matching prefix of its last prompt)."""
        self.last_prefix = ""
        if self.prefix_cache is None or len(messages) < 2 or "tokenizer.chat_template" not in self.llama.metadata:
            return
        tokens, n = self.fixed_prefix(messages)
        if MIN_PREFIX_TOKENS <= n < len(tokens):
            self.last_prefix = self.prefix_cache.prime(self.llama, tokens[:n])

    def fixed_prefix(self, messages: list[Message]) -> tuple[list[int], int]:
        """The prompt's tokens and how many of them do not depend on the last message's text (the
        tokens it shares with the same prompt whose last message is empty)."""
        tokens = self.prompt_tokens(messages)
        blank = self.prompt_tokens([*messages[:-1], {**messages[-1], "content": ""}])
        return tokens, common_prefix(tokens, blank)


def _check_gguf(path: Path) -> None:
    if not path.is_file():
        raise LLMError(f"GGUF model file {path} does not exist")
    with path.open("rb") as fh:
        if fh.read(4) != b"GGUF":
            raise LLMError(f"{path} is not a GGUF file (bad magic); re-run scripts/setup.sh or download it again")


class OpenAICompatLLM(LLM):
    """Any server with the OpenAI chat-completions API (llama.cpp server, vLLM, ...)."""

    def __init__(self, base_url: str, model: str = "local", n_ctx: int = 4096, timeout: float = 300.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = f"{model}@{self.base_url}"
        self.model = model
        self.n_ctx = n_ctx
        self.timeout = timeout

    def count_tokens(self, text: str) -> int:
        # Servers differ in tokenize endpoints; Chinese text is close to one token per character
        # for Qwen tokenizers, so this errs on the safe (larger) side.
        return int(len(text) * 1.1) + 1

    def stream(self, messages: list[Message], max_tokens: int, temperature: float = 0.0,
               json_schema: dict[str, Any] | None = None) -> Iterator[str]:
        import httpx

        body: dict[str, Any] = {"model": self.model, "messages": messages, "max_tokens": max_tokens,
                                "temperature": temperature, "stream": True}
        if json_schema is not None:
            body["response_format"] = {"type": "json_object", "schema": json_schema}
        try:
            with httpx.stream("POST", f"{self.base_url}/chat/completions", json=body, timeout=self.timeout) as r:
                if r.status_code != 200:
                    r.read()
                    raise LLMError(f"server {self.base_url} answered {r.status_code}: {r.text[:200]}")
                for line in r.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    piece = json.loads(data)["choices"][0].get("delta", {}).get("content")
                    if piece:
                        yield piece
        except httpx.HTTPError as exc:
            raise LLMError(f"cannot reach the model server at {self.base_url}: {exc}") from exc

    def yes_probability(self, messages: list[Message]) -> float | None:
        """From the first token's top log-probabilities; None when the server gives none, or
        neither 是 nor 否 is among them."""
        import math

        import httpx

        body = {"model": self.model, "messages": messages, "max_tokens": 1, "temperature": 0.0,
                "logprobs": True, "top_logprobs": 20}
        try:
            r = httpx.post(f"{self.base_url}/chat/completions", json=body, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise LLMError(f"cannot reach the model server at {self.base_url}: {exc}") from exc
        try:
            top = r.json()["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
            ranked: dict[str, float] = {}
            for t in top:  # "是" and " 是" are one answer
                word = t["token"].strip()
                ranked[word] = max(float(t["logprob"]), ranked.get(word, -math.inf))
        except (ValueError, KeyError, IndexError, TypeError):
            return None  # an error status, or a server that does not return log-probabilities
        if r.status_code != 200 or not ({"是", "否"} & ranked.keys()):
            return None
        floor = min(ranked.values())  # one of the two outside the top: at most as likely as the last shown
        yes, no = ranked.get("是", floor), ranked.get("否", floor)
        return 1.0 / (1.0 + math.exp(no - yes))
