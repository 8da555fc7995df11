"""make report in headless Chromium: the page, its screenshot, the PDF.

    scripts/install_browser.sh      # /usr/bin/chromium, if missing (make test-browser does it)
    .venv/bin/python -m pytest tests/browser/test_report_pages.py

The report of the generated history (tests/conftest.py `history_db`: 5,000
conversations over 60 days) is opened as a file, as a clinic would open it:
no console error, no request anywhere; a full-page screenshot goes to
test-artifacts/report.png. The PDF is the one `reporting/__main__.py` printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright import sync_api

from tests.support.report import run_report

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
PERIOD = ["--from", "2026-08-01", "--to", "2026-09-29"]


@pytest.fixture(scope="module")
def report(history_db, tmp_path_factory) -> Path:
    """The report of the generated history, HTML and PDF (Chromium prints it)."""
    path, _ = history_db
    out = tmp_path_factory.mktemp("report")
    result = run_report("--db-url", f"sqlite:///{path}", "--out", str(out), *PERIOD)
    assert result.returncode == 0, result.stderr
    return out / "report-2026-08-01_2026-09-29.html"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # Fails rather than skips: `make test-browser` / scripts/install_browser.sh install it.
    assert CHROMIUM.exists(), "no /usr/bin/chromium: run scripts/install_browser.sh"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless=new", "--no-sandbox", "--disable-gpu"],
        )
        yield browser
        browser.close()


def open_page(browser, html: Path, screenshot: Path | None = None) -> list[str]:
    """Problems the page reports in Chromium: console errors, page errors, requests."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}")
        if m.type in ("error", "warning")
        else None,
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "request",
        lambda r: problems.append(f"request: {r.url}")
        if not r.url.startswith("file://")
        else None,
    )
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    assert page.title().startswith("What patients ask")
    if screenshot:
        screenshot.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
    page.close()
    return problems


def test_the_report_opens_in_chromium_without_errors(report, browser):
    problems = open_page(browser, report, ARTIFACTS / "report.png")
    assert problems == []
    assert (ARTIFACTS / "report.png").stat().st_size > 50_000


def test_the_pdf_is_printed(report):
    data = report.with_suffix(".pdf").read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(data) > 50_000
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages >= 4, pages


def test_a_fresh_clinic_report_opens_and_prints(tmp_path, browser):
    result = run_report(
        "--db-url", f"sqlite:///{tmp_path / 'none.db'}", "--out", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    html = next(tmp_path.glob("report-*.html"))
    assert "No conversations in this period" in html.read_text()
    assert open_page(browser, html, ARTIFACTS / "report-empty.png") == []
    assert html.with_suffix(".pdf").stat().st_size > 5_000
