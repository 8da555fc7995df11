"""Every messaging channel end to end: signed webhooks in, provider API calls out.

One real action server + Rasa server (tests/support/live.py) with all channels
on; their outgoing API calls go to a fake provider API on loopback
(tests/channels/fake_providers.py). Each reply is compared with what the REST
channel says to the same message: the actions decide content, channels only
format it.
"""

from __future__ import annotations

import html
import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import urlencode

import pytest

from channels.formatting import SMS_LIMIT, with_options
from channels.links import CALL, TEXT, link_kind, links, with_links
from clinic.settings import load_settings
from tests.channels.conftest import ENV, PUBLIC_BASE_URL, WHATSAPP_MAX_LENGTH
from tests.channels.fake_providers import FakeProviders, Sent
from tests.channels.signing import hub_headers, slack_headers, twilio_request

pytestmark = pytest.mark.live

FAQ = "how long does physical therapy take to work?"
RED_FLAG = "my face is drooping and my arm went weak, also does tens help?"
CRISIS = "i don't want to live like this anymore"
CLINIC = load_settings(environ={})
TEXT_ONLY = {"sms", "whatsapp"}
CHANNELS = ["sms", "whatsapp", "slack", "messenger", "telegram"]
PROVIDER = {
    "sms": "twilio",
    "whatsapp": "twilio",
    "slack": "slack",
    "messenger": "messenger",
    "telegram": "telegram",
}
WEBHOOK = {
    "sms": "/webhooks/twilio_signed/webhook",
    "whatsapp": "/webhooks/twilio_whatsapp/webhook",
    "slack": "/webhooks/slack/webhook",
    "messenger": "/webhooks/facebook/webhook",
    "telegram": "/webhooks/telegram/webhook",
}
_ids = itertools.count(1000)


# --- a patient on each channel -------------------------------------------------------
class Patient:
    """One person on one channel: their addresses and signed webhook calls."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.provider = PROVIDER[channel]
        n = next(_ids)
        # Full-length IDs, as the providers send them: a short one such as
        # "71174" also turns up by chance inside stored timestamps, and the
        # tests that check nothing raw is stored would then fail at random.
        self.sender_id, self.recipient = {
            "sms": (f"+1555020{n}", f"+1555020{n}"),
            "whatsapp": (f"whatsapp:+1555030{n}", f"whatsapp:+1555030{n}"),
            "slack": (f"U0PT{n:07d}", f"D0PT{n:07d}"),
            "messenger": (f"70000{n:011d}", f"70000{n:011d}"),
            "telegram": (f"90{n:08d}", f"90{n:08d}"),
        }[channel]

    def request(self, text: str, signing: str = "good") -> tuple[bytes, dict]:
        """A webhook call for `text`, signed well or in one of the bad ways."""
        return getattr(self, f"_{self.provider}")(text, signing)

    def _twilio(self, text: str, signing: str) -> tuple[bytes, dict]:
        number = ENV["TWILIO_SMS_NUMBER"]
        if self.channel == "whatsapp":
            number = "whatsapp:" + ENV["TWILIO_WHATSAPP_NUMBER"]
        params = {
            "MessageSid": f"SM{next(_ids):032d}",
            "AccountSid": ENV["TWILIO_ACCOUNT_SID"],
            "From": self.sender_id,
            "To": number,
            "Body": text,
            "NumMedia": "0",
            "FromCity": "",  # Twilio sends blank values and signs them
        }
        url = PUBLIC_BASE_URL + WEBHOOK[self.channel]
        token = ENV["TWILIO_AUTH_TOKEN"]
        if signing == "wrong":
            token = "not-the-auth-token"
        if signing == "internal-url":  # the URL the server sees behind a proxy
            url = "http://127.0.0.1" + WEBHOOK[self.channel]
        body, headers = twilio_request(token, url, params)
        if signing == "missing":
            del headers["X-Twilio-Signature"]
        if signing == "tampered":
            body = urlencode(dict(params, Body="a different message")).encode()
        return body, headers

    def _slack(self, text: str, signing: str) -> tuple[bytes, dict]:
        if text.startswith("/"):  # a button click: an interactive payload
            payload = {
                "type": "block_actions",
                "user": {"id": self.sender_id},
                "channel": {"id": self.recipient},
                "message": {"ts": f"{time.time():.6f}"},
                "actions": [{"type": "button", "value": text, "action_id": "a"}],
            }
            body = urlencode({"payload": json.dumps(payload)}).encode()
            content_type = "application/x-www-form-urlencoded"
        else:
            event = {
                "type": "message",
                "channel_type": "im",
                "user": self.sender_id,
                "text": text,
                "channel": self.recipient,
                "ts": f"{time.time():.6f}",
            }
            body = json.dumps(
                {
                    "type": "event_callback",
                    "event_id": f"Ev{next(_ids)}",
                    "event": event,
                    "authorizations": [{"user_id": "UBOT"}],
                }
            ).encode()
            content_type = "application/json"
        secret = ENV["SLACK_SIGNING_SECRET"]
        stamp = int(time.time()) - (600 if signing == "stale" else 0)
        if signing == "wrong":
            secret = "not-the-signing-secret"
        headers = slack_headers(secret, body, content_type, stamp)
        if signing == "missing":
            del headers["X-Slack-Signature"]
        return body, headers

    def _messenger(self, text: str, signing: str) -> tuple[bytes, dict]:
        message = {"mid": f"m{next(_ids)}", "text": text}
        event = {
            "object": "page",
            "entry": [
                {
                    "id": "PAGE1",
                    "time": int(time.time() * 1000),
                    "messaging": [
                        {
                            "sender": {"id": self.sender_id},
                            "recipient": {"id": "PAGE1"},
                            "timestamp": int(time.time() * 1000),
                            "message": message,
                        }
                    ],
                }
            ],
        }
        body = json.dumps(event).encode()
        secret = ENV["MESSENGER_APP_SECRET"]
        if signing == "wrong":
            secret = "not-the-app-secret"
        headers = hub_headers(secret, body)
        if signing == "missing":
            headers = {"Content-Type": "application/json"}
        if signing == "tampered":
            body = body.replace(text.encode(), b"a different message")
        return body, headers

    def _telegram(self, text: str, signing: str) -> tuple[bytes, dict]:
        chat = {"id": int(self.sender_id), "type": "private"}
        update = {
            "update_id": next(_ids),
            "message": {
                "message_id": next(_ids),
                "date": int(time.time()),
                "chat": chat,
                "from": {
                    "id": int(self.sender_id),
                    "is_bot": False,
                    "first_name": "Pat",
                },
                "text": text,
            },
        }
        headers = {"Content-Type": "application/json"}
        if signing == "good":
            headers["X-Telegram-Bot-Api-Secret-Token"] = ENV["TELEGRAM_SECRET_TOKEN"]
        elif signing == "wrong":
            headers["X-Telegram-Bot-Api-Secret-Token"] = "not-the-secret-token-000"
        return json.dumps(update).encode(), headers


def words(messages: list[str]) -> list[str]:
    return html.unescape(" ".join(messages)).split()


# Link buttons each channel writes under the text because it can't show them
# as buttons (Telegram: no tel:/sms: button URLs; Messenger: no sms: button).
WRITTEN_LINKS = {"slack": set(), "messenger": {TEXT}, "telegram": {CALL, TEXT}}


def expected_texts(channel: str, rest_replies: list[dict]) -> list[str]:
    """What the channel should show for the REST replies: same text, options numbered
    and links written out on text-only channels (native buttons elsewhere)."""
    texts = []
    for reply in rest_replies:
        buttons = reply.get("buttons") or []
        if buttons and channel in TEXT_ONLY:
            texts.append(with_options(reply.get("text"), buttons))
        else:
            written = [
                b for b in links(buttons) if link_kind(b) in WRITTEN_LINKS[channel]
            ]
            texts.append(with_links(reply.get("text") or "", written))
    return texts


def rest_replies(live, text: str) -> list[dict]:
    return live.send(f"rest-{next(_ids)}", text)


def say(
    live,
    fake: FakeProviders,
    patient: Patient,
    text: str,
    until: Callable[[list[Sent]], bool],
) -> list[Sent]:
    """Send a correctly signed message; the provider messages it produced."""
    before = len(fake.to(patient.provider, patient.recipient))
    body, headers = patient.request(text)
    status, answer = live.post(WEBHOOK[patient.channel], body, headers)
    assert status == 200, (status, answer[:300])
    sent = fake.wait(
        patient.provider, patient.recipient, lambda s: until(s[before:]), timeout=90
    )
    return sent[before:]


def say_like_rest(
    live, fake, patient: Patient, text: str
) -> tuple[list[Sent], list[dict]]:
    """Send text on the channel and over REST; both transcripts."""
    rest = rest_replies(live, text)
    expected = words(expected_texts(patient.channel, rest))
    sent = say(
        live,
        fake,
        patient,
        text,
        lambda s: len(words([m.text for m in s])) >= len(expected),
    )
    return sent, rest


def user_events(live, sender_id: str) -> list[dict]:
    return [e for e in live.tracker(sender_id)["events"] if e["event"] == "user"]


# --- start-up --------------------------------------------------------------------------
def test_telegram_webhook_is_registered_with_the_secret_token(live, fake_api):
    calls = [c for c in fake_api.calls if c["path"].endswith("/setWebhook")]
    assert calls, "no setWebhook call at start-up"
    form = calls[-1]["form"]
    assert form["url"] == PUBLIC_BASE_URL + WEBHOOK["telegram"]
    assert form["secret_token"] == ENV["TELEGRAM_SECRET_TOKEN"]


def test_messenger_webhook_verification(live):
    def get(token: str) -> tuple[int, bytes]:
        query = urlencode(
            {
                "hub.mode": "subscribe",
                "hub.verify_token": token,
                "hub.challenge": "4242",
            }
        )
        try:
            with urllib.request.urlopen(
                f"{live.url}{WEBHOOK['messenger']}?{query}"
            ) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    assert get(ENV["MESSENGER_VERIFY_TOKEN"]) == (200, b"4242")
    assert get("wrong")[0] == 403


def test_slack_url_verification_needs_a_signature(live):
    body = json.dumps({"type": "url_verification", "challenge": "c-123"}).encode()
    headers = slack_headers(ENV["SLACK_SIGNING_SECRET"], body)
    status, answer = live.post(WEBHOOK["slack"], body, headers)
    assert status == 200 and b"c-123" in answer
    headers = slack_headers("not-the-signing-secret", body)
    assert live.post(WEBHOOK["slack"], body, headers)[0] == 401


def test_provider_calls_are_authenticated(live, fake_api):
    patient = Patient("messenger")
    say(live, fake_api, patient, "hello", lambda s: bool(s))
    graph = [c for c in fake_api.calls if c["path"].startswith("/graph/")]
    assert graph and all(c["query"].get("appsecret_proof") for c in graph)
    assert all(
        c["headers"].get("Authorization", "").startswith("Basic ")
        for c in fake_api.calls
        if c["path"].startswith("/twilio/")
    )


# --- a signed FAQ question: answer + disclaimer + referral ------------------------------
@pytest.mark.parametrize("channel", CHANNELS)
def test_signed_faq_question_gets_answer_disclaimer_and_referral(
    live, fake_api, channel
):
    patient = Patient(channel)
    sent, rest = say_like_rest(live, fake_api, patient, FAQ)
    texts = [m.text for m in sent]
    said = html.unescape("\n".join(texts))

    # The same content as REST: answer, full disclaimer, referral prompt.
    assert words(texts) == words(expected_texts(channel, rest))
    if channel != "whatsapp":  # (WhatsApp runs with a low max_length here)
        assert [html.unescape(t) for t in texts] == expected_texts(channel, rest)
    assert said.startswith(rest[0]["text"].split("\n")[0][:60])
    assert " ".join(CLINIC.disclaimer_full.split()) in " ".join(said.split())
    assert "The best next step is an assessment" in said
    assert "**" not in said

    if channel in TEXT_ONLY:
        assert (
            "Reply 1 to book a visit, 2 to ask another question, 3 to tell me more."
            in texts[-1]
        )
        assert all(not m.buttons for m in sent)
        number = ENV["TWILIO_SMS_NUMBER"]
        if channel == "whatsapp":
            number = "whatsapp:" + ENV["TWILIO_WHATSAPP_NUMBER"]
        assert {m.sender for m in sent} == {number}
    else:
        assert [b["title"] for b in sent[-1].buttons] == [
            "Book a visit",
            "Ask another question",
            "Tell me more",
        ]
        assert [b["payload"] for b in sent[-1].buttons] == [
            "/book_appointment",
            "/another_question",
            '/tell_me_more{"faq_topic": "pt_timeline"}',
        ]
        assert "Reply 1" not in said


# --- unsigned, wrongly signed or stale: rejected, no reply ------------------------------
REJECTIONS = [
    ("sms", "missing", 403),
    ("sms", "wrong", 403),
    ("sms", "internal-url", 403),
    ("sms", "tampered", 403),
    ("whatsapp", "missing", 403),
    ("whatsapp", "wrong", 403),
    ("slack", "missing", 401),
    ("slack", "wrong", 401),
    ("slack", "stale", 401),
    ("messenger", "missing", 403),
    ("messenger", "wrong", 403),
    ("messenger", "tampered", 403),
    ("telegram", "missing", 403),
    ("telegram", "wrong", 403),
]


@pytest.mark.parametrize("channel, signing, status", REJECTIONS)
def test_badly_signed_request_is_rejected_without_a_reply(
    live, fake_api, channel, signing, status
):
    patient = Patient(channel)
    body, headers = patient.request(FAQ, signing)
    answer = live.post(WEBHOOK[channel], body, headers)
    assert answer[0] == status, answer
    if channel == "slack":
        time.sleep(1.0)  # Slack replies from a background task: give it a chance
    assert fake_api.to(patient.provider, patient.recipient) == []
    assert live.tracker(patient.sender_id)["events"] == []


def test_sms_opt_out_keyword_is_left_to_twilio(live, fake_api):
    patient = Patient("sms")
    body, headers = patient.request("Stop")
    assert live.post(WEBHOOK["sms"], body, headers)[0] == 200
    assert fake_api.to("twilio", patient.recipient) == []
    assert live.tracker(patient.sender_id)["events"] == []


# --- numbered options on text-only channels --------------------------------------------
def booking_done(sent: list[Sent]) -> bool:
    return any(CLINIC.phone in m.text for m in sent)


@pytest.mark.parametrize("channel, reply", [("sms", "1"), ("whatsapp", "Book a visit")])
def test_numbered_option_round_trip(live, fake_api, channel, reply):
    patient = Patient(channel)
    first = say(
        live, fake_api, patient, FAQ, lambda s: any("Reply 1" in m.text for m in s)
    )
    assert (
        "Reply 1 to book a visit, 2 to ask another question, 3 to tell me more."
        in first[-1].text
    )

    booking = say(live, fake_api, patient, reply, booking_done)
    text = "\n".join(m.text for m in booking)
    assert f"To book a visit with {CLINIC.name}" in text
    assert CLINIC.phone in text and CLINIC.booking_url in text

    last = user_events(live, patient.sender_id)[-1]
    assert last["text"] == "/book_appointment"
    assert last["parse_data"]["intent"]["name"] == "book_appointment"
    assert last["metadata"]["selected_option"]["reply"] == reply


def test_option_three_tells_more_on_sms(live, fake_api):
    patient = Patient("sms")
    say(live, fake_api, patient, FAQ, lambda s: any("Reply 1" in m.text for m in s))
    more = say(
        live, fake_api, patient, "3", lambda s: any("Reply 1" in m.text for m in s)
    )
    text = "\n".join(m.text for m in more)
    assert "Three things affect how fast you improve" in text  # the full answer
    assert "Reply 1 to book a visit, 2 to ask another question." in more[-1].text
    last = user_events(live, patient.sender_id)[-1]
    # The payload as the input guard writes it (canonical JSON, no spaces).
    assert last["text"] == '/tell_me_more{"faq_topic":"pt_timeline"}'
    assert last["metadata"]["selected_option"]["title"] == "Tell me more"


def test_option_two_and_a_stale_number(live, fake_api):
    patient = Patient("sms")
    say(live, fake_api, patient, FAQ, lambda s: any("Reply 1" in m.text for m in s))
    another = say(live, fake_api, patient, "2", lambda s: bool(s))
    assert another[0].text.startswith("Sure. What else would you like to know")
    # That turn offered no options: a "1" now is just the text "1".
    say(live, fake_api, patient, "1", lambda s: bool(s))
    last = user_events(live, patient.sender_id)[-1]
    assert last["text"] == "1" and "selected_option" not in (last.get("metadata") or {})


def test_slack_button_click_books(live, fake_api):
    patient = Patient("slack")
    say(live, fake_api, patient, FAQ, lambda s: any(m.buttons for m in s))
    booking = say(live, fake_api, patient, "/book_appointment", booking_done)
    assert CLINIC.booking_url in "\n".join(m.text for m in booking)


# --- splitting --------------------------------------------------------------------------
def test_long_replies_split_at_the_channel_limit_losing_nothing(live, fake_api):
    # WhatsApp runs with max_length 400 here, so the full FAQ answer must split.
    patient = Patient("whatsapp")
    more = '/tell_me_more{"faq_topic":"pt_timeline"}'  # the "Tell me more" button
    sent, rest = say_like_rest(live, fake_api, patient, more)
    expected = expected_texts("whatsapp", rest)
    assert any(len(text) > WHATSAPP_MAX_LENGTH for text in expected)
    assert len(sent) > len(expected)
    assert all(len(m.text) <= WHATSAPP_MAX_LENGTH for m in sent)
    assert words([m.text for m in sent]) == words(expected)
    # SMS at its default limit: one message per reply, word for word.
    sms = Patient("sms")
    sent, rest = say_like_rest(live, fake_api, sms, FAQ)
    assert [m.text for m in sent] == expected_texts("sms", rest)
    assert all(len(m.text) <= SMS_LIMIT for m in sent)


# --- safety replies are the same everywhere ---------------------------------------------
@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(
    "message, must_contain",
    [(RED_FLAG, f"Call {CLINIC.emergency_number} now"), (CRISIS, CLINIC.crisis_line)],
    ids=["red_flag", "crisis"],
)
def test_safety_replies_match_rest_on_every_channel(
    live, fake_api, channel, message, must_contain
):
    patient = Patient(channel)
    sent, rest = say_like_rest(live, fake_api, patient, message)
    assert must_contain in rest[0]["text"]
    assert must_contain in html.unescape(sent[0].text)
    assert words([m.text for m in sent]) == words(expected_texts(channel, rest))

    # The same call links everywhere, each channel in its own way; nothing else.
    calls = [b for b in rest[0]["buttons"] if link_kind(b) == CALL]
    assert calls and all("payload" not in b for b in rest[0]["buttons"])
    said = html.unescape("\n".join(m.text for m in sent))
    assert "Reply 1" not in said and "Book a visit" not in said
    if channel == "slack":
        assert sent[0].buttons == [
            {"title": b["title"], "url": b["url"]} for b in rest[0]["buttons"]
        ]
    elif channel == "messenger":
        assert [(b["type"], b["payload"]) for b in sent[0].buttons] == [
            ("phone_number", b["url"][len("tel:") :]) for b in calls
        ]
    else:
        assert all(not m.buttons for m in sent)
        for button in calls:
            assert f"\n{button['title']}" in said  # "Call 911" on its own line


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_hidden_character_cannot_hide_an_emergency(live, fake_api, channel):
    """Zero-width characters inside the words are cleaned out before safety runs."""
    patient = Patient(channel)
    hidden = "my face is droo\u200bping and my arm went w\u2060eak"
    sent = say(live, fake_api, patient, hidden, lambda s: bool(s))
    assert f"Call {CLINIC.emergency_number} now" in html.unescape(sent[0].text)
    assert user_events(live, patient.sender_id)[-1]["text"] == hidden.replace(
        "\u200b", ""
    ).replace("\u2060", "")


def test_a_slack_link_click_never_reaches_the_assistant(live, fake_api):
    patient = Patient("slack")
    say(live, fake_api, patient, RED_FLAG, lambda s: any(m.buttons for m in s))
    before = user_events(live, patient.sender_id)
    payload = {
        "type": "block_actions",
        "user": {"id": patient.sender_id},
        "channel": {"id": patient.recipient},
        "message": {"ts": f"{time.time():.6f}"},
        "actions": [
            {"type": "button", "action_id": "link-0", "url": "tel:911"}  # no value
        ],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    headers = slack_headers(
        ENV["SLACK_SIGNING_SECRET"], body, "application/x-www-form-urlencoded"
    )
    status, answer = live.post(WEBHOOK["slack"], body, headers)
    assert status == 200, answer
    time.sleep(1.0)
    assert user_events(live, patient.sender_id) == before
