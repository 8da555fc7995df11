"""What every connector's output does: format, split to the limit, show buttons.

A connector subclasses FormattedOutput and implements send_part (one message
to the provider) and, if the provider shows buttons, send_part_with_buttons,
shows_buttons and shows_link. The text itself always comes from the actions
and responses unchanged.

Buttons are choices (a payload sent back to Rasa) or links (a url: call, text
or web, see channels/links.py). Links the provider cannot show as buttons are
written under the text ("Call 911"); a link is never a numbered option.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.channels.channel import OutputChannel
from rasa.shared.exceptions import InvalidConfigException

from channels.formatting import (
    is_choice,
    message_parts,
    plain_text,
    slack_mrkdwn,
    split_message,
    with_options,
)
from channels.links import is_link, link_kind, links, with_links

logger = logging.getLogger(__name__)

# Below this, a configured max_length would cut most sentences apart.
MIN_MAX_LENGTH = 100


def message_limit(max_length: Any, hard_limit: int, channel: str) -> int:
    """The message length to split at: max_length if set (capped), else hard_limit."""
    if max_length in (None, ""):
        return hard_limit
    try:
        value = int(max_length)
    except (TypeError, ValueError):
        raise InvalidConfigException(
            f"{channel}: max_length must be a whole number, got {max_length!r}"
        ) from None
    if not MIN_MAX_LENGTH <= value <= hard_limit:
        raise InvalidConfigException(
            f"{channel}: max_length must be between {MIN_MAX_LENGTH} and "
            f"{hard_limit} (the provider's limit), got {value}"
        )
    return value


class FormattedOutput(OutputChannel):
    """Formats and splits each message, then sends the parts one by one."""

    channel_name = "formatted"
    style = "plain"  # or "slack"

    def __init__(self, limit: int, buttons_text_limit: int | None = None) -> None:
        super().__init__()
        self.limit = limit
        self.buttons_text_limit = min(limit, buttons_text_limit or limit)

    @classmethod
    def name(cls) -> str:
        return cls.channel_name

    # --- what a connector implements -----------------------------------------------
    async def send_part(self, recipient_id: str, text: str) -> None:
        raise NotImplementedError

    async def send_part_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]]
    ) -> None:
        raise NotImplementedError

    def shows_buttons(self, buttons: list[dict[str, Any]]) -> bool:
        """Whether the provider can show these buttons (text-only channels: never)."""
        return False

    def shows_link(self, button: dict[str, Any]) -> bool:
        """Whether the provider shows this link as a button (text-only: never)."""
        return False

    # --- formatting ---------------------------------------------------------------------
    def format(self, text: str | None) -> str:
        return slack_mrkdwn(text) if self.style == "slack" else plain_text(text)

    def parts(self, text: str | None) -> list[str]:
        """Messages for text: a new one at each blank line, each cut to the limit."""
        return message_parts(self.format(text), self.limit)

    # --- OutputChannel ------------------------------------------------------------------
    async def send_text_message(
        self, recipient_id: str, text: str, **kwargs: Any
    ) -> None:
        for part in self.parts(text):
            await self.send_part(recipient_id, part)

    async def send_text_with_buttons(
        self,
        recipient_id: str,
        text: str,
        buttons: list[dict[str, Any]],
        **kwargs: Any,
    ) -> None:
        usable = [b for b in buttons if is_choice(b) or link_kind(b)]
        # Links the provider can't show as buttons are written under the text.
        written = [b for b in usable if is_link(b) and not self.shows_link(b)]
        shown = [b for b in usable if not is_link(b) or self.shows_link(b)]
        text = with_links(text, written)
        if not shown:
            await self.send_text_message(recipient_id, text)
            return
        if not self.shows_buttons(shown):
            # Numbered options; the channel maps a reply "1" back to the payload.
            await self.send_text_message(recipient_id, with_options(text, shown))
            return
        parts = self.parts(text) or [""]
        # The last part carries the buttons and may have a lower limit.
        last = split_message(parts.pop(), self.buttons_text_limit) or [""]
        for part in parts + last[:-1]:
            await self.send_part(recipient_id, part)
        await self.send_part_with_buttons(recipient_id, last[-1], shown)

    async def send_quick_replies(
        self,
        recipient_id: str,
        text: str,
        quick_replies: list[dict[str, Any]],
        **kwargs: Any,
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies, **kwargs)

    async def send_image_url(
        self, recipient_id: str, image: str, **kwargs: Any
    ) -> None:
        await self.send_part(recipient_id, image)

    async def send_attachment(
        self, recipient_id: str, attachment: str, **kwargs: Any
    ) -> None:
        await self.send_text_message(recipient_id, str(attachment))

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        # Custom payloads are written for one provider; never show raw JSON to a
        # patient. The assistant's responses and actions do not use them.
        logger.warning(
            "%s: a custom payload was not sent (not supported on this channel)",
            self.name(),
        )


class LinkSafeOutput(OutputChannel):
    """Any other output channel, with link buttons it could not handle written out.

    For outputs whose button code assumes every button has a payload: Rasa's
    Socket.IO output (rasa-webchat) builds quick replies from button["payload"]
    and would fail on a call button, losing the whole urgent reply. Links go
    under the text ("Call 911", channels/links.py); choices stay buttons.
    """

    def __init__(self, inner: OutputChannel) -> None:
        super().__init__()
        self.inner = inner

    def name(self) -> str:
        return self.inner.name()

    def __getattr__(self, attribute: str) -> Any:
        if attribute == "inner":  # not set yet: no recursion
            raise AttributeError(attribute)
        return getattr(self.inner, attribute)

    @staticmethod
    def without_links(message: dict[str, Any]) -> dict[str, Any]:
        message = dict(message)
        for key in ("buttons", "quick_replies"):
            buttons = message.get(key) or []
            if not any(is_link(b) for b in buttons):
                continue
            message["text"] = with_links(message.get("text"), links(buttons))
            choices = [b for b in buttons if is_choice(b)]
            if choices:
                message[key] = choices
            else:
                message.pop(key)
        return message

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        await self.inner.send_response(recipient_id, self.without_links(message))

    async def send_text_message(
        self, recipient_id: str, text: str, **kwargs: Any
    ) -> None:
        await self.inner.send_text_message(recipient_id, text, **kwargs)

    async def send_text_with_buttons(
        self,
        recipient_id: str,
        text: str,
        buttons: list[dict[str, Any]],
        **kwargs: Any,
    ) -> None:
        await self.send_response(recipient_id, dict(kwargs, text=text, buttons=buttons))

    async def send_quick_replies(
        self,
        recipient_id: str,
        text: str,
        quick_replies: list[dict[str, Any]],
        **kwargs: Any,
    ) -> None:
        await self.send_response(
            recipient_id, dict(kwargs, text=text, quick_replies=quick_replies)
        )

    async def send_image_url(
        self, recipient_id: str, image: str, **kwargs: Any
    ) -> None:
        await self.inner.send_image_url(recipient_id, image, **kwargs)

    async def send_attachment(
        self, recipient_id: str, attachment: str, **kwargs: Any
    ) -> None:
        await self.inner.send_attachment(recipient_id, attachment, **kwargs)

    async def send_elements(
        self, recipient_id: str, elements: Any, **kwargs: Any
    ) -> None:
        await self.inner.send_elements(recipient_id, elements, **kwargs)

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        await self.inner.send_custom_json(recipient_id, json_message, **kwargs)
