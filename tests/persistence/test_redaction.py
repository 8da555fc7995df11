"""Identifiers in what patients type are masked; what the assistant needs stays."""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Iterator

import pytest

from persistence import redaction
from persistence.redaction import install_log_redaction, redact_event, redact_text


@pytest.fixture
def restore_log_factory() -> Iterator[None]:
    """install_log_redaction() is process-wide: undo it after the test."""
    factory, installed = logging.getLogRecordFactory(), redaction._installed
    captured = logging._warnings_showwarning is not None  # type: ignore[attr-defined]
    # Start from a clean state: pytest swaps warnings.showwarning per test, so a
    # capture left on by an earlier test would not reach this one.
    logging.captureWarnings(False)
    redaction._installed = False
    yield
    logging.setLogRecordFactory(factory)
    redaction._installed = installed
    logging.captureWarnings(captured)


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
        # Other separators, compatibility forms, spelled-out digits.
        ("call 555/123/4567", "call [PHONE]"),
        ("call 555_123_4567", "call [PHONE]"),
        ("call 555,123,4567", "call [PHONE]"),
        ("mail jane＠example.com", "mail [EMAIL]"),
        ("ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "[EMAIL]"),
        ("call （５５５）１２３－４５６７", "call [PHONE]"),
        ("mail jane [at] example [dot] com", "mail [EMAIL]"),
        (
            "my number is five five five one two three four five six seven",
            "my number is [PHONE]",
        ),
        ("Five-Five-Five, one two three, 4567", "[PHONE]"),
        ("double five five one two three four", "[PHONE]"),
        ("mi número es cinco cinco cinco uno dos tres cuatro", "mi número es [PHONE]"),
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
        "I do one or two sets, three times a day for ten minutes",
        "pain 7/10, 2019/2020",
        "ｃｈｅｓｔ pain",  # no identifier: kept exactly as typed
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
    assert redact_event(slot, keep_slots={"clinic_phone"}) == slot


@pytest.mark.parametrize(
    "name, value",
    [
        ("faq_topic", "jane@example.com"),
        ("faq_topic", "555-123-4567"),
        ("faq_topic", "123-45-6789"),
        ("session_started_metadata", {"email": "jane@example.com", "n": "5551234567"}),
    ],
)
def test_slots_a_user_can_fill_are_redacted(name, value) -> None:
    slot = {"event": "slot", "timestamp": 1.0, "name": name, "value": value}
    redacted = redact_event(slot, keep_slots={"clinic_phone"})
    assert "jane@example.com" not in str(redacted)
    assert "555" not in str(redacted) and "6789" not in str(redacted)
    assert redacted["name"] == name and redacted["timestamp"] == 1.0


def test_other_events_carrying_user_values_are_redacted() -> None:
    entities = {"event": "entities", "entities": [{"value": "jane@example.com"}]}
    assert "jane@example.com" not in str(redact_event(entities))


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


def test_long_log_lines_are_cut(restore_log_factory: None) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("tests.redaction.long")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        install_log_redaction()
        logger.warning("got %s", "x" * 220_000 + " jane@example.com")
        logger.warning("short %s", "jane@example.com")
    finally:
        logger.removeHandler(handler)
    first, second = stream.getvalue().splitlines()
    assert len(first) <= redaction.MAX_LOG_CHARS + 60
    assert first.endswith("more characters not logged]")
    assert "jane@example.com" not in stream.getvalue()
    assert second == "short [EMAIL]"


def test_warnings_go_through_the_redacted_log(restore_log_factory: None) -> None:
    """Rasa's "Failed to parse arguments in line '/foo ...'" quotes the message."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("py.warnings")
    logger.addHandler(handler)
    try:
        install_log_redaction()
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.warn(
                "Failed to parse arguments in line '/foo my email is jane@example.com"
                + " x" * 100_000
                + "'",
                UserWarning,
                stacklevel=1,
            )
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "Failed to parse arguments in line '/foo my email is [EMAIL]" in output
    assert "jane@example.com" not in output
    assert len(output) < redaction.MAX_LOG_CHARS + 200


def test_library_deprecation_notices_stay_out_of_the_log() -> None:
    import logging
    import warnings

    redaction.quiet_library_notices()
    redaction.quiet_library_notices()  # idempotent
    notices = logging.getLogger("py.warnings")
    assert sum(isinstance(f, redaction.LibraryNotices) for f in notices.filters) == 1
    library = "/x/.venv/lib/python3.10/site-packages/typer/__init__.py"
    ours = "/x/channels/inbound.py"

    def kept(path: str, category: type) -> bool:
        # What logging.captureWarnings logs for a warning.
        line = warnings.formatwarning("notice", category, path, 1)
        record = logging.LogRecord(
            "py.warnings", logging.WARNING, path, 1, line, (), None
        )
        return all(f.filter(record) for f in notices.filters)

    assert not kept(library, DeprecationWarning)
    assert not kept(library, PendingDeprecationWarning)
    assert kept(library, UserWarning)
    assert kept(ours, DeprecationWarning)
