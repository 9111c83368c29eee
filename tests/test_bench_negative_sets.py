"""The negative sets made by leaving out every other source document of a question set."""

from __future__ import annotations

import json
from pathlib import Path

from bench.negative_rejection import build_reports


def _write_set(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


ROWS = [
    {"id": "q1", "question": "2019年目标是多少？", "answer": "5%", "must_include": ["5%"], "sources": ["r2019.txt"]},
    {"id": "q2", "question": "2020年目标是多少？", "answer": "6%", "must_include": ["6%"], "sources": ["r2020.txt"]},
    {"id": "q3", "question": "2021年目标是多少？", "answer": "7%", "must_include": ["7%"], "sources": ["r2021.txt"]},
    {"id": "q4", "question": "2020年完成了多少？", "answer": "4%", "must_include": ["4%"], "sources": ["r2020.txt"]},
    {"id": "q0", "question": "没有来源的问题？", "answer": "", "must_include": [], "sources": []},
]


def test_every_other_report_is_left_out_and_its_questions_are_the_negatives(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("r2019.txt", "r2020.txt", "r2021.txt", "other.txt"):
        (corpus / name).write_text(name, encoding="utf-8")
    _write_set(tmp_path / "set.jsonl", ROWS)

    build_reports(tmp_path / "a", tmp_path / "set.jsonl", corpus, "a")
    build_reports(tmp_path / "b", tmp_path / "set.jsonl", corpus, "b")

    def read(path: Path) -> list[dict[str, object]]:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    assert sorted(p.name for p in (tmp_path / "a" / "corpus_without").iterdir()) == ["other.txt", "r2020.txt"]
    assert [r["id"] for r in read(tmp_path / "a" / "negative.jsonl")] == ["q1", "q3"]
    assert [r["id"] for r in read(tmp_path / "a" / "full.jsonl")] == ["q2", "q4"]
    negative = read(tmp_path / "a" / "negative.jsonl")[0]
    assert (negative["type"], negative["sources"], negative["withheld"], negative["withheld_must_include"]) == (
        "unanswerable", [], ["r2019.txt"], ["5%"])
    assert sorted(p.name for p in (tmp_path / "b" / "corpus_without").iterdir()) == [
        "other.txt", "r2019.txt", "r2021.txt"]
    assert [r["id"] for r in read(tmp_path / "b" / "negative.jsonl")] == ["q2", "q4"]


def test_a_corpus_of_json_lines_loses_the_lines_of_the_left_out_articles(tmp_path: Path) -> None:
    corpus = tmp_path / "news.jsonl"
    _write_set(corpus, [{"id": i, "text": f"正文{i}"} for i in ("r2019.txt", "r2020.txt", "r2021.txt", "x")])
    _write_set(tmp_path / "set.jsonl", ROWS)

    build_reports(tmp_path / "w", tmp_path / "set.jsonl", corpus, "a")

    kept = [json.loads(line)["id"] for line in (tmp_path / "w" / "corpus_without.jsonl").read_text(
        encoding="utf-8").splitlines()]
    assert kept == ["r2020.txt", "x"]
