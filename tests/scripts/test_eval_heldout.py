"""make eval-heldout: one process runs the three evaluations with their own args."""

from __future__ import annotations

import sys

import pytest

from scripts import eval_heldout


@pytest.mark.parametrize("codes, expected", [((0, 0, 0), 0), ((0, 1, 0), 1)])
def test_every_evaluation_runs_and_any_failure_fails(monkeypatch, codes, expected):
    seen = []

    def fake(name, code):
        def main() -> int:
            seen.append((name, sys.argv[1:]))
            return code

        return main

    for module, code in zip(
        ("evaluate_nlu", "evaluate_safety", "evaluate_sets"), codes, strict=True
    ):
        monkeypatch.setattr(getattr(eval_heldout, module), "main", fake(module, code))
    monkeypatch.setattr(sys, "argv", ["eval_heldout", "m.tar.gz"])
    assert eval_heldout.main() == expected
    assert [name for name, _ in seen] == [
        "evaluate_nlu",
        "evaluate_safety",
        "evaluate_sets",
    ]
    assert all(args[:2] == ["--model", "m.tar.gz"] for _, args in seen)
    assert "--enforce-safety" in seen[2][1] and "--enforce" in seen[0][1]
    assert sys.argv == ["eval_heldout", "m.tar.gz"]  # restored
