"""Polling helpers for tests that start servers."""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 20) -> None:
    """Poll `url` until it answers 2xx; fail early if `process` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout}s")
