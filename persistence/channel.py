"""REST channel that apologises instead of going silent when a store is down.

credentials.yml:

    persistence.channel.ResilientRestInput:

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

import asyncio
import inspect
import logging
from typing import Any, Awaitable, Callable, List, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.lock_store import LockError
from rasa.core.tracker_store import FailSafeTrackerStore
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.fallback import offline_reply
from channels.guard import (
    assistant_payloads,
    chosen_language,
    parse_rest_body,
    remember_payloads,
    screen_text,
)
from persistence import readiness, server
from persistence.errors import STORE_FAILURE, StoreUnavailable
from persistence.redacting import RedactingSQLTrackerStore
from persistence.redaction import install_log_redaction
from persistence.tuning import (
    compile_action_response_schema,
    limit_action_server_wait,
    load_models_without_tracing_training,
)

logger = logging.getLogger(__name__)

# Upper bound on handling one message, whatever hangs (on top of the action
# server timeout, which is the clinic setting action_timeout_seconds).
MESSAGE_DEADLINE_SECONDS = 45


def apology_text() -> str:
    """The reply when a message couldn't be handled, with the clinic's numbers."""
    try:
        from actions.settings import load_settings

        settings = load_settings()
        contact = f"call {settings.name} at {settings.phone}"
        emergency = f" In an emergency, call {settings.emergency_number}."
    except Exception:  # no clinic.yml: still apologise
        contact, emergency = "call the clinic", ""
    return (
        "Sorry, I couldn't answer that just now because of a technical problem "
        "on our side. Please send your message again in a minute. If you need "
        f"help sooner, {contact}.{emergency}"
    )


def use_strict_tracker_store(app: Any) -> None:
    """Let our tracker store's errors reach this channel.

    Rasa wraps every tracker store in a FailSafeTrackerStore, which turns a
    failed read into "no conversation yet" and a failed write into an
    in-memory copy. RedactingSQLTrackerStore reports failures itself, so the
    wrapper is removed for it (other stores keep it).
    """
    agent = getattr(app.ctx, "agent", None)
    store = getattr(agent, "tracker_store", None)
    if not isinstance(store, FailSafeTrackerStore):
        return
    inner = getattr(store, "_tracker_store", None)
    if isinstance(inner, RedactingSQLTrackerStore):
        agent.tracker_store = inner
        if getattr(agent, "processor", None) is not None:
            agent.processor.tracker_store = inner


class ResilientRestInput(RestInput):
    """Rasa's REST channel, with an apology instead of silence on failures."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def __init__(self) -> None:
        from actions.settings import load_settings

        readiness.mark("imports")
        install_log_redaction()
        self.apology = apology_text()
        self.settings = load_settings()
        limit_action_server_wait(self.settings.action_timeout_seconds)
        compile_action_response_schema()
        load_models_without_tracing_training()

    def _reply(
        self, sender_id: Text, texts: List[Text], reason: str = ""
    ) -> HTTPResponse:
        headers = {"X-Assistant-Error": reason} if reason else None
        return response.json(
            [{"recipient_id": sender_id, "text": t} for t in texts], headers=headers
        )

    def _apology(self, sender_id: Text, reason: str) -> HTTPResponse:
        return response.json(
            [{"recipient_id": sender_id, "text": self.apology}],
            headers={"X-Assistant-Error": reason},
        )

    async def handle(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> HTTPResponse:
        body, error = parse_rest_body(request.body or b"")
        if body is None:
            return response.json({"error": error.message}, status=error.status)
        sender_id = body["sender"]
        screened = screen_text(
            body["message"],
            self.settings.max_message_chars,
            self.settings.emergency_number,
            assistant_payloads(request.app),
        )
        if screened.text is None:  # empty or over-long: a short reply instead
            return self._reply(sender_id, [screened.reply])
        text = screened.text
        use_strict_tracker_store(request.app)
        STORE_FAILURE.set(None)
        collector = CollectingOutputChannel()
        try:
            await asyncio.wait_for(
                on_new_message(
                    UserMessage(
                        text,
                        collector,
                        sender_id,
                        # Not the body's "input_channel", and of its "metadata"
                        # only the chosen language: both would be stored as
                        # sent (session_started_metadata included).
                        input_channel=self.name(),
                        metadata=chosen_language(body.get("metadata")),
                    )
                ),
                timeout=MESSAGE_DEADLINE_SECONDS,
            )
        except asyncio.TimeoutError:
            logger.error("Message took over %ss; apologised", MESSAGE_DEADLINE_SECONDS)
            return self._apology(sender_id, "timeout")
        except asyncio.CancelledError:
            raise
        except (StoreUnavailable, LockError) as error:
            logger.warning("Message not handled, replied with an apology: %s", error)
            return self._apology(sender_id, "store-unavailable")
        except Exception:
            logger.exception("Message not handled, replied with an apology")
            return self._apology(sender_id, "internal")
        if STORE_FAILURE.get() is not None:
            logger.warning("Conversation store failed during the message; apologised")
            return self._apology(sender_id, "store-unavailable")
        if not collector.messages:
            # Understood, but the action server did not answer (down, slow, error).
            return await self._answer_without_actions(request, sender_id, text)
        return response.json(collector.messages)

    async def _answer_without_actions(
        self, request: Request, sender_id: Text, text: Text
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
        """GET / (health), GET /ready and POST /webhook under /webhooks/rest/."""
        module = inspect.getmodule(self)
        webhook = Blueprint(
            f"resilient_webhook_{type(self).__name__}",
            module.__name__ if module else None,
        )

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        # Trace the model's graphs before the first patient, and log the split.
        webhook.listener("after_server_start")(readiness.warm_up)
        # Body size and time limits, no version banner on GET / (persistence/server.py).
        webhook.listener("before_server_start")(server.apply_limits)
        # The button payloads of the served model, for every channel's guard.
        webhook.listener("after_server_start")(remember_payloads)

        @webhook.route("/ready", methods=["GET"])
        async def ready(request: Request) -> HTTPResponse:
            """200 once the model is loaded and the action server takes our calls."""
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                return response.json({"ready": False, "reason": "no model"}, 503)
            ok, reason = await readiness.actions_ready(agent)
            return response.json({"ready": ok, "reason": reason}, 200 if ok else 503)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.handle(request, on_new_message)

        return webhook
