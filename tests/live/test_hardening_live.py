"""Bad input and failures through the REST channel of the real servers.

Every input below gets a clear short reply or a 4xx with a message, never a
5xx or silence; the table of what each got is written to
test-artifacts/hardening.md for the record.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.live import ROOT, LiveAssistant

pytestmark = pytest.mark.live

JSON = {"Content-Type": "application/json"}
ARTIFACT = ROOT / "test-artifacts" / "hardening.md"
TABLE: list = []


def send_raw(assistant, body: bytes, headers=None) -> tuple:
    status, raw = assistant.post("/webhooks/rest/webhook", body, headers or JSON)
    try:
        payload = json.loads(raw)
    except ValueError:
        payload = raw.decode("utf-8", "replace")
    return status, payload


def record(label: str, status: int, payload) -> None:
    if isinstance(payload, list):
        shown = " / ".join(m.get("text", "")[:70] for m in payload)
    else:
        shown = str(payload)[:90]
    TABLE.append((label, status, shown.replace("|", "\\|").replace("\n", " ")))


@pytest.fixture(scope="module", autouse=True)
def write_table() -> Iterator[None]:
    yield
    ARTIFACT.parent.mkdir(exist_ok=True)
    lines = ["| Input | Status | Reply |", "|---|---|---|"]
    lines += [f"| {label} | {status} | {reply} |" for label, status, reply in TABLE]
    ARTIFACT.write_text("\n".join(lines) + "\n")


def msg(text, sender="hardening") -> bytes:
    return json.dumps({"sender": sender, "message": text}).encode()


REPLIES = [  # label, body, expected phrase in the (single) reply
    ("empty message", msg(""), "empty"),
    ("whitespace only", msg("  \n\t "), "empty"),
    ("1,001 characters", msg("a" * 1001), "under 1,000 characters"),
    ("5,000 characters", msg("my feet burn " * 385), "under 1,000 characters"),
    ("100,000 characters", msg("x" * 100_000), "under 1,000 characters"),
    ("long message with a red flag", msg("chest pain " * 200), "call 911 now"),
]


@pytest.mark.parametrize("label, body, phrase", REPLIES, ids=[r[0] for r in REPLIES])
def test_inputs_answered_without_processing(assistant, label, body, phrase):
    status, payload = send_raw(assistant, body)
    record(label, status, payload)
    assert status == 200
    assert len(payload) == 1 and phrase in payload[0]["text"]


PROCESSED = [  # label, text, phrase the replies must contain
    ("emoji", "😣🔥 does tens help 🔥", "TENS"),
    ("right-to-left text", "ما هو العلاج الطبيعي", ""),
    ("zero-width and control characters", "does t\u200bens\u0007 help?", "TENS"),
    ("HTML and script", "<script>alert(1)</script><img src=x onerror=alert(1)>", ""),
    ("SQL-looking text", "'; DROP TABLE events; -- what is tens", ""),
]


@pytest.mark.parametrize(
    "label, text, phrase", PROCESSED, ids=[p[0] for p in PROCESSED]
)
def test_odd_text_is_answered_safely(assistant, label, text, phrase):
    status, payload = send_raw(assistant, msg(text, sender=f"odd-{label}"))
    record(label, status, payload)
    assert status == 200 and payload
    said = " ".join(m.get("text", "") for m in payload)
    assert phrase in said
    assert "<script>" not in said and "onerror" not in said


REJECTED = [  # label, body, headers, status
    ("malformed JSON", b'{"sender": "a", "message": ', JSON, 400),
    ("invalid UTF-8", b'{"sender": "a", "message": "\xff\xfe"}', JSON, 400),
    (
        "wrong content type (form)",
        b"sender=a&message=hi",
        {"Content-Type": "application/x-www-form-urlencoded"},
        400,
    ),
    ("missing sender", json.dumps({"message": "hi"}).encode(), JSON, 400),
    ("missing message", json.dumps({"sender": "a"}).encode(), JSON, 400),
    (
        "message not a string",
        json.dumps({"sender": "a", "message": 5}).encode(),
        JSON,
        400,
    ),
    ("10,000-character sender id", msg("hi", sender="s" * 10_000), JSON, 400),
    ("JSON array", b"[]", JSON, 400),
    ("1 MB body", msg("y" * 1_000_000), JSON, 413),
]


@pytest.mark.parametrize(
    "label, body, headers, status", REJECTED, ids=[r[0] for r in REJECTED]
)
def test_bad_requests_get_a_4xx_with_a_message(assistant, label, body, headers, status):
    got, payload = send_raw(assistant, body, headers)
    record(label, got, payload)
    assert got == status
    assert isinstance(payload, dict) and payload.get("error")


def test_the_server_still_answers_and_sql_did_nothing(assistant):
    replies = assistant.send("hardening-after", "how long does physical therapy take?")
    assert replies and "no fixed timeline" in replies[0]["text"].lower()
    events = assistant.tracker("odd-SQL-looking text")["events"]
    assert any(e["event"] == "user" for e in events)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.text(max_size=300))
def test_fuzzed_messages_never_get_a_5xx(assistant, text):
    status, payload = send_raw(assistant, msg(text, sender="fuzz"))
    assert status < 500
    assert status != 200 or (isinstance(payload, list) and payload)


# --- the action server down, slow or failing --------------------------------------


class FakeActionServer:
    """Stands in for the action server: slow or erroring, on its port."""

    def __init__(self, port: int, delay: float = 0.0, status: int = 200) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(outer.delay)
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"error": "broken"}')

            def log_message(self, *args):
                pass

        self.delay, self.status = delay, status
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def fragile(tmp_path_factory) -> Iterator[LiveAssistant]:
    """Its own servers, with a short action timeout, so faults stay local."""
    live = LiveAssistant(
        tmp_path_factory.mktemp("fragile"), env={"CLINIC_ACTION_TIMEOUT_SECONDS": "2"}
    ).start()
    yield live
    live.stop()


FAQ = "how long does physical therapy take to work?"


def assert_offline_faq(replies) -> None:
    said = [r["text"] for r in replies]
    assert "no fixed timeline" in said[0].lower()
    assert "three things affect" in said[0].lower()  # the full answer, offline
    assert any("not medical advice" in t for t in said)
    assert any("call" in t for t in said[1:])


def test_action_server_down_then_back(fragile):
    fragile.stop_actions()
    try:
        status, payload = send_raw(fragile, msg(FAQ, "down-1"))
        record("FAQ while the action server is down", status, payload)
        assert status == 200
        assert_offline_faq(payload)
        status, payload = send_raw(fragile, msg("tell me something", "down-2"))
        record("unclear message while it is down", status, payload)
        assert status == 200 and payload and payload[0]["text"]
        greeting = fragile.send("down-3", "hello")
        assert "Riverside Physical Therapy" in greeting[0]["text"]  # not "None"
    finally:
        fragile.start_actions()
    replies = fragile.send("down-4", FAQ)
    assert "Book a visit" in [b["title"] for b in replies[-1].get("buttons", [])]


@pytest.mark.parametrize(
    "delay, status", [(10.0, 200), (0.0, 500)], ids=["slow", "error"]
)
def test_action_server_slow_or_failing(fragile, delay, status):
    fragile.stop_actions()
    fake = FakeActionServer(fragile.actions_port, delay=delay, status=status)
    try:
        start = time.monotonic()
        got, payload = send_raw(fragile, msg(FAQ, f"fault-{delay}-{status}"))
        elapsed = time.monotonic() - start
        record(
            f"FAQ, action server {'slow' if delay else 'returning 500'}", got, payload
        )
        assert got == 200
        assert_offline_faq(payload)
        assert elapsed < 2 + 8  # the 2 s action timeout, not Rasa's 5 minutes
    finally:
        fake.close()
        fragile.start_actions()
