"""Deterministic safety detection inside the NLU pipeline.

Red flags, crisis language and dosing questions must not depend on the
classifier alone. A blank spaCy English pipeline with lookup lemmas
(spacy-lookups-data, no downloaded model) tags the concepts listed in
safety_rules.yml with a Matcher; the rules there decide the category, and the
category overrides the predicted intent.

The trained red_flag / crisis / medication_dosing intents are a second net.
The classifier is confidently wrong on negations ("no chest pain, just
tingling" scores 1.0 for red_flag), so on its own it never raises an alarm:
the message keeps its best ordinary intent and, when the classifier was sure
and the message denies no warning sign, carries a `safety.hint` that the FAQ
action turns into a one-line safety prompt before its answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Tuple

import spacy
import yaml
from spacy.matcher import Matcher
from spacy.tokens import Doc

RULES_FILE = Path(__file__).resolve().parent / "safety_rules.yml"
NEGATION_CUES = {"no", "not", "never", "without", "none", "nothing", "nor", "deny"}
# Words that end a negation's reach ("no chest pain, just tingling").
SCOPE_BREAKERS = {
    "but", "just", "only", "though", "although", "however", "except",
    "if", "whether", "know", "sure", "tell", "think", "and", "now",
}  # fmt: skip
# After a comma, these start a new clause: "isn't working, can I take more".
CLAUSE_STARTERS = {
    "i", "my", "me", "he", "she", "his", "her", "it", "its", "the", "they",
    "can", "could", "is", "are", "was", "am", "do", "does", "did", "will",
    "should", "would", "what", "how", "m", "'m", "s", "'s",
}  # fmt: skip
INABILITY = {"ca", "can", "could", "wo"}  # "can't walk" states a symptom
NEGATION_WINDOW = 5


def _new_clause(between: Any) -> bool:
    """After a comma, does a new clause start before the match?"""
    words = [t.lower_ for t in between]
    return len(words) > 3 or any(w in CLAUSE_STARTERS for w in words)


@dataclass(frozen=True)
class Finding:
    category: str
    concepts: Tuple[str, ...]
    evidence: Tuple[str, ...]


@lru_cache(maxsize=1)
def _nlp() -> spacy.language.Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def _token_spec(
    spec: str, nlp: spacy.language.Language, vocab: Dict[str, List[str]]
) -> Dict[str, Any]:
    alternatives: List[str] = []
    for alt in spec.split("|"):
        alternatives += vocab[alt[1:]] if alt.startswith("@") else [alt]
    prefixes = [a[:-1] for a in alternatives if a.endswith("*")]
    regexes = [a for a in alternatives if "\\" in a]
    words = [a for a in alternatives if not a.endswith("*") and "\\" not in a]
    if prefixes or regexes:
        parts = [re.escape(p) + ".*" for p in prefixes] + regexes
        parts += [re.escape(w) for w in words]
        return {"LOWER": {"REGEX": "^(" + "|".join(parts) + ")$"}}
    forms = set(words) | {nlp(w)[0].lemma_ for w in words}
    return {"_": {"safety_norm": {"IN": sorted(forms)}}}


def _phrase_pattern(
    phrase: str, nlp: spacy.language.Language, vocab: Dict[str, List[str]]
) -> List[Dict]:
    tokens: List[Dict[str, Any]] = []
    for raw in phrase.split():
        if set(raw) == {"~"}:
            tokens.extend({"OP": "?"} for _ in raw)
        else:
            tokens.append(_token_spec(raw, nlp, vocab))
    return tokens


class SafetyRules:
    """Compiled concepts and rules; `detect(text)` returns the findings."""

    def __init__(self, path: Path = RULES_FILE) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.nlp = _nlp()
        if not Doc.has_extension("safety_norm"):
            Doc.set_extension("safety_norm", default=None)
        from spacy.tokens import Token

        if not Token.has_extension("safety_norm"):
            Token.set_extension(
                "safety_norm",
                getter=lambda t: t.lemma_ if t.lemma_ else t.lower_,
            )
        self.matcher = Matcher(self.nlp.vocab)
        vocab: Dict[str, List[str]] = data.get("vocab") or {}
        for concept, phrases in data["concepts"].items():
            patterns = [_phrase_pattern(p, self.nlp, vocab) for p in phrases]
            self.matcher.add(concept, patterns)
        self.order: List[str] = data["order"]
        self.rules: Dict[str, List[List[str]]] = data["rules"]
        self.unless: Dict[str, List[str]] = data.get("unless") or {}
        for category, alternatives in self.rules.items():
            for alternative in alternatives:
                unknown = set(alternative) - set(data["concepts"])
                if unknown:
                    raise ValueError(f"{category}: unknown concepts {unknown}")

    @staticmethod
    def _negated(doc: Doc, start: int) -> bool:
        """Is a negation cue shortly before `start`, within the same clause?"""
        for i in range(start - 1, max(-1, start - 1 - NEGATION_WINDOW), -1):
            token = doc[i]
            if token.lower_ in SCOPE_BREAKERS or token.text in {".", ";", "!", "?"}:
                return False
            if token.text == "," and _new_clause(doc[i + 1 : start]):
                return False
            if token.lemma_ in NEGATION_CUES or token.lower_ in {"n't", "nt"}:
                return not (i > 0 and doc[i - 1].lower_ in INABILITY)
        return False

    def concepts(self, text: str, negated: bool = False) -> Dict[str, List[str]]:
        """Concepts found in the text (or, with negated=True, found but denied)."""
        doc = self.nlp(text.lower())
        found: Dict[str, List[str]] = {}
        for match_id, start, end in self.matcher(doc):
            concept = self.nlp.vocab.strings[match_id]
            if self._negated(doc, start) == negated:
                found.setdefault(concept, []).append(doc[start:end].text)
        return found

    def denies_something(self, text: str) -> bool:
        """Does the message deny a warning sign ("no chest pain")?"""
        return bool(self.concepts(text, negated=True))

    def detect(self, text: str) -> List[Finding]:
        present = self.concepts(text)
        findings = []
        for category in self.order:
            if any(c in present for c in self.unless.get(category, [])):
                continue
            for alternative in self.rules.get(category, []):
                if all(c in present for c in alternative):
                    evidence = tuple(present[c][0] for c in alternative)
                    findings.append(Finding(category, tuple(alternative), evidence))
                    break
        return findings


@lru_cache(maxsize=1)
def default_rules() -> SafetyRules:
    return SafetyRules()


def classify(text: str) -> Optional[str]:
    """The safety category of a message, or None."""
    findings = default_rules().detect(text)
    return findings[0].category if findings else None


# --- the Rasa component ---------------------------------------------------------
try:
    from rasa.engine.graph import ExecutionContext, GraphComponent
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.engine.storage.resource import Resource
    from rasa.engine.storage.storage import ModelStorage
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData
except ImportError:  # the detector itself is usable without Rasa (tests, tools)
    GraphComponent = object  # type: ignore[misc,assignment]


SAFETY_INTENTS = (
    "red_flag",
    "crisis",
    "crisis_someone_else",
    "overdose",
    "medication_dosing",
)


if GraphComponent is not object:

    @DefaultV1Recipe.register(
        [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
    )
    class SafetyDetector(GraphComponent):
        """Overrides the intent when the deterministic detector fires."""

        @staticmethod
        def get_default_config() -> Dict[Text, Any]:
            # A classifier safety guess this sure adds a safety hint to the answer.
            return {"second_net_threshold": 0.9, "fallback_threshold": 0.3}

        def __init__(self, config: Dict[Text, Any]) -> None:
            self.config = config
            self.rules = default_rules()

        @classmethod
        def create(
            cls,
            config: Dict[Text, Any],
            model_storage: ModelStorage,
            resource: Resource,
            execution_context: ExecutionContext,
        ) -> "SafetyDetector":
            return cls(config)

        def process_training_data(self, training_data: TrainingData) -> TrainingData:
            return training_data

        def process(self, messages: List[Message]) -> List[Message]:
            for message in messages:
                self._process_one(message)
            return messages

        def _process_one(self, message: Message) -> None:
            # Every message, "/" ones included: the channels pass only the
            # assistant's own button payloads on with their "/" (channels/guard.py),
            # and those hold no warning sign; anything else starting with "/"
            # ("/faq{...} I have chest pain") is the user's wording.
            text = message.get("text") or ""
            findings = self.rules.detect(text)
            ranking = list(message.get("intent_ranking") or [])
            if findings:
                category = findings[0].category
                intent = {"name": category, "confidence": 1.0}
                ranking = [intent] + [r for r in ranking if r["name"] != category]
                message.set("intent", intent, add_to_output=True)
                message.set("intent_ranking", ranking, add_to_output=True)
                message.set(
                    "safety",
                    {
                        "categories": [f.category for f in findings],
                        "evidence": [list(f.evidence) for f in findings],
                    },
                    add_to_output=True,
                )
                return
            intent = message.get("intent") or {}
            if intent.get("name") in SAFETY_INTENTS:
                sure = (
                    intent.get("confidence", 0.0) >= self.config["second_net_threshold"]
                )
                # The classifier misses negation: "no chest pain" reads as chest pain.
                if sure and not self.rules.denies_something(text):
                    hint = {"categories": [], "hint": intent["name"]}
                    message.set("safety", hint, add_to_output=True)
                self._demote(message, ranking)

        def _demote(self, message: Message, ranking: List[Dict[str, Any]]) -> None:
            """A hesitant safety guess: fall back to the best ordinary intent."""
            others = [
                r
                for r in ranking
                if r["name"] not in SAFETY_INTENTS and r["name"] != "nlu_fallback"
            ]
            best = others[0] if others else None
            if best is None or best["confidence"] < self.config["fallback_threshold"]:
                best = {"name": "nlu_fallback", "confidence": 1.0}
            message.set("intent", dict(best), add_to_output=True)
