"""The FAQ topic catalogue (labels, referral groups) and the buttons that ask for one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

TOPICS_FILE = Path(__file__).resolve().parent / "topics.yml"
TOPIC_ENTITY = "faq_topic"


@dataclass(frozen=True)
class Topic:
    id: str
    label: str
    referral: str
    label_es: str = ""

    def label_in(self, language: str) -> str:
        """The button title in the conversation's language (English otherwise)."""
        return self.label_es if language == "es" and self.label_es else self.label

    @property
    def answer(self) -> str:
        return f"utter_faq/{self.id}"

    @property
    def referral_response(self) -> str:
        return f"utter_referral_{self.referral}"


def load_topics(path: Path = TOPICS_FILE) -> dict[str, Topic]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    groups = set(data["referral_groups"])
    topics = {}
    for topic_id, meta in data["topics"].items():
        if meta["referral"] not in groups:
            raise ValueError(f"{topic_id}: unknown referral group {meta['referral']!r}")
        topics[topic_id] = Topic(
            topic_id, meta["label"], meta["referral"], meta.get("label_es", "")
        )
    return topics


TOPICS = load_topics()
# What the out-of-scope reply offers when no topic is near the message.
STARTER_TOPICS = ("what_is_neuropathic_pain", "how_pt_helps", "first_visit_assessment")


def topic_payload(topic_id: str) -> str:
    """Button payload that asks for one topic directly (bypasses the classifier)."""
    return "/faq" + json.dumps({TOPIC_ENTITY: topic_id})


def topic_buttons(topic_ids: list[str], language: str = "en") -> list[dict[str, str]]:
    """One button per topic, titled in the conversation's language."""
    return [
        {"title": TOPICS[t].label_in(language), "payload": topic_payload(t)}
        for t in topic_ids
        if t in TOPICS
    ]


def tell_me_more_payload(topic_id: str) -> str:
    """The "Tell me more" button's payload: the full answer of one topic."""
    return "/tell_me_more" + json.dumps({TOPIC_ENTITY: topic_id})
