"""FAQ answers: every answer goes through here, with its safety note and referral."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from clinic.confidence import FaqDecision, faq_decision
from clinic.followup import followup_topic
from clinic.settings import ClinicSettings, load_settings
from clinic.topics import (
    STARTER_TOPICS,
    TOPIC_ENTITY,
    TOPICS,
    Topic,
    tell_me_more_payload,
    topic_buttons,
)
from safety.categories import ALARM_CATEGORIES

RETRIEVAL_INTENT = "faq"
FULL_DISCLAIMER = "utter_disclaimer_full"
SHORT_DISCLAIMER = "utter_disclaimer_short"
# Safety hints whose one action is to call (or text) now: they carry call
# buttons, and nothing is added after the answer (no disclaimer, no referral).
URGENT_HINTS = frozenset(ALARM_CATEGORIES)
# "Tell me more": the short answer comes first; this button asks for the full one.
# Its user turn sets the answer_detail slot (domain.yml, from_intent), so when the
# action sends utter_faq/<id> again Rasa renders the variation whose condition is
# answer_detail: full (data/responses/faq.yml). The action then resets the slot.
TELL_ME_MORE = "Tell me more"
TELL_ME_MORE_ES = "Más información"
LANGUAGE_SLOT = "language"  # components/language.py
DETAIL_SLOT = "answer_detail"
FULL_DETAIL = "full"


def wants_full_answer(tracker: Tracker) -> bool:
    return tracker.get_slot(DETAIL_SLOT) == FULL_DETAIL


def current_session(tracker: Tracker) -> list[dict[str, Any]]:
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


def safety_hint(tracker: Tracker) -> str | None:
    """The classifier's safety guess the detector did not confirm (see components/safety.py)."""
    return (tracker.latest_message.get("safety") or {}).get("hint")


class FaqAction(Action, ABC):
    """What every FAQ answer does: answer, safety note, referral prompt."""

    class Meta:
        abstract = True

    def __init__(self, settings: ClinicSettings | None = None) -> None:
        self.settings = settings or load_settings()

    @abstractmethod
    def name(self) -> str:
        """Declared abstract so rasa-sdk does not register this base class."""

    @staticmethod
    def hint(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
        """A one-line safety prompt when the message might be more than a question.

        True if the prompt was an urgent one (call now).
        """
        category = safety_hint(tracker)
        if category:
            dispatcher.utter_message(response=f"utter_safety_hint_{category}")
        return category in URGENT_HINTS

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, topic: Topic
    ) -> list[EventType]:
        urgent = self.hint(dispatcher, tracker)
        dispatcher.utter_message(response=topic.answer)
        if urgent:
            # The one action is to call now: no disclaimer block, no referral or
            # "Book a visit" after a call button.
            return [SlotSet("last_faq_topic", topic.id)]
        note = SHORT_DISCLAIMER if disclaimer_shown(tracker) else FULL_DISCLAIMER
        dispatcher.utter_message(response=note, **self.settings.disclaimers())
        # After the short answer the referral also offers the full one.
        language = tracker.get_slot(LANGUAGE_SLOT) or "en"
        more = [] if wants_full_answer(tracker) else [self.more_button(topic, language)]
        dispatcher.utter_message(response=topic.referral_response, buttons=more)
        events: list[EventType] = [SlotSet("last_faq_topic", topic.id)]
        if tracker.get_slot(DETAIL_SLOT) is not None:
            events.append(SlotSet(DETAIL_SLOT, None))
        return events

    @staticmethod
    def more_button(topic: Topic, language: str = "en") -> dict[str, str]:
        title = TELL_ME_MORE_ES if language == "es" else TELL_ME_MORE
        return {"title": title, "payload": tell_me_more_payload(topic.id)}

    def decide(self, tracker: Tracker) -> FaqDecision:
        return faq_decision(tracker.latest_message or {}, self.settings, TOPICS)

    def not_sure(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        decision: FaqDecision,
    ) -> list[EventType]:
        """Say so instead of guessing; offer the likeliest topics as buttons."""
        self.hint(dispatcher, tracker)
        language = tracker.get_slot(LANGUAGE_SLOT) or "en"
        buttons = topic_buttons(decision.suggestions, language)
        dispatcher.utter_message(response="utter_not_sure", buttons=buttons)
        return []


class InContextAction(FaqAction, ABC):
    """A follow-up on the conversation's topic is answered on that topic
    (clinic/followup.py); any other message gets `respond`."""

    class Meta:
        abstract = True

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        decision = self.decide(tracker)  # clinic/confidence.py
        topic_id = followup_topic(
            tracker.latest_message or {},
            decision,
            tracker.get_slot("last_faq_topic"),
        )
        if topic_id in TOPICS:
            return self.answer(dispatcher, tracker, TOPICS[topic_id])
        return self.respond(dispatcher, tracker, decision)

    @abstractmethod
    def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        decision: FaqDecision,
    ) -> list[EventType]:
        """The reply to a message that is not a follow-up."""


class ActionAnswerFaq(InContextAction):
    """Answers the FAQ topic the ResponseSelector chose, when it is confident."""

    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        chosen = next(tracker.get_latest_entity_values(TOPIC_ENTITY), None)
        if chosen in TOPICS:  # a suggestion button names its topic
            return self.answer(dispatcher, tracker, TOPICS[chosen])
        return await super().run(dispatcher, tracker, domain)

    def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        decision: FaqDecision,
    ) -> list[EventType]:
        if decision.topic not in TOPICS:
            return self.not_sure(dispatcher, tracker, decision)
        return self.answer(dispatcher, tracker, TOPICS[decision.topic])


class ActionNotSure(InContextAction):
    """NLU fallback: the intent itself was unclear."""

    def name(self) -> str:
        return "action_not_sure"

    def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        decision: FaqDecision,
    ) -> list[EventType]:
        return self.not_sure(dispatcher, tracker, decision)


class ActionOutOfScope(InContextAction):
    """Out of scope, unless it is a follow-up on the conversation's topic
    ("what about a stationary bike?" after a question on aerobic exercise)."""

    def name(self) -> str:
        return "action_out_of_scope"

    def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        decision: FaqDecision,
    ) -> list[EventType]:
        # The nearest topics, else the starters: the reply's buttons come from
        # here (Rasa would add action buttons to the domain's, not replace them).
        topics = decision.suggestions or list(STARTER_TOPICS)
        language = tracker.get_slot(LANGUAGE_SLOT) or "en"
        self.hint(dispatcher, tracker)  # "... eso ya paso. tienen citas?"
        dispatcher.utter_message(
            response="utter_out_of_scope", buttons=topic_buttons(topics, language)
        )
        return []


class ActionTellMeMore(FaqAction):
    """The full answer after "Tell me more" (the button's topic, else the last one)."""

    def name(self) -> str:
        return "action_tell_me_more"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        topic_id = next(tracker.get_latest_entity_values(TOPIC_ENTITY), None)
        topic_id = topic_id or tracker.get_slot("last_faq_topic")
        if topic_id not in TOPICS:
            dispatcher.utter_message(response="utter_more_which_topic")
            return [SlotSet(DETAIL_SLOT, None)]
        return self.answer(dispatcher, tracker, TOPICS[topic_id])
