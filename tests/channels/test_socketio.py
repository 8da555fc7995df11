"""Socket.IO channel without servers: origins, session ids, binding, input rules."""

from __future__ import annotations

import asyncio

import pytest

from channels.guard import is_button_payload, screen_text
from channels.socketio import (
    GuardedSocketIOInput,
    SessionIds,
    SocketSessions,
    allowed_origins,
    engineio_origins,
    maybe_await,
    parse_origins,
)

# --- origins -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, []),
        ("", []),
        ("   ", []),
        ([], []),
        ("http://127.0.0.1:8080", ["http://127.0.0.1:8080"]),
        (
            "http://127.0.0.1:8080 http://localhost:8080",
            ["http://127.0.0.1:8080", "http://localhost:8080"],
        ),
        (
            "https://a.example, https://b.example",
            ["https://a.example", "https://b.example"],
        ),
        (
            ["https://a.example", " https://b.example/ "],
            ["https://a.example", "https://b.example"],
        ),
        ("https://WWW.Clinic.Example/", ["https://www.clinic.example"]),
        ("https://a.example https://a.example", ["https://a.example"]),
    ],
)
def test_origin_lists_are_parsed(value, expected):
    assert parse_origins(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "*",
        ["*"],
        "https://a.example *",
        "https://*.example",
        "evil.example",
        "ftp://a.example",
        "https://a.example/chat",
        "https://a.example/?x=1",
        "https://user@a.example",
        "https://a.example:port",
        "null",
        5,
        {"origin": "https://a.example"},
    ],
)
def test_wildcards_and_non_origins_are_refused(value):
    with pytest.raises(ValueError):
        parse_origins(value)


def test_a_bad_environment_value_names_the_variable():
    with pytest.raises(ValueError, match="CORS_ORIGINS"):
        allowed_origins(None, {"CORS_ORIGINS": "*"})


def test_the_credentials_key_wins_over_the_environment():
    env = {"CORS_ORIGINS": "https://env.example"}
    assert allowed_origins(None, env) == ["https://env.example"]
    assert allowed_origins(["https://key.example"], env) == ["https://key.example"]
    assert allowed_origins("", env) == []  # set but empty: own origin only
    assert allowed_origins(None, {}) == []


def test_an_empty_list_means_same_origin_never_no_check():
    # engine.io: [] switches the Origin check off, None is "same origin only".
    assert engineio_origins([]) is None
    assert engineio_origins(["https://a.example"]) == ["https://a.example"]


# --- session ids ---------------------------------------------------------------


def test_issued_ids_are_unguessable_and_verified():
    ids = SessionIds()
    issued = {ids.issue() for _ in range(200)}
    assert len(issued) == 200
    for session_id in issued:
        assert ids.issued(session_id)
        assert len(session_id) < 128


@pytest.mark.parametrize(
    "session_id",
    [
        None,
        "",
        5,
        {"session_id": "x"},
        "3f2b9c1e6a4d4f7f8e0b1a2c3d4e5f60",  # a uuid4 hex, as Rasa issued
        "rest-sender-1",
        "token.",
        ".signature",
        "token.signature",
        "x" * 5000,
    ],
)
def test_ids_the_server_did_not_issue_are_rejected(session_id):
    assert not SessionIds().issued(session_id)


def test_a_tampered_or_foreign_id_is_rejected():
    ids = SessionIds()
    session_id = ids.issue()
    token, signature = session_id.split(".")
    assert not ids.issued(f"{token}x.{signature}")
    assert not ids.issued(f"{token}.{signature[:-1]}")
    assert not SessionIds().issued(session_id)  # another process, another secret


def test_a_configured_secret_is_shared_and_must_be_long():
    secret = "s" * 40
    assert SessionIds(secret).issued(SessionIds(secret).issue())
    with pytest.raises(ValueError):
        SessionIds("short")


def test_session_request_resumes_only_issued_ids():
    sessions = SocketSessions()
    first = sessions.request("sid-1", None)
    assert sessions.ids.issued(first)
    assert sessions.request("sid-2", first) == first  # page reload: same session
    forged = sessions.request("sid-3", "3f2b9c1e6a4d4f7f8e0b1a2c3d4e5f60")
    assert forged != "3f2b9c1e6a4d4f7f8e0b1a2c3d4e5f60" and sessions.ids.issued(forged)
    assert sessions.request("sid-4", "rest-sender-1") not in ("rest-sender-1", first)


def test_messages_go_to_the_session_bound_to_their_socket():
    sessions = SocketSessions()
    alice = sessions.request("sid-a", None)
    mallory = sessions.request("sid-m", None)
    assert sessions.sender("sid-a", alice) == alice
    assert sessions.sender("sid-a") == alice
    # Mallory names Alice's session: stored in Mallory's own.
    assert sessions.sender("sid-m", alice) == mallory
    # No session_request yet: nothing to store it in.
    assert sessions.sender("sid-unknown", alice) is None
    sessions.forget("sid-a")
    assert sessions.sender("sid-a", alice) is None


def test_enter_room_is_awaited_whether_or_not_it_is_a_coroutine():
    calls = []

    async def coroutine_enter_room():
        calls.append("async")

    def plain_enter_room():
        calls.append("sync")

    async def both():
        await maybe_await(coroutine_enter_room())
        await maybe_await(plain_enter_room())

    asyncio.run(both())
    assert calls == ["async", "sync"]


# --- the channel ---------------------------------------------------------------


CREDENTIALS = {
    "user_message_evt": "user_uttered",
    "bot_message_evt": "bot_uttered",
    "session_persistence": True,
}


async def _ignore(message):
    return None


def test_the_server_checks_origins_against_the_allow_list(monkeypatch):
    monkeypatch.setenv("CORS_ORIGINS", "http://127.0.0.1:8080 http://localhost:8080")
    channel = GuardedSocketIOInput.from_credentials(dict(CREDENTIALS))
    assert channel.session_persistence is True
    channel.blueprint(_ignore)
    eio = channel.sio.eio
    assert eio.cors_allowed_origins == [
        "http://127.0.0.1:8080",
        "http://localhost:8080",
    ]
    environ = {"HTTP_ORIGIN": "https://evil.example"}
    assert "https://evil.example" not in eio._cors_allowed_origins(environ)
    # CORS headers come from Rasa's --cors (Sanic-Cors), not twice.
    assert eio._cors_headers({"HTTP_ORIGIN": "http://localhost:8080"}) == []


def test_without_origins_only_the_servers_own_origin_is_allowed(monkeypatch):
    monkeypatch.delenv("CORS_ORIGINS", raising=False)
    channel = GuardedSocketIOInput.from_credentials(dict(CREDENTIALS))
    channel.blueprint(_ignore)
    eio = channel.sio.eio
    assert eio.cors_allowed_origins is None
    environ = {"wsgi.url_scheme": "https", "HTTP_HOST": "bot.example"}
    assert eio._cors_allowed_origins(environ) == ["https://bot.example"]


def test_a_wildcard_in_the_credentials_stops_the_channel(monkeypatch):
    monkeypatch.delenv("CORS_ORIGINS", raising=False)
    with pytest.raises(ValueError):
        GuardedSocketIOInput.from_credentials(
            {**CREDENTIALS, "cors_allowed_origins": ["*"]}
        )


# --- input rules ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["/book_appointment", "/another_question", '/faq{"faq_topic":"pt_timeline"}'],
)
def test_the_assistants_button_payloads_are_exempt(text):
    assert is_button_payload(text)
    assert screen_text(text, 10, "911").text == text


@pytest.mark.parametrize(
    "text",
    [
        "/" + "x" * 1_100_000,
        "/faq" + "{" + "a" * 300 + "}",
        "/book_appointment and then a long story " + "y" * 2000,
        "/faq{\n}",
        "//",
    ],
)
def test_text_starting_with_a_slash_is_not_a_payload(text):
    assert not is_button_payload(text)


def test_over_long_slash_messages_get_the_too_long_reply():
    screened = screen_text("/" + "x" * 1_100_000, 1000, "911")
    assert screened.text is None and "1,100,000 characters" in screened.reply
    urgent = screen_text(
        "/ my face is drooping and my arm went weak " * 50, 1000, "911"
    )
    assert urgent.reply.startswith("If this is an emergency, call 911 now.")


def test_empty_and_non_text_messages_get_the_empty_reply():
    for raw in ("", "  \u200b ", None, {"text": "hi"}, 5):
        screened = screen_text(raw, 1000, "911")
        assert screened.text is None and "empty" in screened.reply
