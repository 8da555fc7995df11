"""What patients ask: an HTML (and PDF) report from the stored conversations.

    python -m reporting                                  # the last 30 days
    python -m reporting --from 2026-09-01 --to 2026-09-30
    python -m reporting --endpoints deploy/endpoints.production.yml --out /tmp/r

Reads the tracker store configured in endpoints.yml (SQLite or PostgreSQL,
${VAR} references read from the environment, like Rasa and the purge script),
or --db-url. Writes report-<from>_<to>.html (self-contained: inline CSS and
SVG, no script) and the same as PDF, printed by headless Chromium, into
var/reports/ (or --out). Exit codes: 0 written; 2 the store or a setting is
unusable (nothing written); 3 the HTML was written but not the PDF.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from reporting.analyze import Period
from reporting.pdf import PdfError, print_pdf
from reporting.report import build, load_settings, zone
from reporting.source import (
    ReportError,
    store_from_endpoints,
    store_from_url,
)

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_DAYS = 30


def day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (YYYY-MM-DD)"
        ) from None


def peak_rss_mb() -> float:
    """This process's peak resident memory (Chromium's is its own).

    Linux: VmHWM, which starts from zero at exec; getrusage's ru_maxrss would
    include the memory of the process that started this one.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--from",
        dest="first",
        type=day,
        help="first day (default: 29 days before --to)",
    )
    parser.add_argument(
        "--to", dest="last", type=day, help="last day, included (default: today)"
    )
    parser.add_argument(
        "--endpoints",
        type=Path,
        default=Path(os.environ.get("ENDPOINTS") or ROOT / "endpoints.yml"),
        help="endpoints file with the tracker_store (default: $ENDPOINTS or endpoints.yml)",
    )
    parser.add_argument("--db-url", help="database URL; overrides --endpoints")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "var" / "reports", help="output folder"
    )
    parser.add_argument(
        "--min-group-size",
        type=int,
        help="show a question group's text only if at least this many people asked "
        "(default: clinic.yml report_min_group_size, 3)",
    )
    parser.add_argument(
        "--timezone",
        help="days and weeks in this zone (default: clinic.yml report_timezone)",
    )
    parser.add_argument(
        "--max-groups", type=int, default=40, help="question groups listed (default 40)"
    )
    parser.add_argument("--no-pdf", action="store_true", help="write the HTML only")
    parser.add_argument(
        "--chromium",
        help="Chromium binary for the PDF (default: $CHROMIUM, /usr/bin/chromium)",
    )
    parser.add_argument(
        "--timings", type=Path, help="write the time of each step (JSON) here"
    )
    args = parser.parse_args(argv)
    if args.min_group_size is not None and args.min_group_size < 1:
        parser.error("--min-group-size must be 1 or more")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    began = time.perf_counter()
    try:
        settings = load_settings()
        if args.min_group_size is not None or args.timezone:
            settings = type(settings)(
                clinic_name=settings.clinic_name,
                min_group_size=args.min_group_size or settings.min_group_size,
                timezone=args.timezone or settings.timezone,
            )
        tz = zone(settings.timezone)
        last = args.last or datetime.now(tz).date()
        first = args.first or last - timedelta(days=DEFAULT_DAYS - 1)
        if last < first:
            raise ReportError(f"--to {last} is before --from {first}")
        store = (
            store_from_url(args.db_url)
            if args.db_url
            else store_from_endpoints(args.endpoints)
        )
        report = build(
            store, Period(first, last, tz), settings, max_groups=args.max_groups
        )
    except ReportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"report-{first.isoformat()}_{last.isoformat()}"
    html = args.out / f"{stem}.html"
    html.write_text(report.html, encoding="utf-8")
    figures = report.figures
    print(f"Report: {html}")
    print(
        f"  {figures.conversations:,} conversations, {figures.messages:,} messages, "
        f"{figures.gaps:,} unanswered questions in {len(report.groups):,} groups, "
        f"{first} to {last} ({settings.timezone}), from {store.describe()}"
    )
    status = 0
    if not args.no_pdf:
        pdf = args.out / f"{stem}.pdf"
        pdf_began = time.perf_counter()
        try:
            print_pdf(html, pdf, args.chromium)
            print(f"PDF:    {pdf}")
        except PdfError as error:
            print(f"error: {error}", file=sys.stderr)
            status = 3
        report.timings["pdf_s"] = time.perf_counter() - pdf_began
    report.timings["total_s"] = time.perf_counter() - began
    report.timings["peak_rss_mb"] = peak_rss_mb()
    if args.timings:
        args.timings.write_text(json.dumps(report.timings, indent=2) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
