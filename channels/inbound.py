"""The one path from a messaging connector to the assistant.

Every connector (Socket.IO, Twilio SMS and WhatsApp, Telegram, Messenger,
Slack) only translates its provider's format into (sender, text, output
channel) and hands the message here, so they all behave the same, in this order:

1. clean the text (invisible and control characters, NFKC) and cap its length;
   an over-long message that reports an emergency is still told to call
   (channels/guard.py, screen_text);
2. resolve a numbered or titled reply to the option it picks (channels/options.py);
3. deliver it to Rasa, within MESSAGE_DEADLINE_SECONDS;
4. if the conversation store, the lock store or anything else fails, send the
   clinic's apology (clinic/replies.py) through the same channel: never
   silence, never a provider-facing 500 that makes the provider retry.

REST answers within its own HTTP request, so it applies steps 1 and 4 itself
with the same functions (channels/rest.py): its apology is the response body.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.lock_store import LockError

from channels.guard import (
    assistant_payloads,
    keep_metadata,
    screen_command,
    screen_text,
)
from channels.options import resolve_reply
from clinic.replies import apology
from clinic.settings import ClinicSettings, load_settings
from persistence.errors import STORE_FAILURE, StoreUnavailable

logger = logging.getLogger(__name__)

# Upper bound on handling one message, whatever hangs (on top of the action
# server timeout, which is the clinic setting action_timeout_seconds).
MESSAGE_DEADLINE_SECONDS = 45

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


async def deliver(
    channel: str, on_new_message: OnNewMessage, message: UserMessage
) -> str | None:
    """Hand one message to Rasa within the deadline: None if it went through,
    else what failed ("timeout", "store-unavailable" or "internal"), logged.
    Every channel apologises on a failure, each in its own way."""
    STORE_FAILURE.set(None)
    try:
        await asyncio.wait_for(on_new_message(message), MESSAGE_DEADLINE_SECONDS)
    except asyncio.CancelledError:
        raise
    except asyncio.TimeoutError:
        logger.error("%s: message took over %ss", channel, MESSAGE_DEADLINE_SECONDS)
        return "timeout"
    except (StoreUnavailable, LockError) as error:
        logger.warning("%s: conversation store unavailable: %s", channel, error)
        return "store-unavailable"
    except Exception:
        logger.exception("%s: could not handle a message", channel)
        return "internal"
    if STORE_FAILURE.get() is not None:
        logger.warning("%s: conversation store failed during the message", channel)
        return "store-unavailable"
    return None


class Outcome(str, Enum):
    DELIVERED = "delivered"
    SCREENED = "screened"  # empty or over-long: a short reply instead
    APOLOGISED = "apologised"


class Inbound:
    """Clean, cap, resolve, deliver, or apologise: for one channel."""

    def __init__(
        self,
        channel: str,
        on_new_message: OnNewMessage,
        settings: ClinicSettings | None = None,
    ) -> None:
        self.channel = channel
        self.on_new_message = on_new_message
        self.settings = settings or load_settings()

    async def receive(
        self,
        app: Any,
        sender_id: str,
        text: Any,
        output: OutputChannel,
        metadata: dict[str, Any] | None = None,
    ) -> Outcome:
        payloads = assistant_payloads(app)
        screened = screen_text(
            text,
            self.settings.max_message_chars,
            self.settings.emergency_number,
            payloads,
        )
        if screened.text is None:
            await self._send(output, sender_id, screened.reply or "")
            return Outcome.SCREENED
        resolved, choice = await resolve_reply(app, sender_id, screened.text)
        kept = keep_metadata(metadata) or {}
        if choice:
            # The button's payload, written the way Rasa stores its own.
            resolved = screen_command(resolved, payloads)
            kept["selected_option"] = choice
        message = UserMessage(
            resolved,
            output,
            sender_id,
            input_channel=self.channel,
            metadata=kept or None,
        )
        return await self.deliver(message)

    async def deliver(self, message: UserMessage) -> Outcome:
        if await deliver(self.channel, self.on_new_message, message) is None:
            return Outcome.DELIVERED
        await self._send(
            message.output_channel, message.sender_id, apology(self.settings)
        )
        return Outcome.APOLOGISED

    async def _send(self, output: OutputChannel, sender_id: Any, text: str) -> None:
        try:
            await output.send_text_message(str(sender_id), text)
        except Exception:  # the provider is down too: the log is all we have
            logger.exception("%s: could not send a reply", self.channel)
