"""Mask personal identifiers in user messages and log lines.

What is masked (the placeholder says what was there):

- e-mail addresses                          -> [EMAIL]
- IBANs                                     -> [IBAN]
- SSN-like numbers (123-45-6789)            -> [SSN]
- full dates (03/14/1961, 1961-03-14)       -> [DATE]
- card-like numbers (13-19 digits)          -> [CARD]
- phone numbers (7-15 digits, any format)   -> [PHONE]
- other long numbers (record, member IDs)   -> [ID]

Short numbers ("10 minutes", "pain 7 out of 10", "since 2019") are kept: the
assistant needs them and they don't identify anyone. Names and street
addresses can't be found reliably with patterns and are not masked; the
privacy notice asks patients not to share them (see PRIVACY.md).
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any, Dict

EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
SSN = re.compile(r"(?<![\w-])\d{3}[- ]\d{2}[- ]\d{4}(?![\w-])")
DATE = re.compile(
    r"(?<![\w/.-])(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2})"
    r"(?![\w/.-])"
)
# A run of digits with the separators people type in numbers: spaces, dots,
# dashes, brackets, an optional leading "+".
NUMBER = re.compile(r"(?<![\w+])(?:\+ ?)?\(?\d(?:[\d ().-]*\d)?(?!\w)")
YEAR = re.compile(r"(?:19|20)\d\d")
DECIMAL = re.compile(r"\d+\.\d+")

# Keys of a user event that are structure, not something the user typed.
STRUCTURAL_KEYS = frozenset(
    {"event", "timestamp", "input_channel", "message_id", "confidence", "name"}
)


def _number(match: "re.Match[str]") -> str:
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


def redact_text(text: str) -> str:
    """`text` with every identifier listed in the module docstring masked."""
    if not text or not any(c.isdigit() or c == "@" for c in text):
        return text
    text = EMAIL.sub("[EMAIL]", text)
    text = IBAN.sub("[IBAN]", text)
    text = SSN.sub("[SSN]", text)
    text = DATE.sub("[DATE]", text)
    return NUMBER.sub(_number, text)


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


def redact_event(data: Dict[str, Any]) -> Dict[str, Any]:
    """A serialised Rasa event, with what the user typed redacted.

    Only user events (text, parse data, entities, metadata) are changed: bot
    messages and slots hold the clinic's own details (e.g. its phone number),
    which later responses need unchanged.
    """
    if data.get("event") != "user":
        return data
    return redact_value(data)


# --- logs ------------------------------------------------------------------------
_install_lock = threading.Lock()
_installed = False


def _redact_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # a broken log call must not break the request
        return record
    redacted = redact_text(message)
    if redacted != message:
        record.msg, record.args = redacted, ()
    if record.exc_info and not record.exc_text:
        record.exc_text = redact_text(
            logging.Formatter().formatException(record.exc_info)
        )
    return record


def install_log_redaction() -> None:
    """Redact every log record of this process from now on (idempotent).

    Works at record creation, so it covers Rasa's structlog output, Sanic and
    SQLAlchemy alike, whatever handlers are configured.
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return _redact_record(previous(*args, **kwargs))

        logging.setLogRecordFactory(factory)
        _installed = True
