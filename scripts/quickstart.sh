#!/usr/bin/env bash
# README's first command: set everything up, then the main job on the shipped sample corpus:
# ingest the four seed documents and answer one question with verified citations.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== rag models"
.venv/bin/rag models
echo "== rag ingest sample_corpus"
.venv/bin/rag ingest sample_corpus
echo "== rag ask"
.venv/bin/rag ask "${1:-2019年龙岗区总工会全年完成了多少宗劳资纠纷调处工作？}"
