"""`rag chat` in a pseudo-terminal with no model (``--backend fake``, ``RAG_MODELS__EMBED=fake``):
follow-ups searched as standalone questions, /new, /sources N, /save, and the answer log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SEEDS


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    e.update(RAG_HOME=str(tmp_path / "home"), RAG_MODELS__EMBED="fake", PROMPT_TOOLKIT_NO_CPR="1")
    subprocess.run([sys.executable, "-m", "rag.cli", "ingest", str(SEEDS)], env=e, check=True,
                   capture_output=True, timeout=300)
    return e


def rag(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def test_chat_follow_up_save_and_log(env: dict[str, str], tmp_path: Path) -> None:
    import pexpect

    saved = tmp_path / "answers.md"
    child = pexpect.spawn(sys.executable, ["-m", "rag.cli", "chat", "--backend", "fake"], env=env,
                          encoding="utf-8", timeout=120, dimensions=(50, 200))
    try:
        child.expect("问>")
        child.sendline("2019年龙岗区百人以上企业建会率达到多少？")
        child.expect("answer")
        child.expect("问>")
        child.sendline("那25-99人的企业呢？")
        child.expect("→ 2019年龙岗区25-99人的企业建会率达到多少？")
        child.expect("问>")
        child.sendline("/sources 1")
        child.expect(r"\[1\]")
        child.expect("问>")
        child.sendline(f"/save {saved}")
        child.expect("saved 2 answer")
        child.expect("问>")
        child.sendline("/new")
        child.expect("new conversation")
        child.expect("问>")
        child.sendline("2020年呢？")  # nothing to follow any more: asked as typed
        child.expect("问>")
        assert "→" not in (child.before or "")
        child.sendline("/quit")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    text = saved.read_text(encoding="utf-8")
    assert text.count("## 问：") == 2
    assert "## 问：那25-99人的企业呢？\n\n（按“2019年龙岗区25-99人的企业建会率达到多少？”检索）" in text
    # every inline citation has its numbered source with the quoted passage
    assert text.count("[1] ") == 2 and "\n> " in text
    logged = json.loads(rag(env, "log", "--json", "-n", "0").stdout)
    assert [e["question"] for e in logged] == ["2020年呢？", "那25-99人的企业呢？", "2019年龙岗区百人以上企业建会率达到多少？"]
    assert logged[1]["searched"] == "2019年龙岗区25-99人的企业建会率达到多少？"
    assert logged[1]["conversation"] == logged[2]["conversation"] != logged[0]["conversation"]
    assert logged[2]["citations"][0]["text"] in rag(env, "log", "show", str(logged[2]["id"])).stdout


def test_ask_logs_unless_told_not_to(env: dict[str, str], tmp_path: Path) -> None:
    question = "2019年龙岗区总工会全年完成了多少宗劳资纠纷调处工作？"
    assert rag(env, "ask", question, "--backend", "fake").returncode == 0
    assert rag(env, "ask", question, "--backend", "fake", "--no-log").returncode == 0
    logged = json.loads(rag(env, "log", "--json").stdout)
    assert len(logged) == 1 and logged[0]["command"] == "ask" and logged[0]["outcome"] == "verified"
    assert json.loads(rag(env, "log", "--json", "--search", "劳资纠纷").stdout)[0]["id"] == logged[0]["id"]
    assert json.loads(rag(env, "log", "--json", "--search", "没有这句话").stdout) == []
    out = tmp_path / "log.md"
    assert rag(env, "log", "export", str(out)).returncode == 0
    assert out.read_text(encoding="utf-8").startswith(f"## 问：{question}\n")
    bad = rag(env, "log", "export", str(out), "--since", "yesterday")
    assert bad.returncode == 1 and "--since 'yesterday': expected YYYY-MM-DD" in bad.stderr
    missing = rag(env, "log", "show", "99")
    assert missing.returncode == 1 and "no answer 99 in the log" in missing.stderr


def test_ctrl_c_works_in_the_repl_even_when_started_with_sigint_ignored() -> None:
    import signal

    probe = ("import signal, sys\n"
             "from rag.repl import interruptible\n"
             "if sys.argv[1] == 'on': interruptible()\n"
             "try:\n"
             "    signal.raise_signal(signal.SIGINT)\n"
             "    print('ignored')\n"
             "except KeyboardInterrupt:\n"
             "    print('stopped')\n")

    def run(mode: str) -> str:  # as a shell without job control starts a background command
        return subprocess.run([sys.executable, "-c", probe, mode], capture_output=True, text=True, timeout=60,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)).stdout.strip()

    assert run("off") == "ignored"
    assert run("on") == "stopped"
