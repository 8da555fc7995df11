"""What to say when the action server could not answer (down, slow, erroring).

The Rasa server still understood the message; only the custom action failed.
For a confident FAQ question the patient gets the plain answer with the static
safety note and the clinic contact; for anything else, a short apology with
the contact and the emergency number. Never silence.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping

SLOT = re.compile(r"\{(\w+)\}")


def _faq_answer_key(parse: Mapping[str, Any], threshold: float) -> str:
    intent = parse.get("intent") or {}
    if intent.get("name") != "faq" or (intent.get("confidence") or 0) < threshold:
        return ""
    selected = ((parse.get("response_selector") or {}).get("faq") or {}).get(
        "response"
    ) or {}
    if (selected.get("confidence") or 0) < threshold:
        return ""
    return selected.get("utter_action") or ""


def offline_reply(
    parse: Mapping[str, Any],
    responses: Mapping[str, List[Dict[str, Any]]],
    settings: Any,
) -> List[str]:
    """Texts to send when the action server gave no answer."""
    threshold = max(settings.faq_intent_threshold, settings.faq_answer_threshold)
    key = _faq_answer_key(parse, threshold)
    contact = f"{settings.name} at {settings.phone}"
    if key and responses.get(key):
        # The clinic's numbers, as the slots would fill them ({emergency_number}).
        values = settings.slot_values()
        answer = SLOT.sub(
            lambda m: values.get(m.group(1), m.group(0)), responses[key][0]["text"]
        )
        return [
            answer,
            settings.disclaimer_full,
            f"To book a visit or ask us anything, call {contact}.",
        ]
    return [
        "Sorry, I can't answer that right now because of a technical problem. "
        f"Please try again in a few minutes, or call {contact}. "
        f"In an emergency, call {settings.emergency_number}."
    ]
