"""The attacks of the security review, replayed against the real servers.

One action server + Rasa server (tests/support/live.py) with REST and every
messaging channel on (tests/channels: fake provider APIs, signed webhooks).
Each attack gets the safe outcome on every channel that takes free text; what
each attack got is written to test-artifacts/attacks.md (SECURITY.md keeps the
same table).
"""

from __future__ import annotations

import html
import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from clinic.settings import load_settings
from persistence.redaction import MAX_LOG_CHARS
from tests.channels.conftest import ENV, channel_credentials
from tests.channels.fake_providers import FakeProviders
from tests.channels.signing import slack_headers
from tests.channels.test_channels_live import CHANNELS, WEBHOOK, Patient, say
from tests.support.live import ROOT, LiveAssistant, free_port
from tests.support.wait import wait_for_http

pytestmark = pytest.mark.live

CLINIC = load_settings(environ={})
URGENT = f"Call {CLINIC.emergency_number} now"
TENS_ANSWER = "TENS"
ATTACK = '/faq{"faq_topic":"tens"} I have crushing chest pain and I cannot breathe'
REQUEST_TIMEOUT = 3  # set through SANIC_REQUEST_TIMEOUT below: proves it is read
ARTIFACT = ROOT / "test-artifacts" / "attacks.md"
TABLE: list = []
JSON = {"Content-Type": "application/json"}
PII_TEXT = (
    "call me on 555/123/4567 or 555_123_4567 or 555,123,4567, or five five five "
    "one two three four five six seven, mail jane.doe＠example.com"
)
PII_FRAGMENTS = [
    "555/123/4567", "555_123_4567", "555,123,4567", "five five five",
    "jane.doe", "example.com", "＠",
]  # fmt: skip


def record(attack: str, channel: str, outcome: str) -> None:
    shown = " ".join(html.unescape(outcome).split())[:110].replace("|", "\\|")
    TABLE.append((attack, channel, shown))


@pytest.fixture(scope="module", autouse=True)
def write_table() -> Iterator[None]:
    yield
    ARTIFACT.parent.mkdir(exist_ok=True)
    lines = ["| Attack | Channel | What it got |", "|---|---|---|"]
    lines += [f"| {a} | {c} | {o} |" for a, c, o in TABLE]
    ARTIFACT.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProviders]:
    providers = FakeProviders().start()
    yield providers
    providers.stop()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, fake: FakeProviders):
    assistant = LiveAssistant(
        tmp_path_factory.mktemp("attacks"),
        credentials=channel_credentials(fake.url),
        env={**ENV, "SANIC_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT)},
    )
    try:
        assistant.start()
        yield assistant
    finally:
        assistant.stop()


class Typist(Patient):
    """A patient who types every message, "/" ones included.

    Patient sends Slack text starting with "/" as a button click; a Typist
    sends it as a typed message event, and "slack-button" as the click (a
    button value the assistant never sent).
    """

    def __init__(self, channel: str) -> None:
        self.clicks = channel == "slack-button"
        super().__init__("slack" if self.clicks else channel)

    def _slack(self, text: str, signing: str) -> tuple[bytes, dict]:
        if self.clicks or not text.startswith("/"):
            return super()._slack(text, signing)
        body, _ = super()._slack("typed", signing)
        event = json.loads(body)
        event["event"]["text"] = text
        body = json.dumps(event).encode()
        return body, slack_headers(ENV["SLACK_SIGNING_SECRET"], body)


CHANNELS_AND_CLICKS = [*CHANNELS, "slack-button"]


def rest(live: LiveAssistant, sender: str, text: str, **extra: Any) -> list:
    body = json.dumps({"sender": sender, "message": text, **extra}).encode()
    status, raw = live.post("/webhooks/rest/webhook", body, JSON)
    assert status == 200, (status, raw[:300])
    return json.loads(raw)


def said(replies: list) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def stored_rows(live: LiveAssistant) -> list[tuple[str, str]]:
    db = sqlite3.connect(live.workdir / "conversations.db")
    try:
        return db.execute("select sender_id, data from events").fetchall()
    finally:
        db.close()


def user_events(live: LiveAssistant, sender: str) -> list[dict]:
    return [e for e in live.tracker(sender)["events"] if e["event"] == "user"]


def get(url: str, headers: dict | None = None, method: str = "GET") -> tuple:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def raw_http(port: int, head: bytes, body: bytes = b"", wait: float = 10) -> tuple:
    """Send raw bytes; (first response line, seconds until it came)."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(head + body)
        try:
            answer = sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            answer = b""
    line = answer.split(b"\r\n", 1)[0].decode("latin-1")
    return line, time.monotonic() - start, answer


# --- 1. "/" payloads must not bypass the safety detector ---------------------------
def test_rest_slash_payload_with_a_red_flag_gets_urgent_care(live):
    replies = rest(live, "attack-slash", ATTACK)
    record("1 `/faq{tens}` + chest pain", "REST", said(replies))
    assert URGENT in replies[0]["text"]
    assert "TENS" not in said(replies)
    (event,) = user_events(live, "attack-slash")
    assert not event["text"].startswith("/")
    assert event["parse_data"]["intent"]["name"] == "red_flag"


@pytest.mark.parametrize("channel", CHANNELS_AND_CLICKS)
def test_channel_slash_payload_with_a_red_flag_gets_urgent_care(live, fake, channel):
    patient = Typist(channel)
    sent = say(live, fake, patient, ATTACK, lambda s: any(URGENT in m.text for m in s))
    record("1 `/faq{tens}` + chest pain", channel, sent[0].text)
    assert URGENT in html.unescape(sent[0].text)
    assert not any("TENS" in m.text for m in sent)
    assert user_events(live, patient.sender_id)[-1]["parse_data"]["intent"] == {
        "name": "red_flag",
        "confidence": 1.0,
    }


@pytest.mark.parametrize(
    "text", ["/restart", "/session_start", "/red_flag", "/greet", "/foo chest pain"]
)
def test_rest_typed_commands_are_read_as_words(live, text):
    sender = f"attack-command-{text}"
    rest(live, sender, "hello")
    replies = rest(live, sender, text)
    record(f"1 typed `{text}`", "REST", said(replies))
    events = live.tracker(sender)["events"]
    kinds = [e["event"] for e in events]
    assert "restart" not in kinds
    assert kinds.count("session_started") == 1  # only the conversation's first
    last = [e for e in events if e["event"] == "user"][-1]
    assert last["text"] == text.lstrip("/")
    # Read by the NLU pipeline (a ranking of intents), not set by Rasa's "/"
    # parser (one intent, nothing else).
    assert len(last["parse_data"]["intent_ranking"]) > 1
    if "chest pain" in text:
        assert URGENT in replies[0]["text"]


@pytest.mark.parametrize("channel", CHANNELS)
def test_channel_typed_restart_is_read_as_words(live, fake, channel):
    patient = Typist(channel)
    say(live, fake, patient, "hello", lambda s: bool(s))
    sent = say(live, fake, patient, "/restart", lambda s: bool(s))
    record("1 typed `/restart`", channel, sent[0].text)
    kinds = [e["event"] for e in live.tracker(patient.sender_id)["events"]]
    assert "restart" not in kinds and kinds.count("session_started") == 1
    assert user_events(live, patient.sender_id)[-1]["text"] == "restart"


def test_the_assistants_own_buttons_still_work(live):
    tens = rest(live, "attack-buttons", '/faq{"faq_topic":"tens"}')
    assert TENS_ANSWER in tens[0]["text"]
    same = rest(live, "attack-buttons-2", '/faq{"faq_topic": "tens"}')
    assert same[0]["text"] == tens[0]["text"]
    booking = rest(live, "attack-buttons", "/book_appointment")
    assert CLINIC.booking_url in booking[0]["text"]
    record("1 the assistant's own button `/book_appointment`", "REST", said(booking))


# --- 2. masking: slots, metadata, separators, sender IDs ------------------------------
def assert_nothing_stored_raw(live: LiveAssistant, *fragments: str) -> None:
    raw = json.dumps(stored_rows(live), ensure_ascii=False)
    for fragment in fragments:
        assert fragment not in raw, fragment


def test_rest_pii_in_a_payload_metadata_and_input_channel_is_not_stored(live):
    sender = "attack-pii-rest"
    payload = '/faq{"faq_topic":"jane.doe@example.com 555-123-4567 123-45-6789"}'
    metadata = {"email": "jane.doe@example.com", "phone": "+1 555 123 4567"}
    first = rest(live, sender, payload, metadata=metadata, input_channel="x@y.com")
    rest(live, sender, PII_TEXT)
    record("2 e-mail, phone, SSN in a `faq_topic` payload + body metadata", "REST",
           said(first))  # fmt: skip
    events = live.tracker(sender)["events"]
    assert not [e for e in events if e.get("name") == "session_started_metadata"]
    assert not [e for e in events if e.get("name") == "faq_topic" and e.get("value")]
    assert {e["input_channel"] for e in events if e["event"] == "user"} == {"rest"}
    assert_nothing_stored_raw(
        live, "jane.doe", "555-123-4567", "123-45-6789", "x@y.com", *PII_FRAGMENTS
    )
    texts = [e["text"] for e in events if e["event"] == "user"]
    assert texts[-1].count("[PHONE]") == 4 and "[EMAIL]" in texts[-1]
    record("2 phone with `/ _ ,` separators, spelled out, full-width @", "REST",
           texts[-1])  # fmt: skip


@pytest.mark.parametrize("channel", CHANNELS)
def test_channel_pii_and_sender_ids_are_not_stored(live, fake, channel):
    patient = Typist(channel)
    sent = say(live, fake, patient, PII_TEXT, lambda s: bool(s))
    # The reply reached the real address; only what is stored is hashed.
    assert all(m.to == patient.recipient for m in sent)
    rows = stored_rows(live)
    mine = [
        data for sender, data in rows if sender == live.stored_id(patient.sender_id)
    ]
    assert mine, "nothing stored under the hashed sender ID"
    assert not [s for s, _ in rows if patient.sender_id in s]
    assert_nothing_stored_raw(live, patient.sender_id, *PII_FRAGMENTS)
    text = user_events(live, patient.sender_id)[-1]["text"]
    record("2 phone/e-mail in text; sender ID", channel, f"stored: {text[:60]}")
    assert text.count("[PHONE]") == 4 and "[EMAIL]" in text


def test_forget_conversation_finds_a_hashed_phone_number(live, fake):
    patient = Typist("sms")
    say(live, fake, patient, "hello", lambda s: bool(s))
    assert live.tracker(patient.sender_id)["events"]
    result = subprocess.run(
        [sys.executable, "-m", "persistence.purge",
         "--sender", patient.sender_id,
         "--db-url", f"sqlite:///{live.workdir / 'conversations.db'}"],
        capture_output=True, text=True, timeout=60,
        env={**live.env},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Deleted 1 conversation(s)" in result.stdout
    assert live.tracker(patient.sender_id)["events"] == []
    record("2 `make forget-conversation SENDER=<phone>`", "SMS", result.stdout)


# --- 3. logs: no raw text past the redaction, no huge lines ----------------------------
def test_logs_hold_no_raw_text_and_no_huge_lines(live, fake):
    rest(live, "attack-log", "/foo my email is jane.doe@example.com " + "x" * 50)
    long = "/foo my email is jane.doe@example.com " + "y" * 220_000
    replies = rest(live, "attack-log", long)
    record("3 220,000-character `/` message", "REST", said(replies))
    assert "under 1,000 characters" in replies[0]["text"]
    patient = Typist("sms")
    sent = say(live, fake, patient, long, lambda s: bool(s))
    record("3 220,000-character `/` message", "sms", sent[0].text)
    assert "under 1,000 characters" in sent[0].text
    time.sleep(1)
    log = (live.workdir / "rasa.log").read_text(errors="replace")
    assert "jane.doe@example.com" not in log
    assert "Failed to parse arguments" not in log  # Rasa never saw a "/foo"
    assert max(len(line) for line in log.splitlines()) < MAX_LOG_CHARS + 500


# --- 5. limits: nesting, body size, slow clients ------------------------------------------
def test_deeply_nested_json_is_a_400_not_a_500(live):
    body = b'{"sender": "a", "message": "hi", "x": ' + b"[" * 100_000 + b"]" * 100_000
    status, raw = live.post("/webhooks/rest/webhook", body + b"}", JSON)
    record("5 JSON nested 100,000 deep", "REST", f"{status} {raw[:80].decode()}")
    assert status == 400 and json.loads(raw)["error"]
    update = b'{"update_id": 1, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    headers = {**JSON, "X-Telegram-Bot-Api-Secret-Token": ENV["TELEGRAM_SECRET_TOKEN"]}
    status, _ = live.post(WEBHOOK["telegram"], update, headers)
    record("5 JSON nested 100,000 deep", "telegram", str(status))
    assert status < 500


def test_a_50_mb_body_is_refused_before_it_is_read(live):
    head = (
        "POST /webhooks/rest/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nContent-Length: 50000000\r\n\r\n"
    ).encode()
    line, seconds, answer = raw_http(live.port, head, b'{"sender": "a", ')
    record("5 50 MB body", "REST", f"{line} after {seconds:.1f} s, body not sent")
    assert " 413 " in line + " " and seconds < 5
    assert b"request body over" in answer


def test_a_stalled_request_times_out(live):
    # Headers that never end (slowloris): cut after SANIC_REQUEST_TIMEOUT.
    head = b"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1"
    line, seconds, _ = raw_http(live.port, head, wait=REQUEST_TIMEOUT + 10)
    record("5 request headers that never end", "REST", f"{line} after {seconds:.0f} s")
    assert " 408 " in line + " " and REQUEST_TIMEOUT - 1 < seconds < REQUEST_TIMEOUT + 5


# --- 6. action server -----------------------------------------------------------------
def test_action_server_rejects_bad_tokens_and_options(live):
    port, token = live.actions_port, live.env["ACTION_SERVER_TOKEN"]
    head = (
        (
            "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Content-Length: 2\r\nX-Action-Token: t"
        ).encode()
        + "é".encode()
        + b"\xff\r\n\r\n"
    )
    line, _, answer = raw_http(port, head, b"{}")
    record("6 non-ASCII token header", "action server", line)
    assert " 401 " in line + " " and b"Traceback" not in answer
    url = f"http://127.0.0.1:{port}/webhook"
    status, _, _ = get(url, method="OPTIONS")
    record("6 `OPTIONS /webhook` without a token", "action server", str(status))
    assert status == 401
    preflight = {
        "Origin": "https://evil.example",
        "Access-Control-Request-Method": "POST",
    }
    assert get(url, preflight, method="OPTIONS")[0] == 401
    assert get(url, {"X-Action-Token": token}, method="OPTIONS")[0] == 405


# --- 7. small leaks -----------------------------------------------------------------------
def test_root_route_has_no_version_banner(live):
    status, headers, body = get(live.url + "/")
    record("7 `GET /`", "Rasa server", f"{status} {body.decode()}")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert "rasa" not in (body.decode() + json.dumps(headers)).lower()


@pytest.fixture(scope="module")
def demo(live) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "serve_demo.py"), "--port", str(port),
         "--rasa", live.url, "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/", process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(
    "path, status",
    [("/", 200), ("/index.html", 200), ("/widget.js", 200), ("/widget.css", 200),
     ("/README.md", 404), ("/../README.md", 404), ("/%2e%2e/README.md", 404),
     ("/widget/README.md", 404), ("/.git/config", 404)],
)  # fmt: skip
def test_demo_server_serves_only_the_page(demo, path, status):
    got, headers, body = get(demo + path)
    if path == "/README.md":
        record("7 `GET /README.md`", "demo server", str(got))
    assert got == status
    assert "Python" not in headers.get("Server", "")
