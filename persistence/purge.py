"""Delete stored conversations: retention (--days) or one person's (--sender).

    python -m persistence.purge --days 30          # last message > 30 days ago
    python -m persistence.purge --sender <ID>      # one conversation, all of it
    python -m persistence.purge --days 30 --dry-run

Works on the tracker store configured in endpoints.yml (SQLite or PostgreSQL,
${VAR} references read from the environment like Rasa does), or on
--db-url (e.g. postgresql://user:pass@host:5432/rasa, sqlite:///var/conversations.db).
A conversation is deleted whole: every event of its sender ID, across sessions.
Sender IDs are stored as a keyed hash (persistence/identity.py): --sender takes
the ID as the channel gives it (e.g. +15551234567) and hashes it with the same
key as the Rasa server (SENDER_ID_KEY, else var/sender_id.key), so run it
where that key is available; rows stored before hashing, under the plain ID,
are deleted too.
Safe while the assistant runs: on PostgreSQL the events table is locked against
writes for the moment of the delete, so a conversation that gets a new message
at that moment is either kept whole or deleted whole. Exit code 0 on success.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from persistence.endpoints import url_from_endpoints

ROOT = Path(__file__).resolve().parent.parent
SECONDS_PER_DAY = 86400


def purge(
    url: sa.engine.URL | str,
    days: float | None = None,
    sender: str | None = None,
    dry_run: bool = False,
    now: float | None = None,
) -> tuple[int, int]:
    """Delete conversations; returns (conversations, events) deleted (or found)."""
    if (days is None) == (sender is None):
        raise ValueError("give exactly one of days or sender")
    url = sa.engine.make_url(url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return 0, 0  # nothing stored yet (and don't create the file)
    engine = sa.create_engine(url)
    try:
        if not sa.inspect(engine).has_table("events"):
            return 0, 0
        if sender is not None:
            from persistence.identity import stored_sender_id

            # The hashed ID, and the plain one of rows stored before hashing.
            where = "sender_id IN (:stored, :sender)"
            params: dict[str, Any] = {
                "stored": stored_sender_id(sender),
                "sender": sender,
            }
        else:  # days, checked above
            where = (
                "sender_id IN (SELECT sender_id FROM events GROUP BY sender_id "
                "HAVING MAX(timestamp) < :cutoff)"
            )
            age = float(days or 0) * SECONDS_PER_DAY
            params = {"cutoff": (now or time.time()) - age}
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql" and not dry_run:
                connection.execute(sa.text("LOCK TABLE events IN EXCLUSIVE MODE"))
            conversations, events = connection.execute(
                sa.text(
                    f"SELECT COUNT(DISTINCT sender_id), COUNT(*) FROM events WHERE {where}"
                ),
                params,
            ).one()
            if not dry_run and events:
                connection.execute(sa.text(f"DELETE FROM events WHERE {where}"), params)
        if sender is not None:  # one person, whichever form their rows had
            conversations = min(int(conversations), 1)
        return int(conversations), int(events)
    finally:
        engine.dispose()


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--days",
        type=float,
        help="delete conversations whose last event is older than this many days",
    )
    what.add_argument("--sender", help="delete this conversation (sender ID) entirely")
    parser.add_argument(
        "--endpoints",
        type=Path,
        default=ROOT / "endpoints.yml",
        help="endpoints file with the SQL tracker_store (default: endpoints.yml)",
    )
    parser.add_argument("--db-url", help="database URL; overrides --endpoints")
    parser.add_argument(
        "--dry-run", action="store_true", help="count what would be deleted"
    )
    args = parser.parse_args(argv)
    if args.days is not None and args.days < 0:
        parser.error("--days must be 0 or more")
    url = args.db_url or url_from_endpoints(args.endpoints)
    shown = sa.engine.make_url(url).render_as_string(hide_password=True)
    conversations, events = purge(url, args.days, args.sender, args.dry_run)
    verb = "Would delete" if args.dry_run else "Deleted"
    scope = (
        f"conversation {args.sender!r}"
        if args.sender is not None
        else f"conversations idle for more than {args.days:g} days"
    )
    print(
        f"{verb} {conversations} conversation(s), {events} event(s): {scope} "
        f"in {shown}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
