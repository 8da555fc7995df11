"""A fake of the providers' outgoing APIs on loopback, recording every message.

One HTTP server stands in for the Twilio Messages API, the Slack Web API, the
Messenger Send API (Graph API) and the Telegram Bot API; the connectors reach it
through their `api_base_url` setting. No request leaves the machine.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TWILIO_MESSAGES = re.compile(r"^/twilio/2010-04-01/Accounts/([^/]+)/Messages\.json$")
SLACK_METHOD = re.compile(r"^/slack/api/([\w.]+)$")
GRAPH_MESSAGES = re.compile(r"^/graph/v[\d.]+/me/messages$")
TELEGRAM_METHOD = re.compile(r"^/telegram/bot([^/]+)/(\w+)$")


@dataclass
class Sent:
    """One message a connector sent to a provider."""

    provider: str  # twilio | slack | messenger | telegram
    to: str
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    sender: str = ""  # the "from" number (Twilio)
    raw: dict[str, Any] = field(default_factory=dict)


class FakeProviders:
    """Start with .start(); .url is the base for every connector's api_base_url."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.calls: list[dict[str, Any]] = []  # every request, for set-up checks
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- server --------------------------------------------------------------------
    def start(self) -> FakeProviders:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, answer = fake.handle(self.path, dict(self.headers), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server, "not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- recording -----------------------------------------------------------------
    def _record(self, message: Sent) -> None:
        with self._lock:
            self.sent.append(message)

    def handle(self, url: str, headers: dict[str, str], body: bytes) -> tuple:
        parts = urlsplit(url)
        path, query = parts.path, parse_qs(parts.query)
        form = _form(headers, body)
        with self._lock:
            self.calls.append(
                {"path": path, "query": query, "headers": headers, "form": form}
            )

        match = TWILIO_MESSAGES.match(path)
        if match:
            return self._twilio(match.group(1), headers, form)
        match = SLACK_METHOD.match(path)
        if match:
            return self._slack(match.group(1), headers, _json(body) or form)
        if GRAPH_MESSAGES.match(path):
            return self._messenger(query, _json(body))
        match = TELEGRAM_METHOD.match(path)
        if match:
            return self._telegram(match.group(2), _json(body) or form)
        return 404, {"error": f"no fake for {path}"}

    def _twilio(self, account: str, headers: dict[str, str], form: dict) -> tuple:
        if "Authorization" not in headers:
            return 401, {"code": 20003, "message": "Authenticate"}
        self._record(
            Sent("twilio", form.get("To", ""), form.get("Body", ""), [], form.get("From", ""), form)
        )  # fmt: skip
        now = formatdate(usegmt=True)
        return 201, {
            "sid": f"SM{len(self.sent):032d}",
            "account_sid": account,
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "date_created": now,
            "date_updated": now,
            "uri": f"/2010-04-01/Accounts/{account}/Messages/SM1.json",
        }

    def _slack(self, method: str, headers: dict[str, str], data: dict) -> tuple:
        if not headers.get("Authorization", "").startswith("Bearer "):
            return 200, {"ok": False, "error": "not_authed"}
        if method != "chat.postMessage":
            return 200, {"ok": True}
        buttons = [
            _button(e["text"]["text"], e.get("value"), e.get("url"))
            for block in data.get("blocks") or []
            if block.get("type") == "actions"
            for e in block.get("elements", [])
        ]
        self._record(
            Sent(
                "slack",
                data.get("channel", ""),
                data.get("text", ""),
                buttons,
                raw=data,
            )
        )
        return 200, {
            "ok": True,
            "channel": data.get("channel"),
            "ts": f"{time.time():.6f}",
        }

    def _messenger(self, query: dict, data: dict) -> tuple:
        if not query.get("access_token"):
            return 400, {"error": {"message": "An access token is required"}}
        recipient = (data.get("recipient") or {}).get("id", "")
        message = data.get("message")
        if message is None:  # a sender action (mark_seen, typing_on, ...)
            return 200, {"recipient_id": recipient}
        template = (message.get("attachment") or {}).get("payload") or {}
        text = message.get("text") or template.get("text", "")
        buttons = template.get("buttons") or []
        self._record(Sent("messenger", recipient, text, buttons, raw=data))
        return 200, {"recipient_id": recipient, "message_id": f"m_{len(self.sent)}"}

    def _telegram(self, method: str, data: dict) -> tuple:
        if method == "sendMessage":
            markup = json.loads(data.get("reply_markup") or "{}")
            buttons = [
                _button(b["text"], b.get("callback_data", ""), b.get("url"))
                for row in markup.get("inline_keyboard", [])
                for b in row
            ]
            chat = str(data.get("chat_id", ""))
            self._record(
                Sent("telegram", chat, data.get("text", ""), buttons, raw=data)
            )
            return 200, {
                "ok": True,
                "result": {
                    "message_id": len(self.sent),
                    "date": int(time.time()),
                    "chat": {"id": int(chat) if chat.lstrip("-").isdigit() else 0, "type": "private"},
                    "text": data.get("text", ""),
                },
            }  # fmt: skip
        if method == "getMe":
            return 200, {
                "ok": True,
                "result": {"id": 1, "is_bot": True, "first_name": "Clinic", "username": "clinic_bot"},
            }  # fmt: skip
        return 200, {"ok": True, "result": True}

    # --- reading -------------------------------------------------------------------
    def to(self, provider: str, recipient: str) -> list[Sent]:
        with self._lock:
            return [
                s for s in self.sent if s.provider == provider and s.to == recipient
            ]

    def wait(
        self,
        provider: str,
        recipient: str,
        until: Callable[[list[Sent]], bool],
        timeout: float = 60,
        settle: float = 0.5,
    ) -> list[Sent]:
        """Messages to recipient once `until` holds and nothing new came for `settle` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sent = self.to(provider, recipient)
            if until(sent):
                time.sleep(settle)
                again = self.to(provider, recipient)
                if len(again) == len(sent):
                    return sent
                continue
            time.sleep(0.1)
        raise AssertionError(
            f"timed out waiting for {provider} messages to {recipient}: "
            f"{[s.text[:80] for s in self.to(provider, recipient)]}"
        )


def _button(title: str, payload: Any, url: Any) -> dict[str, str]:
    """A recorded button: a choice (title, payload) or a link (title, url)."""
    if url:
        return {"title": title, "url": url}
    return {"title": title, "payload": payload}


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _form(headers: dict[str, str], body: bytes) -> dict[str, str]:
    content_type = headers.get("Content-Type", "")
    if "application/x-www-form-urlencoded" not in content_type:
        return {}
    parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    return {key: values[0] for key, values in parsed.items()}
