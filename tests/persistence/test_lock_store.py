"""ResilientRedisLockStore against a real, throw-away redis-server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from rasa.core.lock_store import LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from persistence.errors import LockStoreUnavailable
from persistence.locks import ResilientRedisLockStore
from tests.support.live import free_port
from tests.support.services import REDIS_MISSING, RedisServer, find_redis


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    binary = find_redis()
    if binary is None:
        pytest.skip(REDIS_MISSING)
    server = RedisServer(binary)
    server.start()
    yield server
    server.cleanup()


def make_store(port: int, **settings: object) -> ResilientRedisLockStore:
    """Created the way Rasa creates a custom lock store from endpoints.yml."""
    config = EndpointConfig(
        url="127.0.0.1",
        type="persistence.locks.ResilientRedisLockStore",
        port=port,
        db=1,
        password="",
        retry_backoff=0.05,
        **settings,
    )
    store = LockStore.create(config)
    assert isinstance(store, ResilientRedisLockStore)
    return store


def test_one_message_per_conversation_across_replicas(
    redis_server: RedisServer,
) -> None:
    async def run() -> list[int]:
        replicas = [make_store(redis_server.port) for _ in range(2)]
        inside: list[str] = []
        most: list[int] = []

        async def handle(number: int) -> None:
            async with replicas[number % 2].lock("conversation-1"):
                inside.append("x")
                most.append(len(inside))
                await asyncio.sleep(0.01)
                inside.pop()

        await asyncio.wait_for(asyncio.gather(*(handle(i) for i in range(30))), 60)
        return most

    most = asyncio.run(run())
    assert len(most) == 30 and max(most) == 1


def test_other_conversations_are_not_blocked(redis_server: RedisServer) -> None:
    async def run() -> float:
        store = make_store(redis_server.port)
        async with store.lock("conversation-a"):
            start = time.monotonic()
            async with store.lock("conversation-b"):
                return time.monotonic() - start

    assert asyncio.run(run()) < 1


def test_waiting_is_bounded_by_the_lock_lifetime(redis_server: RedisServer) -> None:
    async def run() -> None:
        store = make_store(redis_server.port)
        async with store.lock("conversation-c", lock_lifetime=5):
            with pytest.raises(LockError):
                async with store.lock("conversation-c", lock_lifetime=0.3):
                    pass

    asyncio.run(run())


def test_redis_down_raises_quickly_then_recovers(redis_server: RedisServer) -> None:
    async def while_down() -> float:
        store = make_store(free_port(), socket_timeout=1)
        start = time.monotonic()
        with pytest.raises(LockStoreUnavailable):
            async with store.lock("conversation-d"):
                pass
        return time.monotonic() - start

    assert asyncio.run(while_down()) < 5

    async def across_restart() -> None:
        store = make_store(redis_server.port)
        async with store.lock("conversation-e"):
            pass
        redis_server.stop()
        with pytest.raises(LockStoreUnavailable):
            async with store.lock("conversation-e"):
                pass
        redis_server.start()
        async with store.lock("conversation-e"):  # same store, new connection
            pass

    asyncio.run(across_restart())


def test_rasa_calls_only_lock_on_a_lock_store() -> None:
    """The store implements LockStore.lock() alone: fails if an upgrade calls more."""
    import re
    from pathlib import Path

    import rasa

    root = Path(rasa.__file__).parent
    used = set()
    for path in root.rglob("*.py"):
        if "lock_store.py" in path.name or "/tests/" in str(path):
            continue
        used |= set(re.findall(r"lock_store\.(\w+)", path.read_text(errors="replace")))
    # `.type` is read from the endpoint configuration, not from a store.
    assert used == {"lock", "type"}, used


def test_ticket_methods_are_refused_and_keys_keep_rasas_layout() -> None:
    from rasa.core.lock import TicketLock

    from persistence.locks import key_prefix

    store = ResilientRedisLockStore(host="127.0.0.1", port=1)
    for call in (
        lambda: store.get_lock("c"),
        lambda: store.delete_lock("c"),
        lambda: store.save_lock(TicketLock("c")),
    ):
        with pytest.raises(NotImplementedError):
            call()
    assert key_prefix(None) == "lock:"
    assert key_prefix("clinic1") == "clinic1:lock:"
    assert key_prefix("bad prefix!") == "lock:"
    assert store._key("+15551234567").startswith("lock:mutex:")
    assert "15551234567" not in store._key("+15551234567")
