"""Wrong answers nobody wrote beforehand: gold answers, and mutations of them made by code, fed
through the whole answer path (real retrieval, a scripted model, the checker).

    python -m bench.verify_mutations --set eval/dev.jsonl --store S [--set ../shared/eval/ncp_dev.jsonl --store N]

For each answerable item with a gold answer, the scripted model answers with the gold answer, cited
to the prompt passage that holds most of its ``must_include`` strings; then with each mutation that
applies to it: a digit changed, a decimal cut, 万/亿 swapped, the unit changed, the figure swapped for
another figure of the passage, the place or person swapped, the claim negated, the question asked for another
year. Prints, per kind: how many were caught (refused, or the changed sentence marked or dropped),
and for the gold answers how many were marked (false alarms), and the checker's time per answer.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from rag.claims import persons_in
from rag.figures import figures_in
from rag.llm import LLM, Message
from rag.normalize import compact

_PLACES = {"龙岗": "福田", "罗湖": "宝安", "浙江": "江苏", "北京": "上海", "上海": "北京", "湖北": "湖南", "武汉": "长沙",
           "广东": "广西", "深圳": "广州", "天津": "重庆", "山东": "山西"}
_VERBS = re.compile("(完成|达到|实现|召开|建成|开展|覆盖|签订|出台|发放|组织)")


class Scripted(LLM):
    name = "scripted"
    n_ctx = 4096

    def __init__(self, answer: str, needles: list[str]) -> None:
        self.answer, self.needles = answer, needles
        self.in_prompt = False

    def count_tokens(self, text: str) -> int:
        return len(text)

    def stream(self, messages: list[Message], max_tokens: int, temperature: float = 0.0,
               json_schema: dict[str, Any] | None = None) -> Any:
        parts = re.split(r"(?m)^\[(\d+)\][ \n]", messages[-1]["content"])
        passages = {int(n): compact(t) for n, t in zip(parts[1::2], parts[2::2], strict=True)}
        best = max(passages, key=lambda n: sum(compact(x) in passages[n] for x in self.needles), default=1)
        self.in_prompt = bool(passages) and all(compact(x) in passages[best] for x in self.needles)
        yield re.sub(r"([。！？]?)$", lambda m: f"[{best}]" + (m.group(1) or "。"), self.answer.strip(), count=1)


def mutations(question: str, answer: str) -> list[tuple[str, str, str]]:
    """(kind, question, wrong answer) for each mutation that applies to the gold answer."""
    out: list[tuple[str, str, str]] = []
    figs = [f for f in figures_in(answer) if f.kind in ("number", "percent") and f.text[0].isdigit()]
    text = compact(answer)
    if figs:
        f = figs[0]
        digits = re.search(r"\d(?=\D*$)", f.text)
        if digits:
            d = digits.start()
            changed = f.text[:d] + str((int(f.text[d]) + 1) % 10) + f.text[d + 1:]
            out.append(("digit", question, text[:f.start] + changed + text[f.end:]))
        if "." in f.text:
            out.append(("truncate", question, text[:f.start] + re.sub(r"\.\d+", "", f.text) + text[f.end:]))
        swapped = f.text.replace("万", "\0").replace("亿", "万").replace("\0", "亿")
        if swapped == f.text:
            swapped = re.sub(r"(\d)(?=\D*$)", r"\1万", f.text, count=1)
        out.append(("magnitude", question, text[:f.start] + swapped + text[f.end:]))
        unit = "万人" if f.kind == "percent" else "%"
        bare = re.sub(r"[^\d.]+$", "", f.text)
        out.append(("unit", question, text[:f.start] + bare + unit + text[f.end:]))
    for a, b in _PLACES.items():
        if a in text:
            out.append(("place", question, text.replace(a, b)))
            break
    for person in persons_in(text):
        out.append(("person", question, text.replace(person, "张建国" if person != "张建国" else "李建国")))
        break
    m = _VERBS.search(text)
    if m:
        out.append(("negate", question, text[:m.start()] + "未" + text[m.start():]))
    year = re.search(r"(?:19|20)\d{2}(?=年)", question)
    if year and figs:
        shifted = str(int(year.group(0)) - 1)
        out.append(("year", question.replace(year.group(0), shifted), text.replace(year.group(0), shifted)))
    return out


def swap_mutation(question: str, answer: str, passage: str) -> tuple[str, str, str] | None:
    """The answer's figure replaced by another figure of the same passage with a compatible unit."""
    figs = [f for f in figures_in(answer) if f.kind in ("number", "percent") and f.text[0].isdigit()]
    if not figs:
        return None
    f = figs[0]
    for other in figures_in(passage):
        if other.same_metric_kind(f) and not f.matches(other) and other.text not in answer:
            text = compact(answer)
            return "swap", question, text[:f.start] + other.text + text[f.end:]
    return None


def run(app: Any, items: list[dict[str, Any]], tally: Counter[str], times: list[float],
        samples: list[str], relevance: list[tuple[float, str]]) -> None:
    from rag.answer import answer_question
    from rag.verify import MARK, split_answer, strip_citations

    def ask(question: str, answer: str, needles: list[str]) -> Any:
        app.use_llm(Scripted(answer, needles))
        t0 = time.perf_counter()
        r = answer_question(question, app.retriever, app.llm, app.settings)
        if "generate" in r.timings:
            times.append((time.perf_counter() - t0 - r.timings["generate"] - r.timings["retrieve"]) * 1000)
        return r

    for item in items:
        if item.get("type") == "unanswerable" or not item.get("answer") or not item.get("must_include"):
            continue
        needles: list[str] = item["must_include"]
        gold = ask(item["question"], item["answer"], needles)
        if not app.llm.in_prompt:
            tally["gold_not_in_prompt"] += 1  # retrieval missed it: a refusal is right, not a false alarm
            continue
        marked = gold.refused or MARK in gold.answer
        if gold.relevance is not None:
            relevance.append((gold.relevance, item["id"]))
        tally["gold"] += 1
        tally["gold_marked"] += marked
        if marked:
            samples.append(f"FALSE ALARM {item['id']}: {gold.answer} | {gold.warnings[-1:]}")
        cited = gold.citations()
        cases = mutations(item["question"], item["answer"])
        if cited and (swap := swap_mutation(item["question"], item["answer"], cited[0]["text"])):
            cases.append(swap)
        gold_sentences = {compact(x) for x in split_answer(item["answer"])}
        for kind, question, wrong in cases:
            r = ask(question, wrong, needles)
            changed = {compact(x) for x in split_answer(wrong)} - gold_sentences
            shown = [compact(strip_citations(s.text)) for s in (r.verification.sentences if r.verification else [])
                     if s.status in ("verified", "corrected")]
            caught = r.refused or not any(c.rstrip("。；") == x.rstrip("。；") for c in changed for x in shown)
            tally[kind] += 1
            tally[f"{kind}_caught"] += caught
            if not caught:
                samples.append(f"MISSED {kind} {item['id']}: {r.answer}")


def half_of(item_id: str) -> str:
    return "tune" if hashlib.sha256(item_id.encode()).digest()[0] % 2 == 0 else "report"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", dest="sets", type=Path, action="append", required=True)
    parser.add_argument("--store", dest="stores", type=Path, action="append", required=True)
    parser.add_argument("--half", choices=("tune", "report", "all"), default="all",
                        help="items by a fixed hash of their id: the checker's thresholds were tuned on "
                             "'tune' only; report on 'report'")
    args = parser.parse_args(argv)
    from rag.app import App
    from rag.settings import load_settings

    tally: Counter[str] = Counter()
    times: list[float] = []
    samples: list[str] = []
    relevance: list[tuple[float, str]] = []
    for set_path, store in zip(args.sets, args.stores, strict=True):
        app = App(load_settings(overrides={"store": str(store)}))
        items = [json.loads(line) for line in set_path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if args.half != "all":
            items = [it for it in items if (half_of(it["id"]) == "tune") == (args.half == "tune")]
        run(app, items, tally, times, samples, relevance)
    kinds = sorted({k for k in tally if not k.endswith("_caught") and not k.startswith("gold")})
    for kind in kinds:
        print(f"{kind:10s} caught {tally[kind + '_caught']:3d}/{tally[kind]:3d}")
    wrong = sum(tally[k] for k in kinds)
    caught = sum(tally[k + "_caught"] for k in kinds)
    print(f"{'all wrong':10s} caught {caught:3d}/{wrong:3d} = {caught / max(wrong, 1):.3f}")
    print(f"{'gold':10s} marked {tally['gold_marked']:3d}/{tally['gold']:3d} = "
          f"{tally['gold_marked'] / max(tally['gold'], 1):.3f} (false alarms; {tally['gold_not_in_prompt']} more "
          "gold answers were not in any prompt passage and are not counted)")
    if times:
        print(f"checker time per answer: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms")
    if relevance:
        relevance.sort()
        low = ", ".join(f"{v:.2f} {i}" for v, i in relevance[:5])
        print(f"gold answers' relevance (answer.answer_relevance): median {statistics.median(v for v, _ in relevance):.2f};"
              f" lowest {low}")
    for line in samples:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
