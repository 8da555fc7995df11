"""`make bench-report`: time and peak memory of `make report` on a large store.

For SQLite and for PostgreSQL (a throw-away server, tests/support/services.py):
writes a generated history (tests/support/history.py: 100,000 conversations
over 60 days by default, every channel, Rasa's event format) straight into the
events table, then runs reporting/__main__.py over the whole period as a separate
process and records its wall time, its own peak resident memory (Chromium,
which prints the PDF, is a separate process and reported apart), and the time
of each step. A smaller history (10,000) shows how memory scales.
Writes bench/results/report.md and report.json.

    .venv/bin/python -m bench.report_bench [--sizes 10000 100000] [--backends sqlite postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from tests.support.history import generate
from tests.support.services import PG_MISSING, PostgresServer, find_pg_bin

ROOT = Path(__file__).resolve().parent.parent

RESULTS = ROOT / "bench" / "results"
END = datetime(2026, 9, 30, tzinfo=timezone.utc)
DAYS = 60


def run_report(url: str, out: Path) -> dict:
    """reporting/__main__.py in its own process: wall time, peak RSS, step timings."""
    timings = out / "timings.json"
    first = (END - timedelta(days=DAYS)).date()
    last = END.date() - timedelta(days=1)
    args = [
        sys.executable, "-m", "reporting", "--db-url", url,
        "--from", first.isoformat(), "--to", last.isoformat(), "--out", str(out),
        "--timings", str(timings),
    ]  # fmt: skip
    began = time.monotonic()
    with open(out / "stdout.txt", "wb") as stdout, open(
        out / "stderr.txt", "wb"
    ) as stderr:
        process = subprocess.Popen(args, cwd=ROOT, stdout=stdout, stderr=stderr)
        _, status, _ = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - began
    if process.returncode != 0 or not timings.is_file():
        error = (out / "stderr.txt").read_text()[-2000:]
        raise RuntimeError(f"report failed ({process.returncode}): {error}")
    steps = json.loads(timings.read_text())
    html = next(out.glob("report-*.html"))
    pdf = html.with_suffix(".pdf")
    return {
        "wall_s": wall,
        # The report process's own VmHWM (reporting/__main__.py): not this process's
        # memory, which getrusage would count in, nor Chromium's.
        "peak_rss_mb": steps.pop("peak_rss_mb"),
        "steps": steps,
        "html_kb": html.stat().st_size / 1024,
        "pdf_kb": pdf.stat().st_size / 1024 if pdf.exists() else 0,
        # "N conversations, ... in N groups" (not where the temporary store was)
        "summary": (out / "stdout.txt")
        .read_text()
        .splitlines()[1]
        .split(", 20")[0]
        .strip(),
    }


def measure(backend: str, size: int, workdir: Path) -> dict:
    server = None
    if backend == "sqlite":
        db = workdir / f"bench-{size}.db"
        url = f"sqlite:///{db}"
    else:
        bin_dir = find_pg_bin()
        if bin_dir is None:
            raise SystemExit(PG_MISSING)
        server = PostgresServer(bin_dir).init()
        server.start()
        server.create_database("rasa")
        url = server.url("rasa")
    try:
        print(f"{backend}, {size:,} conversations: generating...", flush=True)
        began = time.monotonic()
        history = generate(
            url, size, days=DAYS, end=END.timestamp(), seed=11, keep=False
        )
        generated = time.monotonic() - began
        store_mb = _store_size_mb(backend, url, workdir / f"bench-{size}.db")
        print(
            f"  {history.events:,} events, {store_mb:,.0f} MB in {generated:.0f} s; report...",
            flush=True,
        )
        out = workdir / f"out-{backend}-{size}"
        out.mkdir()
        figures = run_report(url, out)
        print(
            f"  report: {figures['wall_s']:.1f} s, peak {figures['peak_rss_mb']:.0f} MB "
            f"({figures['summary']})",
            flush=True,
        )
        return {
            "backend": backend,
            "conversations": size,
            "events": history.events,
            "store_mb": store_mb,
            "generate_s": generated,
            **figures,
        }
    finally:
        if server is not None:
            server.cleanup()


def _store_size_mb(backend: str, url: str, path: Path) -> float:
    if backend == "sqlite":
        return path.stat().st_size / 1e6
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        size = connection.execute(
            sa.text("SELECT pg_total_relation_size('events')")
        ).scalar()
    engine.dispose()
    return size / 1e6


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def write_results(rows: list[dict], started_load: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    machine = {
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "date": date.today().isoformat(),
        "load_average_at_start": started_load,
        "load_average_at_end": load_average(),
    }
    (RESULTS / "report.json").write_text(
        json.dumps({"machine": machine, "runs": rows}, indent=2) + "\n"
    )
    lines = [
        f"# make report benchmark ({machine['cores']} cores, {machine['machine']}, "
        f"Python {machine['python']}, {machine['date']})",
        "",
        "A generated history (tests/support/history.py: every channel, FAQ answers, "
        f"content gaps, safety replies, bookings) over {DAYS} days, written straight "
        "into the tracker store's events table; `reporting/__main__.py` reads the whole "
        "period in its own process. Peak memory is the report process's own "
        "(VmHWM; about 90 MB of it is Python with SQLAlchemy, NumPy, SciPy and "
        "scikit-learn loaded); Chromium, which prints the PDF, is a separate process.",
        "",
        "| Store | Conversations | Events | Store size (MB) | Report wall time (s) "
        "| Read + count (s) | Group questions (s) | Render (s) | PDF (s) "
        "| Peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        s = r["steps"]
        lines.append(
            f"| {'SQLite' if r['backend'] == 'sqlite' else 'PostgreSQL'} "
            f"| {r['conversations']:,} | {r['events']:,} | {r['store_mb']:,.0f} "
            f"| {r['wall_s']:.1f} | {s['read_and_count_s']:.1f} "
            f"| {s['group_questions_s']:.1f} | {s['render_s']:.2f} "
            f"| {s.get('pdf_s', 0):.1f} | {r['peak_rss_mb']:.0f} |"
        )
    lines += [
        "",
        f"Load average (1, 5, 15 min) at start: {started_load}; at end: "
        f"{machine['load_average_at_end']}. The machine was shared with other jobs, so "
        "times are upper bounds; memory does not depend on load.",
        "",
        "Reports: "
        + "; ".join(
            f"{r['backend']} {r['conversations']:,}: {r['summary']}" for r in rows
        ),
        "",
    ]
    (RESULTS / "report.md").write_text("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument(
        "--workdir", type=Path, help="where the stores go (default: a temp folder)"
    )
    args = parser.parse_args()
    started_load = load_average()
    workdir = Path(tempfile.mkdtemp(prefix="report-bench-", dir=args.workdir))
    rows = []
    try:
        for backend in args.backends:
            for size in args.sizes:
                rows.append(measure(backend, size, workdir))
                write_results(rows, started_load)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"Results: {RESULTS / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
