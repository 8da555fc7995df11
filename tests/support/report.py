"""`python -m reporting` in its own process, as `make report` runs it."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def run_report(
    *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "reporting", *args],
        cwd=ROOT,
        env=dict(os.environ, **(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
