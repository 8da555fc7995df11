"""`make eval-heldout`: the held-out NLU, safety-case and dev-half safety
evaluations in one process, so the model is loaded once (~15 s each otherwise).

Usage: eval_heldout.py MODEL. Exit 1 when any of them misses its targets."""

from __future__ import annotations

import sys
from collections.abc import Callable

from scripts import evaluate_nlu, evaluate_safety, evaluate_sets


def run(main: Callable[[], int], args: list[str]) -> int:
    saved = sys.argv
    sys.argv = [main.__module__, *args]
    try:
        return main()
    finally:
        sys.argv = saved


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    model = sys.argv[1]
    codes = [
        run(evaluate_nlu.main, ["--model", model, "--enforce"]),
        run(evaluate_safety.main, ["--model", model, "--enforce"]),
        run(
            evaluate_sets.main,
            ["--model", model, "--half", "dev", "--safety-only", "--enforce-safety"],
        ),
    ]
    return 1 if any(codes) else 0


if __name__ == "__main__":
    sys.exit(main())
