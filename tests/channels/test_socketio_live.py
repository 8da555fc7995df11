"""Socket.IO end to end: python-socketio's client against the real servers.

The credentials are the shipped credentials.yml rendered with no channel
variables (REST + Socket.IO, session_persistence on); the allow-list reaches
the channel through CORS_ORIGINS, as with scripts/run.sh.

python-socketio's AsyncClient talks long-polling here: its WebSocket transport
(python-engineio 4.15) needs aiohttp >= 3.11 and Rasa 3.6 pins 3.9. The
WebSocket handshake is checked with `websockets` (Sanic's own dependency), and
rasa-webchat upgrades to WebSocket in tests/browser/test_webchat.py.
"""

from __future__ import annotations

import asyncio
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import socketio

from channels.render_credentials import render
from tests.support.live import LiveAssistant

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = "http://127.0.0.1:8080"
EVIL = "https://evil.example"
QUESTION = "how long does physical therapy take to work?"
ANSWER_START = "There is no fixed timeline"
EMERGENCY = "my face is drooping and my arm went weak"
REPLY_TIMEOUT = 90  # s; the first answer also wakes the action server


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveAssistant]:
    credentials, on, _ = render((ROOT / "credentials.yml").read_text(), {})
    assert "channels.socketio.GuardedSocketIOInput" in on
    assistant = LiveAssistant(
        tmp_path_factory.mktemp("socketio"), credentials=credentials, cors=[ALLOWED]
    )
    try:
        assistant.start()
        yield assistant
    finally:
        assistant.stop()


Messages = list[dict[str, Any]]


class Chat:
    """One rasa-webchat-like client: session_request, user_uttered, bot_uttered."""

    def __init__(self, url: str, origin: str | None = ALLOWED, transport="polling"):
        self.url = url
        self.headers = {"Origin": origin} if origin else {}
        self.transports = [transport] if transport else None
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: asyncio.Queue = asyncio.Queue()
        self.confirmed: asyncio.Queue = asyncio.Queue()
        self.session_id: str | None = None
        self.client.on("bot_uttered", self.received.put_nowait)
        self.client.on("session_confirm", self.confirmed.put_nowait)
        self.disconnected = asyncio.Event()
        self.client.on("disconnect", lambda *_: self.disconnected.set())

    async def open(self, session_id: str | None = None) -> str:
        await self.client.connect(
            self.url,
            headers=self.headers,
            transports=self.transports,
            wait_timeout=15,
        )
        await self.client.emit("session_request", {"session_id": session_id})
        self.session_id = await asyncio.wait_for(self.confirmed.get(), 30)
        return self.session_id

    async def say(self, text: str, session_id: str | None = None) -> None:
        await self.client.emit(
            "user_uttered",
            {
                "message": text,
                "session_id": session_id or self.session_id,
                "customData": {"language": "en"},
            },
        )

    async def replies(
        self, done: Callable[[Messages], bool], timeout: float = REPLY_TIMEOUT
    ) -> Messages:
        """Messages until `done(messages)`, then whatever follows within 1.5 s."""
        messages: Messages = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not done(messages):
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"no complete reply in {timeout}s: {messages}")
            try:
                messages.append(await asyncio.wait_for(self.received.get(), left))
            except asyncio.TimeoutError:
                continue
        while True:
            try:
                messages.append(await asyncio.wait_for(self.received.get(), 1.5))
            except asyncio.TimeoutError:
                return messages

    async def close(self) -> None:
        # Engine.IO close without waiting for the pending long-poll (up to the
        # 25 s ping interval); the server still sees the socket go.
        await self.client.eio.disconnect(abort=True)
        await asyncio.sleep(0.2)


def texts(messages: Messages) -> list[str]:
    return [m.get("text", "") for m in messages]


def has_text(part: str) -> Callable[[Messages], bool]:
    return lambda messages: any(part in t for t in texts(messages))


def user_texts(live: LiveAssistant, sender: str) -> list[str]:
    return [
        e.get("text") for e in live.tracker(sender)["events"] if e["event"] == "user"
    ]


def run(coro):
    return asyncio.run(coro)


# --- (a) a conversation, and a reload that resumes it ----------------------------


def test_faq_answer_with_buttons_and_a_reload_resumes(live: LiveAssistant):
    async def scenario():
        chat = Chat(live.url)
        session_id = await chat.open()
        await chat.say(QUESTION)
        messages = await chat.replies(lambda m: any(x.get("quick_replies") for x in m))
        await chat.close()

        reloaded = Chat(live.url)  # a new socket with the stored id
        resumed = await reloaded.open(session_id)
        await reloaded.say("/book_appointment")
        booking = await reloaded.replies(lambda m: bool(m))
        await reloaded.close()
        return session_id, messages, resumed, booking

    session_id, messages, resumed, booking = run(scenario())
    said = texts(messages)
    assert said[0].startswith(ANSWER_START), said
    assert any("not medical advice" in t for t in said), said
    buttons = [b["title"] for m in messages for b in m.get("quick_replies", [])]
    assert "Book a visit" in buttons and "Ask another question" in buttons
    assert resumed == session_id
    assert booking
    assert user_texts(live, session_id) == [QUESTION, "/book_appointment"]


def test_ids_the_server_did_not_issue_get_a_new_session(live: LiveAssistant):
    async def scenario():
        ids = []
        for requested in ("rest-sender-1", "3f2b9c1e6a4d4f7f8e0b1a2c3d4e5f60"):
            chat = Chat(live.url)
            ids.append(await chat.open(requested))
            await chat.close()
        return ids

    ids = run(scenario())
    assert "rest-sender-1" not in ids and "3f2b9c1e6a4d4f7f8e0b1a2c3d4e5f60" not in ids
    assert ids[0] != ids[1]


# --- (b) origins ----------------------------------------------------------------


def test_a_page_on_another_origin_cannot_connect(live: LiveAssistant):
    async def scenario():
        chat = Chat(live.url, origin=EVIL)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await chat.open()

    run(scenario())


async def websocket_handshake(url: str, origin: str) -> int | None:
    """None if a WebSocket opens from `origin`, else the HTTP status."""
    import websockets

    ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    try:
        async with websockets.connect(ws_url, origin=origin, open_timeout=15) as ws:
            assert (await asyncio.wait_for(ws.recv(), 10)).startswith("0{")  # open
            return None
    except websockets.exceptions.InvalidStatusCode as error:
        return error.status_code


def test_a_websocket_from_another_origin_is_refused(live: LiveAssistant):
    assert run(websocket_handshake(live.url, EVIL)) == 400
    assert run(websocket_handshake(live.url, ALLOWED)) is None


def polling_handshake(url: str, origin: str):
    request = urllib.request.Request(
        url + "/socket.io/?EIO=4&transport=polling", headers={"Origin": origin}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


def test_http_handshake_checks_the_origin_and_sends_one_cors_header(live):
    status, headers = polling_handshake(live.url, EVIL)
    assert status == 400
    assert EVIL not in (headers.get_all("Access-Control-Allow-Origin") or [])
    status, headers = polling_handshake(live.url, ALLOWED)
    assert status == 200
    # One header: two (ours and Sanic-Cors's) make browsers drop the response.
    assert headers.get_all("Access-Control-Allow-Origin") == [ALLOWED]


# --- (c) one client cannot write into another's conversation --------------------


def test_a_message_naming_another_session_stays_out_of_it(live: LiveAssistant):
    intruder_text = "does tens help nerve pain"

    async def scenario():
        alice, mallory = Chat(live.url), Chat(live.url)
        alice_id = await alice.open()
        await alice.say("hello")
        await alice.replies(lambda m: bool(m))
        mallory_id = await mallory.open(alice_id + "x")  # a guess: rejected
        await mallory.say(intruder_text, session_id=alice_id)
        await mallory.replies(has_text("mild electrical pulses"))
        await asyncio.sleep(2)
        leaked = [alice.received.get_nowait() for _ in range(alice.received.qsize())]
        await alice.close()
        await mallory.close()
        return alice_id, mallory_id, leaked

    alice_id, mallory_id, leaked = run(scenario())
    assert mallory_id != alice_id
    assert intruder_text not in user_texts(live, alice_id)
    assert user_texts(live, alice_id) == ["hello"]
    assert user_texts(live, mallory_id) == [intruder_text]  # its own conversation
    assert leaked == []  # and Alice's page saw none of the replies


# --- (d) over-long messages, also starting with "/" ------------------------------


def longest_stored_user_text(live: LiveAssistant) -> int:
    db = sqlite3.connect(live.workdir / "conversations.db")
    (longest,) = db.execute(
        "select coalesce(max(length(json_extract(data, '$.text'))), 0) from events "
        "where type_name = 'user'"
    ).fetchone()
    db.close()
    return longest


def test_over_long_slash_messages_are_not_stored(live: LiveAssistant):
    five_k = "/" + "x" * 5000
    huge = "/" + "x" * 1_100_000

    async def scenario():
        chat = Chat(live.url)
        session_id = await chat.open()
        await chat.say(five_k)
        too_long = await chat.replies(has_text("a bit long"))
        await chat.say(huge)  # over the 512 KB frame limit: the server hangs up
        await asyncio.wait_for(chat.disconnected.wait(), 30)
        await chat.close()
        return session_id, too_long

    session_id, too_long = run(scenario())
    assert "5,000 characters" in texts(too_long)[0]  # the leading "/" is not text
    assert user_texts(live, session_id) == []
    assert longest_stored_user_text(live) < 5000


def test_empty_message_gets_the_empty_reply(live: LiveAssistant):
    async def scenario():
        chat = Chat(live.url)
        session_id = await chat.open()
        await chat.client.emit("user_uttered", {"message": None})  # no initPayload
        await chat.say(" \u200b ")
        replies = await chat.replies(lambda m: bool(m))
        await chat.close()
        return session_id, replies

    session_id, replies = run(scenario())
    assert len(replies) == 1 and "empty" in texts(replies)[0]
    assert user_texts(live, session_id) == []


# --- (e) safety ------------------------------------------------------------------


def test_emergency_gets_the_urgent_care_reply(live: LiveAssistant):
    async def scenario():
        chat = Chat(live.url, transport="polling")
        await chat.open()
        await chat.say(EMERGENCY)
        replies = await chat.replies(lambda m: bool(m))
        await chat.close()
        return replies

    replies = run(scenario())
    assert "Call 911 now" in texts(replies)[0]
