"""Summarize the seed corpus with fake models in a child process (for the kill-and-resume test).

usage: python -m tests.summarize_worker OUT_DIR SLEEP_PER_CALL
Uses the store under $RAG_HOME (ingesting the seeds if needed); prints {"new", "skipped"} as JSON.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from rag.app import App
from rag.ingest import ingest
from rag.settings import load_settings
from tests.conftest import SEEDS, FakeEncoder, FakeLLM


def main() -> None:
    out, delay = Path(sys.argv[1]), float(sys.argv[2])
    settings = load_settings()

    def slow(messages):  # type: ignore[no-untyped-def]
        time.sleep(delay)
        return '{"review": [], "plan": [], "problems": [], "issuer": ""}'

    app = App(settings, encoder=FakeEncoder(), llm=FakeLLM(slow))
    with app.writer() as writer:
        ingest([SEEDS], writer, settings, app.encoder)
    app.close_store()
    from rag.summarize import summarize_batch

    result = summarize_batch(app, app.store.documents(), "work-plan", "structured", out)
    print(json.dumps({"new": result.new, "skipped": result.skipped}))


if __name__ == "__main__":
    main()
