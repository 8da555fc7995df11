"""Twilio SMS and WhatsApp with signature checks.

Rasa's own Twilio connector ignores X-Twilio-Signature, so anyone who knows the
webhook URL could talk to the assistant in a patient's name. These connectors
check every request with Twilio's RequestValidator against the public webhook
URL (webhook_base_url + the path Rasa sees) and answer 403, with no reply, to a
missing or wrong signature.

credentials.yml:

    channels.twilio_signed.SignedTwilioInput:       # SMS: /webhooks/twilio_signed/webhook
      account_sid: ${TWILIO_ACCOUNT_SID}
      auth_token: ${TWILIO_AUTH_TOKEN}
      twilio_number: ${TWILIO_SMS_NUMBER}
      webhook_base_url: ${PUBLIC_BASE_URL}
    channels.twilio_signed.TwilioWhatsAppInput:     # /webhooks/twilio_whatsapp/webhook
      (same keys; twilio_number: ${TWILIO_WHATSAPP_NUMBER}, "whatsapp:" is added)

Optional keys: max_length (split replies shorter than the provider limit) and
api_base_url (another Twilio API host, e.g. a test double).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.exceptions import InvalidConfigException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

from channels.credentials import channel_settings, require_settings
from channels.formatting import SMS_LIMIT, WHATSAPP_LIMIT
from channels.inbound import Inbound
from channels.output import FormattedOutput, message_limit

logger = logging.getLogger(__name__)
# The Twilio client logs every request and response at INFO: keep only problems.
http_logger = logging.getLogger(f"{__name__}.http")
http_logger.setLevel(logging.WARNING)

SIGNATURE_HEADER = "X-Twilio-Signature"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
WHATSAPP_PREFIX = "whatsapp:"


class TwilioTextOutput(FormattedOutput):
    """Sends plain-text messages through Twilio's Messages API (asynchronously)."""

    def __init__(
        self, client: Any, from_number: str, limit: int, channel_name: str
    ) -> None:
        super().__init__(limit)
        self.client = client
        self.from_number = from_number
        self.channel_name = channel_name

    def name(self) -> str:  # type: ignore[override]
        return self.channel_name

    async def send_part(self, recipient_id: str, text: str) -> None:
        try:
            await self.client.messages.create_async(
                to=recipient_id, from_=self.from_number, body=text
            )
        except TwilioRestException as error:
            logger.error("Twilio did not accept a message: %s", error.msg)


def _form(request: Request) -> dict[str, list[str]]:
    """The POST parameters, blank ones included (Twilio signs them too)."""
    content_type = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" not in content_type:
        return {}
    body = (request.body or b"").decode("utf-8", errors="replace")
    return parse_qs(body, keep_blank_values=True)


def _first(form: dict[str, list[str]], key: str) -> str | None:
    values = form.get(key)
    return values[0] if values else None


class _FormParams(dict):
    """POST parameters as RequestValidator reads repeated keys (getlist)."""

    def getlist(self, key: str) -> list[str]:
        return self[key]


SETTINGS = (
    "account_sid",
    "auth_token",
    "twilio_number",
    "webhook_base_url",
    "api_base_url",
    "max_length",
)


class SignedTwilioInput(InputChannel):
    """Twilio SMS; every request must carry a valid X-Twilio-Signature."""

    hard_limit = SMS_LIMIT
    address_prefix = ""
    # Twilio answers these itself and blocks later replies (opt-out); the
    # assistant stays silent instead of sending messages that would fail.
    opt_out_keywords = frozenset(
        ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"]
    )

    @classmethod
    def name(cls) -> str:
        return "twilio_signed"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(**channel_settings(cls, credentials, SETTINGS))

    def __init__(
        self,
        account_sid: str | None,
        auth_token: str | None,
        twilio_number: str | None,
        webhook_base_url: str | None,
        api_base_url: str | None = None,
        max_length: Any = None,
    ) -> None:
        require_settings(
            self.name(),
            account_sid=account_sid,
            auth_token=auth_token,
            twilio_number=twilio_number,
            webhook_base_url=webhook_base_url,
        )
        if not str(webhook_base_url).startswith(("https://", "http://")):
            raise InvalidConfigException(
                f"{self.name()}: webhook_base_url must be the public URL Twilio "
                f"calls, e.g. https://assistant.example-clinic.org; "
                f"got {webhook_base_url!r}"
            )
        self.account_sid = str(account_sid)
        self.auth_token = str(auth_token)
        self.twilio_number = self.address(str(twilio_number))
        self.webhook_base_url = str(webhook_base_url).rstrip("/")
        self.api_base_url = api_base_url.rstrip("/") if api_base_url else None
        self.limit = message_limit(max_length, self.hard_limit, self.name())
        self.validator = RequestValidator(self.auth_token)
        self._client: Any = None

    @classmethod
    def address(cls, number: str) -> str:
        number = number.strip()
        if cls.address_prefix and not number.startswith(cls.address_prefix):
            number = cls.address_prefix + number
        return number

    # --- authenticity -----------------------------------------------------------------
    def public_url(self, request: Request) -> str:
        """The URL Twilio signed: the public base URL plus the path Rasa received."""
        query = f"?{request.query_string}" if request.query_string else ""
        return f"{self.webhook_base_url}{request.path}{query}"

    def is_signed(self, request: Request) -> bool:
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            return False
        return self.validator.validate(
            self.public_url(request), _FormParams(_form(request)), signature
        )

    # --- Rasa -----------------------------------------------------------------------------
    def client(self) -> Any:
        """One Twilio client per connector, made in the server's event loop."""
        if self._client is None:
            from twilio.http.async_http_client import AsyncTwilioHttpClient
            from twilio.rest import Client

            self._client = Client(
                self.account_sid,
                self.auth_token,
                http_client=AsyncTwilioHttpClient(timeout=30, logger=http_logger),
            )
            if self.api_base_url:
                self._client.api.base_url = self.api_base_url
        return self._client

    def get_output_channel(self) -> TwilioTextOutput:
        return TwilioTextOutput(
            self.client(), self.twilio_number, self.limit, self.name()
        )

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        webhook = Blueprint(f"{self.name()}_webhook", __name__)
        # Clean, cap, resolve numbered options, deliver or apologise.
        inbound = Inbound(self.name(), on_new_message)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            if not self.is_signed(request):
                logger.warning(
                    "%s: rejected a request without a valid %s (check "
                    "webhook_base_url matches the URL set in the Twilio console)",
                    self.name(),
                    SIGNATURE_HEADER,
                )
                return response.text("Invalid Twilio signature", status=403)

            form = _form(request)
            sender = _first(form, "From")
            # Only the text: a shared location (Latitude, Longitude) is not
            # something the assistant uses, nor a thing to keep.
            text = _first(form, "Body") or ""
            if not sender or not text.strip():
                return response.text(EMPTY_TWIML, content_type="text/xml")
            if text.strip().upper() in self.opt_out_keywords:
                logger.info("%s: opt-out keyword, left to Twilio", self.name())
                return response.text(EMPTY_TWIML, content_type="text/xml")

            text = text.replace("¡", "@")  # some carriers corrupt @ in SMS
            # Failures get an apology by SMS: a 500 would only make Twilio retry.
            await inbound.receive(request.app, sender, text, self.get_output_channel())
            return response.text(EMPTY_TWIML, content_type="text/xml")

        @webhook.listener("after_server_stop")
        async def close_client(*_: Any) -> None:
            if self._client is not None:
                session = getattr(self._client.http_client, "session", None)
                if session is not None:
                    await session.close()

        return webhook


class TwilioWhatsAppInput(SignedTwilioInput):
    """WhatsApp through Twilio: "whatsapp:+1..." addresses, 4,096-character limit."""

    hard_limit = WHATSAPP_LIMIT
    address_prefix = WHATSAPP_PREFIX
    opt_out_keywords = frozenset()  # no keyword opt-out on WhatsApp

    @classmethod
    def name(cls) -> str:
        return "twilio_whatsapp"
