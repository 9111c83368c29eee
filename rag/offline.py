"""The runtime never talks to a model hub: set the offline switches before any model library loads."""

from __future__ import annotations

import os

_OFFLINE_VARS = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}


def force_offline() -> None:
    for name, value in _OFFLINE_VARS.items():
        os.environ[name] = value
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning, module=r"(transformers|sentence_transformers|torch)")
