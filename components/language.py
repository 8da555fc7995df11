"""Which language a message is written in, offline.

The assistant answers in English and Spanish (the replies follow the slot
`language`, which this module's entity fills from every message) and detects
emergencies, overdoses and crises in both (components/alarm_net.py). A message
in any other language gets a short reply in that language (or in English and
Spanish) that says which languages it answers and gives the emergency number and
the crisis line (domain.yml: utter_other_language).

A short message is judged by its small words ("que es la gota" is Spanish,
"what is ALS" English). One too short or too unclear to judge ("ok", "2")
follows the language the visitor chose in the widget (message metadata
`language`, channels/guard.py), else sets nothing: the slot keeps the
conversation's language. A message clearly in English or Spanish switches it.

Detection: langid.py's naive Bayes model (py3langid, BSD-3-Clause; its model file
ships inside the package and its sha256 is checked before it is loaded),
restricted to the languages patients of US clinics write most, so short
messages are not read as Zulu or Serbian. For the safety nets a message too
short to judge, or one the model is unsure of, counts as English: the English
path is the one with every safety rule.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional, Text

from safety.categories import ALARM_CATEGORIES

ENGLISH = "en"
SPANISH = "es"
# Answered in full (FAQ answers, replies and buttons have Spanish variations).
ANSWERED = (ENGLISH, SPANISH)
# Alarms detected (components/alarm_net.py).
SAFETY_LANGUAGES = (ENGLISH, SPANISH)
# What the detector may answer: the languages most spoken at home in the US
# after English, and those of the clinic's neighbours.
CANDIDATES = [
    "en", "es", "pt", "fr", "zh", "vi", "tl", "ar", "ko", "ru", "de", "ht", "it",
    "pl", "ja", "hi", "ur", "fa",
]  # fmt: skip
MODEL_SHA256 = "f4f4a2c3465ca1f081541037f9cac23021d68151c2f709c55ae5eedfca522963"
MIN_CONFIDENCE = 0.6
# Fewer letters than this: too few for the n-gram model. Such a message is
# judged by a vote of the small words below ("que es la gota" is Spanish,
# "what is ALS" English); words both languages use ("me", "no", "a", "y",
# "sin") count for neither, and a tie leaves it unjudged.
MIN_LETTERS = 12
SHORT_SPANISH = {
    "hola", "gracias", "ayuda", "ayudame", "buenos", "buenas", "necesito",
    "quiero", "tengo", "dolor", "espanol", "español", "porfa", "favor",
    "que", "q", "qué", "es", "el", "la", "los", "las", "un", "una", "de", "del",
    "con", "por", "para", "como", "cómo", "donde", "dónde", "cuando", "cuál",
    "cual", "eres", "esto", "esta", "está", "mas", "más", "mi", "tu", "mucho",
    "hoy", "dia", "día", "muy", "puedo", "sirve", "duele", "adios", "adiós",
    "hasta", "luego", "saludos", "chao", "vemos", "cita", "pedir", "calor",
    "hielo", "cuentame", "cuéntame", "digame", "dígame", "pies", "manos",
}  # fmt: skip
SHORT_ENGLISH = {
    "hi", "hello", "hey", "thanks", "thank", "please", "english", "yes", "bye",
    "what", "whats", "wats", "is", "are", "the", "an", "how", "do", "does",
    "can", "of", "for", "with", "you", "my", "your", "and", "or", "it", "good",
    "morning", "night", "evening", "see", "more", "tell", "help", "book",
}  # fmt: skip
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


class LanguageModelError(RuntimeError):
    """The language model is missing or not the pinned one."""


def model_file() -> Path:
    try:
        import py3langid
    except ImportError as error:
        raise LanguageModelError(
            "py3langid is not installed: run `make install`"
        ) from error
    return Path(py3langid.__file__).resolve().parent / "data" / "model.npz.xz"


@lru_cache(maxsize=1)
def identifier() -> Any:
    path = model_file()
    if not path.is_file():
        raise LanguageModelError(f"missing language model {path}")
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if actual != MODEL_SHA256:
        raise LanguageModelError(
            f"{path}: sha256 {actual} is not the pinned {MODEL_SHA256}; "
            "refusing to load an unknown model"
        )
    from py3langid.langid import LanguageIdentifier

    model = LanguageIdentifier.from_model_file(path, norm_probs=True)
    model.set_languages(CANDIDATES)
    return model


@lru_cache(maxsize=4096)
def judge_language(text: str) -> Optional[str]:
    """The ISO 639-1 code of the message's language, None when too short or unsure."""
    words = WORD.findall((text or "").lower())
    # A CJK character carries about a word: count it as three letters.
    letters = sum(len(w) + 2 * sum(ord(c) >= 0x2E80 for c in w) for w in words)
    if letters < MIN_LETTERS:
        return short_message_language(words)
    language, confidence = identifier().classify(text)
    if confidence < MIN_CONFIDENCE:
        return None
    if language not in SAFETY_LANGUAGES and english_share(words) >= 0.5:
        # Short English questions with rare words ("relaxation techniques for
        # neuropathic pain") can look French or Italian to the n-gram model.
        return ENGLISH
    return language


def short_message_language(words: List[str]) -> Optional[str]:
    """Spanish or English by a vote of small words, None on a tie."""
    spanish = sum(w in SHORT_SPANISH for w in words)
    english = sum(w in SHORT_ENGLISH for w in words)
    if spanish > english:
        return SPANISH
    return ENGLISH if english > spanish else None


def detect_language(text: str) -> str:
    """The message's language, English when unsure (the safety nets' choice)."""
    return judge_language(text) or ENGLISH


@lru_cache(maxsize=1)
def english_words() -> FrozenSet[str]:
    """English word forms (spaCy's lemma lookup table, keys and lemmas)."""
    import spacy_lookups_data

    path = Path(spacy_lookups_data.__file__).parent / "data" / "en_lemma_lookup.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        table: Dict[str, str] = json.load(handle)
    return frozenset(table) | frozenset(table.values())


def english_share(words: List[str]) -> float:
    known = english_words()
    return sum(w in known for w in words) / max(1, len(words))


def chosen_language(message: Any) -> Optional[str]:
    """The language the visitor chose in the widget (message metadata), if any."""
    metadata = message.get("metadata") if hasattr(message, "get") else None
    choice = metadata.get("language") if isinstance(metadata, dict) else None
    return choice if choice in ANSWERED else None


# --- the Rasa component ---------------------------------------------------------
try:
    from rasa.engine.graph import ExecutionContext, GraphComponent
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.engine.storage.resource import Resource
    from rasa.engine.storage.storage import ModelStorage
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData
except ImportError:  # detect_language is usable without Rasa (tests, tools)
    GraphComponent = object

OTHER_LANGUAGE = "other_language"
ENTITY = "language"
# Intents a message in another language keeps: the alarms (their replies have
# Spanish variations) and the assistant's own button payloads.
KEPT_INTENTS = set(ALARM_CATEGORIES)


if GraphComponent is not object:

    @DefaultV1Recipe.register(
        [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
    )
    class LanguageRouter(GraphComponent):
        """Last in the pipeline: tags the message's language (entity `language`,
        which fills the slot the Spanish reply variations depend on) and sends a
        message the assistant does not answer in its language to
        `other_language`, unless it is an alarm."""

        @staticmethod
        def get_default_config() -> Dict[Text, Any]:
            return {}

        def __init__(self, config: Dict[Text, Any]) -> None:
            self.config = config
            identifier()  # fail at start-up, not on the first message

        @classmethod
        def create(
            cls,
            config: Dict[Text, Any],
            model_storage: ModelStorage,
            resource: Resource,
            execution_context: ExecutionContext,
        ) -> "LanguageRouter":
            return cls(config)

        def process_training_data(self, training_data: TrainingData) -> TrainingData:
            return training_data

        def process(self, messages: List[Message]) -> List[Message]:
            for message in messages:
                self._route(message)
            return messages

        @staticmethod
        def _route(message: Message) -> None:
            text = message.get("text") or ""
            if text.startswith("/"):  # the assistant's own buttons
                return
            language = judge_language(text) or chosen_language(message)
            if language is None:
                # Too short to tell ("ok", "2"), nothing chosen: no entity, so
                # the slot keeps the conversation's language.
                return
            entities: List[Dict[str, Any]] = list(message.get("entities") or [])
            entities.append(
                {
                    "entity": ENTITY,
                    "value": language,
                    "start": 0,
                    "end": len(text),
                    "extractor": "LanguageRouter",
                }
            )
            message.set("entities", entities, add_to_output=True)
            intent: Optional[Dict[str, Any]] = message.get("intent")
            name = (intent or {}).get("name")
            if language in ANSWERED or name in KEPT_INTENTS:
                return
            routed = {"name": OTHER_LANGUAGE, "confidence": 1.0}
            ranking = [
                r
                for r in message.get("intent_ranking") or []
                if r.get("name") != OTHER_LANGUAGE
            ]
            message.set("intent", routed, add_to_output=True)
            message.set("intent_ranking", [routed] + ranking, add_to_output=True)
