"""Run an ingest with the fake encoder in a child process (for kill and lock tests).

usage: python -m tests.ingest_worker STORE_DIR DOC_DIR [SLEEP_PER_BATCH]
       python -m tests.ingest_worker STORE_DIR --reindex [SLEEP_PER_BATCH]  (with 200-character chunks)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from rag.app import App
from rag.ingest import ingest
from rag.settings import load_settings
from tests.conftest import FakeEncoder


class SlowEncoder(FakeEncoder):
    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def encode_passages(self, texts: list[str]):  # type: ignore[no-untyped-def]
        time.sleep(self.delay)
        return super().encode_passages(texts)


def main() -> None:
    store, docs = Path(sys.argv[1]), Path(sys.argv[2])
    delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    overrides: dict[str, object] = {"store": str(store), "index": {"commit_every_docs": 3, "commit_interval_s": 0}}
    if sys.argv[2] == "--reindex":
        from rag.doctor import reindex_store

        overrides["chunk"] = {"target_chars": 200, "max_chars": 260}
        app = App(load_settings(overrides=overrides), encoder=SlowEncoder(delay))
        n = reindex_store(app, lambda done, total: done == 0 and print("locked", flush=True))
        print(f"reindexed {n}", flush=True)
        return
    settings = load_settings(overrides=overrides)
    app = App(settings, encoder=SlowEncoder(delay))
    with app.writer() as writer:
        print("locked", flush=True)
        report = ingest([docs], writer, settings, app.encoder)
    print(f"done {report.added} {report.unchanged}", flush=True)


if __name__ == "__main__":
    main()
