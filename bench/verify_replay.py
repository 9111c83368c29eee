"""The checker of this checkout on the model's own answers of an earlier ``rag eval --mode answer`` run.

    python -m bench.verify_replay RUN_DIR --store S --out NEW_DIR

Each item of RUN_DIR/items.jsonl is asked again with the same retrieval and prompt, and a scripted
model returns the draft that the real model wrote in that run (recorded as ``draft``), so the checker
is measured on real model output without generating again. NEW_DIR gets items.jsonl and
metrics.json as ``rag eval`` writes them; the old run's metrics are recomputed with this checkout's
metric code, and both are printed side by side.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rag.llm import LLM, Message
from rag.prompting import refusal_text


class Replay(LLM):
    name = "replay"
    n_ctx = 4096

    def __init__(self, drafts: dict[str, str], count_tokens: Any) -> None:
        self.drafts, self._count, self.missing = drafts, count_tokens, 0

    def count_tokens(self, text: str) -> int:
        return int(self._count(text))

    def stream(self, messages: list[Message], max_tokens: int, temperature: float = 0.0,
               json_schema: dict[str, Any] | None = None) -> Any:
        question = messages[-1]["content"].rsplit("问题：", 1)[-1].split("\n", 1)[0]
        draft = self.drafts.get(question)
        if draft is None:
            self.missing += 1  # the earlier run refused before generation: nothing to replay
            draft = refusal_text()
        yield draft


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--model", default=None, help="the run's model, for its tokenizer (prompt budget)")
    args = parser.parse_args(argv)
    from rag.app import App
    from rag.evaluate import EvalPipeline, compute_metrics, read_run, run_items
    from rag.settings import load_settings
    from rag.types import EvalItem

    old = read_run(args.run / "items.jsonl")
    app = App(load_settings(overrides={"store": str(args.store)}))
    real = app.use_llm(args.model)  # only its tokenizer: the prompt is cut to the same budget as in the run
    replay = Replay({r.question: r.draft for r in old if r.draft}, real.count_tokens)
    replay.n_ctx = real.n_ctx
    app.use_llm(replay)
    items = [EvalItem(id=r.id, type=r.type, question=r.question, answer=r.gold_answer, must_include=r.must_include,
                      sources=r.sources) for r in old]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "items.jsonl").unlink(missing_ok=True)
    new = list(run_items(EvalPipeline.from_app(app, "answer"), items, "answer", args.out, set()))
    before, after = compute_metrics(old), compute_metrics(new)
    (args.out / "metrics.json").write_text(json.dumps(after, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{len(new)} items; {replay.missing} reached the model now but not in the run (answered as refusals)")
    for key in ("accuracy", "refusal_accuracy", "false_refusal_rate", "number_precision", "citation_precision",
                "gold_recall", "claims_marked", "claims_dropped"):
        b, a = before["answer"].get(key), after["answer"].get(key)
        print(f"{key:20s} run {_fmt(b):>7s}   this checker {_fmt(a):>7s}")
    return 0


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    sys.exit(main())
