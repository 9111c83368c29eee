"""Time to first token: this pipeline against a Chatchat-style prompt, one model, one process, the
same questions, each lever of the prompt added one at a time.

    python -m bench.ttft --store S [--set eval/dev.jsonl] [--limit 8] [--model default]
    python -m bench.ttft --store S --count-only [--set ../shared/eval/ncp_dev.jsonl --half tune]

Every variant is timed as a one-shot ``rag ask`` would run: the model's in-memory KV cache is
dropped before each question, so only the prefix cache on disk (if the variant has it) is reused.
Retrieval is the same for all (our hybrid search, warm), so the differences are the prompt's:

- chatchat: the top 3 passages widened to 750 characters of their document, Chatchat's
  knowledge-base template as one user message, no system prompt;
- before: whole passages, the title and 文号 on every passage, no prefix cache (this tool before
  issue 15's prompt work);
- +cache: the fixed prefix (system prompt, worked example) loaded from disk;
- +heading: the title and 文号 once per document;
- +cut: + each passage cut to its sentences that matter (1000 characters, each chosen sentence with
  the one after it);
- +floor: + passages far from the question left out (``generation.passage_floor``);
- 700/120: 700 characters (``generation.context_chars``), no sentence kept only for being next to a
  chosen one (``generation.context_neighbours`` 0), sentences over 120 characters cut after a comma
  (``generation.context_piece_chars``), plain greedy decoding (the defaults of 7 Dec);
- nolookup: 600 characters, sentences over 80 characters cut, plain greedy decoding;
- now: the defaults: the same, written with prompt-lookup drafts (``generation.prompt_lookup``,
  :mod:`rag.lookup`; the same text, fewer decoding steps). The variants before it and the
  Chatchat-style one decode plainly.

Every variant reads its passages simplified, without pinyin or spaces between characters
(``prompting.prompt_form``).

``--count-only`` generates nothing: per variant it prints the prompt tokens the model must read and
how many gold ``must_include`` strings are still in the passages shown (the no-model check used to
choose ``context_chars`` on the tuning half).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHATCHAT_TEMPLATE = ("<指令>根据已知信息，简洁和专业的来回答问题。如果无法从中得到答案，请说 “根据已知信息无法回答该问题”，"
                     "不允许在答案中添加编造成分，答案请使用中文。 </指令>\n<已知信息>{context}</已知信息>\n<问题>{question}</问题>\n")
VARIANTS: dict[str, dict[str, Any]] = {
    "before": {"prefix_cache": False, "passage_heading": "passage", "context_chars": 0, "passage_floor": 0.0,
               "prompt_lookup": 0},
    "+cache": {"prefix_cache": True, "passage_heading": "passage", "context_chars": 0, "passage_floor": 0.0,
               "prompt_lookup": 0},
    "+heading": {"prefix_cache": True, "passage_heading": "document", "context_chars": 0, "passage_floor": 0.0,
                 "prompt_lookup": 0},
    "+cut": {"passage_floor": 0.0, "context_chars": 1000, "context_neighbours": 1, "context_piece_chars": 120,
             "prompt_lookup": 0},
    "+floor": {"context_chars": 1000, "context_neighbours": 1, "context_piece_chars": 120, "prompt_lookup": 0},
    "700/120": {"context_chars": 700, "context_piece_chars": 120, "prompt_lookup": 0},
    "nolookup": {"prompt_lookup": 0},
    "now": {},
}


def load_items(path: Path, half: str, limit: int) -> list[dict[str, Any]]:
    from bench.retrieval_levers import half_of

    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [i for i in items if i.get("type") != "unanswerable"]
    if half != "all":
        items = [i for i in items if i.get("sources") and half_of(i["sources"]) == half]
    return items[:limit] if limit else items


def chatchat_messages(question: str, hits: list[Any], store: Any) -> list[dict[str, str]]:
    parts = []
    for h in hits[:3]:
        text = store.document_text(h.chunk.doc_id) or h.chunk.text
        start = max(text.find(h.chunk.text[:40]), 0)
        parts.append(text[start:start + 750])
    return [{"role": "user", "content": CHATCHAT_TEMPLATE.format(context="\n".join(parts), question=question)}]


def settings_for(base: Any, variant: str) -> Any:
    changes = {k: v for k, v in VARIANTS.get(variant, {}).items() if k != "prefix_cache"}
    return base.model_copy(update={"generation": base.generation.model_copy(update=changes)})


def count_only(app: Any, items: list[dict[str, Any]]) -> None:
    from rag.answer import asked_places, asked_years, question_terms, shown_passages
    from rag.metrics import contains_all, gold_recall
    from rag.prompting import build_qa_prompt, prompt_passages
    from rag.quotes import sentence_score

    llm = app.llm
    fixed = None
    for variant in VARIANTS:
        s = settings_for(app.settings, variant)
        tokens, kept, gradable, recall = [], 0, 0, []
        for item in items:
            result = app.retriever.search(item["question"])
            terms = question_terms(app.retriever, result.query_tokens)
            score = sentence_score(terms, item["question"])
            hits = shown_passages(terms, result.hits, s.generation.passage_floor, asked_places(item["question"]),
                                  asked_years(item["question"]))
            built = build_qa_prompt(item["question"], prompt_passages(hits, score, s.generation),
                                    llm.count_tokens, llm.n_ctx - s.generation.max_tokens - 32)
            if fixed is None:
                fixed = _prefix_tokens(llm, built.messages)
            cache = VARIANTS[variant].get("prefix_cache", True)
            tokens.append(built.tokens - (fixed if cache else 0))
            recall.append(gold_recall("\n".join(p.text for p in built.passages), item.get("answer", "")))
            if item.get("must_include"):
                gradable += 1
                kept += contains_all("\n".join(p.text for p in built.passages), item["must_include"])
        print(f"{variant:9s} prompt tokens read p50 {statistics.median(tokens):.0f} mean {statistics.mean(tokens):.0f}; "
              f"gold strings still shown {kept}/{gradable}; gold answer's words shown {statistics.mean(recall):.3f}")
    tokens = [llm.count_tokens(chatchat_messages(i["question"], app.retriever.search(i["question"]).hits,
                                                 app.store)[0]["content"]) for i in items]
    print(f"chatchat  prompt tokens read p50 {statistics.median(tokens):.0f} mean {statistics.mean(tokens):.0f}")


def _prefix_tokens(llm: Any, messages: list[dict[str, str]]) -> int:
    return llm.fixed_prefix(messages)[1] if hasattr(llm, "fixed_prefix") else 0


def timed(app: Any, items: list[dict[str, Any]], variants: list[str]) -> None:
    from rag.answer import answer_question
    from rag.kvcache import PrefixCache
    from rag.metrics import contains_all

    llm = app.llm
    cache = PrefixCache(app.settings.home / "cache" / "kv", llm.path, llm.n_ctx)
    rows: dict[str, list[tuple[float, float, bool]]] = {v: [] for v in variants}
    answers: dict[str, list[str]] = {v: [] for v in variants}
    llm.prefix_cache = cache  # the prefix state on disk before timing, as after a first `rag ask`
    llm.complete([{"role": "system", "content": "预热"}, {"role": "user", "content": "你好"}], 1)
    answer_question(items[0]["question"], app.retriever, llm, app.settings.model_copy(
        update={"generation": app.settings.generation.model_copy(update={"max_tokens": 16})}))
    for qi, item in enumerate(items):
        order = variants if qi % 2 == 0 else list(reversed(variants))  # neither side always goes first
        for variant in order:
            llm.llama.reset()
            t0 = time.perf_counter()
            llm.prompt_lookup = 0 if variant == "chatchat" else settings_for(app.settings, variant).generation.prompt_lookup
            if variant == "chatchat":
                hits = app.retriever.search(item["question"], k=3).hits
                llm.prefix_cache = None
                first, pieces = 0.0, []
                for piece in llm.stream(chatchat_messages(item["question"], hits, app.store),
                                        app.settings.generation.max_tokens):
                    first = first or time.perf_counter() - t0
                    pieces.append(piece)
                answer, total = "".join(pieces), time.perf_counter() - t0
            else:
                llm.prefix_cache = cache if VARIANTS[variant].get("prefix_cache", True) else None
                r = answer_question(item["question"], app.retriever, llm, settings_for(app.settings, variant))
                answer, first, total = r.answer, r.timings.get("first_token", r.timings["total"]), r.timings["total"]
            right = bool(item.get("must_include")) and contains_all(answer, item["must_include"])
            rows[variant].append((first, total, right))
            answers[variant].append(answer)
            print(f"{item['id']:10s} {variant:9s} first token {first:6.1f} s  total {total:6.1f} s  "
                  f"{'right' if right else '-'}", flush=True)
    base = statistics.median(r[0] for r in rows["chatchat"]) if rows.get("chatchat") else None
    print(f"\n{len(items)} questions, model {llm.name}, {llm.threads} threads")
    for variant, row in rows.items():
        p50 = statistics.median(x[0] for x in row)
        firsts = sorted(x[0] for x in row)
        ratio = f"  ratio to chatchat {p50 / base:.2f}" if base else ""
        print(f"{variant:9s} TTFT p50 {p50:6.1f} s  p95 {firsts[int(0.95 * (len(firsts) - 1))]:6.1f} s  "
              f"total p50 {statistics.median(x[1] for x in row):6.1f} s  must_include "
              f"{sum(x[2] for x in row)}/{len(row)}{ratio}")
    if "nolookup" in answers:  # drafts must not change the text
        for variant in answers:
            if variant == "now" or variant.startswith("lookup="):
                same = sum(a == b for a, b in zip(answers[variant], answers["nolookup"], strict=True))
                print(f"{variant:9s} answer text identical to nolookup's: {same}/{len(items)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--set", type=Path, default=ROOT / "eval" / "dev.jsonl")
    parser.add_argument("--half", choices=["all", "tune", "report"], default="all")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--model", default="default")
    parser.add_argument("--variants", default="chatchat,before,+cache,+heading,+cut,+floor,now")
    parser.add_argument("--count-only", action="store_true")
    parser.add_argument("--sweep", default="", help="with --count-only: context_chars values to try, e.g. 150,200,300")
    parser.add_argument("--lookup", default="", help="prompt-lookup draft sizes to time as variants, e.g. 4,8,16")
    args = parser.parse_args(argv)
    for n in filter(None, args.sweep.split(",")):
        VARIANTS[f"chars={n}"] = {"context_chars": int(n)}
    for n in filter(None, args.lookup.split(",")):
        VARIANTS[f"lookup={n}"] = {"prompt_lookup": int(n)}
        args.variants += f",lookup={n}"
    from rag.app import App
    from rag.settings import load_settings

    app = App(load_settings(overrides={"store": str(args.store)}))
    app.use_llm(args.model)
    app.retriever.search("预热", k=1)  # embedder and indexes loaded: retrieval is not what is compared
    items = load_items(args.set, args.half, args.limit)
    if args.count_only:
        count_only(app, items)
    else:
        timed(app, items, [v for v in args.variants.split(",") if v])
    return 0


if __name__ == "__main__":
    sys.exit(main())
