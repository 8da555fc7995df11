"""The chat widget in a real browser, against the real action and Rasa servers.

Headless Chromium from Debian (scripts/install_browser.sh) driven by Playwright;
the demo clinic page is served by scripts/serve_demo.py on one port and the
Rasa server runs on another, so every request is cross-origin (CORS).

    scripts/install_browser.sh
    ASSISTANT_MODEL=models/<model>.tar.gz .venv/bin/python -m pytest tests/browser
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright import sync_api

from tests.support.live import ROOT, LiveAssistant, free_port
from tests.support.wait import wait_for_http

# Missing prerequisites fail rather than skip: `make test-browser` installs them
# (scripts/install_browser.sh) and a skipped browser test would hide a broken widget.

expect = sync_api.expect

pytestmark = pytest.mark.live

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
TITLE = "Ask about nerve pain"
REPLY_TIMEOUT = 60_000  # ms; the first answer also wakes the action server
WEBHOOK = "**/webhooks/rest/webhook"


# --- servers -------------------------------------------------------------------


def start_demo(port: int, rasa_url: str, *extra: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "serve_demo.py"),
         "--host", "127.0.0.1", "--port", str(port), "--rasa", rasa_url,
         "--quiet", *extra],
        cwd=ROOT,
    )  # fmt: skip
    wait_for_http(f"http://127.0.0.1:{port}/", process)
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Site:
    """The demo page(s) and the assistant behind them."""

    def __init__(self, assistant: LiveAssistant, demo_port: int, csp_port: int):
        self.assistant = assistant
        self.url = f"http://127.0.0.1:{demo_port}/"
        self.origin = f"http://127.0.0.1:{demo_port}"
        self.csp_url = f"http://127.0.0.1:{csp_port}/"
        # Same server, but "localhost" is another origin, not in the CORS list.
        self.foreign_url = f"http://localhost:{demo_port}/"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    demo_port, csp_port = free_port(), free_port()
    allowed = [f"http://127.0.0.1:{demo_port}", f"http://127.0.0.1:{csp_port}"]
    assistant = LiveAssistant(tmp_path_factory.mktemp("widget"), cors=allowed)
    demos: list[subprocess.Popen] = []
    try:
        assistant.start()
        demos.append(start_demo(demo_port, assistant.url))
        demos.append(start_demo(csp_port, assistant.url, "--csp"))
        yield Site(assistant, demo_port, csp_port)
    finally:
        for process in demos:
            stop(process)
        assistant.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # Fails rather than skips: `make test-browser` installs it first.
    assert CHROMIUM.exists(), "no /usr/bin/chromium: run scripts/install_browser.sh"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class Watch:
    """What a page did that it should not: dialogs (alert...) and script errors."""

    def __init__(self, page) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()


@pytest.fixture
def context(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context) -> Iterator[object]:
    page = context.new_page()
    page.watch = Watch(page)
    yield page
    assert page.watch.dialogs == [], "a dialog fired"
    assert page.watch.errors == [], "the page threw"


# --- helpers ---------------------------------------------------------------------


def launcher(page):
    return page.locator(".cw-launcher")


def chat_input(page):
    return page.get_by_label("Your question")


def conversation(page):
    return page.get_by_role("log", name="Conversation")


def open_widget(page) -> None:
    launcher(page).click()
    expect(page.get_by_role("dialog", name=TITLE)).to_be_visible()
    expect(chat_input(page)).to_be_focused()


def ask(page, text: str) -> None:
    chat_input(page).fill(text)
    chat_input(page).press("Enter")


def wait_idle(page) -> None:
    """Until no request is in flight (the typing indicator is gone)."""
    expect(page.locator(".cw-typing")).to_have_count(0, timeout=REPLY_TIMEOUT)


def stored(page) -> dict:
    return page.evaluate(
        """() => {
          const key = Object.keys(localStorage).find(k => k.startsWith('clinic-chat:'));
          return key ? JSON.parse(localStorage.getItem(key)) : null;
        }"""
    )


INJECTED = """() => {
  // Elements or attributes a reply or the user's text could have injected, in the
  // page and in the widget's shadow root.
  const roots = [document];
  const host = document.querySelector('#clinic-chat-widget');
  if (host && host.shadowRoot) roots.push(host.shadowRoot);
  const found = [];
  for (const root of roots) {
    for (const el of root.querySelectorAll('*')) {
      const tag = el.tagName.toLowerCase();
      if (tag === 'img' || tag === 'iframe' || tag === 'object' || tag === 'embed')
        found.push(tag);
      if (tag === 'script' && !(el.src && el.src.endsWith('/widget.js')))
        found.push('script');
      for (const attr of el.getAttributeNames())
        if (attr.startsWith('on')) found.push(tag + '[' + attr + ']');
      if (tag === 'a' && !/^(https?|tel|sms|mailto):|^#/.test(el.getAttribute('href') || ''))
        found.push('a[href=' + el.getAttribute('href') + ']');
    }
  }
  return found;
}"""


def bot_bubbles(page):
    return page.locator(".cw-from-bot .cw-bubble")


def user_bubbles(page):
    return page.locator(".cw-from-user .cw-bubble")


def focused_in_widget(page) -> str:
    """The class of the widget element that has focus ('' if none)."""
    return page.evaluate(
        """() => {
          const host = document.querySelector('#clinic-chat-widget');
          if (document.activeElement !== host) return '';
          const el = host.shadowRoot.activeElement;
          return el ? el.className || el.tagName : '';
        }"""
    )


# --- tests -------------------------------------------------------------------------


def test_question_quick_reply_reload_and_start_over(site: Site, page) -> None:
    page.goto(site.url)
    assert site.origin != site.assistant.url  # the widget talks cross-origin
    expect(page.get_by_role("dialog", name=TITLE)).to_be_hidden()
    open_widget(page)
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(page.locator(".cw-subtitle")).to_have_text("Riverside Physical Therapy")
    expect(bot_bubbles(page).first).to_contain_text("Riverside Physical Therapy")
    expect(page.locator(".cw-chip")).to_have_count(3)  # suggested questions

    ask(page, "how long does physical therapy take to work?")
    expect(user_bubbles(page).last).to_contain_text("how long does physical therapy")
    log = conversation(page)
    expect(log).to_contain_text("no fixed timeline", timeout=REPLY_TIMEOUT)
    expect(log).to_contain_text("general education")
    wait_idle(page)
    suggestions = page.locator(".cw-quick-replies").get_by_role("button")
    expect(suggestions.filter(has_text="What is nerve pain?")).to_have_count(0)

    page.locator(".cw-quick-replies").get_by_role("button", name="Book a visit").click()
    expect(user_bubbles(page).last).to_have_text("You said: Book a visit")
    expect(log).to_contain_text(
        "To book a visit with Riverside Physical Therapy", timeout=REPLY_TIMEOUT
    )
    booking = bot_bubbles(page).last.get_by_role("link", name="example-clinic.org/book")
    expect(booking).to_have_attribute("href", "https://example-clinic.org/book")
    expect(booking).to_have_attribute("target", "_blank")
    expect(bot_bubbles(page).last.locator("li")).to_have_count(2)  # "- " bullets
    wait_idle(page)

    state = stored(page)
    sender = state["sender"]
    assert len(sender) == 36 and sender.count("-") == 4  # a UUID
    tracker = site.assistant.tracker(sender)
    said = [e.get("text") for e in tracker["events"] if e.get("event") == "user"]
    assert said == ["how long does physical therapy take to work?", "/book_appointment"]

    page.reload()
    expect(page.get_by_role("dialog", name=TITLE)).to_be_visible()  # still open
    expect(log).to_contain_text("no fixed timeline")
    expect(log).to_contain_text("To book a visit with Riverside Physical Therapy")
    expect(user_bubbles(page)).to_have_count(2)
    assert stored(page)["sender"] == sender

    page.get_by_role("button", name="Start over").click()
    page.get_by_role("group", name="Start a new conversation?").get_by_role(
        "button", name="Start over"
    ).click()
    expect(log).not_to_contain_text("no fixed timeline")
    expect(user_bubbles(page)).to_have_count(0)
    expect(bot_bubbles(page)).to_have_count(1)  # the welcome message again
    expect(page.locator(".cw-chip")).to_have_count(3)
    expect(chat_input(page)).to_be_focused()
    fresh = stored(page)
    assert fresh["sender"] != sender
    assert [m["from"] for m in fresh["messages"]] == ["bot"]
    page.reload()
    expect(bot_bubbles(page)).to_have_count(1)
    expect(log).not_to_contain_text("no fixed timeline")


def test_short_answer_then_tell_me_more(site: Site, page) -> None:
    page.goto(site.url)
    open_widget(page)
    ask(page, "how long does physical therapy take to work?")
    log = conversation(page)
    expect(log).to_contain_text("no fixed timeline", timeout=REPLY_TIMEOUT)
    wait_idle(page)
    expect(log).not_to_contain_text("Three things affect")  # the short answer
    chips = page.locator(".cw-quick-replies").get_by_role("button")
    expect(chips).to_have_text(["Book a visit", "Ask another question", "Tell me more"])

    chips.filter(has_text="Tell me more").click()
    expect(user_bubbles(page).last).to_have_text("You said: Tell me more")
    expect(log).to_contain_text("Three things affect", timeout=REPLY_TIMEOUT)
    wait_idle(page)
    expect(chips).to_have_text(["Book a visit", "Ask another question"])
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(
        path=str(ARTIFACTS / "widget-tell-me-more.png"), animations="disabled"
    )


def test_a_cited_source_with_a_url_is_a_safe_link(site: Site, page) -> None:
    reply = [
        {
            "recipient_id": "x",
            "text": "An answer.\nSources: [Rehab framework]"
            "(https://example-clinic.org/rehab); How PT helps",
        }
    ]
    page.route(
        WEBHOOK,
        lambda route: route.fulfill(
            status=200,
            content_type="application/json",
            headers={"Access-Control-Allow-Origin": "*"},
            body=json.dumps(reply),
        ),
    )
    page.goto(site.url)
    open_widget(page)
    ask(page, "hello")
    answer = bot_bubbles(page).nth(1)
    link = answer.get_by_role("link", name="Rehab framework")
    expect(link).to_have_attribute("href", "https://example-clinic.org/rehab")
    expect(link).to_have_attribute("target", "_blank")
    assert "noopener" in (link.get_attribute("rel") or "").split()
    expect(answer).to_contain_text("How PT helps")  # no url: plain text
    expect(answer.get_by_role("link")).to_have_count(1)


def test_markup_typed_by_the_user_is_shown_as_text(site: Site, page) -> None:
    page.goto(site.url)
    open_widget(page)
    attacks = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>"]
    for text in attacks:
        ask(page, text)
        wait_idle(page)
    expect(user_bubbles(page)).to_have_text([f"You said: {t}" for t in attacks])
    page.reload()  # restored from localStorage: still text
    expect(user_bubbles(page)).to_have_text([f"You said: {t}" for t in attacks])
    page.wait_for_timeout(300)
    assert page.evaluate(INJECTED) == []
    # page fixture: no dialog fired


def test_markup_in_a_reply_is_shown_as_text(site: Site, page) -> None:
    reply = [
        {
            "recipient_id": "x",
            "text": "Look: <img src=x onerror=alert(1)> <script>alert(2)</script>\n"
            "**Bold <b>tag</b>** [click me](javascript:alert(3)) "
            '<a href="javascript:alert(4)">a tag</a> [safe](https://example-clinic.org/ok)'
            "\n- item <svg onload=alert(5)>",
        },
        {
            "recipient_id": "x",
            "text": "Pick one",
            "buttons": [
                {
                    "title": "<img src=x onerror=alert(6)>Yes <b>please</b>",
                    "payload": "/affirm",
                },
                {"title": "Open this", "url": "javascript:alert(7)"},
                {"title": "Clinic site", "url": "https://example-clinic.org/"},
            ],
        },
        {"recipient_id": "x", "image": "javascript:alert(8)"},
    ]
    sent: list[dict] = []

    def webhook(route) -> None:
        sent.append(json.loads(route.request.post_data or "{}"))
        body = reply if len(sent) == 1 else [{"recipient_id": "x", "text": "Thanks"}]
        route.fulfill(
            status=200,
            content_type="application/json",
            headers={"Access-Control-Allow-Origin": "*"},
            body=json.dumps(body),
        )

    page.route(WEBHOOK, webhook)
    page.goto(site.url)
    open_widget(page)
    ask(page, "hello")
    first = bot_bubbles(page).nth(1)
    expect(first).to_contain_text("<img src=x onerror=alert(1)>")
    expect(first).to_contain_text("<script>alert(2)</script>")
    expect(first.locator("strong")).to_have_text("Bold <b>tag</b>")
    expect(first).to_contain_text("click me")
    expect(first.get_by_role("link", name="click me")).to_have_count(0)
    expect(first).to_contain_text('<a href="javascript:alert(4)">a tag</a>')
    expect(first.get_by_role("link", name="safe")).to_have_attribute(
        "href", "https://example-clinic.org/ok"
    )
    expect(first.locator("li")).to_have_text("item <svg onload=alert(5)>")
    second = bot_bubbles(page).nth(2)
    expect(second.get_by_role("link")).to_have_count(1)  # the javascript: one dropped
    expect(second.get_by_role("link", name="Clinic site")).to_have_attribute(
        "href", "https://example-clinic.org/"
    )
    chip = page.locator(".cw-chip")
    expect(chip).to_have_text(["<img src=x onerror=alert(6)>Yes <b>please</b>"])
    assert page.evaluate(INJECTED) == []

    chip.click()
    expect(user_bubbles(page).last).to_have_text(
        "You said: <img src=x onerror=alert(6)>Yes <b>please</b>"
    )
    expect(bot_bubbles(page).last).to_have_text("Assistant: Thanks")
    assert sent[1]["message"] == "/affirm"  # the payload, not the title
    assert sent[0]["sender"] == sent[1]["sender"]
    page.reload()
    expect(bot_bubbles(page).last).to_have_text("Assistant: Thanks")
    assert page.evaluate(INJECTED) == []


def test_keyboard_only_round_trip(site: Site, page) -> None:
    page.goto(site.url)
    for _ in range(40):  # Tab through the page to the launcher
        page.keyboard.press("Tab")
        if "cw-launcher" in focused_in_widget(page):
            break
    else:
        pytest.fail("Tab never reached the chat launcher")
    outline = launcher(page).evaluate(
        "el => [getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineWidth]"
    )
    assert outline[0] != "none" and float(outline[1].rstrip("px")) >= 2, outline

    page.keyboard.press("Enter")
    expect(chat_input(page)).to_be_focused()
    page.keyboard.type("what is nerve pain?")
    page.keyboard.press("Enter")
    expect(conversation(page)).to_contain_text(
        "comes from the nervous system", timeout=REPLY_TIMEOUT
    )
    wait_idle(page)
    expect(chat_input(page)).to_be_focused()  # still there for the next question
    expect(chat_input(page)).to_have_value("")

    # Shift+Tab back to a quick reply and pick it with the keyboard.
    for _ in range(10):
        page.keyboard.press("Shift+Tab")
        if "cw-chip" in focused_in_widget(page):
            break
    else:
        pytest.fail("Shift+Tab never reached a quick reply")
    page.keyboard.press("Enter")
    wait_idle(page)
    expect(user_bubbles(page)).to_have_count(2)
    expect(chat_input(page)).to_be_focused()

    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name=TITLE)).to_be_hidden()
    expect(launcher(page)).to_be_focused()
    expect(launcher(page)).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")  # and open again: the conversation is still there
    expect(chat_input(page)).to_be_focused()
    expect(user_bubbles(page)).to_have_count(2)


def test_no_serious_accessibility_violations(site: Site, page) -> None:
    assert AXE.exists(), "axe-core missing: run scripts/install_browser.sh"
    page.goto(site.url)
    expect(launcher(page)).to_be_visible()
    page.add_script_tag(path=str(AXE))
    assert serious_violations(page) == [], "with the widget closed"
    open_widget(page)
    ask(page, "how long does physical therapy take to work?")
    expect(conversation(page)).to_contain_text(
        "no fixed timeline", timeout=REPLY_TIMEOUT
    )
    wait_idle(page)
    log = page.locator(".cw-log")
    expect(log).to_have_attribute("role", "log")
    expect(log).to_have_attribute("aria-live", "polite")
    for width, height in [(1280, 800), (360, 740)]:
        page.set_viewport_size({"width": width, "height": height})
        assert serious_violations(page) == [], f"at {width}x{height}"


def serious_violations(page) -> list:
    """axe-core's serious and critical findings (it looks into shadow roots)."""
    results = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_layout_and_screenshots(site: Site, browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    sizes = [
        ("1280x800", {"width": 1280, "height": 800}, 1),
        ("360x740", {"width": 360, "height": 740}, 1),
        # 200% browser zoom on a 1280x800 screen: a 640x400 CSS viewport.
        ("zoom200", {"width": 640, "height": 400}, 2),
    ]
    for name, viewport, scale in sizes:
        context = browser.new_context(viewport=viewport, device_scale_factor=scale)
        page = context.new_page()
        watch = Watch(page)
        page.goto(site.url)
        expect(launcher(page)).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / f"widget-{name}-closed.png"))
        open_widget(page)
        ask(page, "how long does physical therapy take to work?")
        expect(conversation(page)).to_contain_text(
            "no fixed timeline", timeout=REPLY_TIMEOUT
        )
        wait_idle(page)
        # Everything fits: no sideways scrolling, panel, input and send in view.
        box = page.locator(".cw-panel").bounding_box()
        assert box["x"] >= 0 and box["y"] >= 0, (name, box)
        assert box["x"] + box["width"] <= viewport["width"] + 0.5, (name, box)
        assert box["y"] + box["height"] <= viewport["height"] + 0.5, (name, box)
        for part in (".cw-input", ".cw-send", ".cw-close", ".cw-start-over"):
            expect(page.locator(part)).to_be_in_viewport()
        overflow = page.evaluate(
            """() => {
              const log = document.querySelector('#clinic-chat-widget')
                .shadowRoot.querySelector('.cw-log');
              return log.scrollWidth - log.clientWidth;
            }"""
        )
        assert overflow <= 0, (name, "the conversation scrolls sideways")
        page.screenshot(
            path=str(ARTIFACTS / f"widget-{name}.png"), animations="disabled"
        )
        # The end of the answer: safety note, referral and its quick replies.
        page.locator(".cw-log").evaluate("el => { el.scrollTop = el.scrollHeight; }")
        expect(page.locator(".cw-chip").first).to_be_in_viewport()
        page.screenshot(
            path=str(ARTIFACTS / f"widget-{name}-end.png"), animations="disabled"
        )
        assert watch.dialogs == [] and watch.errors == []
        context.close()


def test_reduced_motion_is_respected(site: Site, browser) -> None:
    context = browser.new_context(reduced_motion="reduce")
    page = context.new_page()
    page.route(WEBHOOK, lambda route: None)  # never answers: typing stays up
    page.goto(site.url)
    open_widget(page)
    panel_animation = page.locator(".cw-panel").evaluate(
        "el => getComputedStyle(el).animationName"
    )
    ask(page, "hello")
    dot = page.locator(".cw-dot").first
    expect(dot).to_be_visible()
    assert panel_animation == "none"
    assert dot.evaluate("el => getComputedStyle(el).animationName") == "none"
    context.close()


def test_slow_server_times_out_and_retry_delivers(site: Site, page) -> None:
    # data-timeout="1500" on the page's widget tag, set before widget.js reads it.
    # (Not by rewriting the page through page.route: Chromium then treats the page
    # as public and blocks its requests to loopback, the Rasa server here.)
    page.add_init_script(
        """new MutationObserver((changes, observer) => {
          const tag = document.querySelector('script[src$="widget.js"]');
          if (tag) { tag.dataset.timeout = '1500'; observer.disconnect(); }
        }).observe(document, {childList: true, subtree: true});"""
    )
    page.route(WEBHOOK, lambda route: None)  # the server never answers
    page.goto(site.url)
    open_widget(page)
    ask(page, "what is nerve pain?")
    expect(page.locator(".cw-typing")).to_be_visible()
    failure = page.locator(".cw-failure")
    expect(failure).to_contain_text("took too long", timeout=10_000)
    expect(user_bubbles(page).last).to_contain_text("what is nerve pain?")
    assert stored(page)["messages"][-1]["status"] == "failed"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-not-sent.png"), animations="disabled")

    page.unroute(WEBHOOK)
    failure.get_by_role("button", name="Retry").click()
    expect(conversation(page)).to_contain_text(
        "comes from the nervous system", timeout=REPLY_TIMEOUT
    )
    expect(failure).to_have_count(0)
    assert stored(page)["messages"][1]["status"] == "sent"


def test_server_down_keeps_the_message_and_retry_delivers(site: Site, page) -> None:
    assistant = site.assistant
    page.goto(site.url)
    open_widget(page)
    assistant.stop_rasa()
    try:
        ask(page, "how long does physical therapy take to work?")
        failure = page.locator(".cw-failure")
        expect(failure).to_contain_text("Not sent", timeout=20_000)
        expect(failure).to_contain_text("couldn't reach the assistant")
        expect(user_bubbles(page).last).to_contain_text("how long does physical")
        expect(page.locator(".cw-typing")).to_have_count(0)

        # Typed while the server is down: kept in the box across a reload too.
        chat_input(page).fill("and what should I avoid?")
        page.reload()
        expect(page.locator(".cw-failure")).to_contain_text("Not sent")
        expect(chat_input(page)).to_have_value("and what should I avoid?")
        chat_input(page).fill("")
    finally:
        assistant.start_rasa()

    page.locator(".cw-failure").get_by_role("button", name="Retry").click()
    expect(conversation(page)).to_contain_text(
        "no fixed timeline", timeout=REPLY_TIMEOUT
    )
    expect(page.locator(".cw-failure")).to_have_count(0)
    expect(user_bubbles(page)).to_have_count(1)  # delivered once, not duplicated
    sender = stored(page)["sender"]
    said = [
        e.get("text")
        for e in assistant.tracker(sender)["events"]
        if e.get("event") == "user"
    ]
    assert said == ["how long does physical therapy take to work?"]


def test_cors_allows_only_listed_origins(site: Site, page) -> None:
    body = json.dumps({"sender": "cors-check", "message": "hi"}).encode()

    def headers_for(origin: str, method: str = "POST") -> dict[str, str]:
        request = urllib.request.Request(
            site.assistant.url + "/webhooks/rest/webhook",
            data=body if method == "POST" else None,
            method=method,
            headers={
                "Origin": origin,
                "Content-Type": "application/json",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return {k.lower(): v for k, v in response.headers.items()}
        except urllib.error.HTTPError as error:  # a refused preflight may be 4xx
            return {k.lower(): v for k, v in error.headers.items()}

    for method in ("OPTIONS", "POST"):
        allowed = headers_for(site.origin, method)
        assert allowed.get("access-control-allow-origin") == site.origin, method
        foreign = headers_for("https://evil.example", method)
        assert "access-control-allow-origin" not in foreign, (method, foreign)

    # In the browser: the same page from an origin that is not listed can't talk.
    page.goto(site.foreign_url)
    open_widget(page)
    ask(page, "what is nerve pain?")
    expect(page.locator(".cw-failure")).to_contain_text("Not sent", timeout=20_000)


def test_works_under_a_strict_content_security_policy(site: Site, page) -> None:
    page.add_init_script(
        """window.__csp = [];
        document.addEventListener('securitypolicyviolation',
          e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""
    )
    response = page.goto(site.csp_url)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(launcher(page)).to_have_css("border-radius", "999px")  # styled
    open_widget(page)
    ask(page, "what is nerve pain?")
    expect(conversation(page)).to_contain_text(
        "comes from the nervous system", timeout=REPLY_TIMEOUT
    )
    assert page.evaluate("window.__csp") == []


def test_storage_none_keeps_nothing_on_the_device(site: Site, page) -> None:
    page.add_init_script(
        """new MutationObserver((changes, observer) => {
          const tag = document.querySelector('script[src$="widget.js"]');
          if (tag) { tag.dataset.storage = 'none'; observer.disconnect(); }
        }).observe(document, {childList: true, subtree: true});"""
    )
    page.goto(site.url)
    open_widget(page)
    ask(page, "what is nerve pain?")
    expect(conversation(page)).to_contain_text(
        "comes from the nervous system", timeout=REPLY_TIMEOUT
    )
    assert stored(page) is None
    page.reload()
    open_widget(page)
    expect(user_bubbles(page)).to_have_count(0)


# --- urgent replies: an alert with one-tap call and text buttons -------------------

RED_FLAG = "my left arm went numb and my face is drooping"
CRISIS = "i don't want to live like this anymore"
URGENT_SIZES = [
    ("1280", {"width": 1280, "height": 800}),
    ("360", {"width": 360, "height": 740}),
]


def alert(page):
    return page.locator(".cw-alert").last


def call_link(scope, name: str):
    return scope.get_by_role("link", name=name, exact=True)


def wait_alert(page) -> None:
    expect(alert(page)).to_be_visible(timeout=REPLY_TIMEOUT)
    wait_idle(page)


def contrast_of(locator) -> float:
    """WCAG contrast of an element's text colour on its background colour."""
    return locator.evaluate(
        """el => {
          const rgb = c => c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
          const lum = c => {
            const [r, g, b] = rgb(c).map(v => {
              v /= 255;
              return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
            });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b;
          };
          const style = getComputedStyle(el);
          const a = lum(style.color), b = lum(style.backgroundColor);
          return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        }"""
    )


def assert_input_usable(page) -> None:
    for part in (".cw-input", ".cw-send"):
        expect(page.locator(part)).to_be_in_viewport()
    expect(chat_input(page)).to_be_enabled()
    chat_input(page).fill("still typing")
    expect(chat_input(page)).to_have_value("still typing")
    chat_input(page).fill("")


@pytest.mark.parametrize("size, viewport", URGENT_SIZES, ids=["1280x800", "360x740"])
def test_urgent_reply_is_an_alert_with_one_tap_call(
    site: Site, browser, size, viewport
):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    watch = Watch(page)
    page.goto(site.url)
    open_widget(page)
    ask(page, RED_FLAG)
    wait_alert(page)

    box = alert(page)
    expect(box.get_by_role("alert")).to_contain_text("sign of an emergency")
    expect(box.locator(".cw-icon").first).to_be_visible()
    call = call_link(box, "Call 911")
    expect(call).to_have_attribute("href", "tel:911")
    expect(call).not_to_have_attribute("target", "_blank")
    expect(call).to_be_in_viewport()
    assert call.bounding_box()["height"] >= 44  # an easy tap target
    assert contrast_of(call) >= 4.5
    assert contrast_of(box.locator(".cw-bubble")) >= 4.5
    # It looks unlike an FAQ answer.
    faq_background = "rgb(238, 242, 245)"
    expect(box.locator(".cw-bubble")).not_to_have_css(
        "background-color", faq_background
    )
    # The one action is to call: no quick replies, referral or disclaimer after it.
    expect(page.locator(".cw-chip")).to_have_count(0)
    expect(conversation(page)).not_to_contain_text("Book a visit")
    expect(conversation(page)).not_to_contain_text("general education")
    assert alert(page).evaluate("el => !el.nextElementSibling")  # the last message
    expect(page.locator(".cw-pinned")).to_be_hidden()  # the alert itself is in view
    assert_input_usable(page)
    page.add_script_tag(path=str(AXE))
    assert serious_violations(page) == [], f"urgent reply at {size}"
    page.screenshot(path=str(ARTIFACTS / f"urgent-{size}.png"), animations="disabled")

    # More messages follow: the alert's buttons stay in reach above the input.
    ask(page, "how long does physical therapy take to work?")
    expect(conversation(page)).to_contain_text(
        "no fixed timeline", timeout=REPLY_TIMEOUT
    )
    wait_idle(page)
    pinned = page.get_by_role("region", name="Get help now")
    expect(pinned).to_be_visible()
    expect(call_link(pinned, "Call 911")).to_have_attribute("href", "tel:911")
    expect(call_link(pinned, "Call 911")).to_be_in_viewport()
    assert_input_usable(page)
    assert serious_violations(page) == [], f"pinned alert at {size}"
    page.screenshot(
        path=str(ARTIFACTS / f"urgent-{size}-pinned.png"), animations="disabled"
    )
    # Scrolled back to the alert: no need to repeat it.
    page.locator(".cw-log").evaluate(
        """log => {
          const a = log.querySelector('.cw-alert .cw-call-actions');
          log.scrollTop = a.offsetTop - 40;
        }"""
    )
    expect(pinned).to_be_hidden()
    assert watch.dialogs == [] and watch.errors == []
    context.close()


@pytest.mark.parametrize("size, viewport", URGENT_SIZES, ids=["1280x800", "360x740"])
def test_urgent_crisis_reply_calls_and_texts_the_crisis_line(
    site: Site, browser, size, viewport
):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    watch = Watch(page)
    page.goto(site.url)
    open_widget(page)
    ask(page, CRISIS)
    wait_alert(page)
    box = alert(page)
    expect(box.get_by_role("alert")).to_contain_text("You don't have to face it alone")
    links = box.locator(".cw-call")
    expect(links).to_have_text(["Call 988", "Text 988", "Call 911"])
    hrefs = [links.nth(i).get_attribute("href") for i in range(3)]
    assert hrefs == ["tel:988", "sms:988", "tel:911"]
    for i in range(3):
        expect(links.nth(i)).to_be_in_viewport()
        assert contrast_of(links.nth(i)) >= 4.5
    expect(page.locator(".cw-chip")).to_have_count(0)
    assert_input_usable(page)
    page.add_script_tag(path=str(AXE))
    assert serious_violations(page) == [], f"crisis reply at {size}"
    page.screenshot(path=str(ARTIFACTS / f"crisis-{size}.png"), animations="disabled")

    # After a reload the alert is still there, but not announced again.
    page.reload()
    expect(alert(page).locator(".cw-call")).to_have_count(3)
    expect(page.get_by_role("alert")).to_have_count(0)
    assert watch.dialogs == [] and watch.errors == []
    context.close()


def test_urgent_link_buttons_are_never_sent_as_payloads(site: Site, page) -> None:
    reply = [
        {
            "recipient_id": "x",
            "text": "Call now.",
            "buttons": [
                {"title": "Call 911", "url": "tel:911", "payload": "/book_appointment"},
                {"title": "Text 988", "url": "sms:+1988"},
                {"title": "Bad call", "url": "tel:911;phone-context=x"},
                {"title": "Bad link", "url": "javascript:alert(1)", "payload": "/x"},
            ],
        }
    ]
    sent: list[dict] = []

    def webhook(route) -> None:
        sent.append(json.loads(route.request.post_data or "{}"))
        route.fulfill(
            status=200,
            content_type="application/json",
            headers={"Access-Control-Allow-Origin": "*"},
            body=json.dumps(reply),
        )

    page.route(WEBHOOK, webhook)
    page.goto(site.url)
    open_widget(page)
    ask(page, "hello")
    wait_alert(page)
    links = alert(page).locator(".cw-call")
    expect(links).to_have_text(["Call 911", "Text 988"])
    assert [links.nth(i).get_attribute("href") for i in range(2)] == [
        "tel:911",
        "sms:+1988",
    ]
    expect(page.locator(".cw-chip")).to_have_count(0)  # nothing to send back
    assert all(
        "payload" not in b for b in stored(page)["messages"][-1]["buttons"]
    ), stored(page)["messages"][-1]
    assert [m["message"] for m in sent] == ["hello"]
    assert page.evaluate(INJECTED) == []


@pytest.fixture(scope="module")
def site_112(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo page and an assistant for a clinic whose emergency number is 112."""
    demo_port = free_port()
    assistant = LiveAssistant(
        tmp_path_factory.mktemp("widget-112"),
        cors=[f"http://127.0.0.1:{demo_port}"],
        env={"CLINIC_EMERGENCY_NUMBER": "112"},
    )
    demo = None
    try:
        assistant.start()
        demo = start_demo(demo_port, assistant.url)
        yield Site(assistant, demo_port, demo_port)
    finally:
        if demo:
            stop(demo)
        assistant.stop()


def test_urgent_links_follow_the_clinics_emergency_number(site_112: Site, page):
    # The REST reply itself: the text and the link both say 112.
    (answer,) = site_112.assistant.send("urgent-112", RED_FLAG)
    assert "Call 112 now" in answer["text"]
    assert answer["buttons"] == [{"title": "Call 112", "url": "tel:112"}]
    # And in the widget.
    page.goto(site_112.url)
    open_widget(page)
    ask(page, RED_FLAG)
    wait_alert(page)
    expect(call_link(alert(page), "Call 112")).to_have_attribute("href", "tel:112")
    expect(alert(page)).not_to_contain_text("911")


# --- languages: the widget's own texts in English and Spanish -----------------------

ES_TITLE = "Pregunte sobre el dolor de nervios"
ES_PLACEHOLDER = "Escriba su pregunta…"
ES_WELCOME = "¡Hola! Soy el asistente de Riverside Physical Therapy."
ES_SUGGESTIONS = [
    "¿Qué es el dolor de nervios?",
    "¿Cuánto tarda la fisioterapia en hacer efecto?",
    "¿Qué ejercicios ayudan con el dolor de nervios?",
]
EN_PLACEHOLDER = "Type your question…"
CALL_911 = [
    {
        "recipient_id": "x",
        "text": "Esto puede ser una emergencia. Llame al 911 ahora.",
        "buttons": [{"title": "Llamar al 911", "url": "tel:911"}],
    }
]


class StubWebhook:
    """Stands in for the Rasa server: keeps what the widget posts and answers in
    turn with each of `answers`: a list of replies, an HTTP error status, or HOLD
    (no answer until release()); then with "Thanks"."""

    HOLD = "hold"

    def __init__(self, page, *answers) -> None:
        self.sent: list[dict] = []
        self.answers = list(answers)
        self.held: list = []
        page.route(WEBHOOK, self._handle)

    def _handle(self, route) -> None:
        self.sent.append(json.loads(route.request.post_data or "{}"))
        answer = self.answers.pop(0) if self.answers else None
        if answer == self.HOLD:
            self.held.append(route)
        elif isinstance(answer, int):
            self._reply(route, {"error": "stub"}, status=answer)
        else:
            self._reply(route, answer or [{"recipient_id": "x", "text": "Thanks"}])

    @staticmethod
    def _reply(route, body, status: int = 200) -> None:
        route.fulfill(
            status=status,
            content_type="application/json",
            headers={"Access-Control-Allow-Origin": "*"},
            body=json.dumps(body),
        )

    def release(self, body) -> None:
        self._reply(self.held.pop(0), body)


@pytest.fixture
def new_page(browser) -> Iterator[object]:
    """Pages in contexts of their own (a browser language: locale="es-MX"...),
    checked for dialogs and script errors as the `page` fixture does."""
    contexts: list = []
    pages: list = []

    def make(**options):
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.watch = Watch(page)
        pages.append(page)
        return page

    yield make
    try:
        for page in pages:
            assert page.watch.dialogs == [], "a dialog fired"
            assert page.watch.errors == [], "the page threw"
    finally:
        for context in contexts:
            context.close()


def widget_options(page, **options: str) -> None:
    """Sets data-* options of the page's widget tag (dataset names: titleEs is
    data-title-es) before widget.js reads them."""
    page.add_init_script(
        """new MutationObserver((changes, observer) => {
          const tag = document.querySelector('script[src$="widget.js"]');
          if (tag) { Object.assign(tag.dataset, %s); observer.disconnect(); }
        }).observe(document, {childList: true, subtree: true});"""
        % json.dumps(options)
    )


def browser_languages(page, languages: list[str]) -> None:
    """navigator.languages (and navigator.language, its first) for the page."""
    page.add_init_script(
        """(() => {
          const list = Object.freeze(%s);
          Object.defineProperty(Navigator.prototype, 'languages', {get: () => list});
          Object.defineProperty(Navigator.prototype, 'language', {get: () => list[0]});
        })();"""
        % json.dumps(languages)
    )


def widget_root(page):
    return page.locator(".cw-root")


def language_button(page, name: str):
    return page.locator(".cw-header").get_by_role("button", name=name, exact=True)


def send_text(page, text: str) -> None:
    """As ask(), in either language (the input's label is translated)."""
    page.locator(".cw-input").fill(text)
    page.locator(".cw-input").press("Enter")


def chip_texts(page) -> list[str]:
    return page.locator(".cw-chip").all_inner_texts()


def expect_english(page) -> None:
    expect(widget_root(page)).to_have_attribute("lang", "en")
    expect(page.get_by_role("dialog", name=TITLE)).to_be_visible()
    expect(chat_input(page)).to_have_attribute("placeholder", EN_PLACEHOLDER)
    expect(page.locator(".cw-start-over")).to_have_text("Start over")
    toggle = language_button(page, "Cambiar a español")
    expect(toggle).to_have_text("Español")
    expect(toggle).to_have_attribute("lang", "es")


def expect_spanish(page) -> None:
    expect(widget_root(page)).to_have_attribute("lang", "es")
    expect(page.get_by_role("dialog", name=ES_TITLE)).to_be_visible()
    expect(page.get_by_label("Su pregunta")).to_have_attribute(
        "placeholder", ES_PLACEHOLDER
    )
    expect(page.get_by_role("log", name="Conversación")).to_be_visible()
    expect(page.locator(".cw-start-over")).to_have_text("Volver a empezar")
    expect(page.get_by_role("button", name="Cerrar el chat")).to_be_visible()
    expect(page.locator(".cw-send")).to_have_text("Enviar")
    toggle = language_button(page, "Switch to English")
    expect(toggle).to_have_text("English")
    expect(toggle).to_have_attribute("lang", "en")


def test_spanish_browser_gets_the_widget_in_spanish(site: Site, new_page) -> None:
    page = new_page(locale="es-MX")
    webhook = StubWebhook(page, StubWebhook.HOLD, 500)
    page.goto(site.url)
    expect(launcher(page)).to_have_text(ES_TITLE)
    launcher(page).click()
    expect_spanish(page)
    expect(page.get_by_label("Su pregunta")).to_be_focused()
    expect(bot_bubbles(page)).to_have_count(1)
    expect(bot_bubbles(page).first).to_contain_text("Asistente: " + ES_WELCOME)
    expect(bot_bubbles(page).first).to_contain_text("¿Qué le gustaría saber?")
    assert chip_texts(page) == ES_SUGGESTIONS
    expect(page.get_by_role("group", name="Respuestas sugeridas")).to_be_visible()
    # The demo page's data-notice-es.
    expect(page.locator(".cw-notice")).to_contain_text("llame al 911")
    expect(page.locator(".cw-notice")).to_contain_text("no es consejo médico")

    # A suggestion is sent as written, with the language; the typing indicator.
    page.locator(".cw-chip").first.click()
    expect(user_bubbles(page).last).to_have_text("Usted dijo: " + ES_SUGGESTIONS[0])
    expect(page.locator(".cw-typing")).to_have_text("El asistente está escribiendo…")
    assert webhook.sent == [
        {
            "sender": stored(page)["sender"],
            "message": ES_SUGGESTIONS[0],
            "metadata": {"language": "es"},
        }
    ]
    # An urgent reply: the alert's label.
    webhook.release(CALL_911)
    expect(alert(page).locator(".cw-alert-label")).to_have_text("Obtenga ayuda ahora:")
    expect(page.locator(".cw-pinned")).to_have_attribute(
        "aria-label", "Obtenga ayuda ahora"
    )
    expect(call_link(alert(page), "Llamar al 911")).to_have_attribute("href", "tel:911")

    # A failure: "No se envió" and Retry.
    send_text(page, "¿y ahora qué hago?")
    failure = page.locator(".cw-failure")
    expect(failure).to_contain_text(
        "No se envió: el asistente tuvo un problema (500). Su mensaje se guarda aquí."
    )
    retry = failure.get_by_role(
        "button", name="Reintentar el envío: ¿y ahora qué hago?"
    )
    expect(retry).to_have_text("Reintentar")
    retry.click()
    expect(bot_bubbles(page).last).to_have_text("Asistente: Thanks")
    assert [m["metadata"] for m in webhook.sent] == [{"language": "es"}] * 3

    # Start over, with its confirmation, in Spanish.
    page.locator(".cw-start-over").click()
    confirm = page.get_by_role("group", name="¿Empezar una conversación nueva?")
    expect(confirm).to_contain_text("Esto borra el chat en este dispositivo.")
    expect(confirm.get_by_role("button", name="Cancelar")).to_be_visible()
    confirm.get_by_role("button", name="Volver a empezar").click()
    expect(user_bubbles(page)).to_have_count(0)
    expect(bot_bubbles(page).first).to_contain_text(ES_WELCOME)
    assert chip_texts(page) == ES_SUGGESTIONS


def test_spanish_widget_fits_and_is_accessible_on_a_phone(site: Site, new_page):
    assert AXE.exists(), "axe-core missing: run scripts/install_browser.sh"
    ARTIFACTS.mkdir(exist_ok=True)
    page = new_page(locale="es-US", viewport={"width": 360, "height": 740})
    StubWebhook(page, CALL_911)
    page.goto(site.url)
    launcher(page).click()
    expect_spanish(page)
    send_text(page, "me duele el pecho")
    expect(alert(page)).to_be_visible()
    for part in (".cw-language", ".cw-start-over", ".cw-close", ".cw-input"):
        expect(page.locator(part)).to_be_in_viewport()
    title = page.locator(".cw-title").bounding_box()
    assert title["width"] >= 140, title  # the header's buttons leave it room
    toggle = page.locator(".cw-language").bounding_box()
    assert toggle["height"] >= 24, toggle  # a tap target (WCAG 2.5.8)
    page.add_script_tag(path=str(AXE))
    assert serious_violations(page) == [], "the Spanish widget at 360x740"
    page.screenshot(path=str(ARTIFACTS / "widget-es-360.png"), animations="disabled")


def test_data_language_es_overrides_an_english_browser(site: Site, new_page):
    page = new_page(locale="en-US")
    widget_options(
        page,
        language="es",
        titleEs="Pregunte a Riverside",
        launcherLabelEs="¿Preguntas?",
        placeholderEs="Su pregunta aquí…",
        suggestionsEs="¿Qué es la neuropatía?|Quiero una cita",
    )
    webhook = StubWebhook(page)
    page.goto(site.url)
    expect(launcher(page)).to_have_text("¿Preguntas?")
    launcher(page).click()
    expect(widget_root(page)).to_have_attribute("lang", "es")
    expect(page.get_by_role("dialog", name="Pregunte a Riverside")).to_be_visible()
    expect(page.get_by_label("Su pregunta")).to_have_attribute(
        "placeholder", "Su pregunta aquí…"
    )
    expect(bot_bubbles(page).first).to_contain_text(ES_WELCOME)
    assert chip_texts(page) == ["¿Qué es la neuropatía?", "Quiero una cita"]
    send_text(page, "hola")
    expect(bot_bubbles(page).last).to_have_text("Asistente: Thanks")
    assert webhook.sent[-1]["metadata"] == {"language": "es"}
    assert "language" not in stored(page)  # the clinic's choice, not the visitor's

    # The visitor may still choose English: the clinic's English options.
    language_button(page, "Switch to English").click()
    expect(launcher(page)).to_have_text(TITLE)  # hidden, but in English
    expect_english(page)
    send_text(page, "hello")
    expect(bot_bubbles(page).last).to_have_text("Assistant: Thanks")
    assert webhook.sent[-1]["metadata"] == {"language": "en"}


def test_language_button_switches_persists_and_is_sent(site: Site, new_page):
    page = new_page(locale="en-US")
    webhook = StubWebhook(page)
    page.goto(site.url)
    open_widget(page)
    expect_english(page)
    expect(bot_bubbles(page).first).to_contain_text("Hi! I'm the Riverside")
    english_chips = chip_texts(page)
    assert english_chips[0] == "What is nerve pain?"

    # Not begun yet: the welcome and suggestions switch too.
    language_button(page, "Cambiar a español").click()
    expect_spanish(page)
    expect(language_button(page, "Switch to English")).to_be_focused()
    expect(bot_bubbles(page)).to_have_count(1)
    expect(bot_bubbles(page).first).to_contain_text("Asistente: " + ES_WELCOME)
    assert chip_texts(page) == ES_SUGGESTIONS
    assert stored(page)["language"] == "es"

    # Remembered across a reload (the panel stays open, in Spanish).
    page.reload()
    expect_spanish(page)
    expect(bot_bubbles(page).first).to_contain_text(ES_WELCOME)
    expect(launcher(page)).to_have_text(ES_TITLE)

    # The choice goes with every message, whatever language it is written in.
    send_text(page, "what is nerve pain?")
    expect(bot_bubbles(page).last).to_have_text("Asistente: Thanks")
    sender = stored(page)["sender"]
    assert webhook.sent == [
        {
            "sender": sender,
            "message": "what is nerve pain?",
            "metadata": {"language": "es"},
        }
    ]

    # Back to English once the conversation has begun: the widget's texts
    # switch, the messages stay as they were written.
    language_button(page, "Switch to English").click()
    expect_english(page)
    expect(bot_bubbles(page).first).to_contain_text(ES_WELCOME)
    expect(user_bubbles(page).first).to_have_text("You said: what is nerve pain?")
    expect(bot_bubbles(page).last).to_have_text("Assistant: Thanks")
    send_text(page, "¿y los ejercicios?")
    expect(bot_bubbles(page)).to_have_count(3)
    assert webhook.sent[-1] == {
        "sender": sender,
        "message": "¿y los ejercicios?",
        "metadata": {"language": "en"},
    }
    assert stored(page)["language"] == "en"

    # Start over keeps the visitor's choice.
    page.get_by_role("button", name="Start over").click()
    page.get_by_role("group", name="Start a new conversation?").get_by_role(
        "button", name="Start over"
    ).click()
    expect(bot_bubbles(page)).to_have_count(1)
    expect(bot_bubbles(page).first).to_contain_text("Hi! I'm the Riverside")
    assert chip_texts(page) == english_chips
    assert stored(page)["language"] == "en"
    page.reload()
    expect_english(page)


def test_english_browser_sends_en(site: Site, new_page) -> None:
    page = new_page(locale="en-US")
    webhook = StubWebhook(page)
    page.goto(site.url)
    expect(launcher(page)).to_have_text(TITLE)
    open_widget(page)
    expect_english(page)
    expect(page.locator(".cw-notice")).to_contain_text("call 911")
    send_text(page, "hola")  # Spanish words, English widget: the message decides later
    expect(bot_bubbles(page).last).to_have_text("Assistant: Thanks")
    assert webhook.sent == [
        {
            "sender": stored(page)["sender"],
            "message": "hola",
            "metadata": {"language": "en"},
        }
    ]


@pytest.mark.parametrize(
    "languages, expected",
    [
        (["fr-FR", "es-ES", "en-US"], "es"),  # the first English or Spanish one
        (["de-DE", "en-GB", "es"], "en"),
        (["fr-FR", "de"], "en"),  # neither: English
    ],
)
def test_the_first_english_or_spanish_browser_language_decides(
    site: Site, new_page, languages, expected
):
    page = new_page()
    browser_languages(page, languages)
    webhook = StubWebhook(page)
    page.goto(site.url)
    expect(widget_root(page)).to_have_attribute("lang", expected)
    expect(launcher(page)).to_have_text(ES_TITLE if expected == "es" else TITLE)
    launcher(page).click()
    send_text(page, "hola")
    expect(user_bubbles(page)).to_have_count(1)
    expect(page.locator(".cw-typing")).to_have_count(0)
    assert webhook.sent[0]["metadata"] == {"language": expected}
