"""Numbered replies resolved from the conversation (channels/options.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels.options import offered_buttons, resolve_choice, resolve_reply

REFERRAL = [
    {"title": "Book a visit", "payload": "/book_appointment"},
    {"title": "Ask another question", "payload": "/another_question"},
]


def bot(text, buttons=None):
    return {"event": "bot", "text": text, "data": {"buttons": buttons}}


def user(text):
    return {"event": "user", "text": text}


FAQ_TURN = [
    user("how long does pt take"),
    {"event": "action", "name": "action_answer_faq"},
    bot("There is no fixed timeline."),
    bot("Please note: this is general education."),
    bot("The best next step is an assessment.", REFERRAL),
    {"event": "action", "name": "action_listen"},
]


def test_the_latest_turns_buttons_are_offered():
    assert offered_buttons(FAQ_TURN) == REFERRAL


def test_buttons_of_an_earlier_turn_are_not_offered():
    events = FAQ_TURN + [user("/book_appointment"), bot("To book a visit ...")]
    assert offered_buttons(events) == []


def test_quick_replies_count_as_options():
    events = [user("hi"), {"event": "bot", "data": {"quick_replies": REFERRAL}}]
    assert offered_buttons(events) == REFERRAL


def test_link_buttons_are_not_options():
    events = [user("hi"), bot("see", [{"title": "Site", "url": "https://x.org"}])]
    assert offered_buttons(events) == []


def test_a_number_picks_the_payload():
    text, choice = resolve_choice("1", FAQ_TURN)
    assert text == "/book_appointment"
    assert choice == {
        "reply": "1",
        "title": "Book a visit",
        "payload": "/book_appointment",
    }
    assert resolve_choice("ask another question", FAQ_TURN)[0] == "/another_question"


def test_other_messages_pass_through_unchanged():
    for message in ["3", "does tens help?", "1 " + "x" * 80, "", None]:
        assert resolve_choice(message, FAQ_TURN) == (message, None)
    assert resolve_choice("1", []) == ("1", None)


class FakeStore:
    def __init__(self, tracker=None, error=False):
        self.tracker, self.error = tracker, error

    async def retrieve(self, sender_id):
        if self.error:
            raise ConnectionError("database down")
        return self.tracker if sender_id == "patient" else None


def app_with(store):
    return SimpleNamespace(
        ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=store))
    )


def tracker():
    return DialogueStateTracker.from_events(
        "patient",
        [
            ActionExecuted("action_listen"),
            UserUttered("how long does pt take"),
            BotUttered("There is no fixed timeline."),
            BotUttered(
                "The best next step is an assessment.", data={"buttons": REFERRAL}
            ),
            ActionExecuted("action_listen"),
        ],
    )


@pytest.mark.asyncio
async def test_resolve_reply_reads_the_tracker_store():
    app = app_with(FakeStore(tracker()))
    assert (await resolve_reply(app, "patient", "2"))[0] == "/another_question"
    assert await resolve_reply(app, "someone-else", "2") == ("2", None)


@pytest.mark.asyncio
async def test_resolve_reply_survives_a_store_outage_and_a_missing_agent():
    assert await resolve_reply(app_with(FakeStore(error=True)), "patient", "1") == (
        "1",
        None,
    )
    assert await resolve_reply(SimpleNamespace(ctx=SimpleNamespace()), "p", "1") == (
        "1",
        None,
    )
