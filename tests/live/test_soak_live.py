"""Soak: 5 concurrent conversations with mixed messages, bounded in time.

No errors, and the Rasa server's resident memory grows less than 10% after
warm-up. Figures go to test-artifacts/soak.md. SOAK_SECONDS sets the length
(default 90 s of measured load after 20 s of warm-up).
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import aiohttp
import pytest

from tests.support.live import ROOT

pytestmark = pytest.mark.live

WARM_UP_SECONDS = 20.0
SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "90"))
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


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def talk(url: str, index: int, until: float, stats: dict[str, list]) -> None:
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        turn = 0
        while time.monotonic() < until:
            text = MIX[(index + turn) % len(MIX)]
            sender = (
                f"soak-{index}-{turn // len(MIX)}"  # a fresh conversation per round
            )
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


def run_load(url: str, seconds: float) -> dict[str, list]:
    stats: dict[str, list] = {"latency": [], "errors": []}
    until = time.monotonic() + seconds

    async def main() -> None:
        await asyncio.gather(
            *(talk(url, i, until, stats) for i in range(CONVERSATIONS))
        )

    asyncio.run(main())
    return stats


def test_soak(assistant):
    url = assistant.url + "/webhooks/rest/webhook"
    run_load(url, WARM_UP_SECONDS)
    before = rss_mb(assistant.rasa.pid)
    stats = run_load(url, SOAK_SECONDS)
    after = rss_mb(assistant.rasa.pid)
    latencies = sorted(stats["latency"])
    growth = (after - before) / before
    report = (
        f"soak: {len(latencies)} messages in {SOAK_SECONDS:.0f} s over "
        f"{CONVERSATIONS} conversations, {len(stats['errors'])} errors, "
        f"p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, "
        f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms, "
        f"Rasa RSS {before:.0f} -> {after:.0f} MB ({growth:+.1%})"
    )
    print(report)
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    (ROOT / "test-artifacts" / "soak.md").write_text(report + "\n")
    assert stats["errors"] == []
    assert growth < 0.10
