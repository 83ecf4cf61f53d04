"""The complaint form's validation, questions, summary and cancellation (no Rasa; submission: tests/app)."""

from __future__ import annotations

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import complaint as c
from actions import store
from actions.complaint import ActionAskComplaintConfirm, ActionRequestCancel, ActionSubmitComplaint
from actions.complaint import ValidateComplaintForm as Form
from actions.forms import FAILURES_SLOT, SKIPPED
from tests.helpers.trackers import responses, tracker

DOMAIN: dict = {"slots": {}, "forms": {"complaint_form": {"required_slots": []}}}
BUTTON = "inform"


def choice(value: str) -> list[dict]:
    return [{"entity": "choice", "value": value}]


async def required(slots: dict) -> list[str]:
    return await Form().required_slots([], CollectingDispatcher(), tracker(slots), DOMAIN)


async def test_questions_depend_on_area_anonymity_and_contact():
    base = [c.KIND, c.AREA, c.DESCRIPTION, c.DATE, c.ANONYMOUS, c.CONSENT, c.CONFIRM]
    assert await required({}) == base
    assert await required({c.AREA: "school"}) == base
    with_place = await required({c.AREA: "waste"})
    assert with_place.index(c.PLACE) == with_place.index(c.DESCRIPTION) + 1
    named = await required({c.AREA: "school", c.ANONYMOUS: False})
    assert named[named.index(c.ANONYMOUS) + 1 : named.index(c.CONSENT)] == [c.NAME, c.CONTACT]
    both = await required({c.ANONYMOUS: False, c.EMAIL: "a@example.se", c.PHONE: "+46 70 123 45 67"})
    assert c.REPLY_CHANNEL in both
    assert (await required({c.EDIT_REQUESTED: True}))[-2:] == [c.EDIT, c.CONFIRM]
    assert (await required({c.CANCEL_REQUESTED: True}))[0] == c.CANCEL_CONFIRM
    assert await required({c.CANCEL_REQUESTED: True, c.CANCEL_CONFIRM: True}) == []


async def test_kind_from_a_button_or_typed_in_the_residents_language():
    form = Form()
    by_button = await form.validate_complaint_kind(
        '/inform{"choice":"praise"}', CollectingDispatcher(), tracker(intent=BUTTON, entities=choice("praise")), DOMAIN
    )
    assert by_button[c.KIND] == "praise"
    typed = await form.validate_complaint_kind(
        "بلاغ عن عطل", CollectingDispatcher(), tracker({"language": "ar"}), DOMAIN
    )
    assert typed[c.KIND] == "fault_report"
    swedish_in_somali = await form.validate_complaint_kind(
        "klagomål", CollectingDispatcher(), tracker({"language": "so"}), DOMAIN
    )
    assert swedish_in_somali[c.KIND] == "complaint"
    assert (await form.validate_complaint_kind("2", CollectingDispatcher(), tracker(), DOMAIN))[
        c.KIND
    ] == "fault_report"


async def test_second_wrong_answer_in_a_row_offers_a_person_and_a_right_one_resets():
    form = Form()
    first = CollectingDispatcher()
    once = await form.validate_complaint_kind("banan", first, tracker(), DOMAIN)
    assert once[c.KIND] is None and once[FAILURES_SLOT] == {c.KIND: 1}
    assert responses(first) == ["utter_complaint_kind_invalid"]
    second = CollectingDispatcher()
    twice = await form.validate_complaint_kind("banan", second, tracker({FAILURES_SLOT: once[FAILURES_SLOT]}), DOMAIN)
    assert responses(second) == ["utter_complaint_kind_invalid", "utter_form_offer_human"]
    right = await form.validate_complaint_kind(
        "beröm", CollectingDispatcher(), tracker({FAILURES_SLOT: twice[FAILURES_SLOT]}), DOMAIN
    )
    assert right[c.KIND] == "praise" and right[FAILURES_SLOT] == {}
    # With no failures to reset, the count is left alone: no SlotSet to the value the slot already holds.
    assert FAILURES_SLOT not in await form.validate_complaint_kind("beröm", CollectingDispatcher(), tracker(), DOMAIN)


async def test_area_typed_by_name():
    result = await Form().validate_complaint_area("Avfall", CollectingDispatcher(), tracker(), DOMAIN)
    assert result[c.AREA] == "waste"
    wrong = CollectingDispatcher()
    assert (await Form().validate_complaint_area("månen", wrong, tracker(), DOMAIN))[c.AREA] is None
    assert wrong.messages[0]["response"] == "utter_complaint_area_invalid"


async def test_description_length_and_original_language():
    form = Form()
    short = CollectingDispatcher()
    assert (await form.validate_complaint_description("kallt", short, tracker(), DOMAIN))[c.DESCRIPTION] is None
    assert short.messages[0]["response"] == "utter_complaint_description_too_short"
    assert short.messages[0]["min_chars"] == 10
    long = CollectingDispatcher()
    assert (await form.validate_complaint_description("x" * 4001, long, tracker(), DOMAIN))[c.DESCRIPTION] is None
    assert long.messages[0]["max_chars"] == 4000
    text = "Waxaa jira god weyn oo wadada ku yaal."
    ok = await form.validate_complaint_description(
        f"  {text} ", CollectingDispatcher(), tracker({"language": "sv"}, metadata={"written_in": "so"}), DOMAIN
    )
    assert ok[c.DESCRIPTION] == text and ok[c.DESCRIPTION_LANGUAGE] == "so"
    plain = await form.validate_complaint_description(text, CollectingDispatcher(), tracker({"language": "so"}), DOMAIN)
    assert plain[c.DESCRIPTION_LANGUAGE] == "so"


async def test_optional_place_and_date_can_be_skipped():
    form = Form()
    skipped = await form.validate_complaint_place(
        "vet inte", CollectingDispatcher(), tracker(intent="dont_know"), DOMAIN
    )
    assert skipped[c.PLACE] == SKIPPED
    place = await form.validate_complaint_place(" Storgatan   5 ", CollectingDispatcher(), tracker(), DOMAIN)
    assert place[c.PLACE] == "Storgatan 5"
    no_date = await form.validate_complaint_date("no idea", CollectingDispatcher(), tracker(intent="dont_know"), DOMAIN)
    assert no_date[c.DATE] == SKIPPED


async def test_dates_in_several_languages_and_the_future(monkeypatch):
    monkeypatch.setattr(c, "local_now", lambda: __import__("datetime").datetime(2026, 11, 21, 10, 0))
    form = Form()

    async def read(text, language):
        dispatcher = CollectingDispatcher()
        result = await form.validate_complaint_date(text, dispatcher, tracker({"language": language}), DOMAIN)
        return result[c.DATE], responses(dispatcher)

    assert await read("igår", "sv") == ("2026-11-20", [])
    assert await read("i måndags", "sv") == ("2026-11-16", [])
    assert await read("3/11", "sv") == ("2026-11-03", [])
    assert await read("2026-11-03", "en") == ("2026-11-03", [])
    assert await read("last Monday", "en") == ("2026-11-16", [])
    assert await read("أمس", "ar") == ("2026-11-20", [])
    assert await read("٣/١١", "ar") == ("2026-11-03", [])
    assert await read("shalay", "so") == ("2026-11-20", [])
    assert await read("ትማሊ", "ti") == ("2026-11-20", [])
    assert await read("wczoraj", "pl") == ("2026-11-20", [])
    assert await read("вчора", "uk") == ("2026-11-20", [])
    assert await read("eilen", "fi") == ("2026-11-20", [])
    assert await read("3.11.", "fi") == ("2026-11-03", [])
    assert await read("دیروز", "fa") == ("2026-11-20", [])
    assert await read("24/12/2026", "sv") == (None, ["utter_complaint_date_future"])
    assert await read("för två veckor sen tömde dom senast", "sv") == ("2026-11-07", [])  # a date inside a sentence
    assert await read("sen september, varje vecka", "sv") == ("sen september, varje vecka", [])  # words kept
    assert await read("?!", "sv") == (None, ["utter_complaint_date_invalid"])
    today = await form.validate_complaint_date(
        '/inform{"choice":"today"}', CollectingDispatcher(), tracker(entities=choice("today")), DOMAIN
    )
    assert today[c.DATE] == "2026-11-21"


async def test_anonymous_drops_contact_details_and_yes_no_in_words():
    form = Form()
    yes = await form.validate_complaint_anonymous("/affirm", CollectingDispatcher(), tracker(intent="affirm"), DOMAIN)
    assert yes[c.ANONYMOUS] is True and yes[c.EMAIL] is None and yes[c.NAME] is None
    no = await form.validate_complaint_anonymous("nej", CollectingDispatcher(), tracker(intent="deny"), DOMAIN)
    assert no[c.ANONYMOUS] is False
    typed = await form.validate_complaint_anonymous("haa", CollectingDispatcher(), tracker({"language": "so"}), DOMAIN)
    assert typed[c.ANONYMOUS] is True  # "haa" is Somali for yes (terms.yes)
    unclear = CollectingDispatcher()
    assert (await form.validate_complaint_anonymous("kanske", unclear, tracker(), DOMAIN))[c.ANONYMOUS] is None
    assert responses(unclear) == ["utter_complaint_yes_no_invalid"]


async def test_contact_details_and_reply_channel():
    form = Form()
    email = await form.validate_complaint_contact("anna@example.se", CollectingDispatcher(), tracker(), DOMAIN)
    assert (email[c.EMAIL], email[c.PHONE], email[c.REPLY_CHANNEL]) == ("anna@example.se", None, "email")
    both = await form.validate_complaint_contact(
        "anna@example.se eller 070-123 45 67", CollectingDispatcher(), tracker(), DOMAIN
    )
    assert both[c.PHONE] == "+46 70 123 45 67" and both[c.REPLY_CHANNEL] is None
    wrong = CollectingDispatcher()
    bad = await form.validate_complaint_contact("anna(at)example", wrong, tracker(), DOMAIN)
    assert bad[c.CONTACT] is None and responses(wrong) == ["utter_complaint_contact_invalid"]
    channel = await form.validate_complaint_reply_channel(
        "telefon", CollectingDispatcher(), tracker({"language": "sv"}), DOMAIN
    )
    assert channel[c.REPLY_CHANNEL] == "phone"
    name = await form.validate_complaint_name("  محمد   علي ", CollectingDispatcher(), tracker(), DOMAIN)
    assert name[c.NAME] == "محمد علي"
    assert (await form.validate_complaint_name("12345", CollectingDispatcher(), tracker(), DOMAIN))[c.NAME] is None


async def test_consent_is_required():
    dispatcher = CollectingDispatcher()
    result = await Form().validate_complaint_consent("/deny", dispatcher, tracker(intent="deny"), DOMAIN)
    assert result[c.CONSENT] is None
    assert responses(dispatcher) == ["utter_complaint_consent_required"]
    ok = await Form().validate_complaint_consent("/affirm", CollectingDispatcher(), tracker(intent="affirm"), DOMAIN)
    assert ok[c.CONSENT] is True


async def test_change_one_field_at_the_summary():
    form = Form()
    change = await form.validate_complaint_confirm(
        '/inform{"choice":"change"}', CollectingDispatcher(), tracker(entities=choice("change")), DOMAIN
    )
    assert change[c.CONFIRM] is None and change[c.EDIT_REQUESTED] is True
    edit = await form.validate_complaint_edit(
        '/inform{"choice":"complaint_area"}',
        CollectingDispatcher(),
        tracker({c.AREA: "waste", c.EDIT_REQUESTED: True}, entities=choice(c.AREA)),
        DOMAIN,
    )
    assert edit[c.AREA] is None and edit[c.EDIT_REQUESTED] is None and edit[c.EDIT] is None
    contact = await form.validate_complaint_edit("Kontaktuppgifter", CollectingDispatcher(), tracker(), DOMAIN)
    assert contact[c.ANONYMOUS] is False and contact[c.EMAIL] is None and contact[c.NAME] is None
    send = await form.validate_complaint_confirm("/affirm", CollectingDispatcher(), tracker(intent="affirm"), DOMAIN)
    assert send[c.CONFIRM] == "send"


async def test_stop_asks_first_and_no_goes_back():
    events = await ActionRequestCancel().run(CollectingDispatcher(), tracker(), DOMAIN)
    assert events == [SlotSet(c.CANCEL_REQUESTED, True)]
    form = Form()
    back = await form.validate_complaint_cancel_confirm(
        "/deny", CollectingDispatcher(), tracker({c.CANCEL_REQUESTED: True}, intent="deny"), DOMAIN
    )
    assert back[c.CANCEL_CONFIRM] is None and back[c.CANCEL_REQUESTED] is None
    yes = await form.validate_complaint_cancel_confirm(
        "/affirm", CollectingDispatcher(), tracker({c.CANCEL_REQUESTED: True}, intent="affirm"), DOMAIN
    )
    assert yes[c.CANCEL_CONFIRM] is True
    dispatcher = CollectingDispatcher()
    done = await ActionSubmitComplaint().run(
        dispatcher, tracker({c.CANCEL_CONFIRM: True, c.DESCRIPTION: "x" * 20}), DOMAIN
    )
    assert responses(dispatcher) == ["utter_complaint_cancelled"]
    assert SlotSet(c.DESCRIPTION, None) in done and SlotSet(c.CANCEL_CONFIRM, None) in done


FULL = {
    "language": "ar",
    c.KIND: "fault_report",
    c.AREA: "streets_parks",
    c.DESCRIPTION: "مصباح الشارع مكسور منذ أسبوع",
    c.DESCRIPTION_LANGUAGE: "ar",
    c.PLACE: "Storgatan 5",
    c.DATE: "2026-11-16",
    c.ANONYMOUS: False,
    c.NAME: "محمد علي",
    c.CONTACT: "m@example.se, +46 70 123 45 67",
    c.EMAIL: "m@example.se",
    c.PHONE: "+46 70 123 45 67",
    c.REPLY_CHANNEL: "phone",
    c.CONSENT: True,
    c.CONFIRM: "send",
}


async def test_summary_lists_the_answers_in_the_residents_language():
    dispatcher = CollectingDispatcher()
    await ActionAskComplaintConfirm().run(dispatcher, tracker(FULL), DOMAIN)
    summary = dispatcher.messages[0]["summary"]
    assert "بلاغ عن عطل" in summary and "الشوارع والحدائق" in summary
    assert "Storgatan 5" in summary and "m@example.se" in summary and "+46 70 123 45 67" in summary
    assert "16" in summary and len(summary.splitlines()) == 11


async def test_submit_with_unreachable_database_keeps_the_answers(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:1/none")
    await store.reset()
    try:
        dispatcher = CollectingDispatcher()
        events = await ActionSubmitComplaint().run(dispatcher, tracker(FULL), DOMAIN)
    finally:
        await store.reset()
    assert responses(dispatcher) == ["utter_case_failed"]
    assert events == [SlotSet(c.CONFIRM, None)]


async def test_change_typed_in_the_conversations_language():
    arabic = await Form().validate_complaint_confirm(
        "تعديل", CollectingDispatcher(), tracker({"language": "ar"}), DOMAIN
    )
    assert arabic[c.EDIT_REQUESTED] is True
    swedish = await Form().validate_complaint_confirm(
        "ändra", CollectingDispatcher(), tracker({"language": "ar"}), DOMAIN
    )
    assert swedish[c.EDIT_REQUESTED] is True


async def test_a_suggestion_is_asked_which_place_it_is_about_not_where_it_happened():
    async def asked(slots: dict) -> list[str | None]:
        dispatcher = CollectingDispatcher()
        await c.AskPlace().run(dispatcher, tracker({c.KIND: slots.get(c.KIND), c.AREA: "streets"}), DOMAIN)
        return responses(dispatcher)

    assert await asked({c.KIND: "suggestion"}) == ["utter_ask_complaint_place_suggestion"]
    assert await asked({c.KIND: "fault_report"}) == ["utter_ask_complaint_place"]
    assert await asked({}) == ["utter_ask_complaint_place"]
