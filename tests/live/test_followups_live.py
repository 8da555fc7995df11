"""Follow-up questions through the real servers (REST): the topic of the conversation
is kept (clinic/followup.py), and safety still comes first in every turn."""

from __future__ import annotations

import pytest

from tests.channels.test_rest_live import answer_start, texts

pytestmark = pytest.mark.live


def first_text(replies: list[dict]) -> str:
    return texts(replies)[0] if replies else ""


@pytest.mark.parametrize(
    "sender, first, topic, followup",
    [
        (
            "fu-tens",
            "can a tens machine help my nerve pain?",
            "tens",
            "where do the pads go?",
        ),
        (
            "fu-swim",
            "is swimming good for neuropathy?",
            "aerobic_exercise",
            "how often should i go?",
        ),
    ],
)
def test_a_follow_up_is_answered_on_the_topic_of_the_conversation(
    assistant, sender, first, topic, followup
):
    assert first_text(assistant.send(sender, first)).startswith(answer_start(topic))
    # Parsed alone, the follow-up names no topic; in the conversation it has one.
    alone = first_text(assistant.send(f"{sender}-alone", followup))
    assert not alone.startswith(answer_start(topic))
    in_context = first_text(assistant.send(sender, followup))
    assert in_context.startswith(answer_start(topic)), in_context


def test_an_emergency_in_a_follow_up_gets_urgent_care_first(assistant):
    assistant.send("fu-urgent", "can a tens machine help my nerve pain?")
    replies = assistant.send(
        "fu-urgent",
        "is it safe? my face just went numb on one side and my speech is slurred",
    )
    assert "Call 911 now" in first_text(replies)
    assert not first_text(replies).startswith(answer_start("tens"))


def test_an_unrelated_question_after_an_answer_is_out_of_scope(assistant):
    assistant.send("fu-unrelated", "can a tens machine help my nerve pain?")
    replies = assistant.send("fu-unrelated", "what causes warts")
    reply = " ".join(texts(replies))
    assert "I can only answer questions about nerve pain" in reply, reply
    assert not reply.startswith(answer_start("tens"))
    # Three topics it can answer, from the action (not three more from the domain).
    buttons = [b for r in replies for b in r.get("buttons") or []]
    assert len(buttons) == 3, buttons
    assert all(b["payload"].startswith('/faq{"faq_topic": ') for b in buttons)
