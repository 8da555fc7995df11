"""The safety second net's text handling and how the detector uses its score."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from components.alarm_net import _skipped, load_examples, plain_meaning, segments
from components.safety import SafetyDetector
from safety.categories import ALARM_CATEGORIES
from safety.detector import default_rules


def test_an_alarm_after_a_question_is_scored_on_its_own():
    parts = segments(
        "Hi, my therapist gave me nerve glides and ice for my sciatica and I do "
        "them every day. Can I use ice on my feet too? Also my face is drooping "
        "on one side."
    )
    assert any(p.startswith("Also my face") for p in parts[1:])


def test_a_short_message_is_one_part():
    assert segments("chest pain") == ["chest pain"]
    assert segments("that stretch was rough. but i feel better today") == [
        "that stretch was rough. but i feel better today"
    ]


@pytest.mark.parametrize(
    "idiom",
    [
        "this pain is killing me",
        "my back's killing me",
        "that stretch nearly killed me lol",
        "el dolor me esta matando",
        "my boss is going to kill me if i take more time off",
        "my wife will kill me lol",
        "mi esposa me va a matar si falto otra vez",
    ],
)
def test_figures_of_speech_read_as_pain(idiom):
    assert "kill" not in plain_meaning(idiom) and "mat" not in plain_meaning(idiom)


def test_dying_to_is_eager_to():
    assert "dying" not in plain_meaning("honestly dying to get some sleep again")


@pytest.mark.parametrize(
    "crisis",
    [
        "i want to kill myself",
        "i'm going to kill myself tonight",
        "he said he will kill himself",
        "i feel like i'm dying, can't breathe",
        "me voy a matar",
    ],
)
def test_a_real_crisis_is_not_rewritten(crisis):
    assert plain_meaning(crisis) == crisis


@pytest.mark.parametrize("language", ["en", "es"])
def test_examples_have_both_kinds(language):
    labels = {label for _, label in load_examples(language)}
    assert "none" in labels and set(ALARM_CATEGORIES) <= labels


class _Message(dict):
    def get(self, key, default=None):  # the Message API the detector uses
        return super().get(key, default)


def _net_alarm(text, net):
    detector = SafetyDetector({})
    message = _Message(alarm_net=net, text=text)
    return detector._net_alarm(message, default_rules().analyse(text))


def test_a_sure_net_alarm_fires():
    net = {"language": "en", "score": 0.97, "category": "red_flag"}
    assert _net_alarm("my leg went dead and I can't stand up", net) == net


def test_an_unsure_net_alarm_does_not():
    net = {"language": "en", "score": 0.5, "category": "red_flag"}
    assert _net_alarm("my leg went dead and I can't stand up", net) is None


def test_a_short_question_vetoes_the_net():
    net = {"language": "en", "score": 0.97, "category": "red_flag"}
    assert (
        _net_alarm("can neuropathy make my legs go weak all of a sudden?", net) is None
    )


@pytest.mark.parametrize("category", ["crisis", "crisis_someone_else"])
def test_a_question_does_not_veto_an_english_crisis(category):
    # a crisis is often asked, not told
    net = {"language": "en", "score": 0.95, "category": category}
    assert _net_alarm("how many of my pills would it take, i have 60", net) == net


def test_a_denial_still_vetoes_an_unsure_crisis():
    net = {"language": "en", "score": 0.95, "category": "crisis"}
    text = "feeling low lately but im not thinking of hurting myself"
    assert _net_alarm(text, net) is None


@pytest.mark.parametrize(
    "text",
    [
        "ya no quiero seguir con las sesiones, no veo cambio",
        "me quiero morir de la verguenza, me quede dormida en la camilla",
    ],
)
def test_words_the_rules_excuse_veto_even_a_sure_crisis(text):
    net = {"language": "es", "score": 0.98, "category": "crisis"}
    assert _net_alarm(text, net) is None


@pytest.mark.parametrize(
    "text",
    [
        "ya no quiero seguir, estoy cansada de todo",
        "ya no quiero seguir con las sesiones. ya no quiero vivir",
    ],
)
def test_a_crisis_beside_or_without_the_excuse_still_fires(text):
    net = {"language": "es", "score": 0.98, "category": "crisis"}
    assert _net_alarm(text, net) == net


def test_a_question_in_a_long_message_does_not_veto_its_report():
    net = {"language": "en", "score": 0.97, "category": "red_flag"}
    text = (
        "hi, my pt gave me seated nerve glides for my arm and they help. should i "
        "do them before or after my shower? also since yesterday the numbness went "
        "from my toes up past my knees and today my hands started"
    )
    assert len(text.split()) >= 25
    assert _net_alarm(text, net) == net
    denied = text + ". no wait, none of that is true, no numbness at all"
    assert _net_alarm(denied, net) is None  # other vetoes still hold


def test_english_rules_veto_a_denied_sign():
    net = {"language": "en", "score": 0.97, "category": "red_flag"}
    assert _net_alarm("no chest pain and no trouble breathing", net) is None


def test_spanish_uses_its_own_threshold():
    net = {"language": "es", "score": 0.75, "category": "crisis"}
    assert _net_alarm("ya no quiero vivir", net) == net


# Spanish: the frames veto a net alarm only below net_veto_ceiling_es (0.9).
SPANISH_FRAMED = [
    "hace como seis anos pense en quitarme la vida, hoy estoy bien",  # history
    "el folleto dice que puede dar pensamientos raros, es normal?",  # reported
    "la pregabalina puede causar problemas para respirar?",  # question
]


@pytest.mark.parametrize("text", SPANISH_FRAMED)
def test_a_spanish_frame_vetoes_an_unsure_net_alarm(text):
    net = {"language": "es", "score": 0.8, "category": "crisis"}
    assert _net_alarm(text, net) is None


@pytest.mark.parametrize("text", SPANISH_FRAMED)
def test_a_spanish_frame_does_not_veto_a_sure_one(text):
    net = {"language": "es", "score": 0.95, "category": "crisis"}
    assert _net_alarm(text, net) == net


@pytest.mark.parametrize(
    "idiom",
    [
        "me muero de la verguenza con la terapeuta",
        "estoy muriendo de la risa con mi papa",
        "los ejercicios lo van a matar, dice mi abuelo",
        "this commute will be the death of me",
    ],
)
def test_more_figures_of_speech_are_read_plainly(idiom):
    meaning = plain_meaning(idiom)
    assert "muer" not in meaning and "muri" not in meaning
    assert "matar" not in meaning and "death" not in meaning


def test_an_old_unchanged_symptom_vetoes_a_red_flag_net_alarm():
    net = {"language": "en", "score": 0.9, "category": "red_flag"}
    text = "my foot has been numb for years, nothing new, can i use toe separators"
    assert _net_alarm(text, net) is None
    assert _net_alarm(text + ". since this morning it went dead", net) == net


def test_an_old_symptom_does_not_veto_a_crisis_net_alarm():
    net = {"language": "en", "score": 0.9, "category": "crisis"}
    assert _net_alarm("i have been numb for years and i am done", net) == net


def test_a_nearly_certain_english_net_alarm_outweighs_a_veto():
    net = {"language": "en", "score": 0.999, "category": "red_flag"}
    text = "can neuropathy make my legs go weak all of a sudden?"
    assert _net_alarm(text, net) == net
    assert _net_alarm(text, dict(net, score=0.99)) is None


def test_a_spanish_denial_vetoes_an_unsure_net_alarm():
    net = {"language": "es", "score": 0.8, "category": "red_flag"}
    assert _net_alarm("no tengo fiebre ni la entrepierna dormida", net) is None


STORY_ES = (
    "Buenos dias, queria preguntar si en la clinica tienen dentista tambien. Tengo "
    "una muela que me tienen que sacar y donde yo iba ya no aceptan mi plan. Que "
    "horario tienen los sabados? Y aceptan Medicaid para adultos?"
)


@pytest.mark.parametrize(
    "whole, segment, fires",
    [
        (0.01, 0.76, False),  # one sentence read alone, nothing in the whole
        (0.01, 0.95, False),  # "La verdad ya no sé si esto sirve." (ninth session)
        (0.01, 0.98, True),  # a sentence sure enough on its own
        (0.3, 0.65, False),  # supported, but the sentence is unsure
        (0.3, 0.7, True),  # a sentence the whole message supports
        (0.65, 0.1, True),  # the whole message
    ],
)
def test_a_spanish_sentence_alone_needs_more_than_the_whole(whole, segment, fires):
    net = {
        "language": "es",
        "score": max(whole, segment),
        "category": "crisis",
        "whole": whole,
        "segment": segment,
    }
    assert (_net_alarm(STORY_ES, net) is not None) is fires


def test_english_scores_sentences_and_the_whole_alike():
    net = {
        "language": "en",
        "score": 0.9,
        "category": "red_flag",
        "whole": 0.01,
        "segment": 0.9,
    }
    text = (
        "I have been doing the nerve glides every morning and the ice helps a lot "
        "with the burning in my feet. My face started drooping on one side an hour "
        "ago."
    )
    assert _net_alarm(text, net) == net


def _net_doubts(text, score):
    detector = SafetyDetector({})
    net = {"language": "en", "score": score, "category": "none"}
    message = _Message(alarm_net=net, text=text)
    return detector._net_doubts(message, default_rules().analyse(text))


def test_an_unsure_net_doubts_a_question_about_a_sign():
    assert _net_doubts("can a droopy face be a stroke even if it goes away?", 0.05)


@pytest.mark.parametrize(
    "text",
    [
        "my left arm went dead and my face is droopy on that side, anyway does "
        "tens help for nerve pain?",
        "My face is droopy. Does TENS help?",
    ],
)
def test_a_sign_stated_apart_from_the_question_is_not_doubted(text):
    assert not _net_doubts(text, 0.05)


def test_a_sign_inside_the_question_is_doubted_even_with_another_apart():
    # "fever" is asked about; only "infection" is outside the question.
    text = (
        "what fever after surgery is worth a call? "
        "my therapist told me to watch for infection at the scar"
    )
    assert default_rules().analyse(text).vetoes == ["question"]
    assert _net_doubts(text, 0.05)


def test_a_file_can_keep_its_examples_out_of_the_nets():
    data = RasaYAMLReader().reads(
        'version: "3.1"\nnlu:\n'
        "- intent: faq/sleep\n  metadata: {alarm_net: skip}\n  examples: |\n"
        "    - cant sleep w the burning\n"
        "- intent: faq/tens\n  examples: |\n    - where do the pads go\n"
    )
    kept = [m.get("text") for m in data.intent_examples if not _skipped(m)]
    assert kept == ["where do the pads go"]
