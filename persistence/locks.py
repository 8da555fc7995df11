"""Redis lock store: one message per conversation at a time, across replicas.

endpoints.yml:

    lock_store:
      type: persistence.locks.ResilientRedisLockStore
      url: ${REDIS_HOST}
      port: ${REDIS_PORT}
      password: ${REDIS_PASSWORD}
      db: 1
      key_prefix: ptassistant   # optional, letters and digits
      socket_timeout: 2         # optional: seconds per Redis call
      retry_attempts: 3         # optional: tries per Redis call
      retry_backoff: 0.25       # optional: first wait between tries, doubles

Rasa's RedisLockStore reads a ticket list, changes it and writes it back: two
replicas taking a ticket at the same moment can both believe they hold the
lock. Here the lock is one Redis key taken atomically (SET NX PX, owner token,
expiry = Rasa's lock lifetime) and released only by its owner (compare and
delete). Built on Rasa's public LockStore base and its `lock()` context
manager, the one method Rasa calls (tests/persistence/test_lock_store.py checks that on
every upgrade); the ticket methods, which Rasa's own stores use under
`lock()`, are refused. Redis calls don't block the event loop and are retried; when Redis
stays down, LockStoreUnavailable is raised before the message is processed. A
lock that can't be released because Redis went away expires by itself.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio
import redis.exceptions
from rasa.core.lock import TicketLock
from rasa.core.lock_store import (
    DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX,
    LOCK_LIFETIME,
    LockError,
    LockStore,
)
from rasa.utils.endpoints import EndpointConfig

from persistence.errors import LockStoreUnavailable, describe, retry_async
from persistence.identity import stored_sender_id

logger = logging.getLogger(__name__)

TICKETS_REFUSED = "ResilientRedisLockStore locks with lock() only (no ticket list)"

RELEASE_SCRIPT = """
if redis.call("get", KEYS[1]) == ARGV[1] then
  return redis.call("del", KEYS[1])
end
return 0
"""


def key_prefix(prefix: Any) -> str:
    """Rasa's Redis key layout: "<prefix>:lock:" (letters and digits only)."""
    if prefix is None:
        return DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX
    if isinstance(prefix, str) and prefix.isalnum():
        return f"{prefix}:{DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX}"
    logger.warning(
        "Ignored the lock store key_prefix %r: letters and digits only", prefix
    )
    return DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX


class ResilientRedisLockStore(LockStore):
    """Atomic per-conversation lock in Redis, shared by every Rasa replica."""

    def __init__(
        self, endpoint_config: EndpointConfig | None = None, **settings: Any
    ) -> None:
        if endpoint_config is not None:
            settings = {**endpoint_config.kwargs, **settings}
            settings.setdefault("host", endpoint_config.url)
        host = settings.pop("host", None) or settings.pop("url", None) or "localhost"
        port = int(settings.get("port") or 6379)
        db = int(settings.get("db") or 1)
        password = settings.get("password") or None
        username = settings.get("username") or None
        use_ssl = str(settings.get("use_ssl", False)).lower() in ("1", "true", "yes")
        socket_timeout = float(settings.get("socket_timeout", 2))
        self.retry_attempts = int(settings.get("retry_attempts", 3))
        self.retry_backoff = float(settings.get("retry_backoff", 0.25))
        self.poll_interval = float(settings.get("poll_interval", 0.02))
        super().__init__()
        self.key_prefix = key_prefix(settings.get("key_prefix"))
        ssl_args = (
            {
                "ssl": True,
                "ssl_certfile": settings.get("ssl_certfile"),
                "ssl_keyfile": settings.get("ssl_keyfile"),
                "ssl_ca_certs": settings.get("ssl_ca_certs"),
            }
            if use_ssl
            else {}
        )
        self.async_redis = redis.asyncio.Redis(
            host=host,
            port=port,
            db=db,
            username=username,
            password=password,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            **ssl_args,
        )

    def _key(self, conversation_id: str) -> str:
        # The conversation's stored form (a keyed hash), not a phone number.
        return f"{self.key_prefix}mutex:{stored_sender_id(conversation_id)}"

    async def _redis(self, what: str, *command: Any) -> Any:
        """Run one Redis command with retries; LockStoreUnavailable if it can't."""
        try:
            return await retry_async(
                lambda: self.async_redis.execute_command(*command),
                attempts=self.retry_attempts,
                backoff=self.retry_backoff,
                retry_on=(redis.exceptions.RedisError, OSError),
                what=f"lock store {what}",
            )
        except (redis.exceptions.RedisError, OSError) as error:
            raise LockStoreUnavailable(
                f"lock store {what} failed: {describe(error)}"
            ) from error

    async def acquire(
        self, conversation_id: str, token: str, lifetime: float, wait: float
    ) -> None:
        """Take the conversation's lock, waiting up to `wait` seconds for it."""
        key = self._key(conversation_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        delay = self.poll_interval
        while True:
            taken = await self._redis(
                "lock", "SET", key, token, "NX", "PX", max(1, int(lifetime * 1000))
            )
            if taken:
                return
            # A lost reply to an earlier SET may have given us the lock already.
            if await self._redis("lock", "GET", key) == token.encode():
                return
            if loop.time() >= deadline:
                raise LockError(
                    f"Could not lock the conversation within {wait:.0f}s: "
                    f"another message for it is still being processed."
                )
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 0.1)

    async def release(self, conversation_id: str, token: str) -> None:
        """Release the lock if we still own it; if Redis is gone, let it expire."""
        try:
            await self._redis(
                "unlock", "EVAL", RELEASE_SCRIPT, 1, self._key(conversation_id), token
            )
        except LockStoreUnavailable as error:
            logger.warning("%s; the lock will expire by itself", error)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        """Hold the conversation's lock while the message is processed.

        Waits at most `lock_lifetime` for another message of the same
        conversation, like Rasa's lock stores (`wait_time_in_seconds`, Rasa's
        polling interval, is replaced by polling from 20 ms up to 100 ms).
        """
        token = uuid.uuid4().hex
        await self.acquire(conversation_id, token, lock_lifetime, lock_lifetime)
        try:
            yield TicketLock(conversation_id)
        finally:
            await self.release(conversation_id, token)

    # Rasa's ticket API, used only inside Rasa's own lock(): not this store's.
    def get_lock(self, conversation_id: str) -> TicketLock | None:
        raise NotImplementedError(TICKETS_REFUSED)

    def delete_lock(self, conversation_id: str) -> None:
        raise NotImplementedError(TICKETS_REFUSED)

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError(TICKETS_REFUSED)
