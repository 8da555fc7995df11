"""Sender IDs as stored: a keyed hash (persistence/identity.py)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from persistence.identity import (
    PREFIX,
    SenderKeyError,
    sender_id_key,
    stored_sender_id,
)


def test_the_hash_depends_on_the_key_and_the_id() -> None:
    one, two = b"k" * 32, b"j" * 32
    stored = stored_sender_id("+15551234567", one)
    assert stored.startswith(PREFIX) and "5551234567" not in stored
    assert stored == stored_sender_id("+15551234567", one)
    assert stored != stored_sender_id("+15551234568", one)
    assert stored != stored_sender_id("+15551234567", two)


def test_the_key_comes_from_the_environment_first(tmp_path: Path) -> None:
    environ = {"SENDER_ID_KEY": "e" * 40, "SENDER_ID_KEY_FILE": str(tmp_path / "k")}
    assert sender_id_key(environ) == b"e" * 40
    assert not (tmp_path / "k").exists()
    with pytest.raises(SenderKeyError, match="at least 32"):
        sender_id_key({"SENDER_ID_KEY": "short"})


def test_without_the_variable_a_key_file_is_made_once(tmp_path: Path) -> None:
    path = tmp_path / "var" / "sender_id.key"
    environ = {"SENDER_ID_KEY_FILE": str(path)}
    key = sender_id_key(environ)
    assert len(key) >= 32 and path.read_text().strip() == key.decode()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # readable by its owner only
    assert sender_id_key(environ) == key  # the same key next time
