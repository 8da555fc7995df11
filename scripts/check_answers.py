"""Check FAQ answers: length, reading level, cited sources, no copied text.

Usage: python scripts/check_answers.py [responses.yml ...]
Exit status 1 when any answer breaks a rule. The pytest suite uses the same
functions, so the rules live in one place.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCES_REGISTRY = ROOT / "data" / "sources.yml"
SOURCES_DIR = ROOT.parent / "shared" / "sources"
FAQ_RESPONSES = ROOT / "data" / "responses" / "faq.yml"

MIN_WORDS, MAX_WORDS = 40, 130
MAX_GRADE = 8.0
COPY_RUN = 12  # this many consecutive words shared with a source count as copying
SOURCES_PREFIX = "Sources:"


def load_registry() -> Dict[str, dict]:
    return yaml.safe_load(SOURCES_REGISTRY.read_text())["sources"]


def load_answers(paths: Iterable[Path] = (FAQ_RESPONSES,)) -> Dict[str, str]:
    answers: Dict[str, str] = {}
    for path in paths:
        responses = yaml.safe_load(Path(path).read_text()).get("responses", {})
        for name, variations in responses.items():
            if name.startswith("utter_faq/"):
                answers[name] = variations[0]["text"]
    return answers


def split_answer(text: str) -> Tuple[str, List[str]]:
    """Return (body, cited titles); the citation is the last line."""
    body, _, cite = text.rpartition(SOURCES_PREFIX)
    titles = [t.strip().rstrip(".") for t in cite.split(";") if t.strip()]
    return body.strip(), titles


def words(text: str) -> List[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def grade_level(text: str) -> float:
    import textstat  # 0.7.x: syllables via pyphen, works offline

    return textstat.flesch_kincaid_grade(text)


def source_ngrams(n: int = COPY_RUN) -> set:
    grams: set = set()
    if not SOURCES_DIR.is_dir():
        return grams
    for path in SOURCES_DIR.glob("*.txt"):
        toks = words(path.read_text(encoding="utf-8", errors="replace"))
        grams.update(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))
    return grams


def copied_runs(text: str, grams: set, n: int = COPY_RUN) -> List[str]:
    toks = words(text)
    return [
        " ".join(toks[i : i + n])
        for i in range(len(toks) - n + 1)
        if tuple(toks[i : i + n]) in grams
    ]


def problems(name: str, text: str, titles_known: set, grams: set) -> List[str]:
    body, titles = split_answer(text)
    found: List[str] = []
    count = len(words(body))
    if not MIN_WORDS <= count <= MAX_WORDS:
        found.append(f"{count} words (want {MIN_WORDS}-{MAX_WORDS})")
    grade = grade_level(body)
    if grade > MAX_GRADE:
        found.append(f"grade level {grade:.1f} (want <= {MAX_GRADE})")
    if not titles:
        found.append("no 'Sources:' line")
    for title in titles:
        if title not in titles_known:
            found.append(f"unregistered source title: {title!r}")
    for run in copied_runs(body, grams)[:3]:
        found.append(f"copied from a source: '{run}'")
    return found


def main(argv: List[str]) -> int:
    paths = [Path(p) for p in argv] or [FAQ_RESPONSES]
    answers = load_answers(paths)
    known = {s["title"] for s in load_registry().values()}
    grams = source_ngrams()
    if not grams:
        print(f"note: {SOURCES_DIR} not found, copy check skipped")
    bad = 0
    for name, text in sorted(answers.items()):
        body, _ = split_answer(text)
        found = problems(name, text, known, grams)
        status = "ok " if not found else "BAD"
        print(
            f"{status} {name}: {len(words(body))} words, grade {grade_level(body):.1f}"
        )
        for p in found:
            print(f"      - {p}")
        bad += bool(found)
    print(f"{len(answers)} answers, {bad} with problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
