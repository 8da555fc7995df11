"""make report with real servers: Chromium (HTML and PDF) and a throw-away PostgreSQL.

    scripts/install_browser.sh     # /usr/bin/chromium, if missing
    .venv/bin/python -m pytest -m live tests/test_report_live.py

The same generated history (tests/conftest.py `history_db`, 5,000 conversations)
is written to SQLite and to PostgreSQL; the two reports must be the same page.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest
from playwright import sync_api

from reporting.page import figure_values
from tests.conftest import HISTORY_CONVERSATIONS, HISTORY_END
from tests.support.history import generate
from tests.support.services import PG_MISSING, PostgresServer, find_pg_bin

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "report.py"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
PERIOD = ["--from", "2026-08-01", "--to", "2026-09-29"]
FOOTER = re.compile(r"<footer>.*?</footer>", re.S)


def run_report(
    *args: str, env: Optional[Dict[str, str]] = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=ROOT,
        env=dict(os.environ, **(env or {})),
        capture_output=True,
        text=True,
        timeout=600,
    )


def endpoints_for(tmp: Path, server: PostgresServer) -> Path:
    path = tmp / "endpoints.yml"
    path.write_text(
        "tracker_store:\n  type: persistence.redacting.RedactingSQLTrackerStore\n"
        "  dialect: postgresql\n  url: ${REPORT_DB_HOST}\n  port: ${REPORT_DB_PORT}\n"
        "  username: postgres\n  db: rasa\n  connect_timeout: 3\n"
        "  statement_timeout: 10\n"
    )
    return path


def pg_env(server: PostgresServer) -> Dict[str, str]:
    return {"REPORT_DB_HOST": "127.0.0.1", "REPORT_DB_PORT": str(server.port)}


@pytest.fixture(scope="module")
def sqlite_report(history_db, tmp_path_factory) -> Path:
    """The report of the generated history from SQLite, HTML and PDF."""
    path, _ = history_db
    out = tmp_path_factory.mktemp("report")
    result = run_report("--db-url", f"sqlite:///{path}", "--out", str(out), *PERIOD)
    assert result.returncode == 0, result.stderr
    return out / "report-2026-08-01_2026-09-29.html"


@pytest.fixture(scope="module")
def postgres(tmp_path_factory) -> Iterator[PostgresServer]:
    bin_dir = find_pg_bin()
    if bin_dir is None:
        pytest.skip(PG_MISSING)
    server = PostgresServer(bin_dir).init()
    try:
        server.start()
        server.create_database("rasa")
        generate(
            server.url("rasa"), HISTORY_CONVERSATIONS, days=60, end=HISTORY_END, seed=7
        )
        yield server
    finally:
        server.cleanup()


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


def open_page(browser, html: Path, screenshot: Optional[Path] = None) -> List[str]:
    """Problems the page reports in Chromium: console errors, page errors, requests."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    problems: List[str] = []
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


def test_the_report_opens_in_chromium_without_errors(sqlite_report, browser):
    problems = open_page(browser, sqlite_report, ARTIFACTS / "report.png")
    assert problems == []
    assert (ARTIFACTS / "report.png").stat().st_size > 50_000


def test_the_pdf_is_printed(sqlite_report):
    pdf = sqlite_report.with_suffix(".pdf")
    data = pdf.read_bytes()
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


def test_postgresql_gives_the_same_report_as_sqlite(sqlite_report, postgres, tmp_path):
    endpoints = endpoints_for(tmp_path, postgres)
    result = run_report(
        "--endpoints", str(endpoints), "--out", str(tmp_path), "--no-pdf", *PERIOD,
        env=pg_env(postgres),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "PostgreSQL database 'rasa' at 127.0.0.1" in result.stdout
    from_pg = (tmp_path / sqlite_report.name).read_text()
    from_sqlite = sqlite_report.read_text()
    assert figure_values(from_pg) == figure_values(from_sqlite)
    assert FOOTER.sub("", from_pg) == FOOTER.sub("", from_sqlite)
    assert "from PostgreSQL" in from_pg and "from SQLite" in from_sqlite


def test_the_production_image_makes_the_report(postgres, tmp_path):
    """From exactly the files deploy/Dockerfile.rasa copies, with its endpoints."""
    from tests.deploy.test_production_layout import build_app

    app = build_app(ROOT / "deploy" / "Dockerfile.rasa", tmp_path / "rasa")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "CLINIC_SETTINGS_FILE", "ENDPOINTS")
    }
    env.update(
        DB_HOST="127.0.0.1",
        DB_PORT=str(postgres.port),
        DB_USER="postgres",
        DB_PASSWORD="",
        DB_DATABASE="rasa",
    )
    out = tmp_path / "reports"
    result = subprocess.run(
        [sys.executable, str(app / "scripts" / "report.py"), "--no-pdf",
         "--out", str(out), *PERIOD],
        cwd=app, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"{HISTORY_CONVERSATIONS:,} conversations" in result.stdout
    assert "PostgreSQL database 'rasa'" in result.stdout
    assert (out / "report-2026-08-01_2026-09-29.html").is_file()


def test_a_stopped_postgresql_gets_a_clear_message(postgres, tmp_path):
    postgres.stop()
    endpoints = endpoints_for(tmp_path, postgres)
    result = run_report(
        "--endpoints", str(endpoints), "--out", str(tmp_path / "out"), *PERIOD,
        env=pg_env(postgres),
    )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(
        "error: cannot read the conversations from PostgreSQL database 'rasa' at "
        f"127.0.0.1:{postgres.port}:"
    ), result.stderr
    assert not (tmp_path / "out").exists()
