"""The safety detector's second net: a classifier that reads the message as a whole.

The rules (safety/rules.yml) know words; patients describe an
emergency in words nobody listed. This net scores each message: a logistic
regression over all-MiniLM-L6-v2 sentence embeddings (components/embedder.py),
TF-IDF character 2-5-grams and word 1-2-grams (accents stripped), trained on the alarm intents of the NLU data
and the labelled examples in components/alarm_examples/ (alarms and messages
that must not alarm: idioms, history, negations, questions...). A message is
scored whole and sentence by sentence, so an alarm buried in a long story
counts; its score is the highest "this is an alarm" probability (1 - P(none)).

English and Spanish have their own model (components/language.py tells which);
other languages are scored with the English one. The SafetyDetector decides
what a score means (config.yml: `net_threshold_en`, `net_threshold_es`), and in
English the rules may veto it for a denial, a question or a framed clause.

Measured by 5-fold cross-validation on the writers' examples (docs/safety.md).
The parse result carries `alarm_net`: {"language", "score", "category", "whole",
"segment"}: score is the higher of the whole message's and its best sentence's.
Suicide named as a topic ("a podcast about suicide", "the form asks about
self-harm") is masked before scoring.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from components.archive import load_models, save_models
from components.embedder import default_embedder
from components.language import ENGLISH, SPANISH, detect_language
from safety.categories import ALARM_CATEGORIES
from safety.detector import mask_topics

logger = logging.getLogger(__name__)

EXAMPLES_DIR = Path(__file__).resolve().parent / "alarm_examples"
MODEL_FILE = "alarm_net.pkl"
NONE = "none"
TOPIC_WORDS = {ENGLISH: "that topic", SPANISH: "ese tema"}
# Intent metadata key: `{alarm_net: skip}` keeps a file's examples out of the nets.
SKIP_KEY = "alarm_net"
# Sentence and clause breaks: each part is scored on its own too.
_SPLIT = re.compile(
    r"(?<=[.!?;\n])\s+|\s+(?:but|and then|then|also|btw|anyway|pero|y luego)\s+",
    re.IGNORECASE,
)


# Figures of speech that name death or harm for "it hurts a lot": read as what
# they mean before scoring ("this pain is killing me" is not a crisis).
_IDIOMS = [
    (
        re.compile(
            r"\b(?:is|are|'s|s|was|were|keeps?|kept|been)\s+(?:literally\s+|just\s+|"
            r"slowly\s+|really\s+)?killing\s+me\b",
            re.IGNORECASE,
        ),
        "hurts me a lot",
    ),
    (
        re.compile(
            r"\b(?:nearly|almost|practically|basically|literally|about to)\s+"
            r"kill(?:ed|s)?\s+me\b",
            re.IGNORECASE,
        ),
        "hurt me a lot",
    ),
    (
        # "my boss is going to kill me if I take more time off"
        re.compile(
            r"\b(?:going to|gonna|will|'ll|ll|would)\s+(?:literally\s+)?kill\s+me\b",
            re.IGNORECASE,
        ),
        "be angry with me",
    ),
    (
        re.compile(
            r"\bdying\s+(?:to|for)\s+(?:get|know|try|see|go|have|hear|find|a|an|some)\b",
            re.IGNORECASE,
        ),
        "eager to",
    ),
    (re.compile(r"\bme\s+est[aá]n?\s+matando\b", re.IGNORECASE), "me duele mucho"),
    (
        re.compile(r"\bbe the (?:death|end) of me\b", re.IGNORECASE),
        "wear me out",
    ),
    (re.compile(r"\bme\s+va\s+a\s+matar\b", re.IGNORECASE), "se va a enojar conmigo"),
    (re.compile(r"\bwants?\s+me\s+dead\b", re.IGNORECASE), "hate me"),
    (
        re.compile(
            r"\b(?:casi|por poco)\s+me\s+(?:da|dio|daba)\s+(?:un|algo)\b"
            r"(?:\s+(?:infarto|ataque|patatus))?",
            re.IGNORECASE,
        ),
        "me asuste mucho",
    ),
    (
        re.compile(
            r"\b(?:nearly|almost)\s+(?:had|gave me)\s+a\s+heart\s+attack\b",
            re.IGNORECASE,
        ),
        "got a big fright",
    ),
    (
        re.compile(r"\bme\s+trag(?:ara|ase|ue)\s+la\s+tierra\b", re.IGNORECASE),
        "me diera verguenza",
    ),
    (
        re.compile(r"\b(?:lo|la|los|las|te)\s+van?\s+a\s+matar\b", re.IGNORECASE),
        "le van a cansar mucho",
    ),
    (
        re.compile(
            r"\b(?:me\s+muero|muriendo(?:me)?|me\s+estoy\s+muriendo)\s+de\s+(?:la\s+)?"
            r"(?:ganas|hambre|risa|sue[nñ]o|verg[uü]enza|"
            r"fr[ií]o|calor)\b",
            re.IGNORECASE,
        ),
        "tengo muchas ganas",
    ),
]


def plain_meaning(text: str) -> str:
    for pattern, meaning in _IDIOMS:
        text = pattern.sub(meaning, text)
    return text


# Shorter messages are scored whole: a lone clause such as "i feel better
# today" reads like a feeling out of context (cross-validation: fewer false
# alarms, same recall; docs/safety.md).
SEGMENT_FROM_WORDS = 25


def segments(text: str) -> List[str]:
    """The message, then (if long) its sentences and clauses (two words or more)."""
    text = plain_meaning(text)
    if len(text.split()) < SEGMENT_FROM_WORDS:
        return [text]
    parts = [p for p in _SPLIT.split(text) if p and len(p.split()) >= 2]
    return [text] + parts if len(parts) > 1 else [text]


def load_examples(
    language: str, directory: Path = EXAMPLES_DIR
) -> List[Tuple[str, str]]:
    """(text, label) pairs of components/alarm_examples/<language>.yml."""
    path = directory / f"{language}.yml"
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [(str(e["text"]), str(e["expect"])) for e in data.get("examples") or []]


def examples_fingerprint(directory: Path = EXAMPLES_DIR) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.yml")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


class LanguageNet:
    """One language's classifier: embeddings + character n-grams."""

    def __init__(self, c: float) -> None:
        self.c = c
        self.chars: Optional[TfidfVectorizer] = None
        self.words: Optional[TfidfVectorizer] = None
        self.model: Optional[LogisticRegression] = None

    def _inputs(self, texts: Sequence[str], keep: bool = False) -> Any:
        assert self.chars is not None and self.words is not None
        vectors = default_embedder().embed(list(texts), keep=keep)
        return hstack(
            [
                csr_matrix(vectors),
                self.chars.transform(texts),
                self.words.transform(texts),
            ]
        ).tocsr()

    def fit(self, texts: List[str], labels: List[str]) -> "LanguageNet":
        texts = [plain_meaning(t) for t in texts]
        # Accents stripped: patients often type "dolor de pecho" as "dolor d pecho"
        # and "está" as "esta".
        self.chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 5),
            sublinear_tf=True,
            max_features=50000,
            strip_accents="unicode",
        ).fit(texts)
        # Word pairs carry what characters miss: "no tengo", "years ago", "my dad".
        self.words = TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, strip_accents="unicode"
        ).fit(texts)
        self.model = LogisticRegression(
            C=self.c, class_weight="balanced", max_iter=5000
        ).fit(self._inputs(texts, keep=True), labels)
        return self

    def scores(self, text: str) -> Dict[str, Any]:
        """The whole message's alarm probability, its best sentence's (0 when
        it is scored whole only) and the most likely category of the best."""
        assert self.model is not None
        parts = segments(text)
        probabilities = self.model.predict_proba(self._inputs(parts))
        classes = list(self.model.classes_)
        none = classes.index(NONE)
        alarms = [classes.index(a) for a in ALARM_CATEGORIES if a in classes]
        best, category, by_part = -1.0, None, []
        for row in probabilities:
            score = float(1.0 - row[none])
            by_part.append(score)
            if score > best:
                best, category = score, classes[max(alarms, key=lambda i: row[i])]
        return {
            "whole": round(by_part[0], 4),
            "segment": round(max(by_part[1:], default=0.0), 4),
            "category": category,
        }


def _skipped(message: Message) -> bool:
    """An example its file marks `metadata: {alarm_net: skip}`.

    1,100 more FAQ questions as negatives (data/nlu/faq_voices_*.yml) pushed
    crises told in PT words under the threshold ("nerve damage both legs. i know
    how to do it clean. think tonight is the night" 0.76 -> 0.74) on the dev
    halves: they teach the topic classifiers, not the safety net."""
    metadata = message.get("metadata") or {}
    return (metadata.get("intent") or {}).get(SKIP_KEY) == "skip"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class AlarmNet(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Cross-validated on writers' messages the net had not seen (docs/safety.md).
        return {"c": 16.0}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        # The examples are read from components/alarm_examples/, not from the
        # NLU data: retrain when they change.
        return examples_fingerprint()

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        nets: Optional[Dict[str, LanguageNet]] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self.model_storage = model_storage
        self.resource = resource
        self.nets = nets or {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "AlarmNet":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        nlu = [
            (m.get("text") or "", m.get("intent"))
            for m in training_data.intent_examples
            if not _skipped(m)
        ]
        # Every NLU example teaches its language's net: the alarm intents as
        # alarms, everything else (FAQ questions, out of scope...) as none.
        labelled = [(t, i if i in ALARM_CATEGORIES else NONE) for t, i in nlu]
        spanish = [(t, i) for t, i in labelled if detect_language(t) == SPANISH]
        english = [(t, i) for t, i in labelled if detect_language(t) != SPANISH]
        data = {
            ENGLISH: english + load_examples(ENGLISH),
            SPANISH: spanish + load_examples(SPANISH),
        }
        for language, pairs in data.items():
            labels = {label for _, label in pairs}
            if NONE not in labels or len(labels) < 2:
                logger.warning(
                    "AlarmNet: no %s examples, no %s model", language, language
                )
                continue
            self.nets[language] = LanguageNet(self.config["c"]).fit(
                [text for text, _ in pairs], [label for _, label in pairs]
            )
        return save_models(self.model_storage, self.resource, MODEL_FILE, self.nets)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "AlarmNet":
        nets = load_models(model_storage, resource, MODEL_FILE)
        return cls(config, model_storage, resource, nets)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get("text") or ""
            if not text or text.startswith("/"):  # the assistant's own buttons
                continue
            language = detect_language(text)
            net = self.nets.get(language) or self.nets.get(ENGLISH)
            if net is None:
                continue
            # Suicide named as a topic is masked: the net judges what the
            # writer says beside it (safety/detector.py `mask_topics`).
            masked = mask_topics(
                text[:5000], TOPIC_WORDS.get(language, TOPIC_WORDS[ENGLISH])
            )
            scores = net.scores(masked)
            score = max(scores["whole"], scores["segment"])
            message.set(
                "alarm_net",
                {"language": language, "score": score, **scores},
                add_to_output=True,
            )
        return messages
