"""Rasa really sends the full answer after "Tell me more" (no servers needed).

The design rests on how Rasa 3.6 treats a custom action's responses: the Rasa
server renders them (RemoteAction._utter_responses, the NLG picking a response's
variation by its `condition`) with the tracker as it was BEFORE the action's own
events are applied. So the answer_detail slot must already be set by the user
turn, which ActionExtractSlots does from the slot's from_intent mapping. These
tests run those Rasa pieces on the project's domain with the real FAQ actions.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa.core.actions.action import ActionExtractSlots, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import (
    DETAIL_SLOT,
    TELL_ME_MORE,
    ActionAnswerFaq,
    ActionTellMeMore,
)
from clinic.topics import tell_me_more_payload
from scripts import check_answers as kb
from tests.conftest import ROOT, faq_message

VARIANTS = kb.load_variants()


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load([str(ROOT / "domain.yml"), str(kb.FAQ_RESPONSES)])


class Conversation:
    """One conversation: user turns as Rasa records them, actions as Rasa runs them."""

    def __init__(self, domain: Domain, settings) -> None:
        self.domain = domain
        self.settings = settings
        self.nlg = TemplatedNaturalLanguageGenerator(domain.responses)
        self.output = CollectingOutputChannel()
        self.tracker = DialogueStateTracker.from_events(
            "detail", [ActionExecuted("action_listen")], domain.slots
        )

    def user(self, text: str, parse: dict[str, Any]) -> None:
        self.tracker.update(
            UserUttered(text, intent=parse["intent"], entities=parse["entities"],
                        parse_data=parse)  # fmt: skip
        )
        extract = ActionExtractSlots(None)
        for event in asyncio.run(
            extract.run(self.output, self.nlg, self.tracker, self.domain)
        ):
            self.tracker.update(event)

    def run(self, action) -> list[dict[str, Any]]:
        """The action's messages as Rasa renders them; then its events applied."""
        state = self.tracker.current_state(EventVerbosity.AFTER_RESTART)
        sdk_tracker = Tracker.from_dict(state)
        dispatcher = CollectingDispatcher()
        events = asyncio.run(action.run(dispatcher, sdk_tracker, {}))
        bot = asyncio.run(
            RemoteAction._utter_responses(
                dispatcher.messages, self.output, self.nlg, self.tracker
            )
        )
        for event in bot:
            self.tracker.update(event)
        for event in events:  # the FAQ actions only set slots
            assert event["event"] == "slot", event
            self.tracker.update(SlotSet(event["name"], event["value"]))
        return [{"text": b.text, **b.data, **b.metadata} for b in bot]


def filled(text: str) -> str:
    return kb.filled(text, kb.clinic_values())


def tell_me_more(topic: str | None) -> dict[str, Any]:
    entities = [{"entity": "faq_topic", "value": topic}] if topic else []
    return {
        "text": tell_me_more_payload(topic) if topic else "tell me more",
        "intent": {"name": "tell_me_more", "confidence": 1.0},
        "entities": entities,
    }


def test_question_short_answer_tell_me_more_full_answer(domain, settings):
    chat = Conversation(domain, settings)
    chat.user("does tens help", faq_message("tens"))
    assert chat.tracker.get_slot(DETAIL_SLOT) is None
    first = chat.run(ActionAnswerFaq(settings))

    assert first[0]["utter_action"] == "utter_faq/tens"
    assert first[0]["text"] == filled(VARIANTS["utter_faq/tens"]["short"])
    referral = first[-1]
    assert [b["title"] for b in referral["buttons"]] == [
        "Book a visit",
        "Ask another question",
        TELL_ME_MORE,
    ]
    more = referral["buttons"][-1]["payload"]
    assert more == '/tell_me_more{"faq_topic": "tens"}'

    chat.user(more, tell_me_more("tens"))
    assert chat.tracker.get_slot(DETAIL_SLOT) == "full"  # set by the user turn
    second = chat.run(ActionTellMeMore(settings))

    assert second[0]["utter_action"] == "utter_faq/tens"  # the same response name
    assert second[0]["text"] == filled(VARIANTS["utter_faq/tens"]["full"])
    assert [b["title"] for b in second[-1]["buttons"]] == [
        "Book a visit",
        "Ask another question",
    ]
    assert chat.tracker.get_slot(DETAIL_SLOT) is None  # reset by the action

    chat.user("what about stretching", faq_message("stretching"))
    third = chat.run(ActionAnswerFaq(settings))
    assert third[0]["text"] == filled(VARIANTS["utter_faq/stretching"]["short"])


def test_typed_tell_me_more_expands_the_last_answer(domain, settings):
    chat = Conversation(domain, settings)
    chat.user("what are flare ups", faq_message("flare_ups"))
    chat.run(ActionAnswerFaq(settings))
    chat.user("tell me more", tell_me_more(None))
    replies = chat.run(ActionTellMeMore(settings))
    assert replies[0]["text"] == filled(VARIANTS["utter_faq/flare_ups"]["full"])


def test_the_slot_must_come_from_the_user_turn(domain, settings):
    """Why the action cannot set the slot itself: its events come too late.

    An action that returned SlotSet(answer_detail, full) along with the answer
    would still send the short one: Rasa renders with the tracker before it.
    """
    chat = Conversation(domain, settings)
    chat.user("does tens help", faq_message("tens"))
    dispatcher = CollectingDispatcher()
    dispatcher.utter_message(response="utter_faq/tens")
    bot = asyncio.run(
        RemoteAction._utter_responses(
            dispatcher.messages, chat.output, chat.nlg, chat.tracker
        )
    )
    assert chat.tracker.get_slot(DETAIL_SLOT) is None
    assert bot[0].text == filled(VARIANTS["utter_faq/tens"]["short"])
