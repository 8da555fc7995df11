"""FAQ answers: every answer goes through here, with its safety note and referral."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.confidence import faq_decision
from actions.settings import ClinicSettings, load_settings
from actions.topics import TOPICS, Topic

RETRIEVAL_INTENT = "faq"
TOPIC_ENTITY = "faq_topic"
FULL_DISCLAIMER = "utter_disclaimer_full"
SHORT_DISCLAIMER = "utter_disclaimer_short"


def topic_payload(topic_id: str) -> str:
    """Button payload that asks for one topic directly (bypasses the classifier)."""
    return "/faq" + json.dumps({TOPIC_ENTITY: topic_id})


def current_session(tracker: Tracker) -> List[Dict[Text, Any]]:
    """The tracker's events since the latest session start."""
    events = tracker.events
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "session_started":
            return events[index + 1 :]
    return list(events)


def disclaimer_shown(tracker: Tracker) -> bool:
    return any(
        e.get("event") == "bot"
        and (e.get("metadata") or {}).get("utter_action") == FULL_DISCLAIMER
        for e in current_session(tracker)
    )


def safety_hint(tracker: Tracker) -> Optional[str]:
    """The classifier's safety guess the detector did not confirm (see components/safety.py)."""
    return (tracker.latest_message.get("safety") or {}).get("hint")


class FaqAction(Action, ABC):
    """What every FAQ answer does: answer, safety note, referral prompt."""

    class Meta:
        abstract = True

    def __init__(self, settings: Optional[ClinicSettings] = None) -> None:
        self.settings = settings or load_settings()

    @abstractmethod
    def name(self) -> Text:
        """Declared abstract so rasa-sdk does not register this base class."""

    @staticmethod
    def hint(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """A one-line safety prompt when the message might be more than a question."""
        category = safety_hint(tracker)
        if category:
            dispatcher.utter_message(response=f"utter_safety_hint_{category}")

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, topic: Topic
    ) -> List[EventType]:
        self.hint(dispatcher, tracker)
        dispatcher.utter_message(response=topic.answer)
        note = SHORT_DISCLAIMER if disclaimer_shown(tracker) else FULL_DISCLAIMER
        dispatcher.utter_message(
            response=note,
            disclaimer_full=self.settings.disclaimer_full,
            disclaimer_short=self.settings.disclaimer_short,
        )
        dispatcher.utter_message(response=topic.referral_response)
        return [SlotSet("last_faq_topic", topic.id)]

    def decide(self, tracker: Tracker):
        return faq_decision(tracker.latest_message or {}, self.settings, TOPICS)

    def not_sure(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> List[EventType]:
        """Say so instead of guessing; offer the likeliest topics as buttons."""
        self.hint(dispatcher, tracker)
        likely = self.decide(tracker).suggestions
        buttons = [
            {"title": TOPICS[t].label, "payload": topic_payload(t)} for t in likely
        ]
        dispatcher.utter_message(response="utter_not_sure", buttons=buttons)
        return []


class ActionAnswerFaq(FaqAction):
    """Answers the FAQ topic the ResponseSelector chose, when it is confident."""

    def name(self) -> Text:
        return "action_answer_faq"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[EventType]:
        chosen = next(tracker.get_latest_entity_values(TOPIC_ENTITY), None)
        if chosen in TOPICS:  # a suggestion button names its topic
            return self.answer(dispatcher, tracker, TOPICS[chosen])

        decision = self.decide(tracker)  # actions/confidence.py
        if decision.topic not in TOPICS:
            return self.not_sure(dispatcher, tracker)
        return self.answer(dispatcher, tracker, TOPICS[decision.topic])


class ActionNotSure(FaqAction):
    """NLU fallback: the intent itself was unclear."""

    def name(self) -> Text:
        return "action_not_sure"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[EventType]:
        return self.not_sure(dispatcher, tracker)
