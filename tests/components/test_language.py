"""Language detection and routing (components/language.py): offline, pinned; an
unclear message follows the visitor's choice or keeps the conversation's language."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from components import language
from components.language import LanguageRouter, detect_language, judge_language


@pytest.mark.parametrize(
    "text, expected",
    [
        ("tengo dolor de pecho y no puedo respirar", "es"),
        ("ya no quiero vivir", "es"),
        ("hola", "es"),
        ("mi esposo dice q se quiere matar", "es"),
        ("estou com dor no peito e não consigo respirar", "pt"),
        ("j'ai mal à la poitrine et je n'arrive pas à respirer", "fr"),
        ("我胸口痛得厉害，喘不过气", "zh"),
        ("how long does physical therapy take to work?", "en"),
        ("relaxation techniques for neuropathic pain", "en"),
        ("is ashwagandha safe", "en"),
        ("ok", "en"),
        ("TENS?", "en"),
        # Too short for the n-gram model: the small words decide.
        ("que es la gota", "es"),
        ("q es el TENS", "es"),
        ("hielo o calor?", "es"),
        ("what is ALS", "en"),
        ("wats gerd", "en"),
    ],
)
def test_languages(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_a_changed_model_file_is_refused(tmp_path, monkeypatch) -> None:
    fake = tmp_path / "model.npz.xz"
    fake.write_bytes(b"not the pinned model")
    monkeypatch.setattr(language, "model_file", lambda: fake)
    language.identifier.cache_clear()
    try:
        with pytest.raises(language.LanguageModelError, match="sha256"):
            language.identifier()
    finally:
        language.identifier.cache_clear()
        language.judge_language.cache_clear()


def routed(text: str, metadata=None, intent: str = "faq") -> Message:
    message = Message(
        data={"text": text, "metadata": metadata, "intent": {"name": intent}}
    )
    LanguageRouter({}).process([message])
    return message


def language_entity(message: Message):
    values = [
        e["value"] for e in message.get("entities") or [] if e["entity"] == "language"
    ]
    assert len(values) <= 1
    return values[0] if values else None


@pytest.mark.parametrize("text", ["ok", "2", "TENS?", "si", "pt vs pills", "no"])
def test_a_message_too_short_to_judge_has_no_language_of_its_own(text) -> None:
    assert judge_language(text) is None
    assert detect_language(text) == "en"  # what the safety nets assume


def test_an_unclear_message_keeps_the_conversation_language() -> None:
    message = routed("ok")
    assert language_entity(message) is None  # so the slot keeps its value
    assert message.get("intent")["name"] == "faq"


def test_an_unclear_message_follows_the_language_the_visitor_chose() -> None:
    assert language_entity(routed("ok", {"language": "es"})) == "es"
    assert language_entity(routed("TENS?", {"language": "en"})) == "en"


def test_a_clear_message_wins_over_the_choice() -> None:
    assert (
        language_entity(routed("what is nerve pain exactly", {"language": "es"}))
        == "en"
    )
    assert (
        language_entity(routed("que es el dolor de nervios", {"language": "en"}))
        == "es"
    )


def test_a_choice_the_assistant_does_not_answer_in_is_ignored() -> None:
    assert language_entity(routed("ok", {"language": "fr"})) is None
    assert language_entity(routed("ok", "es")) is None


def test_another_language_is_routed_unless_it_is_an_alarm() -> None:
    text = "estou com dor no peito e não consigo respirar"
    assert routed(text).get("intent")["name"] == "other_language"
    assert routed(text, intent="red_flag").get("intent")["name"] == "red_flag"


def test_the_assistant_s_own_buttons_are_left_alone() -> None:
    message = routed('/faq{"faq_topic":"tens"}', {"language": "es"})
    assert language_entity(message) is None
