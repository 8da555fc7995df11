"""channels/render_credentials.py: channels switched on by their variables alone."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from channels.render_credentials import main, partly_configured, render

ROOT = Path(__file__).resolve().parents[2]
SOURCE = (ROOT / "credentials.yml").read_text()

REST = "channels.rest.ResilientRestInput"  # the REST channel's entry
SOCKETIO = "channels.socketio.GuardedSocketIOInput"
TWILIO_SMS = "channels.twilio_signed.SignedTwilioInput"
WHATSAPP = "channels.twilio_signed.TwilioWhatsAppInput"
SLACK = "channels.slack.ClinicSlackInput"
MESSENGER = "channels.messenger.ClinicMessengerInput"
TELEGRAM = "channels.telegram.ClinicTelegramInput"

# Every channel's variables, with values that must never reach the file.
ALL = {
    "PUBLIC_BASE_URL": "https://assistant.example-clinic.test",
    "TWILIO_ACCOUNT_SID": "AC-secret-sid",
    "TWILIO_AUTH_TOKEN": "secret-twilio-token",
    "TWILIO_SMS_NUMBER": "+15550100001",
    "TWILIO_WHATSAPP_NUMBER": "+15550100002",
    "SLACK_BOT_TOKEN": "xoxb-secret",
    "SLACK_SIGNING_SECRET": "secret-slack-signing",
    "MESSENGER_VERIFY_TOKEN": "secret-verify",
    "MESSENGER_APP_SECRET": "secret-app",
    "MESSENGER_PAGE_ACCESS_TOKEN": "secret-page-token",
    "TELEGRAM_BOT_TOKEN": "123456:secret-telegram",
    "TELEGRAM_SECRET_TOKEN": "secret-telegram-webhook-0123",
}
SMS_ONLY = {
    k: ALL[k]
    for k in [
        "PUBLIC_BASE_URL",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_SMS_NUMBER",
    ]
}


def test_with_no_variables_only_rest_and_socketio_are_on():
    text, on, off = render(SOURCE, {})
    assert on == [REST, SOCKETIO]
    assert set(off) == {TWILIO_SMS, WHATSAPP, SLACK, MESSENGER, TELEGRAM}
    assert list(yaml.safe_load(text)) == [REST, SOCKETIO]
    assert "${" not in text


def test_every_channel_in_credentials_yml_uses_variables_for_its_secrets():
    for name, settings in yaml.safe_load(SOURCE).items():
        if name in (REST, SOCKETIO):
            continue
        for key, value in settings.items():
            assert str(value).startswith("${"), (name, key)


def test_all_variables_switch_every_channel_on_without_writing_secrets():
    text, on, off = render(SOURCE, ALL)
    assert on == [REST, SOCKETIO, TWILIO_SMS, WHATSAPP, SLACK, MESSENGER, TELEGRAM]
    assert off == {}
    for value in ALL.values():
        assert value not in text
    assert "auth_token: ${TWILIO_AUTH_TOKEN}" in text


def test_a_channel_stays_off_until_all_its_variables_are_set():
    text, on, off = render(SOURCE, SMS_ONLY)
    assert TWILIO_SMS in on and WHATSAPP not in on
    assert off[WHATSAPP] == ["TWILIO_WHATSAPP_NUMBER"]
    assert set(yaml.safe_load(text)) == {REST, SOCKETIO, TWILIO_SMS}


def test_an_empty_variable_counts_as_unset():
    _, on, off = render(SOURCE, dict(SMS_ONLY, TWILIO_AUTH_TOKEN=""))
    assert TWILIO_SMS not in on and "TWILIO_AUTH_TOKEN" in off[TWILIO_SMS]


def test_half_configured_channels_are_reported_but_shared_variables_are_not():
    assert partly_configured(SOURCE, SMS_ONLY) == {}  # SMS alone is not half a WhatsApp
    half_slack = dict(SMS_ONLY, SLACK_BOT_TOKEN="xoxb")
    assert partly_configured(SOURCE, half_slack) == {SLACK: ["SLACK_SIGNING_SECRET"]}


def test_comments_and_blank_lines_inside_an_entry_are_kept():
    source = (
        "# header\n\nrest:\n\n# about a\na:\n  x: ${A}\n\n  # inside\n  y: 1\n"
        "b:\n  z: ${B}\n"
    )
    text, on, _ = render(source, {"A": "1"})
    assert on == ["rest", "a"]
    assert "# about a\na:\n  x: ${A}\n\n  # inside\n  y: 1\n" in text
    assert "b:" not in text


def test_main_writes_the_file(tmp_path, monkeypatch, capsys):
    for name in ALL:
        monkeypatch.delenv(name, raising=False)
    for name, value in SMS_ONLY.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb")
    output = tmp_path / "var" / "credentials.yml"
    assert (
        main(["--source", str(ROOT / "credentials.yml"), "--output", str(output)]) == 0
    )
    assert set(yaml.safe_load(output.read_text())) == {REST, SOCKETIO, TWILIO_SMS}
    err = capsys.readouterr().err
    assert f"Channels on: {REST}, {SOCKETIO}, {TWILIO_SMS}" in err
    assert "SLACK_SIGNING_SECRET" in err


@pytest.mark.parametrize("environ", [{}, ALL], ids=["none", "all"])
def test_rasa_reads_the_rendered_file_and_builds_the_channels(
    environ, tmp_path, monkeypatch
):
    from rasa.core.run import create_http_input_channels

    for name in ALL:
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "credentials.yml"
    path.write_text(render(SOURCE, environ)[0])
    channels = {c.name(): c for c in create_http_input_channels(None, str(path))}
    if not environ:
        assert set(channels) == {"rest", "socketio"}
        return
    assert set(channels) == {
        "rest",
        "socketio",
        "twilio_signed",
        "twilio_whatsapp",
        "slack",
        "facebook",
        "telegram",
    }
    assert channels["twilio_signed"].auth_token == ALL["TWILIO_AUTH_TOKEN"]
    assert channels["twilio_whatsapp"].twilio_number == "whatsapp:+15550100002"
    assert channels["telegram"].webhook_url == (
        "https://assistant.example-clinic.test/webhooks/telegram/webhook"
    )
