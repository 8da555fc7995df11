"""Charts as inline SVG: no script, no external file, readable when printed.

Every chart has a <title> and <desc> (screen readers) and a <title> on each
bar (the figure on hover, no JavaScript). Colours are the Okabe-Ito palette,
distinguishable with the common kinds of colour blindness.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from html import escape

FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif"
AXIS = "#5f6368"
GRID = "#e3e5e8"
TEXT = "#1f2328"
MUTED = "#6b7280"
PALETTE = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#8C7B00",
    "#7F7F7F",
]
_ids = itertools.count(1)


def begin_page() -> None:
    """Number the charts' ids from 1 again: the same figures give the same page."""
    global _ids
    _ids = itertools.count(1)


def nice_max(value: float) -> tuple[float, float]:
    """(axis maximum, tick step) with 3-6 round ticks covering value."""
    if value <= 0:
        return 1.0, 1.0
    raw = value / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if step >= raw:
            break
    if step < 1:
        step = 1.0
    return math.ceil(value / step) * step, step


def fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _text_width(text: str, size: float = 12) -> float:
    return len(text) * size * 0.56


def _clip(text: str, width: float, size: float = 12) -> str:
    limit = max(4, int(width / (size * 0.56)))
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _open(width: float, height: float, title: str, desc: str) -> tuple[str, str]:
    ident = f"chart{next(_ids)}"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="100%" role="img" aria-labelledby="{ident}t {ident}d" '
        f'style="{FONT};max-width:{width:.0f}px">'
        f'<title id="{ident}t">{escape(title)}</title>'
        f'<desc id="{ident}d">{escape(desc)}</desc>'
    )
    return head, "</svg>"


def _empty(width: float, height: float, title: str, message: str) -> str:
    head, tail = _open(width, height, title, message)
    return (
        head + f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" '
        f'fill="#fafafa" stroke="{GRID}"/>'
        f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" '
        f'fill="{MUTED}" font-size="14">{escape(message)}</text>' + tail
    )


def legend(items: Sequence[tuple[str, str]], x: float, y: float, width: float) -> str:
    """Coloured squares and names, wrapping to as many rows as needed."""
    parts = []
    cx, cy = x, y
    for name, colour in items:
        needed = 18 + _text_width(name) + 16
        if cx + needed > x + width and cx > x:
            cx, cy = x, cy + 18
        parts.append(
            f'<rect x="{cx:.1f}" y="{cy - 10:.1f}" width="12" height="12" rx="2" '
            f'fill="{colour}"/><text x="{cx + 17:.1f}" y="{cy:.1f}" font-size="12" '
            f'fill="{TEXT}">{escape(name)}</text>'
        )
        cx += needed
    return "".join(parts)


def legend_height(items: Sequence[tuple[str, str]], width: float) -> float:
    rows, cx = 1, 0.0
    for name, _ in items:
        needed = 18 + _text_width(name) + 16
        if cx + needed > width and cx > 0:
            rows, cx = rows + 1, 0.0
        cx += needed
    return rows * 18


def stacked_columns(
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float]]],
    *,
    title: str,
    desc: str,
    unit: str,
    tooltips: Sequence[str] = (),
    width: float = 880,
    height: float = 250,
    max_labels: int = 15,
) -> str:
    """Vertical bars, one per label, each stacked from the series (name, colour, values)."""
    totals = [sum(s[2][i] for s in series) for i in range(len(labels))]
    if not labels or not any(totals):
        return _empty(width, 120, title, f"No {unit} in this period")
    shown = [(name, colour) for name, colour, values in series if any(values)]
    top = 8 + legend_height(shown, width - 60) + 8
    left, right, bottom = 52, 12, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    axis_max, step = nice_max(max(totals))
    head, tail = _open(width, height, title, desc)
    parts = [head, legend(shown, left, 20, width - left - right)]
    tick = 0.0
    while tick <= axis_max + 1e-9:
        y = top + plot_h - tick / axis_max * plot_h
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}"/><text x="{left - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end" font-size="11" fill="{AXIS}">{fmt(tick)}</text>'
        )
        tick += step
    slot = plot_w / len(labels)
    bar = max(1.0, slot * 0.72)
    every = max(1, math.ceil(len(labels) / max_labels))
    for i, label in enumerate(labels):
        x = left + i * slot + (slot - bar) / 2
        y = top + plot_h
        for name, colour, values in series:
            value = values[i]
            if not value:
                continue
            h = value / axis_max * plot_h
            y -= h
            tip = tooltips[i] if tooltips else label
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(tip)} · {escape(name)}: '
                f"{fmt(value)}</title></rect>"
            )
        if i % every == 0:
            parts.append(
                f'<text x="{left + i * slot + slot / 2:.1f}" y="{top + plot_h + 16:.1f}" '
                f'text-anchor="middle" font-size="11" fill="{AXIS}">{escape(label)}</text>'
            )
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h:.1f}" '
        f'y2="{top + plot_h:.1f}" stroke="{AXIS}"/>'
    )
    parts.append(tail)
    return "".join(parts)


def bar_list(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    desc: str,
    colour: str = PALETTE[0],
    width: float = 880,
    label_width: float = 250,
    unit: str = "",
    notes: Sequence[str] = (),
) -> str:
    """Horizontal bars, one row per (label, value), values at the bar ends."""
    if not items or not any(v for _, v in items):
        return _empty(width, 90, title, f"No {unit or 'data'} in this period")
    row, gap = 20, 6
    height = len(items) * (row + gap) + 8
    top_value = max(v for _, v in items)
    plot = width - label_width - 70
    head, tail = _open(width, height, title, desc)
    parts = [head]
    for i, (label, value) in enumerate(items):
        y = 4 + i * (row + gap)
        w = 0 if not top_value else max(2.0, value / top_value * plot) if value else 0
        note = notes[i] if i < len(notes) else ""
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 14}" text-anchor="end" font-size="12" '
            f'fill="{TEXT}">{escape(_clip(label, label_width - 12))}</text>'
            f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{row}" rx="2" '
            f'fill="{colour}"><title>{escape(label)}: {fmt(value)}{escape(note)}'
            f"</title></rect>"
            f'<text x="{label_width + w + 6:.1f}" y="{y + 14}" font-size="12" '
            f'fill="{TEXT}">{fmt(value)}</text>'
        )
    parts.append(tail)
    return "".join(parts)


def paired_bars(
    rows: Sequence[tuple[str, float, float]],
    *,
    title: str,
    desc: str,
    names: tuple[str, str],
    colours: tuple[str, str] = ("#B8C4D6", PALETTE[2]),
    width: float = 880,
    label_width: float = 200,
) -> str:
    """Two bars per row (e.g. shown vs taken), on one scale, with the share taken."""
    if not rows or not any(a or b for _, a, b in rows):
        return _empty(width, 90, title, "Nothing in this period")
    bar, inner, gap = 16, 3, 14
    top = 30
    height = top + len(rows) * (2 * bar + inner + gap)
    top_value = max(max(a, b) for _, a, b in rows)
    plot = width - label_width - 130
    head, tail = _open(width, height, title, desc)
    parts = [
        head,
        legend(list(zip(names, colours, strict=True)), label_width, 16, plot),
    ]
    for i, (label, first, second) in enumerate(rows):
        y = top + i * (2 * bar + inner + gap)
        share = f"{second / first:.0%} taken" if first else ""
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar + 4}" text-anchor="end" '
            f'font-size="12" fill="{TEXT}">{escape(_clip(label, label_width - 12))}</text>'
        )
        for j, (value, colour, name) in enumerate(
            ((first, colours[0], names[0]), (second, colours[1], names[1]))
        ):
            w = value / top_value * plot if top_value else 0
            yy = y + j * (bar + inner)
            parts.append(
                f'<rect x="{label_width}" y="{yy}" width="{max(w, 1 if value else 0):.1f}" '
                f'height="{bar}" rx="2" fill="{colour}"><title>{escape(label)} · '
                f"{escape(name)}: {fmt(value)}</title></rect>"
                f'<text x="{label_width + w + 6:.1f}" y="{yy + 12}" font-size="11" '
                f'fill="{TEXT}">{fmt(value)}</text>'
            )
        if share:
            parts.append(
                f'<text x="{width - 8}" y="{y + bar + 4}" text-anchor="end" '
                f'font-size="12" font-weight="600" fill="{TEXT}">{share}</text>'
            )
    parts.append(tail)
    return "".join(parts)


def inline_bar(
    value: float, top: float, colour: str = PALETTE[0], width: int = 120
) -> str:
    """A small bar for a table cell (decorative: the number is next to it)."""
    w = 0 if not top else max(2.0, value / top * width) if value else 0
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="12" '
        f'viewBox="0 0 {width} 12" aria-hidden="true" focusable="false">'
        f'<rect x="0" y="1" width="{w:.1f}" height="10" rx="2" fill="{colour}"/></svg>'
    )


def channel_colours(names: list[str]) -> list[str]:
    return [PALETTE[i % len(PALETTE)] for i in range(len(names))]
