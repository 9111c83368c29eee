"""Follow-up rewriting on the conversations of eval/chat_dev.jsonl (no model involved).

    python -m bench.followup_rewrites [--set eval/chat_dev.jsonl]

A follow-up turn is right when its rewritten question holds every ``rewrite_must_include`` string
(the subject, year, metric it must carry); a later turn without that field is a standalone question
and must come out untouched. The rewriter was tuned on the odd-numbered conversations ("tune");
the even-numbered ones ("report") were not looked at while tuning. Prints both halves and misses.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from rag.followup import carries, rewrite

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", type=Path, default=ROOT / "eval" / "chat_dev.jsonl")
    args = parser.parse_args(argv)
    tally: Counter[str] = Counter()
    misses = []
    for line in args.set.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        half = "tune" if int(item["id"].rsplit("-", 1)[1]) % 2 else "report"
        history: list[str] = []
        for turn in item["turns"]:
            r = rewrite(turn["question"], history)
            if "rewrite_must_include" in turn:
                good = carries(r.question, turn["rewrite_must_include"])
                tally[f"{half} follow-up"] += 1
                tally[f"{half} follow-up ok"] += good
                if not good:
                    misses.append(f"MISS {half} {item['id']}: {turn['question']} -> {r.question}")
            elif history:
                tally[f"{half} standalone"] += 1
                tally[f"{half} standalone ok"] += not r.changed
                if r.changed:
                    misses.append(f"TOUCHED {half} {item['id']}: {turn['question']} -> {r.question}")
            history.append(r.question)
    for half in ("tune", "report"):
        for kind in ("follow-up", "standalone"):
            n, ok = tally[f"{half} {kind}"], tally[f"{half} {kind} ok"]
            label = "rewritten right" if kind == "follow-up" else "left untouched"
            print(f"{half:6s} {kind:10s} {label}: {ok}/{n}" + (f" = {ok / n:.3f}" if n else ""))
    for m in misses:
        print(m)
    return 0


if __name__ == "__main__":
    sys.exit(main())
