#!/usr/bin/env bash
# The whole test suite (README's second command). Sets up first if needed (idempotent, fast when done).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check rag tests bench
.venv/bin/mypy
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
