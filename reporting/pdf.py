"""Print the HTML report to PDF with headless Chromium (Debian's `chromium`)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from reporting.source import ReportError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class PdfError(ReportError):
    """The PDF could not be printed (the HTML report is still there)."""


def find_chromium(explicit: str | None = None) -> str | None:
    for candidate in (explicit, os.environ.get("CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(
    html: Path, pdf: Path, chromium: str | None = None, timeout: float = 120
) -> None:
    binary = find_chromium(chromium)
    if binary is None:
        raise PdfError(
            "Chromium not found, so no PDF was printed: install it "
            "(scripts/install_browser.sh), set CHROMIUM=/path/to/chromium, or pass "
            "--no-pdf"
        )
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
        args = [
            binary,
            "--headless=new",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            html.resolve().as_uri(),
        ]
        if os.geteuid() == 0:  # Chromium refuses to run as root with its sandbox
            args.insert(1, "--no-sandbox")
        # Its own process group, so a hung Chromium is ended with all its helpers.
        process = subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise PdfError(
                f"Chromium did not print the PDF within {timeout:.0f} s"
            ) from None
    if process.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        lines = stderr.decode("utf-8", "replace").strip().splitlines()
        detail = lines[-1] if lines else f"exit code {process.returncode}"
        raise PdfError(f"Chromium could not print the PDF: {detail[:300]}")
