"""Greedy decoding with prompt-lookup drafts, on llama-cpp-python's context without ``logits_all``.

An answer copies its passages ("百人以上企业建会率达98.9%"): after the tokens it has just written, the
prompt often goes on with the very tokens the model will write next. Those are proposed as a draft
and read in one batch with the next token; each draft token the model would itself have chosen
(its argmax after the one before) is kept, the first other one ends the draft and is taken
instead. On a CPU a batch of 5 costs little more than one token, so a copied span is written several
tokens per step. The text is greedy decoding's (temperature 0), but for near ties: a batch's
arithmetic differs from one token's in the last bits (dev.jsonl: 22 of 23 answers the same).

llama-cpp-python's own ``LlamaPromptLookupDecoding`` needs ``logits_all`` (n_ctx x vocab floats:
2.5 GB for Qwen at n_ctx 4096, and slower); here only the batch's rows are read.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator, Sequence
from typing import Any

from rag.kvcache import common_prefix

NGRAM_MAX = 3  # the longest run of the last tokens looked up in the history


def draft_after(history: Sequence[int], size: int, ngram_max: int = NGRAM_MAX) -> list[int]:
    """The tokens that followed the latest earlier occurrence of the history's last n tokens
    (longest n first, down to 1), at most ``size`` of them."""
    n_hist = len(history)
    for n in range(min(ngram_max, n_hist - 1), 0, -1):
        tail = list(history[n_hist - n:])
        for start in range(n_hist - n - 1, -1, -1):
            if list(history[start:start + n]) == tail:
                return list(history[start + n:start + n + size])
    return []


def greedy_lookup(llama: Any, prompt: list[int], max_tokens: int, draft_size: int,
                  stop: set[int]) -> Iterator[str]:
    """Text pieces of the greedy continuation of ``prompt`` (the KV cache reused for the prefix it
    shares with the model's last tokens), drafts looked up in prompt and output."""
    import llama_cpp
    import numpy as np

    keep = min(common_prefix(llama.input_ids[:llama.n_tokens], prompt), len(prompt) - 1)
    llama.n_tokens = keep
    llama.eval(prompt[keep:])  # logits of the last position only
    n_vocab = llama.n_vocab()
    ctx = llama.ctx

    def argmax(i: int) -> int:
        row = llama_cpp.llama_get_logits_ith(ctx, i)
        return int(np.argmax(np.ctypeslib.as_array(row, shape=(n_vocab,))))

    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    history = list(prompt)
    token = argmax(-1)
    written = 0
    while written < max_tokens and token not in stop:
        # the token is shown before its draft is read: the first one comes as soon as without drafts
        piece = decoder.decode(llama.detokenize([token]))
        if piece:
            yield piece
        draft = draft_after([*history, token], min(draft_size, max_tokens - written - 1))
        batch = [token, *draft]
        n_past = llama.n_tokens
        if n_past + len(batch) > llama.n_ctx():
            break
        llama._ctx.kv_cache_seq_rm(-1, n_past, -1)
        llama._batch.set_batch(batch=batch, n_past=n_past, logits_all=True)
        llama._ctx.decode(llama._batch)
        accepted = [token]
        nxt = argmax(0)
        for j, proposed in enumerate(draft, start=1):
            if nxt != proposed or nxt in stop:
                break
            accepted.append(proposed)
            nxt = argmax(j)
        llama.input_ids[n_past:n_past + len(accepted)] = accepted
        llama.n_tokens = n_past + len(accepted)
        history.extend(accepted)
        written += len(accepted)
        piece = decoder.decode(llama.detokenize(accepted[1:]))
        if piece:
            yield piece
        token = nxt
    llama._ctx.kv_cache_seq_rm(-1, llama.n_tokens, -1)
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail
