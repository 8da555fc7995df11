"""Link buttons: call, text and web links that a reply offers (no Rasa imports).

The urgent replies (domain.yml: utter_urgent_care, utter_overdose, the crisis
replies and the urgent safety hints) carry buttons such as
``{"title": "Call 911", "url": "tel:911"}``: a `url` and no `payload`. They are
defined once, in the domain, and each channel renders them its own way:

- the widget: link buttons (an alert, widget/widget.js);
- Slack: URL buttons; Telegram: URL buttons for web links, while calls and texts
  are written out, because Telegram accepts only http(s) and tg:// button URLs;
- Messenger: call buttons (`phone_number`) for tel:, URL buttons for web links,
  texts written out;
- SMS and WhatsApp: written out ("Call 911", "Text 988"), which phones make
  tappable.

A link is never a choice: it has no payload to send back to Rasa, it is never a
numbered option, and a button with a `url` is a link even if it also has a
payload (the payload is ignored).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

CALL, TEXT, WEB = "call", "text", "web"
_DIAL = re.compile(r"(tel|sms):(\+?[0-9]{2,15})", re.IGNORECASE)
_WEB = re.compile(r"https?://\S+", re.IGNORECASE)
_VERB = {CALL: "Call", TEXT: "Text"}


def is_link(button: Mapping[str, Any]) -> bool:
    """Whether a button is a link (it has a url), whatever else it has."""
    return bool(button.get("url"))


def link_kind(button: Mapping[str, Any]) -> str | None:
    """CALL (tel:), TEXT (sms:), WEB (http/https), or None for anything else.

    tel: and sms: links must hold the dialable form: digits, a leading + allowed.
    """
    url = str(button.get("url") or "").strip()
    dial = _DIAL.fullmatch(url)
    if dial:
        return CALL if dial.group(1).lower() == "tel" else TEXT
    if _WEB.fullmatch(url):
        return WEB
    return None


def dial_number(button: Mapping[str, Any]) -> str:
    """The number of a tel: or sms: link ("" for other links)."""
    dial = _DIAL.fullmatch(str(button.get("url") or "").strip())
    return dial.group(2) if dial else ""


def links(buttons: Sequence[Mapping[str, Any]] | None) -> list[dict]:
    """The usable link buttons, in order (unknown schemes such as javascript: dropped)."""
    return [dict(b) for b in buttons or [] if is_link(b) and link_kind(b)]


def _digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", text)


def link_as_text(button: Mapping[str, Any]) -> str:
    """A link written out for a channel that cannot show it as a button.

    Calls and texts read "Call 911" / "Text 988" (phones make the number
    tappable); when the title does not hold the number, it is added:
    "Call Poison Control: 18002221222". Web links read "Title: https://...".
    """
    kind = link_kind(button)
    title = str(button.get("title") or "").strip()
    if kind in (CALL, TEXT):
        number = dial_number(button)
        title = title or _VERB[kind]
        if _digits(number) and _digits(number) in _digits(title):
            return title
        return f"{title}: {number}"
    if kind == WEB:
        return f"{title or 'Link'}: {button['url']}"
    return ""


def with_links(text: str | None, buttons: Sequence[Mapping[str, Any]]) -> str:
    """Text followed by each link button written out, one per line."""
    lines = [(text or "").strip()] + [link_as_text(b) for b in links(buttons)]
    return "\n".join(line for line in lines if line)
