"""How soon the passages' own best sentences are on screen: from the question to ``on_evidence``
(retrieval, the evidence gate, sentence ranking), in a warm process as in `rag chat`. The model is
a fake: what it does afterwards is not timed here.

    python -m bench.evidence_latency --store S [--set eval/dev.jsonl]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--set", type=Path, default=ROOT / "eval" / "dev.jsonl")
    args = parser.parse_args(argv)
    from rag.answer import answer_question
    from rag.app import App
    from rag.settings import load_settings
    from rag.testing import FakeLLM

    app = App(load_settings(overrides={"store": str(args.store)}), llm=FakeLLM())
    app.retriever.search("预热", k=1)  # the embedder and indexes loaded, as in a REPL after start-up
    shown = []
    for line in args.set.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = answer_question(json.loads(line)["question"], app.retriever, app.llm, app.settings)
            if "evidence" in r.timings:
                shown.append(r.timings["evidence"] * 1000)
    shown.sort()
    print(f"{len(shown)} questions reached the model; evidence after p50 {statistics.median(shown):.0f} ms, "
          f"p95 {shown[int(0.95 * (len(shown) - 1))]:.0f} ms, max {shown[-1]:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
