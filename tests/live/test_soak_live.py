"""Concurrent conversations with mixed messages: every message is answered.

5 clients at once, each through the whole mix (questions, an emergency, a
crisis, a dosing question, booking, an empty and an over-long message). The
long soak and its memory growth are a benchmark (`make bench`, scripts/bench.py).
"""

from __future__ import annotations

import pytest

from tests.support.load import CONVERSATIONS, MIX, run_load

pytestmark = pytest.mark.live

ROUNDS = 2  # each client goes through MIX twice: two conversations each


def test_concurrent_mixed_conversations_are_all_answered(assistant):
    url = assistant.url + "/webhooks/rest/webhook"
    stats = run_load(url, seconds=300, turns=ROUNDS * len(MIX))
    assert len(stats["latency"]) == CONVERSATIONS * ROUNDS * len(MIX)
    assert stats["errors"] == []
