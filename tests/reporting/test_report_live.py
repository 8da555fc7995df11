"""make report on a throw-away PostgreSQL server (Chromium: tests/browser/test_report_pages.py).

    .venv/bin/python -m pytest -m live tests/reporting/test_report_live.py

The same generated history (tests/conftest.py `history_db`, 5,000 conversations)
is written to SQLite and to PostgreSQL; the two reports must be the same page.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reporting.page import figure_values
from tests.conftest import HISTORY_CONVERSATIONS, HISTORY_END, HISTORY_SEED
from tests.support.history import generate
from tests.support.report import run_report
from tests.support.services import PG_MISSING, PostgresServer, find_pg_bin

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[2]
PERIOD = ["--from", "2026-08-01", "--to", "2026-09-29"]
FOOTER = re.compile(r"<footer>.*?</footer>", re.S)


def endpoints_for(tmp: Path, server: PostgresServer) -> Path:
    path = tmp / "endpoints.yml"
    path.write_text(
        "tracker_store:\n  type: persistence.redacting.RedactingSQLTrackerStore\n"
        "  dialect: postgresql\n  url: ${REPORT_DB_HOST}\n  port: ${REPORT_DB_PORT}\n"
        "  username: postgres\n  db: rasa\n  connect_timeout: 3\n"
        "  statement_timeout: 10\n"
    )
    return path


def pg_env(server: PostgresServer) -> dict[str, str]:
    return {"REPORT_DB_HOST": "127.0.0.1", "REPORT_DB_PORT": str(server.port)}


@pytest.fixture(scope="module")
def sqlite_report(history_db, tmp_path_factory) -> Path:
    """The report of the generated history from SQLite (the HTML)."""
    path, _ = history_db
    out = tmp_path_factory.mktemp("report")
    result = run_report(
        "--db-url", f"sqlite:///{path}", "--out", str(out), "--no-pdf", *PERIOD
    )
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
            server.url("rasa"),
            HISTORY_CONVERSATIONS,
            days=60,
            end=HISTORY_END,
            seed=HISTORY_SEED,
        )
        yield server
    finally:
        server.cleanup()


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
        [sys.executable, "-m", "reporting", "--no-pdf",
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
