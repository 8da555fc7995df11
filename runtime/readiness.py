"""Start-up of the Rasa server: where the time goes, warm-up, and readiness.

- `mark(stage)` records when a start-up stage ended; the process start comes
  from /proc, so "imports" covers the interpreter and Rasa's imports.
- `warm_up(app)` runs one parse after the model is loaded, so TensorFlow traces
  its graphs before the first patient's message rather than during it, then
  logs the split ("Start-up: imports 4.1 s, model load 5.0 s, ...").
- `actions_ready(agent)` asks the action server's /actions with the headers of
  the configured action endpoint: it fails when the URL or the token is wrong,
  which is what `GET /webhooks/rest/ready` reports and `make run` waits for.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

logger = logging.getLogger("startup")

_STAGES: list[tuple[str, float]] = []


def process_start() -> float:
    """Wall-clock time this process started (falls back to now)."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        with open("/proc/self/stat", encoding="ascii") as stat:
            started = int(stat.read().rsplit(")", 1)[1].split()[19]) / ticks
        with open("/proc/uptime", encoding="ascii") as uptime:
            booted = time.time() - float(uptime.read().split()[0])
        return booted + started
    except (OSError, ValueError, IndexError):
        return time.time()


def mark(stage: str) -> None:
    """Record that `stage` ended now (first call per stage wins)."""
    if all(name != stage for name, _ in _STAGES):
        _STAGES.append((stage, time.time()))


def split() -> dict[str, float]:
    """Seconds spent in each recorded stage, in order, from the process start."""
    result: dict[str, float] = {}
    previous = process_start()
    for name, when in _STAGES:
        result[name] = round(max(0.0, when - previous), 2)
        previous = when
    return result


def summary() -> str:
    stages = split()
    parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in stages.items())
    return f"Start-up: {parts} (total {sum(stages.values()):.1f} s)"


async def warm_up(app: Any, _loop: Any = None) -> None:
    """After the model is loaded: one parse to trace the graphs, then the split."""
    mark("model load")
    agent = getattr(app.ctx, "agent", None)
    if agent is not None and agent.is_ready():
        try:
            await agent.parse_message("hello")
        except Exception:  # noqa: BLE001 - a failed warm-up must not stop the server
            logger.exception("Warm-up parse failed")
    mark("warm-up (graph tracing)")
    logger.info(summary())


async def actions_ready(agent: Any) -> tuple[bool, str]:
    """(True, "ok") when the action server accepts this server's calls."""
    import aiohttp

    endpoint = getattr(agent, "action_endpoint", None)
    if endpoint is None or not endpoint.url:
        return True, "no action server configured"
    url = endpoint.url.rsplit("/webhook", 1)[0] + "/actions"
    timeout = aiohttp.ClientTimeout(total=5)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(
            url, headers=endpoint.headers or {}
        ) as response:
            status = response.status
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        return False, f"the action server is unreachable ({type(error).__name__})"
    if status == 401:
        return False, "the action server refused this server's token (401)"
    if status >= 400:
        return False, f"the action server answered {status}"
    return True, "ok"


async def ready(request: Any) -> Any:
    """GET /webhooks/rest/ready: 200 once the model is loaded and the action
    server takes our calls, else 503 with the reason."""
    from sanic import response

    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or not agent.is_ready():
        return response.json({"ready": False, "reason": "no model"}, 503)
    ok, reason = await actions_ready(agent)
    return response.json({"ready": ok, "reason": reason}, 200 if ok else 503)
