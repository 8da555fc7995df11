"""Where the conversations are, and reading them one event at a time.

The tracker store is found like Rasa and the purge script find it: the
`tracker_store` of endpoints.yml (or ENDPOINTS=file), ${VAR} references read
from the environment; or a database URL. Events are streamed in (sender, id)
order with a server-side cursor on PostgreSQL and SQLite's own cursor, so memory
doesn't grow with the number of conversations. Only the rows the report needs
are read: patient messages, replies and session starts in the date range.
Nothing is ever written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
import sqlalchemy.exc
import yaml

from persistence.endpoints import expand, url_from_endpoints

BATCH = 2000


class ReportError(Exception):
    """Something the person running the report must fix; said without a traceback."""


class StoreUnavailable(ReportError):
    """The tracker store could not be read."""


class Row(NamedTuple):
    sender_id: str
    type_name: str
    timestamp: float
    intent_name: str | None
    data: str


@dataclass(frozen=True)
class Store:
    url: sa.engine.URL
    connect_timeout: float = 5

    @property
    def kind(self) -> str:
        return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(
            self.url.get_backend_name(), self.url.get_backend_name()
        )

    def describe(self) -> str:
        """Where, for messages: never the password."""
        if self.url.get_backend_name() == "sqlite":
            return f"SQLite file {self.url.database}"
        where = f"{self.url.host or 'localhost'}:{self.url.port or 5432}"
        return f"{self.kind} database {self.url.database!r} at {where}"


def store_from_endpoints(path: Path, environ: Mapping[str, str] | None = None) -> Store:
    """The SQL tracker store configured in an endpoints file."""
    environ = os.environ if environ is None else environ
    if not path.is_file():
        raise ReportError(f"endpoints file {path} not found (ENDPOINTS=...)")
    try:
        url = url_from_endpoints(path, environ)
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        store = expand(config.get("tracker_store") or {}, environ)
    except SystemExit as error:  # the purge script's way of saying what's wrong
        raise ReportError(str(error).removeprefix("error: ")) from None
    except yaml.YAMLError as error:
        raise ReportError(f"{path} is not valid YAML: {error}") from None
    return Store(url, float(store.get("connect_timeout") or 5))


def store_from_url(url: str) -> Store:
    try:
        return Store(sa.engine.make_url(url))
    except sa.exc.ArgumentError as error:
        raise ReportError(f"not a database URL: {error}") from None


def describe_error(error: BaseException) -> str:
    """The driver's first line, without SQL or parameters."""
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines() or [type(original).__name__]
    return lines[0][:300]


def _engine(store: Store) -> sa.engine.Engine:
    # The store's statement_timeout (seconds per statement, for the assistant's
    # small reads and writes) is not applied: the report's one query streams
    # every event of the period and may rightly take minutes.
    connect_args: dict[str, Any] = {}
    if store.url.get_backend_name() == "postgresql":
        connect_args = {
            "connect_timeout": max(1, int(store.connect_timeout)),
            "application_name": "pt-assistant-report",
        }
    return sa.create_engine(
        store.url, connect_args=connect_args, poolclass=sa.pool.NullPool
    )


def stream_events(
    store: Store, start: float, end: float, batch: int = BATCH
) -> Iterator[Row]:
    """Events with start <= timestamp < end, in (sender, id) order.

    Yields nothing when nothing is stored yet (no SQLite file, no table).
    Raises StoreUnavailable, with the driver's reason, when the database can't
    be reached or fails while reading.
    """
    url = store.url
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return  # nothing stored yet; don't create the file
    engine = _engine(store)
    query = sa.text(
        "SELECT sender_id, type_name, timestamp, intent_name, data FROM events "
        "WHERE type_name IN ('user', 'bot', 'session_started') "
        "AND timestamp >= :start AND timestamp < :end "
        "ORDER BY sender_id, id"
    )
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("events"):
                return
            result = connection.execution_options(
                stream_results=True, max_row_buffer=batch
            ).execute(query, {"start": start, "end": end})
            while True:
                rows = result.fetchmany(batch)
                if not rows:
                    break
                for row in rows:
                    yield Row(*row)
    except sa.exc.SQLAlchemyError as error:
        raise StoreUnavailable(
            f"cannot read the conversations from {store.describe()}: "
            f"{describe_error(error)}"
        ) from None
    finally:
        engine.dispose()
