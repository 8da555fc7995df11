"""The one credentials check every messaging connector starts with."""

from __future__ import annotations

from typing import Any, Dict, Optional


def required_credentials(
    channel_class: Any, credentials: Optional[Dict[str, Any]]
) -> Dict[str, Any]:
    """The channel's credentials, or Rasa's own "missing credentials" error."""
    if not credentials:
        channel_class.raise_missing_credentials_exception()
        raise RuntimeError(f"{channel_class.name()}: no credentials")  # not reached
    return credentials
