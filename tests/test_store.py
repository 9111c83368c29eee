"""Incremental updates, locking, identity, crash safety, doctor, filters."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.app import App
from rag.doctor import check_store
from rag.store import StoreCorruptError, StoreLockedError, StoreMismatchError, vector_ids
from rag.types import Filters
from tests.conftest import ROOT, SEEDS, FakeEncoder, ingest_paths


def consistent(app: App) -> bool:
    app.close_store()
    result = check_store(app, repair=False)
    app.close_store()
    return bool(result["ok"]) and not result["problems"]


def make_docs(folder: Path, n: int, start: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        body = "。".join(f"第{i}号文件第{j}条规定涉及资金{i * 100 + j}万元的安排" for j in range(30)) + "。"
        (folder / f"doc{i:03d}.txt").write_text(f"关于第{i}号事项的通知\n一、总体要求\n{body}", encoding="utf-8")


def test_incremental_add_update_delete(fake_app: App, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    make_docs(docs, 3)
    r = ingest_paths(fake_app, [docs])
    assert (r.added, r.updated, r.unchanged) == (3, 0, 0)
    counts = fake_app.store.counts()
    first_ids = set(vector_ids(fake_app.store.vectors))
    assert len(first_ids) == counts["chunks"] == len(fake_app.store.bm25())

    r = ingest_paths(fake_app, [docs])
    assert (r.added, r.updated, r.unchanged) == (0, 0, 3)

    (docs / "doc001.txt").write_text("关于第1号事项的通知\n内容已经改为全新的文字，涉及资金九百万元。", encoding="utf-8")
    r = ingest_paths(fake_app, [docs])
    assert (r.added, r.updated, r.unchanged) == (0, 1, 2)
    ids_after = set(vector_ids(fake_app.store.vectors))
    assert max(ids_after) > max(first_ids)  # ids are never reused
    hits = fake_app.retriever.search("九百万元", k=1, mode="bm25").hits
    assert hits and hits[0].chunk.source == "doc001.txt"
    assert consistent(fake_app)

    (docs / "doc002.txt").unlink()
    r = ingest_paths(fake_app, [docs], prune=True)
    assert r.removed == 1
    assert {d.source for d in fake_app.store.documents()} == {"doc000.txt", "doc001.txt"}
    assert consistent(fake_app)


def test_remove_paths(fake_app: App, tmp_path: Path) -> None:
    from rag.ingest import remove_paths

    docs = tmp_path / "docs"
    make_docs(docs, 2)
    ingest_paths(fake_app, [docs])
    with fake_app.writer() as w:
        assert remove_paths([docs / "doc000.txt"], w) == 1
    fake_app.close_store()
    assert [d.source for d in fake_app.store.documents()] == ["doc001.txt"]
    assert consistent(fake_app)


def test_second_writer_gets_lock_error(fake_app: App) -> None:
    with fake_app.writer():
        other = App(fake_app.settings, encoder=FakeEncoder())
        with pytest.raises(StoreLockedError, match="is locked"), other.writer():
            pass


def test_settings_change_refuses_to_mix(fake_app: App) -> None:
    ingest_paths(fake_app, [SEEDS / "000_050fbe803fc5cea5.txt"])
    changed = fake_app.settings.model_copy(deep=True)
    changed.chunk.target_chars = 200
    other = App(changed, encoder=FakeEncoder())
    with pytest.raises(StoreMismatchError, match="rag reindex"):
        _ = other.store
    with pytest.raises(StoreMismatchError), other.writer():
        pass
    other_model = App(fake_app.settings, encoder=FakeEncoder(dim=128))
    with pytest.raises(StoreMismatchError, match="embed_model"):
        _ = other_model.store


def test_reindex_rebuilds_with_new_settings(fake_app: App) -> None:
    from rag.doctor import reindex_store

    ingest_paths(fake_app, [SEEDS])
    before = fake_app.store.counts()
    changed = fake_app.settings.model_copy(deep=True)
    changed.chunk.target_chars, changed.chunk.max_chars = 200, 260
    other = App(changed, encoder=FakeEncoder())
    assert reindex_store(other) == 4
    after = other.store.counts()
    assert after["documents"] == 4 and after["chunks"] > before["chunks"]
    assert consistent(other)


def test_traditional_passage_found_by_simplified_query(seeded_app: App) -> None:
    for mode in ("bm25", "hybrid"):
        hits = seeded_app.retriever.search("传化集团产业工人队伍建设改革推进会", k=3, mode=mode).hits  # type: ignore[arg-type]
        assert hits[0].chunk.source == "003_480abb7d6411b3a0.txt"
        assert "傳化集團" in hits[0].chunk.text  # the original is shown


def test_filters(seeded_app: App) -> None:
    r = seeded_app.retriever
    q = "产业工人队伍建设改革"
    only = r.search(q, k=10, filters=Filters(sources=["000_*"])).hits
    assert only and {h.chunk.source for h in only} == {"000_050fbe803fc5cea5.txt"}
    plan = r.search("工会", k=10, filters=Filters(kind="plan")).hits
    assert plan and all(h.chunk.kind == "plan" for h in plan)
    y2020 = r.search(q, k=10, filters=Filters(date_from="2020", date_to="2020")).hits
    assert y2020 and {h.chunk.date[:4] for h in y2020 if h.chunk.date} == {"2020"}
    assert r.search(q, k=10, filters=Filters(date_from="1990", date_to="1991")).hits == []
    doc_id = only[0].chunk.doc_id
    assert {h.chunk.doc_id for h in r.search(q, filters=Filters(doc_ids=[doc_id])).hits} == {doc_id}


def test_hnsw_option_matches_exact_search_and_follows_updates(home: Path, tmp_path: Path) -> None:
    from rag.settings import load_settings
    from tests.conftest import FakeEncoder

    exact = App(load_settings(overrides={"store": str(tmp_path / "exact")}), encoder=FakeEncoder())
    approx = App(load_settings(overrides={"store": str(tmp_path / "hnsw"), "index": {"kind": "hnsw"}}),
                 encoder=FakeEncoder())
    for app in (exact, approx):
        ingest_paths(app, [SEEDS])
    assert approx.store.ann is not None and approx.store.ann.ntotal == approx.store.vectors.ntotal
    assert exact.store.ann is None
    for q in ("浙江产业工人队伍建设改革推进会", "龙岗区劳资纠纷调处", "罗湖区领导小组会议"):
        a = [h.chunk.id for h in exact.retriever.search(q, k=3, mode="dense").hits]
        b = [h.chunk.id for h in approx.retriever.search(q, k=3, mode="dense").hits]
        assert a == b  # a few dozen vectors: HNSW is exact here
    only = approx.retriever.search("产业工人", k=10, mode="dense", filters=Filters(sources=["000_*"])).hits
    assert only and {h.chunk.source for h in only} == {"000_050fbe803fc5cea5.txt"}
    # a removed document leaves the HNSW index too (it is rebuilt: HNSW cannot delete)
    approx.close_store()
    with approx.writer() as w:
        from rag.ingest import remove_paths

        remove_paths([SEEDS / "000_050fbe803fc5cea5.txt"], w)
    approx.close_store()
    assert approx.store.ann.ntotal == approx.store.vectors.ntotal
    hits = approx.retriever.search("罗湖区领导小组会议", k=10, mode="dense").hits
    assert all(h.chunk.source != "000_050fbe803fc5cea5.txt" for h in hits)
    # a lost HNSW file is found by the doctor and rebuilt; until then search is exact
    approx.close_store()
    for f in approx.settings.store_dir.glob("ann.*"):
        f.unlink()
    assert approx.store.ann is None and approx.retriever.search("罗湖区", k=1, mode="dense").hits
    approx.close_store()
    result = check_store(approx, repair=True)
    assert "rebuilt the HNSW index" in result["repaired"] and result["ok"]
    assert approx.store.ann is not None and approx.store.ann.ntotal == approx.store.vectors.ntotal


def test_corrupted_files_detected_and_repaired(seeded_app: App) -> None:
    store_dir = seeded_app.settings.store_dir
    gen = seeded_app.store.generation
    seeded_app.close_store()
    vec = store_dir / f"vectors.{gen}.faiss"
    vec.write_bytes(vec.read_bytes()[:100])
    with pytest.raises(StoreCorruptError, match="rag doctor"):
        _ = seeded_app.store.vectors
    seeded_app.close_store()
    result = check_store(seeded_app, repair=True)
    assert result["repaired"]
    assert consistent(seeded_app)
    assert seeded_app.retriever.search("罗湖区", k=1).hits

    seeded_app.close_store()
    gen = seeded_app.store.generation
    seeded_app.close_store()
    (store_dir / f"bm25.{gen}.npz").write_bytes(b"garbage")
    with pytest.raises(StoreCorruptError, match="rag doctor"):
        seeded_app.store.bm25()
    seeded_app.close_store()
    check_store(seeded_app, repair=True)
    assert consistent(seeded_app)


def test_corrupted_sqlite_detected(fake_app: App) -> None:
    ingest_paths(fake_app, [SEEDS / "000_050fbe803fc5cea5.txt"])
    db = fake_app.settings.store_dir / "chunks.sqlite"
    db.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreCorruptError, match="damaged"):
        _ = fake_app.store


def test_write_failure_leaves_store_intact(fake_app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import rag.store.writer as store_mod
    from rag.store import StoreError

    docs = tmp_path / "docs"
    make_docs(docs, 2)
    ingest_paths(fake_app, [docs])
    before = fake_app.store.counts()
    fake_app.close_store()
    make_docs(docs, 2, start=2)

    def disk_full(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_mod, "write_atomic", disk_full)
    with pytest.raises(StoreError, match="No space left on device"):
        ingest_paths(fake_app, [docs])
    monkeypatch.undo()
    fake_app.close_store()
    assert fake_app.store.counts() == before
    assert consistent(fake_app)
    ingest_paths(fake_app, [docs])
    assert fake_app.store.counts()["documents"] == 4


def assert_locked_while(proc: subprocess.Popen[str], app: App) -> None:
    """Once ``proc`` says it holds the writer lock, this process cannot write; then ``proc`` is killed."""
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        with pytest.raises(StoreLockedError), app.writer():
            pass
    finally:
        proc.kill()
        proc.wait()


def _worker(store: Path, docs: Path, delay: float) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "tests.ingest_worker", str(store), str(docs), str(delay)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sigkill_mid_ingest_leaves_loadable_store_and_rerun_completes(fake_app: App, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    make_docs(docs, 24)
    store = fake_app.settings.store_dir
    rng = random.Random(7)
    for _ in range(3):
        proc = _worker(store, docs, 0.02)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "locked"
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert consistent(fake_app)
    proc = _worker(store, docs, 0.0)
    _, errs = proc.communicate(timeout=120)
    assert proc.returncode == 0, errs
    fake_app.close_store()
    assert fake_app.store.counts()["documents"] == 24
    assert consistent(fake_app)


def test_lock_across_processes(fake_app: App, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    make_docs(docs, 6)
    assert_locked_while(_worker(fake_app.settings.store_dir, docs, 0.5), fake_app)
    shutil.rmtree(tmp_path / "docs")


@pytest.mark.parametrize(("coverage", "phrase"), [(0.0, 0.0), (1.0, 0.0), (0.0, 3.0), (1.0, 3.0)])
def test_hybrid_search_fuses_dense_keyword_coverage_and_phrase_ranks(seeded_app: App, coverage: float,
                                                                     phrase: float) -> None:
    """Hybrid order = weighted RRF of the dense list, the keyword list, the keyword list of the question's
    character pairs and (when their weights are set) the fused candidates ranked by the share of the
    question's IDF-weighted terms their search text holds, and those holding a stretch of the question
    word for word, ranked by its weight."""
    from rag.bm25 import PAIR, char_pairs, runs
    from rag.normalize import search_form
    from rag.retrieve import rrf_fuse
    from rag.terms import idf, phrase_weight, searched_form, weigh

    s = seeded_app.settings.retrieval.model_copy(update={"coverage_weight": coverage, "phrase_weight": phrase})
    seeded_app.retriever.settings = s
    question = "2019年龙岗区劳资纠纷调处工作完成了多少宗？"
    bm25 = seeded_app.store.bm25(s.bm25_k1, s.bm25_b)
    dense = [h.chunk.id for h in seeded_app.retriever.search(question, k=s.candidates, mode="dense").hits]
    keyword = seeded_app.retriever.search(question, k=s.candidates, mode="bm25")
    pairs = [cid for cid, _ in bm25.search(char_pairs(search_form(question)), s.candidates)]
    assert pairs and pairs != [h.chunk.id for h in keyword.hits]
    lists = [(dense, s.dense_weight), ([h.chunk.id for h in keyword.hits], s.bm25_weight), (pairs, s.pairs_weight)]
    fused = [cid for cid, _ in rrf_fuse(lists, s.rrf_k)]
    texts = {c.id: searched_form(c).lower() for c in seeded_app.store.chunks(fused[:s.candidates])}
    pool = [cid for cid in fused[:s.candidates] if cid in texts]
    if coverage:
        terms = weigh(bm25, keyword.query_tokens)
        lists.append((sorted(pool, key=lambda cid: -terms.coverage(texts[cid])), coverage))
    if phrase:
        stretches = runs(search_form(question))
        assert stretches == ["2019年龙岗区劳资纠纷调处工作完成了", "宗"]
        weights = {run[i:i + 2]: idf(bm25, PAIR + run[i:i + 2]) for run in stretches for i in range(len(run) - 1)}
        held = {cid: phrase_weight(stretches, texts[cid], weights) for cid in pool}
        assert 0 < sum(w > 0 for w in held.values()) < len(pool)
        lists.append((sorted((c for c in pool if held[c] > 0), key=lambda c: -held[c]), phrase))
    fused = [cid for cid, _ in rrf_fuse(lists, s.rrf_k)]
    hybrid = seeded_app.retriever.search(question, k=8)
    assert [h.chunk.id for h in hybrid.hits] == fused[:8]
    assert ("coverage" in hybrid.timings) == bool(coverage or phrase)


def test_phrase_weight_counts_the_longest_stretches_held_by_their_pairs_weight() -> None:
    from rag.terms import phrase_weight

    weights = {"线上": 2.0, "上税": 1.0, "税费": 0.5, "费咨": 1.0, "咨询": 0.5, "重庆": 3.0}
    # one stretch of 6 characters: 6 × (2 + 1 + 0.5 + 1 + 0.5)
    assert phrase_weight(["线上税费咨询"], "（七）强化线上税费咨询服务。", weights) == 30.0
    # scattered: 线上 and 咨询 are shorter than 3 characters; 税费咨 is a stretch of 3: 3 × (0.5 + 1)
    assert phrase_weight(["线上税费咨询"], "线上办理，税费咨，咨询", weights) == 4.5
    assert phrase_weight(["线上税费咨询"], "线上办理，税费，咨询", weights) == 0.0
    # each run apart, a stretch never crosses two; pairs of no weight count nothing
    assert phrase_weight(["重庆市", "线上税"], "重庆市线上税", weights) == 3 * 3.0 + 3 * 3.0
    assert phrase_weight(["重庆"], "重庆", weights) == 0.0
    assert phrase_weight(["重庆"], "重庆", weights, shortest=2) == 6.0


def test_character_pairs_of_each_run_question_words_and_punctuation_apart() -> None:
    from rag.bm25 import PAIR, char_pairs, tokenize

    assert char_pairs("重庆网上申报率有多少？") == [PAIR + p for p in ("重庆", "庆网", "网上", "上申", "申报", "报率", "率有")]
    assert char_pairs("12366热线，APP") == [PAIR + p for p in ("12", "23", "36", "66", "6热", "热线", "ap", "pp")]
    assert not any(t.startswith(PAIR) for t in tokenize("重庆网上申报率有多少？|网上"))


def _yearly_reports(folder: Path, years: list[int]) -> None:
    folder.mkdir()
    for year in years:
        (folder / f"{year}年政府工作报告.txt").write_text(
            f"{year}年政府工作报告\n\n一、过去一年工作回顾\n\n城镇新增就业{year - 800}万人。\n\n"
            f"二、今年工作总体要求\n\n今年发展主要预期目标是：国内生产总值增长{year % 7 + 3}%左右。\n", encoding="utf-8")
    (folder / "2007年政府工作报告.txt").write_text(
        "2007年政府工作报告\n\n一、今年工作\n\n国内生产总值增长目标：国内生产总值增长目标是8%，增长目标要实事求是。\n",
        encoding="utf-8")


def test_a_year_asked_ranks_the_report_titled_with_it_first(fake_app: App, tmp_path: Path) -> None:
    """The 2023 report's target sentence says 今年, not 2023年: only its title names the year, and
    without the year list another year's report that repeats the question's words comes first."""
    _yearly_reports(tmp_path / "docs", [2021, 2022, 2023])
    ingest_paths(fake_app, [tmp_path / "docs"])
    question = "2023年国内生产总值增长目标是多少？"
    retriever = fake_app.retriever
    retriever.settings = retriever.settings.model_copy(update={"year_weight": 0.0})
    assert retriever.search(question).hits[0].chunk.title != "2023年政府工作报告"
    retriever.settings = retriever.settings.model_copy(update={"year_weight": 4.0})
    hits = retriever.search(question).hits
    assert hits[0].chunk.title == "2023年政府工作报告"
    assert "增长3%左右" in hits[0].chunk.text


def test_a_year_most_documents_name_adds_no_list(fake_app: App, tmp_path: Path) -> None:
    _yearly_reports(tmp_path / "docs", [2023])
    for name in ("a", "b"):
        (tmp_path / "docs" / f"2023年{name}区工作总结.txt").write_text(f"2023年{name}区工作总结\n\n今年完成任务。\n",
                                                                   encoding="utf-8")
    ingest_paths(fake_app, [tmp_path / "docs"])
    retriever = fake_app.retriever
    question = "2023年国内生产总值增长目标是多少？"
    with_list = [h.chunk.id for h in retriever.search(question).hits]
    retriever.settings = retriever.settings.model_copy(update={"year_weight": 0.0})
    assert [h.chunk.id for h in retriever.search(question).hits] == with_list


def test_a_section_headed_by_another_year_is_not_of_the_year_asked(fake_app: App, tmp_path: Path) -> None:
    """A work summary and plan names both years in its title; a follow-up "那2020年呢？" rewritten to
    "…2020年主要工作…" shares its words with the 2019 section's heading, yet the 2020 plan is asked."""
    _yearly_reports(tmp_path / "docs", [2021, 2022, 2023])
    (tmp_path / "docs" / "龙岗区总工会2019年工作总结及2020年工作思路.txt").write_text(
        "龙岗区总工会2019年工作总结及2020年工作思路\n\n一、2019年主要工作完成情况\n\n"
        "（一）坚持党建引领，主要工作夯实组织阵地建设。\n\n（二）主要工作维护职工合法权益。\n\n"
        "二、2020年工作思路\n\n（一）不断夯实基层组织建设基础。\n\n（二）推动职工参与基层社会治理。\n",
        encoding="utf-8")
    ingest_paths(fake_app, [tmp_path / "docs"])
    question = "龙岗区总工会2020年主要工作包括哪几个方面？"

    def sections(years: list[str]) -> set[str]:
        return {c.section for c in fake_app.store.chunks([int(i) for i in fake_app.store.chunk_ids_of_years(years)])}

    assert sections(["2020"]) == {"", "二、2020年工作思路"}  # the opening, under no heading, stays
    assert sections(["2019", "2020"]) == {"", "一、2019年主要工作完成情况", "二、2020年工作思路"}
    retriever = fake_app.retriever
    # the title line, under no heading, names the year too
    assert [h.chunk.section for h in retriever.search(question).hits[:3]] == [
        "", "二、2020年工作思路", "一、2019年主要工作完成情况"]
    retriever.settings = retriever.settings.model_copy(update={"year_weight": 0.0})
    assert [h.chunk.section for h in retriever.search(question).hits[:3]] == [
        "", "一、2019年主要工作完成情况", "二、2020年工作思路"]


def test_reindex_titles_documents_as_the_loader_now_does(fake_app: App, tmp_path: Path) -> None:
    """A title an older loader took from a byline, or from a line while the file name reads as a
    title, is replaced on `rag reindex` (chunks and keyword rows follow); one from metadata stays."""
    import sqlite3

    from rag.doctor import reindex_store

    docs = tmp_path / "docs"
    docs.mkdir()
    opening = "政府工作报\n告\n\n——2017年3月5日在第十二届全国人民代表大会第五次会议上\n\n一、2016年工作回顾\n\n城镇新增就业1314万人。\n"
    (docs / "2017年中华人民共和国国务院政府工作报告.txt").write_text(opening, encoding="utf-8")
    (docs / "0013aa11eb73353a.md").write_text("---\ntitle: 罗湖区会议\n---\n罗湖区召开会议。\n", encoding="utf-8")
    ingest_paths(fake_app, [docs])
    db = fake_app.settings.store_dir / "chunks.sqlite"
    with sqlite3.connect(db) as conn:  # as an older loader stored them
        conn.execute("UPDATE documents SET title='——2017年3月5日在第十二届全国人民代表大会第五次会议上' WHERE source LIKE '2017%'")
    fake_app.close_store()
    assert reindex_store(fake_app) == 2
    titles = {d.source: d.title for d in fake_app.store.documents()}
    assert titles == {"2017年中华人民共和国国务院政府工作报告.txt": "2017年中华人民共和国国务院政府工作报告",
                      "0013aa11eb73353a.md": "罗湖区会议"}
    hit = fake_app.retriever.search("2016年城镇新增就业", k=1).hits[0]
    assert hit.chunk.title == "2017年中华人民共和国国务院政府工作报告"
    assert consistent(fake_app)


@pytest.mark.parametrize(("phrase", "first"), [(0.0, "story.txt"), (3.0, "notice.txt")])
def test_a_passage_holding_the_question_word_for_word_ranks_first(fake_app: App, tmp_path: Path,
                                                                  phrase: float, first: str) -> None:
    """The notice whose item is the question's 强化线上税费咨询服务 comes before a story that names its
    words apart, more often, once the phrase list is fused in."""
    from tests.conftest import ingest_paths

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notice.txt").write_text(
        "国家税务总局关于做好税收服务的通知\n\n（七）强化线上税费咨询服务。增强纳税服务热线力量。\n", encoding="utf-8")
    (folder / "story.txt").write_text(
        "国家税务总局发布办税清单\n\n国家税务总局：线上办税，线上缴费，税费咨询，咨询服务，服务强化。"
        "各地做好春耕生产和物资保障工作。\n", encoding="utf-8")
    for n in range(8):
        (folder / f"other{n}.txt").write_text(f"第{n}号通知\n\n做好春耕生产和物资保障工作，第{n}批。\n", encoding="utf-8")
    ingest_paths(fake_app, [folder])
    fake_app.retriever.settings = fake_app.settings.retrieval.model_copy(update={"phrase_weight": phrase})
    hits = fake_app.retriever.search("国家税务总局如何强化线上税费咨询服务？", k=2).hits
    assert [h.chunk.source.rsplit("/", 1)[-1] for h in hits] == [first, "story.txt" if first == "notice.txt" else "notice.txt"]
