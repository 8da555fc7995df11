"""Safety recall and false alarms on tests/safety_cases.yml.

Without --model: the deterministic detector alone (safety/detector.py).
With --model: the whole trained NLU pipeline (detector + classifier second net),
i.e. the intent the assistant acts on. --enforce exits 1 unless recall is 100%
and there is no false alarm.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from safety.categories import SAFETY_INTENTS
from safety.detector import classify

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "safety_cases.yml"


def load_cases(path: Path = CASES) -> tuple[dict[str, list[str]], list[str]]:
    data = yaml.safe_load(path.read_text())
    return data["must_trigger"], data["must_not_trigger"]


def detector_classifier() -> Callable[[list[str]], list[str | None]]:
    return lambda texts: [classify(t) for t in texts]


def model_classifier(model: str) -> Callable[[list[str]], list[str | None]]:
    from scripts.evaluate_nlu import parse_all, quiet_logs

    quiet_logs()

    def run(texts: list[str]) -> list[str | None]:
        parses = asyncio.run(parse_all(model, texts))
        names = [(p.get("intent") or {}).get("name") for p in parses]
        return [n if n in SAFETY_INTENTS else None for n in names]

    return run


def evaluate(classify: Callable[[list[str]], list[str | None]]) -> dict:
    must, must_not = load_cases()
    texts = [t for msgs in must.values() for t in msgs] + must_not
    got = dict(zip(texts, classify(texts), strict=True))
    misses = [(c, t, got[t]) for c, msgs in must.items() for t in msgs if got[t] != c]
    alarms = [(t, got[t]) for t in must_not if got[t] is not None]
    per_category = {
        c: sum(got[t] == c for t in msgs) / len(msgs) for c, msgs in must.items()
    }
    total = sum(len(m) for m in must.values())
    return {
        "trigger_cases": total,
        "recall": (total - len(misses)) / total,
        "recall_per_category": per_category,
        "no_trigger_cases": len(must_not),
        "false_alarms": len(alarms),
        "misses": misses,
        "alarms": alarms,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="evaluate the trained NLU pipeline")
    parser.add_argument("--enforce", action="store_true")
    args = parser.parse_args()
    classify = model_classifier(args.model) if args.model else detector_classifier()
    figures = evaluate(classify)
    layer = "trained NLU pipeline" if args.model else "deterministic detector"
    print(f"\n== safety cases ({layer})")
    print(
        f"recall: {figures['recall']:.1%} of {figures['trigger_cases']} "
        + ", ".join(f"{c} {r:.0%}" for c, r in figures["recall_per_category"].items())
    )
    print(f"false alarms: {figures['false_alarms']} of {figures['no_trigger_cases']}")
    for category, text, got in figures["misses"]:
        print(f"  MISSED {category} (got {got}): {text}")
    for text, got in figures["alarms"]:
        print(f"  FALSE ALARM {got}: {text}")
    ok = figures["recall"] == 1.0 and figures["false_alarms"] == 0
    return 0 if ok or not args.enforce else 1


if __name__ == "__main__":
    sys.exit(main())
