"""Work-report summaries against hand-labelled gold (``eval/summary_gold.jsonl``: the seed report, three
national and four provincial government work reports, the tune half the rules were written on; two
national and two provincial reports, the report half, labelled afterwards and never tuned on).

    python -m bench.plan_summaries --out W [--model small] [--store S]

Ingests the reports into W/store (or uses --store), summarizes each with the chosen model and
prints, per report: plan areas recalled, targets recalled (metric and value, with unit and qualifier,
in one target line), plan lines taken from the review part or naming a review fact (misfiled, must
be 0), figures of the summary that the document does not state (invented, must be 0; the strict
matcher of rag.metrics, not the summarizer's own), minutes. Records go to W/summaries.jsonl.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from typing import Any

from rag.metrics import contains_all, match_form, strict_figure_counts
from rag.normalize import compact
from rag.schemas import SummaryRecord

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "eval" / "summary_gold.jsonl"
CORPUS = ROOT.parent / "shared" / "corpus"


def gold_items(path: Path = GOLD) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def source_file(item: dict[str, Any], corpus: Path = CORPUS) -> Path:
    return corpus / item["corpus"] / item["file"]


def plan_lines(record: SummaryRecord) -> list[str]:
    return [text for p in record.plan for text in (p.goal, p.summary, *p.measures, *p.targets) if text]


def all_lines(record: SummaryRecord) -> list[str]:
    review = [t for r in record.review for t in (r.item, r.summary, *r.points, *r.figures) if t]
    return plan_lines(record) + review + [p.item for p in record.problems]


def _review_span(doc: str, item: dict[str, Any]) -> tuple[int, int]:
    """(start, end) in the compact document of its review part: from the review heading to the first
    plan heading."""
    starts = [doc.find(compact(h)) for h in item["review_parts"]]
    ends = [doc.find(compact(h)) for h in item["plan_parts"]]
    start = min((s for s in starts if s >= 0), default=-1)
    end = min((e for e in ends if e > start), default=len(doc))
    return start, end


def score(record: SummaryRecord, item: dict[str, Any], text: str) -> dict[str, Any]:
    doc = compact(text)
    goals = [match_form(p.goal) for p in record.plan]
    areas_hit = [a for a in item["plan_areas"] if any(match_form(a) in g or (g and g in match_form(a)) for g in goals)]
    targets = [t for p in record.plan for t in p.targets]
    targets_hit = [t for t in item["targets"] if any(contains_all(line, [t["metric"], t["value"]]) for line in targets)]
    start, end = _review_span(doc, item)
    misfiled = []
    for line in plan_lines(record):
        pieces = [p for p in compact(line).replace("…", "，").split("，") if len(p) >= 8]
        places = [m.start() for m in re.finditer(re.escape(pieces[0]), doc)] if pieces else []
        only_review = start >= 0 and bool(places) and all(start <= at < end for at in places)
        if only_review or any(compact(f) in compact(line) for f in item["review_facts"]):
            misfiled.append(line)
    invented = []
    for line in all_lines(record):
        right, found = strict_figure_counts(line, text)
        if right < found:
            invented.append(line)
    return {"id": item["id"], "areas": len(item["plan_areas"]), "areas_hit": len(areas_hit),
            "areas_missed": [a for a in item["plan_areas"] if a not in areas_hit],
            "targets": len(item["targets"]), "targets_hit": len(targets_hit),
            "targets_missed": [t for t in item["targets"] if t not in targets_hit],
            "misfiled": misfiled, "invented": invented, "minutes": round(record.seconds / 60, 2),
            "plan_items": len(record.plan), "review_items": len(record.review),
            "phrased": sum(bool(p.summary) for p in record.plan) + sum(bool(r.summary) for r in record.review)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--model", default=None, help="default | small | models.txt name | GGUF path")
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--half", choices=("tune", "report", "all"), default="all",
                        help="the rules were written on the tune half; report on the other")
    parser.add_argument("--rescore", action="store_true", help="score OUT/summaries.jsonl again, no model")
    args = parser.parse_args(argv)

    from rag.app import App
    from rag.ingest import ingest
    from rag.settings import Settings
    from rag.summarize import summarize_document

    items = _selected(args)
    args.out.mkdir(parents=True, exist_ok=True)
    s = Settings(store=args.store or args.out / "store")
    if args.model == "small":
        s.models.chat = s.models.chat_small
    elif args.model:
        s.models.chat = args.model
    app = App(s)
    files = [source_file(i, args.corpus) for i in items]
    if not args.rescore:
        with app.writer() as writer:
            ingest(files, writer, s, app.encoder)
    docs = {Path(d.file).name: d for d in app.store.documents()}
    texts = {name: app.store.document_text(d.doc_id) or "" for name, d in docs.items()}
    if args.rescore:
        return _report(args, [SummaryRecord.model_validate_json(line) for line in
                              (args.out / "summaries.jsonl").read_text(encoding="utf-8").splitlines()], texts)
    records = []
    with (args.out / "summaries.jsonl").open("w", encoding="utf-8") as fh:
        for path in files:
            doc = docs[path.name]
            t0 = time.perf_counter()
            record = summarize_document(app.llm, doc, app.store.document_chunks(doc.doc_id), "work-plan",
                                        s.generation, texts[path.name])
            record.seconds = round(time.perf_counter() - t0, 2)
            fh.write(json.dumps(record.model_dump(), ensure_ascii=False) + "\n")
            fh.flush()
            records.append(record)
            print(f"{path.name}: {record.seconds:.0f} s", flush=True)
    return _report(args, records, texts)


def _selected(args: argparse.Namespace) -> list[dict[str, Any]]:
    return [i for i in gold_items(args.gold) if args.half in ("all", i.get("half", "tune"))]


def _report(args: argparse.Namespace, records: list[SummaryRecord], texts: dict[str, str]) -> int:
    rows = []
    by_file = {r.source: r for r in records}
    for item in _selected(args):
        record = by_file[item["file"]]
        rows.append(score(record, item, texts[item["file"]]))
        r = rows[-1]
        print(f"{r['id']:<16} areas {r['areas_hit']}/{r['areas']}  targets {r['targets_hit']}/{r['targets']}  "
              f"misfiled {len(r['misfiled'])}  invented {len(r['invented'])}  {r['minutes']:.2f} min  "
              f"(plan {r['plan_items']}, review {r['review_items']}, phrased {r['phrased']})", flush=True)
    total = {k: sum(r[k] for r in rows) for k in ("areas", "areas_hit", "targets", "targets_hit")}
    summary = {**total, "misfiled": sum(len(r["misfiled"]) for r in rows),
               "invented": sum(len(r["invented"]) for r in rows),
               "minutes_max": max(r["minutes"] for r in rows), "model": records[0].model, "reports": rows}
    (args.out / "score.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"ALL  areas {total['areas_hit']}/{total['areas']}  targets {total['targets_hit']}/{total['targets']}  "
          f"misfiled {summary['misfiled']}  invented {summary['invented']}  max {summary['minutes_max']:.2f} min "
          f"per report  model {records[0].model}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
