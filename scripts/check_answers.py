"""Check FAQ answers: length, reading level, citations, links, spelling, no copied text.

Usage: python scripts/check_answers.py [responses.yml ...]
       python scripts/check_answers.py --write-citations
Exit status 1 when any answer breaks a rule. --write-citations rewrites every
"Sources:" line of data/responses/faq.yml from data/sources.yml (short names, as
[name](url) links where the registry has a url). The pytest suite uses the same
functions, so the rules live in one place.

Every answer has a short variation (the default, what a patient sees first) and a
full one (condition answer_detail = full, sent after "Tell me more").
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCES_REGISTRY = ROOT / "data" / "sources.yml"
SOURCES_DIR = ROOT.parent / "shared" / "sources"
FAQ_RESPONSES = ROOT / "data" / "responses" / "faq.yml"
CLINIC_SETTINGS = ROOT / "clinic.yml"

MIN_WORDS, MAX_WORDS = 40, 130  # the full answer
MAX_SHORT_WORDS = 50  # the short answer, as the patient reads it
MAX_GRADE = 8.0
COPY_RUN = 12  # this many consecutive words shared with a source count as copying
SOURCES_PREFIX = "Sources:"
DETAIL_SLOT, FULL = "answer_detail", "full"

_LINK = re.compile(r"^\[([^\]\n]+)\]\(([^)\s]*)\)$")
_SLOT = re.compile(r"\{(\w+)\}")
_SENTENCE_END = re.compile(r"[.!?:](?=\s|$)")


# --- loading -----------------------------------------------------------------------
def load_registry() -> dict[str, dict]:
    return yaml.safe_load(SOURCES_REGISTRY.read_text())["sources"]


def is_full(variation: Mapping) -> bool:
    return any(
        c.get("name") == DETAIL_SLOT and str(c.get("value")).lower() == FULL
        for c in variation.get("condition") or []
    )


def load_variants(
    paths: Iterable[Path] = (FAQ_RESPONSES,),
) -> dict[str, dict[str, str]]:
    """{response name: {"short": default text, "full": text after Tell me more}}."""
    found: dict[str, dict[str, str]] = {}
    for path in paths:
        responses = yaml.safe_load(Path(path).read_text()).get("responses", {})
        for name, variations in responses.items():
            if not name.startswith("utter_faq/"):
                continue
            default = [v["text"] for v in variations if not v.get("condition")]
            full = [v["text"] for v in variations if is_full(v)]
            found[name] = {
                "short": (default or full or [""])[0],
                "full": (full or default or [""])[0],
            }
    return found


def load_answers(
    paths: Iterable[Path] = (FAQ_RESPONSES,), variant: str = "full"
) -> dict[str, str]:
    """{response name: text} of one variant ("full" or "short")."""
    return {name: v[variant] for name, v in load_variants(paths).items()}


# --- citations -------------------------------------------------------------------------
def citations(text: str) -> list[tuple[str, str | None]]:
    """(name, url or None) for each source the "Sources:" line cites."""
    _, found, cite = text.rpartition(SOURCES_PREFIX)
    if not found:
        return []
    cited = []
    for item in cite.strip().split(";"):
        item = item.strip().rstrip(".")
        if not item:
            continue
        link = _LINK.match(item)
        cited.append((link.group(1), link.group(2)) if link else (item, None))
    return cited


def split_answer(text: str) -> tuple[str, list[str]]:
    """Return (body, cited names); the citation is the last line."""
    body, _, _ = text.rpartition(SOURCES_PREFIX)
    return body.strip(), [name for name, _ in citations(text)]


def cite_of(source: Mapping) -> str:
    """How an answer cites a source: its short name, a link when it has a url."""
    url = (source.get("url") or "").strip()
    return f"[{source['short']}]({url})" if url else source["short"]


def cite(doc_id: str, registry: Mapping[str, dict]) -> str:
    return cite_of(registry[doc_id])


def citation_line(doc_ids: Iterable[str], registry: Mapping[str, dict]) -> str:
    return f"{SOURCES_PREFIX} " + "; ".join(cite(d, registry) for d in doc_ids)


def cited_doc_ids(text: str, registry: Mapping[str, dict]) -> list[str]:
    """The registry ids of the cited sources (by short name or title)."""
    ids = {}
    for doc_id, source in registry.items():
        ids[source["short"]] = ids[source["title"]] = doc_id
    return [ids[name] for name, _ in citations(text) if name in ids]


def citation_problems(text: str, registry: Mapping[str, dict]) -> list[str]:
    """Cited names must be registered; links must match the registry's url."""
    by_short = {s["short"]: s for s in registry.values()}
    found: list[str] = []
    cited = citations(text)
    if not cited:
        found.append("no 'Sources:' line")
    for name, url in cited:
        source = by_short.get(name)
        if source is None:
            found.append(f"unregistered source name: {name!r}")
            continue
        want = (source.get("url") or "").strip() or None
        if url != want:
            found.append(
                f"citation of {name!r} should be {cite_of(source)!r}: run "
                "python scripts/check_answers.py --write-citations"
            )
    return found


def url_problem(url: str) -> str | None:
    """None if url is empty or a well-formed https URL, else what is wrong."""
    if url == "":
        return None
    if url != url.strip() or any(c.isspace() for c in url):
        return "contains spaces"
    if any(c in url for c in "()[]<>\"'`"):
        return "contains a bracket or quote (breaks the markdown link)"
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError as error:
        return f"not a URL ({error})"
    if parts.scheme != "https":
        return "not https"
    host = parts.hostname or ""
    if not port_ok or "." not in host or parts.username or parts.password:
        return "no proper host name"
    if not re.fullmatch(r"[a-z0-9.-]+", host) or ".." in host:
        return "malformed host name"
    return None


def write_citations(path: Path = FAQ_RESPONSES) -> int:
    """Rewrite every "Sources:" line from the registry; returns lines changed."""
    registry = load_registry()
    changed = 0
    lines = path.read_text().split("\n")
    for index, line in enumerate(lines):
        indent, found, rest = line.partition(SOURCES_PREFIX)
        if not found or indent.strip():
            continue
        ids = cited_doc_ids(found + rest, registry)
        new = indent + citation_line(ids, registry)
        if ids and new != line:
            lines[index] = new
            changed += 1
    path.write_text("\n".join(lines))
    return changed


# --- words, reading level, copying -----------------------------------------------------
def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def grade_level(text: str) -> float:
    import textstat  # 0.7.x: syllables via pyphen, works offline

    return textstat.flesch_kincaid_grade(text)


def clinic_values() -> dict[str, str]:
    """Slot values from clinic.yml, as a patient sees them filled in."""
    from clinic.settings import load_settings

    return load_settings(CLINIC_SETTINGS, environ={}).slot_values()


def filled(text: str, values: Mapping[str, str]) -> str:
    return _SLOT.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


def first_sentence(text: str) -> str:
    """The opening sentence, without its final mark (a colon ends one too)."""
    text = " ".join(text.split())
    match = _SENTENCE_END.search(text)
    return text[: match.start()] if match else text


def source_ngrams(n: int = COPY_RUN) -> set:
    grams: set = set()
    if not SOURCES_DIR.is_dir():
        return grams
    for path in SOURCES_DIR.glob("*.txt"):
        toks = words(path.read_text(encoding="utf-8", errors="replace"))
        grams.update(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))
    return grams


def copied_runs(text: str, grams: set, n: int = COPY_RUN) -> list[str]:
    toks = words(text)
    return [
        " ".join(toks[i : i + n])
        for i in range(len(toks) - n + 1)
        if tuple(toks[i : i + n]) in grams
    ]


# --- spelling: US forms, a few common slips ------------------------------------------
# Words that end in -ise in US English too; any other -ise/-ised/-ising/-isation
# word is taken for a British form of an -ize word (mobilise, organisation...).
_ISE_WORDS = """advise apprise arise bruise chastise circumcise clockwise comprise compromise
    concise cruise demise despise devise disguise enterprise excise exercise expertise
    franchise guise improvise incise likewise merchandise noise otherwise paradise
    poise praise precise premise promise raise reprise revise rise supervise surmise
    surprise televise treatise wise"""
_ISE_OK = set(_ISE_WORDS.split())
_ISE = re.compile(r"\b([a-z]+)is(e|es|ed|ing|ation|ations)\b")
_BRITISH = re.compile(
    r"\b(?:"
    r"(?:colo|behavio|favo|labo|hono|humo|neighbo|odo|rumo|tumo|vigo|harbo|flavo"
    r"|endeavo|armo|vapo|rigo|savo|splendo|cando|clamo|parlo|valo|fervo|savio)ur\w*"
    r"|(?:cent|fib|lit|met|theat|calib|somb|spect|lust|manoeuv)res?"
    r"|programmes?|practis\w*|licence|defence|offence|pretence"
    r"|counsell\w*|travell\w*|modell\w*|cancell\w*|labell\w*|signall\w*|fuell\w*"
    r"|levell\w*|marvellous|jewellery|enrolment|fulfilment|skilful|wilful|instalment"
    r"|paediatr\w*|orthopaed\w*|anaesthe\w*|oedema|haemo\w*|oesophag\w*|foet\w*"
    r"|ageing|mould\w*|plough\w*|sceptic\w*|tyres?|aluminium|grey|catalogue\w*"
    r"|cheque|whilst|amongst|learnt|spelt|speciality|analys(?:e|ed|es|ing)"
    r"|paralys(?:e|ed|es|ing)|dialys(?:e|ed|ing)|storey"
    r")\b"
)
# A small list of slips, including the project's own words.
_MISSPELT = re.compile(
    r"\b(?:recieve\w*|seperat\w*|occured|occuring|definately|accomodat\w*|untill"
    r"|wich|teh|thier|alot|begining|beleive\w*|calender|embarass\w*|existance"
    r"|goverment|independant|neccessar\w*|noticable|occassion\w*|persistant"
    r"|posession|prefered|relevent|succesful\w*|tommorow|truely|wierd"
    r"|nueropath\w*|neuropahty|neurapathy|physcial|therapsit|therpist|excercis\w*"
    r"|streching|stregth\w*|balence|numbess|tingeling|sensativ\w*|assesment)\b"
)
_DOUBLED = re.compile(r"\b([a-z]+) \1\b")


def spelling_problems(text: str) -> list[str]:
    """British spellings, common slips and doubled words in a patient-facing text."""
    lower = text.lower()
    found = [
        f"British spelling {m.group(0)!r}"
        for m in _ISE.finditer(lower)
        if m.group(1) + "ise" not in _ISE_OK
    ]
    found += [f"British spelling {m.group(0)!r}" for m in _BRITISH.finditer(lower)]
    found += [f"misspelled {m.group(0)!r}" for m in _MISSPELT.finditer(lower)]
    found += [f"doubled word {m.group(0)!r}" for m in _DOUBLED.finditer(lower)]
    return list(dict.fromkeys(found))


# --- the rules ---------------------------------------------------------------------------
def problems(
    name: str,
    text: str,
    registry: Mapping[str, dict],
    grams: set,
) -> list[str]:
    """What is wrong with one (full) answer."""
    body, _ = split_answer(text)
    found: list[str] = []
    count = len(words(body))
    if not MIN_WORDS <= count <= MAX_WORDS:
        found.append(f"{count} words (want {MIN_WORDS}-{MAX_WORDS})")
    grade = grade_level(body)
    if grade > MAX_GRADE:
        found.append(f"grade level {grade:.1f} (want <= {MAX_GRADE})")
    found += citation_problems(text, registry)
    found += spelling_problems(text)
    for run in copied_runs(body, grams)[:3]:
        found.append(f"copied from a source: '{run}'")
    return found


def short_problems(
    name: str,
    short: str,
    full: str,
    registry: Mapping[str, dict],
    grams: set,
    values: Mapping[str, str],
) -> list[str]:
    """What is wrong with a short answer, given its full answer."""
    body, _ = split_answer(short)
    found: list[str] = []
    count = len(words(filled(body, values)))
    if count > MAX_SHORT_WORDS:
        found.append(f"short answer: {count} words (want <= {MAX_SHORT_WORDS})")
    full_body, _ = split_answer(full)
    if first_sentence(body) != first_sentence(full_body):
        found.append("short answer does not open with the full answer's first sentence")
    if body == full_body:
        found.append("short answer is the full answer")
    grade = grade_level(body)
    if grade > MAX_GRADE:
        found.append(f"short answer: grade level {grade:.1f} (want <= {MAX_GRADE})")
    found += [f"short answer: {p}" for p in citation_problems(short, registry)]
    found += [f"short answer: {p}" for p in spelling_problems(short)]
    for run in copied_runs(body, grams)[:3]:
        found.append(f"short answer copied from a source: '{run}'")
    return found


def main(argv: list[str]) -> int:
    if argv[:1] == ["--write-citations"]:
        print(f"{write_citations()} 'Sources:' lines rewritten in {FAQ_RESPONSES}")
        return 0
    paths = [Path(p) for p in argv] or [FAQ_RESPONSES]
    variants = load_variants(paths)
    registry = load_registry()
    values = clinic_values()
    grams = source_ngrams()
    if not grams:
        print(f"note: {SOURCES_DIR} not found, copy check skipped")
    bad = 0
    for source in registry.values():
        problem = url_problem(source.get("url") or "")
        if problem:
            print(f"BAD sources.yml url of {source['short']!r}: {problem}")
            bad += 1
    for name, v in sorted(variants.items()):
        found = problems(name, v["full"], registry, grams)
        found += short_problems(name, v["short"], v["full"], registry, grams, values)
        short_body, _ = split_answer(v["short"])
        full_body, _ = split_answer(v["full"])
        status = "ok " if not found else "BAD"
        print(
            f"{status} {name}: short {len(words(filled(short_body, values)))} words, "
            f"grade {grade_level(short_body):.1f}; full {len(words(full_body))} "
            f"words, grade {grade_level(full_body):.1f}"
        )
        for p in found:
            print(f"      - {p}")
        bad += bool(found)
    print(f"{len(variants)} answers, {bad} with problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
