"""Numbered options: a reply such as "1" becomes the payload of that option.

The options a patient can answer are the buttons of the assistant's latest turn,
read from the conversation's tracker (the tracker store every Rasa replica
shares), so the memory survives restarts and works behind a load balancer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from channels.formatting import chosen_option, selectable

logger = logging.getLogger(__name__)

# Longer messages are never read as a choice, and skip the tracker look-up.
MAX_CHOICE_LENGTH = 60


def offered_buttons(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Buttons of the assistant's latest turn (bot events after the last user event).

    Events are tracker events as dicts, oldest first. The latest bot message
    with buttons or quick replies in that turn wins; none means no options.
    """
    for event in reversed(list(events)):
        kind = event.get("event")
        if kind == "user":
            break
        if kind == "bot":
            data = event.get("data") or {}
            buttons = selectable(data.get("buttons") or data.get("quick_replies"))
            if buttons:
                return buttons
    return []


def resolve_choice(
    text: str, events: Iterable[Mapping[str, Any]]
) -> tuple[str, dict[str, str] | None]:
    """(text to process, the choice made or None) for a reply and the conversation."""
    if not text or len(text) > MAX_CHOICE_LENGTH:
        return text, None
    buttons = offered_buttons(events)
    index = chosen_option(text, [b["title"] for b in buttons])
    if index is None:
        return text, None
    button = buttons[index]
    return button["payload"], {
        "reply": text,
        "title": button["title"],
        "payload": button["payload"],
    }


async def conversation_events(app: Any, sender_id: str) -> list[dict[str, Any]]:
    """The conversation's events from the Rasa server's tracker store ([] if none)."""
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return []
    try:
        tracker = await store.retrieve(sender_id)
    except Exception:  # a store outage must not drop the message
        logger.exception("Could not read the conversation to resolve a numbered reply")
        return []
    return [event.as_dict() for event in tracker.events] if tracker else []


async def resolve_reply(
    app: Any, sender_id: str | None, text: str
) -> tuple[str, dict[str, str] | None]:
    """Like resolve_choice, reading the conversation from the tracker store.

    Only short replies cost a tracker look-up; a choice is logged and returned
    so the channel can record it in the message metadata.
    """
    if not text or not sender_id or len(text) > MAX_CHOICE_LENGTH:
        return text, None
    events = await conversation_events(app, str(sender_id))
    resolved, choice = resolve_choice(text, events)
    if choice:
        logger.debug("Reply %r chose option %r", text, choice["title"])
    return resolved, choice
