"""Errors raised when a conversation store cannot be reached, and retries."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TypeVar

from rasa.core.lock_store import LockError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Set when a store operation failed while handling the current message (one
# request = one asyncio task). The tracker store refuses to save a tracker that
# was assembled after a failed read, and the REST channel answers with an
# apology instead of whatever was computed from incomplete state.
STORE_FAILURE: ContextVar[BaseException | None] = ContextVar(
    "conversation_store_failure", default=None
)


class StoreUnavailable(Exception):
    """A conversation store (tracker or lock store) can't be used right now."""


class TrackerStoreUnavailable(StoreUnavailable):
    """The tracker store failed even after retries; nothing was written."""


class LockStoreUnavailable(StoreUnavailable, LockError):
    """The lock store failed even after retries; the message wasn't processed."""


def describe(error: BaseException) -> str:
    """Class and first line of the driver's message, without SQL or parameters."""
    original = getattr(error, "orig", None) or error
    first_line = (str(original).strip().splitlines() or [""])[0]
    return f"{type(original).__name__}: {first_line[:200]}"


async def retry_async(
    operation: Callable[[], Awaitable[T]],
    *,
    attempts: int,
    backoff: float,
    retry_on: tuple[type[BaseException], ...],
    what: str,
) -> T:
    """Run `operation`, retrying `retry_on` errors with exponential backoff.

    Waits backoff, 2*backoff, 4*backoff... between attempts; re-raises the last
    error when all `attempts` fail.
    """
    attempts = max(1, attempts)
    for attempt in range(1, attempts + 1):
        try:
            return await operation()
        except retry_on as error:
            if attempt == attempts:
                logger.warning(
                    "%s failed %d time(s): %s", what, attempt, describe(error)
                )
                raise
            delay = backoff * 2 ** (attempt - 1)
            logger.info(
                "%s failed (%s); retry %d/%d in %.2fs",
                what,
                describe(error),
                attempt,
                attempts - 1,
                delay,
            )
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
