"""clinic/confidence.py: the one "is this FAQ answer confident?" decision."""

from __future__ import annotations

from dataclasses import replace

import pytest

from clinic.confidence import answer_key, combined_ranking, faq_decision


def parse(
    selector: list[tuple[str, float]],
    gate: list[tuple[str, float]] | None = None,
    intent: str = "faq",
    intent_confidence: float = 0.9,
) -> dict:
    top, top_confidence = selector[0]
    message = {
        "intent": {"name": intent, "confidence": intent_confidence},
        "response_selector": {
            "faq": {
                "response": {
                    "intent_response_key": f"faq/{top}",
                    "confidence": top_confidence,
                    "utter_action": f"utter_faq/{top}",
                },
                "ranking": [
                    {"intent_response_key": f"faq/{t}", "confidence": c}
                    for t, c in selector
                ],
            }
        },
    }
    if gate is not None:
        message["scope"] = {
            "relevance": intent_confidence,
            "relevant": True,
            "topics": [[t, p] for t, p in gate],
        }
    return message


def test_without_the_gate_the_selector_decides(settings):
    decision = faq_decision(parse([("tens", 0.9), ("sleep", 0.05)]), settings)
    assert decision.topic == "tens"
    assert answer_key(decision) == "utter_faq/tens"


def test_the_gate_s_topic_opinion_is_combined_with_the_selector(settings):
    # The selector hesitates; the gate's classifier is sure of the second topic.
    message = parse([("tens", 0.4), ("nerve_gliding", 0.35)], [("nerve_gliding", 0.9)])
    ranking = combined_ranking(message)
    assert ranking[0][0] == "nerve_gliding"
    assert faq_decision(message, settings).topic == "nerve_gliding"


def test_a_close_second_topic_means_not_sure(settings):
    message = parse(
        [("tens", 0.5), ("heat_and_cold", 0.48)],
        [("tens", 0.45), ("heat_and_cold", 0.44)],
    )
    decision = faq_decision(message, settings)
    assert decision.topic is None
    assert decision.suggestions[:2] == ["tens", "heat_and_cold"]


def test_a_low_combined_score_means_not_sure(settings):
    gate = [("sleep", 0.1), ("tens", 0.09), ("stretching", 0.08)]
    decision = faq_decision(parse([("sleep", 0.1), ("tens", 0.05)], gate), settings)
    assert decision.topic is None
    assert decision.suggestions == ["sleep", "tens", "stretching"]


def test_suggestions_follow_the_clinic_setting(settings):
    few = replace(settings, not_sure_suggestions=2, faq_answer_threshold=0.99)
    message = parse([("sleep", 0.5), ("tens", 0.3), ("stretching", 0.2)])
    assert faq_decision(message, few).suggestions == ["sleep", "tens"]


@pytest.mark.parametrize("intent", ["greet", "red_flag", "crisis"])
def test_only_the_faq_intent_is_answered(settings, intent):
    decision = faq_decision(parse([("tens", 0.99)], intent=intent), settings)
    assert decision.topic is None and decision.suggestions == []


@pytest.mark.parametrize("intent", ["nlu_fallback", "out_of_scope"])
def test_not_sure_and_out_of_scope_offer_topics_without_answering(settings, intent):
    decision = faq_decision(parse([("tens", 0.99)], intent=intent), settings)
    assert decision.topic is None
    assert decision.suggestions == ["tens"]


def test_a_low_intent_confidence_is_not_answered(settings):
    message = parse(
        [("tens", 0.99)], intent_confidence=settings.faq_intent_threshold - 0.01
    )
    assert faq_decision(message, settings).topic is None


def test_unknown_topics_are_neither_answered_nor_offered(settings):
    message = parse([("retired_topic", 0.9), ("tens", 0.05)])
    decision = faq_decision(message, settings, known_topics={"tens"})
    assert decision.topic is None or decision.topic == "tens"
    assert "retired_topic" not in decision.suggestions


def test_a_parse_naming_only_the_response_still_works(settings):
    message = {
        "intent": {"name": "faq", "confidence": 0.9},
        "response_selector": {
            "faq": {"response": {"confidence": 0.9, "utter_action": "utter_faq/tens"}}
        },
    }
    assert faq_decision(message, settings).topic == "tens"


def test_the_decision_is_importable_without_rasa_sdk():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['rasa_sdk'] = None; sys.modules['rasa'] = None; "
        "import clinic.confidence"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
