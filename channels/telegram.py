"""Telegram with a webhook secret: at start-up the webhook is registered with a
secret_token, and every update must carry it in X-Telegram-Bot-Api-Secret-Token
(403 and no reply otherwise). Rasa's own Telegram connector checks nothing.
Replies are plain text split to 4,096 characters; buttons become an inline
keyboard: choices as callback buttons, web links as URL buttons. Telegram
accepts only http(s) and tg:// button URLs, so call and text links (tel:, sms:)
are written under the text ("Call 911", "Text 988") instead; a URL button sends
no callback, so a link never reaches the assistant as a payload.
Webhook: /webhooks/telegram/webhook.

credentials.yml:

    channels.telegram.ClinicTelegramInput:
      access_token: ${TELEGRAM_BOT_TOKEN}
      secret_token: ${TELEGRAM_SECRET_TOKEN}
      webhook_url: ${PUBLIC_BASE_URL}/webhooks/telegram/webhook

Optional: max_length, api_base_url (another Bot API server, e.g. a test double).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.bot.api import TELEGRAM_PRODUCTION, TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.exceptions import InvalidConfigException, RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.credentials import channel_settings, require_settings
from channels.formatting import TELEGRAM_LIMIT
from channels.inbound import Inbound
from channels.links import WEB, is_link, link_kind
from channels.output import FormattedOutput, message_limit

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{16,256}")
MAX_CALLBACK_DATA = 64  # bytes
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


async def close_session(bot: Bot) -> None:
    """Close the bot's HTTP session (Bot.close is deprecated in aiogram 2).

    Through the public `session` property, which opens one if there is none:
    closing a fresh, unused session costs nothing."""
    await bot.session.close()


class ClinicTelegramOutput(FormattedOutput):
    """Plain-text messages; buttons as an inline keyboard, one per row."""

    channel_name = "telegram"

    def __init__(self, bot: Bot, limit: int) -> None:
        super().__init__(limit)
        self.bot = bot

    def shows_buttons(self, buttons: list[dict[str, Any]]) -> bool:
        return bool(buttons) and all(
            b.get("title")
            and (
                self.shows_link(b)
                if is_link(b)
                else bool(b.get("payload"))
                and len(b["payload"].encode("utf-8")) <= MAX_CALLBACK_DATA
            )
            for b in buttons
        )

    def shows_link(self, button: dict[str, Any]) -> bool:
        # Bot API: "HTTP or tg:// URL"; a tel: URL fails the whole message.
        return link_kind(button) == WEB

    async def send_part(self, recipient_id: str, text: str) -> None:
        await self.bot.send_message(recipient_id, text)

    async def send_part_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]]
    ) -> None:
        keyboard = InlineKeyboardMarkup()
        for b in buttons:
            if is_link(b):
                keyboard.row(InlineKeyboardButton(b["title"], url=b["url"]))
            else:
                keyboard.row(
                    InlineKeyboardButton(b["title"], callback_data=b["payload"])
                )
        await self.bot.send_message(
            recipient_id, text or "Choose one:", reply_markup=keyboard
        )


SETTINGS = ("access_token", "secret_token", "webhook_url", "api_base_url", "max_length")


class ClinicTelegramInput(InputChannel):
    """Telegram webhook with a secret token; numbered replies understood."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(**channel_settings(cls, credentials, SETTINGS))

    def __init__(
        self,
        access_token: str | None,
        secret_token: str | None,
        webhook_url: str | None,
        api_base_url: str | None = None,
        max_length: Any = None,
    ) -> None:
        require_settings(
            self.name(), access_token=access_token, webhook_url=webhook_url
        )
        if not SECRET_FORMAT.fullmatch(str(secret_token or "")):
            raise InvalidConfigException(
                "telegram: secret_token must be 16-256 characters of A-Z, a-z, "
                "0-9, _ and - (e.g. `openssl rand -hex 32`)"
            )
        self.access_token = str(access_token)
        self.secret_token = str(secret_token)
        self.webhook_url = str(webhook_url)
        self.server = (
            TelegramAPIServer.from_base(api_base_url)
            if api_base_url
            else TELEGRAM_PRODUCTION
        )
        self.limit = message_limit(max_length, TELEGRAM_LIMIT, self.name())
        self._bot: Bot | None = None

    def bot(self) -> Bot:
        """One Bot per connector, made in the server's event loop."""
        if self._bot is None:
            self._bot = Bot(self.access_token, server=self.server)
        return self._bot

    def get_output_channel(self) -> ClinicTelegramOutput:
        return ClinicTelegramOutput(self.bot(), self.limit)

    async def register_webhook(self) -> None:
        """Point Telegram at webhook_url with the secret token (at start-up)."""
        bot = Bot(self.access_token, server=self.server)
        try:
            await bot.request(
                "setWebhook",
                {
                    "url": self.webhook_url,
                    "secret_token": self.secret_token,
                    "allowed_updates": json.dumps(ALLOWED_UPDATES),
                },
            )
        finally:
            await close_session(bot)

    def is_signed(self, request: Request) -> bool:
        given = request.headers.get(SECRET_HEADER) or ""
        return hmac.compare_digest(given.encode(), self.secret_token.encode())

    @staticmethod
    def parse_update(update: dict[str, Any]) -> tuple:
        """(chat id, text) of an update, or (None, None) if it holds no user text."""
        callback = update.get("callback_query")
        if callback:
            chat = ((callback.get("message") or {}).get("chat") or {}).get("id")
            return chat, callback.get("data")
        message = update.get("message") or update.get("edited_message") or {}
        chat = (message.get("chat") or {}).get("id")
        if message.get("text") is not None:
            return chat, message["text"].replace("/bot", "")
        # A shared location is neither used nor kept.
        return None, None

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # `rasa run` registers channels before serving
            try:
                asyncio.run(self.register_webhook())
            except Exception as error:
                raise RasaException(
                    f"telegram: could not set the webhook: {error}"
                ) from error

        webhook = Blueprint("telegram_webhook", __name__)
        # Clean, cap ("/start", "/restart" are read as words), resolve
        # numbered options, deliver or apologise.
        inbound = Inbound(self.name(), on_new_message)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            if not self.is_signed(request):
                logger.warning("telegram: rejected an update without the secret token")
                return response.text("Invalid secret token", status=403)
            update = request.json
            if isinstance(update, str):
                update = json.loads(update)
            if not isinstance(update, dict):
                return response.text("Not a Telegram update", status=400)
            chat_id, text = self.parse_update(update)
            if chat_id is None or not text:
                return response.text("success")
            sender_id = str(chat_id)
            out_channel = self.get_output_channel()
            callback = update.get("callback_query")
            if callback and callback.get("id"):
                try:  # stop the button's spinner
                    await out_channel.bot.answer_callback_query(callback["id"])
                except Exception:
                    logger.debug("telegram: answerCallbackQuery failed", exc_info=True)
            await inbound.receive(request.app, sender_id, text, out_channel)
            return response.text("success")

        @webhook.listener("after_server_stop")
        async def close_bot(*_: Any) -> None:
            if self._bot is not None:
                await close_session(self._bot)

        return webhook
