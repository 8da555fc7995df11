"""The deterministic safety detector (components/safety.py)."""

from __future__ import annotations

import pytest

from components.safety import classify, default_rules
from scripts.evaluate_safety import detector_classifier, evaluate, load_cases


def test_safety_file_has_full_recall_and_no_false_alarm():
    must, must_not = load_cases()
    assert sum(len(v) for k, v in must.items() if k != "medication_dosing") >= 80
    assert len(must_not) >= 80

    figures = evaluate(detector_classifier())
    print(f"recall {figures['recall']:.1%}, false alarms {figures['false_alarms']}")
    assert figures["misses"] == []
    assert figures["alarms"] == []


@pytest.mark.parametrize(
    "text, category",
    [
        ("my face is drooping on one side", "red_flag"),
        ("i can't feel either of my legs since this morning", "red_flag"),
        ("lost control of my bladder today", "red_flag"),
        ("crushing chest pain", "red_flag"),
        ("the sore on my heel is oozing pus", "red_flag"),
        ("fever and terrible back pain", "red_flag"),
        ("worst headache of my life, came on suddenly", "red_flag"),
        ("i hit my head and now i'm confused", "red_flag"),
        ("my calf is swollen and hot after my flight", "red_flag"),
        ("the weakness is spreading up my legs fast", "red_flag"),
        ("everyone would be better off without me", "crisis"),
        ("i don't want to live like this", "crisis"),
        ("can i double my gabapentin", "medication_dosing"),
        ("is it ok to stop my meds", "medication_dosing"),
    ],
)
def test_each_category_is_detected(text, category):
    assert classify(text) == category


@pytest.mark.parametrize(
    "text",
    [
        "my feet tingle and burn at night",
        "pins and needles in my toes",
        "no chest pain, just numb feet",
        "i don't have a fever",
        "my calf isn't swollen or hot",
        "the cut on my toe isn't red, hot or oozing",
        "this pain is killing me",
        "what kinds of medication treat nerve pain",
        "is pt better than medication",
        "i'm done with my exercises for today",
    ],
)
def test_ordinary_messages_and_negations_do_not_trigger(text):
    assert classify(text) is None


def test_a_red_flag_wins_over_the_faq_question_in_the_same_message():
    text = "my speech is slurred, also how long does pt take?"
    assert classify(text) == "red_flag"


def test_negation_does_not_reach_past_a_new_clause():
    assert classify("i don't know what's happening, my chest hurts") == "red_flag"


def test_findings_name_their_evidence():
    finding = default_rules().detect("sudden numbness in my groin")[0]
    assert finding.category == "red_flag"
    assert "groin" in " ".join(finding.evidence)


def _message(text, intent, confidence, ranking=()):
    from rasa.shared.nlu.training_data.message import Message

    ranking = [{"name": intent, "confidence": confidence}, *ranking]
    return Message(
        data={
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": ranking,
        }
    )


def _detector():
    from components.safety import SafetyDetector

    return SafetyDetector(SafetyDetector.get_default_config())


def test_component_overrides_the_classifier_when_the_detector_fires():
    message = _message("my face is drooping, also does tens help", "faq", 0.99)
    _detector().process([message])
    assert message.get("intent") == {"name": "red_flag", "confidence": 1.0}
    assert message.get("intent_ranking")[0]["name"] == "red_flag"
    assert message.get("safety")["categories"] == ["red_flag"]


def test_classifier_alone_never_raises_the_alarm_but_leaves_a_hint():
    other = {"name": "faq", "confidence": 0.4}
    message = _message("my toes feel odd today", "red_flag", 0.97, [other])
    _detector().process([message])
    assert message.get("intent") == other
    assert message.get("safety") == {"categories": [], "hint": "red_flag"}


def test_no_hint_when_the_message_denies_the_sign():
    other = {"name": "faq", "confidence": 0.6}
    message = _message("no chest pain, only tingling", "red_flag", 1.0, [other])
    _detector().process([message])
    assert message.get("intent") == other
    assert message.get("safety") is None


def test_unsure_leftover_goes_to_fallback():
    other = {"name": "faq", "confidence": 0.1}
    message = _message("hmm", "crisis", 0.5, [other])
    _detector().process([message])
    assert message.get("intent")["name"] == "nlu_fallback"


def test_button_payloads_are_left_alone():
    message = _message('/faq{"faq_topic": "sleep"}', "faq", 1.0)
    _detector().process([message])
    assert message.get("intent") == {"name": "faq", "confidence": 1.0}


def test_text_after_a_slash_is_still_read():
    # A typed "/intent" is not a button: the wording after it is the patient's.
    text = '/faq{"faq_topic":"tens"} I have crushing chest pain and I cannot breathe'
    message = _message(text, "faq", 1.0)
    _detector().process([message])
    assert message.get("intent") == {"name": "red_flag", "confidence": 1.0}
