"""persistence/purge.py (python -m persistence.purge) on SQLite and on a throw-away PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from persistence import redaction
from persistence.identity import stored_sender_id
from persistence.redacting import RedactingSQLTrackerStore
from tests.support.services import PG_MISSING, PostgresServer, find_pg_bin

ROOT = Path(__file__).resolve().parents[2]
CLI = ["-m", "persistence.purge"]
DAY = 86400


@pytest.fixture(autouse=True)
def restore_log_factory() -> Iterator[None]:
    factory, installed = logging.getLogRecordFactory(), redaction._installed
    yield
    logging.setLogRecordFactory(factory)
    redaction._installed = installed


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    bin_dir = find_pg_bin()
    if bin_dir is None:
        pytest.skip(PG_MISSING)
    server = PostgresServer(bin_dir).init()
    server.start()
    server.create_database("rasa")
    yield server
    server.cleanup()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """An endpoints file and URL for a fresh tracker store of either kind."""
    if request.param == "sqlite":
        path = tmp_path / "conversations.db"
        store = f"  dialect: sqlite\n  db: {path}\n"
        url, env = f"sqlite:///{path}", {}
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        name = f"purge_{int(time.time() * 1000)}"
        server.create_database(name)
        store = (
            "  dialect: postgresql\n  url: 127.0.0.1\n  port: ${PURGE_DB_PORT}\n"
            f"  username: postgres\n  db: {name}\n"
        )
        url, env = server.url(name), {"PURGE_DB_PORT": str(server.port)}
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: persistence.redacting.RedactingSQLTrackerStore\n"
        + store
    )
    return {"endpoints": str(endpoints), "url": url, **env}


def open_store(url: str) -> RedactingSQLTrackerStore:
    engine_url = sa.engine.make_url(url)
    return RedactingSQLTrackerStore(
        domain=Domain.load(str(ROOT / "domain.yml")),
        dialect=engine_url.get_backend_name(),
        host=engine_url.host,
        port=engine_url.port,
        username=engine_url.username,
        db=engine_url.database,
    )


def fill(url: str, age_days: dict[str, float]) -> None:
    """One stored conversation per sender, its events `age_days` old."""
    store = open_store(url)
    for sender in age_days:
        tracker = DialogueStateTracker.from_events(
            sender,
            [
                ActionExecuted("action_listen"),
                UserUttered("what is neuropathy"),
                BotUttered("Neuropathy is..."),
                ActionExecuted("action_listen"),
            ],
        )
        asyncio.run(store.save(tracker))
    with store.engine.begin() as connection:
        for sender, days in age_days.items():
            connection.execute(
                sa.text(
                    "UPDATE events SET timestamp = timestamp - :age "
                    "WHERE sender_id = :sender"
                ),
                {"age": days * DAY, "sender": stored_sender_id(sender)},
            )
    store.engine.dispose()


def continue_today(url: str, sender: str) -> None:
    """The patient writes again: two new events, as Rasa appends them."""
    store = open_store(url)
    tracker = asyncio.run(store.retrieve(sender))
    tracker.update(UserUttered("thanks"))
    tracker.update(BotUttered("Take care!"))
    asyncio.run(store.save(tracker))
    store.engine.dispose()


def counts(
    url: str,
    senders=("old-1", "old-2", "recent", "today", "mixed", "patient-a", "patient-b"),
) -> dict[str, int]:
    """Events per stored conversation, by the senders' own IDs."""
    names = {stored_sender_id(s): s for s in senders}
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id")
            ).all()
    finally:
        engine.dispose()
    return {names.get(sender, sender): count for sender, count in rows}


def run(*args: str, env: dict[str, str] | None = None) -> str:
    import os

    result = subprocess.run(
        [sys.executable, *CLI, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_retention_deletes_only_idle_conversations(database: dict[str, str]) -> None:
    url = database["url"]
    fill(url, {"old-1": 45, "old-2": 31, "recent": 1, "today": 0})
    # "mixed": started 60 days ago, written to again today: kept whole.
    fill(url, {"mixed": 60})
    continue_today(url, "mixed")
    before = counts(url)
    env = {k: v for k, v in database.items() if k.isupper()}

    out = run(
        "--days", "30", "--dry-run", "--endpoints", database["endpoints"], env=env
    )
    assert "Would delete 2 conversation(s), 8 event(s)" in out
    assert counts(url) == before

    out = run("--days", "30", "--endpoints", database["endpoints"], env=env)
    assert "Deleted 2 conversation(s), 8 event(s)" in out
    after = counts(url)
    assert set(after) == {"recent", "today", "mixed"}
    assert after == {k: before[k] for k in after}
    assert after["mixed"] == 6

    out = run("--days", "30", "--db-url", url)
    assert "Deleted 0 conversation(s)" in out


def test_one_persons_conversation_is_deleted_on_request(
    database: dict[str, str],
) -> None:
    url = database["url"]
    fill(url, {"patient-a": 0, "patient-b": 0})
    out = run("--sender", "patient-a", "--db-url", url)
    assert "Deleted 1 conversation(s), 4 event(s)" in out
    assert set(counts(url)) == {"patient-b"}


def test_empty_or_new_database_is_fine(tmp_path: Path) -> None:
    out = run("--days", "30", "--db-url", f"sqlite:///{tmp_path / 'new.db'}")
    assert "Deleted 0 conversation(s), 0 event(s)" in out
    assert not (tmp_path / "new.db").exists()


def test_forgetting_a_phone_number_finds_its_hashed_and_older_plain_rows(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    phone, other = "whatsapp:+15551234567", "whatsapp:+15557654321"
    fill(url, {phone: 0, other: 0})
    engine = sa.create_engine(url)
    with engine.begin() as connection:  # a row stored before IDs were hashed
        connection.execute(
            sa.text("INSERT INTO events (sender_id, type_name, timestamp, data) "
                    "VALUES (:s, 'user', 1.0, '{}')"),
            {"s": phone},
        )  # fmt: skip
    engine.dispose()
    # What `make forget-conversation SENDER=whatsapp:+15551234567` runs.
    out = run("--sender", phone, "--db-url", url)
    assert "Deleted 1 conversation(s), 5 event(s)" in out
    assert set(counts(url, senders=(phone, other))) == {other}
