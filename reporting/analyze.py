"""One pass over the stored events: the figures of the report.

Definitions (also in the report's "About" section and PRIVACY.md):

- a **conversation** is one session of one sender (Rasa starts a new session
  after 60 idle minutes) with at least one patient message; it counts on the
  day, and for the channel, of its first message in the period;
- a **message** is anything the patient sent: typed text or a button tap;
- a **topic** is counted each time its answer was given (`utter_faq/<topic>`);
- a **content gap** is a typed message answered with "not sure"
  (`utter_not_sure`) or "out of scope" (`utter_out_of_scope`);
- an **escalation** is a safety reply: urgent care, crisis, crisis about someone
  else, overdose, or the dosing reply (ask your prescriber);
- a **booking request** is the "Book a visit" button (`/book_appointment`) or a
  typed request the assistant understood as one; a **referral is taken** when
  the patient's next message after a referral prompt is a booking request;
- **turns** are the patient messages of a conversation; a conversation **ended
  after "not sure"** when its last message got the "not sure" reply.

Events must come in (sender, id) order; only user, bot and session_started
events are looked at. Nothing but counts and the redacted text of the
unanswered questions is kept, so memory stays flat however many conversations
there are.
"""

from __future__ import annotations

import bisect
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from persistence.redaction import redact_text
from reporting.source import Row

CHANNELS = (
    "rest",
    "socketio",
    "twilio_signed",
    "twilio_whatsapp",
    "slack",
    "facebook",
    "telegram",
)
OTHER_CHANNEL = "other"
CHANNEL_LABELS = {
    "rest": "Web chat",
    "socketio": "Web chat (Socket.IO)",
    "twilio_signed": "SMS",
    "twilio_whatsapp": "WhatsApp",
    "slack": "Slack",
    "facebook": "Messenger",
    "telegram": "Telegram",
    OTHER_CHANNEL: "Other",
}
ESCALATIONS = {
    "utter_urgent_care": "urgent_care",
    "utter_crisis_support": "crisis",
    "utter_crisis_support_other": "crisis_someone_else",
    "utter_overdose": "overdose",
    "utter_ask_prescriber": "dosing",
}
ESCALATION_LABELS = {
    "urgent_care": "Urgent care",
    "crisis": "Crisis",
    "crisis_someone_else": "Crisis (someone else)",
    "overdose": "Overdose",
    "dosing": "Dosing question",
}
GAP_REPLIES = {"utter_not_sure": "not_sure", "utter_out_of_scope": "out_of_scope"}
NOT_SURE = "utter_not_sure"
HANDOFF = "utter_handoff"
FAQ_PREFIX = "utter_faq/"
REFERRAL_PREFIX = "utter_referral_"
BOOK_INTENT = "book_appointment"
BOOK_PAYLOAD = "/book_appointment"
PLACEHOLDER = re.compile(r"\[(email|iban|ssn|date|card|phone|id)\]")
# Greetings and thanks around a question don't change what was asked.
LEADING_FILLER = re.compile(
    r"^(?:(?:hi|hello|hey|hiya|um+|uh+|ok|okay|so|sorry|excuse me|quick question|"
    r"question|good (?:morning|afternoon|evening))(?: there)?(?:[\s,:;!.-]+|$))+"
)
TRAILING_FILLER = re.compile(
    r"(?:[\s,.;:!?-]+(?:please|pls|plz|thanks|thank you|thanks a lot|thx|ty))+[\s.!?]*$"
)


@dataclass
class Period:
    """Calendar days first..last (inclusive) in a time zone."""

    first: date
    last: date
    tz: ZoneInfo
    days: list[date] = field(init=False)
    weeks: list[date] = field(init=False)  # the Monday of each week
    boundaries: list[float] = field(init=False)

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(
                f"the period ends ({self.last}) before it starts ({self.first})"
            )
        count = (self.last - self.first).days + 1
        self.days = [self.first + timedelta(days=i) for i in range(count)]
        self.boundaries = [
            datetime.combine(d, time(0), self.tz).timestamp()
            for d in self.days + [self.last + timedelta(days=1)]
        ]
        monday = self.first - timedelta(days=self.first.weekday())
        self.weeks = []
        while monday <= self.last:
            self.weeks.append(monday)
            monday += timedelta(days=7)

    @property
    def start(self) -> float:
        return self.boundaries[0]

    @property
    def end(self) -> float:
        return self.boundaries[-1]

    def day(self, timestamp: float) -> int:
        index = bisect.bisect_right(self.boundaries, timestamp) - 1
        return min(max(index, 0), len(self.days) - 1)

    def week(self, day_index: int) -> int:
        return (self.days[day_index] - self.weeks[0]).days // 7


@dataclass
class GapText:
    """One wording of an unanswered question, and how often it was asked."""

    count: int = 0
    not_sure: int = 0
    out_of_scope: int = 0
    # Who asked, as salted in-memory hashes of the sender IDs (never output):
    # text is shown only when enough different people asked.
    people: set[int] = field(default_factory=set)
    # Summed ResponseSelector confidence per topic over the times it was asked.
    topics: dict[str, float] = field(default_factory=dict)


@dataclass
class Figures:
    period: Period
    conversations_by_day: list[Counter] = field(init=False)
    messages_by_day: list[Counter] = field(init=False)
    safety_by_week: list[Counter] = field(init=False)
    topics: Counter = field(default_factory=Counter)
    gap_texts: dict[str, GapText] = field(default_factory=dict)
    not_sure: int = 0
    out_of_scope: int = 0
    booking_taps: int = 0
    booking_typed: int = 0
    referrals_shown: Counter = field(default_factory=Counter)
    referrals_taken: Counter = field(default_factory=Counter)
    handoffs: int = 0
    turns: Counter = field(default_factory=Counter)
    ended_not_sure: int = 0

    def __post_init__(self) -> None:
        self.conversations_by_day = [Counter() for _ in self.period.days]
        self.messages_by_day = [Counter() for _ in self.period.days]
        self.safety_by_week = [Counter() for _ in self.period.weeks]

    # --- totals -------------------------------------------------------------
    @property
    def conversations(self) -> int:
        return sum(sum(c.values()) for c in self.conversations_by_day)

    @property
    def messages(self) -> int:
        return sum(sum(c.values()) for c in self.messages_by_day)

    @property
    def answers(self) -> int:
        return sum(self.topics.values())

    @property
    def gaps(self) -> int:
        return self.not_sure + self.out_of_scope

    @property
    def booking_requests(self) -> int:
        return self.booking_taps + self.booking_typed

    def channel_totals(self, by_day: list[Counter]) -> Counter:
        total: Counter = Counter()
        for counter in by_day:
            total.update(counter)
        return total

    def safety_totals(self) -> Counter:
        total: Counter = Counter()
        for counter in self.safety_by_week:
            total.update(counter)
        return total

    @property
    def median_turns(self) -> float:
        """The median number of patient messages per conversation (0 if none)."""
        count = sum(self.turns.values())
        if not count:
            return 0.0
        ordered = sorted(self.turns.items())

        def nth(n: int) -> int:  # 0-based
            seen = 0
            for turns, times in ordered:
                seen += times
                if n < seen:
                    return turns
            raise AssertionError("unreachable")

        if count % 2:
            return float(nth(count // 2))
        return (nth(count // 2 - 1) + nth(count // 2)) / 2

    @property
    def ended_not_sure_share(self) -> float:
        return self.ended_not_sure / self.conversations if self.conversations else 0.0


class _Conversation:
    __slots__ = ("day", "channel", "turns", "last_not_sure", "referral")

    def __init__(self, day: int, channel: str) -> None:
        self.day = day
        self.channel = channel
        self.turns = 0
        self.last_not_sure = False
        self.referral: str | None = None


def normalize(text: str) -> str:
    """How an unanswered question is kept and shown: identifiers masked (again,
    for rows stored before masking existed), lower case, single spaces, without
    the greeting or thanks around it."""
    text = " ".join(redact_text(text).lower().split())
    text = TRAILING_FILLER.sub("", LEADING_FILLER.sub("", text))
    text = text.strip(" .?!,;:-")
    return PLACEHOLDER.sub(lambda m: m.group(0).upper(), text)


def _load(data: str | None) -> dict[str, Any]:
    """An event's JSON; a damaged row counts as an event without details."""
    try:
        event = json.loads(data or "{}")
    except ValueError:
        return {}
    return event if isinstance(event, dict) else {}


def _ranking(event: dict[str, Any]) -> list[Any]:
    selector = (event.get("parse_data") or {}).get("response_selector") or {}
    return (selector.get("faq") or {}).get("ranking") or []


def channel_of(name: str | None) -> str:
    return name if name in CHANNELS else OTHER_CHANNEL


def analyze(rows: Iterable[Row], period: Period) -> Figures:
    """Fold the events (in sender, id order) into the report's figures."""
    figures = Figures(period)
    sender: str | None = None
    conversation: _Conversation | None = None
    pending: dict[str, Any] | None = None  # the latest typed message, until replied

    def close() -> None:
        if conversation is None or not conversation.turns:
            return
        figures.conversations_by_day[conversation.day][conversation.channel] += 1
        figures.turns[conversation.turns] += 1
        figures.ended_not_sure += conversation.last_not_sure

    for row in rows:
        if row.sender_id != sender or row.type_name == "session_started":
            close()
            sender, conversation, pending = row.sender_id, None, None
            if row.type_name == "session_started":
                continue
        if row.type_name == "user":
            event = _load(row.data)
            day = period.day(row.timestamp)
            channel = channel_of(event.get("input_channel"))
            if conversation is None:
                conversation = _Conversation(day, channel)
            conversation.turns += 1
            conversation.last_not_sure = False
            figures.messages_by_day[day][channel] += 1
            text = (event.get("text") or "").strip()
            intent = row.intent_name or (
                ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            )
            if intent == BOOK_INTENT or text.startswith(BOOK_PAYLOAD):
                if text.startswith(BOOK_PAYLOAD):
                    figures.booking_taps += 1
                else:
                    figures.booking_typed += 1
                if conversation.referral:
                    figures.referrals_taken[conversation.referral] += 1
            conversation.referral = None
            pending = event if text and not text.startswith("/") else None
        elif row.type_name == "bot":
            event = _load(row.data)
            utter = (event.get("metadata") or {}).get("utter_action") or ""
            if utter.startswith(FAQ_PREFIX):
                figures.topics[utter[len(FAQ_PREFIX) :]] += 1
            elif utter.startswith(REFERRAL_PREFIX):
                group = utter[len(REFERRAL_PREFIX) :]
                figures.referrals_shown[group] += 1
                if conversation is not None:
                    conversation.referral = group
            elif utter in GAP_REPLIES:
                if utter == NOT_SURE and conversation is not None:
                    conversation.last_not_sure = True
                if pending is not None:
                    _record_gap(figures, pending, GAP_REPLIES[utter], hash(sender))
                    pending = None
            elif utter in ESCALATIONS:
                week = period.week(period.day(row.timestamp))
                figures.safety_by_week[week][ESCALATIONS[utter]] += 1
            elif utter == HANDOFF:
                figures.handoffs += 1
    close()
    return figures


def _record_gap(
    figures: Figures, event: dict[str, Any], kind: str, person: int
) -> None:
    text = normalize(event.get("text") or "")
    if not text:
        return
    if kind == "not_sure":
        figures.not_sure += 1
    else:
        figures.out_of_scope += 1
    gap = figures.gap_texts.get(text)
    if gap is None:
        gap = figures.gap_texts[text] = GapText()
    gap.count += 1
    gap.people.add(person)
    if kind == "not_sure":
        gap.not_sure += 1
    else:
        gap.out_of_scope += 1
    for entry in _ranking(event):
        key = str(entry.get("intent_response_key") or "")
        topic = key.partition("/")[2] or key
        if topic:
            gap.topics[topic] = gap.topics.get(topic, 0.0) + float(
                entry.get("confidence") or 0.0
            )
