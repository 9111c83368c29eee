"""Negative rejection: the same questions asked of a store that holds their answer and of one that
holds only related passages (the notices that answer them are left out).

    python -m bench.negative_rejection build --out W [--offset 100]
    rag ingest W/corpus_without --store W/store_without
    rag eval W/negative.jsonl --store W/store_without --mode answer --out W/run_without
    rag eval W/written.jsonl --store W/store_without --mode answer --out W/run_written
    rag eval W/full.jsonl --store NCP_STORE --mode answer --out W/run_full   # every notice ingested
    python -m bench.negative_rejection score W              # refusal rate, false refusals, accuracy
    python -m bench.negative_rejection score W --judge-floors 0,0.5,0.7   # ... were the judge at each floor

The questions are ncp_dev items. An item is kept for the negative set only when no notice left in
the store contains all of its ``must_include`` strings (or, without them, any 10 characters of its
gold answer in a row; compared in the search form), and reprints of the notices left out (most of
their text shared) are left out too, so a refusal is the right answer there; the full-store run
measures false refusals and accuracy on the same questions. The first 100 candidates (``--offset
0``, plus 12 questions on the seeds with the place, year or organisation changed, and the 25
hand-written ``eval/ncp_negative_written.jsonl`` on facts of the left-out notices) are the set the
checker was tuned on; ``--offset 100`` leaves out other notices for a fresh set of 54.

    python -m bench.negative_rejection build-reports --set eval/gov_years.jsonl \
        --corpus ../shared/corpus/gov_reports --part a --out W

leaves out every other report a set's questions come from (``--part a`` the 1st, 3rd, ...; ``b`` the
others; or every other article, ``--corpus W/news3000.jsonl`` of ``bench.news_retrieval``): the
questions on a left-out report are the negatives (another year's report states the same metric),
those on a kept one the answerable questions of the same store (``full.jsonl``, asked of
``W/s`` too). No automatic check can tell whether a kept report states the same fact (a figure such
as 3% is everywhere), so every answered negative is read by hand.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from rag.normalize import compact

ROOT = Path(__file__).resolve().parent.parent
NCP = ROOT.parent / "shared" / "corpus" / "ncp_policies"
NCP_DEV = ROOT.parent / "shared" / "eval" / "ncp_dev.jsonl"
SEEDS = ROOT / "sample_corpus"
WRITTEN = ROOT / "eval" / "ncp_negative_written.jsonl"


# Questions on the seed documents with the place, year or organisation changed: the seeds hold
# related passages (the same metric for another district or year) and no answer.
SEED_NEGATIVES = [
    "2021年龙岗区百人以上企业建会率是多少？",
    "福田区总工会2019年全年完成了多少宗劳资纠纷调处工作？",
    "2018年龙岗区签订了多少份集体合同，覆盖多少职工？",
    "宝安区建成了多少家四级职工服务阵地？",
    "2023年罗湖区推进产业工人队伍建设改革领导小组工作会议在什么地点召开？",
    "江苏产业工人队伍建设改革工作推进会在哪里召开？",
    "龙岗区总工会2024年2月9日的工作推进会在哪里召开？",
    "罗湖区总工会2022年的工会经费预算是多少？",
    "吉利集团工会总结的产改工作“四个坚持”是什么？",
    "坪山区工会联合会综合改革确定了多少个区级示范点？",
    "2021年龙岗区新办理了多少张工会会员服务卡？",
    "南山区2019年组织了多少场职工培训活动？",
]
MAX_NEGATIVE = 60
WINDOW = 10  # a kept notice holding any 10 characters of the gold answer in a row may answer it


def _answered_by(item: dict[str, Any], texts: list[str]) -> bool:
    if item.get("must_include"):
        needles = [compact(m) for m in item["must_include"]]
        return any(all(n in text for n in needles) for text in texts)
    gold = compact(item.get("answer", ""))
    windows = {gold[i:i + WINDOW] for i in range(max(len(gold) - WINDOW + 1, 1))}
    return any(w in text for w in windows for text in texts)


def build(out: Path, offset: int = 0) -> None:
    items = _read_set(NCP_DEV)
    graded = [it for it in items if it.get("must_include") and it.get("sources")]
    others = [it for it in items if not it.get("must_include") and it.get("sources")
              and len(compact(it.get("answer", ""))) >= WINDOW]
    candidates = (graded + others)[offset:offset + MAX_NEGATIVE + 40]
    withheld = {s for it in candidates for s in it["sources"]}
    corpus = out / "corpus_without"
    if corpus.exists():
        shutil.rmtree(corpus)
    corpus.mkdir(parents=True)
    paths = [*sorted(NCP.glob("*.txt")), *sorted(SEEDS.glob("*.txt"))]
    texts = {p.name: compact(p.read_text(encoding="utf-8", errors="replace")) for p in paths}
    copies = _near_copies(texts, withheld)
    kept_texts = []
    for path in paths:
        if path.name not in withheld and path.name not in copies:
            shutil.copy2(path, corpus / path.name)
            kept_texts.append(texts[path.name])
    seeds = SEED_NEGATIVES if offset == 0 else []
    negative: list[dict[str, Any]] = [
        {"id": f"seed-neg-{i:02d}", "type": "unanswerable", "question": q, "answer": "", "must_include": [],
         "sources": []} for i, q in enumerate(seeds, 1)]
    for it in candidates:
        if len(negative) >= MAX_NEGATIVE + len(seeds):
            break
        if not _answered_by(it, kept_texts):
            negative.append(_as_negative(it))
    asked = {n["id"] for n in negative}
    full = graded if offset == 0 else [it for it in candidates if it["id"] in asked and it.get("type") != "unanswerable"]
    written = _written(withheld, kept_texts) if offset == 0 else []
    _write_sets(out, {"full.jsonl": full, "negative.jsonl": negative, "written.jsonl": written})
    print(f"{len(full)} answerable questions (full.jsonl); {len(negative)} negative ({len(seeds)} on "
          f"the seeds; {len(withheld)} notices left out and {len(copies)} near-copies of them, "
          f"{len(kept_texts)} documents kept in {corpus})")


def _read_set(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _as_negative(item: dict[str, Any]) -> dict[str, Any]:
    """The question asked of the store without its documents: a refusal is the right answer."""
    return {**item, "type": "unanswerable", "must_include": [], "sources": [], "withheld": item["sources"],
            "withheld_must_include": item.get("must_include", [])}


def _write_sets(out: Path, sets: dict[str, list[dict[str, Any]]]) -> None:
    for name, rows in sets.items():
        (out / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def build_reports(out: Path, questions: Path, corpus_dir: Path, part: str) -> None:
    items = [it for it in _read_set(questions) if it.get("sources")]
    sources = sorted({s for it in items for s in it["sources"]})
    withheld = set(sources[0 if part == "a" else 1::2])
    out.mkdir(parents=True, exist_ok=True)
    if corpus_dir.suffix == ".jsonl":  # one document per line, named by its id (news_scale)
        corpus = out / "corpus_without.jsonl"
        lines = [line for line in corpus_dir.read_text(encoding="utf-8").splitlines() if line.strip()]
        articles = [line for line in lines if json.loads(line)["id"] not in withheld]
        corpus.write_text("".join(line + "\n" for line in articles), encoding="utf-8")
        count = len(articles)
    else:
        corpus = out / "corpus_without"
        if corpus.exists():
            shutil.rmtree(corpus)
        corpus.mkdir(parents=True)
        kept = [p for p in sorted(corpus_dir.iterdir()) if p.is_file() and p.name not in withheld]
        for path in kept:
            shutil.copy2(path, corpus / path.name)
        count = len(kept)
    negative = [_as_negative(it) for it in items if set(it["sources"]) <= withheld]
    full = [it for it in items if not set(it["sources"]) & withheld]
    _write_sets(out, {"full.jsonl": full, "negative.jsonl": negative})
    print(f"{len(negative)} negative (negative.jsonl), {len(full)} answerable in the same store (full.jsonl); "
          f"{len(withheld)} documents left out, {count} kept in {corpus}")


def _written(withheld: set[str], kept_texts: list[str]) -> list[dict[str, Any]]:
    """The hand-written negatives (eval/ncp_negative_written.jsonl): facts of the left-out notices,
    each checked again to be in no kept document (the whole answer; a 文号 shares its tail with others)."""
    rows = _read_set(WRITTEN)
    bad = [r["id"] for r in rows if not set(r["sources"]) <= withheld
           or any(compact(r["answer"]) in text for text in kept_texts)]
    if bad:
        raise SystemExit(f"{WRITTEN}: answered by a kept document or about a notice not left out: {', '.join(bad)}")
    return rows


COPY = 0.6  # share of the smaller text's 8-character shingles: a reprint of a notice under another title


def _near_copies(texts: dict[str, str], withheld: set[str]) -> set[str]:
    """Documents that reprint a withheld notice: they would answer its questions in other words."""
    shingles = {name: {t[i:i + 8] for i in range(max(1, len(t) - 7))} for name, t in texts.items()}
    out = set()
    for name, own in shingles.items():
        if name in withheld:
            continue
        for w in withheld:
            other = shingles.get(w, set())
            if other and len(own & other) >= COPY * min(len(own), len(other)):
                out.add(name)
                break
    return out


def _refused_at(record: Any, floor: float) -> bool:
    """Refused as the run was, or by the judge at ``floor`` (runs made with a tiny judge floor record
    the model's P(是) for every answer that passed the checks, so one run scores every floor)."""
    return bool(record.refused or (floor and record.answerable is not None and record.answerable < floor))


def sweep(work: Path, floors: list[float]) -> None:
    """Refusals on the negatives and the answerable questions at each judge floor."""
    from rag.evaluate import read_run
    from rag.metrics import contains_all

    runs = {run: read_run(work / run / "items.jsonl") for run in ("run_without", "run_written", "run_full")
            if (work / run / "items.jsonl").exists()}
    print("floor  " + "  ".join(f"{run:>22s}" for run in runs))
    for floor in floors:
        cells = []
        for run, rows in runs.items():
            refused = sum(_refused_at(r, floor) for r in rows)
            cell = f"refused {refused}/{len(rows)}"
            if run == "run_full":
                graded = [r for r in rows if r.must_include]
                right = sum(1 for r in graded if not _refused_at(r, floor) and contains_all(r.answer, r.must_include))
                cell += f" right {right}/{len(graded)}"
            cells.append(f"{cell:>22s}")
        print(f"{floor:<6.2f} " + "  ".join(cells))
    judged = sorted((round(r.answerable, 3), run, r.id) for run, rows in runs.items() for r in rows
                    if r.answerable is not None and not r.refused)
    print("P(是) of each answer the checks passed (run, id):")
    for value, run, rid in judged:
        print(f"  {value:.3f} {run} {rid}")


def score(work: Path) -> None:
    from rag.evaluate import read_run
    from rag.metrics import contains_all

    for run in ("run_without", "run_written"):
        path = work / run / "items.jsonl"
        if path.exists():
            rows = read_run(path)
            refused = sum(1 for r in rows if r.refused)
            print(f"{run}: {refused}/{len(rows)} refused = {refused / max(len(rows), 1):.3f}; answered: "
                  f"{', '.join(r.id for r in rows if not r.refused) or '-'}")
    path = work / "run_full" / "items.jsonl"
    if path.exists():
        full = read_run(path)
        false = [r.id for r in full if r.refused]
        graded = [r for r in full if r.must_include]
        correct = sum(1 for r in graded if not r.refused and contains_all(r.answer, r.must_include))
        print(f"run_full: {len(false)}/{len(full)} false refusals = {len(false) / max(len(full), 1):.3f} "
              f"({', '.join(false) or '-'}); accuracy {correct}/{len(graded)} graded by must_include")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--out", type=Path, required=True)
    b.add_argument("--offset", type=int, default=0, help="skip this many ncp_dev candidates: a fresh set, other "
                   "notices left out (the first 100 are the set the checker was tuned on)")
    r = sub.add_parser("build-reports", help="leave out every other report a set's questions come from")
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--set", type=Path, required=True, dest="questions")
    r.add_argument("--corpus", type=Path, required=True)
    r.add_argument("--part", choices=("a", "b"), default="a")
    s = sub.add_parser("score")
    s.add_argument("work", type=Path)
    s.add_argument("--judge-floors", default="", help="comma-separated judge floors to score the runs at (runs "
                   "made with RAG_GENERATION__JUDGE_FLOOR=0.0001 record every answer's P(是))")
    args = parser.parse_args(argv)
    if args.cmd == "build":
        build(args.out, args.offset)
    elif args.cmd == "build-reports":
        build_reports(args.out, args.questions, args.corpus, args.part)
    elif args.judge_floors:
        sweep(args.work, [float(f) for f in args.judge_floors.split(",")])
    else:
        score(args.work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
