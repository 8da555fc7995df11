"""The clinical review sheet: every answer and safety reply, on paper, to sign.

Usage: python scripts/review_sheet.py [--out DIR] [--no-pdf]
Writes DIR/review-sheet.html (one self-contained file: no scripts, no outside
resources) and DIR/review-sheet.pdf, printed by headless Chromium
(/usr/bin/chromium through Playwright; scripts/install_browser.sh installs it).
DIR defaults to var/review/.

For every FAQ topic: the short and the full answer, three example questions
from data/nlu, the cited sources with supporting passages quoted from the
source texts (../shared/sources/, picked by word overlap with the answer), the
reading grade and word count, the referral group, when the answer last changed
(git blame of its lines in data/responses/faq.yml) and an empty sign-off
column. Then the safety replies with the clinic's numbers filled in, and the
red-flag vocabulary of safety/rules.yml in plain words.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import math
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from clinic.settings import ClinicSettings, load_settings
from clinic.topics import TOPICS, Topic
from scripts import check_answers as kb

ROOT = Path(__file__).resolve().parent.parent

OUT_DIR = ROOT / "var" / "review"
CATALOGUE = ROOT / "data" / "faq_topics.yml"
DOMAIN = ROOT / "domain.yml"
NLU_DIR = ROOT / "data" / "nlu"
SAFETY_RULES = ROOT / "safety" / "rules.yml"
CHROMIUM = Path("/usr/bin/chromium")
EXAMPLES = 3
PASSAGES_PER_SOURCE = 2

# Safety replies, in the order a reviewer should read them.
SAFETY_REPLIES = [
    ("utter_urgent_care", "Emergency signs (red flags)"),
    ("utter_overdose", "Overdose or poisoning"),
    ("utter_crisis_support", "Crisis: thoughts of self-harm or suicide"),
    ("utter_crisis_support_other", "Crisis: someone else's thoughts of suicide"),
    ("utter_ask_prescriber", "Dosing questions"),
    ("utter_disclaimer_full", "Safety note after the first answer of a session"),
    ("utter_disclaimer_short", "Safety reminder after later answers"),
    ("utter_safety_hint_red_flag", "Hint before an answer: possible red flag"),
    ("utter_safety_hint_crisis", "Hint before an answer: possible crisis"),
    (
        "utter_safety_hint_crisis_someone_else",
        "Hint before an answer: possible crisis about someone else",
    ),
    ("utter_safety_hint_overdose", "Hint before an answer: possible overdose"),
    ("utter_safety_hint_medication_dosing", "Hint before an answer: dosing"),
]
REFERRAL_GROUPS = {
    "doctor": "See your doctor",
    "therapist": "Ask your physical therapist",
    "assessment": "Book an assessment",
}
_STOPWORD_TEXT = """a about after again all also an and any are as at be because been before
    being but by can could did do does doing for from had has have having her his
    how i if in into is it its just like may me might more most much my no not of
    off on once one only or other our out over own same she should so some such
    than that the their them then there these they this those through to too under
    until up very was we were what when where which while who why will with would
    you your yours"""
_STOPWORDS = set(_STOPWORD_TEXT.split())


# --- inputs ----------------------------------------------------------------------
def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def examples_by_topic() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(NLU_DIR.glob("*.yml")):
        for item in load_yaml(path).get("nlu", []):
            intent = item.get("intent", "")
            if intent.startswith("faq/"):
                lines = [
                    line[2:].strip()
                    for line in item["examples"].splitlines()
                    if line.startswith("- ")
                ]
                found.setdefault(intent[4:], []).extend(lines)
    return found


def pick_examples(lines: Sequence[str], n: int = EXAMPLES) -> list[str]:
    """n examples spread over the list (the first ones are often near-copies)."""
    if len(lines) <= n:
        return list(lines)
    step = len(lines) / n
    return [lines[int(i * step)] for i in range(n)]


def fill(text: str, values: Mapping[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), text)


# --- when each answer last changed (git) ---------------------------------------------
def blame_dates(path: Path) -> dict[str, tuple[str, str, str]]:
    """{response name: (date, short commit, subject)} of the newest line in its block."""
    relative = path.relative_to(ROOT)
    try:
        out = subprocess.run(
            ["git", "blame", "--line-porcelain", "--", str(relative)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    lines: list[tuple[str, int, str, str]] = []  # (sha, time, summary, text)
    commits: dict[str, dict[str, str]] = {}
    sha = ""
    for line in out.split("\n"):
        if re.match(r"^[0-9a-f]{40} ", line):
            sha = line.split()[0]
            commits.setdefault(sha, {})
        elif line.startswith("\t"):
            info = commits[sha]
            lines.append(
                (sha, int(info.get("committer-time", "0")), info.get("summary", ""),
                 line[1:])  # fmt: skip
            )
        elif " " in line:
            key, _, value = line.partition(" ")
            if key in ("committer-time", "summary"):
                commits[sha][key] = value
    found: dict[str, tuple[str, str, str]] = {}
    block: str | None = None
    newest: dict[str, tuple[int, str, str]] = {}
    for sha, when, summary, text in lines:
        start = re.match(r"^  (utter_\S+):\s*$", text)
        if start:
            block = start.group(1)
        elif re.match(r"^\S", text):
            block = None
        if block is None:
            continue
        uncommitted = set(sha) == {"0"}
        key = (math.inf if uncommitted else when, sha, summary)
        if block not in newest or key[0] > newest[block][0]:
            newest[block] = key  # type: ignore[assignment]
    for name, (when, sha, summary) in newest.items():
        if when == math.inf:
            found[name] = ("not committed yet", "", "local change")
        else:
            date = dt.datetime.fromtimestamp(when, dt.timezone.utc).date().isoformat()
            found[name] = (date, sha[:8], summary)
    return found


def head_commit() -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git history)"
    return f"{sha} (with local changes)" if dirty else sha


# --- supporting passages ---------------------------------------------------------------
def stem(word: str) -> str:
    for suffix in ("ing", "ies", "ed", "es", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def content_stems(text: str) -> list[str]:
    return [
        stem(w)
        for w in re.findall(r"[a-z][a-z'-]+", text.lower())
        if w not in _STOPWORDS and len(w) > 2
    ]


def sentences(text: str) -> list[str]:
    """Sentences of a source text, without navigation or share-button lines."""
    found = []
    for paragraph in re.split(r"\n+", text):
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z\"'(])", paragraph.strip()):
            sentence = sentence.strip()
            if len(sentence.split()) >= 8:
                found.append(sentence)
    return found


class SourceTexts:
    """The source articles in ../shared/sources/ (when present), for quoting."""

    def __init__(self, registry: Mapping[str, dict], folder: Path = kb.SOURCES_DIR):
        self.folder = folder
        self.sentences: dict[str, list[str]] = {}
        for doc_id, source in registry.items():
            path = folder / source.get("file", "")
            if source.get("file") and path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace")
                self.sentences[doc_id] = sentences(text)
        every = [set(content_stems(s)) for ss in self.sentences.values() for s in ss]
        counts = Counter(w for words in every for w in words)
        total = max(len(every), 1)
        self.idf = {w: math.log(total / n) for w, n in counts.items()}

    def available(self, doc_id: str) -> bool:
        return doc_id in self.sentences

    def passages(
        self, doc_id: str, answer: str, n: int = PASSAGES_PER_SOURCE
    ) -> list[str]:
        """The n sentences of a source that share the most (rare) words with answer."""
        wanted = set(content_stems(answer))
        scored = []
        for index, sentence in enumerate(self.sentences.get(doc_id, [])):
            words = set(content_stems(sentence))
            shared = words & wanted
            score = sum(self.idf.get(w, 0.0) for w in shared)
            score /= max(len(words), 1) ** 0.3
            scored.append((score, index, sentence))
        best = sorted(scored, key=lambda s: -s[0])[:n]
        return [s for score, _, s in sorted(best, key=lambda s: s[1]) if score > 0]


# --- the red-flag vocabulary in plain words ------------------------------------------
_TOKENIZER_BITS = {
    "ca",
    "wo",
}  # "can't" / "won't" after tokenizing: shown as can / will


def plain_token(token: str) -> str:
    if re.fullmatch(r"~+", token):  # up to n optional words
        return "…" * len(token)
    options = [o for o in token.split("|") if o not in _TOKENIZER_BITS] or [token]
    options = [o[:-1] + "…" if o.endswith("*") else o for o in options]
    return options[0] if len(options) == 1 else "(" + " / ".join(options) + ")"


def plain_phrase(phrase: str) -> str:
    return " ".join(plain_token(t) for t in str(phrase).split())


def plain_concept(name: str) -> str:
    return str(name).replace("_", " ")


def rule_concepts(alternative: Any) -> list[str]:
    """The concepts one rule line needs: a list, a single name, or the dict form
    {all: [...], unless: [...], same_sentence: ...} (shown as "not <concept>")."""
    if isinstance(alternative, dict):
        needed = [str(c) for c in alternative.get("all") or []]
        return needed + [f"not {c}" for c in alternative.get("unless") or []]
    if isinstance(alternative, list):
        return [str(c) for c in alternative]
    return [str(alternative)]


def red_flag_vocabulary(path: Path = SAFETY_RULES) -> dict[str, Any]:
    """Categories, rules and concepts of the safety detector, readable."""
    data = load_yaml(path) or {}
    concepts = {
        name: [plain_phrase(p) for p in phrases or []]
        for name, phrases in (data.get("concepts") or {}).items()
    }
    for name, words in (data.get("vocab") or {}).items():
        concepts.setdefault(name, [plain_phrase(w) for w in words or []])
    for name in data.get("about_whom") or []:  # the same words, about someone else
        if name in concepts:
            concepts.setdefault(
                f"{name}_other", concepts[name] + ["(about someone else)"]
            )
    rules: dict[str, list[list[str]]] = {}
    for category, alternatives in (data.get("rules") or {}).items():
        rules[category] = [rule_concepts(alt) for alt in alternatives or []]
    order = list(data.get("order") or rules)
    order += [c for c in rules if c not in order]
    unless = {k: v for k, v in (data.get("unless") or {}).items() if v}
    return {"order": order, "rules": rules, "concepts": concepts, "unless": unless}


# --- HTML --------------------------------------------------------------------------------
def e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def answer_html(text: str) -> str:
    """An answer as the widget shows it: paragraphs, "- " lists, [name](url) links."""
    out: list[str] = []
    in_list = False
    for line in text.split("\n"):
        bullet = re.match(r"^\s*[-*]\s+(.*)$", line)
        if bullet and not in_list:
            out.append("<ul>")
            in_list = True
        elif not bullet and in_list:
            out.append("</ul>")
            in_list = False
        body = inline_html(bullet.group(1) if bullet else line)
        out.append(f"<li>{body}</li>" if bullet else f"<p>{body}</p>")
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


def inline_html(text: str) -> str:
    parts, last = [], 0
    for m in re.finditer(r"\[([^\]\n]+)\]\((https://[^)\s]+)\)", text):
        parts.append(e(text[last : m.start()]))
        parts.append(f'<a href="{e(m.group(2))}">{e(m.group(1))}</a>')
        last = m.end()
    parts.append(e(text[last:]))
    return "".join(parts)


CSS = """
@page { size: A4 landscape; margin: 12mm; }
* { box-sizing: border-box; }
body { font: 10.5pt/1.4 "Liberation Sans", Arial, Helvetica, sans-serif; color: #1a1a1a;
       margin: 0 auto; max-width: 1200px; padding: 16px; }
h1 { font-size: 20pt; margin: 0 0 4px; }
h2 { font-size: 15pt; margin: 28px 0 8px; border-bottom: 2px solid #0b5f73; }
h3 { font-size: 12.5pt; margin: 0 0 6px; }
p { margin: 0 0 6px; }
ul { margin: 0 0 6px 18px; padding: 0; }
a { color: #0b5f73; }
.meta { color: #444; margin-bottom: 12px; }
.howto { background: #f3f7f8; border: 1px solid #c9dde2; padding: 8px 12px; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #999; padding: 4px 6px; vertical-align: top; text-align: left; }
th { background: #e8f0f2; }
td.num { text-align: right; white-space: nowrap; }
td.sign { min-width: 150px; }
.topic { border: 1px solid #999; padding: 10px 12px; margin: 14px 0;
         break-inside: avoid-page; page-break-inside: avoid; }
.topic .id { font-family: "Liberation Mono", monospace; color: #555; font-weight: normal; }
.answers { display: grid; grid-template-columns: 1fr 1.6fr; gap: 12px; }
.answer { border-left: 4px solid #0b5f73; padding-left: 8px; }
.label { font-weight: bold; color: #0b5f73; font-size: 9.5pt; text-transform: uppercase;
         letter-spacing: .03em; margin: 6px 0 2px; }
blockquote { margin: 2px 0 6px 10px; padding-left: 8px; border-left: 3px solid #bbb;
             color: #333; font-style: italic; }
.missing { color: #8a4b00; }
.signoff { margin-top: 8px; display: grid; grid-template-columns: 2fr 1fr 1fr 3fr;
           gap: 8px; }
.signoff div { border-bottom: 1px solid #333; padding-top: 16px; font-size: 9pt;
               color: #444; }
.phrases { columns: 2; column-gap: 24px; }
ul.rules { columns: 3; column-gap: 24px; }
ul.rules li { break-inside: avoid; }
.concept { break-inside: avoid; margin-bottom: 6px; }
.concept b { color: #0b5f73; }
code { font-family: "Liberation Mono", monospace; font-size: 9.5pt; }
"""


def topic_section(
    topic: Topic,
    variants: Mapping[str, str],
    catalogue: Mapping[str, dict],
    examples: Sequence[str],
    registry: Mapping[str, dict],
    sources: SourceTexts,
    changed: tuple[str, str, str],
    referral_text: str,
    values: Mapping[str, str],
) -> str:
    short, full = fill(variants["short"], values), fill(variants["full"], values)
    short_body, _ = kb.split_answer(short)
    full_body, _ = kb.split_answer(full)
    entry = catalogue.get(topic.id, {})
    cited = kb.cited_doc_ids(variants["full"], registry)
    source_html = []
    for doc_id in cited:
        source = registry[doc_id]
        head = (
            f"<p><b>{e(source['short'])}</b> ({e(doc_id)}): "
            f"<i>{e(source['title'])}</i>"
        )
        if source.get("url"):
            head += f' — <a href="{e(source["url"])}">{e(source["url"])}</a>'
        source_html.append(head + "</p>")
        if not sources.available(doc_id):
            source_html.append(
                f'<p class="missing">Source text not available here '
                f"({e(source.get('file', 'no file'))} is not in {e(sources.folder)}): "
                "check this answer against the article by hand.</p>"
            )
            continue
        for passage in sources.passages(doc_id, full_body):
            source_html.append(f"<blockquote>{e(passage)}</blockquote>")
    date, sha, subject = changed
    subject = subject if len(subject) <= 70 else subject[:69] + "…"
    changed_html = e(date) + (f" <code>{e(sha)}</code> {e(subject)}" if sha else "")
    return f"""
<section class="topic" id="topic-{e(topic.id)}" data-topic="{e(topic.id)}">
  <h3>{e(topic.label)} <span class="id">faq/{e(topic.id)}</span></h3>
  <p class="meta">Referral group: <b>{e(REFERRAL_GROUPS.get(topic.referral,
    topic.referral))}</b> — “{e(referral_text)}” · Last changed: {changed_html}</p>
  <div class="answers">
    <div class="answer">
      <div class="label">Short answer (shown first) — {len(kb.words(short_body))}
        words, grade {kb.grade_level(short_body):.1f}</div>
      {answer_html(short)}
    </div>
    <div class="answer">
      <div class="label">Full answer (after “Tell me more”) —
        {len(kb.words(full_body))} words, grade {kb.grade_level(full_body):.1f}</div>
      {answer_html(full)}
    </div>
  </div>
  <div class="label">What the answer must carry (catalogue)</div>
  <p>{e(entry.get("points", "—"))}</p>
  <div class="label">Example questions</div>
  <ul>{"".join(f"<li>{e(x)}</li>" for x in examples) or "<li>none</li>"}</ul>
  <div class="label">Cited sources and supporting passages</div>
  {"".join(source_html)}
  <div class="signoff"><div>Reviewer</div><div>Date</div>
    <div>Approved / changes needed</div><div>Comments</div></div>
</section>"""  # fmt: skip


def summary_table(
    rows: Iterable[tuple[Topic, Mapping[str, str], tuple[str, str, str]]],
    values: Mapping[str, str],
) -> str:
    body = []
    for topic, variants, changed in rows:
        short_body, _ = kb.split_answer(fill(variants["short"], values))
        full_body, _ = kb.split_answer(fill(variants["full"], values))
        body.append(
            f'<tr data-topic="{e(topic.id)}"><td><a href="#topic-{e(topic.id)}">'
            f"{e(topic.label)}</a><br><code>{e(topic.id)}</code></td>"
            f'<td class="num">{len(kb.words(short_body))} / '
            f"{len(kb.words(full_body))}</td>"
            f'<td class="num">{kb.grade_level(short_body):.1f} / '
            f"{kb.grade_level(full_body):.1f}</td>"
            f"<td>{e(REFERRAL_GROUPS.get(topic.referral, topic.referral))}</td>"
            f"<td>{e(changed[0])}</td>"
            '<td class="sign"></td></tr>'
        )
    return (
        "<table><thead><tr><th>Topic</th><th>Words (short / full)</th>"
        "<th>Grade (short / full)</th><th>Referral group</th><th>Last changed</th>"
        "<th>Sign-off (initials, date)</th></tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table>"
    )


def variation_language(variation: Mapping[str, Any]) -> str:
    """Which patients read this variation (the `language` slot condition)."""
    for condition in variation.get("condition") or []:
        if condition.get("name") == "language":
            return {"es": "Spanish", "en": "English"}.get(condition.get("value"), "")
    return "English (default)"


def safety_section(
    domain: Mapping[str, Any], settings: ClinicSettings, values: Mapping[str, str]
) -> str:
    rows = []
    responses = domain.get("responses", {})
    for name, what in SAFETY_REPLIES:
        for variation in responses.get(name, []):
            text = fill(variation.get("text", ""), values)
            buttons = []
            for b in variation.get("buttons") or []:
                target = b.get("url") or b.get("payload") or ""
                buttons.append(f"{e(fill(b.get('title', ''), values))} → "
                               f"<code>{e(fill(target, values))}</code>")  # fmt: skip
            rows.append(
                f"<tr><td><b>{e(what)}</b><br><code>{e(name)}</code>"
                f"<br>{e(variation_language(variation))}</td>"
                f"<td>{answer_html(text)}"
                + (f"<p>Buttons: {'; '.join(buttons)}</p>" if buttons else "")
                + '</td><td class="sign"></td></tr>'
            )
    return (
        f"<p>With this clinic's settings: emergency number "
        f"<b>{e(settings.emergency_number)}</b>, crisis line "
        f"<b>{e(settings.crisis_line_name)}</b>, Poison Control "
        f"<b>{e(settings.poison_control)}</b>, clinic phone "
        f"<b>{e(settings.phone)}</b>.</p>"
        "<table><thead><tr><th>When</th><th>What the patient reads</th>"
        "<th>Sign-off (initials, date)</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


CATEGORY_NAMES = {
    "red_flag": "Emergency signs (red flags) → urgent-care reply",
    "crisis": "Crisis → crisis-support reply",
    "crisis_someone_else": "Crisis about someone else → support for the worried person",
    "overdose": "Overdose or poisoning → Poison Control reply",
    "medication_dosing": "Dosing questions → ask the prescriber",
}


def vocabulary_section(vocabulary: Mapping[str, Any]) -> str:
    parts = [
        '<p class="howto">How to read this: a message gets a category when it '
        "contains every idea of one line below (in any order, not negated: “no chest "
        "pain” does not count). Each idea is a list of phrases. A word also matches its "
        "other forms (“swell” matches “swollen”); <b>word…</b> means any word starting "
        "so; (a / b) means either; each … is a word that may or may not be there; "
        "“can not” also covers “can't” and “cannot”.</p>"
    ]
    used: list[str] = []
    for category in vocabulary["order"]:
        lines = vocabulary["rules"].get(category, [])
        title = e(CATEGORY_NAMES.get(category, category))
        parts.append(f'<h3>{title}</h3><ul class="rules">')
        for alternative in lines:
            used += [c for c in alternative if c not in used]
            names = " + ".join(
                f'<a href="#concept-{e(c)}">{e(plain_concept(c))}</a>'
                for c in alternative
            )
            parts.append(f"<li>{names}</li>")
        parts.append("</ul>")
        cancel = vocabulary["unless"].get(category)
        if cancel:
            parts.append(
                "<p>Not when the message also says: "
                + ", ".join(e(plain_concept(c)) for c in cancel)
                + "</p>"
            )
    parts.append('<h3>The ideas and their phrases</h3><div class="phrases">')
    concepts = vocabulary["concepts"]
    for name in used + [c for c in concepts if c not in used]:
        phrases = concepts.get(name)
        if phrases is None:
            continue
        parts.append(
            f'<div class="concept" id="concept-{e(name)}"><b>{e(plain_concept(name))}'
            f"</b>: {e('; '.join(phrases))}</div>"
        )
    parts.append("</div>")
    return "\n".join(parts)


def build_html(settings: ClinicSettings | None = None) -> str:
    settings = settings or load_settings()
    values = {**settings.slot_values(), **settings.disclaimers()}
    registry = kb.load_registry()
    variants = kb.load_variants()
    catalogue = {t["id"]: t for t in load_yaml(CATALOGUE)["faq"]}
    domain = load_yaml(DOMAIN)
    examples = examples_by_topic()
    sources = SourceTexts(registry)
    changed = blame_dates(kb.FAQ_RESPONSES)
    unknown = ("unknown (no git history)", "", "")
    topics = sorted(TOPICS.values(), key=lambda t: list(TOPICS).index(t.id))
    rows = [(t, variants[t.answer], changed.get(t.answer, unknown)) for t in topics]
    referrals = {
        group: fill(domain["responses"][f"utter_referral_{group}"][0]["text"], values)
        for group in REFERRAL_GROUPS
    }
    sections = [
        topic_section(
            t,
            variants[t.answer],
            catalogue,
            pick_examples(examples.get(t.id, [])),
            registry,
            sources,
            changed.get(t.answer, unknown),
            referrals.get(t.referral, ""),
            values,
        )
        for t in topics
    ]
    if sources.sentences:
        source_note = (
            f"Passages are quoted from the source texts in {e(sources.folder)}, picked "
            "by the words they share with the full answer: they show where to look, "
            "they are not proof."
        )
    else:
        source_note = (
            f"The source texts were not available ({e(sources.folder)} not found): "
            "no passages are quoted; check each answer against its articles by hand."
        )
    try:
        vocabulary = vocabulary_section(red_flag_vocabulary())
    except Exception as error:  # noqa: BLE001 - the sheet must still be written
        vocabulary = (
            f'<p class="missing">Could not read {e(SAFETY_RULES.name)} ({e(error)}); '
            "review the file itself.</p>"
        )
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Clinical review sheet — {e(settings.name)} nerve-pain assistant</title>
<style>{CSS}</style>
</head>
<body>
<h1>Clinical review sheet: nerve-pain assistant</h1>
<p class="meta">{e(settings.name)} · generated {e(now)} from commit
  {e(head_commit())} · {len(topics)} FAQ topics</p>
<div class="howto">
<p>Please read every answer and safety reply as a patient would, and sign each one
off, or note what must change. Patients first see the <b>short answer</b>, then a
safety note and a referral prompt with buttons (Book a visit, Ask another question,
Tell me more); “Tell me more” shows the <b>full answer</b>. Grade is the
Flesch-Kincaid reading grade (target 8 or lower). {source_note}</p>
</div>
<h2>Summary</h2>
{summary_table(rows, values)}
<h2>Safety replies</h2>
{safety_section(domain, settings, values)}
<h2>Red-flag vocabulary (what triggers the safety replies)</h2>
{vocabulary}
<h2>FAQ answers</h2>
{"".join(sections)}
<h2>Overall sign-off</h2>
<div class="signoff"><div>Clinical lead</div><div>Date</div><div>Signature</div>
  <div>Comments</div></div>
</body>
</html>
"""


def print_pdf(html_path: Path, pdf_path: Path) -> None:
    """Print the sheet to PDF with headless Chromium (Debian's, via Playwright)."""
    if not CHROMIUM.exists():
        raise SystemExit(
            f"error: {CHROMIUM} not found (run scripts/install_browser.sh), "
            "or pass --no-pdf"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless=new", "--no-sandbox", "--disable-gpu"],
        )
        page = browser.new_page()
        page.goto(html_path.resolve().as_uri())
        page.pdf(
            path=str(pdf_path),
            format="A4",
            landscape=True,
            print_background=True,
            scale=0.8,
            margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"},
        )
        browser.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--no-pdf", action="store_true")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    html_path = args.out / "review-sheet.html"
    html_path.write_text(build_html(), encoding="utf-8")
    print(f"Review sheet: {html_path}")
    if not args.no_pdf:
        pdf_path = args.out / "review-sheet.pdf"
        print_pdf(html_path, pdf_path)
        print(f"PDF: {pdf_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
