"""The catalogs promise only what the system delivers (issue 15), in every language."""

import re

import pytest

from bot.core.catalog import placeholders

LANGUAGES = ["sv", "en", "ar", "fa", "so", "ti", "pl", "uk", "fi"]
NO_DATE = (
    "utter_handoff_closed",
    "utter_handoff_nobody",
    "utter_crisis",
    "utter_care_abuse",
    "utter_ask_handoff_contact",
    "utter_handoff_check_myself",
)
"""Said when the case may have no way to reach the resident: no "we contact you by …"."""


@pytest.mark.parametrize("language", LANGUAGES)
def test_crisis_and_lex_sarah_answers_start_with_112(catalogs, language):
    responses = catalogs.get(language).responses
    for name in ("utter_crisis", "utter_care_abuse", "utter_crisis_nobody_now", "utter_care_abuse_nobody_now"):
        first_sentences = " ".join(re.split(r"(?<=[.?!؟።])\s+", responses[name]["text"])[:3])
        assert "112" in first_sentences, (language, name)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_date_is_promised_without_a_way_to_reach_the_resident(catalogs, language):
    responses = catalogs.get(language).responses
    for name in NO_DATE:
        assert "acknowledgement_due" not in placeholders(responses[name]["text"]), (language, name)
    saved = placeholders(responses["utter_handoff_contact_saved"]["text"])
    assert {"channel", "contact", "acknowledgement_due"} <= saved


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_contact_question_offers_email_phone_and_checking_oneself(catalogs, language):
    for name in ("utter_ask_handoff_contact", "utter_handoff_contact_hint"):
        buttons = catalogs.response(name, language, {})["buttons"]
        assert [b["payload"] for b in buttons] == ["/contact_email", "/contact_phone", "/contact_self"]
