"""SQL tracker store that redacts what users type and survives database blips.

endpoints.yml:

    tracker_store:
      type: persistence.redacting.RedactingSQLTrackerStore
      dialect: sqlite            # or postgresql, with url/port/username/...
      db: var/conversations.db
      retry_attempts: 3          # optional: tries per read or write
      retry_backoff: 0.25        # optional: first wait between tries, doubles
      connect_timeout: 5         # optional, PostgreSQL: seconds to connect
      statement_timeout: 10      # optional, PostgreSQL: seconds per statement

Compared with Rasa's SQLTrackerStore (same table, same rows, so the purge
script, Rasa's own tools and existing databases keep working):

- user events, and every other event that can carry what a user sent (slots
  filled from entities or payloads, session_started_metadata), are redacted
  (persistence.redaction) before they are written or sent to an event
  broker; only bot messages and the slots the actions alone set (the clinic's
  details) are kept as they are. This process's logs are redacted too;
- sender IDs are stored as a keyed hash (persistence.identity): the phone
  number of an SMS or WhatsApp patient never reaches the database. With
  PostgreSQL, SENDER_ID_KEY must be set (every replica needs the same key);
- database calls run in a worker thread, so a slow database doesn't freeze the
  server, and connections are checked before use (pool_pre_ping);
- transient errors are retried; if the database is still unavailable,
  TrackerStoreUnavailable is raised. Rasa's default wrapper would instead
  start a blank conversation and could later write it over the real one; this
  store refuses to save anything assembled after a failed read.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import sqlalchemy as sa
import sqlalchemy.exc
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.orm import sessionmaker

from persistence.errors import (
    STORE_FAILURE,
    TrackerStoreUnavailable,
    describe,
    retry_async,
)
from persistence.identity import require_key_variable, stored_sender_id
from persistence.redaction import install_log_redaction, redact_event

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Errors worth another try: the server went away, a connection broke, the pool
# timed out. Anything else (a bug, a schema problem) fails at once.
TRANSIENT_ERRORS = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.DisconnectionError,
    sqlalchemy.exc.TimeoutError,
)


def _sqlite_write_ahead_log(connection: Any, _record: Any) -> None:
    """SQLite: write-ahead log, fsync at checkpoints instead of every commit.

    Still durable across a crash of the Rasa server (only an OS crash can lose
    the last commits); commits get several times cheaper, which is most of the
    embedded store's cost per message.
    """
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def action_set_slots(domain: Domain | None) -> frozenset:
    """Slots that only actions set (every mapping `custom`): kept unredacted.

    In this assistant, the clinic's details from action_session_start and the
    last FAQ topic. Slots with another mapping (faq_topic, from an entity a
    payload can carry) or none (session_started_metadata, the request's
    metadata) are redacted.
    """
    if domain is None:
        return frozenset()
    return frozenset(
        slot.name
        for slot in domain.slots
        if slot.mappings and all(m.get("type") == "custom" for m in slot.mappings)
    )


class RedactingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore + redaction + retries + a clear error when the DB is down."""

    # Failures are raised, not hidden: Rasa's FailSafeTrackerStore wrapper is
    # left off for this store (runtime/adjustments.py, strict_tracker_store).
    reports_failures = True
    engine: Any  # made by SQLTrackerStore, remade by _harden_engine

    def __init__(
        self,
        domain: Domain | None = None,
        dialect: str = "sqlite",
        host: str | None = None,
        port: int | None = None,
        db: str = "rasa.db",
        username: str | None = None,
        password: str | None = None,
        event_broker: EventBroker | None = None,
        login_db: str | None = None,
        query: dict | None = None,
        retry_attempts: int = 3,
        retry_backoff: float = 0.25,
        connect_timeout: float = 5,
        statement_timeout: float = 10,
        **kwargs: Any,
    ) -> None:
        install_log_redaction()
        if dialect != "sqlite":
            require_key_variable()  # replicas sharing the database must agree
        super().__init__(
            domain=domain,
            dialect=dialect,
            host=host,
            port=port,
            db=db,
            username=username,
            password=password or None,
            event_broker=event_broker,
            login_db=login_db,
            query=query,
            **kwargs,
        )
        self.retry_attempts = int(retry_attempts)
        self.retry_backoff = float(retry_backoff)
        self._harden_engine(float(connect_timeout), float(statement_timeout))

    def _harden_engine(self, connect_timeout: float, statement_timeout: float) -> None:
        """Recreate the engine with connection checks and (PostgreSQL) timeouts."""
        engine = self.engine
        url = engine.url
        kwargs: dict[str, Any] = dict(create_engine_kwargs(url))
        if url.get_backend_name() == "postgresql":
            connect_args = dict(kwargs.get("connect_args") or {})
            connect_args.setdefault("connect_timeout", max(1, int(connect_timeout)))
            options = connect_args.get("options", "")
            timeout_ms = int(statement_timeout * 1000)
            connect_args["options"] = f"{options} -c statement_timeout={timeout_ms}"
            kwargs["connect_args"] = connect_args
        if url.get_backend_name() == "sqlite" and url.database:
            # SQLAlchemy 1.4 opens a new SQLite connection per use (NullPool);
            # keep a few open instead (calls come from worker threads).
            kwargs["poolclass"] = sa.pool.QueuePool
            kwargs["connect_args"] = {"check_same_thread": False}
        engine.dispose()
        # Server databases: test each pooled connection (they die on restarts).
        kwargs.setdefault("pool_pre_ping", url.get_backend_name() != "sqlite")
        self.engine = sa.create_engine(url, **kwargs)
        if url.get_backend_name() == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_write_ahead_log)
        self.sessionmaker = sessionmaker(bind=self.engine)

    def _kept_slots(self) -> frozenset:
        domain = self.domain
        if getattr(self, "_kept_for", None) is not domain:
            self._kept, self._kept_for = action_set_slots(domain), domain
        return self._kept

    def _event_query(
        self, session: Any, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> Any:
        """Rasa's query for a conversation's events, by the stored (hashed) ID."""
        return super()._event_query(
            session, stored_sender_id(sender_id), fetch_events_from_all_sessions
        )

    # --- the database, off the event loop, with retries ------------------------------
    async def _call(self, what: str, function: Callable[..., T], *args: Any) -> T:
        try:
            return await retry_async(
                lambda: asyncio.to_thread(function, *args),
                attempts=self.retry_attempts,
                backoff=self.retry_backoff,
                retry_on=TRANSIENT_ERRORS,
                what=f"tracker store {what}",
            )
        except sqlalchemy.exc.SQLAlchemyError as error:
            STORE_FAILURE.set(error)
            raise TrackerStoreUnavailable(
                f"tracker store {what} failed: {describe(error)}"
            ) from error

    def _retrieve_sync(
        self, sender_id: str, all_sessions: bool
    ) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=all_sessions
            ).all()
            events = [json.loads(row.data) for row in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    def _save_sync(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            # Events not stored yet, counted in the database: a retry after an
            # uncertain commit can't store anything twice.
            sender_id = stored_sender_id(tracker.sender_id)
            kept = self._kept_slots()
            for event in self._additional_events(session, tracker):
                data = redact_event(event.as_dict(), kept)
                session.add(
                    self.SQLEvent(
                        sender_id=sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=(data.get("parse_data") or {})
                        .get("intent", {})
                        .get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()

    def _keys_sync(self) -> list[str]:
        """Stored conversation IDs: hashes, not the senders' IDs."""
        with self.session_scope() as session:
            rows = session.query(self.SQLEvent.sender_id).distinct().all()
            return [sender_id for (sender_id,) in rows]

    # --- TrackerStore interface -----------------------------------------------------
    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session of the conversation, or None if there is none."""
        tracker = await self._call("read", self._retrieve_sync, sender_id, False)
        STORE_FAILURE.set(None)  # a fresh, complete read: saving is safe again
        return tracker

    async def retrieve_full_tracker(
        self, conversation_id: str
    ) -> DialogueStateTracker | None:
        """Every session of the conversation, or None if there is none."""
        return await self._call("read", self._retrieve_sync, conversation_id, True)

    async def keys(self) -> Iterable[str]:
        """Every stored conversation ID (the hashed form; see persistence.identity)."""
        return await self._call("keys", self._keys_sync)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the tracker's new events, redacted, under the hashed sender ID."""
        if STORE_FAILURE.get() is not None:
            # The read for this message failed, so `tracker` may be a blank one
            # built in its place; writing it would corrupt the conversation.
            raise TrackerStoreUnavailable(
                "not saving: the conversation could not be read for this message"
            )
        await self.stream_events(tracker)
        await self._call("write", self._save_sync, tracker)
        logger.debug("Stored the conversation's new events")

    async def _stream_new_events(
        self, event_broker: EventBroker, new_events: list[Event], sender_id: str
    ) -> None:
        """Publish new events to the event broker, redacted, sender ID hashed."""
        stored, kept = stored_sender_id(sender_id), self._kept_slots()
        for event in new_events:
            body = {"sender_id": stored}
            body.update(redact_event(event.as_dict(), kept))
            event_broker.publish(body)
