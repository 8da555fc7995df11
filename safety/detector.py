"""Deterministic safety detection inside the NLU pipeline.

Red flags, overdoses, crisis language and dosing questions must not depend on
the classifier alone. A blank spaCy English pipeline (no downloaded model)
tags the concepts listed in rules.yml with a Matcher; the rules there
decide the category, and the category overrides the predicted intent. When
several fire: overdose, red_flag, crisis_someone_else, crisis, then dosing.

What a concept match does not count for:
- negated: "no chest pain", "I'm not suicidal";
- framed: inside an informational question ("can diabetes cause a heart
  attack?", "what are the warning signs of a clot?"), a history clause ("I had
  a stroke in 2017", "I overdosed in my 20s") or words reported from a label,
  leaflet, article or professional ("the leaflet says 'may cause overdose'").
A framed match that would have raised an alarm leaves a `hint` instead, so the
ordinary answer starts with a one-line safety prompt. Frames never hide a
dosing question.

Crisis concepts are attributed to the writer or to someone else ("I want to
die" vs "my son says he wants to die") by the pronouns in and before the match.

The second net: when the rules raise no alarm, a classifier alarm (red_flag,
overdose, crisis, crisis_someone_else) of at least `alarm_threshold` raises it,
also over a rule dosing answer ("I took four times my dose"), unless the
detector vetoes it: the message denies a warning sign, has an informational,
history or reported frame, or is phrased as a question; a red_flag guess also
needs one of the detector's signs beside it (an onset, a swelling, a head
knock: see not_corroborating), as the classifier reads ordinary symptoms ("I
get electric shocks in my legs now and then") as emergencies. Measured (dev half
plus 400 messages of our own that neither the rules nor the classifier were
tuned on): at 0.99 it caught 10 of the 16 alarms the rules missed in an unseen
set, with no false alarm there; without the question veto it also alarmed on
10 of 218 out-of-scope health questions ("is fasting safe with low blood
pressure? I felt lightheaded"), with it on none. A vetoed or less sure guess
falls back to the best ordinary intent and, when it was sure, adds the hint.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import spacy
import yaml
from spacy.matcher import Matcher
from spacy.tokens import Doc

RULES_FILE = Path(__file__).resolve().parent / "rules.yml"
NEGATION_CUES = {
    "no", "not", "never", "without", "none", "nothing", "nor", "deny",
    "ni", "sin", "nunca", "jamas", "jamás", "tampoco",
}  # fmt: skip
# Words that end a negation's reach ("no chest pain, just tingling"); a new
# subject starts a new clause ("if it didn't work he'd end it").
SCOPE_BREAKERS = {
    "but", "just", "only", "though", "although", "however", "except",
    "if", "whether", "know", "sure", "tell", "think", "and", "now",
    "he", "she", "they",
    "pero", "solo", "sólo", "aunque", "nomas", "nada_mas",
}  # fmt: skip
# After a comma, these start a new clause: "isn't working, can I take more".
CLAUSE_STARTERS = {
    "i", "my", "me", "he", "she", "his", "her", "it", "its", "the", "they",
    "can", "could", "is", "are", "was", "am", "do", "does", "did", "will",
    "should", "would", "what", "how", "m", "'m", "s", "'s",
    "yo", "mi", "se", "pero",
}  # fmt: skip
# After "and", these bring in a new subject (a reported frame starts there).
SUBJECT_STARTERS = CLAUSE_STARTERS | {
    "a", "an", "this", "that", "we", "you", "el", "la", "los", "las", "mis", "su",
    "sus", "tu", "un", "una",
}  # fmt: skip
INABILITY = {"ca", "can", "could", "wo"}  # "can't walk" states a symptom
# "not gonna lie", "not joking": a cue followed by these insists; it denies nothing.
INSISTING = {
    "lie", "lying", "kid", "kidding", "joke", "joking", "exaggerate", "exaggerating",
}  # fmt: skip
NEGATION_WINDOW = 5
SENTENCE_END = set(".!?;…")
# Inside a sentence, these start a new clause for the history frame:
# "had a heart attack at 52, now 60 with burning feet".
CLAUSE_BREAKS = {
    ",", "now", "but", "anyway", "also", "btw", "though", "-", "(", ")", ":",
    "since", "today", "tonight", "yesterday", "suddenly", "then",
}  # fmt: skip
QUOTES = {"'", '"', "‘", "’", "“", "”", "`"}

# Who a crisis concept is about: the writer, or someone else.
FIRST_PERSON = {"i", "me", "my", "myself", "mine", "im", "ive", "id", "yo"}
THIRD_PERSON = {
    "he", "she", "they", "him", "her", "his", "hers", "their", "them",
    "himself", "herself", "themselves", "themself", "hes", "shes",
}  # fmt: skip
# "sus" too: "me conto q esta juntando sus pastillas" is about her.
THIRD_PERSON_IN_MATCH = {"he", "she", "him", "her", "his", "hers", "hes", "shes", "sus"}
# Spanish too: the rules hold a few unmistakable Spanish crisis phrases.
REFLEXIVE_SELF = {
    "myself", "me", "matarme", "suicidarme", "quitarme", "ahorcarme", "colgarme",
    "cortarme", "volarme",
}  # fmt: skip
REFLEXIVE_OTHER = {
    "himself", "herself", "themselves", "themself",
    "se", "matarse", "suicidarse", "quitarse", "ahorcarse", "colgarse", "cortarse",
    "volarse",
}  # fmt: skip
SPEECH_VERBS = {
    "said", "says", "say", "saying", "told", "tells", "telling", "texted",
    "texts", "posted", "posts", "wrote", "writes", "whispered", "mentioned",
    "talks", "talking", "talked", "threatened", "threatening", "keeps",
    "messaged", "sent", "admitted", "dice", "dijo", "escribio", "escribió",
}  # fmt: skip
# A clause with one of these speaks about now, not about the past before it.
PRESENT_TENSE = {
    "is", "am", "are", "m", "'m", "re", "'re", "has", "have", "'ve", "ve", "ca",
    "can", "keep", "keeps", "feel", "feels", "hurts", "now", "still", "today",
    "tonight", "currently", "wo", "does", "do", "cant", "wont", "isnt", "im",
}  # fmt: skip
# A question after one of these is a new topic, not about the clauses before it.
QUESTION_TURNS = {"also", "btw", "anyway", "but", "though", "now"}
# Where a statement ends and a new question begins inside one sentence.
STATEMENT_TURN = re.compile(
    r",\s*(?:" + "|".join(sorted(QUESTION_TURNS)) + r")\b|\b(?:btw|anyway)\b"
)
HISTORY_BREAKS = {"now", "today", "tonight", "since", "suddenly", "currently"}
RELATIONS = {
    "wife", "husband", "son", "daughter", "mom", "mum", "mother", "dad", "father",
    "brother", "sister", "friend", "partner", "boyfriend", "girlfriend", "bf", "gf",
    "uncle", "aunt", "grandma", "grandpa", "grandmother", "grandfather", "cousin",
    "coworker", "colleague", "patient", "client", "teen", "teenager", "kid",
    "child", "neighbor", "neighbour", "roommate", "fiance", "fiancee", "nephew",
    "niece", "spouse", "buddy", "student", "stepdad", "stepmom", "family",
    "hijo", "hija", "esposo", "esposa", "mama", "mamá", "papa", "papá", "hermano",
    "hermana", "amigo", "amiga", "novio", "novia", "abuelo", "abuela", "tio", "tío",
    "tia", "tía", "primo", "prima", "nieto", "nieta", "vecino", "vecina", "pareja",
}  # fmt: skip
OTHER_SUFFIX = "_other"
# Words that name suicide or self-harm as a subject. A crisis alarm whose only
# evidence is one of them may be talk about the subject (a thesis, a label's
# warning, a podcast) rather than a wish: the second net decides
# (components/safety.py, `net_subject_threshold`).
SUBJECT_WORDS = {
    "suicide", "suicides", "suicidal", "suicidio", "suicidios", "suicida",
    "suicidas", "self harm", "self-harm", "selfharm",
}  # fmt: skip
# ...unless a verb of having, feeling or thinking leads to it: "thinking about
# suicide", "i feel suicidal", "tengo ideas suicidas" tell a state, not a subject.
STATE_BEFORE_SUBJECT = re.compile(
    r"\b(think|thinks|thinking|thought|consider|considering|contemplat\w*|feel|"
    r"feels|feeling|felt|am|im|m|been|having|have|has|had|get|gets|got|getting|"
    r"pienso|piensa|pensando|pensado|considerando|tengo|tiene|tenia|tuve|siento|me)"
    r"(\W+\w+){0,2}\W+(suicid\w*|self[- ]?harm)",
)


def _normalise(text: str) -> str:
    """Lower case, straight apostrophes, "w/" as "with"."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\bw/(?=\s)", "with", text)


def _new_clause(between: Any) -> bool:
    """After a comma, does a new clause start before the match?"""
    words = [t.lower_ for t in between]
    return len(words) > 3 or any(w in CLAUSE_STARTERS for w in words)


def _names_subject_only(findings: list[Finding], text: str) -> bool:
    """A crisis named only by a word for the subject ("a podcast on suicide").
    `text` is already normalised (SafetyRules.analyse)."""
    return (
        bool(findings)
        and all(
            f.category.startswith("crisis")
            and all(e.lower() in SUBJECT_WORDS for e in f.evidence)
            for f in findings
        )
        and not STATE_BEFORE_SUBJECT.search(text)
    )


@dataclass(frozen=True)
class Finding:
    category: str
    concepts: tuple[str, ...]
    evidence: tuple[str, ...]


@dataclass
class Analysis:
    """Everything the detector saw in one message."""

    findings: list[Finding]
    present: dict[str, list[str]]
    denied: dict[str, list[str]]
    framed: dict[str, list[str]]
    frames: set[str] = field(default_factory=set)
    hint: str | None = None
    question: bool = False

    corroborated: bool = False
    subject_only: bool = False
    # The message says a dark time is over ("ya no pienso asi", "things do get
    # better") and nothing puts it back in the present ("again", "tonight").
    resolved: bool = False
    # Categories whose words the rules found but an exception excused
    # ("ya no quiero seguir con las sesiones", "me muero de risa").
    excused: set[str] = field(default_factory=set)

    @property
    def category(self) -> str | None:
        return self.findings[0].category if self.findings else None

    @property
    def chronic(self) -> bool:
        """A long-standing symptom and nothing new ("numb for years, no change")."""
        return "slow_course" in self.present and not (
            {"onset", "rapid"} & set(self.present)
        )

    @property
    def vetoes(self) -> list[str]:
        """Why a classifier alarm would not be believed (empty: no reason).

        Besides denials and framed clauses, a message phrased as a question:
        the classifier cannot tell where in it an emergency would be, and it is
        confidently wrong on questions about other conditions ("is fasting safe
        with low blood pressure? I felt lightheaded")."""
        reasons = ["negation"] if self.denied else []
        reasons += ["question"] if self.question else []
        # A topic frame vetoes only the rules' own words inside it: whether the
        # rest of the message tells a wish is the net's call.
        return reasons + sorted(self.frames - {"topic"})


@lru_cache(maxsize=1)
def _nlp() -> spacy.language.Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


@lru_cache(maxsize=1)
def _word_forms() -> dict[str, set[str]]:
    """lemma -> every form the lookup table maps to it (so "take" -> took, taking...)."""
    import spacy_lookups_data

    path = Path(spacy_lookups_data.__file__).parent / "data" / "en_lemma_lookup.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        table: dict[str, str] = json.load(handle)
    forms: dict[str, set[str]] = defaultdict(set)
    for form, lemma in table.items():
        forms[lemma].add(form)
    return forms


def _inflections(word: str, nlp: spacy.language.Language) -> set[str]:
    """The word and every form sharing its lemma ("swell" -> swollen, swelling...)."""
    doc = nlp(word)
    if len(doc) != 1:  # "self-harm" is three tokens: match it as written
        return {word}
    lemma = doc[0].lemma_
    return (
        {word, lemma} | _word_forms().get(word, set()) | _word_forms().get(lemma, set())
    )


def _is_regex(alternative: str) -> bool:
    return "\\" in alternative or "[" in alternative


def _token_spec(
    alternatives: list[str], nlp: spacy.language.Language
) -> dict[str, Any]:
    """One pattern token; every token is matched on its lower-case text."""
    prefixes = [a[:-1] for a in alternatives if a.endswith("*")]
    regexes = [a for a in alternatives if _is_regex(a)]
    forms: set[str] = set()
    for a in alternatives:
        if a.startswith("="):  # this exact form only: "=took" is not "take"
            forms.add(a[1:])
        elif not a.endswith("*") and not _is_regex(a):
            forms |= _inflections(a, nlp)
    if prefixes or regexes:
        parts = [re.escape(p) + ".*" for p in prefixes] + regexes
        parts += [re.escape(w) for w in sorted(forms)]
        return {"LOWER": {"REGEX": "^(" + "|".join(parts) + ")$"}}
    return {"LOWER": {"IN": sorted(forms)}}


def _phrase_patterns(
    phrase: str, nlp: spacy.language.Language, vocab: dict[str, list[str]]
) -> list[list[dict]]:
    """The Matcher patterns of one phrase; "a|b_c" is "a" or the words "b c"."""
    variants: list[list[dict[str, Any]]] = [[]]
    for raw in phrase.split():
        if set(raw) == {"~"}:
            options = [[{"OP": "?"} for _ in raw]]
        else:
            alternatives: list[str] = []
            for alt in raw.split("|"):
                alternatives += vocab[alt[1:]] if alt.startswith("@") else [alt]
            single = [a for a in alternatives if "_" not in a or _is_regex(a)]
            multi = [a for a in alternatives if a not in single]
            options = [[_token_spec(single, nlp)]] if single else []
            options += [[_token_spec([w], nlp) for w in a.split("_")] for a in multi]
        variants = [v + o for v in variants for o in options]
    return variants


@dataclass(frozen=True)
class Alternative:
    """One way a category fires: all of `needs`, none of `unless`; the concepts
    in `same_sentence` must be found in one sentence."""

    needs: tuple[str, ...]
    unless: tuple[str, ...] = ()
    same_sentence: tuple[str, ...] = ()


def _alternative(raw: Any) -> Alternative:
    if isinstance(raw, dict):
        needs = tuple(raw["all"])
        together = raw.get("same_sentence") or ()
        return Alternative(
            needs,
            tuple(raw.get("unless") or ()),
            needs if together is True else tuple(together),
        )
    needs = tuple(c for c in raw if not c.startswith("!"))
    unless = tuple(c[1:] for c in raw if c.startswith("!"))
    return Alternative(needs, unless)


def _regexes(patterns: list[str]) -> re.Pattern | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns))


@dataclass
class _Match:
    concept: str
    start: int
    end: int
    sentence: int
    text: str


class SafetyRules:
    """Compiled concepts, frames and rules; `analyse(text)` says what fires."""

    def __init__(self, path: Path = RULES_FILE) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.nlp = _nlp()
        self.matcher = Matcher(self.nlp.vocab)
        vocab: dict[str, list[str]] = data.get("vocab") or {}
        for concept, phrases in data["concepts"].items():
            patterns = [
                v for p in phrases for v in _phrase_patterns(p, self.nlp, vocab)
            ]
            self.matcher.add(concept, patterns)
        self.subject_concepts: set[str] = set(data.get("about_whom") or [])
        self.context_concepts: set[str] = set(data.get("context_concepts") or [])
        self.not_corroborating: set[str] = set(data.get("not_corroborating") or [])
        frames = data.get("frames") or {}
        self.frame_patterns: dict[str, re.Pattern | None] = {
            name: _regexes(frames.get(name) or [])
            for name in (
                "question",
                "informational",
                "continuation",
                "present_report",
                "history",
                "again",
                "retrospective",
                "resolved",
                "recurred",
                "reported",
                "quote_cue",
                "question_start",
            )
        }
        # Case-blind: the detector reads normalised text, mask_topics the original.
        topics = _regexes(frames.get("topic") or [])
        self.topic_pattern = re.compile(topics.pattern, re.I) if topics else None
        _word_forms.cache_clear()  # only needed to compile the patterns
        self.order: list[str] = data["order"]
        self.framed_categories = set(data.get("framed_categories") or self.order)
        self.rules: dict[str, list[Alternative]] = {
            category: [_alternative(a) for a in alternatives]
            for category, alternatives in data["rules"].items()
        }
        known = set(data["concepts"]) | {
            c + OTHER_SUFFIX for c in self.subject_concepts
        }
        unknown_subjects = self.subject_concepts - set(data["concepts"])
        if unknown_subjects:
            raise ValueError(f"about_whom: unknown concepts {unknown_subjects}")
        for category, alternatives in self.rules.items():
            if category not in self.order:
                raise ValueError(f"{category} has rules but is not in `order`")
            for alternative in alternatives:
                unknown = set(alternative.needs + alternative.unless) - known
                if unknown:
                    raise ValueError(f"{category}: unknown concepts {unknown}")

    # --- structure of the message ---------------------------------------------------
    @staticmethod
    def _sentences(doc: Doc) -> list[tuple[int, int]]:
        bounds, start = [], 0
        for token in doc:
            end_here = (token.is_punct and set(token.text) <= SENTENCE_END) or (
                token.is_space and "\n" in token.text
            )
            if end_here:
                if token.i + 1 > start:
                    bounds.append((start, token.i + 1))
                start = token.i + 1
        if start < len(doc):
            bounds.append((start, len(doc)))
        return bounds

    @staticmethod
    def _clauses(doc: Doc, start: int, end: int) -> list[tuple[int, int]]:
        bounds, begin = [], start
        for i in range(start, end):
            if doc[i].lower_ in CLAUSE_BREAKS and i > begin:
                bounds.append((begin, i))
                begin = i
        bounds.append((begin, end))
        return bounds

    @staticmethod
    def _token_at(doc: Doc, start: int, char: int) -> int:
        """Index of the token of doc[start:] that contains character offset `char`."""
        base = doc[start].idx
        for token in doc[start:]:
            if token.idx - base + len(token.text) > char:
                return token.i
        return len(doc) - 1

    def _find(self, frame: str, text: str) -> re.Match | None:
        pattern = self.frame_patterns.get(frame)
        return pattern.search(text) if pattern else None

    def _is_question(self, text: str) -> bool:
        return "?" in text or bool(self._find("question_start", text))

    def _frame_from(
        self,
        doc: Doc,
        framed: list[set[str]],
        clauses: list[tuple[int, int]],
        cue: int,
        frame: str,
    ) -> None:
        """Frame the clause holding token `cue` and the clauses that go on from it."""
        first = max(n for n, (c_start, _) in enumerate(clauses) if c_start <= cue)
        for n in range(first, len(clauses)):
            c_start, c_end = clauses[n]
            if n > first and not self._find("continuation", doc[c_start:c_end].text):
                break
            for i in range(c_start, c_end):
                framed[i].add(frame)

    def _question_start(
        self, doc: Doc, clauses: list[tuple[int, int]], start: int, char: int
    ) -> int:
        """Where the question holding the cue starts: after a turn such as
        "btw" or "also" ("both legs went numb today, btw how long does pt
        take?" asks only about pt), else at the sentence start."""
        cue = self._token_at(doc, start, char)
        for c_start, _ in reversed(clauses):
            if c_start <= cue and doc[c_start].lower_ in QUESTION_TURNS:
                return c_start
        return start

    def _frame_history(
        self, doc: Doc, framed: list[set[str]], clauses: list[tuple[int, int]]
    ) -> None:
        """A clause about the past, and the clauses after it that say nothing
        about now ("had thoughts of ending my life in 2020, lost my job and ...")."""
        in_history = False
        for c_start, c_end in clauses:
            words = {t.lower_ for t in doc[c_start:c_end]}
            if self._find("history", doc[c_start:c_end].text):
                in_history = True
            elif words & PRESENT_TENSE or doc[c_start].lower_ in HISTORY_BREAKS:
                in_history = False
            if in_history:
                for i in range(c_start, c_end):
                    framed[i].add("history")

    def _dates_the_one_before(self, text: str) -> bool:
        """ "That was 3 years ago", "eso fue hace tres anos": the sentence
        dates the one before it."""
        return bool(self._find("retrospective", text) and self._find("history", text))

    def _frames(self, doc: Doc, sentences: list[tuple[int, int]]) -> list[set[str]]:
        """Per token: the frames (informational, history, reported) covering it."""
        framed: list[set[str]] = [set() for _ in doc]
        previous_framed = False
        previous: tuple[int, int] | None = None
        for start, end in sentences:
            text = doc[start:end].text
            clauses = self._clauses(doc, start, end)
            cue = self._find("question", text) or self._find("informational", text)
            if (
                cue
                and self._is_question(text)
                and not self._find("present_report", text)
            ):
                first = self._question_start(doc, clauses, start, cue.start())
                for i in range(first, end):
                    framed[i].add("informational")
            elif previous_framed and self._find("continuation", text):
                for i in range(start, end):  # "...? like a smell, or confusion"
                    framed[i].add("informational")
            else:
                found = self._find("informational", text)
                if found:
                    at = self._token_at(doc, start, found.start())
                    self._frame_from(doc, framed, clauses, at, "informational")
            previous_framed = "informational" in framed[end - 1]
            if not self._find("again", text):
                self._frame_history(doc, framed, clauses)
                if previous and self._dates_the_one_before(text):
                    for i in range(*previous):  # "...wanted to die. that was 2019."
                        framed[i].add("history")
            previous = (start, end)
            found = self._find("reported", text)
            if found:
                at = self._token_at(doc, start, found.start())
                first = max(s for s, _ in clauses if s <= at)
                first = self._reported_start(doc, first, at)
                for i in range(first, end):
                    framed[i].add("reported")
            self._frame_topics(doc, framed, start, text)
        self._frame_quotes(doc, framed)
        return framed

    def _frame_topics(
        self, doc: Doc, framed: list[set[str]], start: int, text: str
    ) -> None:
        """Suicide named as a topic ("a novel where he dies by suicide"): only
        the words of the topic are framed, so a wish said in the same sentence
        ("the show about suicide made me want to kill myself") still counts."""
        pattern = self.topic_pattern
        for found in pattern.finditer(text) if pattern else ():
            first = self._token_at(doc, start, found.start())
            last = self._token_at(doc, start, found.end() - 1)
            for i in range(first, last + 1):
                framed[i].add("topic")

    @staticmethod
    def _reported_start(doc: Doc, first: int, cue: int) -> int:
        """Where a reported frame starts: at an "and" that brings in a new
        subject before the cue, else at the clause start. "i want to die and my
        doctor says i need more pt" reports only what the doctor says."""
        for i in range(cue - 1, first, -1):
            if doc[i].lower_ in {"and", "y"} and doc[i + 1].lower_ in SUBJECT_STARTERS:
                return i
        return first

    def _frame_quotes(self, doc: Doc, framed: list[set[str]]) -> None:
        """Quoted words from a label, report or professional are not the writer's."""
        marks = [t.i for t in doc if t.text in QUOTES]
        for open_at, close_at in zip(marks[::2], marks[1::2], strict=False):
            before = doc[max(0, open_at - 4) : open_at].text
            cue = "reported" in framed[open_at] or bool(self._find("quote_cue", before))
            if cue and close_at - open_at <= 30:
                for i in range(open_at, close_at + 1):
                    framed[i].add("reported")

    # --- concepts -----------------------------------------------------------------------
    @staticmethod
    def _is_negation(token: Any) -> bool:
        return token.lemma_ in NEGATION_CUES or token.lower_ in {"n't", "nt"}

    def _negated(self, doc: Doc, start: int, part_of_a_sign: set[int]) -> bool:
        """Is a negation cue shortly before `start`, within the same clause?

        A cue inside a sign ("no strength in my right arm", "no feeling in
        my legs") states that sign; it does not deny what follows."""
        for i in range(start - 1, max(-1, start - 1 - NEGATION_WINDOW), -1):
            token = doc[i]
            if token.lower_ in SCOPE_BREAKERS or token.text in {".", ";", "!", "?"}:
                return False
            # the match's own first word may start the new clause: "ya no aguanto, me voy a..."
            if token.text == "," and _new_clause(doc[i + 1 : start + 1]):
                return False
            if self._is_negation(token) and i not in part_of_a_sign:
                if {t.lower_ for t in doc[i + 1 : i + 4]} & INSISTING:
                    return False
                return not (i > 0 and doc[i - 1].lower_ in INABILITY)
        return False

    @staticmethod
    def _about_someone_else(doc: Doc, start: int, end: int, s_start: int) -> bool:
        """Is this crisis concept about someone other than the writer?"""
        words = {t.lower_ for t in doc[start:end]}
        if words & REFLEXIVE_SELF:
            return False
        if words & REFLEXIVE_OTHER:
            return True
        if words & FIRST_PERSON:
            return False
        if words & THIRD_PERSON_IN_MATCH:  # not "they"/"it": "till they bleed"
            return True
        for i in range(start - 1, s_start - 1, -1):
            word = doc[i].lower_
            if word in FIRST_PERSON:
                return False
            if word in THIRD_PERSON or word in RELATIONS:
                return True
            if word in SPEECH_VERBS:
                before = {t.lower_ for t in doc[max(s_start, i - 2) : i]}
                return not (before & {"i", "we"})
        return False

    def _matches(self, doc: Doc, sentences: list[tuple[int, int]]) -> list[_Match]:
        sentence_of = [0] * len(doc)
        for n, (start, end) in enumerate(sentences):
            for i in range(start, end):
                sentence_of[i] = n
        found = []
        for match_id, start, end in self.matcher(doc):
            concept = self.nlp.vocab.strings[match_id]
            n = sentence_of[start]
            if concept in self.subject_concepts and self._about_someone_else(
                doc, start, end, sentences[n][0]
            ):
                concept += OTHER_SUFFIX
            found.append(_Match(concept, start, end, n, doc[start:end].text))
        return found

    # --- rules ------------------------------------------------------------------------------
    def _fire(self, matches: list[_Match]) -> list[Finding]:
        by_concept: dict[str, list[_Match]] = defaultdict(list)
        for m in matches:
            by_concept[m.concept].append(m)
        findings = []
        for category in self.order:
            for alt in self.rules.get(category, []):
                if not all(c in by_concept for c in alt.needs):
                    continue
                picked = {c: by_concept[c][0] for c in alt.needs}
                if not alt.same_sentence:
                    if any(c in by_concept for c in alt.unless):
                        continue
                else:
                    common = set.intersection(
                        *(
                            {m.sentence for m in by_concept[c]}
                            for c in alt.same_sentence
                        )
                    )
                    common -= {m.sentence for c in alt.unless for m in by_concept[c]}
                    if not common:
                        continue
                    n = min(common)
                    for c in alt.same_sentence:
                        picked[c] = next(m for m in by_concept[c] if m.sentence == n)
                evidence = tuple(picked[c].text for c in alt.needs)
                findings.append(Finding(category, alt.needs, evidence))
                break
        return findings

    def _excused(self, matches: list[_Match], fired: set[str]) -> set[str]:
        """Categories one of whose rules had all its words but was excused."""
        found = {m.concept for m in matches}
        return {
            category
            for category in self.order
            if category not in fired
            for alt in self.rules.get(category, [])
            if alt.unless
            and all(c in found for c in alt.needs)
            and any(c in found for c in alt.unless)
        }

    def stated_apart(self, text: str, evidence: str) -> bool:
        """Is `evidence` said in a statement, apart from the message's
        questions? ("my face is droopy on that side, anyway does tens help?")"""
        text = _normalise(text)
        for sentence in re.findall(r"[^.!?\n]+[.!?]*", text):
            turn = STATEMENT_TURN.search(sentence)
            parts = (
                [sentence[: turn.start()], sentence[turn.end() :]]
                if turn
                else [sentence]
            )
            for part in parts:
                asked = "?" in part or bool(self._find("question_start", part))
                if not asked and re.search(rf"\b{re.escape(evidence)}\b", part):
                    return True
        return False

    def analyse(self, text: str) -> Analysis:
        text = _normalise(text)
        doc = self.nlp(text)
        sentences = self._sentences(doc)
        framed = self._frames(doc, sentences)
        present, denied, vetoed = [], [], []
        matches = self._matches(doc, sentences)
        part_of_a_sign = {
            i
            for m in matches
            for i in range(m.start, m.end)
            if self._is_negation(doc[i])
        }
        for m in matches:
            if self._negated(doc, m.start, part_of_a_sign):
                denied.append(m)
            elif framed[m.start]:
                vetoed.append(m)
            else:
                present.append(m)
        findings = self._fire(present)
        unframed = [
            f
            for f in self._fire(present + vetoed)
            if f.category not in self.framed_categories
        ]
        findings += [
            f for f in unframed if f.category not in {g.category for g in findings}
        ]
        findings.sort(key=lambda f: self.order.index(f.category))
        hint = None
        if vetoed and not any(f.category in self.framed_categories for f in findings):
            would_be = [
                f
                for f in self._fire(present + vetoed)
                if f.category in self.framed_categories
            ]
            hint = would_be[0].category if would_be else None

        def grouped(ms: list[_Match]) -> dict[str, list[str]]:
            out: dict[str, list[str]] = defaultdict(list)
            for m in ms:
                out[m.concept].append(m.text)
            return dict(out)

        denied = [m for m in denied if m.concept not in self.context_concepts]
        return Analysis(
            findings=findings,
            present=grouped(present),
            denied=grouped(denied),
            framed=grouped(vetoed),
            frames=set().union(*framed) if framed else set(),
            hint=hint,
            question=self._is_question(text),
            corroborated=any(m.concept not in self.not_corroborating for m in present),
            subject_only=_names_subject_only(findings, text),
            resolved=bool(self._find("resolved", text))
            and not self._find("recurred", text),
            excused=self._excused(present, {f.category for f in findings}),
        )

    # The former API, kept for tools and tests.
    def concepts(self, text: str, negated: bool = False) -> dict[str, list[str]]:
        analysis = self.analyse(text)
        return analysis.denied if negated else analysis.present

    def denies_something(self, text: str) -> bool:
        """Does the message deny a warning sign ("no chest pain")?"""
        return bool(self.analyse(text).denied)

    def detect(self, text: str) -> list[Finding]:
        return self.analyse(text).findings


@lru_cache(maxsize=1)
def default_rules() -> SafetyRules:
    return SafetyRules()


def mask_topics(text: str, replacement: str) -> str:
    """`text` with each stretch that names suicide as a topic (frames: topic in
    safety/rules.yml: "a podcast about suicide", "the nurse asked if i had
    thoughts of suicide") replaced, for the second net: it reads the rest."""
    pattern = default_rules().topic_pattern
    return pattern.sub(replacement, text) if pattern else text


def classify(text: str) -> str | None:
    """The safety category of a message, or None."""
    return default_rules().analyse(text).category
