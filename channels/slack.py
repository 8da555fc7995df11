"""Slack: Rasa's connector (signing secret and five-minute timestamp window kept)
with replies formatted as mrkdwn, split to Slack's block limit, and numbered
replies understood. Webhook: /webhooks/slack/webhook.

credentials.yml:

    channels.slack.ClinicSlackInput:
      slack_token: ${SLACK_BOT_TOKEN}
      slack_signing_secret: ${SLACK_SIGNING_SECRET}

Any key of Rasa's SlackInput works too (slack_channel, use_threads, proxy, ...),
plus max_length and api_base_url (another Slack Web API host, e.g. a test double).
A request whose signature or timestamp fails Rasa's check gets 401 and no reply.

Link buttons (call, text, web: channels/links.py) become URL buttons with no
`value`; Rasa's Slack handler answers their clicks without sending anything to
the assistant. If Slack refuses a link (e.g. a tel: URL), the reply is sent
again with the links written out ("Call 911"), so it is never lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.slack import SlackInput
from sanic import Blueprint, response
from sanic.request import Request
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from channels.credentials import required_credentials
from channels.formatting import SLACK_LIMIT, with_options
from channels.inbound import Inbound
from channels.links import CALL, TEXT, is_link, link_kind
from channels.output import FormattedOutput, message_limit

logger = logging.getLogger(__name__)

MAX_BUTTONS = 5  # more and Slack drops them all
MAX_BUTTON_TITLE = 75
MAX_BUTTON_VALUE = 2000
MAX_BUTTON_URL = 3000


class ClinicSlackBot(FormattedOutput):
    """Posts mrkdwn messages; buttons as an actions block when Slack can show them."""

    channel_name = "slack"
    style = "slack"

    def __init__(
        self,
        client: AsyncWebClient,
        slack_channel: str | None,
        thread_id: str | None,
        limit: int,
    ) -> None:
        super().__init__(limit)
        self.client = client
        self.slack_channel = slack_channel
        self.thread_id = thread_id

    async def _post(self, recipient_id: str, **kwargs: Any) -> None:
        if self.thread_id:
            kwargs["thread_ts"] = self.thread_id
        await self.client.chat_postMessage(
            channel=self.slack_channel or recipient_id, **kwargs
        )

    def shows_buttons(self, buttons: list[dict[str, Any]]) -> bool:
        return 0 < len(buttons) <= MAX_BUTTONS and all(
            b.get("title")
            and len(b["title"]) <= MAX_BUTTON_TITLE
            and (
                len(b["url"]) <= MAX_BUTTON_URL
                if is_link(b)
                else bool(b.get("payload")) and len(b["payload"]) <= MAX_BUTTON_VALUE
            )
            for b in buttons
        )

    def shows_link(self, button: dict[str, Any]) -> bool:
        return link_kind(button) is not None

    @staticmethod
    def button_element(index: int, button: dict[str, Any]) -> dict[str, Any]:
        element: dict[str, Any] = {
            "type": "button",
            "text": {"type": "plain_text", "text": button["title"]},
        }
        if is_link(button):
            # A URL button has no value: its click never reaches the assistant.
            element["url"] = button["url"]
            element["action_id"] = f"link-{index}"
            if link_kind(button) in (CALL, TEXT):
                element["style"] = "primary"
        else:
            element["value"] = button["payload"]
        return element

    async def send_part(self, recipient_id: str, text: str) -> None:
        await self._post(recipient_id, text=text)

    async def send_part_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]]
    ) -> None:
        blocks: list[dict[str, Any]] = []
        if text:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
        blocks.append(
            {
                "type": "actions",
                "elements": [self.button_element(i, b) for i, b in enumerate(buttons)],
            }
        )
        try:
            await self._post(recipient_id, text=text or "Options", blocks=blocks)
        except SlackApiError as error:
            if not any(is_link(b) for b in buttons):
                raise
            logger.warning(
                "slack: link buttons refused (%s); sending them as text",
                error.response.get("error") if error.response else error,
            )
            await self._post(recipient_id, text=with_options(text, buttons))


class ClinicSlackInput(SlackInput):
    """Rasa's SlackInput with the clinic's formatting and numbered replies."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = required_credentials(cls, credentials)
        channel = super().from_credentials(credentials)
        channel.api_base_url = credentials.get("api_base_url")
        channel.limit = message_limit(
            credentials.get("max_length"), SLACK_LIMIT, cls.name()
        )
        return channel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.api_base_url: str | None = None
        self.limit = SLACK_LIMIT
        self._client: AsyncWebClient | None = None
        self._inbound: Inbound | None = None
        self._tasks: set[asyncio.Task] = set()  # kept until done (asyncio docs)

    def client(self) -> AsyncWebClient:
        if self._client is None:
            base_url = self.api_base_url or AsyncWebClient.BASE_URL
            self._client = AsyncWebClient(
                self.slack_token, base_url=base_url, proxy=self.proxy
            )
        return self._client

    def get_output_channel(
        self, channel: str | None = None, thread_id: str | None = None
    ) -> ClinicSlackBot:
        return ClinicSlackBot(
            self.client(), channel or self.slack_channel, thread_id, self.limit
        )

    async def process_message(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: str,
        sender_id: str | None,
        metadata: dict | None,
    ) -> Any:
        """Rasa's Slack handling (retries, reply channel and thread), then the
        one inbound path, in the background: Slack wants its answer in 3 s."""
        retry_count = request.headers.get(self.retry_num_header)
        if retry_count and request.headers.get(self.retry_reason_header) in (
            self.errors_ignore_retry
        ):
            logger.warning("slack: ignored retry #%s", retry_count)
            return response.text(
                "", status=HTTPStatus.CREATED, headers={"X-Slack-No-Retry": "1"}
            )
        metadata = metadata or {}
        thread_id = metadata.get("thread_id") if self.use_threads else None
        output = self.get_output_channel(metadata.get("out_channel"), thread_id)
        if self._inbound is None:
            self._inbound = Inbound(self.name(), on_new_message)
        task = asyncio.create_task(
            self._inbound.receive(request.app, str(sender_id or ""), text, output)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return response.text("")

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        # The REST channel's input rules: cleaned text, a length limit, "/"
        # only for the assistant's own payloads, and of Slack's metadata
        # (reply channel, thread, users) nothing is kept once the reply
        # channel is chosen.
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def reject_unsigned(request: Request) -> response.HTTPResponse | None:
            # Rasa's own check (signing secret, five-minute window), answered
            # with 401 before the handler runs; the handler checks again.
            if request.path.rstrip("/").endswith(
                "/webhook"
            ) and not self.is_request_from_slack_authentic(request):
                logger.warning("slack: rejected a request without a valid signature")
                return response.text(
                    "Invalid or stale Slack signature", status=HTTPStatus.UNAUTHORIZED
                )
            return None

        return webhook
