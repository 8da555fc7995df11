"""Follow-up questions: "where do the pads go?" after "what is TENS?".

Patients don't restate the topic. A follow-up makes sense only with the earlier
turn, so parsed alone it looks unclear or off-topic. This is the one decision
"is this a follow-up on the topic we are on?", shared by the FAQ actions
(actions/faq.py) and the evaluation (scripts/evaluate_sets.py), so what is
measured is what patients get. Plain Python on a parse result, like
clinic/confidence.py.

A brief question on "it" ("is it like stretching?", "will it help my balance
too?", "can i do it at home") stays on the earlier topic even when it names
another one: "it" is the earlier topic, the other one is what it is compared with.

A message is a follow-up when there is a topic in the conversation
(`last_faq_topic`, set by every answer, cleared with the session) and it is
short and leans on the earlier turn: a pronoun ("does it hurt?"), an opening such
as "what about", "how long", "is it safe", "and for my hands", or a bare short
question; Spanish cues too ("¿eso duele?", "y caminar rapido?"), read without
accents or opening marks. It is answered on that topic unless:
- it is an alarm, a greeting, booking...: only faq, not-sure and out-of-scope
  messages are considered (safety comes first, every turn);
- it stands on its own: the classifier is sure of another topic, or the
  relevance gate is sure it is about nerve pain or PT and it has no pointer (a
  new question restates its subject: "how do doctors test for neuropathy?"), and
  it does not lean back with a pronoun or a few words on an earlier topic that
  is a close contender;
- it is clearly about something else: the relevance gate (components/scope.py)
  gives it almost no chance of being about nerve pain or PT.

A brief message whose own topic ranking puts the earlier topic first ("is a
stationary bike ok" after aerobic exercise, "what r chair squats" after
strengthening) continues it even when it does not look like a follow-up and the
intent classifier called it out of scope, unless the gate finds it far from
nerve pain or PT ("what causes warts" after the causes of nerve pain).

A follow-up-looking message that is not confident enough to be answered alone
but whose own ranking is sure of another topic (SWITCH_TOPIC) gets that topic:
"how much should it hurt?" after strengthening is a new question in few words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from clinic.confidence import FaqDecision, combined_ranking

CONSIDERED_INTENTS = {"faq", "nlu_fallback", "out_of_scope"}
MAX_WORDS = 14
# Words that point back to the earlier turn.
POINTERS = {
    "it", "its", "that", "this", "those", "these", "they", "them", "their",
    "one", "ones", "there", "same", "he", "she", "her", "him",
    # Spanish ("¿eso duele?", "¿y ahí dónde va?")
    "eso", "esto", "ese", "esa", "esos", "esas", "estos", "estas", "ahi", "alli",
    "mismo", "misma", "ellos", "ellas",
}  # fmt: skip
# An infinitive with a pronoun on it points back too: "hacerlo", "usarla".
ENCLITIC = re.compile(r"^[a-z]+(?:ar|er|ir)(?:lo|la|los|las)$")
OPENINGS = re.compile(
    r"^(?:and|also|so|but|ok(?:ay)?|then|what about|how about|what if|"
    r"how (?:long|often|many|much|far|soon|fast|quickly|do|does|should|can|will)|"
    r"is (?:it|that|this|there)|are (?:they|there|those)|does (?:it|that|this)|"
    r"do (?:they|i|you)|will (?:it|that|i)|can (?:i|it|you)|should (?:i|it)|"
    r"could (?:i|it)|would (?:it|that)|where|when|why|which|even|any|for|with|"
    r"without|at home|every|what (?:should|else|other|kind|kinds|type|types|do|does|"
    r"can|could|would|if)|how|"
    # Spanish, accents stripped
    r"y|tambien|entonces|pero|oye|que tal|y si|que pasa si|cuanto|cuantos|cuantas|"
    r"cada cuanto|hasta cuando|por cuanto|como|donde|cuando|por que|para que|"
    r"cual|cuales|es seguro|se puede|puedo|debo|tengo que|hay que|sirve|funciona|"
    r"duele|con|sin|en casa|para)\b",
    re.IGNORECASE,
)
WORDS = re.compile(r"[a-z']+")
OPENING_MARKS = "¿¡ "
# A question this short leans on the earlier turn even without a pointer.
BRIEF_QUESTION = 7
# Below this relevance (components/scope.py) a message is about something else.
MIN_RELEVANCE = 0.02
# A pointing (or brief) message keeps the earlier topic over a confident other
# one if the earlier is among the LIKELY first and scores at least CLOSE times
# the other's score. Tuned on the dev half of tests/eval/followups_*.
LIKELY = 5
CLOSE = 0.03
BRIEF = 7
# Another topic this sure, or a message this surely about nerve pain or PT
# (components/scope.py), stands on its own; below both, a follow-up-looking
# message stays on the earlier topic. Tuned on the dev half (docs/evaluation.md).
SURE_OTHER = 0.7
SELF_CONTAINED = 0.95
# A brief message (BRIEF words at most) continues the earlier topic when that
# topic leads its own ranking at ON_TOPIC or more and the gate gives it at least
# ON_TOPIC_RELEVANCE. Tuned on the dev halves of tests/eval/followups_* and the
# out-of-scope dev messages (docs/evaluation.md).
ON_TOPIC = 0.5
ON_TOPIC_RELEVANCE = 0.2
# A follow-up-looking message whose own ranking is this sure of another topic
# is about that topic (dev halves of tests/eval/followups_*, docs/evaluation.md).
SWITCH_TOPIC = 0.9
# Words that announce a change of subject.
NEW_SUBJECT = re.compile(
    r"\b(?:unrelated|random (?:q|question)|off[- ]topic|different (?:q|question)|"
    r"another (?:q|question)|new question|changing the subject|totally separate|"
    r"separate (?:q|question)|switching gears)\b",
    re.IGNORECASE,
)


def plain(text: str) -> str:
    """Lower case without accents or opening marks: "¿Qué tal?" -> "que tal?"."""
    decomposed = unicodedata.normalize("NFKD", (text or "").lower())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.replace("’", "'").strip().lstrip(OPENING_MARKS)


def words_of(text: str) -> list:
    return WORDS.findall(plain(text))


def points_back(text: str) -> bool:
    return any(w.split("'")[0] in POINTERS or ENCLITIC.match(w) for w in words_of(text))


ABOUT_IT = re.compile(
    r"^(?:and |so |but |ok |okay )?(?:is|does|will|would|can|could|should|do|are|was) "
    r"(?:it|that|this|they|those|these)\b|"
    r"^(?:and |so |but |ok |okay )?(?:can|should|could|do|may|would) (?:i|we|you) "
    r"(?:do|use|try|wear|start|keep|stop|combine) (?:it|that|this|them|those|these)\b|"
    r"^(?:y |pero |entonces )?(?:eso|esto|lo|la|los|las) "
    r"(?:es|son|sirve|sirven|funciona|duele|ayuda|puedo|puede|se puede|hago|uso)\b",
    re.IGNORECASE,
)


def asks_about_it(text: str) -> bool:
    """A question on "it": "is it like stretching?", "¿eso duele?"."""
    return bool(ABOUT_IT.match(plain(text)))


def looks_like_followup(text: str) -> bool:
    words = words_of(text)
    if not words or len(words) > MAX_WORDS:
        return False
    stripped = plain(text)
    return (
        points_back(text)
        or bool(OPENINGS.match(stripped))
        or (stripped.endswith("?") and len(words) <= BRIEF_QUESTION)
    )


def continues_topic(
    parse: Mapping[str, Any], decision: FaqDecision, previous: str
) -> bool:
    """The message is brief, near enough to the scope, and about the earlier topic."""
    if len(words_of(parse.get("text") or "")) > BRIEF:
        return False
    if (decision.relevance or 0.0) < ON_TOPIC_RELEVANCE:
        return False
    ranking = decision.ranking or combined_ranking(parse)
    return bool(ranking) and ranking[0][0] == previous and ranking[0][1] >= ON_TOPIC


def followup_topic(
    parse: Mapping[str, Any],
    decision: FaqDecision,
    previous: str | None,
) -> str | None:
    """The topic to answer in context: the earlier one if this message is a
    follow-up on it, another one its own ranking is sure of, else None."""
    if not previous:
        return None
    intent = (parse.get("intent") or {}).get("name")
    if intent not in CONSIDERED_INTENTS:
        return None
    text = parse.get("text") or ""
    if NEW_SUBJECT.search(text):
        return None
    if continues_topic(parse, decision, previous):
        return previous
    if not looks_like_followup(text):
        return None
    relevance = decision.relevance
    if relevance is not None and relevance < MIN_RELEVANCE:
        return None
    brief = len(words_of(text)) <= BRIEF
    pointing = points_back(text)
    # A longer message that does not point back, and that the gate finds far
    # from nerve pain or PT, is a new subject: "oye y como va a estar el clima
    # mañana", "ok also whats the score of the game".
    long_unpointed = not brief and not pointing
    if long_unpointed and relevance is not None and relevance < ON_TOPIC_RELEVANCE:
        return None
    if brief and asks_about_it(text):
        return previous
    if decision.topic and decision.topic != previous:
        # Another topic is answered when the message stands on its own (the
        # classifier is sure of that topic, or the gate is sure the message is
        # about nerve pain or PT: a new question restates its subject) and does
        # not lean back on the earlier topic (a pointer or a few words, with the
        # earlier topic a close contender).
        top = dict(decision.ranking).get(decision.topic, 0.0)
        # A message that points back ("will pt help with that?") stands alone
        # only when the classifier is sure: the gate's relevance says it is
        # about nerve pain or PT, not that it leaves the earlier topic.
        sure_of_subject = (relevance or 0.0) >= SELF_CONTAINED and not pointing
        stands_alone = top >= SURE_OTHER or sure_of_subject
        scores = dict(decision.ranking[:LIKELY])
        close = scores.get(previous, 0.0) >= CLOSE * scores.get(decision.topic, 1.0)
        if stands_alone and not ((pointing or brief) and close):
            return None
    if decision.topic is None and decision.ranking:
        # Not confident enough to answer alone, yet sure of another topic: a
        # new question in few words ("how much should it hurt?" after
        # strengthening), not a follow-up.
        leader, score = decision.ranking[0]
        if leader != previous and score >= SWITCH_TOPIC:
            return leader
    return previous
