"""Socket.IO (rasa-webchat) with the same input rules as the REST channel."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from channels.guard import guard_messages


class GuardedSocketIOInput(SocketIOInput):
    """Rasa's Socket.IO channel; empty or over-long messages get a short reply."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        from actions.settings import load_settings

        settings = load_settings()
        guarded = guard_messages(
            on_new_message, settings.max_message_chars, settings.emergency_number
        )
        return super().blueprint(guarded)
