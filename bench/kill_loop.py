"""Benchmark: SIGKILL `rag ingest`, then `rag reindex` (to smaller chunks), at random moments, over
and over; every store left behind must open and be consistent (`rag doctor --check`) and be either
the old store or the rebuilt one, and a last uninterrupted run must finish the job.

usage: python -m bench.kill_loop [--runs 12] [--reindex-runs 10] [--max-delay 30] [--corpus DIR]
(default corpus ../shared/corpus/ncp_policies)
Uses the real embedder and the real CLI, in a temp RAG_HOME (models from ~/.rag/models).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rag(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], env=env, capture_output=True, text=True)


def generation(env: dict[str, str]) -> int:
    db = Path(env["RAG_HOME"]) / "stores" / "default" / "chunks.sqlite"
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(str(db), timeout=5)
        row = conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        conn.close()
    except sqlite3.Error:
        return 0
    return int(row[0]) if row else 0


def kill_after(env: dict[str, str], delay: float, *args: str, after_commit: bool = False) -> bool:
    """Start `rag ARGS`, SIGKILL it ``delay`` seconds later (``after_commit``: seconds after its
    first commit, so kills land among commits, not in the model's start-up); whether it had
    finished by then."""
    before = generation(env)
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while after_commit and proc.poll() is None and generation(env) == before:
        time.sleep(0.2)
    time.sleep(delay)
    finished = proc.poll() is not None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return finished


def check(env: dict[str, str]) -> tuple[bool, str]:
    """(consistent, what the store holds) by `rag doctor --check` with these settings."""
    result = rag(env, "doctor", "--check", "--json")
    if result.returncode in (0, 1) and result.stdout.strip():
        report = json.loads(result.stdout)
        return bool(report["ok"]), f"{report['documents']} docs, {report['chunks']} chunks"
    return False, (result.stderr or result.stdout).strip()[-200:]


def kill_reindex(env: dict[str, str], runs: int, max_delay: float, rng: random.Random) -> int:
    """Kill `rag reindex` to 300-character chunks; after each kill the store must be the old one
    (checked with the old settings) or the new one (with the new settings). Returns failures."""
    new_env = {**env, "RAG_CHUNK__TARGET_CHARS": "300", "RAG_CHUNK__MAX_CHARS": "380"}
    failures = 0
    for run in range(1, runs + 1):
        delay = rng.uniform(2.0, max_delay)
        finished = kill_after(new_env, delay, "reindex")
        ok, counts = check(env)
        state = "old store"
        if not ok:
            ok, counts = check(new_env)
            state = "rebuilt store"
        failures += not ok
        print(f"reindex run {run:2d}: killed after {delay:5.1f}s{' (had finished)' if finished else ''}: "
              f"{state if ok else 'INCONSISTENT'} ({counts})", flush=True)
        if ok and state == "rebuilt store":
            break  # a finished rebuild: nothing left to interrupt
    return failures


def finish_reindex(env: dict[str, str], corpus: str) -> dict[str, object]:
    """An uninterrupted rebuild, then an ingest of the same folder: nothing to read again."""
    new_env = {**env, "RAG_CHUNK__TARGET_CHARS": "300", "RAG_CHUNK__MAX_CHARS": "380"}
    t0 = time.perf_counter()
    done = rag(new_env, "reindex")
    seconds = time.perf_counter() - t0
    ok, counts = check(new_env)
    again = rag(new_env, "ingest", corpus, "--json")
    report = json.loads(again.stdout) if again.returncode in (0, 1) and again.stdout.strip() else {}
    return {"exit": done.returncode, "seconds": round(seconds, 1), "ok": ok, "counts": counts,
            "ingest_after": {k: report.get(k) for k in ("added", "updated", "unchanged")}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=12)
    ap.add_argument("--reindex-runs", type=int, default=10)
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared/corpus/ncp_policies"))
    ap.add_argument("--max-delay", type=float, default=30.0,
                    help="ingest kills: up to this after the first commit; reindex kills: 2 s to 4x this")
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
        delay = rng.uniform(0.0, args.max_delay)
        finished = kill_after(env, delay, "ingest", args.corpus, "--json", after_commit=True)
        ok, counts = check(env)
        failures += not ok
        print(f"run {run:2d}: killed {delay:5.1f}s after its first commit{' (had finished)' if finished else ''}: "
              f"{'consistent' if ok else 'INCONSISTENT'} ({counts})", flush=True)
    final = rag(env, "ingest", args.corpus, "--json")
    report = json.loads(final.stdout) if final.returncode in (0, 1) and final.stdout.strip() else {}
    final_ok, final_counts = check(env)
    reindex_failures = kill_reindex(env, args.reindex_runs, args.max_delay * 4, rng)
    rebuilt = finish_reindex(env, args.corpus)
    print(json.dumps({"ingest_kills": args.runs, "ingest_failures": failures, "final_ingest": {
                      k: report.get(k) for k in ("added", "updated", "unchanged", "failed")},
                      "final_store": {"ok": final_ok, "counts": final_counts},
                      "reindex_kills": args.reindex_runs, "reindex_failures": reindex_failures,
                      "full_reindex": rebuilt}, indent=1))


if __name__ == "__main__":
    main()
