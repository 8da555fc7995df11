"""How many words a patient reads before the referral buttons, per FAQ topic.

For every topic the FAQ action runs on a fresh conversation (CollectingDispatcher,
no servers); each response it sends is rendered the way Rasa's NLG renders it
(the variation whose `condition` matches the slots, else the default one; slots
and keyword arguments filled in) and the words of every bot message up to and
including the one with the referral buttons are counted. Markdown links count
as their label, as the widget shows them.

Usage: python scripts/reply_words.py [--later] [--full] [--per-topic]
  --later      a later answer of the session (short safety reminder)
  --full       after "Tell me more" (the full answer)
  --per-topic  one line per topic, not only min / median / max
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import re
import statistics
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionAnswerFaq, ActionTellMeMore
from clinic.settings import ClinicSettings, load_settings
from clinic.topics import TOPICS

ROOT = Path(__file__).resolve().parent.parent

RESPONSE_FILES = [ROOT / "domain.yml", ROOT / "data" / "responses" / "faq.yml"]
SLOT = re.compile(r"\{(\w+)\}")
LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]*)\)")
WORD = re.compile(r"[A-Za-z0-9]+(?:['\u2019][A-Za-z]+)?")


@functools.lru_cache(maxsize=1)
def load_responses() -> dict[str, list[dict[str, Any]]]:
    responses: dict[str, list[dict[str, Any]]] = {}
    for path in RESPONSE_FILES:
        responses.update(yaml.safe_load(path.read_text())["responses"])
    return responses


def variation(
    variations: list[dict[str, Any]], slots: Mapping[str, Any]
) -> dict[str, Any]:
    """The variation Rasa picks: a matching conditional one, else a default one."""

    def matches(v: dict[str, Any]) -> bool:
        return all(
            str(slots.get(c["name"])).casefold() == str(c["value"]).casefold()
            for c in v["condition"]
        )

    conditional = [v for v in variations if v.get("condition") and matches(v)]
    defaults = [v for v in variations if not v.get("condition")]
    return (conditional or defaults)[0]


def render(
    message: Mapping[str, Any],
    responses: Mapping[str, list[dict[str, Any]]],
    slots: Mapping[str, Any],
) -> dict[str, Any]:
    """A dispatched message as the patient gets it: text and buttons."""
    name = message.get("response")
    chosen = variation(responses[name], slots) if name else {}
    values = {**slots, **{k: v for k, v in message.items() if isinstance(v, str)}}
    text = SLOT.sub(
        lambda m: str(values.get(m.group(1), m.group(0))),
        chosen.get("text") or message.get("text") or "",
    )
    buttons = list(chosen.get("buttons") or []) + list(message.get("buttons") or [])
    return {"response": name, "text": text, "buttons": buttons}


def count_words(text: str) -> int:
    return len(WORD.findall(LINK.sub(r"\1", text)))


def tracker_for(
    topic: str, settings: ClinicSettings, later: bool, full: bool
) -> Tracker:
    events: list[dict[str, Any]] = [{"event": "session_started"}]
    if later or full:  # an earlier answer showed the full safety note
        meta = {"utter_action": "utter_disclaimer_full"}
        events.append({"event": "bot", "text": "...", "metadata": meta})
    slots: dict[str, Any] = dict(settings.slot_values())
    intent = "faq"
    if full:
        slots["answer_detail"] = "full"
        intent = "tell_me_more"
    message = {
        "text": "a question",
        "intent": {"name": intent, "confidence": 1.0},
        "entities": [{"entity": "faq_topic", "value": topic}],
    }
    return Tracker("words", slots, message, events, False, None, {}, "action_listen")


def reply(
    topic: str,
    settings: ClinicSettings | None = None,
    later: bool = False,
    full: bool = False,
) -> list[dict[str, Any]]:
    """The messages the patient gets for topic, rendered."""
    settings = settings or load_settings(environ={})
    tracker = tracker_for(topic, settings, later, full)
    dispatcher = CollectingDispatcher()
    action = ActionTellMeMore(settings) if full else ActionAnswerFaq(settings)
    asyncio.run(action.run(dispatcher, tracker, {}))
    responses = load_responses()
    return [render(m, responses, tracker.slots) for m in dispatcher.messages]


def words_before_buttons(messages: list[dict[str, Any]]) -> int:
    """Words of the messages up to and including the first one with buttons."""
    total = 0
    for message in messages:
        total += count_words(message["text"])
        if message["buttons"]:
            break
    return total


def summary(counts: Mapping[str, int]) -> str:
    values = sorted(counts.values())
    return (
        f"{len(values)} topics: min {values[0]}, "
        f"median {statistics.median(values):g}, max {values[-1]}"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--later", action="store_true")
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--per-topic", action="store_true")
    args = parser.parse_args(argv)
    settings = load_settings(environ={})
    counts = {
        t: words_before_buttons(reply(t, settings, args.later, args.full))
        for t in sorted(TOPICS)
    }
    if args.per_topic:
        for topic, n in sorted(counts.items(), key=lambda item: item[1]):
            print(f"{n:4d}  {topic}")
    which = (
        "after 'Tell me more'"
        if args.full
        else "later answer"
        if args.later
        else "first answer"
    )
    print(f"Words before the referral buttons ({which}): {summary(counts)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
