"""The credentials checks every messaging connector starts with."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rasa.shared.exceptions import InvalidConfigException


def required_credentials(
    channel_class: Any, credentials: dict[str, Any] | None
) -> dict[str, Any]:
    """The channel's credentials, or Rasa's own "missing credentials" error."""
    if not credentials:
        channel_class.raise_missing_credentials_exception()
        raise RuntimeError(f"{channel_class.name()}: no credentials")  # not reached
    return credentials


def channel_settings(
    channel_class: Any, credentials: dict[str, Any] | None, names: Iterable[str]
) -> dict[str, Any]:
    """The named settings of a credentials.yml entry (None where absent)."""
    credentials = required_credentials(channel_class, credentials)
    return {name: credentials.get(name) for name in names}


def require_settings(channel: str, **values: Any) -> None:
    """InvalidConfigException naming every required setting left empty."""
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise InvalidConfigException(
            f"{channel}: missing {', '.join(missing)} (see docs/channels.md)"
        )
