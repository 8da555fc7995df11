"""Render a domain response as the Rasa server does (its templated NLG)."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from tests.support.live import ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def render(name: str, language: str = "en", **values: Any) -> dict[str, Any]:
    tracker = DialogueStateTracker.from_events(
        "render", [SlotSet("language", language)], slots=DOMAIN.slots
    )
    generator = TemplatedNaturalLanguageGenerator(DOMAIN.responses)
    reply = asyncio.run(generator.generate(name, tracker, "rest", **values))
    assert reply is not None, name
    return reply
