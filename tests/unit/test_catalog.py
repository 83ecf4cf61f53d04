"""Catalog completeness: every response in every language, same keys everywhere, known placeholders."""

from datetime import date

import pytest
import yaml

from bot.core.catalog import CatalogError, placeholders
from bot.core.settings import PROJECT_ROOT
from bot.ops.plain_language import ACTION_SAMPLES

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))

ACTION_ARGUMENTS = set(ACTION_SAMPLES)


def section_keys(cat, section):
    return set(getattr(cat, section))


def test_both_walking_skeleton_languages_exist(catalogs):
    assert catalogs.languages[:2] == ["sv", "en"]


@pytest.mark.parametrize("section", ["responses", "system", "ui", "format"])
def test_every_language_has_the_same_keys(catalogs, section):
    reference = section_keys(catalogs.get("sv"), section)
    for code in catalogs.languages:
        keys = section_keys(catalogs.get(code), section)
        assert keys == reference, f"{code}: missing {reference - keys}, extra {keys - reference}"


def test_every_domain_response_is_in_every_catalog(catalogs):
    domain_responses = set(DOMAIN["responses"])
    for code in catalogs.languages:
        assert set(catalogs.get(code).responses) == domain_responses, code


def test_domain_text_is_only_the_key():
    for name, variants in DOMAIN["responses"].items():
        assert variants == [{"text": name}], f"{name}: the words belong in bot/locales, not in domain.yml"


def test_placeholders_are_known(catalogs, profile):
    allowed = set(catalogs.profile_values(profile, "sv")) | ACTION_ARGUMENTS
    for code in catalogs.languages:
        cat = catalogs.get(code)
        texts = [r["text"] for r in cat.responses.values()] + list(cat.system.values()) + list(cat.ui.values())
        for text in texts:
            assert placeholders(text) <= allowed, (code, text)


def test_catalogs_record_their_review_state(catalogs):
    for code in catalogs.languages:
        raw = yaml.safe_load((PROJECT_ROOT / "bot" / "locales" / f"{code}.yml").read_text(encoding="utf-8"))
        assert isinstance(raw["meta"]["reviewed_by_native_speaker"], bool)
        assert raw["meta"]["direction"] in ("ltr", "rtl")


def test_response_renders_profile_facts(catalogs, profile):
    values = catalogs.profile_values(profile, "sv")
    contact = catalogs.response("utter_faq_contact", "sv", values)
    for fact in (profile.phone, profile.email, profile.visiting_address):
        assert fact in contact["text"]
    hours = catalogs.response("utter_faq_opening_hours", "en", catalogs.profile_values(profile, "en"))["text"]
    assert "Monday–Wednesday: 08:00–16:30" in hours
    assert "Saturday–Sunday: closed" in hours
    assert "Torsdag: 08.00–18.00" in catalogs.format_opening_hours(profile, "sv")


def test_language_buttons_use_own_names(catalogs):
    greeting = catalogs.response("utter_greet", "en", {"municipality": "X"})
    titles = [b["title"] for b in greeting["buttons"]]
    assert titles[:2] == ["Svenska", "English"]
    assert greeting["buttons"][0]["payload"] == '/change_language{"language": "sv"}'


def test_unknown_placeholder_stays_visible_and_unknown_key_raises(catalogs):
    assert catalogs.response("utter_case_created", "en", {})["text"].count("{reference}") == 1
    with pytest.raises(CatalogError):
        catalogs.response("utter_nope", "sv", {})
    with pytest.raises(CatalogError):
        catalogs.get("xx")


def test_dates_in_each_language(catalogs):
    assert catalogs.format_date(date(2026, 11, 25), "sv") == "25 november 2026"
    assert catalogs.format_date(date(2026, 11, 25), "en") == "25 November 2026"


def test_resident_text_in_values_is_not_interpreted(catalogs):
    text = catalogs.response("utter_case_created", "sv", {"reference": "{phone}<b>"})["text"]
    assert "{phone}<b>" in text


def test_faq_answers_are_at_most_three_sentences(catalogs, profile):
    from bot.ops.plain_language import catalog_texts, measure

    for code in catalogs.languages:
        for key, text in catalog_texts(catalogs, profile, code).items():
            if key.startswith("utter_faq_") and key != "utter_faq_opening_hours":  # hours: a list, not prose
                assert measure(key, text).sentences <= 3, (code, key, text)


@pytest.mark.parametrize("key", ["utter_faq_contact", "utter_faq_complaint_process", "utter_faq_interpreter",
                                 "utter_faq_public_documents", "utter_faq_opening_hours"])  # fmt: skip
def test_faq_answers_give_two_contact_channels(catalogs, key):
    channels = {"phone", "email", "address", "web_form"}
    for code in catalogs.languages:
        assert len(placeholders(catalogs.get(code).responses[key]["text"]) & channels) >= 2, (code, key)


def nested_keys(node, prefix=""):
    if not isinstance(node, dict):
        return {prefix}
    return {key for k, v in node.items() for key in nested_keys(v, f"{prefix}.{k}")}


def test_terms_and_emails_have_the_same_keys_everywhere(catalogs):
    reference = nested_keys(catalogs.get("sv").terms), set(catalogs.get("sv").email)
    for code in catalogs.languages:
        cat = catalogs.get(code)
        assert (nested_keys(cat.terms), set(cat.email)) == reference, code
        assert set(cat.format["date_words"]) == {"today", "yesterday", "day_before_yesterday"}, code


def test_every_case_kind_and_status_has_a_word(catalogs):
    from bot.cases.workflow import CASE_STATUSES
    from bot.store.cases import CASE_KINDS

    for code in catalogs.languages:
        assert all(catalogs.term(code, "case_kind", kind) for kind in CASE_KINDS), code
        assert all(catalogs.term(code, "case_status", status) for status in CASE_STATUSES), code
    with pytest.raises(CatalogError):
        catalogs.term("sv", "case_kind", "unknown")


def test_receipt_email_renders_with_every_placeholder_filled(catalogs, profile):
    from bot.cases.outbox import receipt_values
    from bot.store.models import Case

    case = Case(reference="SYN-2026-00042", kind="praise", area="waste", contact_name="Anna",
                acknowledgement_due=date(2026, 11, 25), reply_due=date(2026, 11, 30))  # fmt: skip
    for code in catalogs.languages:
        case.reply_language = code
        values = receipt_values(case, "K7PQ-4XZ9", catalogs, profile)
        for key in ("receipt_subject", "receipt_body"):
            text = catalogs.email(key, code, values)
            assert "{" not in text, (code, key)
        assert "K7PQ-4XZ9" in catalogs.email("receipt_body", code, values), code


def test_area_buttons_come_from_the_profile(catalogs, profile):
    rendered = catalogs.response("utter_ask_complaint_area", "so", {}, profile)
    assert rendered["buttons"][0]["payload"] == '/inform{"choice": "streets_parks"}'
    assert rendered["buttons"][0]["title"] == "Waddooyinka iyo beeraha nasashada"
    with pytest.raises(CatalogError):
        catalogs.response("utter_ask_complaint_area", "so", {})


def test_values_inside_right_to_left_text_are_bidi_isolated(catalogs, profile):
    values = {**catalogs.profile_values(profile, "ar"), "reference": "SYN-2026-00042"}
    status = catalogs.response("utter_case_status_found", "ar", values, profile)["text"]
    assert "\u2068SYN-2026-00042\u2069" in status  # the Swedish reference keeps its order in Arabic
    swedish = catalogs.response("utter_case_status_found", "sv", {**values}, profile)["text"]
    assert "SYN-2026-00042" in swedish and "\u2068" not in swedish
    assert "\u2068" in catalogs.system("nobody_free", "fa", catalogs.profile_values(profile, "fa"))
