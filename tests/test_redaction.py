"""Identifiers in what patients type are masked; what the assistant needs stays."""

from __future__ import annotations

import io
import logging
from typing import Iterator

import pytest

from persistence import redaction
from persistence.redaction import install_log_redaction, redact_event, redact_text


@pytest.fixture
def restore_log_factory() -> Iterator[None]:
    """install_log_redaction() is process-wide: undo it after the test."""
    factory, installed = logging.getLogRecordFactory(), redaction._installed
    yield
    logging.setLogRecordFactory(factory)
    redaction._installed = installed


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "my email is jane@example.com and phone 555-123-4567",
            "my email is [EMAIL] and phone [PHONE]",
        ),
        ("write to jane.doe+pt@mail.example.co.uk", "write to [EMAIL]"),
        ("call (555) 123-4567", "call [PHONE]"),
        ("call +1 555 123 4567 or 5551234567", "call [PHONE] or [PHONE]"),
        ("UK: +44 20 7946 0958", "UK: [PHONE]"),
        ("local 555-1234", "local [PHONE]"),
        ("card 4111 1111 1111 1111", "card [CARD]"),
        ("card 4111-1111-1111-1111, 4111111111111111", "card [CARD], [CARD]"),
        ("my ssn is 123-45-6789", "my ssn is [SSN]"),
        ("born 03/14/1961 (1961-03-14)", "born [DATE] ([DATE])"),
        ("member id 123456789", "member id [ID]"),
        ("IBAN DE89 3704 0044 0532 0130 00", "IBAN [IBAN]"),
    ],
)
def test_identifiers_are_masked(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I do 10 reps 3 times a day",
        "pain is 7 out of 10 since 2019",
        "between 2019 2020 it got worse",
        "is 2.5 mg too much",
        "confidence 0.9999998211860657",
        "I walk 10,000 steps",
        "call 911",
        "what is TENS",
        "",
    ],
)
def test_what_the_assistant_needs_is_kept(text: str) -> None:
    assert redact_text(text) == text


def test_user_event_redacted_everywhere_bot_and_slots_untouched() -> None:
    pii = "my email is jane@example.com and phone 555-123-4567"
    user = {
        "event": "user",
        "timestamp": 1.0,
        "text": pii,
        "message_id": "5d41402abc4b2a76b9719d911017c592",
        "input_channel": "rest",
        "metadata": {"note": pii},
        "parse_data": {
            "text": pii,
            "intent": {"name": "out_of_scope", "confidence": 0.9},
            "entities": [{"entity": "email", "value": "jane@example.com"}],
        },
    }
    redacted = redact_event(user)
    assert "jane@example.com" not in str(redacted)
    assert "555-123-4567" not in str(redacted)
    assert redacted["text"] == "my email is [EMAIL] and phone [PHONE]"
    assert redacted["message_id"] == user["message_id"]
    assert redacted["parse_data"]["intent"] == user["parse_data"]["intent"]
    assert user["text"] == pii  # the original is not changed

    bot = {"event": "bot", "text": "Call us at (555) 010-0100."}
    slot = {"event": "slot", "name": "clinic_phone", "value": "(555) 010-0100"}
    assert redact_event(bot) == bot
    assert redact_event(slot) == slot


def test_log_lines_are_redacted(restore_log_factory: None) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("tests.redaction.demo")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        install_log_redaction()
        install_log_redaction()  # idempotent
        logger.info("user said %s", "mail jane@example.com, phone 555-123-4567")
        try:
            raise ValueError("bad input jane@example.com")
        except ValueError:
            logger.exception("failed for card 4111 1111 1111 1111")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "jane@example.com" not in output
    assert "555-123-4567" not in output
    assert "4111 1111" not in output
    assert "user said mail [EMAIL], phone [PHONE]" in output
    assert "ValueError: bad input [EMAIL]" in output
