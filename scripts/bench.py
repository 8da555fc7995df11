"""`make bench`: our recipe side by side with Rasa's default recipe.

For each recipe: training time and model size; then, with the action server and
the Rasa server on loopback (REST channel): cold start (process start to first
answer), latency p50/p95/p99 and throughput at 1, 10 and 50 concurrent
conversations over a realistic mix, and peak resident memory of each process.
Writes bench/results/bench.md, bench.json and bench.png. Bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from math import nan
from pathlib import Path

import aiohttp

from tests.support.live import LiveAssistant, base_env
from tests.support.load import CONVERSATIONS as SOAK_CONVERSATIONS
from tests.support.load import rss_mb, run_load

ROOT = Path(__file__).resolve().parent.parent

RESULTS = ROOT / "bench" / "results"
RECIPES = {
    "ours": ROOT / "config.yml",
    "default": ROOT / "bench" / "config.default.yml",
}
LEVELS = {1: 60, 10: 20, 50: 8}  # concurrent conversations: messages each
LEVEL_TIME_LIMIT = 180.0
# The soak (our recipe): the Rasa server's resident memory may grow less than
# SOAK_GROWTH_LIMIT over SOAK_SECONDS of mixed load after SOAK_WARM_UP seconds.
SOAK_WARM_UP = 20.0
SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "90"))
SOAK_GROWTH_LIMIT = 0.10
CONVERSATION = [
    "hi",
    "how long does physical therapy take to work?",
    "what should i avoid with neuropathy in my feet",
    "/book_appointment",
    "is pt better than medication for nerve pain",
    "what's the weather like tomorrow",
    "does a tens unit help",
    "my face is drooping on one side",
    "what stretches help burning feet",
    "can i talk to a person",
    "how is neuropathy diagnosed",
    "thanks bye",
]


def train(recipe: str, out: Path) -> dict[str, float]:
    start = time.monotonic()
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "rasa"), "train", "--config", str(RECIPES[recipe]),
         "--out", str(out), "--fixed-model-name", recipe, "--force", "--quiet"],
        cwd=ROOT, env=base_env(), check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    model = out / f"{recipe}.tar.gz"
    return {
        "train_s": time.monotonic() - start,
        "model_mb": model.stat().st_size / 1e6,
        "model": str(model),
    }


async def ask(session: aiohttp.ClientSession, url: str, sender: str, text: str):
    start = time.perf_counter()
    async with session.post(url, json={"sender": sender, "message": text}) as r:
        body = await r.json()
        ok = r.status == 200 and bool(body)
    return time.perf_counter() - start, ok


async def conversation(session, url, sender, count, latencies, errors, deadline):
    offset = random.randrange(len(CONVERSATION))
    for i in range(count):
        if time.monotonic() > deadline:
            return
        text = CONVERSATION[(offset + i) % len(CONVERSATION)]
        try:
            seconds, ok = await ask(session, url, sender, text)
            latencies.append(seconds)
            errors[0] += not ok
        except aiohttp.ClientError:
            errors[0] += 1


async def load_level(url: str, concurrency: int, count: int, tag: str) -> dict:
    latencies: list[float] = []
    errors = [0]
    deadline = time.monotonic() + LEVEL_TIME_LIMIT
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        start = time.monotonic()
        await asyncio.gather(
            *(
                conversation(session, url, f"{tag}-{concurrency}-{i}", count,
                             latencies, errors, deadline)
                for i in range(concurrency)
            )
        )  # fmt: skip
        wall = time.monotonic() - start
    q = (
        statistics.quantiles(sorted(latencies), n=100)
        if len(latencies) > 1
        else [0] * 99
    )
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "p50_ms": q[49] * 1000,
        "p95_ms": q[94] * 1000,
        "p99_ms": q[98] * 1000,
        "throughput_rps": len(latencies) / wall,
    }


def serve_and_measure(recipe: str, model: str, workdir: Path) -> dict:
    live = LiveAssistant(workdir, model=Path(model))
    t0 = time.monotonic()
    live.start_actions()
    live.start_rasa()
    url = live.url + "/webhooks/rest/webhook"
    while True:  # cold start: until the first real answer
        try:
            if live.send("bench-cold", "how long does physical therapy take to work?"):
                break
        except (AssertionError, OSError):
            time.sleep(0.2)
    cold = time.monotonic() - t0
    figures: dict = {"cold_start_s": cold, "levels": {}}
    try:
        asyncio.run(load_level(url, 1, 10, recipe + "-warmup"))
        for concurrency, count in LEVELS.items():
            figures["levels"][concurrency] = asyncio.run(
                load_level(url, concurrency, count, recipe)
            )
            print(f"  {recipe} x{concurrency}: {figures['levels'][concurrency]}")
        if recipe == "ours":
            figures["soak"] = soak(url, live.rasa.pid)
            print(f"  {recipe} soak: {figures['soak']}")
        figures["rasa_peak_rss_mb"] = rss_mb(live.rasa.pid, "VmHWM")
        figures["actions_peak_rss_mb"] = rss_mb(live.actions.pid, "VmHWM")
    finally:
        live.stop()
    return figures


def soak(url: str, rasa_pid: int) -> dict:
    """Mixed load for SOAK_SECONDS after a warm-up: errors and memory growth."""
    run_load(url, SOAK_WARM_UP)
    before = rss_mb(rasa_pid)
    stats = run_load(url, SOAK_SECONDS)
    after = rss_mb(rasa_pid)
    latencies = sorted(stats["latency"])
    return {
        "seconds": SOAK_SECONDS,
        "conversations": SOAK_CONVERSATIONS,
        "messages": len(latencies),
        "errors": len(stats["errors"]),
        "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000 if latencies else nan,
        "rss_before_mb": before,
        "rss_after_mb": after,
        "growth": (after - before) / before,
    }


def soak_failures(results: dict) -> list[str]:
    s = results.get("ours", {}).get("soak")
    if not s:
        return []
    failures = []
    if s["errors"]:
        failures.append(f"soak: {s['errors']} errors of {s['messages']} messages")
    if s["growth"] >= SOAK_GROWTH_LIMIT:
        failures.append(
            f"soak: Rasa RSS grew {s['growth']:+.1%} (limit {SOAK_GROWTH_LIMIT:.0%})"
        )
    return failures


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "n/a"


def write_table(results: dict, path: Path) -> None:
    ours, default = results["ours"], results["default"]
    rows = [
        ("Training time (s)", "train_s"),
        ("Model file (MB)", "model_mb"),
        ("Cold start to first answer (s)", "cold_start_s"),
        ("Rasa server peak RSS (MB)", "rasa_peak_rss_mb"),
        ("Action server peak RSS (MB)", "actions_peak_rss_mb"),
    ]
    lines = [
        f"# Benchmark ({results['machine']})",
        "",
        "| Figure | Ours | Rasa default | Ours / default |",
        "|---|---:|---:|---:|",
    ]
    for label, key in rows:
        lines.append(
            f"| {label} | {ours.get(key, nan):.1f} | {default.get(key, nan):.1f} | "
            f"{ratio(ours.get(key, nan), default.get(key, nan))} |"
        )
    for level in LEVELS:
        o, d = ours["levels"][level], default["levels"][level]
        for key, label in [("p50_ms", "p50"), ("p95_ms", "p95"), ("p99_ms", "p99")]:
            lines.append(
                f"| Latency {label} at {level} conversation(s) (ms) | {o[key]:.0f} | "
                f"{d[key]:.0f} | {ratio(o[key], d[key])} |"
            )
        lines.append(
            f"| Throughput at {level} (answers/s) | {o['throughput_rps']:.1f} | "
            f"{d['throughput_rps']:.1f} | {ratio(o['throughput_rps'], d['throughput_rps'])} |"
        )
        lines.append(
            f"| Errors at {level} | {o['errors']} of {o['requests']} | "
            f"{d['errors']} of {d['requests']} | |"
        )
    s = ours.get("soak")
    if s:
        lines += [
            "",
            f"Soak (ours): {s['messages']} messages in {s['seconds']:.0f} s over "
            f"{s['conversations']} conversations, {s['errors']} errors, p95 "
            f"{s['p95_ms']:.0f} ms, Rasa RSS {s['rss_before_mb']:.0f} -> "
            f"{s['rss_after_mb']:.0f} MB ({s['growth']:+.1%}; limit "
            f"{SOAK_GROWTH_LIMIT:.0%}).",
        ]
    path.write_text("\n".join(lines) + "\n")


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    levels = list(LEVELS)
    for recipe, style in [("ours", "-"), ("default", "--")]:
        for key, marker in [("p50_ms", "o"), ("p95_ms", "s"), ("p99_ms", "^")]:
            values = [results[recipe]["levels"][lv][key] for lv in levels]
            ax.plot(levels, values, style, marker=marker, label=f"{recipe} {key[:3]}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(levels)
    ax.set_xticklabels([str(lv) for lv in levels])
    ax.set_xlabel("concurrent conversations")
    ax.set_ylabel("latency (ms)")
    ax.set_title("REST latency percentiles: ours vs Rasa default recipe")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES))
    parser.add_argument(
        "--model",
        type=Path,
        help="measure this trained model of our recipe instead of training it again",
    )
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    results: dict = {
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    }
    with tempfile.TemporaryDirectory() as tmp:
        for recipe in args.recipes:
            if recipe == "ours" and args.model:
                results[recipe] = {
                    "model_mb": args.model.stat().st_size / 1e6,
                    "model": str(args.model.resolve()),
                }
            else:
                print(f"training {recipe} ...")
                results[recipe] = train(recipe, Path(tmp))
                print(f"  {recipe}: {results[recipe]['train_s']:.0f} s")
            results[recipe].update(
                serve_and_measure(recipe, results[recipe]["model"], Path(tmp) / recipe)
            )
    both = {"ours", "default"} <= set(results)
    # A one-recipe run keeps bench.json (the side-by-side figures) as it was.
    name = (
        "bench.json"
        if both
        else f"bench-{'-'.join(args.recipes)}-{time.strftime('%Y-%m-%d')}.json"
    )
    (RESULTS / name).write_text(json.dumps(results, indent=2, default=str))
    print(f"figures: {RESULTS / name}")
    if both:
        write_table(results, RESULTS / "bench.md")
        plot(results, RESULTS / "bench.png")
        print((RESULTS / "bench.md").read_text())
    failures = soak_failures(results)
    for line in failures:
        print(f"BELOW TARGET: {line}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
