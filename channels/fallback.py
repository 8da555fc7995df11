"""What to say when the action server could not answer (down, slow, erroring).

The Rasa server still understood the message; only the custom action failed.
For a confident FAQ question, a topic button or "Tell me more" the patient gets
the plain answer with the static safety note and the clinic contact; for
anything else, a short apology with the contact and the emergency number. Never
silence.

Offline the answer is the FULL one (the variation with the condition
answer_detail: full), not the short one the action sends first: the "Tell me
more" button that would lead to the rest needs the action server, and a reply
without buttons cannot offer it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from clinic.confidence import answer_key, faq_decision
from clinic.replies import apology

SLOT = re.compile(r"\{(\w+)\}")
TOPIC_INTENTS = ("faq", "tell_me_more")  # a payload naming faq_topic
FULL_CONDITION = ("answer_detail", "full")  # data/responses/faq.yml


def _faq_answer_key(parse: Mapping[str, Any], settings: Any) -> str:
    intent = parse.get("intent") or {}
    if intent.get("name") in TOPIC_INTENTS:
        for entity in parse.get("entities") or []:  # a button names its topic
            if entity.get("entity") == "faq_topic" and entity.get("value"):
                return f"utter_faq/{entity['value']}"
    # The same decision as the FAQ action's (clinic/confidence.py).
    return answer_key(faq_decision(parse, settings))


def full_answer(variations: list[dict[str, Any]]) -> dict[str, Any]:
    """The full variation (condition answer_detail: full), else the first one."""
    for variation in variations:
        conditions = variation.get("condition") or []
        if FULL_CONDITION in {(c.get("name"), c.get("value")) for c in conditions}:
            return variation
    return variations[0]


def offline_reply(
    parse: Mapping[str, Any],
    responses: Mapping[str, list[dict[str, Any]]],
    settings: Any,
) -> list[str]:
    """Texts to send when the action server gave no answer."""
    key = _faq_answer_key(parse, settings)
    contact = f"{settings.name} at {settings.phone}"
    if key and responses.get(key):
        # The clinic's numbers, as the slots would fill them ({emergency_number}).
        values = settings.slot_values()
        answer = SLOT.sub(
            lambda m: values.get(m.group(1), m.group(0)),
            full_answer(responses[key])["text"],
        )
        return [
            answer,
            settings.disclaimer_full,
            f"To book a visit or ask us anything, call {contact}.",
        ]
    return [apology(settings)]
