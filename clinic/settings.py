"""Clinic settings: read from clinic.yml, overridable by CLINIC_<KEY> variables."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "clinic.yml"
ENV_PREFIX = "CLINIC_"
# Settings that may be left empty ("" = the clinic has none).
OPTIONAL = frozenset({"crisis_text_number", "phone_es"})
# Settings that are numbers a patient calls or texts from a reply's buttons.
PHONE_NUMBERS = (
    "emergency_number",
    "crisis_line",
    "crisis_text_number",
    "poison_control",
)
_PHONE = re.compile(r"\+?[0-9(][0-9 ().\-]*")  # as written: digits and separators
_DIALABLE = re.compile(r"\+?[0-9]{2,15}")


def dialable(number: str) -> str:
    """The form a tel:/sms: link dials: digits, with a leading + if written.

    "1-800-222-1222" -> "18002221222", "+44 116 123" -> "+44116123", "911" -> "911".
    """
    number = (number or "").strip()
    digits = re.sub(r"[^0-9]", "", number)
    return ("+" + digits) if number.startswith("+") and digits else digits


@dataclass(frozen=True)
class ClinicSettings:
    name: str
    phone: str
    phone_es: str
    booking_url: str
    hours: str
    staff_contact: str
    staff_response_time: str
    emergency_number: str
    crisis_line: str
    crisis_line_name: str
    crisis_line_name_es: str
    crisis_text_number: str
    poison_control: str
    disclaimer_full: str
    disclaimer_short: str
    disclaimer_full_es: str
    disclaimer_short_es: str
    faq_intent_threshold: float
    faq_answer_threshold: float
    faq_margin_threshold: float
    not_sure_suggestions: int
    max_message_chars: int
    action_timeout_seconds: float

    def disclaimers(self) -> dict[str, str]:
        """The safety notes, as the disclaimer responses' {placeholders} name them."""
        return {
            "disclaimer_full": self.disclaimer_full,
            "disclaimer_short": self.disclaimer_short,
            "disclaimer_full_es": self.disclaimer_full_es,
            "disclaimer_short_es": self.disclaimer_short_es,
        }

    def slot_values(self) -> dict[str, Any]:
        """Values the responses show through slots (see domain.yml)."""
        return {
            "clinic_name": self.name,
            "clinic_phone": self.phone,
            # The Spanish replies' number: a Spanish-speaking line if the clinic has one.
            "clinic_phone_es": self.phone_es or self.phone,
            "booking_url": self.booking_url,
            "clinic_hours": self.hours,
            "staff_contact": self.staff_contact,
            "staff_response_time": self.staff_response_time,
            "emergency_number": self.emergency_number,
            "crisis_line": self.crisis_line,
            "crisis_line_name": self.crisis_line_name,
            "crisis_line_name_es": self.crisis_line_name_es,
            "crisis_text_number": self.crisis_text_number,
            "poison_control": self.poison_control,
            # Dialable forms for the call / text buttons (tel: and sms: links).
            "emergency_dial": dialable(self.emergency_number),
            "crisis_dial": dialable(self.crisis_line),
            "crisis_text_dial": dialable(self.crisis_text_number),
            "poison_control_dial": dialable(self.poison_control),
            # Picks the crisis replies' variation with a "Text" button.
            "crisis_line_takes_texts": bool(self.crisis_text_number),
        }


def _convert(name: str, kind: Any, raw: Any) -> Any:
    try:
        value = kind(raw) if kind in (int, float) else str(raw).strip()
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"clinic setting {name!r}: {raw!r} is not a {kind.__name__}"
        ) from error
    if isinstance(value, float) and "_threshold" in name and not 0 <= value <= 1:
        raise ValueError(
            f"clinic setting {name!r} must be between 0 and 1, got {value}"
        )
    if isinstance(value, (int, float)) and value <= 0 and "_threshold" not in name:
        raise ValueError(f"clinic setting {name!r} must be positive, got {value}")
    if kind is str and not value and name not in OPTIONAL:
        raise ValueError(f"clinic setting {name!r} must not be empty")
    if (
        name in PHONE_NUMBERS
        and value
        and not (_PHONE.fullmatch(value) and _DIALABLE.fullmatch(dialable(value)))
    ):
        raise ValueError(
            f"clinic setting {name!r} must be a phone number written with digits "
            f"(2 to 15, spaces, dashes, brackets and a leading + allowed), "
            f"got {value!r}"
        )
    return value


def load_settings(
    path: Path | None = None, environ: Mapping[str, str] | None = None
) -> ClinicSettings:
    """Load the file, apply CLINIC_* overrides, and validate every value."""
    environ = os.environ if environ is None else environ
    path = Path(environ.get("CLINIC_SETTINGS_FILE", path or DEFAULT_FILE))
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    values: dict[str, Any] = {}
    for field in fields(ClinicSettings):
        kind = {"float": float, "int": int}.get(str(field.type), str)
        env_name = ENV_PREFIX + field.name.upper()
        if env_name in environ:
            raw_value = environ[env_name]
        elif field.name in raw:
            raw_value = raw[field.name]
        else:
            raise ValueError(f"{path}: missing clinic setting {field.name!r}")
        values[field.name] = _convert(field.name, kind, raw_value)
    return ClinicSettings(**values)
