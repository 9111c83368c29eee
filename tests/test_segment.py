"""The compact lexicon gives exactly jieba's words and tags, and hands over to the whole dictionary."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jieba
import jieba.posseg
import pytest

from rag import segment
from rag.normalize import search_form

from .conftest import ROOT, SEEDS


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Path]:
    saved = dict(segment._state)
    segment._state.update(cache_dir=None, lexicon=None, full=False, chars=0)
    segment.use_cache(tmp_path / "jieba")
    yield tmp_path / "jieba"
    segment._state.clear()
    segment._state.update(saved)


def _texts() -> list[str]:
    texts: list[str] = []
    for f in sorted(SEEDS.glob("*.txt")):
        body = search_form(f.read_text(encoding="utf-8"))
        texts.extend(body[i:i + 160] for i in range(0, min(len(body), 6000), 160))
    texts += [json.loads(line)["question"] for line in (ROOT / "eval" / "dev.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    return texts


def test_lexicon_cuts_and_tags_exactly_as_jieba(fresh: Path) -> None:
    segment.cut("预热")  # the first use builds the lexicon (and has the whole dictionary loaded)
    assert [p.name for p in fresh.iterdir()] == [f"jieba-lexicon-{segment._dictionary_key()}.npz"]
    segment._state.update(lexicon=None, full=False, chars=0)
    texts = _texts()
    assert sum(map(len, texts)) < segment.FULL_LOAD_AFTER_CHARS
    ours = [(segment.cut_for_search(t.lower()), segment.cut(t), segment.tagged(t)) for t in texts]
    assert segment._state["full"] is False and segment._state["lexicon"] is not None
    jieba.initialize()
    theirs = [(jieba.lcut_for_search(t.lower()), jieba.lcut(t), [(p.word, p.flag) for p in jieba.posseg.lcut(t)])
              for t in texts]
    assert len(texts) > 100
    assert ours == theirs
    assert segment.tagged("福田区总工会主席卢耀明") == [("福田区", "ns"), ("总工会", "n"), ("主席", "n"),
                                                      ("卢耀明", "nr")]


def test_whole_dictionary_once_the_texts_add_up(fresh: Path) -> None:
    segment.cut("预热")
    segment._state.update(lexicon=None, full=False, chars=0)
    segment.cut("工会" * 10)
    assert segment._state["full"] is False
    long_text = "推进工会组织建设" * (segment.FULL_LOAD_AFTER_CHARS // 8 + 1)
    assert segment.cut(long_text)[:3] == ["推进", "工会组织", "建设"]
    assert segment._state["full"] is True
    assert segment.cut("福田区工会") == jieba.lcut("福田区工会")


def test_unwritable_cache_still_segments(tmp_path: Path) -> None:
    saved = dict(segment._state)
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    try:
        segment._state.update(cache_dir=None, lexicon=None, full=False, chars=0)
        segment.use_cache(blocker / "jieba")  # a path under a file: the lexicon cannot be saved
        assert segment.cut("福田区工会建会率") == jieba.lcut("福田区工会建会率")
        assert segment._state["full"] is True
    finally:
        segment._state.clear()
        segment._state.update(saved)
