"""RedactingSQLTrackerStore on SQLite: redaction at rest, retries, no corruption."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import sessionmaker

from persistence import redaction
from persistence.errors import STORE_FAILURE, TrackerStoreUnavailable
from persistence.identity import stored_sender_id
from persistence.redacting import RedactingSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]
PII = "my email is jane@example.com and phone 555-123-4567"


@pytest.fixture(autouse=True)
def restore_log_factory() -> Iterator[None]:
    """The store redacts this process's logs: undo that after each test."""
    factory, installed = logging.getLogRecordFactory(), redaction._installed
    yield
    logging.setLogRecordFactory(factory)
    redaction._installed = installed
    STORE_FAILURE.set(None)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def make_store(path: Path, domain: Domain) -> RedactingSQLTrackerStore:
    return RedactingSQLTrackerStore(
        domain=domain, dialect="sqlite", db=str(path), retry_backoff=0.01
    )


def conversation(sender: str, text: str = PII) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_session_start"),
            SessionStarted(),
            ActionExecuted("action_listen"),
            UserUttered(
                text,
                intent={"name": "out_of_scope", "confidence": 0.9},
                parse_data={
                    "text": text,
                    "intent": {"name": "out_of_scope", "confidence": 0.9},
                    "entities": [],
                },
            ),
            BotUttered("Sorry, I can only help with nerve pain questions."),
            ActionExecuted("action_listen"),
        ],
    )


def stored_rows(path: Path, sender: str) -> list[dict]:
    db = sqlite3.connect(path)
    try:
        rows = db.execute(
            "select data from events where sender_id = ? order by id",
            (stored_sender_id(sender),),
        ).fetchall()
    finally:
        db.close()
    return [json.loads(data) for (data,) in rows]


def break_database(store: RedactingSQLTrackerStore) -> sa.engine.Engine:
    """Point the store at a database that can't be opened; returns the old engine."""
    engine = store.engine
    store.engine = sa.create_engine("sqlite:////nonexistent-folder/conversations.db")
    store.sessionmaker = sessionmaker(bind=store.engine)
    return engine


def repair_database(store: RedactingSQLTrackerStore, engine: sa.engine.Engine) -> None:
    store.engine = engine
    store.sessionmaker = sessionmaker(bind=engine)


def test_user_messages_are_redacted_at_rest(tmp_path: Path, domain: Domain) -> None:
    path = tmp_path / "conversations.db"
    store = make_store(path, domain)
    asyncio.run(store.save(conversation("patient-1")))

    raw = json.dumps(stored_rows(path, "patient-1"))
    assert "jane@example.com" not in raw and "555-123-4567" not in raw
    assert "my email is [EMAIL] and phone [PHONE]" in raw
    assert "Sorry, I can only help" in raw  # bot messages are kept as they are

    tracker = asyncio.run(store.retrieve("patient-1"))
    assert tracker is not None
    assert tracker.latest_message.text == "my email is [EMAIL] and phone [PHONE]"


def test_saving_again_appends_only_new_events(tmp_path: Path, domain: Domain) -> None:
    path = tmp_path / "conversations.db"
    store = make_store(path, domain)
    asyncio.run(store.save(conversation("patient-2", "hello")))
    first = stored_rows(path, "patient-2")
    # As Rasa does for each message: read the conversation, add to it, save.
    tracker = asyncio.run(store.retrieve("patient-2"))
    tracker.update(UserUttered("what is neuropathy"))
    tracker.update(BotUttered("Neuropathy is..."))
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(tracker))  # e.g. a retry after an uncertain commit
    events = stored_rows(path, "patient-2")
    assert events[: len(first)] == first
    assert [(e["event"], e.get("text")) for e in events[len(first) :]] == [
        ("user", "what is neuropathy"),
        ("bot", "Neuropathy is..."),
    ]


def test_unreachable_database_raises_instead_of_starting_over(
    tmp_path: Path, domain: Domain
) -> None:
    path = tmp_path / "conversations.db"
    store = make_store(path, domain)
    asyncio.run(store.save(conversation("patient-3", "hello")))
    before = stored_rows(path, "patient-3")
    engine = break_database(store)

    async def during_outage() -> None:
        with pytest.raises(TrackerStoreUnavailable):
            await store.retrieve("patient-3")
        assert STORE_FAILURE.get() is not None
        # Rasa's FailSafeTrackerStore turns the failed read into "no conversation"
        # and saves a blank one; the database comes back just before that save.
        wrapped = FailSafeTrackerStore(store)
        blank = await wrapped.get_or_create_tracker("patient-3")
        assert len(blank.events) == 1  # only action_listen
        repair_database(store, engine)
        await wrapped.save(blank)  # refused by our store, kept in memory only

    asyncio.run(during_outage())
    assert stored_rows(path, "patient-3") == before

    async def after_outage() -> None:
        tracker = await store.retrieve("patient-3")  # a good read: saving is allowed
        assert tracker is not None and tracker.latest_message.text == "hello"
        tracker.update(UserUttered("thanks"))
        await store.save(tracker)

    asyncio.run(after_outage())
    assert len(stored_rows(path, "patient-3")) == len(before) + 1


def test_retries_cover_a_short_outage(tmp_path: Path, domain: Domain) -> None:
    path = tmp_path / "conversations.db"
    store = make_store(path, domain)
    store.retry_attempts, store.retry_backoff = 4, 0.2
    asyncio.run(store.save(conversation("patient-4", "hello")))
    engine = break_database(store)

    async def outage_shorter_than_retries() -> DialogueStateTracker:
        loop = asyncio.get_running_loop()
        loop.call_later(0.3, repair_database, store, engine)
        return await store.retrieve("patient-4")

    tracker = asyncio.run(outage_shorter_than_retries())
    assert tracker is not None and tracker.latest_message.text == "hello"


def all_rows(path: Path) -> list[tuple]:
    db = sqlite3.connect(path)
    try:
        return db.execute("select sender_id, data from events order by id").fetchall()
    finally:
        db.close()


def test_sender_ids_are_stored_as_a_keyed_hash(tmp_path: Path, domain: Domain) -> None:
    path = tmp_path / "conversations.db"
    store = make_store(path, domain)
    phone = "whatsapp:+15551234567"
    asyncio.run(store.save(conversation(phone, "hello")))

    rows = all_rows(path)
    assert rows and {sender for sender, _ in rows} == {stored_sender_id(phone)}
    assert "5551234567" not in json.dumps(rows)
    assert asyncio.run(store.keys()) == [stored_sender_id(phone)]
    # Rasa still works with the real ID: it reads the conversation back under it.
    tracker = asyncio.run(store.retrieve(phone))
    assert tracker is not None and tracker.sender_id == phone
    assert tracker.latest_message.text == "hello"
    # A sender ID that looks like a stored one is hashed too: it can't name
    # someone else's conversation.
    assert asyncio.run(store.retrieve(stored_sender_id(phone))) is None


def test_slots_from_user_input_are_redacted_clinic_slots_kept(
    tmp_path: Path, domain: Domain
) -> None:
    from rasa.shared.core.events import SlotSet

    path = tmp_path / "conversations.db"
    store = make_store(path, domain)
    tracker = conversation("patient-slots", "hello")
    tracker.update(SlotSet("clinic_phone", "(555) 010-0100"))
    tracker.update(SlotSet("faq_topic", "jane@example.com 555-123-4567 123-45-6789"))
    tracker.update(SlotSet("session_started_metadata", {"email": "jane@example.com"}))
    asyncio.run(store.save(tracker))

    raw = json.dumps(stored_rows(path, "patient-slots"))
    assert "jane@example.com" not in raw
    assert "555-123-4567" not in raw and "123-45-6789" not in raw
    assert "[EMAIL] [PHONE] [SSN]" in raw
    back = asyncio.run(store.retrieve("patient-slots"))
    assert back.get_slot("clinic_phone") == "(555) 010-0100"  # responses need it


def test_a_server_database_needs_the_key_variable(
    domain: Domain, monkeypatch: pytest.MonkeyPatch
) -> None:
    from persistence.identity import SenderKeyError

    monkeypatch.delenv("SENDER_ID_KEY", raising=False)
    with pytest.raises(SenderKeyError, match="SENDER_ID_KEY"):
        RedactingSQLTrackerStore(
            domain=domain, dialect="postgresql", host="127.0.0.1", db="rasa"
        )


# What RedactingSQLTrackerStore takes from Rasa's SQLTrackerStore beyond its
# public interface, as Rasa 3.6.21 has it. An upgrade that changes any of them
# fails here, not silently in production (an override no longer called, an
# event stream no longer redacted).
RASA_INTERNALS = {
    "SQLTrackerStore._event_query": "(self, session: \"'Session'\", sender_id: "
    "'Text', fetch_events_from_all_sessions: 'bool') -> \"'Query'\"",
    "SQLTrackerStore._additional_events": "(self, session: \"'Session'\", "
    "tracker: 'DialogueStateTracker') -> 'Iterator'",
    "TrackerStore._stream_new_events": "(self, event_broker: 'EventBroker', "
    "new_events: 'List[Event]', sender_id: 'Text') -> 'None'",
    "SQLTrackerStore.session_scope": "(self) -> \"Generator['Session', None, None]\"",
}


def test_the_rasa_internals_the_store_relies_on_are_unchanged() -> None:
    import inspect

    import rasa.core.tracker_store as rasa_stores

    for dotted, signature in RASA_INTERNALS.items():
        owner, name = dotted.split(".")
        assert str(inspect.signature(getattr(getattr(rasa_stores, owner), name))) == (
            signature
        ), dotted
    # Rasa streams events through the method we override, from the base save path.
    source = inspect.getsource(rasa_stores.TrackerStore.stream_events)
    assert "self._stream_new_events(" in source
    query = inspect.getsource(rasa_stores.SQLTrackerStore._retrieve)
    assert "self._event_query(" in query
