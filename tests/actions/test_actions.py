"""Action unit tests: CollectingDispatcher + tracker fixtures, asserting events and responses."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import (
    URGENT_HINTS,
    ActionAnswerFaq,
    ActionNotSure,
    ActionOutOfScope,
    ActionTellMeMore,
)
from actions.session import ActionSessionStart
from clinic.settings import load_settings
from clinic.topics import STARTER_TOPICS, TOPICS, tell_me_more_payload, topic_payload
from safety.categories import SAFETY_INTENTS
from tests.conftest import faq_message, make_tracker


def run(action, dispatcher, tracker) -> list[dict]:
    return asyncio.run(action.run(dispatcher, tracker, {}))


def responses(dispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages]


def bot(response: str) -> dict:
    return {"event": "bot", "text": "...", "metadata": {"utter_action": response}}


SESSION = {"event": "session_started"}


def test_first_answer_of_a_session_gets_the_full_disclaimer(dispatcher, settings):
    tracker = make_tracker(faq_message("pt_timeline"), events=[SESSION])
    events = run(ActionAnswerFaq(settings), dispatcher, tracker)

    assert responses(dispatcher) == [
        "utter_faq/pt_timeline",
        "utter_disclaimer_full",
        "utter_referral_assessment",
    ]
    assert dispatcher.messages[1]["disclaimer_full"] == settings.disclaimer_full
    # The Spanish variation's text comes from clinic.yml too.
    assert dispatcher.messages[1]["disclaimer_full_es"] == settings.disclaimer_full_es
    assert events == [SlotSet("last_faq_topic", "pt_timeline")]
    # The answer is the short variation; the referral also offers the full one.
    assert dispatcher.messages[2]["buttons"] == [
        {
            "title": "Tell me more",
            "payload": '/tell_me_more{"faq_topic": "pt_timeline"}',
        }
    ]


def test_later_answers_get_the_short_reminder(dispatcher, settings):
    earlier = [SESSION, bot("utter_faq/tens"), bot("utter_disclaimer_full")]
    tracker = make_tracker(faq_message("stretching"), events=earlier)
    run(ActionAnswerFaq(settings), dispatcher, tracker)

    assert responses(dispatcher)[1] == "utter_disclaimer_short"


def test_a_new_session_shows_the_full_disclaimer_again(dispatcher, settings):
    events = [SESSION, bot("utter_disclaimer_full"), SESSION]
    tracker = make_tracker(faq_message("stretching"), events=events)
    run(ActionAnswerFaq(settings), dispatcher, tracker)

    assert responses(dispatcher)[1] == "utter_disclaimer_full"


@pytest.mark.parametrize(
    "topic, group",
    [
        ("causes", "doctor"),
        ("symptoms", "doctor"),
        ("diagnosis", "doctor"),
        ("medication_options", "doctor"),
        ("interventional_procedures", "doctor"),
        ("stretching", "therapist"),
        ("tens", "therapist"),
        ("what_to_avoid", "therapist"),
        ("first_visit_assessment", "assessment"),
        ("pt_timeline", "assessment"),
        ("how_pt_helps", "assessment"),
    ],
)
def test_referral_prompt_fits_the_topic(dispatcher, settings, topic, group):
    tracker = make_tracker(faq_message(topic), events=[SESSION])
    run(ActionAnswerFaq(settings), dispatcher, tracker)

    assert responses(dispatcher)[-1] == f"utter_referral_{group}"


def test_every_topic_ends_with_a_referral_prompt(settings):
    for topic in TOPICS:
        dispatcher_ = CollectingDispatcher()
        run(ActionAnswerFaq(settings), dispatcher_, make_tracker(faq_message(topic)))
        sent = responses(dispatcher_)
        assert sent[0] == f"utter_faq/{topic}"
        assert sent[-1].startswith("utter_referral_"), (topic, sent)


def test_low_intent_confidence_says_not_sure_and_offers_topics(dispatcher, settings):
    message = faq_message(
        "tens",
        confidence=settings.faq_intent_threshold - 0.01,
        ranking=["tens", "nerve_gliding", "heat_and_cold", "sleep"],
    )
    events = run(ActionAnswerFaq(settings), dispatcher, make_tracker(message))

    assert events == []
    assert responses(dispatcher) == ["utter_not_sure"]
    buttons = dispatcher.messages[0]["buttons"]
    assert [b["title"] for b in buttons] == [
        TOPICS["tens"].label,
        TOPICS["nerve_gliding"].label,
        TOPICS["heat_and_cold"].label,
    ]
    assert buttons[0]["payload"] == '/faq{"faq_topic": "tens"}'


def test_low_answer_confidence_says_not_sure(dispatcher, settings):
    message = faq_message(
        "tens", answer_confidence=settings.faq_answer_threshold - 0.01
    )
    run(ActionAnswerFaq(settings), dispatcher, make_tracker(message))

    assert responses(dispatcher) == ["utter_not_sure"]


def test_unknown_topic_is_not_answered(dispatcher, settings):
    run(ActionAnswerFaq(settings), dispatcher, make_tracker(faq_message("no_such")))

    assert responses(dispatcher) == ["utter_not_sure"]


def test_a_suggestion_button_answers_its_topic_directly(dispatcher, settings):
    message = faq_message(
        "tens",
        confidence=1.0,
        answer_confidence=0.01,  # the selector never sees real words for a payload
        entities=[{"entity": "faq_topic", "value": "sleep"}],
    )
    run(ActionAnswerFaq(settings), dispatcher, make_tracker(message))

    assert responses(dispatcher)[0] == "utter_faq/sleep"


def test_topic_payload_round_trips_through_the_entity():
    assert topic_payload("sleep") == '/faq{"faq_topic": "sleep"}'


def test_nlu_fallback_offers_likely_topics(dispatcher, settings):
    message = faq_message("sleep", ranking=["sleep", "stress_and_mind_body"])
    message["intent"] = {"name": "nlu_fallback", "confidence": 0.3}
    run(ActionNotSure(settings), dispatcher, make_tracker(message))

    assert responses(dispatcher) == ["utter_not_sure"]
    assert len(dispatcher.messages[0]["buttons"]) == 2


def test_thresholds_from_the_environment_change_the_decision(dispatcher):
    strict = load_settings(environ={"CLINIC_FAQ_ANSWER_THRESHOLD": "0.95"})
    message = faq_message("tens", answer_confidence=0.9)
    run(ActionAnswerFaq(strict), dispatcher, make_tracker(message))

    assert responses(dispatcher) == ["utter_not_sure"]


def test_session_start_fills_the_clinic_slots(dispatcher, monkeypatch):
    monkeypatch.setenv("CLINIC_PHONE", "+1 555 0199")
    events = run(ActionSessionStart(), dispatcher, make_tracker())

    assert events[0] == SessionStarted()
    assert events[-1] == ActionExecuted("action_listen")
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["clinic_phone"] == "+1 555 0199"
    assert slots["emergency_number"] == "911"
    assert slots["crisis_line"] == "988"
    assert slots["emergency_dial"] == "911"  # tel: links of the call buttons
    assert slots["poison_control_dial"] == "18002221222"
    assert dispatcher.messages == []


def test_session_start_gives_another_clinic_its_own_links(dispatcher, monkeypatch):
    monkeypatch.setenv("CLINIC_EMERGENCY_NUMBER", "112")
    monkeypatch.setenv("CLINIC_CRISIS_TEXT_NUMBER", "")
    events = run(ActionSessionStart(), dispatcher, make_tracker())

    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["emergency_number"] == slots["emergency_dial"] == "112"
    assert slots["crisis_line_takes_texts"] is False


def test_an_unconfirmed_safety_guess_adds_a_hint_before_the_answer(
    dispatcher, settings
):
    message = faq_message("symptoms")
    message["safety"] = {"categories": [], "hint": "red_flag"}
    run(ActionAnswerFaq(settings), dispatcher, make_tracker(message))

    assert responses(dispatcher)[:2] == [
        "utter_safety_hint_red_flag",
        "utter_faq/symptoms",
    ]


@pytest.mark.parametrize("hint", sorted(URGENT_HINTS))
def test_nothing_follows_an_urgent_hint_but_the_answer(dispatcher, settings, hint):
    """The one action is to call now: no disclaimer, referral or "Book a visit"."""
    message = faq_message("symptoms")
    message["safety"] = {"categories": [], "hint": hint}
    events = run(
        ActionAnswerFaq(settings), dispatcher, make_tracker(message, events=[SESSION])
    )

    assert responses(dispatcher) == [f"utter_safety_hint_{hint}", "utter_faq/symptoms"]
    assert all(not m.get("buttons") for m in dispatcher.messages)
    assert events == [SlotSet("last_faq_topic", "symptoms")]


def test_a_dosing_hint_keeps_the_safety_note_and_referral(dispatcher, settings):
    message = faq_message("medication_options")
    message["safety"] = {"categories": [], "hint": "medication_dosing"}
    run(ActionAnswerFaq(settings), dispatcher, make_tracker(message, events=[SESSION]))

    assert responses(dispatcher) == [
        "utter_safety_hint_medication_dosing",
        "utter_faq/medication_options",
        "utter_disclaimer_full",
        "utter_referral_doctor",
    ]


def test_every_safety_hint_except_dosing_is_urgent():
    assert set(SAFETY_INTENTS) - {"medication_dosing"} == URGENT_HINTS


def test_no_hint_without_a_safety_guess(dispatcher, settings):
    run(ActionAnswerFaq(settings), dispatcher, make_tracker(faq_message("symptoms")))

    assert not any(r.startswith("utter_safety_hint") for r in responses(dispatcher))


# --- "Tell me more": the short answer first, the full one on request ------------------


def tell_me_more(topic=None) -> dict:
    entities = [{"entity": "faq_topic", "value": topic}] if topic else []
    return {
        "text": tell_me_more_payload(topic) if topic else "tell me more",
        "intent": {"name": "tell_me_more", "confidence": 1.0},
        "entities": entities,
    }


FULL = {"answer_detail": "full"}  # set by the tell_me_more user turn (domain.yml)


def test_tell_me_more_payload_names_its_topic():
    assert tell_me_more_payload("tens") == '/tell_me_more{"faq_topic": "tens"}'


def test_tell_me_more_sends_the_same_response_and_resets_the_slot(dispatcher, settings):
    earlier = [SESSION, bot("utter_faq/tens"), bot("utter_disclaimer_full")]
    tracker = make_tracker(tell_me_more("tens"), events=earlier, slots=FULL)
    events = run(ActionTellMeMore(settings), dispatcher, tracker)

    # Rasa renders utter_faq/tens with answer_detail=full: the full variation
    # (tests/actions/test_answer_detail.py runs that part of Rasa).
    assert responses(dispatcher) == [
        "utter_faq/tens",
        "utter_disclaimer_short",
        "utter_referral_therapist",
    ]
    assert dispatcher.messages[-1]["buttons"] == []  # nothing more to tell
    assert events == [
        SlotSet("last_faq_topic", "tens"),
        SlotSet("answer_detail", None),
    ]


def test_typed_tell_me_more_expands_the_last_topic(dispatcher, settings):
    slots = {**FULL, "last_faq_topic": "sleep"}
    tracker = make_tracker(tell_me_more(), events=[SESSION], slots=slots)
    run(ActionTellMeMore(settings), dispatcher, tracker)

    assert responses(dispatcher)[0] == "utter_faq/sleep"


def test_the_button_topic_wins_over_the_last_topic(dispatcher, settings):
    slots = {**FULL, "last_faq_topic": "sleep"}
    tracker = make_tracker(tell_me_more("tens"), events=[SESSION], slots=slots)
    run(ActionTellMeMore(settings), dispatcher, tracker)

    assert responses(dispatcher)[0] == "utter_faq/tens"


def test_tell_me_more_without_a_topic_asks_which(dispatcher, settings):
    tracker = make_tracker(tell_me_more(), events=[SESSION], slots=FULL)
    events = run(ActionTellMeMore(settings), dispatcher, tracker)

    assert responses(dispatcher) == ["utter_more_which_topic"]
    assert events == [SlotSet("answer_detail", None)]


def test_every_short_answer_offers_tell_me_more(settings):
    for topic in TOPICS:
        dispatcher_ = CollectingDispatcher()
        run(ActionAnswerFaq(settings), dispatcher_, make_tracker(faq_message(topic)))
        buttons = dispatcher_.messages[-1]["buttons"]
        assert [b["payload"] for b in buttons] == [tell_me_more_payload(topic)]


def test_a_patient_reads_at_most_100_words_before_the_buttons(settings):
    """Short answer + safety note + referral (scripts/reply_words.py)."""
    from scripts import reply_words

    for later in (False, True):
        counts = {
            t: reply_words.words_before_buttons(reply_words.reply(t, settings, later))
            for t in TOPICS
        }
        assert max(counts.values()) <= 100, counts


def out_of_scope(text: str, relevance: float = 0.3) -> dict:
    return {
        "text": text,
        "intent": {"name": "out_of_scope", "confidence": 0.7},
        "entities": [],
        "scope": {"relevance": relevance, "relevant": False, "topics": []},
    }


def test_a_follow_up_is_answered_on_the_conversation_topic(dispatcher, settings):
    tracker = make_tracker(
        out_of_scope("where do the pads go?"),
        events=[SESSION],
        slots={"last_faq_topic": "tens"},
    )
    events = run(ActionOutOfScope(settings), dispatcher, tracker)
    assert responses(dispatcher)[0] == "utter_faq/tens"
    assert SlotSet("last_faq_topic", "tens") in events


def test_without_a_topic_out_of_scope_stays_out_of_scope(dispatcher, settings):
    tracker = make_tracker(out_of_scope("where do the pads go?"), events=[SESSION])
    run(ActionOutOfScope(settings), dispatcher, tracker)
    assert responses(dispatcher) == ["utter_out_of_scope"]


def test_an_out_of_scope_reply_names_the_crisis_line_first(dispatcher, settings):
    # "antes queria morirme, eso ya paso. tienen citas el sabado?": a dark time
    # that is over is no alarm (components/safety.py), but the hint stays
    message = out_of_scope("eso ya paso. tienen citas el sabado?")
    message["safety"] = {"categories": [], "hint": "crisis"}
    run(ActionOutOfScope(settings), dispatcher, make_tracker(message, events=[SESSION]))
    assert responses(dispatcher) == ["utter_safety_hint_crisis", "utter_out_of_scope"]


def ranked_out_of_scope(text: str, topics: list[tuple[str, float]]) -> dict:
    parse = out_of_scope(text, relevance=0.2)
    parse["scope"]["topics"] = topics
    return parse


@pytest.mark.parametrize("language", ["en", "es"])
def test_out_of_scope_reply_offers_the_nearest_topics(dispatcher, settings, language):
    # A question the gate wrongly rejects is one tap from its answer.
    nearest = [
        ("graded_motor_imagery", 0.6),
        ("tens", 0.2),
        ("pt_timeline", 0.1),
        ("how_pt_helps", 0.05),
    ]
    tracker = make_tracker(
        ranked_out_of_scope("whats the GMI thing for crps", nearest),
        events=[SESSION],
        slots={"language": language},
    )
    run(ActionOutOfScope(settings), dispatcher, tracker)
    [reply] = dispatcher.messages
    assert reply["response"] == "utter_out_of_scope"
    expected = ["graded_motor_imagery", "tens", "pt_timeline"]
    assert settings.not_sure_suggestions == len(expected)
    assert reply["buttons"] == [
        {"title": TOPICS[t].label_in(language), "payload": topic_payload(t)}
        for t in expected
    ]


def test_out_of_scope_reply_offers_starter_topics_without_a_ranking(
    dispatcher, settings
):
    tracker = make_tracker(out_of_scope("is it going to rain", 0.01), events=[SESSION])
    run(ActionOutOfScope(settings), dispatcher, tracker)
    [reply] = dispatcher.messages
    assert [b["payload"] for b in reply["buttons"]] == [
        topic_payload(t) for t in STARTER_TOPICS
    ]


@pytest.mark.parametrize(
    "text, relevance",
    [
        ("unrelated but is it going to rain on saturday", 0.3),
        ("what is the capital of france and why do people love it so much", 0.01),
        ("is it going to rain", 0.01),
    ],
)
def test_a_change_of_subject_is_not_a_follow_up(dispatcher, settings, text, relevance):
    tracker = make_tracker(
        out_of_scope(text, relevance),
        events=[SESSION],
        slots={"last_faq_topic": "tens"},
    )
    run(ActionOutOfScope(settings), dispatcher, tracker)
    assert responses(dispatcher) == ["utter_out_of_scope"]
