"""Benchmark: the hostile batch of tests/hostile.py with the default limits (a 1.5 GiB zip bomb and
gzip bomb, a 2 GB sparse file, a 50 MB JSONL line, a FIFO, symlinks out of the folder, ...):
the time each file takes to be refused or read, then a whole `rag ingest` of the folder in a child
process (fake embedder) with its wall time and peak memory.

usage: python -m bench.hostile_batch [--bomb-mib 1536]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rag.discover import discover
from rag.load import LoadFailure, load_file
from rag.settings import IngestSettings
from tests import hostile


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bomb-mib", type=int, default=1536)
    args = ap.parse_args()
    limits = IngestSettings()
    work = Path(tempfile.mkdtemp(prefix="rag-hostile-"))
    try:
        root = work / "batch"
        t0 = time.perf_counter()
        expect = hostile.build(root, work / "outside", args.bomb_mib * 2**20, limits.max_document_chars,
                               limits.max_record_bytes)
        print(f"built {len(expect)} hostile inputs and {len(hostile.GOOD)} good files in "
              f"{time.perf_counter() - t0:.1f} s ({hostile.DENIED} is readable here: root reads any file)")
        t0 = time.perf_counter()
        files, failures = discover([root])
        print(f"discover: {time.perf_counter() - t0:.3f} s, {len(files)} files, {len(failures)} refused:")
        for f in failures:
            print(f"  {Path(f.path).name}: {f.reason}")
        slowest = 0.0
        for path in files:
            t0 = time.perf_counter()
            items = list(load_file(path, None, limits))
            took = time.perf_counter() - t0
            slowest = max(slowest, took)
            outcome = "; ".join(i.reason if isinstance(i, LoadFailure) else f"read {i.source}" for i in items)
            print(f"  {took:6.3f} s  {path.name}: {outcome[:150]}")
        print(f"slowest file: {slowest:.3f} s")
        env = {**os.environ, "RAG_HOME": str(work / "home"), "RAG_MODELS__EMBED": "fake"}
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "ingest", str(root), "--json"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        report = json.loads(out) if out.strip() else {}
        print(json.dumps({"ingest_seconds": round(wall, 2), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
                          "exit": os.waitstatus_to_exitcode(status), "added": report.get("added"),
                          "failed": report.get("failed")}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
