"""A batch of 25 kinds of hostile input: each refused with its own line, before it is read where a
limit says so; the good files go in; symlinks stay inside the folder; remove and prune work on the
paths as named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rag.app import App
from rag.doctor import check_store
from rag.ingest import remove_paths
from rag.settings import IngestSettings
from tests import hostile
from tests.conftest import FakeEncoder, FakeLLM, ingest_paths
from tests.test_bad_input import CN

BOMB = 160 * 2**20  # with the unpack limit at half of it (the default, 1 GiB, is exercised by the bench)


@pytest.fixture
def limited_app(fake_app: App) -> App:
    s = fake_app.settings.model_copy(deep=True)
    s.ingest.max_unpacked_bytes = BOMB // 2
    return App(s, encoder=FakeEncoder(), llm=FakeLLM())


def _deny(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    real_open = Path.open

    def opened(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == name:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", opened)


def test_hostile_batch_each_refused_with_its_own_line_and_the_rest_indexed(limited_app: App, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "批量 文件"
    limits = IngestSettings()
    expect = hostile.build(root, tmp_path / "outside", BOMB, limits.max_document_chars, limits.max_record_bytes)
    _deny(monkeypatch, hostile.DENIED)
    report = ingest_paths(limited_app, [root])
    got = {}
    for failure in report.failures:
        name = Path(failure.path).name
        got[name] = failure.reason
    assert sorted(got) == sorted(expect)
    assert len(report.failures) == len(expect) == 24
    for name, reason in expect.items():
        assert got[name].startswith(reason), (name, got.get(name))
    sources = sorted(d.source for d in limited_app.store.documents())
    assert sources == sorted([*hostile.GOOD, "r1", "r3"])
    result = check_store(limited_app, repair=False)
    assert result["ok"] and not result["problems"]


def test_symlinks_outside_are_followed_only_when_the_setting_says_so(fake_app: App, tmp_path: Path) -> None:
    root, outside = tmp_path / "docs", tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()
    (outside / "a.txt").write_text(CN, encoding="utf-8")
    (root / "own.txt").write_text(CN + "本目录文件。", encoding="utf-8")
    (root / "linked").symlink_to(outside, target_is_directory=True)
    report = ingest_paths(fake_app, [root])
    assert [(Path(f.path).name, f.reason.split(":")[0]) for f in report.failures] == \
        [("linked", f"symlink to {outside.resolve()}, outside {root.resolve()}")]
    assert [d.source for d in fake_app.store.documents()] == ["own.txt"]
    s = fake_app.settings.model_copy(deep=True)
    s.ingest.follow_symlinks = "all"
    following = App(s, encoder=FakeEncoder())
    report = ingest_paths(following, [root])
    assert report.failures == [] and report.added == 1
    assert sorted(d.file for d in following.store.documents()) == [str(root / "linked" / "a.txt"),
                                                                   str(root / "own.txt")]
    # removed by the path the user named, though the file lives elsewhere
    with following.writer() as writer:
        assert remove_paths([root / "linked"], writer) == 1
    following.close_store()
    assert [d.source for d in following.store.documents()] == ["own.txt"]


def test_prune_and_remove_through_a_symlinked_folder(fake_app: App, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    for i in range(3):
        (real / f"n{i}.txt").write_text(CN + f"第{i}篇。", encoding="utf-8")
    named = tmp_path / "named"
    named.symlink_to(real, target_is_directory=True)
    assert ingest_paths(fake_app, [named]).added == 3
    assert {d.file for d in fake_app.store.documents()} == {str(named / f"n{i}.txt") for i in range(3)}
    (real / "n1.txt").unlink()
    report = ingest_paths(fake_app, [named], prune=True)
    assert (report.removed, report.unchanged) == (1, 2)
    with fake_app.writer() as writer:
        assert remove_paths([real], writer) == 2  # by the target's path too
    fake_app.close_store()
    assert fake_app.store.documents() == []


def test_a_store_keyed_by_symlink_targets_moves_to_the_named_paths(fake_app: App, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.txt").write_text(CN, encoding="utf-8")
    named = tmp_path / "named"
    named.symlink_to(real, target_is_directory=True)
    ingest_paths(fake_app, [real])  # as an older version stored it: by the resolved path
    report = ingest_paths(fake_app, [named])
    assert (report.added, report.removed) == (1, 1)
    assert [d.file for d in fake_app.store.documents()] == [str(named / "a.txt")]
    report = ingest_paths(fake_app, [named])
    assert (report.added, report.unchanged) == (0, 1)
