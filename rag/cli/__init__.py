"""The ``rag`` command: a thin typer layer over the library. Heavy imports happen inside commands."""

from __future__ import annotations

import sys

from rag.cli import batch, history, manage, query  # noqa: F401  (each registers its commands on the app)
from rag.cli.common import app, err, make_app

__all__ = ["app", "main", "make_app"]


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
