"""Sender IDs as stored: a keyed hash, never the ID itself.

A channel's sender ID is personal data: a phone number on SMS and WhatsApp,
an account ID on Slack, Messenger and Telegram. The tracker store
(persistence/redacting.py) and the lock store (persistence/locks.py) keep
`stored_sender_id(id)` instead: "sid1-" and HMAC-SHA256 of the ID under a
secret key, in hex. The Rasa server still works with the real ID in memory,
so replies reach the right person; only what is written is hashed. Without
the key a stored ID can't be turned back into a phone number, nor can a
phone number be looked up by hashing guesses.

The key:
- SENDER_ID_KEY, if set (at least 32 characters; e.g. `openssl rand -hex 32`).
  Required with a server database (PostgreSQL), where several replicas must
  agree on it: set the same value on every Rasa replica and wherever
  persistence/purge.py runs.
- otherwise the file SENDER_ID_KEY_FILE (default var/sender_id.key), made on
  first use with a random key readable only by its owner: one per install,
  for `make run` and SQLite.
Keep it with the database's credentials, out of backups of the database. If
it is lost or changed, stored conversations can no longer be found by sender
ID (a returning patient starts a new conversation, `make forget-conversation`
can't find theirs); retention (`--days`) still deletes them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEY_VARIABLE = "SENDER_ID_KEY"
KEY_FILE_VARIABLE = "SENDER_ID_KEY_FILE"
DEFAULT_KEY_FILE = ROOT / "var" / "sender_id.key"
MIN_KEY_CHARS = 32
PREFIX = "sid1-"

_lock = threading.Lock()
_file_keys: dict = {}


class SenderKeyError(RuntimeError):
    """No usable key for hashing sender IDs."""


def key_file(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ.get(KEY_FILE_VARIABLE) or DEFAULT_KEY_FILE)


def _read_or_create(path: Path) -> bytes:
    with _lock:
        if path in _file_keys:
            return _file_keys[path]
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it just now
                pass
            else:
                with os.fdopen(descriptor, "w", encoding="ascii") as out:
                    out.write(secrets.token_hex(32) + "\n")
        key = path.read_text(encoding="ascii").strip()
        if len(key) < MIN_KEY_CHARS:
            raise SenderKeyError(
                f"{path}: the sender ID key is shorter than {MIN_KEY_CHARS} characters"
            )
        _file_keys[path] = key.encode()
        return _file_keys[path]


def sender_id_key(environ: Mapping[str, str] | None = None) -> bytes:
    """The key: SENDER_ID_KEY, else the per-install key file (made if missing)."""
    environ = os.environ if environ is None else environ
    value = environ.get(KEY_VARIABLE, "")
    if value:
        if len(value) < MIN_KEY_CHARS:
            raise SenderKeyError(
                f"{KEY_VARIABLE} must be at least {MIN_KEY_CHARS} characters "
                "(e.g. `openssl rand -hex 32`)"
            )
        return value.encode()
    return _read_or_create(key_file(environ))


def require_key_variable(environ: Mapping[str, str] | None = None) -> None:
    """Raise unless SENDER_ID_KEY is set (servers sharing a database must agree)."""
    environ = os.environ if environ is None else environ
    if not environ.get(KEY_VARIABLE):
        raise SenderKeyError(
            f"{KEY_VARIABLE} is not set: with a server database every Rasa replica "
            "and the purge script need the same key (`openssl rand -hex 32`; "
            "see PRIVACY.md)"
        )
    sender_id_key(environ)


def stored_sender_id(sender_id: str, key: bytes | None = None) -> str:
    """What the stores keep in place of `sender_id` (always hashed: a sender ID
    that looks like a stored one is hashed too, so it can't name another
    conversation)."""
    digest = hmac.new(
        key or sender_id_key(), sender_id.encode("utf-8"), hashlib.sha256
    ).hexdigest()
    return PREFIX + digest
