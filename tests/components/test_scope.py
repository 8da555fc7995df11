"""The relevance gate (components/scope.py), its embeddings and the out-of-scope reply."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from components import embedder as embedder_module
from components.embedder import EmbedderError, SentenceEmbedder, basic_tokens

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def embedder() -> SentenceEmbedder:
    return embedder_module.default_embedder()


def test_tokenizer_lowers_strips_accents_and_splits_punctuation():
    assert basic_tokens("Névralgie, TENS-unit?") == [
        "nevralgie",
        ",",
        "tens",
        "-",
        "unit",
        "?",
    ]


def test_wordpiece_splits_unknown_words(embedder):
    ids = embedder.tokenizer.encode("nueropathy")
    assert ids[0] == embedder.tokenizer.cls and ids[-1] == embedder.tokenizer.sep
    assert len(ids) > 3  # split into known pieces, not [UNK]
    assert embedder.tokenizer.unk not in ids


def test_embeddings_are_unit_vectors_that_group_paraphrases(embedder):
    vectors = embedder.embed(
        [
            "what is neuropathic pain",
            "what is nerve pain exactly",
            "how do i fix my wifi",
        ]
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > 0.6 > 0.2 > vectors[0] @ vectors[2]


def test_batching_does_not_change_an_embedding(embedder):
    alone = embedder.embed(["does tens help neuropathy"])[0]
    embedder._recent.clear()  # computed again, in a batch, not read back
    batched = embedder.embed(
        ["hi", "does tens help neuropathy", "a much longer question " * 5]
    )[1]
    assert np.allclose(alone, batched, atol=1e-5)


def test_a_text_embedded_again_in_the_same_turn_is_not_recomputed(
    embedder, monkeypatch
):
    first = embedder.embed(["can i use a heating pad on numb feet"])
    calls = []
    forward = embedder._forward
    monkeypatch.setattr(
        embedder, "_forward", lambda batch: calls.append(batch) or forward(batch)
    )
    again = embedder.embed(["can i use a heating pad on numb feet", "new text"])
    assert len(calls) == 1 and len(calls[0]) == 1  # only "new text"
    assert np.array_equal(first[0], again[0])
    again[0][:] = 0  # the caller's copy, not the cache
    assert np.array_equal(
        embedder.embed(["can i use a heating pad on numb feet"])[0], first[0]
    )


def test_training_texts_are_embedded_once_for_every_component(embedder, monkeypatch):
    texts = ["kept example one", "kept example two"]
    first = embedder.embed(texts, keep=True)
    monkeypatch.setattr(embedder, "_forward", lambda batch: pytest.fail("recomputed"))
    embedder._recent.clear()  # a kept text does not depend on the recent cache
    assert np.array_equal(embedder.embed(texts[::-1], keep=True), first[::-1])


def test_the_cache_stays_bounded(embedder):
    embedder.embed(
        [f"question number {i}" for i in range(3 * embedder_module.CACHE_SIZE)]
    )
    assert len(embedder._recent) == embedder_module.CACHE_SIZE


def test_weights_that_are_not_the_pinned_ones_are_refused(tmp_path):
    for name in embedder_module.SHA256:
        shutil.copy(embedder_module.model_dir() / name, tmp_path / name)
    with (tmp_path / embedder_module.VOCAB).open("a") as handle:
        handle.write("tampered\n")
    with pytest.raises(EmbedderError, match="sha256"):
        SentenceEmbedder(tmp_path)


def test_missing_weights_are_refused(tmp_path):
    with pytest.raises(EmbedderError, match="missing"):
        SentenceEmbedder(tmp_path)


# --- the gate, trained on a small set ---------------------------------------------

INSIDE = {
    "what_is_neuropathic_pain": [
        "what is nerve pain",
        "what is neuropathic pain exactly",
        "explain neuropathy to me",
        "what does neuropathic mean",
    ],
    "tens": [
        "does a tens unit help nerve pain",
        "is electrical stimulation good for neuropathy",
        "how do i use tens for my feet",
        "can tens calm my nerve pain",
    ],
    "pt_timeline": [
        "how long does physical therapy take for nerve pain",
        "when will pt start working on my neuropathy",
        "how many weeks of physio for nerve pain",
        "how soon does therapy help neuropathy",
    ],
}
OUTSIDE = [
    "what is gout",
    "what is diabetes",
    "how do i prevent the flu",
    "what causes acne",
    "does my insurance cover a colonoscopy",
    "what is a normal blood pressure",
    "how do i get my baby to sleep",
    "is ibuprofen bad for my stomach",
    "what helps a migraine",
    "whats the weather tomorrow",
    "how do i lower my cholesterol",
    "is the flu shot safe",
]


@pytest.fixture(scope="module")
def gate(tmp_path_factory):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from components.scope import ScopeGate

    examples = [
        Message(
            data={
                "text": text,
                "intent": "faq",
                "intent_response_key": f"faq/{topic}",
            }
        )
        for topic, texts in INSIDE.items()
        for text in texts
    ] + [Message(data={"text": t, "intent": "out_of_scope"}) for t in OUTSIDE]
    storage = LocalModelStorage(tmp_path_factory.mktemp("scope"))
    resource = Resource("scope_gate")
    config = ScopeGate.get_default_config()
    ScopeGate.create(config, storage, resource, None).train(TrainingData(examples))
    return ScopeGate.load(config, storage, resource, None)


def message(text: str, intent: str = "faq", confidence: float = 0.9):
    from rasa.shared.nlu.training_data.message import Message

    guess = {"name": intent, "confidence": confidence}
    return Message(data={"text": text, "intent": guess, "intent_ranking": [guess]})


def test_the_gate_routes_by_subject_not_question_form(gate):
    about_gout, about_nerves = message("what is gout exactly"), message(
        "what is nerve pain", intent="out_of_scope"
    )
    gate.process([about_gout, about_nerves])
    assert about_gout.get("intent")["name"] == "out_of_scope"
    assert about_nerves.get("intent")["name"] == "faq"
    assert about_nerves.get("intent_ranking")[0]["name"] == "faq"
    scope = about_nerves.get("scope")
    assert scope["relevant"] and scope["relevance"] >= 0.5
    assert scope["topics"][0][0] == "what_is_neuropathic_pain"


def test_a_borderline_message_gets_not_sure(gate):
    gate.config = dict(gate.config, threshold=1.0, unsure_threshold=0.0)
    try:
        borderline = message("does a tens unit help nerve pain")
        gate.process([borderline])
        assert borderline.get("intent")["name"] == "nlu_fallback"
    finally:
        gate.config = dict(gate.config, threshold=0.5, unsure_threshold=0.35)


@pytest.mark.parametrize("intent", ["red_flag", "crisis", "greet", "book_appointment"])
def test_other_intents_and_alarms_are_left_alone(gate, intent):
    alarm = message("what is gout", intent=intent)
    gate.process([alarm])
    assert alarm.get("intent")["name"] == intent
    assert "scope" in alarm.as_dict()


@pytest.mark.parametrize("intent", ["greet", "goodbye", "help"])
def test_small_talk_the_classifier_doubts_is_routed_by_subject(gate, intent):
    doubted = message("what is nerve pain", intent=intent, confidence=0.45)
    sure = message("what is nerve pain", intent=intent, confidence=0.55)
    gate.process([doubted, sure])
    assert doubted.get("intent")["name"] == "faq"
    assert sure.get("intent")["name"] == intent


def test_button_payloads_are_not_scored(gate):
    payload = message('/faq{"faq_topic":"tens"}')
    gate.process([payload])
    assert payload.get("intent")["name"] == "faq"
    assert payload.get("scope") is None


# --- the out-of-scope reply ---------------------------------------------------------


def test_out_of_scope_reply_says_what_it_covers_and_where_to_go():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    english, spanish = domain["responses"]["utter_out_of_scope"]
    text = english["text"].lower()
    assert "nerve pain" in text and "physical therapy" in text
    assert "doctor" in text and "pharmacist" in text
    assert "{clinic_phone}" in english["text"]
    assert "not medical advice" not in text  # no disclaimer-plus-referral block
    assert spanish["condition"][0]["value"] == "es"
    texto = spanish["text"].lower()
    assert "dolor de nervios" in texto and "terapia física" in texto
    assert "médico" in texto and "farmacéutico" in texto
    assert "{clinic_phone_es}" in spanish["text"]


def test_out_of_scope_reply_buttons_come_from_the_action():
    # Rasa adds an action's buttons to the domain's: the reply has none of its own,
    # so the nearest topics (actions/faq.py) are not shown beside fixed ones.
    from clinic.topics import STARTER_TOPICS, TOPICS

    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    for variant in domain["responses"]["utter_out_of_scope"]:
        assert not variant.get("buttons")
    assert 2 <= len(STARTER_TOPICS) <= 3
    assert all(topic in TOPICS for topic in STARTER_TOPICS)
