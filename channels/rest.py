"""REST channel that apologises instead of going silent when a store is down.

credentials.yml:

    channels.rest.ResilientRestInput:

Same URL and JSON as Rasa's REST channel (POST /webhooks/rest/webhook with
{"sender": ..., "message": ...}), so the chat widget doesn't change. What
differs: if the conversation can't be read, locked or saved, or anything
else fails, the reply is one message saying so, with the clinic's phone
number, never an empty list or a 500, and the header
`X-Assistant-Error` tells monitoring what happened. Nothing about the failed
message is kept, so the stored conversation and what the patient saw agree.
Streaming (`?stream=true`) is not offered by this channel.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.fallback import offline_reply
from channels.guard import (
    EXPECTED,
    BodyError,
    assistant_payloads,
    chosen_language,
    parse_rest_body,
    screen_text,
)
from channels.inbound import deliver
from clinic.replies import apology
from clinic.settings import load_settings

logger = logging.getLogger(__name__)


class ResilientRestInput(RestInput):
    """Rasa's REST channel, with an apology instead of silence on failures."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def __init__(self) -> None:
        self.settings = load_settings()
        self.apology = apology(self.settings)

    def _reply(
        self, sender_id: str, texts: list[str], reason: str = ""
    ) -> HTTPResponse:
        headers = {"X-Assistant-Error": reason} if reason else None
        return response.json(
            [{"recipient_id": sender_id, "text": t} for t in texts], headers=headers
        )

    async def handle(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> HTTPResponse:
        body, error = parse_rest_body(request.body or b"")
        if body is None:
            error = error or BodyError(400, EXPECTED)
            return response.json({"error": error.message}, status=error.status)
        sender_id = body["sender"]
        screened = screen_text(
            body["message"],
            self.settings.max_message_chars,
            self.settings.emergency_number,
            assistant_payloads(request.app),
        )
        if screened.text is None:  # empty or over-long: a short reply instead
            return self._reply(sender_id, [screened.reply or ""])
        text = screened.text
        collector = CollectingOutputChannel()
        message = UserMessage(
            text,
            collector,
            sender_id,
            # Not the body's "input_channel", and of its "metadata" only the
            # chosen language: both would be stored as sent
            # (session_started_metadata included).
            input_channel=self.name(),
            metadata=chosen_language(body.get("metadata")),
        )
        failure = await deliver(self.name(), on_new_message, message)
        if failure:  # what was collected so far is not sent: the apology instead
            return self._reply(sender_id, [self.apology], failure)
        if not collector.messages:
            # Understood, but the action server did not answer (down, slow, error).
            return await self._answer_without_actions(request, sender_id, text)
        return response.json(collector.messages)

    async def _answer_without_actions(
        self, request: Request, sender_id: str, text: str
    ) -> HTTPResponse:
        agent = request.app.ctx.agent
        try:
            parse = await agent.parse_message(text)
        except Exception:  # noqa: BLE001 - the apology below is the answer
            logger.exception("Could not parse for the offline answer")
            parse = {}
        texts = offline_reply(parse, agent.domain.responses, self.settings)
        logger.warning("No reply from the actions; sent the offline answer")
        return self._reply(sender_id, texts, "actions-unavailable")

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[None]]
    ) -> Blueprint:
        """GET / (health) and POST /webhook under /webhooks/rest/ (/ready: runtime/)."""
        module = inspect.getmodule(self)
        webhook = Blueprint(
            f"resilient_webhook_{type(self).__name__}",
            module.__name__ if module else None,
        )

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.handle(request, on_new_message)

        return webhook
