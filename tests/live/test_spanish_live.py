"""Spanish through the real servers (REST): answers, safety, the visitor's choice."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from clinic.settings import load_settings
from components.language import detect_language
from tests.channels.test_rest_live import texts

pytestmark = pytest.mark.live

CLINIC = load_settings(environ={})
ROOT = Path(__file__).resolve().parents[2]


def spanish_short(topic: str) -> str:
    """The first line of the topic's Spanish short answer."""
    faq = yaml.safe_load((ROOT / "data/responses/faq.yml").read_text())
    for variation in faq["responses"][f"utter_faq/{topic}"]:
        condition = variation.get("condition") or []
        if {"type": "slot", "name": "language", "value": "es"} in condition and {
            "type": "slot",
            "name": "answer_detail",
            "value": None,
        } in condition:
            return variation["text"].split("\n")[0][:60]
    raise AssertionError(f"no Spanish short answer for {topic}")


def titles(reply) -> list:
    return [b["title"] for b in reply.get("buttons", [])]


def test_a_spanish_question_gets_the_spanish_answer_note_and_buttons(assistant):
    replies = assistant.send("es-faq", "que es el TENS y como funciona")
    said = texts(replies)
    assert said[0].startswith(spanish_short("tens"))
    assert " ".join(CLINIC.disclaimer_full_es.split()) in said
    assert {"Pedir una cita", "Más información"} <= set(titles(replies[-1]))


def test_spanish_emergency_and_crisis_get_the_spanish_safety_replies(assistant):
    urgent = assistant.send("es-urgent", "me duele mucho el pecho y no puedo respirar")
    assert urgent[0]["text"].startswith("Lo que describe puede ser una emergencia")
    assert {"title": "Llamar al 911", "url": "tel:911"} in urgent[0]["buttons"]
    crisis = assistant.send("es-crisis", "ya no quiero vivir")
    assert CLINIC.crisis_line_name_es in crisis[0]["text"]


def test_a_short_reply_keeps_the_conversation_in_spanish(assistant):
    assistant.send("es-sticky", "hola, tengo neuropatia en los pies")
    later = texts(assistant.send("es-sticky", "ok"))
    assert later and detect_language(" ".join(later)) == "es", later


def test_an_unclear_message_follows_the_language_chosen_in_the_widget(assistant):
    chosen = texts(assistant.send("es-chosen", "ok", {"language": "es"}))
    plain = texts(assistant.send("en-plain", "ok"))
    assert chosen != plain
    assert detect_language(" ".join(chosen)) == "es", chosen
    assert detect_language(" ".join(plain)) == "en", plain
    # A message clearly in English is answered in English whatever was chosen.
    english = texts(
        assistant.send("es-chosen", "how long does physical therapy take to work?")
    )
    assert " ".join(CLINIC.disclaimer_short.split()) in english or (
        " ".join(CLINIC.disclaimer_full.split()) in english
    )


def test_the_choice_is_the_only_metadata_stored(assistant):
    assistant.send("es-meta", "ok", {"language": "es", "email": "a@b.co"})
    stored = [
        e.get("metadata")
        for e in assistant.tracker("es-meta")["events"]
        if e.get("event") == "user"
    ]
    # Rasa adds its own assistant_id and model_id; of the client's, only language.
    assert stored and all(m.get("language") == "es" for m in stored), stored
    assert all("email" not in m for m in stored), stored


def test_another_language_gets_its_reply_with_the_emergency_number(assistant):
    said = texts(assistant.send("pt-faq", "o que é fisioterapia para dor nos nervos"))
    assert any("emergência" in t and "911" in t for t in said), said
