"""The knowledge base: every catalogue topic answered well and trained for."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from clinic.topics import TOPICS
from scripts import check_answers as kb

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "data" / "faq_topics.yml"
DOMAIN = ROOT / "domain.yml"
HELDOUT = ROOT / "tests" / "nlu_heldout.yml"
MIN_EXAMPLES = 20
SPECIAL_RESPONSES = {
    "red_flag": "utter_urgent_care",
    "overdose": "utter_overdose",
    "crisis": "utter_crisis_support",
    "crisis_someone_else": "utter_crisis_support_other",
    "medication_dosing": "utter_ask_prescriber",
    "book_appointment": "utter_book_appointment",
    "human_handoff": "utter_handoff",
    "out_of_scope": "utter_out_of_scope",
    "bot_challenge": "utter_iamabot",
    "greet": "utter_greet",
    "goodbye": "utter_goodbye",
    "help": "utter_help",
}


def examples_by_intent(paths: list[Path]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
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
VARIANTS = kb.load_variants()
ANSWERS = kb.load_answers()  # the full answers
SHORT_ANSWERS = kb.load_answers(variant="short")  # what a patient sees first
REGISTRY = kb.load_registry()
TOPIC_IDS = sorted(TOPICS)


def normalise(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.lower()))


@pytest.fixture(scope="module")
def catalogue_ids() -> list[str]:
    return [t["id"] for t in yaml.safe_load(CATALOGUE.read_text())["faq"]]


def test_topics_match_the_catalogue(catalogue_ids):
    assert sorted(catalogue_ids) == TOPIC_IDS
    assert len(TOPIC_IDS) == 48


def test_special_intents_lead_to_their_catalogue_responses():
    domain = yaml.safe_load(DOMAIN.read_text())
    rules = "".join(p.read_text() for p in (ROOT / "data" / "rules").glob("*.yml"))
    # Out of scope goes through an action that first checks for a follow-up on
    # the conversation's topic (clinic/followup.py), then sends the response.
    through_action = {"out_of_scope": "action_out_of_scope"}
    for intent, response in SPECIAL_RESPONSES.items():
        assert intent in domain["intents"]
        assert response in domain["responses"]
        action = through_action.get(intent, response)
        pattern = rf"- intent: {intent}\n\s+- action: {action}\n"
        assert re.search(pattern, rules), f"no rule {intent} -> {action}"
    source = (ROOT / "actions" / "faq.py").read_text()
    assert 'response="utter_out_of_scope"' in source


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
    known = {s["short"] for s in REGISTRY.values()}
    body, names = kb.split_answer(ANSWERS[name])
    assert names, "no Sources line"
    assert set(names) <= known
    assert kb.MIN_WORDS <= len(kb.words(body)) <= kb.MAX_WORDS
    assert kb.grade_level(body) <= kb.MAX_GRADE
    assert kb.citation_problems(ANSWERS[name], REGISTRY) == []


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_short_answer_comes_first_answers_at_once_and_fits_a_phone(name):
    short, full = VARIANTS[name]["short"], VARIANTS[name]["full"]
    assert short != full, "no short variation"
    body, names = kb.split_answer(short)
    filled = kb.filled(body, kb.clinic_values())  # as the patient reads it
    assert len(kb.words(filled)) <= kb.MAX_SHORT_WORDS
    # Its first sentence is the full answer's, which answers the question.
    assert kb.first_sentence(body) == kb.first_sentence(kb.split_answer(full)[0])
    assert kb.grade_level(body) <= kb.MAX_GRADE
    assert kb.citation_problems(short, REGISTRY) == []
    assert set(names) == set(kb.split_answer(full)[1])  # the same sources


def _language(variation: dict) -> str:
    for condition in variation.get("condition") or []:
        if condition.get("name") == "language":
            return condition["value"]
    return "en"


def test_each_answer_has_a_short_and_a_full_variation_per_language():
    responses = yaml.safe_load(kb.FAQ_RESPONSES.read_text())["responses"]
    for name, variations in responses.items():
        for language in ("en", "es"):
            mine = [v for v in variations if _language(v) == language]
            fulls = [v for v in mine if kb.is_full(v)]
            assert (len(mine), len(fulls)) == (2, 1), (name, language)
        defaults = [v for v in variations if not v.get("condition")]
        assert variations[0] is defaults[0], f"{name}: the short answer goes first"


@pytest.mark.parametrize(
    "language, detail, expected",
    [
        ("en", None, ("en", "short")),
        ("en", "full", ("en", "full")),
        ("es", None, ("es", "short")),
        ("es", "full", ("es", "full")),
        ("pt", None, ("en", "short")),
    ],
)
def test_exactly_one_variation_fits_each_language_and_detail(
    language, detail, expected
):
    from rasa.core.nlg.generator import ResponseVariationFilter

    responses = yaml.safe_load(kb.FAQ_RESPONSES.read_text())["responses"]
    chooser = ResponseVariationFilter(responses)
    slots = {"language": language, "answer_detail": detail}
    for name in responses:
        fits = chooser.responses_for_utter_action(name, "rest", slots)
        assert len(fits) == 1, (name, slots)
        kind = "full" if kb.is_full(fits[0]) else "short"
        assert (_language(fits[0]), kind) == expected, (name, slots)


@pytest.mark.parametrize(
    "text, first",
    [
        ("Yes, it can. More here.", "Yes, it can"),
        ("Some habits help:\n- Walk.", "Some habits help"),
        ("PT (physical therapy) helps! Really.", "PT (physical therapy) helps"),
        ("No end", "No end"),
    ],
)
def test_first_sentence(text, first):
    assert kb.first_sentence(text) == first


def test_short_answers_keep_the_urgent_advice_of_their_topic():
    """Where the full answer sends people to urgent care, so does the short one."""
    urgent = re.compile(r"emergency|urgent care|crisis|\{emergency_number\}", re.I)
    for name, v in VARIANTS.items():
        if urgent.search(kb.split_answer(v["full"])[0]):
            assert urgent.search(kb.split_answer(v["short"])[0]), name


# --- sources and links ---------------------------------------------------------------


def test_every_source_has_a_short_name_and_an_empty_or_https_url():
    shorts = [s["short"] for s in REGISTRY.values()]
    assert len(set(shorts)) == len(shorts)
    for doc_id, source in REGISTRY.items():
        assert source["short"].strip() and ";" not in source["short"], doc_id
        assert kb.url_problem(source.get("url", "")) is None, doc_id


@pytest.mark.parametrize(
    "url, ok",
    [
        ("", True),
        ("https://example-clinic.org/articles/nerve-pain", True),
        ("https://www.example.org/a?b=1#c", True),
        ("http://example.org/a", False),
        ("javascript:alert(1)", False),
        ("https://localhost/a", False),
        ("https://exa mple.org", False),
        ("https://example.org/a(b)", False),
        (" https://example.org", False),
        ("https://user:pw@example.org", False),
        ("example.org", False),
    ],
)
def test_url_check(url, ok):
    assert (kb.url_problem(url) is None) is ok, kb.url_problem(url)


def test_every_cited_name_is_registered_and_linked_as_the_registry_says():
    for name, v in VARIANTS.items():
        for text in v.values():
            assert kb.citation_problems(text, REGISTRY) == [], name


def test_citations_link_when_the_registry_has_a_url(tmp_path, monkeypatch):
    registry = tmp_path / "sources.yml"
    data = yaml.safe_load(kb.SOURCES_REGISTRY.read_text())
    data["sources"]["doc5"]["url"] = "https://example-clinic.org/rehab"
    registry.write_text(yaml.safe_dump(data))
    answers = tmp_path / "faq.yml"
    answers.write_text(kb.FAQ_RESPONSES.read_text())
    monkeypatch.setattr(kb, "SOURCES_REGISTRY", registry)
    linked = kb.load_registry()
    text = VARIANTS["utter_faq/flare_ups"]["short"]
    assert kb.citation_problems(text, linked)  # stale: now it must be a link

    assert kb.write_citations(answers) == 2 * sum(
        "Rehab framework" in v["full"] for v in VARIANTS.values()
    )
    rewritten = kb.load_variants([answers])["utter_faq/flare_ups"]["short"]
    assert rewritten.endswith(
        "Sources: [Rehab framework](https://example-clinic.org/rehab)"
    )
    assert kb.citations(rewritten) == [
        ("Rehab framework", "https://example-clinic.org/rehab")
    ]
    assert kb.citation_problems(rewritten, linked) == []
    assert kb.write_citations(answers) == 0  # idempotent


def test_citation_lines_are_up_to_date():
    """Every Sources line is what --write-citations would write."""
    for name, v in VARIANTS.items():
        for text in v.values():
            line = text.rsplit("\n", 1)[-1]
            ids = kb.cited_doc_ids(line, REGISTRY)
            assert line == kb.citation_line(ids, REGISTRY), name


# --- US spelling ----------------------------------------------------------------------


def patient_texts() -> dict[str, str]:
    """Everything the assistant says: answers, domain responses, labels, notes."""
    texts = {}
    for name, v in VARIANTS.items():
        texts[f"{name} (short)"], texts[f"{name} (full)"] = v["short"], v["full"]
    domain = yaml.safe_load(DOMAIN.read_text())
    for name, variations in domain["responses"].items():
        for i, variation in enumerate(variations):
            titles = " / ".join(b["title"] for b in variation.get("buttons", []))
            texts[f"{name}[{i}]"] = f"{variation.get('text', '')} {titles}"
    for topic in TOPICS.values():
        texts[f"label {topic.id}"] = topic.label
    clinic = yaml.safe_load((ROOT / "clinic.yml").read_text())
    for key in ("disclaimer_full", "disclaimer_short", "hours", "staff_response_time"):
        texts[f"clinic.yml {key}"] = clinic[key]
    return texts


def test_patient_texts_use_us_spelling():
    found = {n: kb.spelling_problems(t) for n, t in patient_texts().items()}
    assert {n: p for n, p in found.items() if p} == {}


@pytest.mark.parametrize(
    "text, problem",
    [
        ("Nerve mobilisation helps.", "mobilisation"),
        ("Ask about your exercise programme.", "programme"),
        ("Counselling can help.", "counselling"),
        ("Practise every day.", "practise"),
        ("A change in colour.", "colour"),
        ("They organised a plan.", "organised"),
        ("We recognise that.", "recognise"),
        ("Go to the centre.", "centre"),
        ("Do not stop the the medicine.", "the the"),
        ("You may recieve a call.", "recieve"),
    ],
)
def test_spelling_check_catches_british_forms_and_slips(text, problem):
    assert any(problem in p for p in kb.spelling_problems(text))


def test_spelling_check_leaves_us_words_alone():
    text = (
        "Exercise, exercises and exercising; advise, otherwise, promise, raise, "
        "rising, surprise, noise, precise, bruising. Practice often, counseling, "
        "program, center, color, behavior, analyze, this crisis, your hours."
    )
    assert kb.spelling_problems(text) == []


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
