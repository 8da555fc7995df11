"""Facebook Messenger: Rasa's signature check (app secret, X-Hub-Signature) kept,
answered with 403; replies split to 2,000 characters; buttons as a button
template when Messenger can show them, otherwise numbered options.
Webhook: /webhooks/facebook/webhook.

Link buttons (channels/links.py): a tel: link is a call button (`phone_number`),
a web link a `web_url` button; Messenger has no button for sms:, so a text link
is written under the text ("Text 988"). Neither sends a postback, so a link never
reaches the assistant as a payload. Meta asks for call numbers in international
form (+15105551234); if it refuses a call button (e.g. a short number such as
911), the reply is sent again with the links written out, so it is never lost.

credentials.yml:

    channels.messenger.ClinicMessengerInput:
      verify: ${MESSENGER_VERIFY_TOKEN}
      secret: ${MESSENGER_APP_SECRET}
      page-access-token: ${MESSENGER_PAGE_ACCESS_TOKEN}

Optional: api_version (Graph API, e.g. "19.0"), max_length, api_base_url
(another Graph API host, e.g. a test double). Sends carry appsecret_proof.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fbmessenger import MessengerClient
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.facebook import FacebookInput, Messenger
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.credentials import required_credentials
from channels.formatting import (
    MESSENGER_BUTTONS_TEXT_LIMIT,
    MESSENGER_LIMIT,
    with_options,
)
from channels.inbound import Inbound
from channels.links import CALL, WEB, dial_number, is_link, link_kind
from channels.output import FormattedOutput, message_limit

logger = logging.getLogger(__name__)

MAX_BUTTONS = 3  # button template
MAX_BUTTON_TITLE = 20
MAX_BUTTON_PAYLOAD = 1000
HASH_METHODS = ("sha1", "sha256")


class ClinicMessengerBot(FormattedOutput):
    """Sends through the Graph API Send API (blocking client, run in a thread)."""

    channel_name = "facebook"

    def __init__(self, client: MessengerClient, limit: int) -> None:
        super().__init__(limit, buttons_text_limit=MESSENGER_BUTTONS_TEXT_LIMIT)
        self.client = client

    async def _call(self, method: Callable, *args: Any) -> bool:
        """Whether the Send API accepted the call (failures are logged)."""
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(None, functools.partial(method, *args))
        except Exception:
            logger.exception("facebook: the Send API call failed")
            return False
        if isinstance(result, dict) and result.get("error"):
            logger.error(
                "facebook: the Send API refused a message: %s", result["error"]
            )
            return False
        return True

    def shows_buttons(self, buttons: list[dict[str, Any]]) -> bool:
        return 0 < len(buttons) <= MAX_BUTTONS and all(
            b.get("title")
            and len(b["title"]) <= MAX_BUTTON_TITLE
            and (
                self.shows_link(b)
                if is_link(b)
                else bool(b.get("payload")) and len(b["payload"]) <= MAX_BUTTON_PAYLOAD
            )
            for b in buttons
        )

    def shows_link(self, button: dict[str, Any]) -> bool:
        return link_kind(button) in (CALL, WEB)

    @staticmethod
    def template_button(button: dict[str, Any]) -> dict[str, Any]:
        kind = link_kind(button) if is_link(button) else None
        if kind == CALL:
            return {
                "type": "phone_number",
                "title": button["title"],
                "payload": dial_number(button),
            }
        if kind == WEB:
            return {"type": "web_url", "title": button["title"], "url": button["url"]}
        return {
            "type": "postback",
            "title": button["title"],
            "payload": button["payload"],
        }

    async def send_part(self, recipient_id: str, text: str) -> None:
        await self._call(self.client.send, {"text": text}, recipient_id, "RESPONSE")

    async def send_part_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]]
    ) -> None:
        payload = {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "button",
                    "text": text or "Choose one:",
                    "buttons": [self.template_button(b) for b in buttons],
                },
            }
        }
        sent = await self._call(self.client.send, payload, recipient_id, "RESPONSE")
        if not sent and any(is_link(b) for b in buttons):
            logger.warning("facebook: sending the refused link buttons as text")
            await self.send_part(recipient_id, with_options(text, buttons))

    async def send_action(self, recipient_id: str, sender_action: str) -> None:
        await self._call(self.client.send_action, sender_action, recipient_id)


class ClinicMessenger(Messenger):
    """Rasa's webhook parser, sending through ClinicMessengerBot."""

    def __init__(
        self,
        channel: ClinicMessengerInput,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        app: Any,
    ) -> None:
        super().__init__(channel.fb_access_token, on_new_message)
        self.inbound = Inbound(self.name(), on_new_message)
        self.channel = channel
        self.app = app

    async def handle(self, payload: dict, metadata: dict[str, Any] | None) -> None:
        """Every message and postback of a (possibly batched) webhook call."""
        for entry in payload.get("entry") or []:
            for message in (entry or {}).get("messaging") or []:
                self.last_message = message
                if message.get("message"):
                    await self.message(message, metadata)
                elif message.get("postback"):
                    await self.postback(message, metadata)

    async def _handle_user_message(
        self, text: str, sender_id: str, metadata: dict[str, Any] | None
    ) -> None:
        out_channel = self.channel.get_output_channel()
        await out_channel.send_action(sender_id, "mark_seen")
        await out_channel.send_action(sender_id, "typing_on")
        try:
            await self.inbound.receive(self.app, sender_id, text, out_channel, metadata)
        finally:
            await out_channel.send_action(sender_id, "typing_off")


class ClinicMessengerInput(FacebookInput):
    """Rasa's FacebookInput with status codes for rejects and the clinic's output."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = required_credentials(cls, credentials)
        channel = super().from_credentials(credentials)
        channel.api_base_url = credentials.get("api_base_url")
        channel.api_version = credentials.get("api_version")
        channel.limit = message_limit(
            credentials.get("max_length"), MESSENGER_LIMIT, cls.name()
        )
        return channel

    def __init__(self, fb_verify: str, fb_secret: str, fb_access_token: str) -> None:
        from rasa.shared.exceptions import InvalidConfigException

        missing = [
            key
            for key, value in (
                ("verify", fb_verify),
                ("secret", fb_secret),
                ("page-access-token", fb_access_token),
            )
            if not value
        ]
        if missing:
            raise InvalidConfigException(
                f"facebook: missing {', '.join(missing)} (see docs/channels.md)"
            )
        super().__init__(fb_verify, fb_secret, fb_access_token)
        self.api_base_url: str | None = None
        self.api_version: str | None = None
        self.limit = MESSENGER_LIMIT

    def make_client(self) -> MessengerClient:
        options: dict[str, Any] = {"app_secret": self.fb_secret}
        if self.api_version:
            options["api_version"] = self.api_version
        client = MessengerClient(self.fb_access_token, **options)
        if self.api_base_url:
            client.graph_url = f"{self.api_base_url.rstrip('/')}/v{client.api_version}"
        return client

    def get_output_channel(self) -> ClinicMessengerBot:
        return ClinicMessengerBot(self.make_client(), self.limit)

    def is_signed(self, request: Request) -> bool:
        """Rasa's X-Hub-Signature check, limited to SHA-1/SHA-256.

        If Meta also sent X-Hub-Signature-256, that one must match as well.
        """
        signature = request.headers.get("X-Hub-Signature") or ""
        if signature.partition("=")[0] not in HASH_METHODS:
            return False
        if not self.validate_hub_signature(self.fb_secret, request.body, signature):
            return False
        signature_256 = request.headers.get("X-Hub-Signature-256")
        return signature_256 is None or self.validate_hub_signature(
            self.fb_secret, request.body, signature_256
        )

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        webhook = Blueprint("fb_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["GET"])
        async def token_verification(request: Request) -> HTTPResponse:
            token = request.args.get("hub.verify_token") or ""
            if hmac.compare_digest(token.encode(), str(self.fb_verify).encode()):
                return response.text(request.args.get("hub.challenge") or "")
            logger.warning("facebook: wrong verify token in the webhook set-up")
            return response.text("Invalid verify token", status=403)

        @webhook.route("/webhook", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            if not self.is_signed(request):
                logger.warning(
                    "facebook: rejected a request without a valid X-Hub-Signature "
                    "(check the app secret)"
                )
                return response.text("Invalid signature", status=403)
            payload = request.json
            if not isinstance(payload, dict) or not isinstance(
                payload.get("entry"), list
            ):
                return response.text("Not a Messenger event", status=400)
            messenger = ClinicMessenger(self, on_new_message, request.app)
            await messenger.handle(payload, self.get_metadata(request))
            return response.text("success")

        return webhook
