"""What to say when the action server could not answer (down, slow, erroring).

The Rasa server still understood the message; only the custom action failed.
For a confident FAQ question the patient gets the plain answer with the static
safety note and the clinic contact; for anything else, a short apology with
the contact and the emergency number. Never silence.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping

from actions.confidence import answer_key, faq_decision


def offline_reply(
    parse: Mapping[str, Any],
    responses: Mapping[str, List[Dict[str, Any]]],
    settings: Any,
) -> List[str]:
    """Texts to send when the action server gave no answer."""
    # The same decision as the FAQ action's (actions/confidence.py).
    key = answer_key(faq_decision(parse, settings))
    contact = f"{settings.name} at {settings.phone}"
    if key and responses.get(key):
        return [
            responses[key][0]["text"],
            settings.disclaimer_full,
            f"To book a visit or ask us anything, call {contact}.",
        ]
    return [
        "Sorry, I can't answer that right now because of a technical problem. "
        f"Please try again in a few minutes, or call {contact}. "
        f"In an emergency, call {settings.emergency_number}."
    ]
