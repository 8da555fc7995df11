"""Session start: put the clinic's details into slots for every response."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from clinic.settings import load_settings


class ActionSessionStart(Action):
    """Starts a session and fills the clinic slots from clinic.yml / CLINIC_* env."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        # Read on each session so a changed setting reaches new conversations.
        settings = load_settings()
        events: list[EventType] = [SessionStarted()]
        events += [SlotSet(k, v) for k, v in settings.slot_values().items()]
        events.append(ActionExecuted("action_listen"))
        return events
