"""The one decision "is this FAQ answer confident?", shared by every caller.

Used by the FAQ action (actions/faq.py), the Rasa server's answer when the
action server is down (channels/fallback.py) and both evaluation scripts
(scripts/evaluate_nlu.py, scripts/evaluate_sets.py), so what is measured is
what patients get. Plain Python on a parse result (a dict), no rasa or rasa_sdk
import: both servers can import it.

How it decides (measured in docs/scope.md):
1. Only the `faq` intent can be answered. The relevance gate
   (components/scope.py) has already turned messages that are not about nerve
   pain or PT into `out_of_scope`; its intent confidence is the relevance.
2. The topic ranking combines the ResponseSelector's confidences (a quarter)
   with the gate's second opinion (three quarters; a classifier on sentence
   embeddings and TF-IDF): alone they rank the right topic first for ~91% and
   ~97% of the dev questions, combined ~97%, with better-calibrated scores.
3. It answers the top topic when its combined score reaches
   `faq_answer_threshold` and leads the runner-up by `faq_margin_threshold`;
   otherwise it is not sure and offers the first `not_sure_suggestions` topics
   of the same ranking. An out-of-scope reply offers them too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FAQ_INTENT = "faq"
# Never answered, but its reply offers the nearest topics: a question the gate
# wrongly rejects ("whats the GMI thing for crps") is one tap from its answer.
OUT_OF_SCOPE = "out_of_scope"
RETRIEVAL_INTENT = "faq"
# Weight of the ResponseSelector in the combined ranking (the gate's topic
# classifier gets the rest): measured on the dev questions and both held-out
# files (docs/scope.md).
SELECTOR_WEIGHT = 0.25


@dataclass(frozen=True)
class FaqDecision:
    """What the assistant does with a parsed message on the FAQ path."""

    topic: str | None  # the topic to answer, or None: not sure / not an FAQ
    ranking: list[tuple[str, float]] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    relevance: float | None = None

    @property
    def confident(self) -> bool:
        return self.topic is not None


def _topic_of(entry: Mapping[str, Any]) -> str:
    key = entry.get("intent_response_key") or ""
    if not key:  # older parse results only name the response
        key = (entry.get("utter_action") or "").replace("utter_", "", 1)
    return key.partition("/")[2]


def selector_ranking(parse: Mapping[str, Any]) -> list[tuple[str, float]]:
    """The ResponseSelector's (topic, confidence) ranking, best first."""
    selector = (parse.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
    ranking = [
        (_topic_of(r), float(r.get("confidence") or 0.0))
        for r in selector.get("ranking") or []
    ]
    response = selector.get("response") or {}
    top = _topic_of(response)
    if top:  # the chosen response's own confidence is the authoritative one
        ranking = [(top, float(response.get("confidence") or 0.0))] + [
            (t, c) for t, c in ranking if t != top
        ]
    return [(t, c) for t, c in ranking if t]


def combined_ranking(parse: Mapping[str, Any]) -> list[tuple[str, float]]:
    """Selector and gate opinions combined; the selector alone without a gate."""
    by_selector = selector_ranking(parse)
    gate = {t: float(p) for t, p in (parse.get("scope") or {}).get("topics") or []}
    if not gate:
        return sorted(by_selector, key=lambda item: -item[1])
    selector: dict[str, float] = dict(by_selector)
    # Selector order first, so ties keep its order (sorted() is stable).
    order = list(dict.fromkeys([t for t, _ in by_selector] + list(gate)))
    scores = [
        (
            t,
            SELECTOR_WEIGHT * selector.get(t, 0.0)
            + (1 - SELECTOR_WEIGHT) * gate.get(t, 0.0),
        )
        for t in order
    ]
    return sorted(scores, key=lambda item: -item[1])


def faq_decision(
    parse: Mapping[str, Any],
    settings: Any,
    known_topics: Any | None = None,
) -> FaqDecision:
    """Answer a topic, or not: from a parse result and the clinic settings.

    `known_topics` (optional) limits answers and suggestions to the topics the
    action server can answer.
    """
    intent = parse.get("intent") or {}
    relevance = (parse.get("scope") or {}).get("relevance")
    if intent.get("name") not in (FAQ_INTENT, "nlu_fallback", OUT_OF_SCOPE):
        return FaqDecision(None, relevance=relevance)
    ranking = combined_ranking(parse)
    if known_topics is not None:
        ranking = [(t, s) for t, s in ranking if t in known_topics]
    suggestions = [t for t, _ in ranking[: settings.not_sure_suggestions]]
    if intent.get("name") != FAQ_INTENT or not ranking:
        return FaqDecision(None, ranking, suggestions, relevance)
    top, score = ranking[0]
    runner_up = ranking[1][1] if len(ranking) > 1 else 0.0
    confident = (
        float(intent.get("confidence") or 0.0) >= settings.faq_intent_threshold
        and score >= settings.faq_answer_threshold
        and score - runner_up >= settings.faq_margin_threshold
    )
    return FaqDecision(top if confident else None, ranking, suggestions, relevance)


def answer_key(decision: FaqDecision) -> str:
    """The response that answers a confident decision ("" if none)."""
    return f"utter_{RETRIEVAL_INTENT}/{decision.topic}" if decision.topic else ""
