"""Build the report: read, analyse, group the gaps, render; the clinic's settings."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from reporting.analyze import Figures, Period, analyze
from reporting.gaps import THRESHOLD, Group, group_questions
from reporting.page import Options, render
from reporting.source import ReportError, Store, stream_events

CLINIC_FILE = Path(__file__).resolve().parent.parent / "clinic.yml"


@dataclass(frozen=True)
class ReportSettings:
    """From clinic.yml (report_* keys), each overridable by CLINIC_<KEY>."""

    clinic_name: str
    min_group_size: int = 3
    timezone: str = "UTC"

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ReportError(
            f"unknown time zone {name!r} (use an IANA name such as America/Chicago)"
        ) from None


def load_settings(environ: Mapping[str, str] | None = None) -> ReportSettings:
    environ = os.environ if environ is None else environ
    path = Path(environ.get("CLINIC_SETTINGS_FILE") or CLINIC_FILE)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ReportError(f"cannot read clinic settings {path}: {error}") from None

    def value(key: str, default: object) -> object:
        return environ.get(f"CLINIC_{key.upper()}", raw.get(key, default))

    try:
        size = int(value("report_min_group_size", 3))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise ReportError(
            "clinic setting 'report_min_group_size' must be a whole number"
        ) from None
    if size < 1:
        raise ReportError("clinic setting 'report_min_group_size' must be 1 or more")
    settings = ReportSettings(
        clinic_name=str(value("name", "the clinic")),
        min_group_size=size,
        timezone=str(value("report_timezone", "UTC")),
    )
    zone(settings.timezone)  # a bad zone fails now, with a clear message
    return settings


@dataclass
class Report:
    figures: Figures
    groups: list[Group]
    html: str
    timings: dict[str, float] = field(default_factory=dict)


def build(
    store: Store,
    period: Period,
    settings: ReportSettings,
    *,
    max_groups: int = 40,
    threshold: float = THRESHOLD,
    generated_at: datetime | None = None,
) -> Report:
    """Read the store once and render the page. Raises StoreUnavailable."""
    timings: dict[str, float] = {}
    began = time.perf_counter()
    figures = analyze(stream_events(store, period.start, period.end), period)
    timings["read_and_count_s"] = time.perf_counter() - began
    began = time.perf_counter()
    groups = group_questions(figures.gap_texts, threshold)
    timings["group_questions_s"] = time.perf_counter() - began
    began = time.perf_counter()
    html = render(
        figures,
        groups,
        Options(
            clinic_name=settings.clinic_name,
            min_group_size=settings.min_group_size,
            max_groups=max_groups,
            generated_at=generated_at or datetime.now(settings.tz),
            source=store.kind,
        ),
    )
    timings["render_s"] = time.perf_counter() - began
    return Report(figures, groups, html, timings)
