"""The validator warnings scripts/validate.sh tolerates must be real false positives."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from actions.faq import FULL_DISCLAIMER, SHORT_DISCLAIMER
from clinic.topics import TOPICS
from safety.categories import SAFETY_INTENTS

ROOT = Path(__file__).resolve().parent.parent


def allowlisted() -> set:
    script = (ROOT / "scripts" / "validate.sh").read_text()
    return set(re.search(r"allowed_unused='([^']+)'", script).group(1).split("|"))


def test_each_tolerated_unused_response_is_sent_by_an_action():
    sent_by_actions = {FULL_DISCLAIMER, SHORT_DISCLAIMER, "utter_not_sure", "utter_faq"}
    sent_by_actions.add("utter_more_which_topic")  # action_tell_me_more
    sent_by_actions.add("utter_out_of_scope")  # action_out_of_scope
    sent_by_actions |= {t.referral_response for t in TOPICS.values()}
    sent_by_actions |= {f"utter_safety_hint_{c}" for c in SAFETY_INTENTS}
    assert allowlisted() == sent_by_actions
    source = (ROOT / "actions" / "faq.py").read_text()
    assert '"utter_not_sure"' in source
    assert '"utter_more_which_topic"' in source
    assert '"utter_out_of_scope"' in source


def test_tolerated_responses_exist_in_the_domain():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    for name in allowlisted() - {"utter_faq"}:
        assert name in domain["responses"], name
