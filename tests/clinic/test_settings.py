"""Clinic settings: one file, environment overrides, validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinic.settings import dialable, load_settings


def test_defaults_come_from_clinic_yml():
    settings = load_settings(environ={})
    assert settings.emergency_number == "911"
    assert settings.crisis_line == "988"
    assert 0 < settings.faq_answer_threshold < 1
    assert "not medical advice" in settings.disclaimer_full


def test_environment_overrides_the_file():
    settings = load_settings(
        environ={
            "CLINIC_NAME": "Harbour Physio",
            "CLINIC_EMERGENCY_NUMBER": "112",
            "CLINIC_FAQ_INTENT_THRESHOLD": "0.7",
            "CLINIC_NOT_SURE_SUGGESTIONS": "2",
        }
    )
    assert settings.name == "Harbour Physio"
    assert settings.emergency_number == "112"
    assert settings.faq_intent_threshold == 0.7
    assert settings.not_sure_suggestions == 2
    assert settings.slot_values()["clinic_name"] == "Harbour Physio"


@pytest.mark.parametrize(
    "variable, value",
    [
        ("CLINIC_FAQ_ANSWER_THRESHOLD", "high"),
        ("CLINIC_FAQ_ANSWER_THRESHOLD", "1.5"),
        ("CLINIC_PHONE", "   "),
        ("CLINIC_NOT_SURE_SUGGESTIONS", "three"),
    ],
)
def test_bad_values_are_rejected_with_the_setting_name(variable, value):
    with pytest.raises(ValueError, match=variable[len("CLINIC_") :].lower()):
        load_settings(environ={variable: value})


def test_a_missing_setting_is_named(tmp_path: Path):
    partial = tmp_path / "clinic.yml"
    partial.write_text('name: "X"\n')
    with pytest.raises(ValueError, match="missing clinic setting 'phone'"):
        load_settings(path=partial, environ={})


def test_another_settings_file_can_be_chosen(tmp_path: Path):
    source = Path(__file__).resolve().parents[2] / "clinic.yml"
    other = tmp_path / "other.yml"
    other.write_text(source.read_text().replace("Riverside", "Lakeside"))
    settings = load_settings(environ={"CLINIC_SETTINGS_FILE": str(other)})
    assert settings.name.startswith("Lakeside")


def test_domain_fallback_values_match_clinic_yml():
    """The slots' initial values (shown if the action server is down) = clinic.yml."""
    import yaml

    domain = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "domain.yml").read_text()
    )
    for slot, value in load_settings(environ={}).slot_values().items():
        assert domain["slots"][slot]["initial_value"] == value, slot


def test_call_and_text_links_use_the_dialable_form():
    slots = load_settings(environ={}).slot_values()
    assert slots["emergency_dial"] == "911"
    assert slots["crisis_dial"] == "988"
    assert slots["crisis_text_dial"] == "988"
    assert slots["poison_control_dial"] == "18002221222"  # from "1-800-222-1222"
    assert slots["crisis_line_takes_texts"] is True


@pytest.mark.parametrize(
    "written, dialled",
    [
        ("112", "112"),
        ("1-800-222-1222", "18002221222"),
        ("(800) 222.1222", "8002221222"),
        ("+44 (0) 344 892 0111", "+4403448920111"),
        ("", ""),
    ],
)
def test_dialable(written, dialled):
    assert dialable(written) == dialled


def test_another_emergency_number_changes_its_link():
    slots = load_settings(environ={"CLINIC_EMERGENCY_NUMBER": "112"}).slot_values()
    assert (slots["emergency_number"], slots["emergency_dial"]) == ("112", "112")


def test_spanish_replies_give_the_spanish_line_or_the_main_one():
    main = load_settings(environ={}).slot_values()
    assert main["clinic_phone_es"] == main["clinic_phone"]  # phone_es: ""
    spanish = load_settings(environ={"CLINIC_PHONE_ES": "(555) 010-0200"})
    assert spanish.slot_values()["clinic_phone_es"] == "(555) 010-0200"
    assert spanish.slot_values()["clinic_phone"] == "(555) 010-0100"


def test_spanish_replies_use_the_spanish_settings():
    """No Spanish reply hard-codes the clinic's phone or safety notes."""
    import yaml

    domain = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "domain.yml").read_text()
    )
    spanish = [
        variation["text"]
        for variations in domain["responses"].values()
        for variation in variations
        if {"type": "slot", "name": "language", "value": "es"}
        in (variation.get("condition") or [])
    ]
    assert spanish and not [t for t in spanish if "{clinic_phone}" in t]
    assert sum("{clinic_phone_es}" in t for t in spanish) >= 5
    notes = {t for t in spanish if "disclaimer" in t}
    assert notes == {"{disclaimer_full_es}", "{disclaimer_short_es}"}
    settings = load_settings(
        environ={"CLINIC_DISCLAIMER_SHORT_ES": "Solo informativo."}
    )
    assert settings.disclaimers()["disclaimer_short_es"] == "Solo informativo."


def test_a_crisis_line_without_texts_has_no_text_number():
    slots = load_settings(environ={"CLINIC_CRISIS_TEXT_NUMBER": ""}).slot_values()
    assert slots["crisis_text_dial"] == ""
    assert slots["crisis_line_takes_texts"] is False


@pytest.mark.parametrize(
    "variable, value",
    [
        ("CLINIC_EMERGENCY_NUMBER", "call the police"),
        ("CLINIC_EMERGENCY_NUMBER", ""),
        ("CLINIC_CRISIS_LINE", "1-800-273-TALK"),
        ("CLINIC_POISON_CONTROL", "1"),
        ("CLINIC_CRISIS_TEXT_NUMBER", "text HOME"),
    ],
)
def test_a_number_that_cannot_be_dialled_is_rejected(variable, value):
    with pytest.raises(ValueError, match=variable[len("CLINIC_") :].lower()):
        load_settings(environ={variable: value})
