"""What every incoming message goes through before the assistant sees it.

Used by the REST channel (channels/rest.py) and the one inbound path of every
other channel (channels/inbound.py). No Rasa imports at module level, so they
test fast:
- read_rest_body / parse_rest_body: the JSON body, or a 4xx-worthy error message
- clean_text: compatibility forms folded (NFKC), control and zero-width
  characters out, so they can neither crash storage nor hide words from the
  safety detector ("chest\\u200bpain", full-width letters)
- screen_command: a message starting with "/" goes to Rasa as it is only when
  it is exactly one of the assistant's own button payloads (assistant_payloads);
  anything else loses its leading "/" and is read as words, by NLU and the
  safety detector alike
- keep_metadata: the only request metadata a channel passes on (and so stores)
- too_long_reply / empty_reply: the short answers given instead of processing
- screen_text: all of the above for one message: the text to process, or the
  reply to give instead
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

MAX_BODY_BYTES = 512 * 1024  # room for a 100,000-character message; then 413
MAX_SENDER_CHARS = 128
EXPECTED = 'expected a JSON object {"sender": "<id>", "message": "<text>"}'

# C0/C1 controls except tab and newline; zero-width and bidi-control characters.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
)


@dataclass(frozen=True)
class BodyError:
    status: int
    message: str


def parse_rest_body(raw: bytes) -> tuple[dict[str, Any] | None, BodyError | None]:
    """(body, None) for a usable body, else (None, error).

    A usable body is a JSON object with a printable "sender" of up to
    MAX_SENDER_CHARS characters and a string "message". Nesting deep enough to
    exhaust the parser is a 400 like any other malformed JSON.
    """
    if len(raw) > MAX_BODY_BYTES:
        return None, BodyError(413, f"request body over {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, BodyError(400, "request body is not valid UTF-8")
    except (ValueError, RecursionError):
        return None, BodyError(400, f"request body is not JSON: {EXPECTED}")
    if not isinstance(body, dict):
        return None, BodyError(400, EXPECTED)
    sender, message = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not sender.strip():
        return None, BodyError(400, f'missing "sender": {EXPECTED}')
    if len(sender) > MAX_SENDER_CHARS or _INVISIBLE.search(sender):
        return None, BodyError(
            400, f'"sender" must be up to {MAX_SENDER_CHARS} printable characters'
        )
    if not isinstance(message, str):
        return None, BodyError(400, f'missing "message": {EXPECTED}')
    return body, None


def read_rest_body(
    raw: bytes,
) -> tuple[str | None, str | None, BodyError | None]:
    """(sender, message, None) for a usable body, else (None, None, error)."""
    body, error = parse_rest_body(raw)
    if body is None:
        return None, None, error
    return body["sender"], body["message"], None


def clean_text(text: str) -> str:
    """NFKC-normalised text without invisible characters or lone surrogates.

    NFKC folds compatibility forms ("ｃｈｅｓｔ ｐａｉｎ", "／restart", "５５５")
    into the plain characters the safety detector, the NLU and the masking of
    identifiers know.
    """
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = unicodedata.normalize("NFKC", text)
    return _INVISIBLE.sub("", text).strip()


# --- "/" messages ---------------------------------------------------------------------
# Rasa reads a message starting with "/" as "/intent{entities}": no NLU, no
# safety detector, and whatever follows is dropped with a warning. Only the
# assistant's own buttons may use that; their payloads have this form.
_PAYLOAD = re.compile(r"/(?P<intent>[\w.-]+)(?P<entities>\{[^\n]*\})?")
_LEADING_SLASHES = re.compile(r"^[\s/]+")
ROOT = Path(__file__).resolve().parent.parent
# Files the payloads are read from when no model is loaded (development).
RESPONSE_FILES = ("domain.yml", "data/responses/*.yml")


def canonical_payload(text: str) -> str | None:
    """ "/intent" or "/intent{...}" with its JSON written one way, else None.

    Only flat objects of strings count as entities; spacing inside the JSON
    and key order don't matter ('/faq{"faq_topic": "tens"}' is
    '/faq{"faq_topic":"tens"}').
    """
    match = _PAYLOAD.fullmatch(text)
    if not match:
        return None
    entities: Any = {}
    if match.group("entities"):
        try:
            entities = json.loads(match.group("entities"))
        except (ValueError, RecursionError):
            return None
        if not isinstance(entities, dict) or not all(
            isinstance(value, str) for value in entities.values()
        ):
            return None
    written = (
        json.dumps(entities, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if entities
        else ""
    )
    return f"/{match.group('intent')}{written}"


def payloads_in(responses: Mapping[str, Any] | None) -> set:
    """Canonical payloads of every button and quick reply of these responses."""
    found = set()
    for variations in (responses or {}).values():
        for variation in variations or []:
            if not isinstance(variation, Mapping):
                continue
            for key in ("buttons", "quick_replies"):
                for button in variation.get(key) or []:
                    payload = canonical_payload(str(button.get("payload") or ""))
                    if payload:
                        found.add(payload)
    return found


def action_payloads() -> set:
    """The payloads the FAQ actions put on their buttons (topic, "Tell me more")."""
    from clinic.topics import TOPICS, tell_me_more_payload, topic_payload

    made = [
        make(topic)
        for topic in TOPICS
        for make in (topic_payload, tell_me_more_payload)
    ]
    return {canonical_payload(payload) for payload in made} - {None}


def _responses_from_files(root: Path = ROOT) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for pattern in RESPONSE_FILES:
        for path in sorted(root.glob(pattern)):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            responses.update(data.get("responses") or {})
    return responses


_served: dict[str, Any] = {"domain": None, "payloads": None}
_from_files: dict[str, frozenset] = {}


def assistant_payloads(app: Any = None) -> frozenset:
    """Every payload the assistant's own buttons carry, in canonical form.

    Read from the served model's domain (every response's buttons) when `app`
    has a loaded agent, remembered for callers without one; before any model
    is known, from domain.yml and data/responses/ (development). The FAQ
    actions' topic buttons (actions/faq.py) are always included.
    """
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    domain = getattr(agent, "domain", None)
    if domain is not None and getattr(domain, "responses", None) is not None:
        if _served["domain"] is not domain:
            _served["payloads"] = frozenset(
                payloads_in(domain.responses) | action_payloads()
            )
            _served["domain"] = domain
        return _served["payloads"]
    if _served["payloads"] is not None:
        return _served["payloads"]
    if "files" not in _from_files:
        _from_files["files"] = frozenset(
            payloads_in(_responses_from_files()) | action_payloads()
        )
    return _from_files["files"]


def is_button_payload(text: str) -> bool:
    """True for exactly one of the assistant's own button payloads."""
    return canonical_payload(text.strip()) in assistant_payloads()


async def remember_payloads(app: Any, _loop: Any = None) -> None:
    """Sanic listener (after_server_start): read the served model's payloads."""
    assistant_payloads(app)


def screen_command(text: str, allowed: Collection[str]) -> str:
    """The text to give Rasa for `text`.

    An exact payload from `allowed` (nothing before or after it) goes on in
    canonical form, so Rasa reads it as the button it is. Anything else that
    starts with "/" ("/faq{...} I have chest pain", "/restart",
    "/session_start", "/anything") loses its leading slashes and is read as
    words; text without a leading "/" is returned unchanged.
    """
    stripped = text.strip()
    if not stripped.startswith("/"):
        return text
    payload = canonical_payload(stripped)
    if payload is not None and payload in allowed:
        return payload
    return _LEADING_SLASHES.sub("", stripped)


# --- metadata ---------------------------------------------------------------------------
# What a channel may pass on from a request's metadata: Rasa stores message
# metadata with the message and copies the first message's into the
# `session_started_metadata` slot. The numbered-option choice and the language
# the visitor chose in the widget are the only pieces any channel needs; Slack's
# reply channel and thread are read before the message is passed on.
KEPT_METADATA = frozenset({"selected_option", "language"})
# The languages a visitor may choose (the ones the assistant answers in).
CHOSEN_LANGUAGES = frozenset({"en", "es"})


def keep_metadata(metadata: Any) -> dict[str, Any] | None:
    """The part of a message's metadata the assistant keeps (None if nothing)."""
    if not isinstance(metadata, Mapping):
        return None
    kept = {k: v for k, v in metadata.items() if k in KEPT_METADATA}
    language = kept.pop("language", None)
    if isinstance(language, str) and language in CHOSEN_LANGUAGES:
        kept["language"] = language
    return kept or None


def chosen_language(metadata: Any) -> dict[str, Any] | None:
    """Of a web client's metadata, only the language the visitor chose."""
    if not isinstance(metadata, Mapping):
        return None
    return keep_metadata({"language": metadata.get("language")})


def empty_reply() -> str:
    return (
        "It looks like your message was empty. What would you like to know "
        "about nerve pain or physical therapy?"
    )


def too_long_reply(length: int, limit: int, emergency: str | None = None) -> str:
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

    text: str | None = None
    reply: str | None = None


def screen_text(
    raw: object,
    max_chars: int,
    emergency_number: str,
    payloads: Collection[str] | None = None,
) -> Screened:
    """The input rules for one message from any channel.

    The text is cleaned and "/" messages screened (screen_command, against
    `payloads`, by default assistant_payloads()). One of the assistant's
    payloads is processed as it is; other text within `max_chars` is
    processed; an empty message, or one that was only slashes, gets
    empty_reply(); a longer one gets too_long_reply(), with the emergency
    number first if it shows a red flag or a crisis.
    """
    allowed = assistant_payloads() if payloads is None else payloads
    text = clean_text(raw) if isinstance(raw, str) else ""
    text = screen_command(text, allowed)
    if not text:
        return Screened(reply=empty_reply())
    if len(text) <= max_chars or text in allowed:
        return Screened(text=text)
    from safety.categories import ALARM_CATEGORIES
    from safety.detector import classify

    urgent = classify(text[:5000]) in ALARM_CATEGORIES
    return Screened(
        reply=too_long_reply(len(text), max_chars, emergency_number if urgent else None)
    )
