"""NLU evaluation on the held-out files (tests/nlu_heldout.yml, tests/scope_heldout.yml).

Prints FAQ top-1 accuracy of the full retrieval intent (faq/<topic>, first of
the ranking the assistant uses), how many FAQ questions the assistant would
actually answer, correctly (clinic/confidence.py, the same decision as the
FAQ action), out-of-scope rejection and the most confused pairs (`make eval`
adds Rasa's own 5-fold cross-validation). With --enforce it exits 1 when a
figure of either file is under its target.

    python scripts/evaluate_nlu.py --model models/x.tar.gz [--enforce] [--sweep]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from clinic.confidence import faq_decision
from clinic.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent

HELDOUT = ROOT / "tests" / "nlu_heldout.yml"
# Written with issue 14: other wording, and out-of-scope health questions.
SCOPE_HELDOUT = ROOT / "tests" / "scope_heldout.yml"
TARGET_FAQ_TOP1 = 0.95
TARGET_OOS_REJECTION = 0.95


def quiet_logs() -> None:
    import structlog

    logging.disable(logging.WARNING)
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING)
    )


def load_examples(path: Path) -> list[tuple[str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(m.get("text"), m.get_full_intent()) for m in data.intent_examples]


def predicted_label(parse: dict[str, Any], settings: Any) -> tuple[str, bool]:
    """(full intent, answered with an FAQ?) of a parse result."""
    name = (parse.get("intent") or {}).get("name") or ""
    decision = faq_decision(parse, settings)
    if name != "faq":
        return name, False
    top = decision.ranking[0][0] if decision.ranking else ""
    return (f"faq/{top}" if top else "faq"), decision.confident


# Loaded models by path: the evaluations of `make eval-heldout` share one load
# (scripts/eval_heldout.py).
_AGENTS: dict[str, Any] = {}


async def parse_all(model: str, texts: list[str]) -> list[dict[str, Any]]:
    from rasa.core.agent import load_agent

    if model not in _AGENTS:
        _AGENTS[model] = await load_agent(model_path=model)
    agent = _AGENTS[model]
    return [await agent.parse_message(t) for t in texts]


def report(
    examples: list[tuple[str, str]],
    parses: list[dict[str, Any]],
    thresholds: tuple[float, float] = (),
) -> dict:
    settings = load_settings()
    if thresholds:
        settings = replace(
            settings,
            faq_answer_threshold=thresholds[0],
            faq_margin_threshold=thresholds[1],
        )
    faq_total = faq_top1 = faq_answered = 0
    oos_total = oos_rejected = 0
    confusions: collections.Counter = collections.Counter()
    for (_text, gold), parse in zip(examples, parses, strict=True):
        label, answers_faq = predicted_label(parse, settings)
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


def print_report(title: str, figures: dict) -> None:
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

    failed, written = [], {}
    files = {path: load_examples(path) for path in (HELDOUT, SCOPE_HELDOUT)}
    texts = [t for examples in files.values() for t, _ in examples]
    parsed = dict(zip(texts, asyncio.run(parse_all(args.model, texts)), strict=True))
    for path, examples in files.items():
        parses = [parsed[t] for t, _ in examples]
        figures = report(examples, parses)
        name = str(path.relative_to(ROOT))
        print_report(f"held-out set {name}", figures)
        if args.sweep:
            print("\nanswer threshold / margin: answered correctly / OOS rejected")
            for answer in (0.1, 0.2, 0.3, 0.4, 0.5):
                for margin in (0.0, 0.05, 0.1):
                    f = report(examples, parses, (answer, margin))
                    print(
                        f"  {answer:.1f} / {margin:.2f}: "
                        f"{f['faq_answered_correctly']:.1%} / {f['oos_rejection']:.1%}"
                    )
        written[name] = figures
        if figures["faq_top1"] < TARGET_FAQ_TOP1:
            failed.append(
                f"{name}: FAQ top-1 {figures['faq_top1']:.1%} < {TARGET_FAQ_TOP1:.0%}"
            )
        if figures["oos_rejection"] < TARGET_OOS_REJECTION:
            failed.append(
                f"{name}: out-of-scope rejection {figures['oos_rejection']:.1%} "
                f"< {TARGET_OOS_REJECTION:.0%}"
            )
    if args.json:
        args.json.write_text(json.dumps(written, indent=2, default=str))
    for line in failed:
        print(f"BELOW TARGET: {line}")
    return 1 if (failed and args.enforce) else 0


if __name__ == "__main__":
    sys.exit(main())
