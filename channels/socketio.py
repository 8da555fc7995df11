"""Socket.IO (rasa-webchat) with the same input rules as the REST channel.

credentials.yml:

    channels.socketio.GuardedSocketIOInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      session_persistence: true

What differs from Rasa's SocketIOInput (whose blueprint is not used):

- Origins: a browser may only connect from the origins of the allow-list, the
  same list as the REST channel's: the CORS_ORIGINS environment variable
  (space-separated; scripts/run.sh exports it and passes it to `rasa run
  --cors` too) or a `cors_allowed_origins` key (a list or a space-separated
  string), which wins when present. An empty or unset list means the server's
  own origin only; "*" is refused. Rasa's `cors_allowed_origins=[]` switched
  the check off, so any site could open a session.
- Session ids are issued by the server: a random token and its HMAC
  (SessionIds). A `session_request` resumes an id only if this server issued it
  (a page reload resumes the conversation); any other id (forged, a REST sender
  id, issued under another secret) gets a new one. The secret is per process
  unless SOCKETIO_SESSION_SECRET is set (set it to keep conversations across
  restarts; at least 32 characters).
- The session id is bound to the socket that requested it: a `user_uttered`
  message is stored in that socket's session, whatever `session_id` it names,
  so a client cannot write into another conversation.
- `enter_room` is awaited (python-socketio 5.10+ made it a coroutine; Rasa
  3.6.21 did not await it, so with session_persistence no reply arrived).
- Every message goes through channels/guard.py like a REST message: cleaned,
  empty or over-long text gets a short reply (also text starting with "/";
  only exact short button payloads are exempt); a message without text (what
  rasa-webchat sends when no initPayload is set) is ignored. Of the client
  metadata (rasa-webchat's customData) only `language` ("en" or "es", the
  visitor's choice) is kept; the rest is not stored.
- Frames over 512 KB (the REST body limit) close the connection.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import inspect
import logging
import os
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import rasa.core.channels.channel
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from channels.guard import MAX_BODY_BYTES, chosen_language
from channels.inbound import Inbound
from channels.output import LinkSafeOutput

logger = logging.getLogger(__name__)

ORIGINS_ENV = "CORS_ORIGINS"
SECRET_ENV = "SOCKETIO_SESSION_SECRET"
MIN_SECRET_CHARS = 32
MAX_SESSION_ID_CHARS = 128


# --- origins -------------------------------------------------------------------


def parse_origins(
    value: None | str | list[Any], source: str = "cors_allowed_origins"
) -> list[str]:
    """The allow-list as origins ("https://host[:port]"), from a list or a string.

    A string (or each list item) is split on spaces and commas; empty means no
    cross-origin page at all (the server's own origin only). "*" and anything
    that is not a bare http(s) origin raise ValueError naming `source`, so a
    typo cannot open the channel to every site.
    """
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{source}: expected a list or a string, got {value!r}")
    items = [part for item in value for part in str(item).replace(",", " ").split()]
    origins: list[str] = []
    for item in items:
        if "*" in item:
            raise ValueError(
                f"{source}: '*' is not allowed; list the origins of the pages "
                "that embed the chat (e.g. https://www.example-clinic.org)"
            )
        parts = urlsplit(item.rstrip("/"))
        try:
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            parts = urlsplit("")
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path
            or parts.query
            or parts.fragment
            or "@" in parts.netloc
        ):
            raise ValueError(
                f"{source}: {item!r} is not an origin "
                "(scheme://host[:port], e.g. https://www.example-clinic.org)"
            )
        origin = f"{parts.scheme}://{parts.netloc.lower()}"
        if origin not in origins:
            origins.append(origin)
    return origins


def allowed_origins(
    configured: None | str | list[Any], environ: Mapping[str, str]
) -> list[str]:
    """The `cors_allowed_origins` credentials key if set, else $CORS_ORIGINS."""
    if configured is not None:
        return parse_origins(configured, "cors_allowed_origins")
    return parse_origins(environ.get(ORIGINS_ENV), ORIGINS_ENV)


def engineio_origins(origins: list[str]) -> list[str] | None:
    """What AsyncServer's cors_allowed_origins gets: never [] (that turns the
    Origin check off) and never "*": an empty list becomes None, which is
    engine.io's "same origin only"."""
    return list(origins) or None


# --- session ids ---------------------------------------------------------------


class SessionIds:
    """Session ids this server issues: "<random token>.<HMAC-SHA256 of it>"."""

    def __init__(self, secret: None | str | bytes = None) -> None:
        if secret is None or secret == "":
            secret = secrets.token_bytes(32)  # per process
        elif len(secret) < MIN_SECRET_CHARS:
            raise ValueError(
                f"{SECRET_ENV} must be at least {MIN_SECRET_CHARS} characters"
            )
        self._key = secret.encode() if isinstance(secret, str) else secret

    def _signature(self, token: str) -> str:
        digest = hmac.new(self._key, token.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")

    def issue(self) -> str:
        token = secrets.token_urlsafe(24)
        return f"{token}.{self._signature(token)}"

    def issued(self, session_id: object) -> bool:
        """True only for an id this server (this secret) issued."""
        if not isinstance(session_id, str) or len(session_id) > MAX_SESSION_ID_CHARS:
            return False
        token, dot, signature = session_id.partition(".")
        if not token or not dot:
            return False
        return hmac.compare_digest(
            signature.encode("utf-8", "replace"),
            self._signature(token).encode(),
        )


class SocketSessions:
    """Which session (conversation) each connected socket may write to."""

    def __init__(self, ids: SessionIds | None = None) -> None:
        self.ids = ids or SessionIds()
        self._bound: dict[str, str] = {}

    def request(self, sid: str, requested: object) -> str:
        """The session for a `session_request`: the requested id if this server
        issued it (a reload resumes), else a new one. Bound to `sid`."""
        if self.ids.issued(requested):
            session_id = str(requested)
        else:
            if requested:
                logger.info(
                    "Socket %s asked for a session id this server did not issue; "
                    "gave it a new one",
                    sid,
                )
            session_id = self.ids.issue()
        self._bound[sid] = session_id
        return session_id

    def sender(self, sid: str, claimed: object = None) -> str | None:
        """The session a message from `sid` is stored in: the one bound to it.

        A message naming another session goes to the bound one (logged); a
        socket without a session gets None (the message is dropped).
        """
        bound = self._bound.get(sid)
        if bound is not None and claimed not in (None, "", bound):
            logger.warning(
                "Socket %s sent a message naming another session; "
                "stored in its own session",
                sid,
            )
        return bound

    def session_of(self, sid: str) -> str | None:
        return self._bound.get(sid)

    def forget(self, sid: str) -> None:
        self._bound.pop(sid, None)


async def maybe_await(result: Any) -> Any:
    """Await coroutines (python-socketio >= 5.10) and accept plain values (older)."""
    if inspect.isawaitable(result):
        return await result
    return result


class _EngineIOOriginCheckOnly:
    """Mixed into engine.io's server: keep the Origin check, add no CORS headers.

    Rasa's Sanic-Cors (`rasa run --cors ...`) already adds them to every HTTP
    response, and a second Access-Control-Allow-Origin makes browsers reject
    the long-polling requests.
    """

    def _cors_headers(self, environ: dict) -> list:
        return []


def socketio_server(origins: list[str]) -> AsyncServer:
    """The Socket.IO server: the Origin allow-list, a message size cap."""
    import engineio

    class EngineIOServer(_EngineIOOriginCheckOnly, engineio.AsyncServer):
        pass

    class Server(AsyncServer):
        def _engineio_server_class(self) -> type:
            return EngineIOServer

    return Server(
        async_mode="sanic",
        cors_allowed_origins=engineio_origins(origins),
        # Same bound as a REST body: room for a long message to get "please
        # shorten" rather than a dropped connection.
        max_http_buffer_size=MAX_BODY_BYTES,
    )


# --- the channel ---------------------------------------------------------------


class GuardedSocketIOInput(SocketIOInput):
    """Socket.IO for rasa-webchat: allow-listed origins, server-issued session ids
    bound to their socket, and the REST channel's input rules."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    @classmethod
    def from_credentials(
        cls, credentials: dict[str, Any] | None
    ) -> GuardedSocketIOInput:
        credentials = credentials or {}
        return cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            credentials.get("session_persistence", False),
            credentials.get("socketio_path", "/socket.io"),
            credentials.get("jwt_key"),
            credentials.get("jwt_method", "HS256"),
            cors_allowed_origins=credentials.get("cors_allowed_origins"),
        )

    def __init__(
        self,
        user_message_evt: str = "user_uttered",
        bot_message_evt: str = "bot_uttered",
        namespace: str | None = None,
        session_persistence: bool = False,
        socketio_path: str | None = "/socket.io",
        jwt_key: str | None = None,
        jwt_method: str | None = "HS256",
        metadata_key: str | None = "metadata",
        cors_allowed_origins: None | str | list[Any] = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            user_message_evt,
            bot_message_evt,
            namespace,
            session_persistence,
            socketio_path,
            jwt_key,
            jwt_method,
            metadata_key,
        )
        environ = os.environ if environ is None else environ
        self.allowed_origins = allowed_origins(cors_allowed_origins, environ)
        self.sessions = SocketSessions(SessionIds(environ.get(SECRET_ENV)))

    def _authorised(self, auth: dict | None) -> bool:
        if not self.jwt_key:
            return True
        token = auth.get("token") if isinstance(auth, dict) else None
        return bool(
            token
            and rasa.core.channels.channel.decode_bearer_token(
                token, self.jwt_key, self.jwt_algorithm
            )
        )

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        # Clean, cap, deliver, or apologise on the socket (channels/inbound.py).
        inbound = Inbound(self.name(), on_new_message)
        sio = socketio_server(self.allowed_origins)
        self.sio = sio  # for get_output_channel
        webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        sessions = self.sessions
        logger.info(
            "Socket.IO accepts browsers from %s",
            ", ".join(self.allowed_origins) or "the server's own origin only",
        )

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: dict, auth: dict | None = None) -> bool:
            if not self._authorised(auth):
                logger.info("Socket %s refused: no valid token", sid)
                return False
            logger.debug("Socket %s connected", sid)
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str, *_: Any) -> None:
            sessions.forget(sid)
            logger.debug("Socket %s disconnected", sid)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any = None) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            previous = sessions.session_of(sid)
            if self.session_persistence:
                session_id = sessions.request(sid, requested)
                if previous and previous != session_id:
                    await maybe_await(
                        sio.leave_room(sid, previous, namespace=self.namespace)
                    )
                await maybe_await(
                    sio.enter_room(sid, session_id, namespace=self.namespace)
                )
            else:  # one conversation per socket (sender id = sid), as in Rasa
                session_id = sessions.ids.issue()
            await sio.emit(
                "session_confirm", session_id, room=sid, namespace=self.namespace
            )

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any = None) -> None:
            data = data if isinstance(data, dict) else {}
            if self.session_persistence:
                sender_id = sessions.sender(sid, data.get("session_id"))
                if sender_id is None:
                    logger.warning(
                        "Socket %s sent a message before a session_request; dropped",
                        sid,
                    )
                    return
            else:
                sender_id = sid
            text = data.get("message")
            if not isinstance(text, str):
                # rasa-webchat sends {"message": null} when no initPayload is
                # set: nothing to answer (REST answers a missing message with a 400).
                logger.debug("Socket %s sent a message without text; ignored", sid)
                return
            await inbound.receive(
                None,  # no numbered options on the web: the widget has buttons
                sender_id,
                text,
                LinkSafeOutput(SocketIOOutput(sio, self.bot_message_evt)),
                # Of the client's metadata, only the language the visitor chose.
                chosen_language(data.get(self.metadata_key or "metadata")),
            )

        return webhook
