"""Benchmark: memory under load. RSS of one `rag eval --mode retrieval` process over 1,000 questions,
and of one `rag chat` REPL over 100 questions; growth after warm-up must stay under 10%.

usage: python -m bench.load_rss eval [--questions 1000]
       python -m bench.load_rss repl [--questions 100] [--model small]
The eval run needs a store of ../shared/corpus/ncp_policies (--store, built with `rag ingest`);
the REPL run uses the seed corpus in a temp store.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = Path(os.environ.get("RAG_HOME", Path.home() / ".rag")) / "models"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def questions(n: int, path: Path) -> list[dict[str, object]]:
    base = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    return [{**base[i % len(base)], "id": f"load-{i:04d}"} for i in range(n)]


def bench_eval(n: int, store: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="rag-load-"))
    items = questions(n, ROOT.parent / "shared/eval/ncp_dev.jsonl")
    set_file = work / "load.jsonl"
    set_file.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items), encoding="utf-8")
    env = {**os.environ, "RAG_STORE": str(store), "RAG_MODELS__DIR": str(MODELS)}
    out = work / "run"
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "eval", str(set_file), "--mode", "retrieval",
                             "--out", str(out)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    samples: list[tuple[int, float]] = []
    items_file = out / "items.jsonl"
    while proc.poll() is None:
        done = items_file.read_text(encoding="utf-8").count("\n") if items_file.exists() else 0
        try:
            samples.append((done, rss_mb(proc.pid)))
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.25)
    if proc.returncode:
        raise SystemExit(proc.stderr.read().decode() if proc.stderr else "eval failed")
    report(samples, warm=n // 10, label="eval --mode retrieval", n=n)


def bench_repl(n: int, model: str) -> None:
    import pexpect

    home = Path(tempfile.mkdtemp(prefix="rag-load-repl-"))
    env = {**os.environ, "RAG_HOME": str(home), "RAG_MODELS__DIR": str(MODELS), "PROMPT_TOOLKIT_NO_CPR": "1",
           "RAG_GENERATION__MAX_TOKENS": os.environ.get("RAG_GENERATION__MAX_TOKENS", "120")}
    subprocess.run([sys.executable, "-m", "rag.cli", "ingest", str(ROOT / "sample_corpus")], env=env, check=True,
                   capture_output=True)
    qs = [str(q["question"]) for q in questions(n, ROOT / "eval" / "dev.jsonl")]
    child = pexpect.spawn(sys.executable, ["-m", "rag.cli", "chat", "--model", model], env=env, encoding="utf-8",
                          timeout=600, dimensions=(50, 200))
    child.expect("问>")
    samples = []
    t0 = time.time()
    for i, q in enumerate(qs, 1):
        child.sendline(q)
        # prompt_toolkit redraws "问> …" while the line is typed: wait for the timing line that ends an
        # answer, then for the next prompt, or the bench runs ahead of the REPL
        child.expect(r"total \d+\.\d+s")
        child.expect("问>")
        samples.append((i, rss_mb(child.pid)))
        if i % 10 == 0:
            print(f"{i} questions, RSS {samples[-1][1]:.0f} MB, {time.time() - t0:.0f}s", flush=True)
    child.sendline("/quit")
    child.expect(pexpect.EOF)
    report(samples, warm=10, label="chat REPL", n=n)


def report(samples: list[tuple[int, float]], warm: int, label: str, n: int) -> None:
    after_warm = [mb for done, mb in samples if done >= warm and mb > 0]  # 0: sampled as the process exited
    start, end, peak = after_warm[0], after_warm[-1], max(after_warm)
    print(json.dumps({"bench": label, "questions": n, "rss_mb_after_warmup": round(start, 1),
                      "rss_mb_end": round(end, 1), "rss_mb_peak": round(peak, 1),
                      "growth_after_warmup_pct": round(100 * (end - start) / start, 2)}, indent=1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["eval", "repl"])
    ap.add_argument("--questions", type=int, default=0)
    ap.add_argument("--model", default="small")
    ap.add_argument("--store", default="", help="eval: a store holding ncp_policies")
    args = ap.parse_args()
    if args.what == "eval":
        if not args.store:
            raise SystemExit("--store DIR: a store of ../shared/corpus/ncp_policies (rag ingest … --store DIR)")
        bench_eval(args.questions or 1000, Path(args.store))
    else:
        bench_repl(args.questions or 100, args.model)


if __name__ == "__main__":
    main()
