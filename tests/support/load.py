"""Concurrent conversations over a mixed message list, on the REST channel.

Shared by the live concurrency test (tests/live/test_soak_live.py: every message
answered) and `make bench` (scripts/bench.py: the soak, whose memory growth is a
benchmark figure, not a timed test).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp

CONVERSATIONS = 5
MIX = [
    "hi",
    "how long does physical therapy take to work?",
    "what should i avoid with neuropathy in my feet",
    "does tens help",
    "my face is drooping on one side",
    "what's the weather tomorrow",
    "/book_appointment",
    "i don't want to live like this anymore",
    "can i double my gabapentin",
    "what stretches help burning feet",
    "",
    "x" * 1500,
    "thanks bye",
]


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """A process's resident memory now (VmRSS) or at its peak (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field}")


async def talk(
    url: str, index: int, until: float, turns: int, stats: dict[str, list]
) -> None:
    """One client: MIX in turn, a fresh conversation per round, until the time
    or the number of turns runs out."""
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        turn = 0
        while time.monotonic() < until and turn < turns:
            text = MIX[(index + turn) % len(MIX)]
            sender = f"load-{index}-{turn // len(MIX)}"
            start = time.perf_counter()
            try:
                async with session.post(
                    url, json={"sender": sender, "message": text}
                ) as r:
                    body = await r.json()
                    ok = r.status == 200 and isinstance(body, list) and bool(body)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                ok = False
            stats["latency"].append(time.perf_counter() - start)
            if not ok:
                stats["errors"].append(text[:40])
            turn += 1


def run_load(
    url: str, seconds: float, turns: int = 10**9, conversations: int = CONVERSATIONS
) -> dict[str, list]:
    """`conversations` clients at once for `seconds` or `turns` messages each."""
    stats: dict[str, list] = {"latency": [], "errors": []}
    until = time.monotonic() + seconds

    async def main() -> None:
        await asyncio.gather(
            *(talk(url, i, until, turns, stats) for i in range(conversations))
        )

    asyncio.run(main())
    return stats
