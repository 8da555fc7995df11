"""The embedded default keeps conversations across restarts, redacted (live)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live import LiveAssistant

pytestmark = pytest.mark.live

FULL_DISCLAIMER = "general education"
SHORT_DISCLAIMER = "Reminder:"
PII = "my email is jane@example.com and phone 555-123-4567"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveAssistant]:
    # DEBUG: Rasa logs each message it handles, so the logs can be checked too.
    assistant = LiveAssistant(
        tmp_path_factory.mktemp("persistence"), env={"LOG_LEVEL": "DEBUG"}
    ).start()
    yield assistant
    assistant.stop()


def texts(reply: list[dict]) -> list[str]:
    return [m["text"] for m in reply if m.get("text")]


def test_conversation_continues_after_restart(live: LiveAssistant) -> None:
    sender = f"restart-{uuid.uuid4().hex[:8]}"
    messages = [
        "hi",
        "What exactly is neuropathic pain?",
        "how long does physical therapy take",
        "does stretching help nerve pain",
    ]
    replies = [live.send(sender, messages[0]), live.send(sender, messages[1])]
    assert any(FULL_DISCLAIMER in t for t in texts(replies[1])), replies[1]

    live.stop_rasa()
    live.start_rasa()

    for message in messages[2:]:
        replies.append(live.send(sender, message))
    for reply in replies[2:]:
        # The same session: the short reminder, not the full disclaimer again.
        assert any(t.startswith(SHORT_DISCLAIMER) for t in texts(reply)), reply
        assert not any(FULL_DISCLAIMER in t for t in texts(reply)), reply

    events = live.tracker(sender)["events"]
    users = [e["text"] for e in events if e["event"] == "user"]
    # The REST channel sends each paragraph of a bot message as its own message.
    bots = [
        part
        for e in events
        if e["event"] == "bot" and e.get("text")
        for part in e["text"].strip().split("\n\n")
    ]
    assert users == messages
    assert bots == [t for reply in replies for t in texts(reply)]
    assert sum(e["event"] == "session_started" for e in events) == 1


def test_identifiers_never_reach_the_store_or_the_logs(live: LiveAssistant) -> None:
    sender = f"privacy-{uuid.uuid4().hex[:8]}"
    reply = live.send(sender, PII)
    assert texts(reply)  # the patient still gets an answer

    events = live.tracker(sender)["events"]
    stored = str(events)
    assert "jane@example.com" not in stored and "555-123-4567" not in stored
    users = [e for e in events if e["event"] == "user"]
    assert users[-1]["text"] == "my email is [EMAIL] and phone [PHONE]"
    assert users[-1]["parse_data"]["text"] == "my email is [EMAIL] and phone [PHONE]"

    log = (Path(live.workdir) / "rasa.log").read_text(errors="replace")
    assert "my email is [EMAIL] and phone [PHONE]" in log  # logged, redacted
    assert "jane@example.com" not in log and "555-123-4567" not in log
