"""Benchmark: decode (generation) speed of our answer path vs llama.cpp itself, same model and threads.

usage: python -m bench.decode_speed [--model small|default] [--tokens 128] [--llama-bench PATH]

Measures tokens/s after the prompt is read:
- ours: ``LlamaCppLLM.stream`` (chat template, streaming, UTF-8-safe pieces), timed from the first
  piece to the last, tokens counted with the model's tokenizer;
- llama-cpp-python's bare token loop (``Llama.generate``, greedy), the same engine without our layer;
- with ``--llama-bench``, llama.cpp's own ``llama-bench -p 0 -n N`` binary (built from the vendored
  llama.cpp of the same llama-cpp-python release: see README).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

from rag.app import App
from rag.llm import LlamaCppLLM
from rag.settings import load_settings

PROMPT = [{"role": "system", "content": "你是政策文件问答助手。"},
          {"role": "user", "content": "请详细介绍工会在维护职工合法权益方面的主要工作，分条列出，至少写十条。"}]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="small")
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--llama-bench", default="")
    args = ap.parse_args()
    models = Path(os.environ.get("RAG_HOME", Path.home() / ".rag")) / "models"
    app = App(load_settings(overrides={"models": {"dir": str(models)}}))
    llm = app.use_llm(args.model)
    assert isinstance(llm, LlamaCppLLM)
    llama = llm.llama
    threads = llm.threads

    ours = []
    for _ in range(args.runs):
        llama.reset()
        pieces: list[str] = []
        t_first = 0.0
        for piece in llm.stream(PROMPT, args.tokens, 0.0):
            if not pieces:
                t_first = time.perf_counter()
            pieces.append(piece)
        elapsed = time.perf_counter() - t_first
        n = len(llama.tokenize("".join(pieces).encode(), add_bos=False))
        ours.append((n - 1) / elapsed)

    bare = []
    prompt_tokens = llama.tokenize("".join(m["content"] for m in PROMPT).encode())
    for _ in range(args.runs):
        llama.reset()
        llama.eval(prompt_tokens)
        count = 0
        t0 = time.perf_counter()
        for _tok in llama.generate([], temp=0.0, reset=False):
            count += 1
            if count >= args.tokens:
                break
        bare.append(count / (time.perf_counter() - t0))

    result = {"model": llm.name, "threads": threads, "tokens": args.tokens,
              "ours_tok_s": round(max(ours), 2), "llama_cpp_python_bare_tok_s": round(max(bare), 2),
              "ours_vs_bare": round(max(ours) / max(bare), 3)}
    if args.llama_bench:
        out = subprocess.run([args.llama_bench, "-m", str(llm.path), "-t", str(threads), "-p", "0",
                              "-n", str(args.tokens), "-r", str(args.runs), "-o", "json"],
                             capture_output=True, text=True, check=True).stdout
        rows = json.loads(out[out.index("["):])
        tg = max(float(r["avg_ts"]) for r in rows if r.get("n_gen"))
        result["llama_bench_tok_s"] = round(tg, 2)
        result["ours_vs_llama_bench"] = round(max(ours) / tg, 3)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
