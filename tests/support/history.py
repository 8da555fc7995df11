"""A realistic conversation history, written straight into a tracker store.

Events have the shape the assistant stores them in (Rasa's SQLTrackerStore
table `events`, user messages redacted as persistence/redacting.py does): a
session start with the clinic slots, then per turn the patient's message with
its parse data (intent ranking, ResponseSelector ranking), the action, the
replies (answer, safety note, referral prompt with its buttons) and
action_listen. Conversations come from every channel, over `days` days ending
at `end`, and include FAQ answers, "not sure" and out-of-scope replies (the
content gaps: recurring themes in several wordings, with typos, and one-off
personal messages), safety escalations and hints, booking taps and typed
requests, hand-offs, returning senders (a second session) and widget sessions
in which nothing was asked.

`generate()` returns a History: what it wrote, conversation by conversation,
so tests can compute every figure of the report independently.

    .venv/bin/python -m tests.support.history --db var/conversations.db   # demo data
"""

from __future__ import annotations

import argparse
import io
import json
import random
import string
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from clinic.settings import load_settings
from clinic.topics import TOPICS
from persistence.redaction import redact_text

ROOT = Path(__file__).resolve().parents[2]

DAY = 86400
MODEL_ID = "b10f4a243d854ef3ba0d2f3bf4a5e752"
META = {"model_id": MODEL_ID, "assistant_id": "nerve-pain-pt-assistant"}
CHANNEL_WEIGHTS = {
    "rest": 36,
    "socketio": 8,
    "twilio_signed": 15,
    "twilio_whatsapp": 16,
    "slack": 4,
    "facebook": 13,
    "telegram": 8,
}
INTENTS = [
    "greet", "goodbye", "bot_challenge", "help", "faq", "out_of_scope",
    "book_appointment", "human_handoff", "another_question", "red_flag", "crisis",
    "crisis_someone_else", "overdose", "medication_dosing",
]  # fmt: skip
SAFETY = {  # intent -> (reply, the report's category)
    "red_flag": ("utter_urgent_care", "urgent_care"),
    "crisis": ("utter_crisis_support", "crisis"),
    "crisis_someone_else": ("utter_crisis_support_other", "crisis_someone_else"),
    "overdose": ("utter_overdose", "overdose"),
    "medication_dosing": ("utter_ask_prescriber", "dosing"),
}
SAFETY_WEIGHTS = {
    "red_flag": 40,
    "crisis": 15,
    "crisis_someone_else": 8,
    "overdose": 7,
    "medication_dosing": 30,
}
# Hour-of-day weights (UTC): quiet at night, busiest in the day and evening.
_HOURS = [1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 8, 8, 8, 8, 7, 7, 7, 6, 5, 4, 2, 1]
BOOK = "/book_appointment"
ANOTHER = "/another_question"

# Recurring questions the assistant can't answer: theme -> (the topic the
# ResponseSelector comes closest to, weight, wordings). None: out of scope.
GAP_THEMES: dict[str, tuple[str | None, int, list[str]]] = {
    "insurance": (
        "first_visit_assessment",
        14,
        [
            "does insurance cover physical therapy",
            "does my insurance cover physical therapy for neuropathy",
            "will my insurance pay for physical therapy",
            "is physical therapy covered by insurance",
            "do you take my insurance",
        ],
    ),
    "b12": (
        "complementary_therapies",
        8,
        [
            "does vitamin b12 help neuropathy",
            "will b12 vitamins help my nerve pain",
            "should i take vitamin b12 for neuropathy",
            "are b12 shots good for nerve damage",
        ],
    ),
    "cost": (
        "first_visit_assessment",
        8,
        [
            "how much does a physical therapy session cost",
            "how much does one session cost",
            "what does a session cost",
            "how much do you charge per session",
        ],
    ),
    "referral": (
        "care_team",
        7,
        [
            "do i need a referral from my doctor",
            "do i need a doctor referral to see a physical therapist",
            "can i see a physical therapist without a referral",
            "is a referral required for pt",
        ],
    ),
    "medicare": (
        "first_visit_assessment",
        6,
        [
            "does medicare cover physical therapy",
            "is pt covered by medicare",
            "do you accept medicare",
        ],
    ),
    "shoes": (
        "protecting_hands_and_feet",
        6,
        [
            "what shoes should i wear with neuropathy",
            "best shoes for neuropathy in my feet",
            "what kind of shoes are good for numb feet",
        ],
    ),
    "cbd": (
        "medication_options",
        6,
        [
            "does cbd oil help nerve pain",
            "is cbd oil good for neuropathy",
            "can cbd cream help neuropathy pain",
        ],
    ),
    "alpha_lipoic": (
        "complementary_therapies",
        4,
        [
            "is alpha lipoic acid good for neuropathy",
            "does alpha lipoic acid help nerve pain",
        ],
    ),
    "driving": (
        "daily_life_and_work",
        4,
        [
            "is it safe to drive with numb feet",
            "can i drive with neuropathy",
            "should i stop driving because of my neuropathy",
        ],
    ),
    "sciatica": (
        "body_areas",
        4,
        [
            "is sciatica nerve pain",
            "can physical therapy help sciatica",
            "does physical therapy work for sciatica",
        ],
    ),
    "red_light": (
        "tens",
        3,
        [
            "does red light therapy help neuropathy",
            "is red light therapy good for nerve pain",
        ],
    ),
    "weather": (
        None,
        5,
        [
            "what's the weather like today",
            "what's the weather tomorrow",
            "weather forecast for this weekend",
        ],
    ),
    "sports": (
        None,
        3,
        [
            "who won the game last night",
            "what was the score of the game last night",
        ],
    ),
    "cookies": (
        None,
        2,
        [
            "recipe for chocolate chip cookies",
            "how do i make chocolate chip cookies",
        ],
    ),
}
FIRST_NAMES = [
    "maria", "james", "linda", "robert", "patricia", "michael", "jennifer", "david",
    "susan", "william", "karen", "joseph", "nancy", "thomas", "lisa", "charles",
    "betty", "daniel", "sandra", "matthew", "ashley", "anthony", "donna", "mark",
]  # fmt: skip
# Surnames are made up from syllables: practically every patient's is their own.
SYLLABLES = [
    "ka", "lo", "mi", "der", "sen", "vo", "ra", "tul", "bek",
    "an", "zo", "rin", "fel", "da", "mor", "ish", "go", "wen",
]  # fmt: skip
PERSONAL = [
    "hi this is {name}, please call me back at {phone} about my results",
    "{name} here, my email is {email}, can someone send me my exercise sheet",
    "my date of birth is {dob} and my name is {name}, what time is my appointment",
    "this is {name}'s daughter, can you tell me if she came to her visit",
    "my card {card} was charged twice, can {name} from billing call me",
]
RARE = [
    "can physical therapy help with guillain barre syndrome",
    "is there pt for charcot marie tooth disease",
    "what about nerve pain after shingles on my scalp",
    "my cat has neuropathy can she do physical therapy",
    "can i bring my service dog to the clinic",
    "do you have a wheelchair accessible entrance",
    "is it normal that my tens unit beeps twice",
    "does cold weather make neuropathy worse at night",
]
PREFIXES = ["", "", "", "", "hi ", "hello, ", "quick question: ", "um ", "hey "]
SUFFIXES = ["", "", "", "?", "?", "??", " please", " thanks", "?? thank you"]


@dataclass
class Gap:
    text: str  # as stored (redacted)
    kind: str  # not_sure | out_of_scope
    theme: str  # a GAP_THEMES key, "personal" or "rare"
    topic: str | None  # the theme's closest topic


@dataclass
class Conversation:
    """One session with at least one patient message, as written."""

    sender_id: str
    channel: str
    message_times: list[float] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)  # topics answered
    gaps: list[Gap] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # in personal messages
    escalations: list[tuple[float, str]] = field(default_factory=list)
    booking_taps: int = 0
    booking_typed: int = 0
    referrals_shown: list[str] = field(default_factory=list)
    referrals_taken: list[str] = field(default_factory=list)
    handoffs: int = 0
    ended_not_sure: bool = False
    safety_texts: list[str] = field(default_factory=list)

    @property
    def start(self) -> float:
        return self.message_times[0]

    @property
    def last(self) -> float:
        return self.message_times[-1]


@dataclass
class History:
    conversations: list[Conversation]
    empty_sessions: int
    events: int
    start: float
    end: float
    seed: int


def _nlu_examples() -> dict[str, list[str]]:
    examples: dict[str, list[str]] = {}
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "intent" not in block:
                continue
            lines = [
                line[2:].strip()
                for line in block["examples"].splitlines()
                if line.strip().startswith("- ")
            ]
            examples.setdefault(block["intent"], []).extend(lines)
    return examples


def _responses() -> dict[str, dict[str, Any]]:
    """Every response's first variation, clinic details filled in."""
    slots = load_settings(environ={}).slot_values()
    settings = load_settings(environ={})
    slots.update(
        disclaimer_full=settings.disclaimer_full,
        disclaimer_short=settings.disclaimer_short,
    )
    responses: dict[str, dict[str, Any]] = {}
    for path in (ROOT / "domain.yml", ROOT / "data" / "responses" / "faq.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for name, variations in (data.get("responses") or {}).items():
            first = dict(variations[0])
            first["text"] = first["text"].format_map(slots)
            responses[name] = first
    return responses


class _Writer:
    """Appends events to the events table: COPY on PostgreSQL, executemany on SQLite."""

    COLUMNS = "sender_id, type_name, timestamp, intent_name, action_name, data"

    def __init__(self, url: str) -> None:
        from rasa.core.tracker_store import SQLTrackerStore

        self.engine = sa.create_engine(url)
        SQLTrackerStore.SQLEvent.__table__.create(self.engine, checkfirst=True)
        self.postgres = self.engine.dialect.name == "postgresql"
        self.connection = self.engine.raw_connection()
        self.count = 0

    def write(
        self, rows: list[tuple[str, str, float, str | None, str | None, str]]
    ) -> None:
        cursor = self.connection.cursor()
        if self.postgres:
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(_copy_field(v) for v in row))
                buffer.write("\n")
            buffer.seek(0)
            cursor.copy_expert(f"COPY events ({self.COLUMNS}) FROM STDIN", buffer)
        else:
            cursor.executemany(
                f"INSERT INTO events ({self.COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)", rows
            )
        cursor.close()
        self.connection.commit()
        self.count += len(rows)

    def close(self) -> None:
        self.connection.close()
        self.engine.dispose()


def _copy_field(value: Any) -> str:
    if value is None:
        return "\\N"
    text = repr(value) if isinstance(value, float) else str(value)
    return (
        text.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


class _Session:
    """Builds one session's events."""

    def __init__(self, gen: _Generator, sender: str, channel: str, start: float):
        self.gen = gen
        self.sender = sender
        self.channel = channel
        self.t = start
        self.rows: list[tuple[str, str, float, str | None, str | None, str]] = []
        self.full_disclaimer_shown = False
        self.record = Conversation(sender, channel)

    # --- events -------------------------------------------------------------------
    def _add(
        self,
        event: dict[str, Any],
        intent: str | None = None,
        responses: str | None = None,
    ) -> None:
        data = json.dumps(event)
        if responses:  # the answer texts the ResponseSelector returns, cached
            data = data.replace(f'"@@{responses}@@"', self.gen.json_cache[responses])
        self.rows.append(
            (
                self.sender,
                event["event"],
                event["timestamp"],
                intent,
                event.get("name"),
                data,
            )
        )

    def _tick(self, low: float = 0.001, high: float = 0.004) -> float:
        self.t += self.gen.rng.uniform(low, high)
        return self.t

    def action(self, name: str, rule: bool = True) -> None:
        self._add({
            "event": "action", "timestamp": self._tick(), "metadata": dict(META),
            "name": name, "policy": "RulePolicy" if rule else None,
            "confidence": 1.0 if rule else None, "action_text": None,
            "hide_rule_turn": rule,
        })  # fmt: skip

    def slot(self, name: str, value: Any) -> None:
        self._add({
            "event": "slot", "timestamp": self._tick(), "metadata": dict(META),
            "name": name, "value": value,
        })  # fmt: skip

    def bot(
        self,
        response: str,
        buttons: list[dict[str, str]] | None = None,
        custom: bool = False,
    ) -> None:
        metadata = {"utter_action": response}
        if custom:
            metadata["template"] = response
        metadata.update(META)
        body = self.gen.responses[response]
        self._add({
            "event": "bot", "timestamp": self._tick(), "metadata": metadata,
            "text": body["text"],
            "data": {"elements": None, "quick_replies": None,
                     "buttons": buttons if buttons is not None else body.get("buttons"),
                     "attachment": None, "image": None, "custom": None},
        })  # fmt: skip

    def start(self) -> None:
        self._add({
            "event": "action", "timestamp": self.t, "metadata": dict(META),
            "name": "action_session_start", "policy": None, "confidence": 1.0,
            "action_text": None, "hide_rule_turn": False,
        })  # fmt: skip
        self._add(
            {
                "event": "session_started",
                "timestamp": self._tick(),
                "metadata": dict(META),
            }
        )
        for name, value in self.gen.slots.items():
            self.slot(name, value)
        self.action("action_listen", rule=False)

    def user(
        self,
        text: str,
        intent: str,
        confidence: float = 1.0,
        ranking: list[tuple[str, float]] | None = None,
        topic: str | None = None,
    ) -> None:
        """A patient message: typed (with NLU output) or a button payload."""
        rng = self.gen.rng
        self.t += rng.uniform(4, 75)
        self.record.message_times.append(self.t)
        message_id = uuid.UUID(int=rng.getrandbits(128)).hex
        payload = text.startswith("/")
        parse: dict[str, Any] = {
            "intent": {"name": intent, "confidence": confidence},
            "entities": [],
            "text": text,
            "message_id": message_id,
            "metadata": {},
        }
        if payload:
            parse["intent_ranking"] = [{"name": intent, "confidence": 1.0}]
            if topic:
                parse["entities"] = [{
                    "entity": "faq_topic", "value": topic, "start": 4,
                    "end": len(text), "extractor": "RegexMessageHandler",
                }]  # fmt: skip
        else:
            offsets, position = [], 0
            for word in text.split():
                start = text.index(word, position)
                offsets.append([start, start + len(word)])
                position = start + len(word)
            parse["text_tokens"] = offsets
            others = [i for i in INTENTS if i != intent]
            rng.shuffle(others)
            rest = sorted(
                (rng.random() * (1 - confidence) for _ in others[:9]), reverse=True
            )
            parse["intent_ranking"] = [{"name": intent, "confidence": confidence}] + [
                {"name": n, "confidence": c}
                for n, c in zip(others[:9], rest, strict=True)
            ]
            ranking = ranking or self.gen.random_ranking()
            best, best_confidence = ranking[0]
            parse["response_selector"] = {
                "all_retrieval_intents": ["faq"],
                "faq": {
                    "response": {
                        "responses": f"@@{best}@@",
                        "confidence": best_confidence,
                        "intent_response_key": f"faq/{best}",
                        "utter_action": f"utter_faq/{best}",
                    },
                    "ranking": [
                        {"confidence": c, "intent_response_key": f"faq/{t}"}
                        for t, c in ranking
                    ],
                },
            }
            if intent == "faq" and confidence >= 0.4:
                parse["intent"]["full_retrieval_intent_name"] = f"faq/{best}"
        self._add(
            {
                "event": "user", "timestamp": self.t, "metadata": dict(META),
                "text": text, "parse_data": parse, "input_channel": self.channel,
                "message_id": message_id,
            },
            intent=intent,
            responses=None if payload else best,
        )  # fmt: skip
        if topic:
            self.slot("faq_topic", topic)
        self._add({
            "event": "user_featurization", "timestamp": self._tick(0.01, 0.05),
            "metadata": dict(META), "use_text_for_featurization": False,
        })  # fmt: skip

    def listen(self) -> None:
        self.action("action_listen")

    # --- turns ----------------------------------------------------------------------
    def answer(self, topic: str, typed: bool = True) -> None:
        rng = self.gen.rng
        if typed:
            text = self.gen.typo(rng.choice(self.gen.examples[f"faq/{topic}"]))
            self.user(
                text,
                "faq",
                rng.uniform(0.8, 1.0),
                self.gen.ranking_for(topic, 0.6, 0.99),
            )
        else:
            self.user("/faq" + json.dumps({"faq_topic": topic}), "faq", topic=topic)
        self.action("action_answer_faq")
        if rng.random() < 0.01:  # a safety hint before the answer: not an escalation
            self.bot(f"utter_safety_hint_{rng.choice(list(SAFETY))}", custom=True)
        self.bot(f"utter_faq/{topic}", custom=True)
        full = not self.full_disclaimer_shown
        self.full_disclaimer_shown = True
        self.bot(
            "utter_disclaimer_full" if full else "utter_disclaimer_short", custom=True
        )
        group = TOPICS[topic].referral
        self.bot(f"utter_referral_{group}", custom=True)
        self.slot("last_faq_topic", topic)
        self.listen()
        self.record.answers.append(topic)
        self.record.referrals_shown.append(group)

    def gap(self) -> list[str]:
        """An unanswered question; returns the topics offered (not sure) or []."""
        rng = self.gen.rng
        text, theme, topic = self.gen.gap_question()
        if theme == "personal":
            self.record.names.append(self.gen.last_surname)
        kind = (
            "out_of_scope"
            if topic is None and theme not in ("personal", "rare")
            else "not_sure"
        )
        if theme in ("personal", "rare") and rng.random() < 0.3:
            kind = "out_of_scope"
        ranking = (
            self.gen.ranking_for(topic, 0.12, 0.38, noise=0.15)
            if topic
            else self.gen.random_ranking(high=0.09)
        )
        offered: list[str] = []
        if kind == "out_of_scope":
            self.user(text, "out_of_scope", rng.uniform(0.7, 1.0), ranking)
            self.bot("utter_out_of_scope")
        else:
            if rng.random() < 0.5:
                self.user(text, "nlu_fallback", rng.uniform(0.3, 0.6), ranking)
                self.action("action_not_sure")
            else:
                self.user(text, "faq", rng.uniform(0.45, 0.9), ranking)
                self.action("action_answer_faq")
            offered = [t for t, _ in ranking[:3]]
            buttons = [
                {
                    "title": TOPICS[t].label,
                    "payload": "/faq" + json.dumps({"faq_topic": t}),
                }
                for t in offered
            ]
            self.bot("utter_not_sure", buttons=buttons, custom=True)
        self.listen()
        self.record.gaps.append(Gap(text, kind, theme, topic))
        return offered

    def escalation(self) -> None:
        rng = self.gen.rng
        intent = rng.choices(
            list(SAFETY_WEIGHTS), weights=list(SAFETY_WEIGHTS.values())
        )[0]
        text = self.gen.typo(rng.choice(self.gen.examples[intent]))
        reply, category = SAFETY[intent]
        self.user(text, intent)
        self.action(reply)
        self.bot(reply)
        self.listen()
        self.record.escalations.append((self.t, category))
        self.record.safety_texts.append(text)

    def simple(self, intent: str, reply: str, text: str | None = None) -> None:
        rng = self.gen.rng
        text = text or rng.choice(self.gen.examples[intent])
        self.user(text, intent, 1.0 if text.startswith("/") else rng.uniform(0.7, 1.0))
        self.action(reply)
        self.bot(reply)
        self.listen()

    def book(self, tap: bool) -> None:
        self.simple("book_appointment", "utter_book_appointment", BOOK if tap else None)
        if tap:
            self.record.booking_taps += 1
        else:
            self.record.booking_typed += 1


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.examples = _nlu_examples()
        self.responses = _responses()
        self.slots = load_settings(environ={}).slot_values()
        self.topics = sorted(TOPICS)
        # Topic popularity: a long tail, a few topics asked much more often.
        order = self.topics[:]
        random.Random(seed + 1).shuffle(order)
        self.topic_weights = {
            t: 1.0 / (rank + 2) ** 0.9 for rank, t in enumerate(order)
        }
        self.json_cache = {
            t: json.dumps([{"text": self.responses[f"utter_faq/{t}"]["text"]}])
            for t in self.topics
        }
        self.themes = list(GAP_THEMES)
        self.theme_weights = [GAP_THEMES[t][1] for t in self.themes]
        # Senders seen on earlier days (a returning patient starts a new session).
        self.senders: dict[str, list[str]] = {c: [] for c in CHANNEL_WEIGHTS}
        self.new_senders: list[tuple[str, str]] = []

    # --- randomness -------------------------------------------------------------------
    def typo(self, text: str) -> str:
        rng = self.rng
        if rng.random() < 0.12 and len(text) > 8:
            i = rng.randrange(1, len(text) - 2)
            if text[i].isalpha() and text[i + 1].isalpha():
                text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        if rng.random() < 0.1:
            text = text.capitalize()
        return text

    def surname(self) -> str:
        return "".join(self.rng.choices(SYLLABLES, k=3)) + self.rng.choice(
            ["", "s", "er", "ova"]
        )

    def random_ranking(self, high: float = 0.12) -> list[tuple[str, float]]:
        chosen = self.rng.sample(self.topics, 10)
        values = sorted((self.rng.uniform(0.01, high) for _ in chosen), reverse=True)
        return list(zip(chosen, values, strict=True))

    def ranking_for(
        self, topic: str, low: float, high: float, noise: float = 0.0
    ) -> list[tuple[str, float]]:
        rng = self.rng
        others = rng.sample([t for t in self.topics if t != topic], 9)
        top = rng.uniform(low, high)
        rest = sorted(
            (rng.uniform(0.005, min(top, 0.1) * 0.9) for _ in others), reverse=True
        )
        ranking = [(topic, top)] + list(zip(others, rest, strict=True))
        if noise and rng.random() < noise:  # another topic edges it out
            ranking[0], ranking[1] = (others[0], top * 1.05), (topic, top)
        return ranking

    def gap_question(self) -> tuple[str, str, str | None]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.04:
            template = rng.choice(PERSONAL)
            self.last_surname = self.surname()
            raw = template.format(
                name=f"{rng.choice(FIRST_NAMES)} {self.last_surname}",
                phone=f"(555) {rng.randrange(200, 999)}-{rng.randrange(1000, 9999)}",
                email=f"{rng.choice(FIRST_NAMES)}{rng.randrange(10, 99)}@example.com",
                dob=f"{rng.randrange(1, 12)}/{rng.randrange(1, 28)}/19{rng.randrange(40, 99)}",
                card=" ".join(str(rng.randrange(1000, 9999)) for _ in range(4)),
            )
            return redact_text(raw), "personal", None
        if roll < 0.07:
            return rng.choice(RARE), "rare", None
        if roll < 0.17:  # out of scope, from the assistant's own examples
            return (
                self.typo(rng.choice(self.examples["out_of_scope"])),
                "out_of_scope",
                None,
            )
        theme = rng.choices(self.themes, weights=self.theme_weights)[0]
        topic, _, wordings = GAP_THEMES[theme]
        text = (
            rng.choice(PREFIXES)
            + self.typo(rng.choice(wordings))
            + rng.choice(SUFFIXES)
        )
        return text, theme, topic

    def sender(self, channel: str) -> str:
        rng = self.rng
        if channel == "rest":
            return uuid.UUID(int=rng.getrandbits(128)).hex
        if channel == "socketio":
            return "".join(rng.choices(string.ascii_letters + string.digits, k=20))
        if channel == "twilio_signed":
            return f"+1{rng.randrange(201, 989)}{rng.randrange(2000000, 9999999)}"
        if channel == "twilio_whatsapp":
            return f"whatsapp:+{rng.randrange(1, 99)}{rng.randrange(10**9, 10**10)}"
        if channel == "slack":
            return "U0" + "".join(
                rng.choices(string.ascii_uppercase + string.digits, k=9)
            )
        if channel == "facebook":
            return str(rng.randrange(10**15, 10**16))
        return str(rng.randrange(10**8, 10**10))  # telegram chat id

    # --- sessions ---------------------------------------------------------------------
    def conversation(self, start: float) -> _Session:
        rng = self.rng
        channel = rng.choices(
            list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values())
        )[0]
        known = self.senders[channel]
        if known and rng.random() < 0.12:  # a returning patient: a new session
            sender = rng.choice(known)
        else:
            sender = self.sender(channel)
            self.new_senders.append((channel, sender))
        session = _Session(self, sender, channel, start)
        session.start()
        turns = 1
        while turns < 14 and rng.random() < 0.62:
            turns += 1
        state: tuple[str, Any] = ("start", None)
        for turn in range(turns):
            state = self.turn(session, state, first=turn == 0)
        session.record.ended_not_sure = state[0] == "not_sure"
        return session

    def turn(self, s: _Session, state: tuple[str, Any], first: bool) -> tuple[str, Any]:
        rng = self.rng
        kind, detail = state
        roll = rng.random()
        if kind == "referral":
            if roll < 0.2:
                s.record.referrals_taken.append(detail)
                s.book(tap=True)
                return ("booked", None)
            if roll < 0.32:
                s.simple("another_question", "utter_another_question", ANOTHER)
                return ("other", None)
        if kind == "not_sure" and detail and roll < 0.35:
            s.answer(rng.choice(detail), typed=False)
            return ("referral", TOPICS[s.record.answers[-1]].referral)
        roll = rng.random()
        if first and roll < 0.25:
            s.simple("greet", "utter_greet")
            return ("other", None)
        if roll < 0.60:
            topic = rng.choices(
                self.topics, weights=[self.topic_weights[t] for t in self.topics]
            )[0]
            s.answer(topic)
            return ("referral", TOPICS[topic].referral)
        if roll < 0.75:
            offered = s.gap()
            return ("not_sure", offered) if offered else ("out_of_scope", None)
        if roll < 0.79:
            s.escalation()
            return ("other", None)
        if roll < 0.82:
            if kind == "referral":  # typed after the prompt: the referral was taken
                s.record.referrals_taken.append(detail)
            s.book(tap=False)
            return ("booked", None)
        if roll < 0.85:
            s.simple("human_handoff", "utter_handoff")
            s.record.handoffs += 1
            return ("other", None)
        if roll < 0.88:
            s.simple("help", "utter_help")
            return ("other", None)
        if roll < 0.91:
            s.simple("bot_challenge", "utter_iamabot")
            return ("other", None)
        s.simple("goodbye", "utter_goodbye")
        return ("other", None)


def _day_weights(days: int, rng: random.Random, end: float) -> list[float]:
    weights = []
    for index in range(days):
        day_start = end - (days - index) * DAY
        weekday = time.gmtime(day_start).tm_wday
        weight = (0.6 if weekday >= 5 else 1.0) * (0.85 + 0.3 * index / days)
        weights.append(weight * rng.uniform(0.8, 1.2))
    return weights


def generate(
    url: str,
    conversations: int = 5000,
    days: int = 60,
    end: float | None = None,
    seed: int = 7,
    empty_share: float = 0.03,
    keep: bool = True,
) -> History:
    """Write `conversations` conversations over the `days` days before `end`.

    `end` defaults to now, rounded down to a whole UTC day plus the current time
    of day. Events go out day by day in time order, interleaved across
    conversations like a real store's. Returns what was written (`keep=False`:
    counts only, for very large histories).
    """
    end = time.time() if end is None else end
    start = end - days * DAY
    gen = _Generator(seed)
    rng = gen.rng
    weights = _day_weights(days, rng, end)
    total = sum(weights)
    per_day = [int(conversations * w / total) for w in weights]
    for index in rng.sample(range(days), conversations - sum(per_day)):
        per_day[index] += 1
    writer = _Writer(url)
    records: list[Conversation] = []
    empty = 0
    try:
        for index, count in enumerate(per_day):
            day_start = start + index * DAY
            sessions: list[_Session] = []
            for _ in range(count):
                hour = rng.choices(range(24), weights=_HOURS)[0]
                # Start early enough that the whole session stays within the day.
                at = day_start + hour * 3600 + rng.uniform(0, 1800)
                sessions.append(gen.conversation(at))
            for _ in range(int(count * empty_share)):
                channel = rng.choice(["rest", "socketio"])
                session = _Session(
                    gen, gen.sender(channel), channel, day_start + rng.uniform(0, 80000)
                )
                session.start()
                sessions.append(session)
                empty += 1
            for channel, sender in gen.new_senders:
                gen.senders[channel].append(sender)
            gen.new_senders.clear()
            rows = [row for s in sessions for row in s.rows]
            rows.sort(key=lambda row: row[2])
            writer.write(rows)
            if keep:
                records.extend(s.record for s in sessions if s.record.message_times)
    finally:
        writer.close()
    return History(records, empty, writer.count, start, end, seed)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Fill a tracker store with a realistic history."
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", type=Path, help="SQLite file (created if missing)")
    where.add_argument("--db-url", help="database URL, e.g. postgresql://user@host/db")
    parser.add_argument("--conversations", type=int, default=5000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    url = args.db_url or f"sqlite:///{args.db.resolve()}"
    if args.db:
        args.db.parent.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    history = generate(url, args.conversations, args.days, seed=args.seed, keep=False)
    print(
        f"Wrote {args.conversations} conversations ({history.events} events) over "
        f"{args.days} days in {time.monotonic() - began:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
