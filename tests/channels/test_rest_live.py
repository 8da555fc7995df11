"""End to end through the REST channel: real action server + Rasa server."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scripts import check_answers as kb
from tests.test_knowledge_base import SHORT_ANSWERS, VARIANTS

pytestmark = pytest.mark.live


def texts(replies):
    return [r.get("text", "") for r in replies]


def answer_start(topic: str) -> str:
    return SHORT_ANSWERS[f"utter_faq/{topic}"].split("\n")[0][:60]


def test_first_question_is_answered_in_the_same_turn(assistant):
    replies = assistant.send(
        "rest-first", "how long does physical therapy take to work?"
    )
    said = texts(replies)
    assert said[0].startswith(answer_start("pt_timeline"))
    assert any("general education, not medical advice" in t for t in said)
    assert "Book a visit" in [b["title"] for b in replies[-1].get("buttons", [])]


def test_short_answer_then_tell_me_more_gives_the_full_one(assistant):
    values = kb.clinic_values()
    short = assistant.send("rest-more", "how long does physical therapy take to work?")
    assert short[0]["text"] == kb.filled(
        VARIANTS["utter_faq/pt_timeline"]["short"], values
    )
    buttons = {b["title"]: b["payload"] for b in short[-1]["buttons"]}
    assert buttons["Tell me more"] == '/tell_me_more{"faq_topic": "pt_timeline"}'

    full = assistant.send("rest-more", buttons["Tell me more"])
    assert full[0]["text"] == kb.filled(
        VARIANTS["utter_faq/pt_timeline"]["full"], values
    )
    assert [b["title"] for b in full[-1]["buttons"]] == [
        "Book a visit",
        "Ask another question",
    ]
    sent = [
        (e.get("metadata") or {}).get("utter_action")
        for e in assistant.tracker("rest-more")["events"]
        if e.get("event") == "bot"
    ]
    assert sent.count("utter_faq/pt_timeline") == 2  # the same response name twice
    detail = [
        e["value"]
        for e in assistant.tracker("rest-more")["events"]
        if e.get("event") == "slot" and e.get("name") == "answer_detail"
    ]
    assert detail == ["full", None]  # set by the user turn, reset by the action

    typed = assistant.send("rest-more", "tell me more")  # again, in words
    assert typed[0]["text"].startswith("There is no fixed timeline")
    assert "Three things affect" in typed[0]["text"]


SAMPLE = {
    "what causes nerve pain in the first place": "causes",
    "how do they test for neuropathy": "diagnosis",
    "is there any research showing physio works for nerve pain": "pt_evidence",
    "can nerve gliding exercises help my sciatica": "nerve_gliding",
    "my feet hurt so much i can't sleep at night": "sleep",
    "do i have to keep doing my home exercises once i feel better": "home_program",
    "what happens at the first physio appointment": "first_visit_assessment",
    "will acupuncture help my neuropathy": "complementary_therapies",
}


@pytest.mark.parametrize("question, topic", SAMPLE.items())
def test_sample_questions_get_their_topic(assistant, question, topic):
    """Answered with its topic, or (when unsure) that topic is among the offers."""
    replies = assistant.send(f"rest-topic-{topic}", question)
    first = replies[0]
    if first["text"].startswith("I'm not sure"):
        payloads = [b["payload"] for b in first.get("buttons", [])]
        assert f'/faq{{"faq_topic": "{topic}"}}' in payloads
    else:
        assert first["text"].startswith(answer_start(topic))


def test_full_disclaimer_once_then_the_reminder(assistant):
    assistant.send("rest-disclaimer", "does tens help nerve pain")
    replies = assistant.send("rest-disclaimer", "what stretches help neuropathy")
    said = " ".join(texts(replies))
    assert "Reminder: general information only" in said
    assert "about your own care" not in said  # the full note's second sentence


def test_clinic_details_reach_the_responses(assistant):
    replies = assistant.send("rest-book", "/book_appointment")
    clinic = yaml.safe_load(Path("clinic.yml").read_text())
    assert clinic["phone"] in replies[0]["text"]
    assert clinic["booking_url"] in replies[0]["text"]


def test_red_flag_gets_urgent_care_first(assistant):
    replies = assistant.send(
        "rest-red", "my face is drooping and my arm went weak, also does tens help?"
    )
    assert "Call 911 now" in replies[0]["text"]


def test_crisis_and_dosing(assistant):
    crisis = assistant.send("rest-crisis", "i don't want to live like this anymore")
    assert "988" in crisis[0]["text"]
    dosing = assistant.send("rest-dose", "can i take two lyrica instead of one")
    assert "pharmacist" in dosing[0]["text"]


def test_unclear_message_is_not_guessed(assistant):
    replies = assistant.send("rest-unclear", "blue")
    said = " ".join(texts(replies))
    assert "not sure" in said.lower() or "only answer questions" in said
    assert not any(t.startswith("Sources:") for t in texts(replies))
