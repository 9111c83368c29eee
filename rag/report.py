"""Eval reports: a terminal table, a self-contained HTML page (inline SVG plots), run comparison."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from rag import metrics as m
from rag.durable import write_text_atomic
from rag.types import EvalRecord

WORST_ITEMS = 15
_COLOURS = {"hybrid": "#1f77b4", "bm25": "#ff7f0e", "dense": "#2ca02c"}


def flatten(metrics: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Numeric leaves as dotted keys (lists and latency counts left out)."""
    out: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and not name.endswith(".n"):
            out[name] = value
    return out


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def print_metrics(metrics: dict[str, Any], console: Console) -> None:
    table = Table(title=f"rag eval · {metrics.get('mode')} · {metrics.get('items')} items", show_lines=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in flatten({k: v for k, v in metrics.items() if k != "latency_s"}).items():
        table.add_row(key, _fmt(value))
    for stage, stats in metrics.get("latency_s", {}).items():
        table.add_row(f"latency {stage} p50 / p95 (s)", f"{_fmt(stats['p50'])} / {_fmt(stats['p95'])}")
    console.print(table)


def compare(a: Path, b: Path) -> tuple[str, str, list[tuple[str, float | None, float | None]]]:
    """Rows (metric, A, B) of two runs, given their OUT dirs or metrics.json files."""
    def load(path: Path) -> dict[str, Any]:
        file = path / "metrics.json" if path.is_dir() else path
        if not file.is_file():
            raise FileNotFoundError(f"{path}: no metrics.json (is it an eval --out directory?)")
        return dict(json.loads(file.read_text(encoding="utf-8")))

    fa, fb = flatten(load(a)), flatten(load(b))
    keys = list(dict.fromkeys([*fa, *fb]))
    name_a, name_b = a.name or str(a), b.name or str(b)
    if name_a == name_b:
        name_a, name_b = str(a), str(b)
    return name_a, name_b, [(k, fa.get(k), fb.get(k)) for k in keys]


def print_compare(a: Path, b: Path, console: Console) -> None:
    name_a, name_b, rows = compare(a, b)
    table = Table(title="rag eval compare")
    for col in ("metric", name_a, name_b, "delta"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for key, va, vb in rows:
        delta = "" if va is None or vb is None else f"{vb - va:+.3f}"
        table.add_row(key, _fmt(va), _fmt(vb), delta)
    console.print(table)


# --- HTML ---------------------------------------------------------------------------------------

def _svg_lines(series: dict[str, list[float]], title: str, width: int = 420, height: int = 240) -> str:
    pad = 40
    n = max((len(v) for v in series.values()), default=0)
    if n < 2:
        return ""
    parts = [f'<svg width="{width}" height="{height}" role="img" aria-label="{html.escape(title)}">',
             f'<text x="{width / 2}" y="16" text-anchor="middle">{html.escape(title)}</text>',
             f'<line x1="{pad}" y1="{height - pad}" x2="{width - 10}" y2="{height - pad}" stroke="#888"/>',
             f'<line x1="{pad}" y1="30" x2="{pad}" y2="{height - pad}" stroke="#888"/>']
    def xy(i: int, v: float) -> tuple[float, float]:
        return pad + i * (width - pad - 20) / (n - 1), height - pad - v * (height - pad - 30)
    for tick in (0.0, 0.5, 1.0):
        _, y = xy(0, tick)
        parts.append(f'<text x="{pad - 6}" y="{y + 4}" text-anchor="end" font-size="11">{tick:.1f}</text>')
    for i in range(n):
        x, _ = xy(i, 0)
        parts.append(f'<text x="{x}" y="{height - pad + 16}" text-anchor="middle" font-size="11">{i + 1}</text>')
    for j, (name, values) in enumerate(series.items()):
        colour = _COLOURS.get(name, "#555")
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(values)))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        parts.append(f'<text x="{width - 90}" y="{height - pad - 12 - 14 * j}" fill="{colour}" font-size="12">'
                     f'{html.escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _svg_histogram(values: list[float], title: str, bins: int = 20, width: int = 420, height: int = 240) -> str:
    if not values:
        return ""
    pad = 40
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(int((v - lo) / span * bins), bins - 1)] += 1
    top = max(counts)
    bar_w = (width - pad - 10) / bins
    parts = [f'<svg width="{width}" height="{height}" role="img" aria-label="{html.escape(title)}">',
             f'<text x="{width / 2}" y="16" text-anchor="middle">{html.escape(title)}</text>']
    for i, c in enumerate(counts):
        h = c / top * (height - pad - 30)
        parts.append(f'<rect x="{pad + i * bar_w:.1f}" y="{height - pad - h:.1f}" width="{bar_w - 1:.1f}" '
                     f'height="{h:.1f}" fill="#1f77b4"><title>{c}</title></rect>')
    parts.append(f'<text x="{pad}" y="{height - pad + 16}" font-size="11">{lo:.2f}s</text>')
    parts.append(f'<text x="{width - 10}" y="{height - pad + 16}" text-anchor="end" font-size="11">{hi:.2f}s</text>')
    parts.append(f'<text x="{pad - 6}" y="34" text-anchor="end" font-size="11">{top}</text></svg>')
    return "".join(parts)


def _worst(records: list[EvalRecord]) -> list[EvalRecord]:
    mode = records[0].mode if records else None
    if mode == "summary":
        return sorted(records, key=lambda r: m.rouge_l(r.summary, r.reference))[:WORST_ITEMS]
    if mode == "answer":
        def badness(r: EvalRecord) -> tuple[int, float]:
            ok = m.item_correct(r)
            return (0 if ok is False else 1 if ok is None else 2,
                    m.gold_recall(m.answer_prose(r), r.gold_answer) if r.gold_answer else 1.0)
        return sorted(records, key=badness)[:WORST_ITEMS]
    def rank(r: EvalRecord) -> int:
        found = m.first_gold_rank([h.source for h in r.retrieved], r.sources)
        return -(found or 99)
    return sorted((r for r in records if r.sources), key=rank)[:WORST_ITEMS]


def _item_html(r: EvalRecord) -> str:
    e = html.escape
    rows = []
    if r.mode == "summary":
        rows += [("title", r.title), ("reference", r.reference), ("summary", r.summary),
                 ("rouge-L", f"{m.rouge_l(r.summary, r.reference):.3f}")]
    else:
        rows += [("question", r.question), ("gold", r.gold_answer),
                 ("must include", "、".join(r.must_include)), ("gold sources", ", ".join(r.sources))]
        if r.mode == "answer":
            rows += [("answer", r.answer), ("refused", str(r.refused)), ("verification", str(r.verification))]
        rows.append(("retrieved", " · ".join(f"{h.rank}. {h.source}" for h in r.retrieved[:5])))
        for c in r.citations:
            rows.append((f"[{c.n}] {c.source}", c.text[:400]))
    if r.error is not None:
        rows.append(("error", r.error))
    body = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows)
    return f'<details><summary>{e(r.id)} ({e(r.type)})</summary><table class="item">{body}</table></details>'


def write_html(path: Path, metrics: dict[str, Any], records: list[EvalRecord], config: dict[str, Any]) -> None:
    e = html.escape
    flat = flatten({k: v for k, v in metrics.items() if k not in ("latency_s", "by_type")})
    metric_rows = "".join(f"<tr><td>{e(k)}</td><td>{_fmt(v)}</td></tr>" for k, v in flat.items())
    latency_rows = "".join(f"<tr><td>{e(s)}</td><td>{_fmt(v['p50'])}</td><td>{_fmt(v['p95'])}</td><td>{v['n']}</td></tr>"
                           for s, v in metrics.get("latency_s", {}).items())
    type_rows = "".join(f"<tr><td>{e(t)}</td><td>{v['n']}</td><td>{_fmt(v['correct'])}</td><td>{_fmt(v['refused'])}</td></tr>"
                        for t, v in metrics.get("by_type", {}).items())
    curves = {name: r["recall_curve"] for name, r in metrics.get("retrieval", {}).items() if "recall_curve" in r}
    plots = _svg_lines(curves, "Recall@k by source") + _svg_histogram(
        [r.timings["total"] for r in records if "total" in r.timings], "Latency per item (s)")
    worst = "".join(_item_html(r) for r in _worst(records))
    page = f"""<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>rag eval report</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}}
table.item th{{width:140px;background:#f6f6f6}}details{{margin:.4em 0}}svg{{margin:0 1em 1em 0;border:1px solid #eee}}</style>
</head><body><h1>rag eval report</h1>
<p>{e(config.get('set_path', ''))} · mode {e(str(metrics.get('mode')))} · {metrics.get('items')} items ·
model {e(str(config.get('model', '')))} · store {e(str(config.get('store_identity', ''))[:12])}</p>
<h2>Metrics</h2><table><tr><th>metric</th><th>value</th></tr>{metric_rows}</table>
{'<h2>By type</h2><table><tr><th>type</th><th>n</th><th>correct</th><th>refused</th></tr>' + type_rows + '</table>' if type_rows else ''}
<h2>Latency (s)</h2><table><tr><th>stage</th><th>p50</th><th>p95</th><th>n</th></tr>{latency_rows}</table>
<h2>Plots</h2>{plots}
<h2>Worst items</h2>{worst}
</body></html>"""
    write_text_atomic(path, page)
