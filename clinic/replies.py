"""Texts the Rasa server sends on its own, when the actions can't answer."""

from __future__ import annotations

from clinic.settings import ClinicSettings, load_settings


def apology(settings: ClinicSettings | None = None) -> str:
    """The one reply to a message that couldn't be handled, with the clinic's numbers."""
    try:
        settings = settings or load_settings()
        contact = f"call {settings.name} at {settings.phone}"
        emergency = f" In an emergency, call {settings.emergency_number}."
    except Exception:  # noqa: BLE001 - no readable clinic.yml: still apologise
        contact, emergency = "call the clinic", ""
    return (
        "Sorry, I couldn't answer that just now because of a technical problem "
        "on our side. Please send your message again in a minute. If you need "
        f"help sooner, {contact}.{emergency}"
    )
