"""The safety detector as a Rasa NLU component (config.yml: SafetyDetector).

The detector itself (rules, frames, negation: safety/detector.py) needs no
Rasa; this wrapper overrides the predicted intent with its category and adds
the second net: when the rules raise no alarm, a classifier or AlarmNet alarm
that is sure enough raises it unless the rules veto it (details and measures:
safety/detector.py's docstring and docs/safety.md).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from safety.categories import ALARM_CATEGORIES, SAFETY_INTENTS
from safety.detector import Analysis, default_rules

CRISIS_KINDS = frozenset({"crisis", "crisis_someone_else"})


def text_of(message: Any) -> str:
    return message.get("text") or ""


def best_classifier_guess(ranking: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The classifier's own best intent (the fallback classifier's entry aside)."""
    guesses = [r for r in ranking if r.get("name") != "nlu_fallback"]
    return dict(guesses[0]) if guesses else {}


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class SafetyDetector(GraphComponent):
    """Overrides the intent when the detector or a confident, unvetoed
    classifier alarm fires."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # A classifier alarm this sure raises the alarm unless vetoed.
            "alarm_threshold": 0.9,
            # An AlarmNet score this high raises the alarm unless the rules
            # veto it. English on the seventh-round dev half and the eighth
            # and ninth rounds' calibration sets (0.85 before: five crises
            # more for two false alarms more); Spanish on the sixth-round dev
            # half. The net never trained on any of them (docs/safety.md).
            "net_threshold_en": 0.75,
            "net_threshold_es": 0.6,
            # A long message is also scored sentence by sentence. In Spanish a
            # sentence read alone fires too easily ("ya llevo 5 meses asi"), so
            # the best sentence alone must reach this, or reach the supported
            # threshold while the whole message scores at least the support.
            # Chosen on messages the net never saw (docs/safety.md, "Eighth
            # session", "Ninth session"); English keeps one threshold for all.
            "net_segment_threshold_es": 0.97,
            "net_segment_supported_es": 0.7,
            "net_segment_support_es": 0.2,
            # In Spanish the net is the first line (the rules know only a few
            # Spanish phrases), so a framed or denied message is vetoed only
            # below this score: "hace 5 anos ... un plan para suicidarme".
            "net_veto_ceiling_es": 0.9,
            # English: only a net this sure outweighs the vetoes ("I keep
            # thinking everyone would manage without me" inside a question).
            "net_veto_ceiling_en": 0.998,
            # From this many words the question veto does not apply to the
            # net: a long message mixes a question with a report, and the net
            # scores each sentence ("can I do the glides twice? also my face
            # went numb an hour ago").
            "question_veto_max_words": 25,
            # A rules alarm the rules themselves saw framed (a question,
            # history, a quote...) that the English net scores below this is
            # a one-line hint, not an alarm ("is there a checklist for when
            # chest pain during exercise is serious").
            "net_doubt_threshold": 0.2,
            # A crisis the rules know only by a word for the subject
            # ("suicide", "ideas suicidas", "self harm") that the net, in
            # either language, scores below this is a hint, not an alarm:
            # "for my psych class i'm researching self harm". Chosen on the
            # writers' texts (docs/safety.md, "Seventh session").
            "net_subject_threshold": 0.5,
            # A classifier safety guess this sure adds a hint to the answer.
            "second_net_threshold": 0.9,
            "fallback_threshold": 0.3,
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.config = {**self.get_default_config(), **config}
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

    @staticmethod
    def _override(
        message: Message,
        ranking: List[Dict[str, Any]],
        intent: Dict[str, Any],
        safety: Dict[str, Any],
    ) -> None:
        name = intent["name"]
        ranking = [intent] + [r for r in ranking if r["name"] != name]
        message.set("intent", intent, add_to_output=True)
        message.set("intent_ranking", ranking, add_to_output=True)
        message.set("safety", safety, add_to_output=True)

    def _process_one(self, message: Message) -> None:
        # Every message, "/" ones included: the channels pass only the
        # assistant's own button payloads on with their "/" (channels/guard.py),
        # and those hold no warning sign; anything else starting with "/"
        # ("/faq{...} I have chest pain") is the user's wording.
        text = message.get("text") or ""
        analysis = self.rules.analyse(text)
        ranking = list(message.get("intent_ranking") or [])
        guess = best_classifier_guess(ranking)
        name, confidence = guess.get("name"), guess.get("confidence") or 0.0
        second_net = (
            name in ALARM_CATEGORIES
            and confidence >= self.config["alarm_threshold"]
            and not analysis.vetoes
            and (name != "red_flag" or analysis.corroborated)
            and not self._excused(name, analysis, message)
        )
        net = self._net_alarm(message, analysis)
        if net and not second_net:
            name, confidence, second_net = net["category"], net["score"], True
        doubted = not second_net and self._net_doubts(message, analysis)
        if not doubted and (
            analysis.category in ALARM_CATEGORIES
            or (analysis.findings and not second_net)
        ):
            category = analysis.category
            self._override(
                message,
                ranking,
                {"name": category, "confidence": 1.0},
                {
                    "categories": [f.category for f in analysis.findings],
                    "evidence": [list(f.evidence) for f in analysis.findings],
                    "source": "rules",
                    "classifier": guess,
                },
            )
            return
        if second_net:  # an alarm the rules do not know; it wins over dosing
            self._override(
                message,
                ranking,
                {"name": name, "confidence": confidence},
                {
                    "categories": [name],
                    "source": "alarm_net" if net else "classifier",
                },
            )
            return
        hint = analysis.category if doubted else analysis.hint
        if hint is None and analysis.resolved:
            hint = self._resolved_crisis(message)
        if (
            hint is None
            and name in SAFETY_INTENTS
            and confidence >= self.config["second_net_threshold"]
            and not analysis.denied
        ):
            hint = name
        if hint:
            message.set(
                "safety",
                {"categories": [], "hint": hint, "vetoes": analysis.vetoes},
                add_to_output=True,
            )
        if (message.get("intent") or {}).get("name") in SAFETY_INTENTS:
            self._demote(message, ranking)

    def _net_alarm(
        self, message: Message, analysis: Analysis
    ) -> Optional[Dict[str, Any]]:
        """The second net's alarm (components/alarm_net.py), if it fires.

        The rules veto it for a denial, a question or a framed clause, below
        `net_veto_ceiling_<language>`; a red flag also for a symptom the message
        says is years or months old, with no new onset ("numb for 3 years")."""
        net = message.get("alarm_net") or {}
        language = net.get("language") or "en"
        if not self._net_fires(net, language):
            return None
        if net["category"] in CRISIS_KINDS and analysis.resolved:
            return None  # "hubo semanas q no queria vivir ... eso ya paso": a hint
        if self._excused(net["category"], analysis, message):
            return None
        long = len(text_of(message).split()) >= self.config["question_veto_max_words"]
        vetoes = set(analysis.vetoes)
        if net["category"] == "red_flag" and analysis.chronic:
            vetoes.add("chronic")
        # A crisis is often asked, not told ("how many would it take?", "what's
        # the point of anything?"); a denial or a frame still vetoes.
        asked_crisis = language == "en" and net["category"] in CRISIS_KINDS
        if long or asked_crisis:
            vetoes.discard("question")
        ceiling = self.config.get(
            f"net_veto_ceiling_{language}", self.config["net_veto_ceiling_en"]
        )
        if vetoes and net["score"] < ceiling:
            return None
        return net

    def _excused(self, category: str, analysis: Analysis, message: Message) -> bool:
        """A crisis guess on words the rules excuse ("ya no quiero seguir con las
        sesiones", "me muero de risa"): the classifiers read the same words. Not
        in a message of `question_veto_max_words` or more: the crisis they read
        may be elsewhere in it."""
        short = len(text_of(message).split()) < self.config["question_veto_max_words"]
        return (
            short and category in CRISIS_KINDS and bool(analysis.excused & CRISIS_KINDS)
        )

    def _net_fires(self, net: Dict[str, Any], language: str) -> bool:
        """Is the net's score an alarm, before any veto?"""
        if net.get("category") not in ALARM_CATEGORIES:
            return False
        key = f"net_threshold_{language}"
        threshold = self.config.get(key, self.config["net_threshold_en"])
        score = net.get("score") or 0.0
        whole = net.get("whole", score)
        segment = net.get("segment", score)
        if whole >= threshold:
            return True
        alone = self.config.get(f"net_segment_threshold_{language}", threshold)
        supported = self.config.get(f"net_segment_supported_{language}", threshold)
        support = self.config.get(f"net_segment_support_{language}", 0.0)
        return segment >= alone or (segment >= supported and whole >= support)

    def _resolved_crisis(self, message: Message) -> Optional[str]:
        """The crisis the net read in a dark time the message says is over: the
        reply still names the crisis line, in one line."""
        net = message.get("alarm_net") or {}
        fires = self._net_fires(net, net.get("language") or "en")
        return net["category"] if fires and net["category"] in CRISIS_KINDS else None

    def _net_doubts(self, message: Message, analysis: Analysis) -> bool:
        """Does the net doubt a rules alarm: one the rules saw framed (English
        net), or a crisis named only by a word for the subject (either net)?
        A crisis in a message that says it is over is always doubted.

        Not when the only frame is a question and every sign of the alarm is
        stated apart from it ("my face is droopy on that side, anyway does
        tens help?"): the net reads the whole message and sees mostly an FAQ
        question. One sign inside the question is not a report ("what fever
        number is worth calling about? my pt said to watch for infection")."""
        net = message.get("alarm_net") or {}
        if analysis.resolved and analysis.category in CRISIS_KINDS:
            return True  # a dark time the message says is over: a hint
        if (
            analysis.subject_only
            and net.get("score") is not None
            and net["score"] < self.config["net_subject_threshold"]
        ):
            return True
        doubted = (
            analysis.category in ALARM_CATEGORIES
            and bool(analysis.vetoes)
            and net.get("language") == "en"
            and net.get("score") is not None
            and net["score"] < self.config["net_doubt_threshold"]
        )
        if doubted and analysis.vetoes == ["question"]:
            text = text_of(message)
            evidence = analysis.findings[0].evidence
            return not all(self.rules.stated_apart(text, e) for e in evidence)
        return doubted

    def _demote(self, message: Message, ranking: List[Dict[str, Any]]) -> None:
        """A hesitant or vetoed safety guess: the best ordinary intent instead."""
        others = [
            r
            for r in ranking
            if r["name"] not in SAFETY_INTENTS and r["name"] != "nlu_fallback"
        ]
        best = others[0] if others else None
        if best is None or best["confidence"] < self.config["fallback_threshold"]:
            best = {"name": "nlu_fallback", "confidence": 1.0}
        message.set("intent", dict(best), add_to_output=True)
