"""The phrasebook and the public key-figures texts (issue 17) in the resident and staff catalogs."""

from __future__ import annotations

import pytest

from bot.core.catalog import CatalogError, placeholders
from bot.core.phrasebook import has_phrase, phrase
from bot.web.staff.texts import phrase_label, staff_languages, staff_phrasebook

LANGUAGES = ["sv", "en", "ar", "fa", "so", "ti", "pl", "uk", "fi"]
PHRASE_VALUES = {"name", "reference", "municipality", "phone"}


def staff_keys(language: str) -> list[str]:
    return [key for _, phrases in staff_phrasebook(language) for key, _ in phrases]


def test_all_nine_languages_have_the_phrasebook(catalogs):
    assert sorted(catalogs.languages) == sorted(LANGUAGES)
    swedish = list(catalogs.get("sv").phrasebook["phrases"])
    assert len(swedish) >= 20
    for language in LANGUAGES:
        cat = catalogs.get(language)
        assert list(cat.phrasebook["phrases"]) == swedish, language
        assert cat.phrasebook["written_in_swedish"].strip(), language
        for key, text in cat.phrasebook["phrases"].items():
            assert text.strip() and placeholders(text) <= PHRASE_VALUES, (language, key)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_phrase_has_a_button_in_the_staff_catalogs_and_nothing_else(catalogs, language):
    assert language in staff_languages()
    keys = staff_keys(language)
    assert sorted(keys) == sorted(catalogs.get("sv").phrasebook["phrases"]) and len(set(keys)) == len(keys)
    assert all(has_phrase(catalogs, key) for key in keys)
    assert phrase_label(language, "interpreter_call") and phrase_label(language, "no_such_phrase") is None


def test_the_staff_labels_of_a_phrase_say_what_the_swedish_resident_reads(catalogs):
    for key, label in ((k, phrase_label("sv", k)) for k in staff_keys("sv")):
        text = catalogs.get("sv").phrasebook["phrases"][key]
        if not placeholders(text):
            assert label == text, key


def test_unknown_phrase_raises(catalogs):
    with pytest.raises(CatalogError):
        phrase(catalogs, "no_such_phrase", "ar", {})
    assert not has_phrase(catalogs, "no_such_phrase")


def test_a_phrase_isolates_its_values_in_right_to_left_text(catalogs):
    text = phrase(catalogs, "case_number", "ar", {"reference": "SYN-2026-00042"})
    assert "\u2068SYN-2026-00042\u2069" in text


def test_public_figures_texts_have_the_same_keys_and_placeholders_everywhere(catalogs):
    swedish = catalogs.get("sv").public_figures
    assert {"title", "link", "fewer_than_5", "privacy"} <= set(swedish)
    for language in LANGUAGES:
        texts = catalogs.get(language).public_figures
        assert set(texts) == set(swedish), language
        for key, text in texts.items():
            assert text.strip() and placeholders(text) == placeholders(swedish[key]), (language, key)
