"""The store under concurrent readers, a killed reindex, and other local users."""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.app import App
from rag.doctor import reindex_store
from rag.store import Store, StoreMismatchError
from tests.conftest import ROOT, SEEDS, FakeEncoder, ingest_paths
from tests.test_store import assert_locked_while, consistent, make_docs


def _run(*args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _smaller_chunks(app: App) -> App:
    changed = app.settings.model_copy(deep=True)
    changed.chunk.target_chars, changed.chunk.max_chars = 200, 260
    return App(changed, encoder=FakeEncoder())


def test_killed_reindex_leaves_the_old_store_and_a_full_one_keeps_file_signatures(fake_app: App,
                                                                                  tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    make_docs(docs, 24)
    ingest_paths(fake_app, [docs])
    store_dir = fake_app.settings.store_dir
    before = fake_app.store.counts()
    identity = fake_app.store.meta["identity"]
    fake_app.close_store()
    rng = random.Random(11)
    for _ in range(4):
        proc = _run("tests.ingest_worker", str(store_dir), "--reindex", "0.05")
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        time.sleep(rng.uniform(0.02, 0.35))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        store = Store(store_dir)
        assert store.meta["identity"] == identity
        assert {k: v for k, v in store.counts().items() if k != "generation"} == \
            {k: v for k, v in before.items() if k != "generation"}
        store.close()
        assert consistent(fake_app)

    smaller = _smaller_chunks(fake_app)
    assert reindex_store(smaller) == 24
    after = smaller.store.counts()
    assert after["documents"] == 24 and after["chunks"] > before["chunks"]
    assert smaller.store.meta["identity"] != identity
    with pytest.raises(StoreMismatchError):
        fake_app.close_store()
        _ = fake_app.store
    assert consistent(smaller)
    report = ingest_paths(smaller, [docs])  # the file signatures came through: nothing is read again
    assert (report.added, report.updated, report.unchanged) == (0, 0, 24)


def test_reindex_holds_the_writer_lock_for_its_whole_run(fake_app: App, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    make_docs(docs, 12)
    ingest_paths(fake_app, [docs])
    assert_locked_while(_run("tests.ingest_worker", str(fake_app.settings.store_dir), "--reindex", "0.3"), fake_app)


def test_a_reader_keeps_its_generation_across_commits_and_moves_on_at_the_next_search(fake_app: App,
                                                                                     tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    make_docs(docs, 3)
    ingest_paths(fake_app, [docs])
    reader = Store(fake_app.settings.store_dir)
    first = reader.generation
    for start in (3, 6, 9):  # three commits: the writer used to delete all but the last two
        make_docs(docs, 3, start)
        ingest_paths(fake_app, [docs])
    assert reader.generation == first
    assert reader.vectors.ntotal == reader.bm25().row_ids.size  # files of its own generation
    with reader.snapshot():
        assert reader.generation == first + 3
        assert reader.vectors.ntotal == reader.counts()["chunks"] == reader.bm25().row_ids.size
    reader.close()
    fake_app.close_store()
    with fake_app.writer():  # no reader left: the old generations' files go
        pass
    files = sorted(p.name for p in fake_app.settings.store_dir.glob("vectors.*"))
    assert files == [f"vectors.{first + 3}.faiss"]


def test_four_readers_while_an_ingest_commits_twenty_times(fake_app: App, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    make_docs(docs, 3)
    ingest_paths(fake_app, [docs])
    make_docs(docs, 60, 3)
    store_dir = fake_app.settings.store_dir
    stop = tmp_path / "stop"
    readers = [_run("tests.reader_worker", str(store_dir), str(stop), mode) for mode in ("keep", "keep", "reopen",
                                                                                       "reopen")]
    writer = _run("tests.ingest_worker", str(store_dir), str(docs), "0.05")
    _, errs = writer.communicate(timeout=300)
    assert writer.returncode == 0, errs
    stop.touch()
    rounds = []
    for proc in readers:
        lines, errs = proc.communicate(timeout=120)
        assert proc.returncode == 0, errs
        rounds.append([json.loads(line) for line in lines.splitlines()])
    fake_app.close_store()
    last = fake_app.store.generation
    assert last >= 21  # the first ingest, then 20 commits of 3 documents
    for seen in rounds:
        assert [r for r in seen if "error" in r] == []
        assert all(r["chunks"] == r["vectors"] == r["bm25"] and r["search_gen"] == r["gen"] and r["hits"] == 5
                   for r in seen), seen
        assert seen[-1]["gen"] == last
    generations = {r["gen"] for seen in rounds for r in seen}
    assert len(generations) >= 5, generations  # the readers really read while the commits came


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_store_log_and_history_are_private(fake_app: App, tmp_path: Path) -> None:
    from rag.answer import answer_question
    from rag.answerlog import AnswerLog
    from rag.private import private_file

    ingest_paths(fake_app, [SEEDS])
    store_dir = fake_app.settings.store_dir
    assert _mode(store_dir) == 0o700
    files = [p for p in store_dir.rglob("*") if p.is_file()]
    assert files and {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
    # a store made before: opened again, it is tightened
    store_dir.chmod(0o755)
    for p in files:
        p.chmod(0o644)
    fake_app.close_store()
    _ = fake_app.store.counts()
    assert _mode(store_dir) == 0o700 and {_mode(p) for p in store_dir.iterdir() if p.is_file()} == {0o600}
    log = AnswerLog(fake_app.settings.home)
    result = answer_question("龙岗区总工会2019年调处了多少宗劳资纠纷？", fake_app.retriever, fake_app.llm)
    log.record(result, "ask", str(store_dir))
    assert [e.question for e in log.entries()] == ["龙岗区总工会2019年调处了多少宗劳资纠纷？"]
    assert _mode(log.path) == 0o600
    history = tmp_path / "h" / "chat_history"
    history.parent.mkdir()
    history.write_text("旧问题\n", encoding="utf-8")
    history.chmod(0o644)
    assert _mode(private_file(history)) == 0o600 and history.read_text(encoding="utf-8") == "旧问题\n"
