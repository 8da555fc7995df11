"""The report as one self-contained HTML page (inline CSS and SVG, no script).

A Content-Security-Policy in the page itself forbids scripts and any external
resource, so the file shows the same offline, attached to an e-mail or printed.
Every figure a test or a reader may want to check carries data-figure="name".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape

from clinic.topics import TOPICS
from reporting import svg
from reporting.analyze import (
    CHANNEL_LABELS,
    CHANNELS,
    ESCALATION_LABELS,
    OTHER_CHANNEL,
    Figures,
)
from reporting.gaps import Group

REFERRAL_LABELS = {
    "doctor": "See your doctor",
    "therapist": "Ask your physical therapist",
    "assessment": "Book an assessment",
}
SAFETY_COLOURS = {
    "urgent_care": "#D55E00",
    "crisis": "#CC79A7",
    "crisis_someone_else": "#E69F00",
    "overdose": "#0072B2",
    "dosing": "#009E73",
}
WEAK_TOPIC = 0.10  # below this mean confidence, no topic is really close

CSS = """
:root{--text:#1f2328;--muted:#5b6470;--line:#e3e5e8;--accent:#0072B2;--bg:#fff}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);
 font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif}
main{max-width:940px;margin:0 auto;padding:28px 24px 48px}
h1{font-size:28px;margin:0 0 4px}
h2{font-size:20px;margin:36px 0 6px;padding-top:12px;border-top:2px solid var(--line)}
h3{font-size:16px;margin:20px 0 6px}
p{margin:6px 0 10px}
.sub,.note,figcaption{color:var(--muted)}
.note,figcaption{font-size:13px}
figure{margin:10px 0 14px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px;
 margin:14px 0}
.tile{border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.tile b{display:block;font-size:24px;line-height:1.2}
.tile>span{color:var(--muted);font-size:13px}
table{border-collapse:collapse;width:100%;font-size:13px;margin:6px 0 12px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);
 vertical-align:top}
th{font-weight:600;background:#f6f7f9}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.q{width:48%}
.withheld{color:var(--muted);font-style:italic}
.weak{color:var(--muted)}
details{margin:4px 0 12px}
summary{cursor:pointer;color:var(--accent);font-size:13px}
.empty{border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:18px 0;
 background:#fafafa}
footer{margin-top:36px;color:var(--muted);font-size:12px}
@page{margin:14mm}
@media print{
 body{font-size:12px}
 main{max-width:none;padding:0}
 h2{break-after:avoid}
 figure,table,.tiles,tr{break-inside:avoid}
 details{display:none}
}
"""


@dataclass
class Options:
    clinic_name: str
    min_group_size: int = 3
    max_groups: int = 40
    generated_at: datetime | None = None
    source: str = ""


def n(value: float) -> str:
    return svg.fmt(value)


def pct(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "0%"


def fig(name: str, value: str, tag: str = "span", cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<{tag}{klass} data-figure="{escape(name)}">{value}</{tag}>'


def day_label(day: date) -> str:
    return f"{day:%b} {day.day}"


def long_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def topic_label(topic: str | None) -> str:
    if not topic:
        return ""
    return TOPICS[topic].label if topic in TOPICS else topic


def tile(value: str, label: str) -> str:
    return f'<div class="tile"><b>{value}</b><span>{escape(label)}</span></div>'


def render(figures: Figures, groups: Sequence[Group], options: Options) -> str:
    svg.begin_page()
    period = figures.period
    title = f"What patients ask — {options.clinic_name}"
    span = f"{long_date(period.first)} – {long_date(period.last)}"
    head = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>"
        f"<h1>What patients ask</h1>"
        f'<p class="sub">{escape(options.clinic_name)} · {escape(span)} '
        f"({len(period.days)} days, {escape(str(period.tz))})</p>"
    )
    if not figures.conversations:
        body = (
            '<section class="empty" aria-live="polite">'
            f'<h2 style="border:0;margin-top:0">No conversations in this period</h2>'
            "<p>The assistant's conversation store has no patient messages between "
            f"{escape(long_date(period.first))} and {escape(long_date(period.last))}: "
            f"{fig('conversations', '0')} conversations, "
            f"{fig('messages', '0')} messages.</p>"
            "<p>If the assistant went live recently, or retention has deleted older "
            "conversations, choose another period: <code>make report FROM=YYYY-MM-DD "
            "TO=YYYY-MM-DD</code>.</p></section>"
        )
    else:
        body = "".join(
            (
                _summary(figures),
                _volume(figures),
                _topics(figures),
                _gaps(figures, groups, options),
                _safety(figures),
                _bookings(figures),
                _conversations(figures),
            )
        )
    return head + body + _about(figures, options) + "</main></body></html>\n"


# --- sections -----------------------------------------------------------------------


def _summary(f: Figures) -> str:
    return (
        '<div class="tiles">'
        + tile(fig("conversations", n(f.conversations)), "conversations")
        + tile(fig("messages", n(f.messages)), "patient messages")
        + tile(fig("answers", n(f.answers)), "answers given")
        + tile(fig("gaps", n(f.gaps)), f"not answered ({pct(f.gaps, f.messages)})")
        + tile(fig("escalations", n(sum(f.safety_totals().values()))), "safety replies")
        + tile(fig("booking_requests", n(f.booking_requests)), "booking requests")
        + "</div>"
    )


def _channels(f: Figures) -> list[str]:
    conversations = f.channel_totals(f.conversations_by_day)
    messages = f.channel_totals(f.messages_by_day)
    used = [c for c in CHANNELS if conversations[c] or messages[c]]
    if conversations[OTHER_CHANNEL] or messages[OTHER_CHANNEL]:
        used.append(OTHER_CHANNEL)
    return used


def _volume(f: Figures) -> str:
    days = f.period.days
    labels = [day_label(d) for d in days]
    tips = [f"{d:%a} {day_label(d)}" for d in days]
    channels = _channels(f)
    colours = dict(zip(channels, svg.channel_colours(channels), strict=True))

    def series(by_day):
        return [
            (CHANNEL_LABELS[c], colours[c], [counter[c] for counter in by_day])
            for c in channels
        ]

    conversations = svg.stacked_columns(
        labels,
        series(f.conversations_by_day),
        title="Conversations per day, by channel",
        desc=f"{n(f.conversations)} conversations over {len(days)} days.",
        unit="conversations",
        tooltips=tips,
    )
    messages = svg.stacked_columns(
        labels,
        series(f.messages_by_day),
        title="Patient messages per day, by channel",
        desc=f"{n(f.messages)} messages over {len(days)} days.",
        unit="messages",
        tooltips=tips,
    )
    totals_c = f.channel_totals(f.conversations_by_day)
    totals_m = f.channel_totals(f.messages_by_day)
    rows = "".join(
        f"<tr><td>{escape(CHANNEL_LABELS[c])}</td>"
        + fig(f"channel.{c}.conversations", n(totals_c[c]), "td", "n")
        + f'<td class="n">{pct(totals_c[c], f.conversations)}</td>'
        + fig(f"channel.{c}.messages", n(totals_m[c]), "td", "n")
        + "</tr>"
        for c in channels
    )
    busiest = max(
        range(len(days)), key=lambda i: sum(f.conversations_by_day[i].values())
    )
    return (
        "<section><h2>Volume</h2>"
        f"<p>{n(f.conversations)} conversations and {n(f.messages)} patient messages; "
        f"on average {f.conversations / len(days):.1f} conversations a day, the most on "
        f"{days[busiest]:%A} {day_label(days[busiest])} "
        f"({n(sum(f.conversations_by_day[busiest].values()))}).</p>"
        f"<h3>Conversations per day</h3><figure>{conversations}</figure>"
        f"<h3>Patient messages per day</h3><figure>{messages}</figure>"
        '<table><thead><tr><th>Channel</th><th class="n">Conversations</th>'
        '<th class="n">Share</th><th class="n">Messages</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></section>"
    )


def _topics(f: Figures, top: int = 15) -> str:
    ranked = sorted(f.topics.items(), key=lambda item: (-item[1], item[0]))
    chart = svg.bar_list(
        [(topic_label(t), c) for t, c in ranked[:top]],
        title=f"The {min(top, len(ranked))} most-asked topics",
        desc="Times each topic's answer was given.",
        unit="answers",
    )
    rows = "".join(
        f"<tr><td>{escape(topic_label(t))}</td>"
        + fig(f"topic.{t}", n(c), "td", "n")
        + f'<td class="n">{pct(c, f.answers)}</td></tr>'
        for t, c in ranked
    )
    return (
        "<section><h2>Topics</h2>"
        f"<p>{n(f.answers)} answers on {len(ranked)} of the {len(TOPICS)} topics. "
        "A topic counts each time its answer was given, typed or picked from a "
        "suggestion.</p>"
        f"<figure>{chart}</figure>"
        f"<details><summary>Every topic ({len(ranked)})</summary><table><thead><tr>"
        '<th>Topic</th><th class="n">Answers</th><th class="n">Share</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></details></section>"
    )


def _gaps(f: Figures, groups: Sequence[Group], o: Options) -> str:
    k = o.min_group_size
    listed = list(groups[: o.max_groups])
    rest = list(groups[o.max_groups :])
    top = max((g.count for g in listed), default=0)
    rows = []
    for rank, group in enumerate(listed, 1):
        text = group.shown_text(k)
        if text is None:
            question = (
                f'<span class="withheld">Text withheld: asked by fewer than {k} '
                "people</span>"
            )
        else:
            question = escape(text)
            if group.wordings > 1:
                question += f' <span class="note">({group.wordings} wordings)</span>'
        if group.topic and group.topic_confidence >= WEAK_TOPIC:
            closest = (
                f"{escape(topic_label(group.topic))} "
                f'<span class="note">({group.topic_confidence:.0%})</span>'
            )
        else:
            closest = '<span class="weak">none close</span>'
        rows.append(
            f'<tr><td class="n">{rank}</td><td class="q">{question}</td>'
            + fig(f"gap.{rank}.count", n(group.count), "td", "n")
            + f"<td>{svg.inline_bar(group.count, top)}</td>"
            + f'<td class="n">{n(group.not_sure)}</td>'
            + f'<td class="n">{n(group.out_of_scope)}</td><td>{closest}</td></tr>'
        )
    table = (
        '<table><thead><tr><th class="n">#</th><th>Question (most common wording)</th>'
        '<th class="n">Asked</th><th></th><th class="n">Not sure</th>'
        '<th class="n">Out of scope</th><th>Closest topic</th></tr>'
        f'</thead><tbody>{"".join(rows)}</tbody></table>'
        if rows
        else '<p class="note">Every question in this period got an answer.</p>'
    )
    more = ""
    if rest:
        withheld = sum(1 for g in rest if g.shown_text(k) is None)
        more = (
            f'<p class="note">Plus {fig("gaps.more_groups", n(len(rest)))} smaller '
            f'groups ({fig("gaps.more_questions", n(sum(g.count for g in rest)))} '
            f"questions; {n(withheld)} of them asked by fewer than {k} people, "
            "text withheld).</p>"
        )
    return (
        "<section><h2>Content gaps</h2>"
        f"<p>{fig('gaps.total', n(f.gaps))} questions ({pct(f.gaps, f.messages)} of "
        f"messages) got no answer: {fig('gaps.not_sure', n(f.not_sure))} a "
        f"“not sure” and {fig('gaps.out_of_scope', n(f.out_of_scope))} an “out of "
        "scope” reply. Similar questions are grouped, most frequent first; the closest "
        "topic is the one the assistant's answer selector ranked highest for the group "
        "(average confidence in brackets). The text is shown as stored, with personal "
        "identifiers masked; a group asked by fewer than "
        f"{k} different people shows its count only, and words fewer than {k} of them "
        "used are replaced by “…”.</p>"
        f"{table}{more}</section>"
    )


def week_label(f: Figures, monday: date) -> str:
    """The days of the week inside the period, e.g. "Aug 3–9", "Aug 31–Sep 6"."""
    first = max(monday, f.period.first)
    last = min(monday + timedelta(days=6), f.period.last)
    if first == last:
        return day_label(first)
    end = str(last.day) if last.month == first.month else day_label(last)
    return f"{day_label(first)}–{end}"


def _safety(f: Figures) -> str:
    weeks = f.period.weeks
    categories = list(ESCALATION_LABELS)
    chart = svg.stacked_columns(
        [week_label(f, w) for w in weeks],
        [
            (
                ESCALATION_LABELS[c],
                SAFETY_COLOURS[c],
                [counter[c] for counter in f.safety_by_week],
            )
            for c in categories
        ],
        title="Safety replies per week, by category",
        desc="Counts of safety replies per week (Monday to Sunday).",
        unit="safety replies",
        height=230,
    )
    totals = f.safety_totals()
    header = "".join(
        f'<th class="n">{escape(ESCALATION_LABELS[c])}</th>' for c in categories
    )
    rows = "".join(
        f"<tr><td>{week_label(f, w)}</td>"
        + "".join(
            fig(f"safety.{w.isoformat()}.{c}", n(f.safety_by_week[i][c]), "td", "n")
            for c in categories
        )
        + "</tr>"
        for i, w in enumerate(weeks)
    )
    total_row = "<tr><th>Total</th>" + "".join(
        fig(f"safety.{c}", n(totals[c]), "th", "n") for c in categories
    )
    return (
        "<section><h2>Safety</h2>"
        f"<p>{n(sum(totals.values()))} safety replies: urgent-care guidance "
        f"({n(totals['urgent_care'])}), crisis support ({n(totals['crisis'])}), support "
        f"for someone worried about another person ({n(totals['crisis_someone_else'])}), "
        f"overdose or poisoning ({n(totals['overdose'])}) and “ask your prescriber” for "
        f"dosing questions ({n(totals['dosing'])}). Counts only: what patients wrote is "
        "never shown here.</p>"
        f"<figure>{chart}</figure>"
        f"<table><thead><tr><th>Week</th>{header}</tr></thead><tbody>{rows}</tbody>"
        f"<tfoot>{total_row}</tr></tfoot></table></section>"
    )


def _bookings(f: Figures) -> str:
    groups = [
        g for g in REFERRAL_LABELS if f.referrals_shown[g] or f.referrals_taken[g]
    ]
    groups += sorted(
        g for g in set(f.referrals_shown) | set(f.referrals_taken) if g not in groups
    )
    chart = svg.paired_bars(
        [
            (REFERRAL_LABELS.get(g, g), f.referrals_shown[g], f.referrals_taken[g])
            for g in groups
        ],
        title="Referral prompts shown and taken, by kind of prompt",
        desc="After each answer the assistant suggests a next step; taken means the "
        "patient's next message was a booking request.",
        names=("shown", "taken (booked next)"),
    )
    rows = "".join(
        f"<tr><td>{escape(REFERRAL_LABELS.get(g, g))}</td>"
        + fig(f"referral.{g}.shown", n(f.referrals_shown[g]), "td", "n")
        + fig(f"referral.{g}.taken", n(f.referrals_taken[g]), "td", "n")
        + f'<td class="n">{pct(f.referrals_taken[g], f.referrals_shown[g])}</td></tr>'
        for g in groups
    )
    return (
        "<section><h2>Bookings</h2>"
        '<div class="tiles">'
        + tile(fig("bookings.taps", n(f.booking_taps)), "“Book a visit” taps")
        + tile(fig("bookings.typed", n(f.booking_typed)), "typed booking requests")
        + tile(fig("handoffs", n(f.handoffs)), "hand-offs to staff")
        + "</div>"
        f"<figure>{chart}</figure>"
        '<table><thead><tr><th>Prompt</th><th class="n">Shown</th>'
        '<th class="n">Taken</th><th class="n">Rate</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></section>"
    )


def _conversations(f: Figures) -> str:
    buckets = list(range(1, 10))
    labels = [str(b) for b in buckets] + ["10+"]
    values = [f.turns[b] for b in buckets] + [
        sum(c for t, c in f.turns.items() if t >= 10)
    ]
    chart = svg.stacked_columns(
        labels,
        [("conversations", svg.PALETTE[0], values)],
        title="Conversations by number of patient messages",
        desc="How many messages patients sent per conversation.",
        unit="conversations",
        height=210,
    )
    return (
        "<section><h2>Conversations</h2>"
        '<div class="tiles">'
        + tile(
            fig("turns.median", f"{f.median_turns:g}"),
            "median messages per conversation",
        )
        + tile(
            fig("ended_not_sure.share", pct(f.ended_not_sure, f.conversations)),
            "ended after a “not sure”",
        )
        + tile(fig("ended_not_sure", n(f.ended_not_sure)), "conversations ended so")
        + "</div>"
        f"<figure>{chart}<figcaption>Messages per conversation (typed messages and "
        "button taps).</figcaption></figure></section>"
    )


def _about(f: Figures, o: Options) -> str:
    generated = (
        f"{o.generated_at:%Y-%m-%d %H:%M %Z}".strip() if o.generated_at else "unknown"
    )
    return (
        "<section><h2>About this report</h2>"
        "<p>Read from the assistant's conversation store, which keeps only what "
        "retention has not yet deleted (see PRIVACY.md). It shows counts, and the "
        "text of unanswered questions with e-mail addresses, phone numbers and other "
        "identifiers already masked when they were stored. It never shows sender IDs, "
        "phone numbers of the channels, or what patients wrote in safety messages.</p>"
        '<ul class="note">'
        "<li>A <b>conversation</b> is one session of one person (a new one starts after "
        "60 idle minutes) with at least one message; it counts on the day and channel "
        "of its first message in the period.</li>"
        "<li>A <b>message</b> is anything the patient sent: typed text or a button tap."
        "</li>"
        "<li><b>Booking requests</b> are “Book a visit” taps and typed requests; a "
        "referral prompt is <b>taken</b> when the next message is a booking request."
        "</li>"
        "<li>Days and weeks are calendar days in the time zone above.</li>"
        "</ul>"
        f"<footer>Generated {escape(generated)} from {escape(o.source)} · "
        "nerve-pain PT assistant · make report</footer></section>"
    )


def figure_values(html: str) -> dict[str, str]:
    """Every data-figure value of a rendered page (for checks and comparisons)."""
    import re

    return {
        m.group(1): m.group(2)
        for m in re.finditer(r'data-figure="([^"]+)">([^<]*)<', html)
    }
