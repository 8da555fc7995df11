"""The knowledge base: every catalogue topic answered well and trained for."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Dict, List

import pytest
import yaml

from actions.topics import TOPICS
from scripts import check_answers as kb

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "data" / "faq_topics.yml"
DOMAIN = ROOT / "domain.yml"
HELDOUT = ROOT / "tests" / "nlu_heldout.yml"
MIN_EXAMPLES = 20
SPECIAL_RESPONSES = {
    "red_flag": "utter_urgent_care",
    "crisis": "utter_crisis_support",
    "medication_dosing": "utter_ask_prescriber",
    "book_appointment": "utter_book_appointment",
    "human_handoff": "utter_handoff",
    "out_of_scope": "utter_out_of_scope",
    "bot_challenge": "utter_iamabot",
    "greet": "utter_greet",
    "goodbye": "utter_goodbye",
    "help": "utter_help",
}


def examples_by_intent(paths: List[Path]) -> Dict[str, List[str]]:
    found: Dict[str, List[str]] = {}
    for path in paths:
        for item in yaml.safe_load(path.read_text()).get("nlu", []):
            lines = [
                line[2:].strip()
                for line in item["examples"].splitlines()
                if line.startswith("- ")
            ]
            found.setdefault(item["intent"], []).extend(lines)
    return found


TRAINING = examples_by_intent(sorted((ROOT / "data" / "nlu").glob("*.yml")))
HELD_OUT = examples_by_intent([HELDOUT])
ANSWERS = kb.load_answers()
TOPIC_IDS = sorted(TOPICS)


def normalise(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


@pytest.fixture(scope="module")
def catalogue_ids() -> List[str]:
    return [t["id"] for t in yaml.safe_load(CATALOGUE.read_text())["faq"]]


def test_topics_match_the_catalogue(catalogue_ids):
    assert sorted(catalogue_ids) == TOPIC_IDS
    assert len(TOPIC_IDS) == 48


def test_special_intents_lead_to_their_catalogue_responses():
    domain = yaml.safe_load(DOMAIN.read_text())
    rules = "".join(p.read_text() for p in (ROOT / "data" / "rules").glob("*.yml"))
    for intent, response in SPECIAL_RESPONSES.items():
        assert intent in domain["intents"]
        assert response in domain["responses"]
        pattern = rf"- intent: {intent}\n\s+- action: {response}\n"
        assert re.search(pattern, rules), f"no rule {intent} -> {response}"


@pytest.mark.parametrize("topic", TOPIC_IDS)
def test_every_topic_has_an_answer_and_enough_examples(topic):
    assert f"utter_faq/{topic}" in ANSWERS
    examples = TRAINING.get(f"faq/{topic}", [])
    assert len(examples) >= MIN_EXAMPLES, f"{topic}: {len(examples)} examples"


def test_no_answer_without_a_topic():
    assert set(ANSWERS) == {f"utter_faq/{t}" for t in TOPIC_IDS}


def test_training_examples_are_unique_across_intents():
    counts = Counter(normalise(e) for lines in TRAINING.values() for e in lines)
    assert [e for e, n in counts.items() if n > 1] == []


def test_out_of_scope_covers_everyday_subjects():
    assert len(TRAINING["out_of_scope"]) >= 80


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_answer_is_chat_sized_plain_and_cited(name):
    known = {s["title"] for s in kb.load_registry().values()}
    body, titles = kb.split_answer(ANSWERS[name])
    assert titles, "no Sources line"
    assert set(titles) <= known
    assert kb.MIN_WORDS <= len(kb.words(body)) <= kb.MAX_WORDS
    assert kb.grade_level(body) <= kb.MAX_GRADE


def test_no_answer_copies_a_source():
    grams = kb.source_ngrams()
    if not grams:
        pytest.skip(f"{kb.SOURCES_DIR} not present")
    copied = {n: kb.copied_runs(t, grams) for n, t in ANSWERS.items()}
    assert {n: runs for n, runs in copied.items() if runs} == {}


def test_copy_check_catches_a_pasted_sentence():
    grams = kb.source_ngrams()
    if not grams:
        pytest.skip(f"{kb.SOURCES_DIR} not present")
    source = next(kb.SOURCES_DIR.glob("doc2*.txt")).read_text()
    pasted = " ".join(kb.words(source)[200:230])
    assert kb.copied_runs(pasted, grams)


def test_pt_vs_medication_presents_both_views():
    body, titles = kb.split_answer(ANSWERS["utter_faq/pt_vs_medication"])
    assert len(titles) >= 2
    assert re.search(r"\b(disagree|not fully agree|another source)", body, re.I)


def test_answers_never_give_doses():
    for name, text in ANSWERS.items():
        assert not re.search(r"\b\d+\s?(mg|milligram)", text, re.I), name


def test_held_out_set_is_big_enough_and_separate():
    for topic in TOPIC_IDS:
        assert len(HELD_OUT.get(f"faq/{topic}", [])) >= 4, topic
    assert len(HELD_OUT["out_of_scope"]) >= 40
    trained = {normalise(e) for lines in TRAINING.values() for e in lines}
    leaked = [
        e for lines in HELD_OUT.values() for e in lines if normalise(e) in trained
    ]
    assert leaked == []
