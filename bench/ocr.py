"""OCR and table benchmarks on generated documents (issue 18), printing numbers.

    python -m bench.ocr cer [--pages 24]          # character error rate and pages/s on scan-like pages
    python -m bench.ocr retrieval --out W         # dev.jsonl Recall@5 on scanned copies vs the text originals
    python -m bench.ocr tables --out W [--answers] # table questions: Recall@5 (and the 1.5B's answers)

Pages are drawn from the seed documents and the provincial 2025 reports (the text as cleaned, so
the drawn text is the ground truth), with a rotation of up to 2.5 degrees, grey noise, and a stamp
on every third page. CER = Levenshtein distance / ground-truth length, both NFKC-normalized with
whitespace removed (OCR writes ASCII commas for "，", which is no error a reader sees).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

from bench.scans import image_pdf, render_page
from rag.normalize import clean_text

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "sample_corpus"
PROVINCIAL = ROOT.parent / "shared" / "corpus" / "provincial_2025_docx"
PAGE_CHARS = 1100  # what one render_page holds at the default size, with paragraph indents


def levenshtein(a: str, b: str) -> int:
    import numpy as np

    if not a or not b:
        return max(len(a), len(b))
    codes_b = np.array([ord(c) for c in b])
    prev = np.arange(len(b) + 1)
    for i, ca in enumerate(a, 1):
        cur = np.empty_like(prev)
        cur[0] = i
        sub = prev[:-1] + (codes_b != ord(ca))
        ins_del = np.minimum(prev[1:] + 1, sub)
        # left-to-right insertions: cur[j] = min(ins_del[j-1], cur[j-1] + 1), done as a running minimum
        cur[1:] = np.minimum.accumulate(ins_del - np.arange(1, len(b) + 1)) + np.arange(1, len(b) + 1)
        cur[1:] = np.minimum(cur[1:], i + np.arange(1, len(b) + 1))
        prev = cur
    return int(prev[-1])


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def paginate(paragraphs: list[str], chars: int = PAGE_CHARS) -> list[list[str]]:
    pages: list[list[str]] = [[]]
    room = chars
    for para in paragraphs:
        while para:
            piece, para = para[:room], para[room:]
            pages[-1].append(piece)
            room -= len(piece) + 40  # a paragraph's last line is a whole line
            if room <= 40:
                pages.append([])
                room = chars
    return [p for p in pages if p]


def _script(text: str) -> str:
    from rag.normalize import to_simplified

    return "sc" if to_simplified(text) == text else "tc"


def source_pages(limit: int) -> list[tuple[str, list[str]]]:
    """(label, paragraphs) of pages: every seed, then provincial reports, until ``limit`` pages."""
    from rag.load import Document, load_file

    out: list[tuple[str, list[str]]] = []
    files = sorted(SEEDS.iterdir()) + sorted(PROVINCIAL.glob("*.docx"))
    for path in files:
        docs = [d for d in load_file(path) if isinstance(d, Document)]
        if not docs:
            continue
        paragraphs = [p for p in clean_text(docs[0].text).splitlines() if p.strip()]
        for n, page in enumerate(paginate(paragraphs)[:4], 1):
            out.append((f"{path.name} p{n}", page))
            if len(out) >= limit:
                return out
    return out


def misread_figures(truth: str, got: str) -> tuple[int, list[str]]:
    """How many figures the ground truth states, and those the OCR text does not hold as the same
    value ("27.9万人" read as "279万人" is a misread a reader cannot see)."""
    from collections import Counter

    from rag.figures import figures_in

    def values(text: str) -> Counter[tuple[str, float, float, str]]:
        return Counter((f.kind, f.low, f.high, f.unit) for f in figures_in(text, already_compact=True)
                       if f.kind != "year")

    want, have = values(truth), values(got)
    lost = [f"{low:g}{unit}" for (_, low, _, unit), n in (want - have).items() for _ in range(n)]
    return sum(want.values()), lost


def degrade(n: int) -> dict[str, Any]:
    return {"rotate": ((n * 7) % 11 - 5) / 2.0, "noise": 10 + (n * 13) % 20, "stamp": n % 3 == 0, "seed": n}


def cer(args: argparse.Namespace) -> int:
    from rag.ocr import ocr_image

    rows = []
    total_s = 0.0
    figures: tuple[list[int], list[str]] = ([0], [])
    for n, (label, paragraphs) in enumerate(source_pages(args.pages)):
        import numpy as np

        image = render_page(paragraphs, script=_script("".join(paragraphs)), **degrade(n))
        t0 = time.perf_counter()
        got = ocr_image(np.asarray(image))
        seconds = time.perf_counter() - t0
        total_s += seconds
        truth = _norm("".join(paragraphs))
        rate = levenshtein(truth, _norm(got)) / max(1, len(truth))
        wanted, lost = misread_figures(truth, _norm(got))
        figures[0][0] += wanted
        figures[1].extend(lost)
        rows.append((label, len(truth), rate, seconds, degrade(n), _script("".join(paragraphs))))
        print(f"{label:42s} {len(truth):5d} chars  CER {rate:.4f}  {seconds:5.1f} s  {degrade(n)}"
              + (f"  figures misread: {', '.join(lost)}" if lost else ""), flush=True)
    chars = sum(r[1] for r in rows)
    pooled = sum(r[1] * r[2] for r in rows) / chars
    print(f"\npages {len(rows)}, characters {chars}: CER pooled {pooled:.4f}, per page median "
          f"{statistics.median(r[2] for r in rows):.4f}, worst {max(r[2] for r in rows):.4f}; "
          f"{len(rows) / total_s:.3f} pages/s ({total_s / len(rows):.1f} s per page)")
    print(f"  figures (a number with its unit) in the ground truth: {figures[0][0]}; not read exactly: "
          f"{len(figures[1])} ({len(figures[1]) / max(1, figures[0][0]):.2%})")
    for name, subset in (("simplified", [r for r in rows if r[5] == "sc"]), ("traditional", [r for r in rows if r[5] == "tc"]),
                         ("simplified, no stamp", [r for r in rows if r[5] == "sc" and not r[4]["stamp"]]),
                         ("simplified, stamped", [r for r in rows if r[5] == "sc" and r[4]["stamp"]])):
        n = sum(r[1] for r in subset)
        if n:
            print(f"  {name:22s} {len(subset):2d} pages  CER pooled {sum(r[1] * r[2] for r in subset) / n:.4f}")
    return 0


def _eval_retrieval(store: Path, set_path: Path, out: Path) -> dict[str, Any]:
    from rag.app import App
    from rag.evaluate import EvalPipeline, run_eval
    from rag.settings import load_settings

    app = App(load_settings(overrides={"store": str(store)}))
    records = run_eval(EvalPipeline.from_app(app, "retrieval"), set_path, "retrieval", out, fresh=True)
    from rag.evalmetrics import compute_metrics

    return dict(compute_metrics(records)["retrieval"]["hybrid"])


def _ingest(folder: Path, store: Path) -> float:
    from rag.app import App
    from rag.ingest import ingest
    from rag.settings import load_settings

    app = App(load_settings(overrides={"store": str(store)}))
    t0 = time.perf_counter()
    with app.writer() as writer:
        report = ingest([folder], writer, app.settings, app.encoder)
    if report.failures:
        raise SystemExit(f"ingest failures: {report.failures}")
    return time.perf_counter() - t0


def retrieval(args: argparse.Namespace) -> int:
    out: Path = args.out
    shutil.rmtree(out, ignore_errors=True)
    (out / "scans").mkdir(parents=True)
    from rag.load import Document, load_file

    pages = 0
    for path in sorted(SEEDS.iterdir()):
        doc = next(d for d in load_file(path) if isinstance(d, Document))
        paragraphs = [p for p in doc.text.splitlines() if p.strip()]
        images = [render_page(page, script=_script(doc.text), **degrade(i)) for i, page in enumerate(paginate(paragraphs))]
        pages += len(images)
        (out / "scans" / f"{path.stem}.pdf").write_bytes(image_pdf(images))
    seconds = _ingest(out / "scans", out / "store_scans")
    _ingest(SEEDS, out / "store_text")
    dev = [json.loads(line) for line in (ROOT / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines() if line]
    for item in dev:
        item["sources"] = [s.rsplit(".", 1)[0] + ".pdf" for s in item.get("sources", [])]
    (out / "dev_scans.jsonl").write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in dev), "utf-8")
    text = _eval_retrieval(out / "store_text", ROOT / "eval" / "dev.jsonl", out / "run_text")
    scans = _eval_retrieval(out / "store_scans", out / "dev_scans.jsonl", out / "run_scans")
    print(f"scanned copies of the 4 seeds: {pages} image-only pages, ingest (OCR + embedding) {seconds:.0f} s "
          f"({pages / seconds:.3f} pages/s)")
    for name, m in (("text originals", text), ("scanned copies", scans)):
        print(f"{name:15s} n={m['n']}  Recall@1 {m['recall@1']:.3f}  Recall@5 {m['recall@5']:.3f}  "
              f"MRR@10 {m['mrr@10']:.3f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("cer")
    p.add_argument("--pages", type=int, default=24)
    p = sub.add_parser("retrieval")
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("tables")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--answers", action="store_true")
    args = parser.parse_args(argv)
    if args.cmd == "tables":
        from bench.tables import run

        return run(args.out, args.answers)
    return {"cer": cer, "retrieval": retrieval}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
