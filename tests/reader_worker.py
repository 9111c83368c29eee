"""Search a store in a loop while another process writes to it (for the concurrency test).

usage: python -m tests.reader_worker STORE_DIR STOP_FILE (reopen|keep)
Prints one JSON line per round: the generation read, the chunk rows, vectors and keyword rows seen
in that one snapshot, and the hits of a search; an exception ends the loop with {"error": ...}.
``keep`` holds one store open throughout (as the REPL does), ``reopen`` opens it every round.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rag.app import App
from rag.settings import load_settings
from tests.conftest import FakeEncoder


def main() -> None:
    store_dir, stop, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    settings = load_settings(overrides={"store": str(store_dir)})
    app = App(settings, encoder=FakeEncoder())
    rounds = 0
    while not stop.exists() or rounds < 3:
        rounds += 1
        try:
            if mode == "reopen":
                app.close_store()
            store = app.store
            with store.snapshot():
                seen = {"gen": store.generation, "chunks": store.counts()["chunks"],
                        "vectors": int(store.vectors.ntotal), "bm25": len(store.bm25().row_ids)}
                result = app.retriever.search("第5号事项涉及资金的安排", k=5)
                seen.update(search_gen=result.generation, hits=len(result.hits))
            print(json.dumps(seen), flush=True)
        except Exception as exc:
            print(json.dumps({"error": f"{exc.__class__.__name__}: {exc}"}), flush=True)
            return


if __name__ == "__main__":
    main()
