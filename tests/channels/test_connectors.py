"""The connectors in-process: signature checks, configuration, output formatting."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
from rasa.shared.exceptions import InvalidConfigException
from sanic.compat import Header

from channels.formatting import SMS_LIMIT, WHATSAPP_LIMIT
from channels.messenger import ClinicMessengerBot, ClinicMessengerInput
from channels.slack import ClinicSlackBot
from channels.telegram import ClinicTelegramInput, ClinicTelegramOutput
from channels.twilio_signed import (
    SignedTwilioInput,
    TwilioTextOutput,
    TwilioWhatsAppInput,
)
from tests.channels.signing import hub_headers, twilio_request

PUBLIC = "https://assistant.example-clinic.test"
PATH = "/webhooks/twilio_signed/webhook"
TOKEN = "twilio-test-auth-token"
REFERRAL = [
    {"title": "Book a visit", "payload": "/book_appointment"},
    {"title": "Ask another question", "payload": "/another_question"},
]
TOPICS = [
    {"title": "TENS (electrical stimulation)", "payload": '/faq{"faq_topic":"tens"}'},
    {"title": "Stretching", "payload": '/faq{"faq_topic":"stretching"}'},
    {"title": "Nerve gliding", "payload": '/faq{"faq_topic":"nerve_gliding"}'},
]
LONG = " ".join(
    f"Sentence number {n} about nerve pain and exercise." for n in range(300)
)


def twilio(**overrides: Any) -> SignedTwilioInput:
    settings = {
        "account_sid": "AC123",
        "auth_token": TOKEN,
        "twilio_number": "+15550100001",
        "webhook_base_url": PUBLIC,
    }
    settings.update(overrides)
    return SignedTwilioInput(**settings)


def request(body: bytes, headers: dict, path: str = PATH, query: str = "") -> Any:
    """Enough of a Sanic request for the checks (headers are case-insensitive)."""
    return SimpleNamespace(
        body=body, headers=Header(headers), path=path, query_string=query
    )


PARAMS = {"From": "+15550009999", "To": "+15550100001", "Body": "hi", "FromCity": ""}


# --- Twilio signature -----------------------------------------------------------------
def test_a_correct_twilio_signature_passes():
    body, headers = twilio_request(TOKEN, PUBLIC + PATH, PARAMS)
    assert twilio().is_signed(request(body, headers))


def test_blank_parameters_count_in_the_signature():
    # Twilio signs blank values too; Sanic's request.form would drop them.
    body, headers = twilio_request(TOKEN, PUBLIC + PATH, PARAMS)
    assert b"FromCity=&" in body or body.endswith(b"FromCity=")
    assert twilio().is_signed(request(body, headers))


def test_the_query_string_is_part_of_the_signed_url():
    body, headers = twilio_request(TOKEN, PUBLIC + PATH + "?clinic=main", PARAMS)
    assert twilio().is_signed(request(body, headers, query="clinic=main"))
    assert not twilio().is_signed(request(body, headers))


@pytest.mark.parametrize(
    "case", ["missing", "wrong token", "internal url", "tampered body", "base url"]
)
def test_a_bad_twilio_signature_fails(case):
    body, headers = twilio_request(TOKEN, PUBLIC + PATH, PARAMS)
    if case == "missing":
        del headers["X-Twilio-Signature"]
    elif case == "wrong token":
        body, headers = twilio_request("another-token", PUBLIC + PATH, PARAMS)
    elif case == "internal url":  # what Rasa sees behind the proxy
        body, headers = twilio_request(TOKEN, "http://127.0.0.1:5005" + PATH, PARAMS)
    elif case == "tampered body":
        body = urlencode(dict(PARAMS, Body="a different message")).encode()
    elif case == "base url":
        return  # covered below with a differently configured connector
    assert not twilio().is_signed(request(body, headers))


def test_the_signature_is_checked_against_the_configured_base_url():
    body, headers = twilio_request(TOKEN, PUBLIC + PATH, PARAMS)
    other = twilio(webhook_base_url="https://other.example.test/")
    assert not other.is_signed(request(body, headers))


@pytest.mark.parametrize(
    "missing", ["account_sid", "auth_token", "twilio_number", "webhook_base_url"]
)
def test_twilio_needs_every_setting(missing):
    with pytest.raises(InvalidConfigException):
        twilio(**{missing: None})


def test_twilio_base_url_must_be_a_url_and_max_length_in_range():
    with pytest.raises(InvalidConfigException):
        twilio(webhook_base_url="assistant.example-clinic.test")
    with pytest.raises(InvalidConfigException):
        twilio(max_length=SMS_LIMIT + 1)
    with pytest.raises(InvalidConfigException):
        twilio(max_length=20)
    assert twilio(max_length="480").limit == 480
    assert twilio().limit == SMS_LIMIT


def test_whatsapp_uses_whatsapp_addresses_and_its_limit():
    channel = TwilioWhatsAppInput("AC1", TOKEN, "+14155238886", PUBLIC)
    assert channel.twilio_number == "whatsapp:+14155238886"
    assert channel.limit == WHATSAPP_LIMIT
    assert channel.name() == "twilio_whatsapp"
    same = TwilioWhatsAppInput("AC1", TOKEN, "whatsapp:+14155238886", PUBLIC)
    assert same.twilio_number == "whatsapp:+14155238886"


# --- outputs with recording clients ---------------------------------------------------
class Recorder:
    def __init__(self) -> None:
        self.sent: list[dict] = []


class FakeTwilioClient(Recorder):
    @property
    def messages(self) -> Any:
        async def create_async(**kwargs: Any) -> None:
            self.sent.append(kwargs)

        return SimpleNamespace(create_async=create_async)


@pytest.mark.asyncio
async def test_twilio_output_numbers_the_buttons_in_the_same_message():
    client = FakeTwilioClient()
    out = TwilioTextOutput(client, "+15550100001", SMS_LIMIT, "twilio_signed")
    await out.send_response(
        "+15550009999",
        {"text": "The best next step is an assessment.", "buttons": REFERRAL},
    )
    assert client.sent == [
        {
            "to": "+15550009999",
            "from_": "+15550100001",
            "body": "The best next step is an assessment.\n"
            "Reply 1 to book a visit, 2 to ask another question.",
        }
    ]


@pytest.mark.asyncio
async def test_twilio_output_splits_and_strips_markdown():
    client = FakeTwilioClient()
    out = TwilioTextOutput(client, "+1", SMS_LIMIT, "twilio_signed")
    await out.send_text_message("+2", "**Note:** " + LONG)
    bodies = [m["body"] for m in client.sent]
    assert len(bodies) > 1 and all(len(b) <= SMS_LIMIT for b in bodies)
    assert " ".join(bodies).split() == ("Note: " + LONG).split()


class FakeMessengerClient(Recorder):
    def send(self, payload: dict, recipient_id: str, messaging_type: str) -> dict:
        self.sent.append({"to": recipient_id, "message": payload})
        return {"message_id": "m1"}

    def send_action(self, action: str, recipient_id: str) -> dict:
        self.sent.append({"to": recipient_id, "action": action})
        return {}


@pytest.mark.asyncio
async def test_messenger_shows_short_buttons_as_a_template():
    client = FakeMessengerClient()
    out = ClinicMessengerBot(client, 2000)
    await out.send_text_with_buttons("psid", "Next step.", REFERRAL)
    template = client.sent[0]["message"]["attachment"]["payload"]
    assert template["text"] == "Next step."
    assert [b["title"] for b in template["buttons"]] == [
        "Book a visit",
        "Ask another question",
    ]
    assert all(b["type"] == "postback" for b in template["buttons"])


@pytest.mark.asyncio
async def test_messenger_numbers_buttons_it_cannot_show():
    # Titles over 20 characters do not fit Messenger's buttons.
    client = FakeMessengerClient()
    await ClinicMessengerBot(client, 2000).send_text_with_buttons(
        "psid", "Did you mean:", TOPICS
    )
    assert client.sent == [
        {
            "to": "psid",
            "message": {
                "text": "Did you mean:\nReply with a number:\n"
                "1. TENS (electrical stimulation)\n2. Stretching\n3. Nerve gliding"
            },
        }
    ]


@pytest.mark.asyncio
async def test_messenger_keeps_button_text_within_the_template_limit():
    client = FakeMessengerClient()
    await ClinicMessengerBot(client, 2000).send_text_with_buttons(
        "psid", LONG, REFERRAL
    )
    texts = [
        m["message"].get("text") or m["message"]["attachment"]["payload"]["text"]
        for m in client.sent
    ]
    assert all(len(t) <= 2000 for t in texts)
    assert len(texts[-1]) <= 640
    assert " ".join(texts).split() == LONG.split()


def test_messenger_client_uses_the_app_secret_and_base_url():
    channel = ClinicMessengerInput("verify", "app-secret", "token")
    channel.api_base_url, channel.api_version = "http://127.0.0.1:9/graph/", "19.0"
    client = channel.make_client()
    assert client.graph_url == "http://127.0.0.1:9/graph/v19.0"
    assert client.auth_args["appsecret_proof"]


def test_messenger_needs_every_setting():
    with pytest.raises(InvalidConfigException):
        ClinicMessengerInput("verify", "", "token")


def test_messenger_signature_methods():
    channel = ClinicMessengerInput("verify", "app-secret", "token")
    body = b'{"object":"page","entry":[]}'
    good = hub_headers("app-secret", body)
    assert channel.is_signed(request(body, good))
    assert not channel.is_signed(request(body, hub_headers("other", body)))
    only_sha1 = {"X-Hub-Signature": good["X-Hub-Signature"]}
    assert channel.is_signed(request(body, only_sha1))
    bad_256 = dict(good, **{"X-Hub-Signature-256": "sha256=00"})
    assert not channel.is_signed(request(body, bad_256))
    md5 = {"X-Hub-Signature": "md5=" + "0" * 32}
    assert not channel.is_signed(request(body, md5))
    assert not channel.is_signed(request(body, {}))


class FakeSlackClient(Recorder):
    async def chat_postMessage(self, **kwargs: Any) -> None:
        self.sent.append(kwargs)


@pytest.mark.asyncio
async def test_slack_shows_buttons_and_formats_mrkdwn():
    client = FakeSlackClient()
    await ClinicSlackBot(client, None, None, 3000).send_text_with_buttons(
        "D1", "**Next** step.", REFERRAL
    )
    (message,) = client.sent
    assert message["channel"] == "D1"
    assert message["blocks"][0]["text"] == {"type": "mrkdwn", "text": "*Next* step."}
    assert [e["value"] for e in message["blocks"][1]["elements"]] == [
        "/book_appointment",
        "/another_question",
    ]


@pytest.mark.asyncio
async def test_slack_numbers_more_than_five_buttons():
    client = FakeSlackClient()
    buttons = [{"title": f"Topic {n}", "payload": f"/t{n}"} for n in range(6)]
    await ClinicSlackBot(client, None, "123.4", 3000).send_text_with_buttons(
        "D1", "Pick one.", buttons
    )
    (message,) = client.sent
    assert "blocks" not in message and message["thread_ts"] == "123.4"
    assert "1. Topic 0" in message["text"] and "6. Topic 5" in message["text"]


class FakeBot(Recorder):
    async def send_message(
        self, chat_id: str, text: str, reply_markup: Any = None
    ) -> None:
        self.sent.append({"chat_id": chat_id, "text": text, "markup": reply_markup})


@pytest.mark.asyncio
async def test_telegram_inline_keyboard_or_numbers_when_payloads_are_too_long():
    bot = FakeBot()
    out = ClinicTelegramOutput(bot, 4096)
    await out.send_text_with_buttons("42", "Next step.", REFERRAL)
    keyboard = bot.sent[0]["markup"].inline_keyboard
    assert [row[0].callback_data for row in keyboard] == [
        "/book_appointment",
        "/another_question",
    ]
    long_payload = [{"title": "A", "payload": "/faq" + "x" * 80}]
    await out.send_text_with_buttons("42", "Pick.", long_payload)
    assert bot.sent[1] == {
        "chat_id": "42",
        "text": "Pick.\nReply with a number:\n1. A",
        "markup": None,
    }


@pytest.mark.parametrize(
    "secret", [None, "", "short", "has spaces in it 0123", "x" * 257]
)
def test_telegram_needs_a_strong_secret_token(secret):
    with pytest.raises(InvalidConfigException):
        ClinicTelegramInput("123:abc", secret, "https://x/webhooks/telegram/webhook")


def test_telegram_start_up_fails_loudly_if_the_webhook_cannot_be_set():
    from rasa.shared.exceptions import RasaException

    channel = ClinicTelegramInput(
        "123:abc",
        "s" * 32,
        "https://x/webhooks/telegram/webhook",
        api_base_url="http://127.0.0.1:9",  # nothing listens there
    )
    with pytest.raises(RasaException, match="could not set the webhook"):
        channel.blueprint(lambda message: None)


def test_telegram_secret_header_check():
    channel = ClinicTelegramInput(
        "123:abc", "s" * 32, "https://x/webhooks/telegram/webhook"
    )
    header = "X-Telegram-Bot-Api-Secret-Token"
    assert channel.is_signed(request(b"{}", {header: "s" * 32}))
    assert not channel.is_signed(request(b"{}", {header: "s" * 31}))
    assert not channel.is_signed(request(b"{}", {}))


def test_telegram_updates_to_text():
    parse = ClinicTelegramInput.parse_update
    assert parse({"message": {"chat": {"id": 7}, "text": "hi"}}) == (7, "hi")
    assert parse({"edited_message": {"chat": {"id": 7}, "text": "hey"}}) == (7, "hey")
    button = {
        "callback_query": {
            "id": "c",
            "data": "/book_appointment",
            "message": {"chat": {"id": 7}},
        }
    }
    assert parse(button) == (7, "/book_appointment")
    assert parse({"message": {"chat": {"id": 7}, "sticker": {}}}) == (None, None)
