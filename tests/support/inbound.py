"""A channel's inbound path (channels/inbound.py) fed with Rasa UserMessages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from rasa.core.channels.channel import UserMessage

from channels.inbound import Inbound, Outcome
from clinic.settings import load_settings


def guarded_by_inbound(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    max_chars: int = 1000,
    emergency_number: str = "911",
) -> Callable[[UserMessage], Awaitable[Outcome]]:
    settings = replace(
        load_settings(environ={}),
        max_message_chars=max_chars,
        emergency_number=emergency_number,
    )
    inbound = Inbound("test", on_new_message, settings)

    async def receive(message: UserMessage) -> Outcome:
        return await inbound.receive(
            None,
            message.sender_id,
            message.text,
            message.output_channel,
            message.metadata,
        )

    return receive
