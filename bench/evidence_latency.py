"""How soon the passages' own best sentences are on screen: from the question to ``on_evidence``
(retrieval, the evidence gate, sentence ranking), in a warm process as in `rag chat`, or with
``--one-shot N`` in N fresh `rag ask` processes (start-up, the question's vector, indexes loaded).
The model is a fake: what it does afterwards is not timed here.

    python -m bench.evidence_latency --store S [--set eval/dev.jsonl] [--one-shot 8]
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
    parser.add_argument("--one-shot", type=int, default=0, help="time N fresh `rag ask` processes instead")
    args = parser.parse_args(argv)
    if args.one_shot:
        return one_shot(args.store, args.set, args.one_shot)
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


def one_shot(store: Path, set_path: Path, n: int) -> int:
    import os
    import subprocess
    import time

    questions = [json.loads(line)["question"] for line in set_path.read_text(encoding="utf-8").splitlines()
                 if line.strip()][:n]
    evidence, walls = [], []
    for q in questions:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "rag.cli", "ask", q, "--store", str(store), "--backend", "fake",
                               "--json", "--no-log"], capture_output=True, text=True, env=os.environ.copy())
        walls.append(time.perf_counter() - t0)
        timings = json.loads(proc.stdout)["timings"]
        evidence.append(timings.get("evidence", timings["total"]))
    print(f"{len(questions)} one-shot `rag ask` runs: evidence after p50 {statistics.median(evidence):.2f} s "
          f"(max {max(evidence):.2f} s) inside the process; whole process p50 {statistics.median(walls):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
