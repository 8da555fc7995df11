"""Text helpers for the messaging channels (no Rasa imports, so they test fast).

- plain_text / slack_mrkdwn: markdown degrades to what the channel shows
- split_message: a long reply becomes several messages, cut at sentence or line
  ends, none longer than the channel's limit, nothing lost (message_parts also
  starts a new message at each blank line, as Rasa's connectors do)
- options_prompt / with_options: buttons become numbered options on text-only
  channels ("Reply 1 to book a visit, 2 to ask another question."); link
  buttons (call, text, web: channels/links.py) are written out, never numbered
- chosen_option: which option a reply such as "1", "#2" or "book a visit" picks
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from channels.links import is_link, link_as_text, links

# Longest message each provider accepts (characters).
SMS_LIMIT = 1600  # Twilio SMS body
WHATSAPP_LIMIT = 4096  # WhatsApp through Twilio
MESSENGER_LIMIT = 2000  # Messenger text message
MESSENGER_BUTTONS_TEXT_LIMIT = 640  # Messenger button template text
TELEGRAM_LIMIT = 4096  # Telegram sendMessage text
SLACK_LIMIT = 3000  # Slack section block text

# --- markdown ------------------------------------------------------------------
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", re.DOTALL)
_ITALIC_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC_UNDERSCORE = re.compile(r"(?<![\w_])_(?=[^\s_])([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_CODE = re.compile(r"`+([^`\n]+?)`+")
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.*?)[ \t#]*$", re.MULTILINE)
_STAR_BULLET = re.compile(r"^([ \t]*)[*+][ \t]+", re.MULTILINE)
_QUOTE = re.compile(r"^[ \t]*>[ \t]?", re.MULTILINE)
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n{3,}")


def _link_as_text(match: re.Match[str]) -> str:
    label, url = match.group(1), match.group(2)
    return url if label.strip() == url else f"{label} ({url})"


def _tidy(text: str) -> str:
    text = _TRAILING_SPACE.sub("", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def plain_text(text: str | None) -> str:
    """Markdown to plain text for SMS, WhatsApp, Messenger and Telegram.

    Emphasis markers, headings, code ticks and quotes are dropped, links become
    "label (url)", "* item" bullets become "- item" lines. Text without markdown
    comes back unchanged apart from trailing spaces and runs of blank lines.
    """
    text = text or ""
    text = _CODE.sub(r"\1", text)
    text = _LINK.sub(_link_as_text, text)
    text = _HEADING.sub(r"\1", text)
    text = _QUOTE.sub("", text)
    text = _STAR_BULLET.sub(r"\1- ", text)
    text = _BOLD.sub(r"\2", text)
    text = _ITALIC_STAR.sub(r"\1", text)
    text = _ITALIC_UNDERSCORE.sub(r"\1", text)
    text = _STRIKE.sub(r"\1", text)
    text = text.replace("**", "")  # an unmatched bold marker
    return _tidy(text)


def slack_mrkdwn(text: str | None) -> str:
    """Markdown to Slack's mrkdwn: *bold*, _italic_, <url|label>, escaped &<>."""
    text = (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", text)
    text = _STAR_BULLET.sub(r"\1- ", text)
    text = _ITALIC_STAR.sub(r"_\1_", text)
    text = _HEADING.sub(r"*\1*", text)
    text = _BOLD.sub(r"*\2*", text)
    text = _STRIKE.sub(r"~\1~", text)
    return _tidy(text)


# --- splitting -------------------------------------------------------------------
# A break after a sentence end (optionally closed by a quote or bracket), or a
# line break. The separator is kept inside a message and dropped at a cut.
_BREAK = re.compile(r"[ \t]*\n+[ \t]*|(?:(?<=[.!?])|(?<=[.!?][\"')\]\u201d]))[ \t]+")


def _units(text: str) -> list[tuple]:
    """(separator before, piece) for each sentence or line of text."""
    units, start, separator = [], 0, ""
    for match in _BREAK.finditer(text):
        if match.start() > start:
            units.append((separator, text[start : match.start()]))
            separator = match.group()
        elif units:  # two breaks in a row: keep the longer separator
            separator = max(separator, match.group(), key=lambda s: ("\n" in s, len(s)))
        start = match.end()
    if start < len(text):
        units.append((separator, text[start:]))
    return units


def _fit(piece: str, limit: int) -> list[str]:
    """A piece cut at spaces (or, for an over-long word, anywhere) to fit limit."""
    if len(piece) <= limit:
        return [piece]
    parts: list[str] = []
    current = ""
    for word in piece.split():
        while len(word) > limit:  # e.g. a very long URL
            if current:
                parts.append(current)
                current = ""
            parts.append(word[:limit])
            word = word[limit:]
        if current and len(current) + 1 + len(word) <= limit:
            current += " " + word
        else:
            if current:
                parts.append(current)
            current = word
    if current:
        parts.append(current)
    return parts


def split_message(text: str | None, limit: int) -> list[str]:
    """Cut text into messages of at most `limit` characters.

    Cuts fall between sentences or lines where possible (then between words,
    and only an over-long word is cut inside). Messages are filled greedily, so
    text that fits comes back as one message. Nothing is lost: the messages
    hold every non-space character of text, in order.
    """
    if limit < 1:
        raise ValueError(f"limit must be positive, got {limit}")
    text = (text or "").strip()
    if len(text) <= limit:
        return [text] if text else []
    messages: list[str] = []
    current = ""
    for separator, piece in _units(text):
        for index, part in enumerate(_fit(piece, limit)):
            joiner = separator if index == 0 else " "
            if current and len(current) + len(joiner) + len(part) <= limit:
                current += joiner + part
            else:
                if current:
                    messages.append(current)
                current = part
    if current:
        messages.append(current)
    return [m.strip() for m in messages if m.strip()]


_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


def message_parts(text: str | None, limit: int) -> list[str]:
    """The messages a reply becomes on a channel.

    As in every Rasa connector, a blank line starts a new message; each of those
    is then cut to the limit with split_message.
    """
    paragraphs = _PARAGRAPH_BREAK.split((text or "").strip())
    return [part for p in paragraphs for part in split_message(p, limit)]


# --- numbered options ---------------------------------------------------------------
# Titles starting with one of these read as "Reply 1 to <title>".
_ACTION_VERBS = frozenset(
    [
        "ask",
        "book",
        "call",
        "cancel",
        "change",
        "check",
        "contact",
        "email",
        "find",
        "get",
        "go",
        "hear",
        "learn",
        "read",
        "reschedule",
        "see",
        "send",
        "show",
        "speak",
        "start",
        "stop",
        "talk",
        "tell",
        "try",
        "visit",
    ]
)
# Spanish titles of the assistant's own buttons start with one of these
# ("Pedir una cita", "Hacer otra pregunta").
_ACCIONES = frozenset(
    [
        "buscar",
        "cambiar",
        "cancelar",
        "consultar",
        "empezar",
        "enviar",
        "escribir",
        "hablar",
        "hacer",
        "leer",
        "llamar",
        "pedir",
        "preguntar",
        "reservar",
        "ver",
        "volver",
    ]
)
_SPANISH_LETTERS = re.compile(r"[áéíóúñ¿¡]", re.IGNORECASE)
_NUMBER_WORDS = {
    w: n
    for words in (
        ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"],
        ["uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"],
    )
    for n, w in enumerate(words, start=1)
}
_NUMBER_WORDS["una"] = 1
_CHOICE = re.compile(
    r"(?:option|number|no|choice|reply|opcion|numero)?\s*(\d{1,2}|\w+)"
)


def is_choice(button: Mapping[str, Any]) -> bool:
    """A button that sends its payload back: a title, a payload and no url.

    Link buttons (with a url: call, text, web) are never choices, even with a
    payload, so a number or title can never send a link's payload to Rasa.
    """
    return bool(button.get("title") and button.get("payload")) and not is_link(button)


def selectable(buttons: Sequence[Mapping[str, Any]] | None) -> list[dict]:
    """The buttons a reply can choose (see is_choice)."""
    return [dict(b) for b in buttons or [] if is_choice(b)]


def _reads_as_action(title: str, verbs: frozenset = _ACTION_VERBS) -> bool:
    words = title.split()
    return bool(words) and words[0].lower() in verbs and title[-1] not in "?!"


def in_spanish(titles: Sequence[str]) -> bool:
    """Are these the Spanish variation's buttons? (Spanish letters or verbs.)"""
    return any(
        _SPANISH_LETTERS.search(t) or _reads_as_action(t, _ACCIONES) for t in titles
    )


def _lower_first(title: str) -> str:
    first, _, rest = title.partition(" ")
    if not first.isupper():  # keep acronyms such as "PT"
        first = first[:1].lower() + first[1:]
    return f"{first} {rest}".strip()


def options_prompt(titles: Sequence[str]) -> str:
    """How numbered options read on a text-only channel.

    Action titles make one line: "Reply 1 to book a visit, 2 to ask another
    question." Other titles (questions, topics) make a numbered list. Spanish
    buttons get a Spanish prompt ("Responda 1 para pedir una cita, ...").
    """
    titles = [plain_text(t) for t in titles]
    if not titles:
        return ""
    spanish = in_spanish(titles)
    verbs, to = (_ACCIONES, "para") if spanish else (_ACTION_VERBS, "to")
    if all(_reads_as_action(t, verbs) for t in titles):
        choices = ", ".join(
            f"{n} {to} {_lower_first(t.rstrip('.'))}" for n, t in enumerate(titles, 1)
        )
        return f"Responda {choices}." if spanish else f"Reply {choices}."
    lines = [f"{n}. {t}" for n, t in enumerate(titles, 1)]
    heading = "Responda con un número:" if spanish else "Reply with a number:"
    return heading + "\n" + "\n".join(lines)


def with_options(text: str | None, buttons: Sequence[Mapping[str, Any]]) -> str:
    """A message and its buttons as text: the links, then the numbered options.

    Links cannot be chosen by number: they are written out under the text
    ("Call 911", "Text 988", "Our site: https://...", see channels/links.py);
    the options prompt comes last ("Reply 1 to book a visit, ...").
    """
    choices = selectable(buttons)
    lines = [(text or "").strip()]
    lines += [link_as_text(b) for b in links(buttons)]
    if choices:
        lines.append(options_prompt([b["title"] for b in choices]))
    return "\n".join(line for line in lines if line)


def _normalise(text: str) -> str:
    """Lower case, accents and punctuation dropped ("Más información" = "mas informacion")."""
    text = unicodedata.normalize("NFKD", plain_text(text).lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    words = re.sub(r"[^\w]+", " ", text.replace("_", " "))
    return " ".join(words.split())


def chosen_option(reply: str | None, titles: Sequence[str]) -> int | None:
    """Index of the option a reply picks, or None if it picks none.

    A reply picks an option by its number ("1", "1.", "#1", "option 1", "one")
    or by its whole title, in any case and punctuation ("book a visit").
    Anything else (a new question, a number out of range) picks none.
    """
    said = _normalise(reply or "")
    if not said or not titles:
        return None
    match = _CHOICE.fullmatch(said)
    if match:
        token = match.group(1)
        number = int(token) if token.isdigit() else _NUMBER_WORDS.get(token)
        if number is not None:
            return number - 1 if 1 <= number <= len(titles) else None
    for index, title in enumerate(titles):
        if _normalise(title) == said:
            return index
    return None
