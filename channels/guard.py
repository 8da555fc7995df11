"""What every incoming message goes through before the assistant sees it.

Used by the REST channel (persistence/channel.py) and the Socket.IO channel
(channels/socketio.py, through guard_messages). Pure functions, no Rasa
imports at module level, so they test fast:
- read_rest_body: the JSON body, or a 4xx-worthy error message
- clean_text: control and zero-width characters out, so they can neither crash
  storage nor hide words from the safety detector ("chest\\u200bpain")
- is_button_payload: an exact, short button payload ("/book_appointment",
  '/faq{"faq_topic":"tens"}'), the only text exempt from the length cap
- too_long_reply / empty_reply: the short answers given instead of processing
- screen_text: all of the above for one message: the text to process, or the
  reply to give instead
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Optional, Tuple

MAX_BODY_BYTES = 512 * 1024  # room for a 100,000-character message; then 413
MAX_SENDER_CHARS = 128
EXPECTED = 'expected a JSON object {"sender": "<id>", "message": "<text>"}'

# C0/C1 controls except tab and newline; zero-width and bidi-control characters.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
)


# A button payload: "/intent" or "/intent{...one line of JSON...}", short.
MAX_PAYLOAD_CHARS = 200
_BUTTON_PAYLOAD = re.compile(r"/[A-Za-z_][\w.-]*(\{[^\n{}]*\})?")


@dataclass(frozen=True)
class BodyError:
    status: int
    message: str


def read_rest_body(
    raw: bytes,
) -> Tuple[Optional[str], Optional[str], Optional[BodyError]]:
    """(sender, message, None) for a usable body, else (None, None, error)."""
    if len(raw) > MAX_BODY_BYTES:
        return None, None, BodyError(413, f"request body over {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, None, BodyError(400, "request body is not valid UTF-8")
    except ValueError:
        return None, None, BodyError(400, f"request body is not JSON: {EXPECTED}")
    if not isinstance(body, dict):
        return None, None, BodyError(400, EXPECTED)
    sender, message = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not sender.strip():
        return None, None, BodyError(400, f'missing "sender": {EXPECTED}')
    if len(sender) > MAX_SENDER_CHARS or _INVISIBLE.search(sender):
        return (
            None,
            None,
            BodyError(
                400, f'"sender" must be up to {MAX_SENDER_CHARS} printable characters'
            ),
        )
    if not isinstance(message, str):
        return None, None, BodyError(400, f'missing "message": {EXPECTED}')
    return sender, message, None


def clean_text(text: str) -> str:
    """NFC-normalised text without invisible characters or lone surrogates."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = unicodedata.normalize("NFC", text)
    return _INVISIBLE.sub("", text).strip()


def is_button_payload(text: str) -> bool:
    """True for an exact short button payload, not for any text starting "/"."""
    return len(text) <= MAX_PAYLOAD_CHARS and bool(_BUTTON_PAYLOAD.fullmatch(text))


def empty_reply() -> str:
    return (
        "It looks like your message was empty. What would you like to know "
        "about nerve pain or physical therapy?"
    )


def too_long_reply(length: int, limit: int, emergency: Optional[str] = None) -> str:
    reply = (
        f"That message is a bit long for me ({length:,} characters). Please send "
        f"your main question in under {limit:,} characters."
    )
    if emergency:
        reply = f"If this is an emergency, call {emergency} now. " + reply
    return reply


@dataclass(frozen=True)
class Screened:
    """One incoming message after the input rules: text to process or a reply."""

    text: Optional[str] = None
    reply: Optional[str] = None


def screen_text(raw: object, max_chars: int, emergency_number: str) -> Screened:
    """The REST channel's input rules for one message from any channel.

    Cleaned text within `max_chars` (or an exact short button payload) is
    processed; an empty message or one that is not text gets empty_reply();
    a longer one, whatever it starts with, gets too_long_reply(), with the
    emergency number first if it shows a red flag or a crisis.
    """
    text = clean_text(raw) if isinstance(raw, str) else ""
    if not text:
        return Screened(reply=empty_reply())
    if len(text) <= max_chars or is_button_payload(text):
        return Screened(text=text)
    from components.safety import classify

    urgent = classify(text[:5000]) in ("red_flag", "crisis")
    return Screened(
        reply=too_long_reply(len(text), max_chars, emergency_number if urgent else None)
    )


def guard_messages(on_new_message, max_chars: int, emergency_number: str):
    """Wrap a channel's on_new_message with the same rules as the REST channel.

    Empty and over-long messages (including over-long ones starting with "/")
    get a short reply through the channel's own output and are not processed;
    other text is cleaned first. The output is made link-safe: Rasa's Socket.IO
    output cannot send link buttons (the call buttons of urgent replies), so
    those are written under the text instead.
    """

    from channels.output import LinkSafeOutput

    async def guarded(message):
        if not isinstance(message.output_channel, LinkSafeOutput):
            message.output_channel = LinkSafeOutput(message.output_channel)
        screened = screen_text(message.text, max_chars, emergency_number)
        if screened.text is not None:
            message.text = screened.text
            return await on_new_message(message)
        await message.output_channel.send_text_message(
            message.sender_id, screened.reply
        )
        return None

    return guarded
