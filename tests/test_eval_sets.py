"""The locked test halves of the evaluation sets never change."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

EVAL = Path(__file__).resolve().parent / "eval"
LOCKED = dict(
    reversed(line.split()) for line in (EVAL / "LOCKED.sha256").read_text().splitlines()
)


@pytest.mark.parametrize("name", sorted(LOCKED))
def test_locked_half_is_unchanged(name: str) -> None:
    digest = hashlib.sha256((EVAL / name).read_bytes()).hexdigest()
    assert digest == LOCKED[name], f"{name} changed: the test half is locked"


def test_every_set_has_a_locked_test_half() -> None:
    halves = {p.name.rsplit("_", 1)[0] for p in EVAL.glob("*_dev.yml")}
    assert {f"{h}_test.yml" for h in halves} == set(LOCKED)


@pytest.mark.parametrize("name", sorted(p.name for p in EVAL.glob("*.yml")))
def test_set_parses(name: str) -> None:
    data = yaml.safe_load((EVAL / name).read_text())
    assert data and all(isinstance(v, list) and v for v in data.values())
