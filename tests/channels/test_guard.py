"""Input guard and the offline answer (channels/guard.py, channels/fallback.py)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.fallback import offline_reply
from channels.guard import MAX_BODY_BYTES, clean_text, read_rest_body, too_long_reply
from clinic.settings import load_settings
from safety.categories import SAFETY_INTENTS
from safety.detector import classify


def body(**fields) -> bytes:
    return json.dumps(fields).encode()


@pytest.mark.parametrize(
    "raw, status",
    [
        (b"", 400),
        (b"{not json", 400),
        (b"\xff\xfe\x00", 400),
        (b"[1, 2]", 400),
        (body(message="hi"), 400),
        (body(sender="a"), 400),
        (body(sender="", message="hi"), 400),
        (body(sender="a" * 10_000, message="hi"), 400),
        (body(sender="a\x00b", message="hi"), 400),
        (body(sender="a", message=5), 400),
        (b" " * (MAX_BODY_BYTES + 1), 413),
        (b"[" * 100_000 + b"]" * 100_000, 400),  # nesting that exhausts the parser
        (
            b'{"sender": "a", "message": "hi", "x": '
            + b"[" * 50_000
            + b"]" * 50_000
            + b"}",
            400,
        ),
    ],
)
def test_bad_bodies_get_a_4xx_with_a_message(raw, status):
    sender, message, error = read_rest_body(raw)
    assert (sender, message) == (None, None)
    assert error.status == status and error.message


def test_a_good_body_is_read():
    assert read_rest_body(body(sender="a", message="hi")) == ("a", "hi", None)


def test_invisible_characters_cannot_hide_a_red_flag():
    hidden = "crushing ches\u200bt pain\u0000 and i can\u2019t breathe"
    assert classify(clean_text(hidden)) == "red_flag"


def test_clean_text_keeps_emoji_and_right_to_left_text():
    assert clean_text("  ألم الأعصاب 😣 ") == "ألم الأعصاب 😣"
    assert clean_text("\ud800broken") == "?broken"


def test_too_long_reply_mentions_the_limit_and_an_emergency():
    reply = too_long_reply(5000, 1000, emergency="911")
    assert reply.startswith("If this is an emergency, call 911 now.")
    assert "1,000" in reply


def faq_parse(confidence: float) -> dict:
    return {
        "intent": {"name": "faq", "confidence": confidence},
        "response_selector": {
            "faq": {
                "response": {
                    "confidence": confidence,
                    "utter_action": "utter_faq/tens",
                }
            }
        },
    }


RESPONSES = {"utter_faq/tens": [{"text": "TENS is a small device."}]}


def test_offline_faq_answer_has_the_static_safety_note_and_contact():
    clinic = load_settings(environ={})
    texts = offline_reply(faq_parse(0.9), RESPONSES, clinic)
    assert texts[0] == "TENS is a small device."
    assert texts[1] == clinic.disclaimer_full
    assert clinic.phone in texts[2]


TWO_VARIATIONS = {
    "utter_faq/tens": [
        {"text": "TENS is a small device."},
        {
            "condition": [{"type": "slot", "name": "answer_detail", "value": "full"}],
            "text": "TENS is a small device. The full answer.",
        },
    ]
}


def test_offline_question_gets_the_full_answer():
    """Offline there is no "Tell me more" to follow the short answer."""
    clinic = load_settings(environ={})
    texts = offline_reply(faq_parse(0.9), TWO_VARIATIONS, clinic)
    assert texts[0] == "TENS is a small device. The full answer."


@pytest.mark.parametrize("intent", ["tell_me_more", "faq"])
def test_offline_button_payload_answers_its_topic(intent):
    clinic = load_settings(environ={})
    parse = {
        "intent": {"name": intent, "confidence": 1.0},
        "entities": [{"entity": "faq_topic", "value": "tens"}],
    }
    texts = offline_reply(parse, TWO_VARIATIONS, clinic)
    assert texts[0] == "TENS is a small device. The full answer."
    assert clinic.phone in texts[2]


def test_offline_tell_me_more_without_a_topic_apologises():
    clinic = load_settings(environ={})
    parse = {"intent": {"name": "tell_me_more", "confidence": 1.0}, "entities": []}
    (text,) = offline_reply(parse, TWO_VARIATIONS, clinic)
    assert "technical problem" in text


def test_offline_reply_without_a_confident_answer_apologises():
    clinic = load_settings(environ={})
    (text,) = offline_reply(faq_parse(0.1), RESPONSES, clinic)
    assert "technical problem" in text
    assert clinic.phone in text and clinic.emergency_number in text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_detector_and_cleaner_never_crash(text):
    assert classify(clean_text(text)) in (None, *SAFETY_INTENTS)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_body_reader_never_crashes_on_bytes(raw):
    sender, message, error = read_rest_body(raw)
    assert (error is None) == (sender is not None and message is not None)


def _run(coro):
    import asyncio

    return asyncio.run(coro)


def test_channel_guard_answers_long_and_empty_messages_itself():
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    from tests.support.inbound import guarded_by_inbound

    seen = []

    async def on_new_message(message):
        seen.append(message.text)

    guarded = guarded_by_inbound(on_new_message)
    out = CollectingOutputChannel()
    _run(guarded(UserMessage("does t\u200bens help", out, "s")))
    _run(guarded(UserMessage("   ", out, "s")))
    _run(guarded(UserMessage("chest pain " * 200, out, "s")))
    assert seen == ["does tens help"]
    assert "empty" in out.messages[0]["text"]
    assert out.messages[1]["text"].startswith("If this is an emergency, call 911")


def test_channel_guard_caps_messages_starting_with_a_slash():
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    from tests.support.inbound import guarded_by_inbound

    seen = []

    async def on_new_message(message):
        seen.append(message.text)

    guarded = guarded_by_inbound(on_new_message)
    out = CollectingOutputChannel()
    _run(guarded(UserMessage("/" + "x" * 1_100_000, out, "s")))
    _run(guarded(UserMessage('/faq{"faq_topic":"pt_timeline"}', out, "s")))
    assert seen == ['/faq{"faq_topic":"pt_timeline"}']
    assert "1,100,000 characters" in out.messages[0]["text"]


def test_socketio_messages_go_through_the_inbound_path():
    """A hidden character can't hide an emergency on the socket, and an
    over-long message is answered on the socket without reaching the assistant."""
    from channels.socketio import GuardedSocketIOInput

    channel = GuardedSocketIOInput.from_credentials(
        {
            "user_message_evt": "user_uttered",
            "bot_message_evt": "bot_uttered",
            "session_persistence": False,
        }
    )
    assert channel.name() == "socketio"
    seen = []

    async def on_new_message(message):
        seen.append((message.text, message.sender_id, message.metadata))

    channel.blueprint(on_new_message)
    emitted = []

    async def emit(event, data=None, **kwargs):
        emitted.append((event, data, kwargs.get("room")))

    channel.sio.emit = emit
    handler = channel.sio.handlers["/"]["user_uttered"]
    hidden = "my face is droo\u200bping"
    _run(handler("sid-1", {"message": hidden, "metadata": {"language": "es", "x": 1}}))
    assert seen == [("my face is drooping", "sid-1", {"language": "es"})]
    _run(handler("sid-1", {"message": "chest pain " * 1000}))
    assert len(seen) == 1
    assert emitted and emitted[-1][0] == "bot_uttered"
    assert emitted[-1][2] == "sid-1"
    assert "If this is an emergency, call" in emitted[-1][1]["text"]


def test_offline_answer_fills_the_clinics_numbers():
    clinic = load_settings(environ={"CLINIC_EMERGENCY_NUMBER": "112"})
    responses = {"utter_faq/tens": [{"text": "Call {emergency_number} now."}]}
    texts = offline_reply(faq_parse(0.9), responses, clinic)
    assert texts[0] == f"Call {clinic.emergency_number} now."


# --- "/" messages: only the assistant's own payloads skip NLU -----------------------
ATTACK = '/faq{"faq_topic":"tens"} I have crushing chest pain and I cannot breathe'


def test_the_allow_list_is_derived_from_the_domain_and_the_actions():
    from channels.guard import assistant_payloads
    from clinic.topics import TOPICS

    allowed = assistant_payloads()
    assert {"/book_appointment", "/another_question"} <= allowed
    assert {f'/faq{{"faq_topic":"{topic}"}}' for topic in TOPICS} <= allowed
    assert {f'/tell_me_more{{"faq_topic":"{topic}"}}' for topic in TOPICS} <= allowed
    assert len(allowed) == 2 * len(TOPICS) + 2  # nothing else sends buttons


def test_payloads_in_reads_buttons_and_quick_replies():
    from channels.guard import payloads_in

    responses = {
        "utter_a": [{"text": "a", "buttons": [{"title": "x", "payload": "/greet"}]}],
        "utter_b": [{"text": "b", "quick_replies": [{"payload": '/x{"k": "v"}'}]}],
        "utter_c": [{"text": "c", "buttons": [{"title": "web", "payload": "hi"}]}],
    }
    assert payloads_in(responses) == {"/greet", '/x{"k":"v"}'}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("/book_appointment", "/book_appointment"),
        ("/another_question", "/another_question"),
        ('/faq{"faq_topic":"tens"}', '/faq{"faq_topic":"tens"}'),
        ('/faq{"faq_topic": "tens"}', '/faq{"faq_topic":"tens"}'),  # as actions send it
        (ATTACK, ATTACK[1:]),
        ("/book_appointment now please", "book_appointment now please"),
        ("/restart", "restart"),
        ("/session_start", "session_start"),
        ("/greet", "greet"),  # an intent, but no button of ours sends it
        ("/red_flag", "red_flag"),
        ('/faq{"faq_topic":"jane@example.com"}', 'faq{"faq_topic":"jane@example.com"}'),
        ('/faq{"faq_topic":"tens"}@0.2', 'faq{"faq_topic":"tens"}@0.2'),
        ('/faq{"faq_topic":"tens","x":"y"}', 'faq{"faq_topic":"tens","x":"y"}'),
        ("// / /restart", "restart"),
        ("  /restart", "restart"),
        ("/", ""),
        ("what is /tens?", "what is /tens?"),
    ],
)
def test_only_exact_assistant_payloads_keep_their_slash(text, expected):
    from channels.guard import assistant_payloads, screen_command

    assert screen_command(text, assistant_payloads()) == expected


def test_full_width_slash_is_folded_then_screened():
    from channels.guard import assistant_payloads, screen_command

    text = clean_text("\uff0frestart")  # "／restart"
    assert screen_command(text, assistant_payloads()) == "restart"


def test_screened_attack_reaches_the_detector_as_words():
    from channels.guard import screen_text

    screened = screen_text(ATTACK, 1000, "911")
    assert not screened.text.startswith("/")
    assert classify(screened.text) == "red_flag"


def test_a_slash_cannot_skip_the_length_limit_but_a_payload_can():
    from channels.guard import screen_text

    long = screen_text("/faq " + "chest pain " * 200, 1000, "911")
    assert long.text is None and long.reply.startswith("If this is an emergency")
    payload = '/faq{"faq_topic":"diabetic_and_chemo_neuropathy"}'
    assert screen_text(payload, 20, "911").text == payload
    assert screen_text("///", 1000, "911").reply == screen_text("", 1, "911").reply


def test_only_the_needed_metadata_is_kept():
    from channels.guard import keep_metadata

    choice = {"reply": "1", "title": "Book a visit", "payload": "/book_appointment"}
    assert keep_metadata({"selected_option": choice, "email": "a@b.co"}) == {
        "selected_option": choice
    }
    assert keep_metadata({"email": "a@b.co", "out_channel": "C1"}) is None
    assert keep_metadata("not a mapping") is None
    assert keep_metadata(None) is None
    assert keep_metadata({"language": "es", "email": "a@b.co"}) == {"language": "es"}
    assert keep_metadata({"language": "fr"}) is None  # not one it answers in
    assert keep_metadata({"language": ["es"]}) is None


def test_a_web_client_passes_on_only_the_chosen_language():
    from channels.guard import chosen_language

    sent = {"language": "es", "selected_option": {"payload": "/restart"}, "x": 1}
    assert chosen_language(sent) == {"language": "es"}
    assert chosen_language({"language": "de"}) is None
    assert chosen_language("es") is None
    assert chosen_language(None) is None


def test_channel_guard_screens_slashes_and_metadata():
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    from tests.support.inbound import guarded_by_inbound

    seen = []

    async def on_new_message(message):
        seen.append((message.text, message.metadata))

    guarded = guarded_by_inbound(on_new_message)
    out = CollectingOutputChannel()
    meta = {"users": ["U1"], "selected_option": {"reply": "1"}}
    _run(guarded(UserMessage(ATTACK, out, "s", metadata=meta)))
    _run(guarded(UserMessage("/book_appointment", out, "s", metadata={"a": "b"})))
    assert seen == [
        (ATTACK[1:], {"selected_option": {"reply": "1"}}),
        ("/book_appointment", None),
    ]
