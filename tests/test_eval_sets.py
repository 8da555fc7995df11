"""The locked test halves of the evaluation sets never change."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import pytest
import yaml

from scripts.evaluate_sets import TUNING_SETS

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "tests" / "eval"
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


@functools.lru_cache(maxsize=1)
def _training_texts() -> frozenset:
    """Every text the pipeline trains on: NLU examples and the alarm examples.

    Read once: each parametrized case would otherwise spend ~2.5 s on it."""
    import re

    texts = set()
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        for block in (yaml.safe_load(path.read_text()) or {}).get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    texts.add(re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line[2:]).lower())
    for path in (ROOT / "components" / "alarm_examples").glob("*.yml"):
        for example in (yaml.safe_load(path.read_text()) or {}).get("examples") or []:
            texts.add(str(example["text"]).lower())
    return frozenset(texts)


# Dev halves and tuning sets that calibrate thresholds: nothing may train on them
# either.
UNTRAINED_DEV_HALVES = (
    "safety_en_r6_dev.yml",
    "safety_es_r6_dev.yml",
    "safety_en_r7_dev.yml",
    "safety_es_r7_dev.yml",
    "safety_en_r12_dev.yml",
    "safety_es_r12_dev.yml",
    *TUNING_SETS.values(),
)


@pytest.mark.parametrize("name", sorted(LOCKED) + list(UNTRAINED_DEV_HALVES))
def test_no_locked_or_calibration_case_is_trained_on(name: str) -> None:
    trained = _training_texts()
    data = yaml.safe_load((EVAL / name).read_text())
    for cases in data.values():
        for case in cases:
            for text in _case_texts(case):
                assert text.lower() not in trained, f"{name}: {text!r} is trained on"


def _case_texts(case: dict) -> list:
    if "text" in case:
        return [case["text"]]
    return [t.get("text", "") for t in case.get("turns") or []]
