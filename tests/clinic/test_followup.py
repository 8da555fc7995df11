"""The follow-up decision (clinic/followup.py) on parse results."""

from __future__ import annotations

import pytest

from clinic.confidence import FaqDecision
from clinic.followup import followup_topic, looks_like_followup


def parse(text: str, intent: str = "out_of_scope") -> dict:
    return {"text": text, "intent": {"name": intent, "confidence": 0.8}}


@pytest.mark.parametrize(
    "text",
    [
        "where do the pads go?",
        "what about a stationary bike?",
        "how long should I do it?",
        "does it hurt?",
        "and for my hands",
        "is it safe?",
        # Spanish, with or without accents and opening marks
        "¿Eso duele?",
        "y caminar rapido?",
        "cada cuánto lo hago",
        "puedo hacerlo en casa",
    ],
)
def test_follow_ups_are_recognised(text):
    assert looks_like_followup(text)


@pytest.mark.parametrize(
    "text",
    [
        "I have had burning feet for two years and my doctor says it is neuropathy "
        "from diabetes, what exercises should I be doing",
        "",
    ],
)
def test_long_or_empty_messages_are_not_follow_ups(text):
    assert not looks_like_followup(text)


def test_a_follow_up_keeps_the_topic():
    decision = FaqDecision(None, [], [], relevance=0.3)
    assert followup_topic(parse("where do the pads go?"), decision, "tens") == "tens"


def test_no_topic_no_follow_up():
    decision = FaqDecision(None, [], [], relevance=0.3)
    assert followup_topic(parse("where do the pads go?"), decision, None) is None


@pytest.mark.parametrize("intent", ["red_flag", "crisis", "greet", "book_appointment"])
def test_alarms_and_other_intents_are_never_follow_ups(intent):
    decision = FaqDecision(None, [], [], relevance=0.3)
    assert followup_topic(parse("is it safe?", intent), decision, "tens") is None


def test_a_clearly_named_new_topic_wins():
    decision = FaqDecision("sleep", [("sleep", 0.9), ("tens", 0.01)], [], relevance=0.9)
    text = "how can I sleep better with burning feet at night when I go to bed"
    assert followup_topic(parse(text, "faq"), decision, "tens") is None


def test_a_pointing_message_keeps_a_close_earlier_topic():
    decision = FaqDecision(
        "other_pt_modalities",
        [("other_pt_modalities", 0.5), ("tens", 0.4)],
        [],
        relevance=0.9,
    )
    assert followup_topic(parse("is it safe?", "faq"), decision, "tens") == "tens"


def test_an_unsure_other_topic_does_not_take_over_a_follow_up():
    """'does exercise help that kind?' after diabetic neuropathy: the classifier
    leans to exercise, but not surely, and the message does not restate its
    subject; the earlier topic is far down the ranking."""
    decision = FaqDecision(
        "exercise_overview",
        [("exercise_overview", 0.6), ("sleep", 0.2)],
        [],
        relevance=0.6,
    )
    text = "does exercise help that kind?"
    assert followup_topic(parse(text, "faq"), decision, "diabetic") == "diabetic"


@pytest.mark.parametrize(
    "text, top, relevance",
    [
        # sure of the other topic, though it points back
        ("does exercise help that kind?", 0.8, 0.6),
        # surely about nerve pain, and it restates its subject
        ("does exercise help nerve pain?", 0.6, 0.97),
    ],
)
def test_a_message_that_stands_on_its_own_gets_its_own_topic(text, top, relevance):
    decision = FaqDecision(
        "exercise_overview",
        [("exercise_overview", top), ("sleep", 0.01)],
        [],
        relevance=relevance,
    )
    assert followup_topic(parse(text, "faq"), decision, "diabetic") is None


def test_a_pointing_message_needs_a_sure_classifier_to_leave_the_topic():
    # "that" is the earlier topic: being surely about PT does not make it new.
    decision = FaqDecision(
        "how_pt_helps", [("how_pt_helps", 0.3), ("pt_timeline", 0.2)], [], 0.96
    )
    assert (
        followup_topic(parse("will pt help with that?", "faq"), decision, "sleep")
        == "sleep"
    )


@pytest.mark.parametrize(
    "text", ["totally separate, is it ok to swim?", "switching gears: can i swim?"]
)
def test_a_change_of_subject_is_announced(text):
    decision = FaqDecision(None, [], [], relevance=0.6)
    assert followup_topic(parse(text, "faq"), decision, "tens") is None


def with_topics(text: str, topics: list) -> dict:
    """An out-of-scope parse whose gate still ranks topics (components/scope.py)."""
    return dict(parse(text), scope={"topics": topics})


def test_a_brief_message_on_the_earlier_topic_continues_it():
    # No pointer, no follow-up opening: only its own ranking ties it to the topic.
    message = with_topics("is a stationary bike ok", [["aerobic_exercise", 0.95]])
    assert not looks_like_followup(message["text"])
    decision = FaqDecision(None, [], [], relevance=0.25)
    assert followup_topic(message, decision, "aerobic_exercise") == "aerobic_exercise"


@pytest.mark.parametrize(
    "text, relevance, top, previous",
    [
        # far from nerve pain or PT, though it ranks the earlier topic first
        ("what causes warts", 0.002, ["causes", 0.95], "causes"),
        # near enough, but another topic leads
        ("is a stationary bike ok", 0.25, ["what_to_avoid", 0.9], "aerobic_exercise"),
        # the earlier topic leads, but weakly
        (
            "is a stationary bike ok",
            0.25,
            ["aerobic_exercise", 0.3],
            "aerobic_exercise",
        ),
        # too long to lean on the earlier turn
        (
            "I'm 63 and want to start strength training to stay independent as I age",
            0.33,
            ["strengthening", 0.97],
            "strengthening",
        ),
    ],
)
def test_only_a_brief_near_message_on_the_earlier_topic_continues_it(
    text, relevance, top, previous
):
    decision = FaqDecision(None, [], [], relevance=relevance)
    assert followup_topic(with_topics(text, [top]), decision, previous) is None


def test_a_brief_question_sure_of_another_topic_switches_to_it():
    # not confident enough to answer alone (the gate doubted it), yet its own
    # ranking is sure: a new question in few words, not a follow-up
    ranking = [("should_exercise_hurt", 0.95), ("strengthening", 0.01)]
    decision = FaqDecision(None, ranking, [], relevance=0.4)
    got = followup_topic(parse("how much should it hurt?"), decision, "strengthening")
    assert got == "should_exercise_hurt"


def test_a_less_sure_other_topic_leaves_the_follow_up_on_the_earlier_one():
    ranking = [("care_team", 0.55), ("pt_alone_or_combined", 0.1)]
    decision = FaqDecision(None, ranking, [], relevance=0.2)
    got = followup_topic(parse("like who else?"), decision, "pt_alone_or_combined")
    assert got == "pt_alone_or_combined"


@pytest.mark.parametrize(
    "text, other",
    [
        ("is it like stretching?", "stretching"),
        ("will it help my balance too?", "balance_and_falls"),
        ("does it include hot and cold things?", "heat_and_cold"),
        ("can i do it at home", "home_program"),
    ],
)
def test_a_brief_question_about_it_stays_on_the_earlier_topic(text, other):
    """'it' is the earlier topic, even when the message names another one the
    classifier is sure of (dev halves of tests/eval/followups_*)."""
    decision = FaqDecision(other, [(other, 0.95), ("sleep", 0.01)], [], 0.9)
    assert followup_topic(parse(text, "faq"), decision, "nerve_gliding") == (
        "nerve_gliding"
    )


@pytest.mark.parametrize(
    "text",
    [
        "is swimming good for neuropathy or does it make the burning worse at night",
        "what is tens?",
        "it hurts when i do the glides, is stretching better?",
    ],
)
def test_only_a_brief_question_on_it_is_kept_whatever_it_names(text):
    decision = FaqDecision(
        "stretching", [("stretching", 0.95), ("sleep", 0.01)], [], 0.99
    )
    assert followup_topic(parse(text, "faq"), decision, "nerve_gliding") is None


@pytest.mark.parametrize("text", ["¿eso duele?", "lo puedo hacer en casa?"])
def test_a_spanish_question_about_it_stays_on_the_earlier_topic(text):
    decision = FaqDecision("sleep", [("sleep", 0.95), ("tens", 0.01)], [], 0.9)
    assert followup_topic(parse(text, "faq"), decision, "tens") == "tens"


@pytest.mark.parametrize(
    "text, relevance, expected",
    [
        # far from the scope and no pointer: a new subject
        ("oye y como va a estar el clima mañana en monterrey", 0.04, None),
        ("ok also whats the score of the lakers game", 0.1, None),
        # the same length pointing back stays on the topic
        ("ok and how long should i keep doing that every day", 0.1, "tens"),
        # near enough to the scope
        ("ok also how long before i notice any change at all", 0.3, "tens"),
    ],
)
def test_a_longer_unpointed_message_far_from_the_scope_is_a_new_subject(
    text, relevance, expected
):
    decision = FaqDecision(None, [], [], relevance=relevance)
    assert followup_topic(parse(text), decision, "tens") == expected
