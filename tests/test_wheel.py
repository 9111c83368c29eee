"""The built wheel works on its own: installed into a fresh virtual environment (the heavy
dependencies borrowed from this one, the project itself not), run from outside the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    # built from a copy: setuptools' build/ folder in a checkout keeps modules that were since removed
    src = work / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "models.txt"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("rag", "prompts"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "-w", str(work / "dist"), str(src)], check=True, timeout=300)
    wheel = next((work / "dist").glob("rag_zh-*.whl"))
    env = work / "venv"
    venv.EnvBuilder(with_pip=True).create(env)
    py = env / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # the dependencies of this environment, on the path; its editable `rag` is not (a .pth line adds
    # a folder to sys.path but runs none of the .pth hooks inside it)
    Path(site, "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, timeout=300)
    return env


def run(env: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "RAG_HOME": str(cwd / "home"), "RAG_MODELS__EMBED": "fake", "PYTHONPATH": ""}
    return subprocess.run([str(env / "bin" / "rag"), *args], cwd=cwd, env=environ, capture_output=True,
                          text=True, timeout=300)


def test_the_wheel_holds_prompts_and_models_and_answers(wheel_env: Path, tmp_path: Path) -> None:
    located = subprocess.run([str(wheel_env / "bin" / "python"), "-c",
                              "import rag, rag.resources as r, rag.places as p; print(rag.__file__); "
                              "print(r.prompt_file('qa')); print(p.within('南昌', '江西'))"],
                             cwd=tmp_path, env={**os.environ, "PYTHONPATH": ""}, capture_output=True, text=True,
                             check=True).stdout.split()
    assert located[2] == "True"  # the province table ships in the wheel
    assert all(str(wheel_env) in p for p in located[:2]), located  # not the checkout's files
    assert run(wheel_env, tmp_path, "--help").returncode == 0
    models = run(wheel_env, tmp_path, "models", "--no-verify", "--json")
    # the manifest is read from the wheel; this temp home has none of the models yet
    assert models.returncode == 1 and "default model(s) missing" in models.stderr, models.stderr
    assert "qwen2.5-coder-1.5b-instruct-q4_k_m" in {m["name"] for m in json.loads(models.stdout)}
    ingest = run(wheel_env, tmp_path, "ingest", str(SEEDS))
    assert ingest.returncode == 0, ingest.stderr
    ask = run(wheel_env, tmp_path, "ask", "2019年龙岗区总工会全年完成了多少宗劳资纠纷调处工作？", "--backend", "fake",
              "--json")
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    assert not answer["refused"] and answer["verification"]["outcome"] == "verified", answer
    assert answer["answer"].endswith("[1]。") and answer["citations"][0]["n"] == 1
