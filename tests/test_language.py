"""Language detection (components/language.py): offline, pinned, and English when unsure."""

from __future__ import annotations

import pytest

from components import language
from components.language import detect_language


@pytest.mark.parametrize(
    "text, expected",
    [
        ("tengo dolor de pecho y no puedo respirar", "es"),
        ("ya no quiero vivir", "es"),
        ("hola", "es"),
        ("mi esposo dice q se quiere matar", "es"),
        ("estou com dor no peito e não consigo respirar", "pt"),
        ("j'ai mal à la poitrine et je n'arrive pas à respirer", "fr"),
        ("我胸口痛得厉害，喘不过气", "zh"),
        ("how long does physical therapy take to work?", "en"),
        ("relaxation techniques for neuropathic pain", "en"),
        ("is ashwagandha safe", "en"),
        ("ok", "en"),
        ("TENS?", "en"),
    ],
)
def test_languages(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_a_changed_model_file_is_refused(tmp_path, monkeypatch) -> None:
    fake = tmp_path / "model.npz.xz"
    fake.write_bytes(b"not the pinned model")
    monkeypatch.setattr(language, "model_file", lambda: fake)
    language.identifier.cache_clear()
    try:
        with pytest.raises(language.LanguageModelError, match="sha256"):
            language.identifier()
    finally:
        language.identifier.cache_clear()
        detect_language.cache_clear()
