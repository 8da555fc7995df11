"""Mask personal identifiers in user messages and log lines.

What is masked (the placeholder says what was there):

- e-mail addresses                          -> [EMAIL]
- IBANs                                     -> [IBAN]
- SSN-like numbers (123-45-6789)            -> [SSN]
- full dates (03/14/1961, 1961-03-14)       -> [DATE]
- card-like numbers (13-19 digits)          -> [CARD]
- phone numbers (7-15 digits, any format)   -> [PHONE]
- other long numbers (record, member IDs)   -> [ID]

Text is NFKC-normalised first, so full-width or other compatibility forms
("jane＠example.com", "５５５") are caught like plain ones; digits may be
separated by spaces, dots, dashes, slashes, underscores, commas or brackets
("555/123/4567", "555_123_4567", "555,123,4567"); numbers spelled out in
English or Spanish words ("five five five one two three ...", "cinco cinco
...", mixed with digits or not) count as the digits they spell.

Short numbers ("10 minutes", "pain 7 out of 10", "since 2019") are kept: the
assistant needs them and they don't identify anyone. Names and street
addresses can't be found reliably with patterns and are not masked; the
privacy notice asks patients not to share them (see PRIVACY.md).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Collection
from typing import Any

EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
# "jane [at] example [dot] com", "jane(at)example(dot)com"
SPELLED_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]+\s*[\[(]\s*at\s*[\])]\s*[A-Za-z0-9-]+"
    r"(?:\s*(?:\.|[\[(]\s*dot\s*[\])])\s*[A-Za-z0-9-]+)+",
    re.IGNORECASE,
)
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
SSN = re.compile(r"(?<![\w-])\d{3}[- ]\d{2}[- ]\d{4}(?![\w-])")
DATE = re.compile(
    r"(?<![\w/.-])(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2})"
    r"(?![\w/.-])"
)
# A run of digits with the separators people type in numbers: spaces, dots,
# dashes, slashes, underscores, brackets, an optional leading "+", and commas
# between digits ("555,123,4567"; "4111..., 4111..." stays two numbers).
# (\w counts "_" as a word character, so the edges look for letters and digits.)
NUMBER = re.compile(
    r"(?<![^\W_]|\+)(?:\+ ?)?\(?\d(?:(?:[\d ()./_-]|,(?=\d))*\d)?(?![^\W_])"
)
# Numbers spelled out, one word per digit (or two for "twelve", "forty").
_ONE_DIGIT = (
    "zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight",
    "nine", "cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete",
    "ocho", "nueve",
)  # fmt: skip
_TWO_DIGITS = (
    "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
    "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty",
    "sixty", "seventy", "eighty", "ninety", "diez", "once", "doce", "trece",
    "catorce", "quince", "veinte", "treinta", "cuarenta", "cincuenta", "sesenta",
    "setenta", "ochenta", "noventa",
)  # fmt: skip
_DIGIT_WORDS = {**dict.fromkeys(_ONE_DIGIT, 1), **dict.fromkeys(_TWO_DIGITS, 2)}
_REPEAT_WORDS = {"double": 1, "triple": 2, "doble": 1}  # "double five": 55
_NUMBER_TOKEN = (
    r"(?:\d+|"
    + "|".join(sorted(set(_DIGIT_WORDS) | set(_REPEAT_WORDS), key=len, reverse=True))
    + r")"
)
SPELLED_NUMBER = re.compile(
    rf"(?<![^\W_]){_NUMBER_TOKEN}(?:[\s().,/_-]+{_NUMBER_TOKEN})+(?![^\W_])",
    re.IGNORECASE,
)
_HAS_NUMBER_WORD = re.compile(
    r"\b(?:" + "|".join(sorted(_DIGIT_WORDS, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
YEAR = re.compile(r"(?:19|20)\d\d")
DECIMAL = re.compile(r"\d+\.\d+")

# Keys of a user event that are structure, not something the user typed.
STRUCTURAL_KEYS = frozenset(
    {"event", "timestamp", "input_channel", "message_id", "confidence", "name"}
)


def _number(match: re.Match[str]) -> str:
    raw = match.group(0)
    if DECIMAL.fullmatch(raw):
        return raw  # 0.9999998211860657: a score or a measurement
    digits = re.sub(r"\D", "", raw)
    count = len(digits)
    if count < 7:
        return raw
    groups = re.findall(r"\d+", raw)
    if count <= 8 and all(YEAR.fullmatch(g) for g in groups):
        return raw  # "2019 2020": years, not a phone number
    plain = raw.isdigit()
    if 13 <= count <= 19 and not raw.startswith("+"):
        return "[CARD]"
    if plain and count not in (10, 11):
        return "[ID]"
    if count <= 15:
        return "[PHONE]"
    return "[ID]"


def _spelled_number(match: re.Match[str]) -> str:
    tokens = re.findall(_NUMBER_TOKEN, match.group(0), re.IGNORECASE)
    if not any(t[0].isalpha() for t in tokens):
        return match.group(0)  # digits only: NUMBER's job
    count = 0
    for token in tokens:
        word = token.lower()
        if token.isdigit():
            count += len(token)
        else:
            count += _DIGIT_WORDS.get(word, 0) + _REPEAT_WORDS.get(word, 0)
    if count < 7:
        return match.group(0)
    return "[PHONE]" if count <= 15 else "[ID]"


def _may_hold_identifier(text: str) -> bool:
    if any(c.isdigit() or c == "@" for c in text):
        return True
    return bool(_HAS_NUMBER_WORD.search(text) or SPELLED_EMAIL.search(text))


def redact_text(text: str) -> str:
    """`text` with every identifier listed in the module docstring masked.

    Text without any identifier is returned as it is; text with one comes
    back NFKC-normalised, with the identifiers masked.
    """
    if not text:
        return text
    normal = unicodedata.normalize("NFKC", text)
    if not _may_hold_identifier(normal):
        return text
    masked = EMAIL.sub("[EMAIL]", normal)
    masked = SPELLED_EMAIL.sub("[EMAIL]", masked)
    masked = IBAN.sub("[IBAN]", masked)
    masked = SSN.sub("[SSN]", masked)
    masked = DATE.sub("[DATE]", masked)
    masked = SPELLED_NUMBER.sub(_spelled_number, masked)
    masked = NUMBER.sub(_number, masked)
    return text if masked == normal else masked


def redact_value(value: Any) -> Any:
    """A copy of `value` with every string inside it redacted."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {
            k: v if k in STRUCTURAL_KEYS else redact_value(v) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact_value(v) for v in value]
    return value


def redact_event(
    data: dict[str, Any], keep_slots: Collection[str] = ()
) -> dict[str, Any]:
    """A serialised Rasa event, with anything that came from the user redacted.

    Every event is redacted except bot messages and the slots named in
    `keep_slots`: those hold the clinic's own details (e.g. its phone number),
    set by the actions, which later responses need unchanged. Everything else
    can carry what a user sent: the message and its parse data and metadata,
    a slot filled from an entity or a button payload (faq_topic), the
    request metadata Rasa copies into `session_started_metadata`, entities
    added by other events.
    """
    kind = data.get("event")
    if kind == "bot" or (kind == "slot" and data.get("name") in keep_slots):
        return data
    return redact_value(data)


# --- logs ------------------------------------------------------------------------
_install_lock = threading.Lock()
_installed = False
# Longest log message kept (characters); the rest is replaced by a note. A
# traceback may be longer, up to MAX_LOG_TRACEBACK_CHARS.
MAX_LOG_CHARS = 2000
MAX_LOG_TRACEBACK_CHARS = 8000


def _redact_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # a broken log call must not break the request
        return record
    # Masked before it is cut (a cut could leave half an e-mail address), on
    # a bounded slice so a huge message costs no more than a long one.
    head = message[: 4 * MAX_LOG_CHARS]
    redacted = redact_text(head)
    if len(redacted) > MAX_LOG_CHARS or len(head) < len(message):
        kept = redacted[:MAX_LOG_CHARS]
        redacted = (
            f"{kept}... [{len(message) - len(kept):,} more characters not logged]"
        )
    if redacted != message:
        record.msg, record.args = redacted, ()
    if record.exc_info and not record.exc_text:
        trace = redact_text(logging.Formatter().formatException(record.exc_info))
        if len(trace) > MAX_LOG_TRACEBACK_CHARS:
            trace = "...\n" + trace[-MAX_LOG_TRACEBACK_CHARS:]  # the end says most
        record.exc_text = trace
    return record


def install_log_redaction() -> None:
    """Redact every log record of this process from now on (idempotent).

    Works at record creation, so it covers Rasa's structlog output, Sanic and
    SQLAlchemy alike, whatever handlers are configured. Python warnings are
    routed through logging too (logging.captureWarnings): Rasa reports a "/"
    message it can't parse with a warning that quotes the whole message.
    Every message is cut to MAX_LOG_CHARS characters.
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return _redact_record(previous(*args, **kwargs))

        logging.setLogRecordFactory(factory)
        logging.captureWarnings(True)
        _installed = True


# Installed libraries' notices about their own future changes (click,
# pyparsing, SQLAlchemy, distutils...) say nothing about this server. Several
# libraries reset the warning filters as they load, so they are dropped where
# warnings become log lines; our own code's warnings still show.
LIBRARY_NOTICE = re.compile(
    r"/site-packages/\S+:\d+: \w*(DeprecationWarning|PendingDeprecationWarning"
    r"|MovedIn20Warning):"
)


class LibraryNotices(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not LIBRARY_NOTICE.search(record.getMessage())


def quiet_library_notices() -> None:
    """Keep libraries' deprecation notices out of the server log (idempotent)."""
    warnings_logger = logging.getLogger("py.warnings")
    if not any(isinstance(f, LibraryNotices) for f in warnings_logger.filters):
        warnings_logger.addFilter(LibraryNotices())
