"""Benchmark: SIGKILL `rag ingest` at random moments, over and over; every store left behind must
open and be consistent (`rag doctor --check`), and a last uninterrupted run must finish the job.

usage: python -m bench.kill_loop [--runs 20] [--corpus ../shared/corpus/ncp_policies] [--max-delay 25]
Uses the real embedder and the real CLI, in a temp RAG_HOME (models from ~/.rag/models).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rag(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], env=env, capture_output=True, text=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared/corpus/ncp_policies"))
    ap.add_argument("--max-delay", type=float, default=25.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    home = Path(tempfile.mkdtemp(prefix="rag-kill-"))
    models = Path(os.environ.get("RAG_HOME", Path.home() / ".rag")) / "models"
    env = {**os.environ, "RAG_HOME": str(home), "RAG_MODELS__DIR": str(models),
           # commit often so kills land before, during and after commits
           "RAG_INDEX__COMMIT_EVERY_DOCS": "10", "RAG_INDEX__COMMIT_INTERVAL_S": "0"}
    failures = 0
    for run in range(1, args.runs + 1):
        delay = rng.uniform(min(8.0, args.max_delay), args.max_delay)
        proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "ingest", args.corpus, "--json"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        finished = proc.poll() is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        check = rag(env, "doctor", "--check", "--json")
        ok = False
        counts = ""
        if check.returncode in (0, 1) and check.stdout.strip():
            result = json.loads(check.stdout)
            ok = bool(result["ok"])
            counts = f"{result['documents']} docs, {result['chunks']} chunks"
        else:
            counts = (check.stderr or check.stdout).strip()[-200:]
        failures += not ok
        print(f"run {run:2d}: killed after {delay:5.1f}s{' (had finished)' if finished else ''}: "
              f"{'consistent' if ok else 'INCONSISTENT'} ({counts})", flush=True)
    final = rag(env, "ingest", args.corpus, "--json")
    report = json.loads(final.stdout) if final.returncode in (0, 1) and final.stdout.strip() else {}
    check = json.loads(rag(env, "doctor", "--check", "--json").stdout)
    print(json.dumps({"runs": args.runs, "failures": failures, "final_ingest": {k: report.get(k) for k in
                      ("added", "updated", "unchanged", "failed")}, "final_store": {
                      "ok": check["ok"], "documents": check["documents"], "chunks": check["chunks"]}}, indent=1))


if __name__ == "__main__":
    main()
