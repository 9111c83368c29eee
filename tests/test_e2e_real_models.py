"""End to end with the real packaged models: m3e-small embeddings and the Qwen2.5-Coder 0.5B GGUF.

These need scripts/setup.sh to have run (the README's test command does that first).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REAL_HOME, SEEDS

pytestmark = pytest.mark.slow
MODELS_DIR = REAL_HOME / "models"
SMALL = MODELS_DIR / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


@pytest.fixture(scope="module")
def real_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    if not SMALL.exists():
        pytest.fail(f"{SMALL} missing: run scripts/setup.sh first")
    home = tmp_path_factory.mktemp("real_home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_HOME=str(home), RAG_MODELS__DIR=str(MODELS_DIR), RAG_MODELS__CHAT="qwen2.5-coder-0.5b-instruct-q4_k_m",
               RAG_GENERATION__MAX_TOKENS="160")
    proc = rag(env, "ingest", str(SEEDS), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["added"] == 4
    return env


def rag(env: dict[str, str], *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_models_found_and_verified(real_env: dict[str, str]) -> None:
    env = dict(real_env, RAG_HOME=str(REAL_HOME))
    env.pop("RAG_MODELS__DIR")
    proc = rag(env, "models", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    for name in ("qwen2.5-coder-1.5b-instruct-q4_k_m", "qwen2.5-coder-0.5b-instruct-q4_k_m", "m3e-small"):
        assert rows[name]["found"] and rows[name]["sha256_ok"] is True


def test_search_traditional_by_simplified_with_real_embeddings(real_env: dict[str, str]) -> None:
    proc = rag(real_env, "search", "浙江产业工人队伍建设改革推进会在哪里召开", "--json", "-k", "3")
    assert proc.returncode == 0, proc.stderr
    hits = json.loads(proc.stdout)
    assert hits[0]["source"] == "003_480abb7d6411b3a0.txt"
    assert "傳化集團" in hits[0]["text"]
    dense = json.loads(rag(real_env, "search", "浙江产业工人队伍建设改革推进会在哪里召开", "--json", "--mode",
                           "dense").stdout)
    assert any(h["source"] == "003_480abb7d6411b3a0.txt" for h in dense[:3])


def test_cited_answer_from_real_small_model(real_env: dict[str, str]) -> None:
    proc = rag(real_env, "ask", "2019年龙岗区总工会全年完成了多少宗劳资纠纷调处工作？", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert not out["refused"], out
    assert "2346" in out["answer"]
    assert out["citations"], out
    assert any("2346" in c["text"] and c["source"] == "001_db1d55a4d02b970e.txt" for c in out["citations"])
    # every figure of a claim shown as checked is in its cited passages (the strict scorer, not the
    # checker's own matcher; years come from the document's title, which citations do not carry)
    from rag.metrics import strict_figure_counts

    cited = "".join(c["section"] + c["text"] for c in out["citations"])
    for s in out["verification"]["sentences"]:
        if s["status"] in ("verified", "corrected"):
            text = re.sub(r"(?:19|20)\d{2}年", "", s["text"])
            right, total = strict_figure_counts(text, cited)
            assert right == total, s


def test_question_vectors_in_numpy_match_the_packaged_embedder(tmp_path: Path) -> None:
    from rag.bert_numpy import NumpyBert
    from rag.encoders import SentenceTransformerEncoder
    from tests.conftest import ROOT, m3e_folder

    folder = m3e_folder()
    questions = [json.loads(line)["question"] for line in (ROOT / "eval" / "dev.jsonl").read_text().splitlines()]
    ours = NumpyBert.load(folder, tmp_path / "cache")
    assert ours is not None
    ref = SentenceTransformerEncoder(folder, precision="fp32").encode_queries(questions)
    cos = (ours.encode(questions) * ref).sum(axis=1)
    assert cos.min() > 0.99999, cos.min()


def test_prefix_state_read_once_then_loaded_by_the_next_process(real_env: dict[str, str]) -> None:
    import shutil

    kv = Path(real_env["RAG_HOME"]) / "cache" / "kv"
    shutil.rmtree(kv, ignore_errors=True)
    question = "2019年龙岗区签订了多少份集体合同？"
    first = json.loads(rag(real_env, "ask", question, "--json").stdout)
    second = json.loads(rag(real_env, "ask", question, "--json").stdout)
    assert (first["prefix"], second["prefix"]) == ("read", "disk")
    assert (second["answer"], second["verification"]) == (first["answer"], first["verification"])  # same state
    assert len(list(kv.glob("*.kv"))) == 1
    off = json.loads(rag(dict(real_env, RAG_GENERATION__PREFIX_CACHE="false"), "ask", question, "--json").stdout)
    assert off["prefix"] == ""


def test_yes_probability_reads_only_the_new_question_and_matches_a_fresh_read() -> None:
    """The yes/no question after an answer reuses the KV cache of prompt and reply: the probability
    must be the one a model that reads everything from scratch gives."""
    from rag.llm import LlamaCppLLM

    llm = LlamaCppLLM(SMALL, n_ctx=1024, threads=2)
    chat = [{"role": "system", "content": "只根据资料回答。"},
            {"role": "user", "content": "资料：[1] 2019年全年完成2346宗劳资纠纷调处工作。\n问题：2019年完成了多少宗劳资纠纷调处？"}]
    reply = llm.complete(chat, 24)
    assert "2346" in reply
    ask = [*chat, {"role": "assistant", "content": reply}, {"role": "user", "content": "资料是否回答了问题？只回答“是”或“否”。"}]
    cached_before = llm.llama.n_tokens
    reused = llm.yes_probability(ask)
    assert cached_before > 40  # the prompt and the reply were in the cache when the question came
    llm.llama.reset()
    fresh = llm.yes_probability(ask)
    assert reused is not None and fresh is not None and 0.0 < fresh < 1.0
    assert abs(reused - fresh) < 0.02, (reused, fresh)


def test_prompt_lookup_writes_what_plain_greedy_decoding_writes() -> None:
    """Drafts copied from the prompt are kept only where the model would have chosen them: the text
    is plain greedy decoding's, a list copied from the passage included, and the KV cache is left
    holding the tokens read (the next question reuses it)."""
    from rag.llm import LlamaCppLLM

    passage = ("大力推进会员卡办理工作，全年新办理会员服务卡13.3万张，完成信息采集50.3万条居全市第一。常态化开展“工伤探视”工作，"
               "累计探视受伤住院职工2800人次，慰问947人、心理疏导107人，发放慰问金47.35万元。")
    questions = ["2019年新办理了多少张会员服务卡？完成了多少条信息采集？", "“工伤探视”工作做了哪些事？请逐项列出。"]
    plain, lookup = LlamaCppLLM(SMALL, n_ctx=1024, threads=2), LlamaCppLLM(SMALL, n_ctx=1024, threads=2, prompt_lookup=8)
    for question in questions:
        chat = [{"role": "system", "content": "只根据资料回答，照抄资料原文。"},
                {"role": "user", "content": f"资料：[1] {passage}\n问题：{question}"}]
        expected = plain.complete(chat, 96)
        assert "万条" in expected  # copied from the passage (the 0.5B's list repeats one item)
        assert lookup.complete(chat, 96) == expected  # the second question reads the first one's cache
        prompt = lookup.prompt_tokens(chat)
        assert list(lookup.llama.input_ids[:len(prompt)]) == prompt and lookup.llama.n_tokens > len(prompt)


def test_refusal_for_unanswerable_with_real_model(real_env: dict[str, str]) -> None:
    proc = rag(real_env, "ask", "罗湖区总工会2022年的工会经费预算是多少？", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["refused"], out
    assert out["passages"]  # the closest passages are still listed


def test_repl_in_a_pseudo_terminal(real_env: dict[str, str], tmp_path: Path) -> None:
    import pexpect

    # no cursor-position request: on a busy machine prompt_toolkit's wait for its reply delayed reading
    # the question past the Ctrl-C below, which then discarded the unread line instead of the answer
    env = dict(real_env, RAG_GENERATION__MAX_TOKENS="400", PROMPT_TOOLKIT_NO_CPR="1")
    child = pexpect.spawn(sys.executable, ["-m", "rag.cli", "chat"], env=env, encoding="utf-8",
                          timeout=300, dimensions=(50, 160))
    try:
        child.expect("ready")
        child.expect("问>")
        child.sendline("/help")
        child.expect("/sources")
        child.expect("问>")
        # Ctrl-C while an answer is being worked on stops that answer, not the session
        child.sendline("2019年龙岗区签订了多少份集体合同，覆盖多少职工？")
        child.expect("覆盖多少职工")
        # the status line is drawn after the prompt has returned the line and given the terminal back
        # (a ^C typed while prompt_toolkit still holds it in raw mode is a keystroke, not SIGINT)
        child.expect("阅读资料")
        time.sleep(1)
        child.sendintr()
        child.expect(r"\(stopped\)")
        child.expect("问>")
        # ...and the next question is answered normally
        child.sendline("2019年龙岗区25-99人的企业建会率达到多少？")
        child.expect("资料摘句")  # the passages' own best sentences come before the model's answer
        child.expect("answer —")
        child.expect("74.4%")
        child.expect("问>")
        # a follow-up is searched as the full question; its passage's sentence is shown first, and the
        # answer gives the figure asked or is refused: the 0.5B copies the clause next to it (74.4%, the
        # 25-99人 figure) for this one, which the checker catches
        child.sendline("那百人以上企业呢？")
        child.expect("→ 2019年龙岗区百人以上企业建会率达到多少？")
        child.expect("资料摘句")
        child.expect("98.9%")
        shown = child.expect([r"answer — \w+", r"未找到答案"])
        child.expect("问>")
        if shown == 0:  # the answer's panel ends at its bottom border, before the sources table
            panel = (child.before or "").split("╰", 1)[0]
            assert "98.9%" in panel and "74.4%" not in panel, panel
        child.sendline("/sources")
        child.expect("001_db1d55a4d02b970e.txt")
        child.expect("问>")
        child.sendline(f"/save {tmp_path / 'chat.md'}")
        child.expect("saved")
        child.expect("问>")
        child.sendline("/k 3")
        child.expect("k = 3")
        child.expect("问>")
        child.sendline("/quit")
        child.expect("bye")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert (Path(real_env["RAG_HOME"]) / "chat_history").exists()
    saved = (tmp_path / "chat.md").read_text(encoding="utf-8")
    assert "## 问：那百人以上企业呢？" in saved and "74.4%" in saved and "\n> " in saved
    logged = json.loads(rag(real_env, "log", "--json", "-n", "2").stdout)
    assert [e["question"] for e in logged] == ["那百人以上企业呢？", "2019年龙岗区25-99人的企业建会率达到多少？"]


NETWORK_GUARD = '''
import socket

def _refuse(*args, **kwargs):
    raise OSError("network access blocked by the test's socket guard")

_connect = socket.socket.connect

def _guarded_connect(self, address):
    if self.family == socket.AF_UNIX:
        return _connect(self, address)
    _refuse()

socket.socket.connect = _guarded_connect
socket.socket.connect_ex = lambda self, address: _refuse()
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
'''


def test_ask_path_works_with_networking_blocked(real_env: dict[str, str], tmp_path: Path) -> None:
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(NETWORK_GUARD, encoding="utf-8")
    env = dict(real_env, PYTHONPATH=os.pathsep.join([str(guard), str(Path(__file__).resolve().parent.parent)]))
    probe = subprocess.run([sys.executable, "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9')"],
                           env=env, capture_output=True, text=True, timeout=60)
    assert probe.returncode != 0 and "blocked by the test's socket guard" in probe.stderr
    proc = rag(env, "ask", "2019年龙岗区25-99人的企业建会率达到多少？", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert not out["refused"] and "74.4%" in out["answer"]


@pytest.mark.timeout(1800)  # about 4 minutes on 2 idle cores: a dozen schema-constrained generations
def test_structured_summary_of_the_work_plan_with_real_small_model(real_env: dict[str, str], tmp_path: Path) -> None:
    from rag.metrics import strict_figure_counts
    from rag.normalize import compact
    from rag.schemas import SummaryRecord
    from rag.store import Store

    out = tmp_path / "summaries"
    proc = rag(real_env, "summarize", str(SEEDS / "001_db1d55a4d02b970e.txt"), "--out", str(out), timeout=1200)
    assert proc.returncode in (0, 1), proc.stderr
    [line] = (out / "summaries.jsonl").read_text(encoding="utf-8").splitlines()
    record = SummaryRecord.model_validate_json(line)
    assert record.review and record.plan, record
    assert record.doc_number == "深龙工〔2020〕8号"
    store = Store(Path(real_env["RAG_HOME"]) / "stores" / "default")
    chunks = {c.id: c for c in store.document_chunks(record.doc_id)}
    source = compact("".join(c.section + c.text for c in chunks.values()))
    for item in [*record.review, *record.plan, *record.problems]:
        assert all(c.chunk_id in chunks for c in item.citations)
        for text in item.model_dump(exclude={"citations"}).values():
            for value in (text if isinstance(text, list) else [text]):
                right, total = strict_figure_counts(str(value), source)
                assert right == total, value
    # read by its structure: the six 2020 areas as plan items, in order, none carrying a 2019 fact
    assert [p.goal for p in record.plan] == ["不断夯实基层组织建设基础", "推动职工深度参与基层社会治理", "切实抓好职工维权维稳工作",
                                             "有效改善职工服务精准度及覆盖面", "加快建设高素质产业工人大军", "全面加强工会干部队伍自身建设"]
    plan_text = compact(json.dumps([p.model_dump() for p in record.plan], ensure_ascii=False))
    assert not any(fact in plan_text for fact in ("柯雅琼", "欧阳嘉玉", "98.9%", "2346宗"))
    review_text = compact(" ".join(f for r in record.review for f in r.figures))
    assert all(f in review_text for f in ("98.9%", "2346宗", "357份"))
    assert record.issuer == "深圳市龙岗区总工会" and record.plan_year == 2020
    md = (out / "summaries.md").read_text(encoding="utf-8")
    assert "2020年工作计划（6项）" in md and "2019年工作回顾" in md


def test_answer_through_llama_cpp_openai_server(real_env: dict[str, str]) -> None:
    """The HTTP backend against llama-cpp-python's own OpenAI-compatible server on loopback."""
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(SMALL), "--host", "127.0.0.1",
                               "--port", str(port), "--n_ctx", "4096", "--n_threads", "2", "--verbose", "false"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    raise AssertionError(f"server did not start: {server.stderr.read() if server.stderr else ''}") from None
                time.sleep(0.5)
        # (asked about 建会率, the 0.5B behind this server answers 74.4% — the 25-99人 figure — which the
        # checker rightly refuses; this question it answers right)
        proc = rag(real_env, "ask", "2019年龙岗区总工会全年完成了多少宗劳资纠纷调处工作？", "--json", "--backend", "openai",
                   "--base-url", base)
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout)
        # the server formats the chat its own way, so the wording may differ from the in-process
        # answer; what must hold is a verified answer cited to the passage with the figure
        assert not out["refused"] and out["citations"], out
        assert out["model"].endswith(base)
        assert "2346" in out["answer"] and "⚠" not in out["answer"], out
        assert all(c["source"] == "001_db1d55a4d02b970e.txt" for c in out["citations"])
        cited = "".join(c["text"] for c in out["citations"]).replace(" ", "")
        assert "2346宗" in cited
        # the yes/no question through the server's log-probabilities, as in process
        from rag.llm import LlamaCppLLM, OpenAICompatLLM

        ask = [{"role": "user", "content": "资料：2019年全年完成2346宗劳资纠纷调处工作。\n资料是否说了2019年完成多少宗劳资纠纷调处？"
                "只回答“是”或“否”。"}]
        served = OpenAICompatLLM(base).yes_probability(ask)
        local = LlamaCppLLM(SMALL, n_ctx=1024, threads=2).yes_probability(ask)
        assert served is not None and local is not None and abs(served - local) < 0.05, (served, local)
    finally:
        server.terminate()
        server.wait(timeout=30)
    # a server that is gone is one clear error
    proc = rag(real_env, "ask", "2019年龙岗区百人以上企业建会率达到多少？", "--backend", "openai", "--base-url", base)
    assert proc.returncode == 1 and "cannot reach the model server" in proc.stderr
