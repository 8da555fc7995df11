"""The FAQ topic catalogue as the actions see it (labels and referral groups)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict

import yaml

TOPICS_FILE = Path(__file__).resolve().parent / "topics.yml"


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


def load_topics(path: Path = TOPICS_FILE) -> Dict[str, Topic]:
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
