"""The judge's question (is the question answered by the passages?) asked in other wordings, on the
model's own drafts of earlier ``rag eval --mode answer`` runs, without generating again.

    python -m bench.judge_replay --run W/run_without --store W/s --run W/run_full --store N [--out FILE]

Each answer that passed the checks in a run is asked again with the same retrieval and prompt; the
real chat model reads the prompt and the recorded draft (no generation), then each wording of
``WORDINGS`` is asked after them and its P(是) (or P(否), for a wording asked the other way round)
recorded. Runs whose questions have no answer in the store (negative sets) should score low, runs
on stores that hold the answer high: the output lists each wording's scores per run, and the
separation (AUC) between the runs named with ``--negative`` and the others.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.kvcache import common_prefix
from rag.llm import LlamaCppLLM, Message

# name -> (the question put after the draft, whether 是 means "answered"); "{question}" is filled in
WORDINGS: dict[str, tuple[str, bool]] = {
    "judge.txt": ("", True),  # prompts/judge.txt as shipped
    "mismatch": ("上面的资料说的地点、年份、单位或事项是否与问题“{question}”不一致，或者资料根本没有给出问题要的内容？"
                 "只回答“是”或“否”。", False),
    "explicit": ("资料原文中是否明确写有问题“{question}”要的答案？只回答“是”或“否”。", True),
    "offtopic": ("你的回答是否答非所问？只回答“是”或“否”。", False),
}


class ReplayDraft(LlamaCppLLM):
    """The real model reads each prompt and then the draft recorded for its question, as if it had
    written it: the KV cache ends where a live run's would, so the judge reads only its question."""

    drafts: dict[str, str]
    last_messages: list[Message]

    def stream(self, messages: list[Message], max_tokens: int, temperature: float = 0.0,
               json_schema: dict[str, Any] | None = None) -> Iterator[str]:
        question = messages[-1]["content"].rsplit("问题：", 1)[-1].split("\n", 1)[0]
        draft = self.drafts.get(question, "资料中未找到相关内容。")
        self._prime(messages)
        self.last_messages = [*messages, {"role": "assistant", "content": draft}]
        tokens = self.prompt_tokens(self.last_messages)
        llama = self.llama
        llama.n_tokens = common_prefix(llama.input_ids[: llama.n_tokens], tokens)
        llama.eval(tokens[llama.n_tokens:])
        yield draft


def auc(negative: list[float], positive: list[float]) -> float:
    """P(a random answerable scores above a random negative), ties half."""
    if not negative or not positive:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in positive for n in negative)
    return wins / (len(negative) * len(positive))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, action="append", required=True)
    parser.add_argument("--store", type=Path, action="append", required=True, help="one per --run, in order")
    parser.add_argument("--negative", type=int, action="append", default=[],
                        help="0-based index of a --run whose questions have no answer in its store")
    parser.add_argument("--out", type=Path, help="write the scores as JSON lines")
    args = parser.parse_args(argv)
    from rag.answer import answer_question
    from rag.app import App
    from rag.evaluate import read_run
    from rag.prompting import prompt
    from rag.settings import load_settings

    rows: list[dict[str, Any]] = []
    for i, (run, store) in enumerate(zip(args.run, args.store, strict=True)):
        app = App(load_settings(overrides={"store": str(store)}))
        real = app.llm
        if not isinstance(real, LlamaCppLLM):
            raise SystemExit("the judge replay needs the in-process llama.cpp model")
        llm = ReplayDraft(real.path, real.n_ctx, real.threads, real.seed,
                          prefix_cache=real.prefix_cache.directory if real.prefix_cache else None)
        records = [r for r in read_run(run / "items.jsonl") if not r.refused and r.draft]
        llm.drafts = {r.question: r.draft for r in records}
        for r in records:
            result = answer_question(r.question, app.retriever, llm, app.settings)
            if result.refused:
                continue  # the checks of this checkout refuse it: the judge is never asked
            row: dict[str, Any] = {"run": str(run), "negative": i in args.negative, "id": r.id}
            for name, (text, yes_means_answered) in WORDINGS.items():
                ask = (text or prompt("judge")).format(question=r.question)
                p = llm.yes_probability([*llm.last_messages, {"role": "user", "content": ask}])
                row[name] = None if p is None else (p if yes_means_answered else 1.0 - p)
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    if args.out:
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    for name in WORDINGS:
        neg = [r[name] for r in rows if r["negative"] and r[name] is not None]
        pos = [r[name] for r in rows if not r["negative"] and r[name] is not None]
        print(f"{name:10s} AUC {auc(neg, pos):.3f}  negatives {len(neg)}  answerable {len(pos)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
