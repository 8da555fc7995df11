"""Group the unanswered questions by similarity.

Each distinct wording becomes a TF-IDF vector (character 3-5-grams within
words, robust to typos, plus words and word pairs) of what it is about: its
words without stop words and the words every question here has ("nerve",
"pain", "therapy"...); the
wordings are taken most frequent first, and each one not yet in a group starts
a group that takes every ungrouped wording at least `threshold` cosine-similar
to it (greedy "leader" clustering: a group is its most frequent wording and the
wordings close to it). Deterministic: the order is (count, text), so the same
data gives the same groups on SQLite and PostgreSQL.

Privacy: a group asked by fewer than `min_size` different people (sender IDs:
one patient sending the same message five times is one person) is shown as a
count only; in the text shown for a larger group, a word used by fewer than
`min_size` of those people is replaced by "…", so a name or a detail one
patient typed doesn't reach the report even when the question around it is
common. Stop words ("how", "the"...) and the domain's common words ("nerve",
"therapist"...) are never masked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from reporting.analyze import GapText

THRESHOLD = 0.35
BLOCK = 256
# Wordings beyond this many (the rarest) each stay a group of their own.
MAX_WORDINGS = 30000
WORD = re.compile(r"\w+")
# Words nearly every question to this assistant has, or that say nothing of
# what was asked: left out when comparing (not when showing).
DOMAIN_WORDS = frozenset(
    {
        "neuropathy", "neuropathic", "nerve", "nerves", "pain", "painful",
        "physical", "therapy", "therapist", "therapists", "pt", "physio",
        "physiotherapy", "help", "helps", "good", "work", "works", "best", "really",
        "does", "did", "doing", "s", "t", "d", "ll", "m", "re", "ve", "im", "ive",
        "dont", "cant", "like", "just", "know", "want", "get", "use",
    }
)  # fmt: skip
PLACEHOLDER = re.compile(r"\[[A-Z]+\]")
MASK = "…"


@dataclass
class Group:
    count: int
    not_sure: int
    out_of_scope: int
    leader: str
    members: list[str] = field(default_factory=list)
    topic: str | None = None
    topic_confidence: float = 0.0
    people: set[int] = field(default_factory=set)
    words: dict[str, set[int]] = field(default_factory=dict)

    @property
    def wordings(self) -> int:
        return len(self.members)

    @property
    def askers(self) -> int:
        """How many different people (sender IDs) asked."""
        return len(self.people)

    def shown_text(self, min_size: int) -> str | None:
        """The leader wording with rare words masked; None below min_size people."""
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        if self.askers < min_size:
            return None
        shown = []
        for token in self.leader.split():
            if PLACEHOLDER.fullmatch(token):
                shown.append(token)
                continue
            words = WORD.findall(token.lower())
            if words and any(
                len(self.words.get(w, ())) < min_size
                for w in words
                if w not in ENGLISH_STOP_WORDS and w not in DOMAIN_WORDS
            ):
                token = MASK
            if not (token == MASK and shown and shown[-1] == MASK):
                shown.append(token)
        return " ".join(shown)


def core(text: str) -> str:
    """What a question is about: without stop words and this domain's common words."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = [
        w
        for w in WORD.findall(text.lower())
        if w not in ENGLISH_STOP_WORDS and w not in DOMAIN_WORDS
    ]
    return " ".join(words) or text


def _vectors(texts: Sequence[str]):
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    texts = [core(t) for t in texts]
    parts = []
    vectorizers = (
        TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, dtype=np.float32
        ),
        TfidfVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            token_pattern=r"(?u)\b\w+\b",
            sublinear_tf=True,
            dtype=np.float32,
        ),
    )
    for vectorizer in vectorizers:
        try:
            parts.append(vectorizer.fit_transform(texts))
        except ValueError:  # empty vocabulary: only stop words, or too short
            continue
    if not parts:
        return None
    matrix = sparse.hstack(parts, format="csr", dtype=np.float32)
    return normalize(matrix, copy=False)


def _leaders(texts: Sequence[str], threshold: float) -> np.ndarray:
    """Group index of each text (texts sorted most frequent first)."""
    n = len(texts)
    assigned = np.full(n, -1, dtype=np.int64)
    matrix = _vectors(texts)
    if matrix is None:
        return np.arange(n)
    transposed = matrix.T.tocsr()
    groups = 0
    cursor = 0
    while cursor < n:
        block: list[int] = []
        while cursor < n and len(block) < BLOCK:
            if assigned[cursor] < 0:
                block.append(cursor)
            cursor += 1
        if not block:
            break
        similarity = (matrix[block] @ transposed).toarray()
        for row, index in enumerate(block):
            if assigned[index] >= 0:
                continue
            close = np.flatnonzero((similarity[row] >= threshold) & (assigned < 0))
            assigned[close] = groups
            assigned[index] = groups
            groups += 1
    return assigned


def group_questions(
    texts: Mapping[str, GapText],
    threshold: float = THRESHOLD,
    max_wordings: int = MAX_WORDINGS,
) -> list[Group]:
    """Groups of similar questions, largest first (ties: by leader text)."""
    ordered: list[tuple[str, GapText]] = sorted(
        texts.items(), key=lambda item: (-item[1].count, item[0])
    )
    clustered = ordered[:max_wordings]
    labels = (
        _leaders([text for text, _ in clustered], threshold)
        if clustered
        else np.array([], dtype=np.int64)
    )
    groups: dict[int, Group] = {}
    topic_sums: dict[int, dict[str, float]] = {}
    next_label = int(labels.max()) + 1 if len(labels) else 0
    for position, (text, gap) in enumerate(ordered):
        if position < len(labels):
            label = int(labels[position])
        else:
            label, next_label = next_label, next_label + 1
        group = groups.get(label)
        if group is None:  # the first (most frequent) wording leads the group
            group = groups[label] = Group(0, 0, 0, leader=text)
            topic_sums[label] = {}
        group.count += gap.count
        group.not_sure += gap.not_sure
        group.out_of_scope += gap.out_of_scope
        group.members.append(text)
        group.people |= gap.people
        for word in set(WORD.findall(text.lower())):
            group.words.setdefault(word, set()).update(gap.people)
        sums = topic_sums[label]
        for topic, confidence in gap.topics.items():
            sums[topic] = sums.get(topic, 0.0) + confidence
    for label, group in groups.items():
        sums = topic_sums[label]
        if sums:
            best = min(sums, key=lambda t: (-round(sums[t], 6), t))
            group.topic = best
            group.topic_confidence = sums[best] / group.count
    return sorted(groups.values(), key=lambda g: (-g.count, g.leader))
