"""Urgent replies on every channel: one-tap call and text links, defined once.

The replies come from the real domain (Rasa's response generator, slot values
from the clinic settings), and each connector's real output and provider client
sends them to the fake provider API (tests/channels/fake_providers.py), so what
is checked is what Twilio, Slack, Messenger and Telegram would receive. No
model or Rasa server is needed.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.core.channels.slack import SlackInput
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain

from channels.formatting import selectable, with_options
from channels.links import (
    CALL,
    TEXT,
    WEB,
    dial_number,
    link_as_text,
    link_kind,
    links,
    with_links,
)
from channels.messenger import ClinicMessengerBot, ClinicMessengerInput
from channels.options import offered_buttons, resolve_choice
from channels.output import LinkSafeOutput
from channels.slack import ClinicSlackBot, ClinicSlackInput
from channels.telegram import ClinicTelegramInput, close_session
from channels.twilio_signed import SignedTwilioInput, TwilioWhatsAppInput
from clinic.settings import load_settings
from tests.channels.conftest import ENV, PUBLIC_BASE_URL
from tests.channels.fake_providers import FakeProviders, Sent

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_FILE = ROOT / "domain.yml"
URGENT = [
    "utter_urgent_care",
    "utter_overdose",
    "utter_crisis_support",
    "utter_crisis_support_other",
]
URGENT_HINTS = [
    "utter_safety_hint_red_flag",
    "utter_safety_hint_overdose",
    "utter_safety_hint_crisis",
    "utter_safety_hint_crisis_someone_else",
]
# Every slot a tel:/sms: link may use: the dialable forms only.
DIAL_SLOTS = {
    "emergency_dial",
    "crisis_dial",
    "crisis_text_dial",
    "poison_control_dial",
}
CHANNELS = ["sms", "whatsapp", "slack", "messenger", "telegram"]
PROVIDER = {
    "sms": "twilio",
    "whatsapp": "twilio",
    "slack": "slack",
    "messenger": "messenger",
    "telegram": "telegram",
}


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(DOMAIN_FILE))


def reply(domain: Domain, name: str, environ: dict[str, str] | None = None) -> dict:
    """The response as Rasa sends it, for a conversation with these settings."""
    slots = {s.name: s.initial_value for s in domain.slots}
    slots.update(load_settings(environ=environ or {}).slot_values())
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    response = nlg.generate_from_slots(name, slots, "rest")
    response.pop("condition", None)
    return response


# --- the domain: links only, defined once, numbers from the settings -----------------
def test_urgent_replies_carry_only_link_buttons_to_dialable_numbers(domain):
    for name in URGENT + URGENT_HINTS:
        for variation in domain.responses[name]:
            buttons = variation.get("buttons") or []
            assert buttons, name
            for button in buttons:
                assert set(button) == {"title", "url"}, (name, button)  # no payload
                scheme, _, slot = button["url"].partition(":")
                assert scheme in ("tel", "sms"), (name, button)
                assert slot.strip("{}") in DIAL_SLOTS, (name, button)


def _language_of(variation: dict) -> str:
    for condition in variation.get("condition") or []:
        if condition.get("name") == "language":
            return condition["value"]
    return "en"


def test_each_link_button_is_defined_once_per_language(domain):
    """One definition per url and language (YAML anchors in domain.yml), so
    titles never drift."""
    titles: dict[tuple, set] = {}
    for name in URGENT + URGENT_HINTS + ["utter_other_language"]:
        for variation in domain.responses[name]:
            language = "es" if _language_of(variation) == "es" else "en"
            for button in variation["buttons"]:
                titles.setdefault((button["url"], language), set()).add(button["title"])
    assert all(len(t) == 1 for t in titles.values()), titles
    text = DOMAIN_FILE.read_text()
    for url in {url for url, _ in titles}:
        languages = {language for u, language in titles if u == url}
        assert text.count(f'url: "{url}"') == len(languages), url


def test_the_default_replies_call_and_text_the_us_numbers(domain):
    urls = {
        name: [b["url"] for b in reply(domain, name)["buttons"]]
        for name in URGENT + URGENT_HINTS
    }
    assert urls["utter_urgent_care"] == ["tel:911"]
    assert urls["utter_overdose"] == ["tel:911", "tel:18002221222"]
    assert urls["utter_crisis_support"] == ["tel:988", "sms:988", "tel:911"]
    assert urls["utter_crisis_support_other"] == ["tel:988", "sms:988", "tel:911"]
    assert urls["utter_safety_hint_red_flag"] == ["tel:911"]
    assert urls["utter_safety_hint_crisis"] == ["tel:988", "sms:988", "tel:911"]
    titles = [b["title"] for b in reply(domain, "utter_crisis_support")["buttons"]]
    assert titles == ["Call 988", "Text 988", "Call 911"]


def test_no_text_button_when_the_crisis_line_takes_no_texts(domain):
    environ = {"CLINIC_CRISIS_TEXT_NUMBER": ""}
    for name in ["utter_crisis_support", "utter_crisis_support_other"]:
        urls = [b["url"] for b in reply(domain, name, environ)["buttons"]]
        assert urls == ["tel:988", "tel:911"], name


def test_another_clinics_numbers_change_every_link(domain):
    environ = {
        "CLINIC_EMERGENCY_NUMBER": "112",
        "CLINIC_CRISIS_LINE": "116 123",
        "CLINIC_CRISIS_LINE_NAME": "Samaritans (call 116 123)",
        "CLINIC_CRISIS_TEXT_NUMBER": "+44 7700 900123",
        "CLINIC_POISON_CONTROL": "+44 (0) 344 892 0111",
    }
    for name in URGENT + URGENT_HINTS:
        response = reply(domain, name, environ)
        flat = json.dumps(response)
        assert "911" not in flat and "988" not in flat and "1222" not in flat, name
        for button in response["buttons"]:
            assert button["url"] in {
                "tel:112",
                "tel:116123",
                "sms:+447700900123",
                "tel:+4403448920111",
            }, (name, button)
    assert [
        b["title"] for b in reply(domain, "utter_crisis_support", environ)["buttons"]
    ] == ["Call 116 123", "Text +44 7700 900123", "Call 112"]


def test_nothing_follows_an_urgent_reply_in_the_rules():
    rules = yaml.safe_load((ROOT / "data/rules/safety.yml").read_text())["rules"]
    for rule in rules:
        actions = [s["action"] for s in rule["steps"] if "action" in s]
        if set(actions) & set(URGENT):
            assert len(actions) == 1, rule  # the urgent reply, then nothing


# --- links are never choices ------------------------------------------------------------
def test_a_link_is_never_a_numbered_option_or_a_payload():
    buttons = [
        {"title": "Call 911", "url": "tel:911"},
        {"title": "Sneaky", "url": "tel:911", "payload": "/book_appointment"},
    ]
    assert selectable(buttons) == []
    events = [{"event": "user"}, {"event": "bot", "data": {"buttons": buttons}}]
    assert offered_buttons(events) == []
    assert resolve_choice("1", events) == ("1", None)
    assert resolve_choice("Call 911", events) == ("Call 911", None)
    assert with_options("Now.", buttons) == "Now.\nCall 911\nSneaky: 911"
    # Rasa's Slack handler ignores a button click without a value.
    element = ClinicSlackBot.button_element(0, buttons[0])
    assert "value" not in element and element["url"] == "tel:911"
    click = dict(element, type="button")
    assert SlackInput._get_interactive_response(click) is None


@pytest.mark.parametrize(
    "button, kind, written",
    [
        ({"title": "Call 911", "url": "tel:911"}, CALL, "Call 911"),
        ({"title": "Text 988", "url": "sms:988"}, TEXT, "Text 988"),
        (
            {"title": "Call Poison Control", "url": "tel:18002221222"},
            CALL,
            "Call Poison Control: 18002221222",
        ),
        (
            {"title": "Call 1-800-222-1222", "url": "tel:18002221222"},
            CALL,
            "Call 1-800-222-1222",
        ),
        ({"title": "Call", "url": "tel:+441161234"}, CALL, "Call: +441161234"),
        ({"title": "Site", "url": "https://x.org/a"}, WEB, "Site: https://x.org/a"),
        ({"title": "Bad", "url": "javascript:alert(1)"}, None, ""),
        ({"title": "Bad", "url": "tel:call-us"}, None, ""),
        ({"title": "Bad", "url": "tel:911;ext=1"}, None, ""),
    ],
)
def test_links_written_out(button, kind, written):
    assert link_kind(button) == kind
    assert link_as_text(button) == written
    assert dial_number(button) == (button["url"][4:] if kind in (CALL, TEXT) else "")


def test_unusable_links_are_dropped():
    buttons = [{"title": "x", "url": "javascript:alert(1)"}, {"title": "y"}]
    assert links(buttons) == []
    assert with_links("Hi.", buttons) == "Hi."


# --- each channel's rendering of the same reply ----------------------------------------
class Outputs:
    """Every connector's real output, pointed at the fake provider API."""

    def __init__(self, fake: FakeProviders) -> None:
        api = fake.url
        twilio = dict(
            account_sid=ENV["TWILIO_ACCOUNT_SID"],
            auth_token=ENV["TWILIO_AUTH_TOKEN"],
            webhook_base_url=PUBLIC_BASE_URL,
            api_base_url=f"{api}/twilio",
        )
        self.inputs: dict[str, Any] = {
            "sms": SignedTwilioInput(twilio_number=ENV["TWILIO_SMS_NUMBER"], **twilio),
            "whatsapp": TwilioWhatsAppInput(
                twilio_number=ENV["TWILIO_WHATSAPP_NUMBER"], **twilio
            ),
            "slack": ClinicSlackInput.from_credentials(
                {
                    "slack_token": ENV["SLACK_BOT_TOKEN"],
                    "slack_signing_secret": ENV["SLACK_SIGNING_SECRET"],
                    "api_base_url": f"{api}/slack/api/",
                }
            ),
            "messenger": ClinicMessengerInput(
                ENV["MESSENGER_VERIFY_TOKEN"],
                ENV["MESSENGER_APP_SECRET"],
                ENV["MESSENGER_PAGE_ACCESS_TOKEN"],
            ),
            "telegram": ClinicTelegramInput(
                ENV["TELEGRAM_BOT_TOKEN"],
                ENV["TELEGRAM_SECRET_TOKEN"],
                f"{PUBLIC_BASE_URL}/webhooks/telegram/webhook",
                api_base_url=f"{api}/telegram",
            ),
        }
        self.inputs["messenger"].api_base_url = f"{api}/graph"

    def output(self, channel: str) -> Any:
        return self.inputs[channel].get_output_channel()

    async def close(self) -> None:
        for channel in ("sms", "whatsapp"):
            client = self.inputs[channel]._client
            session = client and getattr(client.http_client, "session", None)
            if session is not None:
                await session.close()
        telegram = self.inputs["telegram"]._bot
        if telegram is not None:
            await close_session(telegram)
        slack = self.inputs["slack"]._client
        if slack is not None and getattr(slack, "session", None):
            await slack.session.close()


_recipients = iter(range(1, 10_000))


def recipient(channel: str) -> str:
    n = next(_recipients)
    return {
        "sms": f"+1555040{n:04d}",
        "whatsapp": f"whatsapp:+1555050{n:04d}",
        "slack": f"D{n}",
        "messenger": f"8{n}",
        "telegram": f"7{n}",
    }[channel]


async def render(fake: FakeProviders, channel: str, response: dict) -> list[Sent]:
    """What the channel's provider receives for one response."""
    outputs = Outputs(fake)
    to = recipient(channel)
    try:
        await outputs.output(channel).send_response(to, dict(response))
    finally:
        await outputs.close()
    return fake.wait(PROVIDER[channel], to, lambda sent: bool(sent), settle=0.2)


@pytest.mark.asyncio
@pytest.mark.parametrize("channel", CHANNELS)
async def test_crisis_reply_on_each_channel(fake_api, domain, channel):
    response = reply(domain, "utter_crisis_support")
    text = response["text"]
    sent = await render(fake_api, channel, response)
    assert len(sent) == 1
    (message,) = sent
    said = html.unescape(message.text)  # Slack's mrkdwn escapes "&"
    assert said.startswith(text)
    assert "Reply 1" not in said and "Book a visit" not in said

    if channel in ("sms", "whatsapp"):
        # Written so phones make the numbers tappable; nothing numbered.
        assert said == f"{text}\nCall 988\nText 988\nCall 911"
        assert message.buttons == []
    elif channel == "slack":
        assert said == text  # the notification text; the buttons are URL buttons
        blocks = message.raw["blocks"]
        assert html.unescape(blocks[0]["text"]["text"]) == text
        elements = blocks[1]["elements"]
        assert [(e["text"]["text"], e["url"]) for e in elements] == [
            ("Call 988", "tel:988"),
            ("Text 988", "sms:988"),
            ("Call 911", "tel:911"),
        ]
        assert all("value" not in e for e in elements)  # no payload to send back
    elif channel == "messenger":
        # Call buttons; Messenger has no button for a text message: written out.
        assert said == f"{text}\nText 988"
        assert message.buttons == [
            {"type": "phone_number", "title": "Call 988", "payload": "988"},
            {"type": "phone_number", "title": "Call 911", "payload": "911"},
        ]
    elif channel == "telegram":
        # Telegram's button URLs are http(s) and tg:// only: calls written out.
        assert said == f"{text}\nCall 988\nText 988\nCall 911"
        assert "reply_markup" not in message.raw or not json.loads(
            message.raw.get("reply_markup") or "{}"
        ).get("inline_keyboard")


@pytest.mark.asyncio
@pytest.mark.parametrize("channel", CHANNELS)
async def test_overdose_reply_on_each_channel(fake_api, domain, channel):
    response = reply(domain, "utter_overdose")
    (message,) = await render(fake_api, channel, response)
    if channel == "slack":
        urls = [e["url"] for e in message.raw["blocks"][1]["elements"]]
        assert urls == ["tel:911", "tel:18002221222"]
    elif channel == "messenger":
        assert [b["payload"] for b in message.buttons] == ["911", "18002221222"]
        assert message.text == response["text"]
    else:
        assert message.text.endswith("\nCall 911\nCall Poison Control: 18002221222")


@pytest.mark.asyncio
@pytest.mark.parametrize("channel", CHANNELS)
async def test_another_emergency_number_reaches_every_channel(
    fake_api, domain, channel
):
    response = reply(domain, "utter_urgent_care", {"CLINIC_EMERGENCY_NUMBER": "112"})
    (message,) = await render(fake_api, channel, response)
    everything = json.dumps([message.text, message.buttons, message.raw])
    assert "911" not in everything
    assert "Call 112 now" in message.text
    if channel == "slack":
        (element,) = message.raw["blocks"][1]["elements"]
        assert (element["text"]["text"], element["url"]) == ("Call 112", "tel:112")
    elif channel == "messenger":
        assert message.buttons == [
            {"type": "phone_number", "title": "Call 112", "payload": "112"}
        ]
    else:
        assert message.text.endswith("\nCall 112")


@pytest.mark.asyncio
async def test_telegram_shows_web_links_as_url_buttons(fake_api):
    response = {
        "text": "Book online or call.",
        "buttons": [
            {"title": "Book online", "url": "https://example-clinic.org/book"},
            {"title": "Call 911", "url": "tel:911"},
            {"title": "Ask another question", "payload": "/another_question"},
        ],
    }
    (message,) = await render(fake_api, "telegram", response)
    assert message.text == "Book online or call.\nCall 911"
    assert message.buttons == [
        {"title": "Book online", "url": "https://example-clinic.org/book"},
        {"title": "Ask another question", "payload": "/another_question"},
    ]


# --- a provider that refuses a link still delivers the reply ---------------------------
class RefusingMessengerClient:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    def send(self, payload: dict, recipient_id: str, messaging_type: str) -> dict:
        self.sent.append(payload)
        if "attachment" in payload:
            return {"error": {"message": "(#100) param payload must be a phone number"}}
        return {"message_id": "m1"}


@pytest.mark.asyncio
async def test_messenger_writes_the_numbers_if_a_call_button_is_refused(domain):
    client = RefusingMessengerClient()
    response = reply(domain, "utter_urgent_care")
    await ClinicMessengerBot(client, 2000).send_response("psid", dict(response))
    assert client.sent[-1] == {"text": f"{response['text']}\nCall 911"}


class RefusingSlackClient:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def chat_postMessage(self, **kwargs: Any) -> None:
        from slack_sdk.errors import SlackApiError

        self.sent.append(kwargs)
        if "blocks" in kwargs:
            raise SlackApiError(
                "invalid_blocks", {"ok": False, "error": "invalid_blocks"}
            )


@pytest.mark.asyncio
async def test_slack_writes_the_numbers_if_link_buttons_are_refused(domain):
    client = RefusingSlackClient()
    response = reply(domain, "utter_crisis_support")
    await ClinicSlackBot(client, None, None, 3000).send_response("D1", dict(response))
    assert client.sent[-1]["channel"] == "D1" and "blocks" not in client.sent[-1]
    assert html.unescape(client.sent[-1]["text"]) == (
        f"{response['text']}\nCall 988\nText 988\nCall 911"
    )


# --- Socket.IO (rasa-webchat): Rasa's output can't send links, so they are written --
class FakeSio:
    def __init__(self) -> None:
        self.emitted: list[dict] = []

    async def emit(self, event: str, data: dict, room: str | None = None) -> None:
        self.emitted.append(data)


@pytest.mark.asyncio
async def test_socketio_gets_the_urgent_reply_with_the_numbers_written(domain):
    from rasa.core.channels.socketio import SocketIOOutput

    response = reply(domain, "utter_crisis_support")
    raw = SocketIOOutput(FakeSio(), "bot_uttered")
    with pytest.raises(KeyError):  # Rasa's own output: the reply would be lost
        await raw.send_response("sid", dict(response))

    sio = FakeSio()
    safe = LinkSafeOutput(SocketIOOutput(sio, "bot_uttered"))
    await safe.send_response("sid", dict(response))
    assert sio.emitted == [
        {"text": f"{response['text']}\nCall 988\nText 988\nCall 911"}
    ]
    # Choices stay quick replies; only the links are written out.
    sio.emitted.clear()
    mixed = {
        "text": "Next.",
        "buttons": [
            {"title": "Call 911", "url": "tel:911"},
            {"title": "Book a visit", "payload": "/book_appointment"},
        ],
    }
    await safe.send_response("sid", mixed)
    assert sio.emitted == [
        {
            "text": "Next.\nCall 911",
            "quick_replies": [
                {
                    "content_type": "text",
                    "title": "Book a visit",
                    "payload": "/book_appointment",
                }
            ],
        }
    ]


@pytest.mark.asyncio
async def test_the_guard_leaves_each_channels_own_link_buttons():
    """Only Socket.IO writes links out (channels/socketio.py); Slack or Messenger
    keep their own link and call buttons, so the guard must not wrap them."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    from tests.support.inbound import guarded_by_inbound

    seen: list[Any] = []

    async def on_new_message(message: UserMessage) -> None:
        seen.append(message.output_channel)

    guarded = guarded_by_inbound(on_new_message)
    output = CollectingOutputChannel()
    await guarded(UserMessage("hello", output, "s"))
    assert seen == [output]


@pytest.mark.asyncio
async def test_a_failed_delivery_is_answered_with_the_apology() -> None:
    """A store outage (or any error) on any inbound channel: the apology, not silence."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    from channels.inbound import Outcome
    from clinic.replies import apology
    from persistence.errors import TrackerStoreUnavailable
    from tests.support.inbound import guarded_by_inbound

    async def store_down(message: UserMessage) -> None:
        raise TrackerStoreUnavailable("tracker store read failed")

    output = CollectingOutputChannel()
    outcome = await guarded_by_inbound(store_down)(UserMessage("hello", output, "s"))
    assert outcome == Outcome.APOLOGISED
    assert [m["text"] for m in output.messages] == [apology()]
