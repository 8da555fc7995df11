"""NLU evaluation on the held-out file (tests/nlu_heldout.yml).

Prints FAQ top-1 accuracy of the full retrieval intent (faq/<topic>), how many
FAQ questions the assistant would actually answer (confidence over the clinic
thresholds), out-of-scope rejection and the most confused pairs (`make eval`
adds Rasa's own 5-fold cross-validation). With --enforce it exits 1 when a figure is under its target.

    python scripts/evaluate_nlu.py --model models/x.tar.gz [--enforce] [--sweep]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import logging
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actions.settings import load_settings  # noqa: E402

HELDOUT = ROOT / "tests" / "nlu_heldout.yml"
TARGET_FAQ_TOP1 = 0.95
TARGET_OOS_REJECTION = 0.95
SAFETY_INTENTS = {"red_flag", "crisis", "medication_dosing"}


def quiet_logs() -> None:
    import structlog

    logging.disable(logging.WARNING)
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING)
    )


def load_examples(path: Path) -> List[Tuple[str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(m.get("text"), m.get_full_intent()) for m in data.intent_examples]


def predicted_label(parse: Dict[str, Any]) -> Tuple[str, float, float]:
    """(full intent, intent confidence, answer confidence) of a parse result."""
    intent = parse.get("intent") or {}
    name, confidence = intent.get("name") or "", intent.get("confidence") or 0.0
    if name != "faq":
        return name, confidence, confidence
    response = ((parse.get("response_selector") or {}).get("faq") or {}).get(
        "response"
    ) or {}
    return (
        response.get("intent_response_key") or "faq",
        confidence,
        response.get("confidence") or 0.0,
    )


async def parse_all(model: str, texts: List[str]) -> List[Dict[str, Any]]:
    from rasa.core.agent import load_agent

    agent = await load_agent(model_path=model)
    return [await agent.parse_message(t) for t in texts]


def report(
    examples: List[Tuple[str, str]],
    parses: List[Dict[str, Any]],
    thresholds: Tuple[float, float] = (),
) -> Dict:
    settings = load_settings()
    intent_threshold, answer_threshold = thresholds or (
        settings.faq_intent_threshold,
        settings.faq_answer_threshold,
    )
    faq_total = faq_top1 = faq_answered = 0
    oos_total = oos_rejected = 0
    confusions: collections.Counter = collections.Counter()
    for (_text, gold), parse in zip(examples, parses, strict=True):
        label, intent_conf, answer_conf = predicted_label(parse)
        answers_faq = (
            label.startswith("faq/")
            and intent_conf >= intent_threshold
            and answer_conf >= answer_threshold
        )
        if gold.startswith("faq/"):
            faq_total += 1
            faq_top1 += label == gold
            faq_answered += answers_faq and label == gold
            if label != gold:
                confusions[(gold, label)] += 1
        elif gold == "out_of_scope":
            oos_total += 1
            oos_rejected += not answers_faq
            if answers_faq:
                confusions[(gold, label)] += 1
    return {
        "faq_examples": faq_total,
        "faq_top1": faq_top1 / max(faq_total, 1),
        "faq_answered_correctly": faq_answered / max(faq_total, 1),
        "oos_examples": oos_total,
        "oos_rejection": oos_rejected / max(oos_total, 1),
        "confusions": confusions.most_common(10),
    }


def print_report(title: str, figures: Dict) -> None:
    print(f"\n== {title}")
    print(
        f"FAQ top-1 (full retrieval intent): {figures['faq_top1']:.1%} "
        f"of {figures['faq_examples']}"
    )
    print(
        f"FAQ answered and correct (over thresholds): "
        f"{figures['faq_answered_correctly']:.1%}"
    )
    print(
        f"Out-of-scope rejected (no FAQ answer): {figures['oos_rejection']:.1%} "
        f"of {figures['oos_examples']}"
    )
    print("Most confused (gold -> predicted, count):")
    for (gold, predicted), count in figures["confusions"]:
        print(f"  {gold} -> {predicted}: {count}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--enforce", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--sweep", action="store_true", help="answer rate vs rejection per threshold"
    )
    args = parser.parse_args()
    quiet_logs()

    examples = load_examples(HELDOUT)
    parses = asyncio.run(parse_all(args.model, [t for t, _ in examples]))
    figures = report(examples, parses)
    print_report(f"held-out set {HELDOUT.relative_to(ROOT)}", figures)
    if args.sweep:
        print("\nthreshold (intent = answer): answered correctly / OOS rejected")
        for step in range(0, 10):
            t = step / 10
            f = report(examples, parses, (t, t))
            print(
                f"  {t:.1f}: {f['faq_answered_correctly']:.1%} / "
                f"{f['oos_rejection']:.1%}"
            )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))

    failed = []
    if figures["faq_top1"] < TARGET_FAQ_TOP1:
        failed.append(f"FAQ top-1 {figures['faq_top1']:.1%} < {TARGET_FAQ_TOP1:.0%}")
    if figures["oos_rejection"] < TARGET_OOS_REJECTION:
        failed.append(
            f"out-of-scope rejection {figures['oos_rejection']:.1%} "
            f"< {TARGET_OOS_REJECTION:.0%}"
        )
    for line in failed:
        print(f"BELOW TARGET: {line}")
    return 1 if (failed and args.enforce) else 0


if __name__ == "__main__":
    sys.exit(main())
