"""Catalog check of issue 16: plural agreement of counts, digit order in right-to-left text, deadline dates.

Every response, gateway message, chat-page label and e-mail of every language is rendered with the
counts 0, 1, 2, 3, 5, 11, 21 and 101 (they hit every CLDR plural category of the nine languages),
and in Arabic and Persian with right-to-left values; the Unicode bidi algorithm (python-bidi, UAX #9)
then lays every line out as a reader sees it.
"""

import re
import string
from datetime import date

import pytest
from babel import Locale
from bidi import get_display

from bot.core.rendering import (
    COUNT_PLACEHOLDERS,
    FSI,
    ISOLATE_MARKS,
    PDI,
    plural_categories,
    plural_forms,
    render_text,
)
from bot.core.settings import PROJECT_ROOT
from bot.ops.plain_language import ACTION_SAMPLES
from bot.web.staff.texts import Texts, staff_languages, staff_texts

COUNTS = (0, 1, 2, 3, 5, 11, 21, 101)
RTL = ("ar", "fa")
DIGIT_RUN = re.compile(r"\d+(?:[-/.:\u00a0 ]\d+)*")
"""A number as written: digit groups joined by - / . : or a space (``070-123 45 67``, ``7/12/2026``)."""


def all_texts(catalogs, language):
    """Every text of a language with where it comes from: (where, text)."""
    cat = catalogs.get(language)
    texts = []
    for name, entry in cat.responses.items():
        texts.append((name, entry["text"]))
        if isinstance(entry.get("buttons"), list):
            texts += [(f"{name}.button", b["title"]) for b in entry["buttons"]]
    texts += [(f"system.{k}", v) for k, v in cat.system.items()]
    texts += [(f"ui.{k}", v) for k, v in cat.ui.items()]
    texts += [(f"email.{k}", v) for k, v in cat.email.items()]
    return texts


def count_specs(text):
    """(placeholder, format spec) of every count placeholder in ``text``."""
    return [(field, spec) for _, field, spec, _ in string.Formatter().parse(text) if field in COUNT_PLACEHOLDERS]


def sample_values(catalogs, profile, language, count):
    """Placeholder values as actions fill them; in right-to-left languages names and words in that script."""
    values = {**catalogs.profile_values(profile, language), **ACTION_SAMPLES}
    values.update(
        acknowledgement_due=catalogs.format_date(date(2026, 12, 7), language),
        reply_due=catalogs.format_date(date(2026, 5, 21), language),
        department=profile.departments[0].display_name(language),
        status=catalogs.term(language, "case_status", "in_progress"),
        kind=catalogs.term(language, "case_kind", "complaint"),
        position=str(count),
        **{name: count for name in COUNT_PLACEHOLDERS},
    )
    if language in RTL:
        name = "أحمد حسن" if language == "ar" else "مریم احمدی"
        summary = f"{catalogs.term(language, 'summary', 'name')}: {name}\n{catalogs.term(language, 'summary', 'phone')}"
        values.update(
            name=name, summary=summary + ": 070-123 45 67", understood=catalogs.term(language, "case_kind", "complaint")
        )
    return values


def rendered(catalogs, profile, language, count):
    """(where, rendered text) of every text of ``language`` with every count set to ``count``."""
    values = sample_values(catalogs, profile, language, count)
    rtl = catalogs.get(language).direction == "rtl"
    return [(where, render_text(text, values, rtl, language)) for where, text in all_texts(catalogs, language)]


def test_babel_has_the_plural_rule_of_every_language(catalogs):
    for code in catalogs.languages:
        assert "other" in plural_categories(code), code
    assert plural_categories("ar") == {"zero", "one", "two", "few", "many", "other"}
    assert plural_categories("pl") == plural_categories("uk") == {"one", "few", "many", "other"}


def test_every_count_placeholder_has_the_forms_its_language_needs(catalogs):
    found = set()
    for code in catalogs.languages:
        for where, text in all_texts(catalogs, code):
            for field, spec in count_specs(text):
                forms = plural_forms(spec)
                assert forms is not None, f"{code} {where}: {{{field}}} has no plural forms"
                assert set(forms) == plural_categories(code), (code, where, field, sorted(forms))
                found.add(field)
    assert found == COUNT_PLACEHOLDERS - {"count"}  # "count" is the staff console's


def test_staff_console_counts_have_their_forms():
    for code in staff_languages():
        for key, text in staff_texts(code).items():
            for field, spec in count_specs(text):
                assert set(plural_forms(spec) or ()) == plural_categories(code), (code, key, field)
    assert Texts("sv")("results", count=1) == "1 ärende"
    assert Texts("sv")("results", count=21) == "21 ärenden"
    assert Texts("en")("figure_ack_base", count=1) == "of 1 case whose deadline has passed"


@pytest.mark.parametrize("count", COUNTS)
def test_every_text_renders_with_every_count(catalogs, profile, count):
    for code in catalogs.languages:
        for where, text in rendered(catalogs, profile, code, count):
            plain = "".join(ch for ch in text if ch not in ISOLATE_MARKS)
            assert "{" not in plain and "#" not in plain, (code, where, text)


@pytest.mark.parametrize(
    ("language", "key", "count", "expected"),
    [
        ("sv", "utter_case_status_paused", 1, "Vänta 1 minut och"),
        ("en", "utter_case_status_paused", 1, "Wait 1 minute and"),
        ("en", "utter_faq_response_time", 1, "Within 1 working day we"),
        ("fi", "utter_case_status_paused", 1, "Odota 1 minuutti"),
        ("fi", "utter_case_status_paused", 5, "Odota 5 minuuttia"),
        ("ar", "utter_faq_response_time", 2, "خلال يومَي عمل"),
        ("ar", "utter_case_status_paused", 5, "انتظروا 5 دقائق"),
        ("ar", "utter_case_status_paused", 11, "انتظروا 11 دقيقة"),
        ("pl", "utter_case_status_paused", 3, "za 3 minuty"),
        ("pl", "utter_case_status_paused", 5, "za 5 minut"),
        ("uk", "utter_case_status_paused", 21, "через 21 хвилину"),
        ("ti", "utter_case_status_paused", 1, "1 ደቒቕ"),
    ],
)
def test_counts_agree_with_their_noun(catalogs, profile, language, key, count, expected):
    values = sample_values(catalogs, profile, language, count)
    text = catalogs.response(key, language, values, profile)["text"]
    assert expected in "".join(ch for ch in text if ch not in ISOLATE_MARKS)


def digits_outside_isolates(text):
    """Digits (and @) of ``text`` that no isolate (LRI/RLI/FSI … PDI) encloses; a line break ends isolates."""
    depth, loose = 0, []
    for ch in text:
        if ch in "\u2066\u2067\u2068":
            depth += 1
        elif ch == PDI:
            depth = max(depth - 1, 0)
        elif ch == "\n":
            depth = 0
        elif depth == 0 and (ch.isdigit() or ch == "@"):
            loose.append(ch)
    return loose


@pytest.mark.parametrize("language", RTL)
@pytest.mark.parametrize("count", COUNTS)
def test_right_to_left_texts_keep_the_order_of_digits(catalogs, profile, language, count):
    for where, text in rendered(catalogs, profile, language, count):
        assert not digits_outside_isolates(text), (language, where, text)
        for line in text.split("\n"):
            visual = get_display(line, base_dir="R")
            for number in DIGIT_RUN.findall(line):
                assert number in visual, (language, where, number, visual)


def test_the_check_sees_reversed_digits():
    line = "اتصلوا بالرقم 114 14 الآن"
    assert "114 14" not in get_display(line, base_dir="R")  # what readers saw before: "14 114"
    assert "114 14" in get_display(render_text(line, {}, isolate=True), base_dir="R")


def test_catalogs_have_no_hand_written_isolates():
    for path in sorted((PROJECT_ROOT / "bot" / "locales").rglob("*.yml")):
        raw = path.read_text(encoding="utf-8")
        assert not re.search(r"\\u206[6-9]|[\u2066-\u2069]", raw), f"{path.name}: isolates are added by the renderer"


def test_month_names_are_cldr_names(catalogs):
    for code in catalogs.languages:
        fmt = catalogs.get(code).format
        locales = [Locale.parse(name) for name in fmt["months_cldr"]]
        expected = ["/".join(loc.months["format"]["wide"][m] for loc in locales) for m in range(1, 13)]
        assert fmt["months"] == expected, code


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("sv", "7 december 2026"),
        ("ar", "7 كانون الأول/ديسمبر 2026 (7/12/2026)"),
        ("fa", "7 دسامبر 2026 (2026/12/7)"),
        ("ti", "7 ታሕሳስ 2026 (ናይ ፈረንጂ ዓውደ ኣዋርሕ: 7/12/2026)"),
        ("so", "7 Diseembar 2026 (7/12/2026)"),
    ],
)
def test_deadline_dates_name_the_month_and_give_the_numeric_date(catalogs, language, expected):
    text = catalogs.format_date(date(2026, 12, 7), language)
    assert "".join(ch for ch in text if ch not in ISOLATE_MARKS) == expected


def test_renderer_isolates_values_and_literals_only_when_asked():
    text = "رقم {reference}، اتصلوا على 112."
    assert render_text(text, {"reference": "SYN-2026-00042"}) == "رقم SYN-2026-00042، اتصلوا على 112."
    assert render_text(text, {"reference": "SYN-2026-00042"}, isolate=True) == (
        f"رقم {FSI}SYN-2026-00042{PDI}، اتصلوا على \u2066112{PDI}."
    )
    assert render_text("{n:one=# dag|other=# dagar}", {"n": "1"}, language="sv") == "1 dag"
    assert render_text("{n:one=# dag|other=# dagar}", {"n": "x"}, language="sv") == "x dagar"  # no number: other
    assert render_text("{n:one=# dag|other=# dagar}", {}, language="sv") == "{n}"


def test_language_sheet_has_one_row_per_language_and_is_rewritten_in_place(catalogs, profile, tmp_path):
    from bot.ops.language_sheet import END, SHEET_RESPONSES, START, is_current, sheet, update

    block = sheet(catalogs, profile)
    rows = [line for line in block.splitlines() if line.startswith("| ") and "(`" in line]
    assert [row.split("(`")[1].split("`)")[0] for row in rows] == catalogs.languages
    assert all(row.count("<div dir=") == 1 + len(SHEET_RESPONSES) for row in rows)
    assert '<div dir="rtl" lang="ar">' in block and "7/12/2026" in block
    path = tmp_path / "languages.md"
    path.write_text(f"# Intro\n\n{START}\nOLD-SHEET\n{END}\n\nAfter.\n", encoding="utf-8")
    assert not is_current(path, catalogs, profile)
    assert update(path, catalogs, profile) and not update(path, catalogs, profile)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Intro\n") and text.endswith("\n\nAfter.\n") and "OLD-SHEET" not in text
    assert is_current(path, catalogs, profile)
