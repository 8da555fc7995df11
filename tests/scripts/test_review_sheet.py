"""The review sheet's parts (scripts/review_sheet.py), without a browser.

tests/browser/test_review_sheet.py opens the whole sheet in Chromium.
"""

from __future__ import annotations

import html
import re

import pytest

from clinic.topics import TOPICS
from scripts import check_answers as kb
from scripts import review_sheet as sheet


@pytest.fixture(scope="module")
def page() -> str:
    return sheet.build_html()


def test_every_topic_has_a_summary_row_and_a_section(page):
    for topic in TOPICS:
        assert page.count(f'data-topic="{topic}"') == 2, topic
    assert page.count('<td class="sign"></td>') >= len(TOPICS)


def test_the_clinics_numbers_are_filled_in(page):
    assert not re.search(
        r"\{(emergency_number|crisis_line_name|poison_control)\}", page
    )
    settings = sheet.load_settings()
    assert settings.poison_control in page
    assert html.escape(settings.crisis_line_name) in page


def test_the_spanish_safety_replies_are_listed_for_sign_off(page):
    settings = sheet.load_settings()
    assert "Lo que describe puede ser una emergencia" in page
    assert html.escape(settings.crisis_line_name_es) in page
    assert page.count("<br>Spanish</td>") >= 5  # urgent care, overdose, crisis...


@pytest.mark.parametrize(
    "phrase, plain",
    [
        ("droop*", "droop…"),
        ("can|ca not ~ lift|raise", "can not … (lift / raise)"),
        ("face|smile ~~ crooked", "(face / smile) …… crooked"),
        ("heart attack", "heart attack"),
    ],
)
def test_red_flag_phrases_in_plain_words(phrase, plain):
    assert sheet.plain_phrase(phrase) == plain


def test_the_vocabulary_lists_every_rule_concept():
    vocabulary = sheet.red_flag_vocabulary()
    order = vocabulary["order"]
    # Every alarm is checked before the dosing question.
    assert {"red_flag", "overdose", "crisis", "crisis_someone_else"} <= set(order)
    assert order[-1] == "medication_dosing"
    for alternatives in vocabulary["rules"].values():
        for alternative in alternatives:
            for concept in alternative:
                concept = concept.removeprefix("not ").lstrip("!")
                assert concept in vocabulary["concepts"], concept


def test_passages_share_words_with_the_answer():
    registry = kb.load_registry()
    texts = sheet.SourceTexts(registry)
    if not texts.sentences:
        pytest.skip(f"{kb.SOURCES_DIR} not present")
    answer = "TENS sends mild electrical pulses through pads to block pain signals."
    passages = texts.passages("doc2", answer)
    assert passages and any("TENS" in p or "electrical" in p for p in passages)


def test_without_the_source_texts_the_sheet_says_so(tmp_path):
    registry = kb.load_registry()
    texts = sheet.SourceTexts(registry, folder=tmp_path)
    topic = TOPICS["tens"]
    section = sheet.topic_section(
        topic,
        kb.load_variants()[topic.answer],
        {},
        ["does tens help"],
        registry,
        texts,
        ("2026-12-02", "abc12345", "a change"),
        "Ask your physical therapist.",
        {},
    )
    assert "Source text not available" in section
    assert "<blockquote>" not in section


def test_last_change_comes_from_git():
    changed = sheet.blame_dates(kb.FAQ_RESPONSES)
    if not changed:
        pytest.skip("no git history")
    for topic in TOPICS.values():
        date = changed[topic.answer][0]
        assert re.fullmatch(r"\d{4}-\d\d-\d\d|not committed yet", date), date
