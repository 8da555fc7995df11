"""rasa-webchat (the widget clinics already use) over Socket.IO, in a real browser.

rasa-webchat 1.0.1 from npm (scripts/install_browser.sh puts it in .cache/npm)
on a small clinic page served here, on its own origin; the Rasa server runs on
another port with the shipped credentials.yml (Socket.IO with
session_persistence), so the widget connects cross-origin and upgrades to
WebSocket, as on a clinic's site.

    scripts/install_browser.sh
    ASSISTANT_MODEL=models/<model>.tar.gz .venv/bin/python -m pytest tests/browser/test_webchat.py
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright import sync_api

from channels.render_credentials import render
from tests.browser.test_widget import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.support.live import ROOT, LiveAssistant, free_port

expect = sync_api.expect

pytestmark = pytest.mark.live

WEBCHAT_JS = (
    ROOT / ".cache" / "npm" / "node_modules" / "rasa-webchat" / "lib" / "index.js"
)
REPLY_TIMEOUT = 90_000  # ms; the first answer also wakes the action server
QUESTION = "how long does physical therapy take to work?"
EMERGENCY = "my face is drooping and my arm went weak"

assert WEBCHAT_JS.exists(), "no rasa-webchat: run scripts/install_browser.sh"


def clinic_page(rasa_url: str) -> bytes:
    """A clinic page with rasa-webchat, set up as its README shows."""
    options = {
        "socketUrl": rasa_url,
        "socketPath": "/socket.io/",
        "title": "Ask about nerve pain",
        "initPayload": "/greet",
        "embedded": True,
        "params": {"storage": "local"},
    }
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Riverside Physical Therapy</title></head>
<body>
<h1>Riverside Physical Therapy</h1>
<script src="/webchat.js"></script>
<script>
  WebChat.default(Object.assign({json.dumps(options)},
                                {{customMessageDelay: () => 0}}), null);
</script>
</body>
</html>
""".encode()


class ClinicSite:
    """Serves exactly two files: the page and rasa-webchat's bundle."""

    def __init__(self, port: int, rasa_url: str) -> None:
        files = {
            "/": (clinic_page(rasa_url), "text/html; charset=utf-8"),
            "/webchat.js": (WEBCHAT_JS.read_bytes(), "text/javascript; charset=utf-8"),
        }

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                found = files.get(self.path.split("?")[0])
                if found is None:
                    self.send_error(404)
                    return
                body, content_type = found
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.port = port
        self.url = f"http://127.0.0.1:{self.port}/"
        self.origin = f"http://127.0.0.1:{self.port}"
        # Same server, but "localhost" is another origin, not in the allow-list.
        self.foreign_url = f"http://localhost:{self.port}/"
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> ClinicSite:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Setup:
    def __init__(self, assistant: LiveAssistant, site: ClinicSite) -> None:
        self.assistant = assistant
        self.site = site


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    credentials, on, _ = render((ROOT / "credentials.yml").read_text(), {})
    assert "channels.socketio.GuardedSocketIOInput" in on
    port = free_port()
    site_origin = f"http://127.0.0.1:{port}"
    assistant = LiveAssistant(
        tmp_path_factory.mktemp("webchat"),
        credentials=credentials,
        cors=[site_origin],
    )
    site = None
    try:
        assistant.start()
        site = ClinicSite(port, assistant.url)
        yield Setup(assistant, site.start())
    finally:
        if site:
            site.stop()
        assistant.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.websockets = []
    page.on("websocket", lambda ws: page.websockets.append(ws.url))
    yield page
    context.close()


def bot(page):
    return page.locator(".rw-from-response .rw-response")


def user(page):
    return page.locator(".rw-from-client .rw-client")


def send(page, text: str) -> None:
    box = page.locator(".rw-new-message")
    box.fill(text)
    box.press("Enter")


def session_id(page) -> str:
    stored = page.evaluate("() => localStorage.getItem('chat_session')")
    return json.loads(stored)["session_id"]


def user_texts(assistant: LiveAssistant, sender: str) -> list:
    events = assistant.tracker(sender)["events"]
    return [e.get("text") for e in events if e["event"] == "user"]


def test_question_button_emergency_and_reload(setup: Setup, page) -> None:
    site, assistant = setup.site, setup.assistant
    page.goto(site.url)
    expect(bot(page).first).to_contain_text(
        "Riverside Physical Therapy assistant", timeout=REPLY_TIMEOUT
    )
    first_session = session_id(page)

    # An FAQ answer with its buttons.
    send(page, QUESTION)
    expect(user(page).last).to_have_text(QUESTION)
    expect(bot(page).filter(has_text="There is no fixed timeline")).to_have_count(
        1, timeout=REPLY_TIMEOUT
    )
    expect(bot(page).filter(has_text="not medical advice")).to_have_count(1)
    replies = page.locator(".rw-replies .rw-reply")
    expect(replies).to_have_text(
        ["Book a visit", "Ask another question", "Tell me more"]
    )

    # Tapping a button sends its payload and shows its reply.
    replies.filter(has_text="Book a visit").click()
    expect(bot(page).filter(has_text="To book a visit with")).to_have_count(
        1, timeout=REPLY_TIMEOUT
    )
    expect(bot(page).last).to_contain_text("(555) 010-0100")

    # An emergency gets the urgent-care reply.
    send(page, EMERGENCY)
    expect(bot(page).filter(has_text="Call 911 now")).to_have_count(
        1, timeout=REPLY_TIMEOUT
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "webchat-conversation.png"))

    # A reload shows both sides of the conversation and resumes the same session.
    page.reload()
    expect(user(page).filter(has_text=QUESTION)).to_have_count(1)
    expect(user(page).filter(has_text=EMERGENCY)).to_have_count(1)
    expect(bot(page).filter(has_text="There is no fixed timeline")).to_have_count(1)
    expect(bot(page).filter(has_text="Call 911 now")).to_have_count(1)
    expect(page.locator(".rw-new-message")).to_be_enabled(timeout=REPLY_TIMEOUT)
    assert session_id(page) == first_session

    # ...and the resumed socket still gets its replies.
    send(page, "does tens help nerve pain")
    expect(bot(page).filter(has_text="mild electrical pulses")).to_have_count(
        1, timeout=REPLY_TIMEOUT
    )

    # The reply reaches the page before Rasa has saved the turn: poll briefly.
    deadline = time.monotonic() + 15
    stored = user_texts(assistant, first_session)
    while "does tens help nerve pain" not in stored and time.monotonic() < deadline:
        time.sleep(0.3)
        stored = user_texts(assistant, first_session)
    assert QUESTION in stored and EMERGENCY in stored
    assert "/book_appointment" in stored and "does tens help nerve pain" in stored
    # rasa-webchat upgraded to WebSocket, which the Origin check let through.
    assert any(
        "/socket.io/" in url and "transport=websocket" in url for url in page.websockets
    )
    assert page.errors == []


def test_a_page_on_another_origin_gets_no_session(setup: Setup, page) -> None:
    page.goto(setup.site.foreign_url)
    page.wait_for_timeout(5_000)
    assert page.evaluate("() => localStorage.getItem('chat_session')") in (None, "")
    expect(bot(page)).to_have_count(0)
