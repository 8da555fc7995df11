"""Every response in domain.yml renders through Rasa's NLG as written.

A button payload such as `/faq{"faq_topic": ...}` looks like a slot placeholder
to Rasa's interpolator, which then logs an ERROR on every reply; domain.yml
escapes its braces (`{{ }}`) and the rendered payload must come out plain.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import rasa.core.nlg.interpolator as interpolator

from clinic.topics import TOPICS, topic_payload
from tests.support.rendering import DOMAIN, render

WITH_BUTTONS = sorted(
    name
    for name, variants in DOMAIN.responses.items()
    if any(variant.get("buttons") for variant in variants)
)


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def exception(self, event: str, **fields: Any) -> None:
        self.events.append((event, fields))


def test_some_responses_have_buttons() -> None:
    assert "utter_urgent_care" in WITH_BUTTONS


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("name", WITH_BUTTONS)
def test_buttons_render_without_an_interpolation_error(
    name: str, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder()
    monkeypatch.setattr(interpolator, "structlogger", recorder)
    reply = render(name, language, clinic_name="Clinic", clinic_phone="555")
    assert recorder.events == []
    for button in reply.get("buttons") or []:
        payload = button.get("payload") or button.get("url") or ""
        assert "{{" not in payload and "}}" not in payload, payload
        if payload.startswith("/faq{"):
            topic = json.loads(payload[len("/faq") :])["faq_topic"]
            assert topic in TOPICS and payload == topic_payload(topic)
