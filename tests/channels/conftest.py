"""Live channel tests: one assistant with every channel on, one fake provider API.

The credentials come from the real credentials.yml through
channels/render_credentials.py with test variables, so the tests also show that
each channel is switched on by its variables alone. Only `api_base_url` (the
fake providers) and a lower WhatsApp `max_length` (to see splitting) are added.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from channels.render_credentials import render
from tests.channels.fake_providers import FakeProviders

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_BASE_URL = "https://assistant.example-clinic.test"
WHATSAPP_MAX_LENGTH = 400

ENV: dict[str, str] = {
    "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
    "TWILIO_ACCOUNT_SID": "AC00000000000000000000000000000001",
    "TWILIO_AUTH_TOKEN": "twilio-test-auth-token",
    "TWILIO_SMS_NUMBER": "+15550100001",
    "TWILIO_WHATSAPP_NUMBER": "+15550100002",
    "SLACK_BOT_TOKEN": "xoxb-test-token",
    "SLACK_SIGNING_SECRET": "slack-test-signing-secret",
    "MESSENGER_VERIFY_TOKEN": "messenger-test-verify",
    "MESSENGER_APP_SECRET": "messenger-test-app-secret",
    "MESSENGER_PAGE_ACCESS_TOKEN": "messenger-test-page-token",
    "TELEGRAM_BOT_TOKEN": "123456:TEST-telegram-token",
    "TELEGRAM_SECRET_TOKEN": "telegram-test-secret-0123456789",
    # Nothing may reach a real provider or a proxy.
    "TWILIO_EDGE": "",
    "TWILIO_REGION": "",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}


def channel_credentials(api: str) -> str:
    """credentials.yml rendered with ENV, each channel pointed at the fake API."""
    text, on, _ = render((ROOT / "credentials.yml").read_text(), ENV)
    extras = {
        "channels.twilio_signed.SignedTwilioInput": {"api_base_url": f"{api}/twilio"},
        "channels.twilio_signed.TwilioWhatsAppInput": {
            "api_base_url": f"{api}/twilio",
            "max_length": WHATSAPP_MAX_LENGTH,
        },
        "channels.slack.ClinicSlackInput": {"api_base_url": f"{api}/slack/api/"},
        "channels.messenger.ClinicMessengerInput": {"api_base_url": f"{api}/graph"},
        "channels.telegram.ClinicTelegramInput": {"api_base_url": f"{api}/telegram"},
    }
    assert set(extras) <= set(on), on
    for name, settings in extras.items():
        lines = "".join(f"  {key}: {value}\n" for key, value in settings.items())
        text = text.replace(f"\n{name}:\n", f"\n{name}:\n{lines}", 1)
    return text


@pytest.fixture(scope="module")
def fake_api() -> Iterator[FakeProviders]:
    fake = FakeProviders().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, fake_api: FakeProviders):
    from tests.support.live import LiveAssistant

    workdir = tmp_path_factory.mktemp("channels")
    assistant = LiveAssistant(
        workdir, credentials=channel_credentials(fake_api.url), env=ENV
    )
    try:
        assistant.start()
        yield assistant
    finally:
        assistant.stop()
