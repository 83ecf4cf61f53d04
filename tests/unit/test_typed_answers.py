"""Typed answers: words in sentences, lexicons, the form reading answers before intents, short re-asks."""

from __future__ import annotations

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import complaint as c
from actions.answers import WORD_GROUPS, lexicon, read_lexicon
from actions.complaint import ValidateComplaintForm as Form
from actions.fields import find_choice
from actions.forms import HINT_SLOT, SKIPPED, ask_actions
from bot.core.settings import PROJECT_ROOT
from bot.feedback_cues import wants_feedback
from tests.helpers.trackers import responses

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
LANGUAGES = ("sv", "en", "ar", "fa", "so", "ti", "pl", "uk", "fi")


def test_find_choice_reads_words_inside_sentences():
    options = {"complaint": ["klagomål", "klaga*", "inte nöjd"], "praise": ["nöjd", "beröm"], "fault": ["trasig*"]}
    assert find_choice("jag vill klaga på skolan", options) == "complaint"
    assert find_choice("Klagomal!", options) == "complaint"  # case and accents do not matter
    assert find_choice("jag är inte nöjd", options) == "complaint"  # the phrase that starts first wins
    assert find_choice("jätte nöjd med hemtjänsten", options) == "praise"
    assert find_choice("ett klagomål: lampan är trasig", options) == "complaint"  # mentioned first
    assert find_choice("lampan är trasg", options) == "fault"  # one typo in a stem of 6+ letters
    assert find_choice("berömm", options) is None  # "beröm" has 5 letters: too short to guess a typo
    assert find_choice("klagomåll", options) == "complaint"  # one letter too many in a word of 6+ letters
    assert find_choice("sip", {"waste": ["sop*"]}) is None  # short words must be right
    assert find_choice("klagomååål", options) is None
    assert find_choice("klagmål", options) == "complaint"  # one letter missing
    assert find_choice("hej", options) is None
    assert find_choice("بالمدرسة", {"school": ["مدرسة"]}, ["ب", "بال", "ال"]) == "school"  # ة and ه are one
    assert find_choice("ketab", {"a": ["kitab"], "b": ["ketap"]}) is None  # one typo from both: ambiguous
    assert find_choice("something's broken", {"school": ["fröken"]}) is None  # a typo never hits the first letter


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_a_complete_lexicon(language):
    found = read_lexicon(PROJECT_ROOT / "actions" / "lexicon" / f"{language}.yml")
    assert set(found.kinds) == {"complaint", "fault_report", "suggestion", "praise"}
    assert all(found.kinds.values()) and all(found.words[group] for group in WORD_GROUPS)
    raw = yaml.safe_load((PROJECT_ROOT / "actions" / "lexicon" / f"{language}.yml").read_text(encoding="utf-8"))
    assert raw["reviewed_by_native_speaker"] in (True, False) and "areas" not in raw  # departments: the profile


def test_every_department_has_keywords_in_every_language(profile):
    for department in profile.departments:
        assert set(department.keywords) == set(LANGUAGES), department.id


def form_tracker(
    text: str,
    intent: str,
    requested: str | None,
    language: str = "sv",
    slots=None,
    mapped: bool = False,
    confidence: float = 0.9,
    history=(),
) -> Tracker:
    """The tracker the form's validation action gets right after a resident's message.

    ``mapped``: the slot's ``from_text`` mapping in domain.yml took the text (its intent is no interruption).
    ``history``: events before the message (e.g. slots the opening message filled).
    """
    candidate = [{"event": "slot", "name": requested, "value": text}] if mapped else []
    return Tracker(
        sender_id="c1",
        slots={"requested_slot": requested, "language": language, **(slots or {})},
        latest_message={"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []},
        events=[
            *history,
            {"event": "user", "text": text},
            {"event": "slot", "name": "requested_slot", "value": requested},
            {"event": "action", "name": "complaint_form"},
            *candidate,
        ],
        paused=False,
        followup_action=None,
        active_loop={"name": "complaint_form"} if requested else {},
        latest_action_name="complaint_form",
    )


async def answer(
    text: str,
    intent: str,
    requested: str | None,
    language: str = "sv",
    slots=None,
    mapped=False,
    confidence=0.9,
    history=(),
):
    dispatcher = CollectingDispatcher()
    tracked = form_tracker(text, intent, requested, language, slots, mapped, confidence, history)
    events = await Form().run(dispatcher, tracked, DOMAIN)
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}, responses(dispatcher)


@pytest.mark.parametrize(
    ("text", "intent", "language"),
    [
        ("skicka", "cancel", "sv"),
        ("بفرست", "cancel", "fa"),
        ("ok send it", "affirm", "en"),
        ("absolut", "affirm", "sv"),  # not the start of "absolut inte" (absolutely not)
    ],
)
async def test_send_at_the_public_record_question_agrees(text, intent, language):
    slots, said = await answer(text, intent, c.CONSENT, language)
    assert slots[c.CONSENT] is True
    assert "utter_complaint_consent_required" not in said


async def test_cancel_at_the_public_record_question_is_left_to_the_cancel_question():
    slots, _ = await answer("avbryt", "cancel", c.CONSENT, "sv")
    assert c.CONSENT not in slots or slots[c.CONSENT] is None


@pytest.mark.parametrize(
    ("text", "intent", "language", "area"),
    [
        ("skolan, min dotter går i 4an", "faq_preschool_school", "sv", "school"),
        ("gator och parker", "faq_parking", "sv", "streets_parks"),
        ("streets and parks", "faq_parking", "en", "streets_parks"),
        ("مدرسه", "faq_preschool_school", "fa", "school"),
        ("iskuulka", "faq_preschool_school", "so", "school"),
        ("kale, simhallen", "inform", "so", "general"),  # kale: other
        ("soptunnan", "faq_waste_collection", "sv", "waste"),
        ("hemtjänsten", "faq_elderly_care", "ar", "social_care"),  # a Swedish word in an Arabic chat
    ],
)
async def test_a_typed_area_answers_the_question_even_when_it_reads_like_a_question(text, intent, language, area):
    slots, said = await answer(text, intent, c.AREA, language)
    assert slots[c.AREA] == area
    assert "utter_complaint_area_invalid" not in said


async def test_a_real_question_during_the_form_is_left_to_the_rules():
    slots, said = await answer("när har ni öppet?", "faq_opening_hours", c.AREA)
    assert c.AREA not in slots and said == []  # nothing set: Rasa rejects the form, the FAQ rule answers


@pytest.mark.parametrize(
    ("text", "language", "kind"),
    [
        ("chcę złożyć skargę", "pl", "complaint"),
        ("хочу поскаржитись", "uk", "complaint"),
        ("ክጠርዕ ደልየ", "ti", "complaint"),
        ("something is broken", "en", "fault_report"),
        ("mulla on idea", "fi", "suggestion"),
        ("hej jag vill klaga på att soptunnan inte tömts på två veckor", "sv", "complaint"),  # first mention wins
        ("soptunnan har inte tömts", "sv", "fault_report"),
        ("Felanmälan", "sv", "fault_report"),
        ("felanm", "sv", "fault_report"),  # the start of a title
    ],
)
async def test_typed_kinds_in_every_language(text, language, kind):
    slots, _ = await answer(text, "inform", c.KIND, language)
    assert slots[c.KIND] == kind


async def test_the_first_message_fills_kind_area_and_description_and_says_so():
    text = "I want to complain that my bins have not been emptied for two weeks"
    slots, said = await answer(text, "file_complaint", None, "en")
    assert (slots[c.KIND], slots[c.AREA], slots[c.DESCRIPTION]) == ("complaint", "waste", text)
    assert said == ["utter_complaint_understood"]


async def test_a_long_description_is_a_description_whatever_its_intent():
    text = "في حفرة كبيرة في نص الطريق والعربيات بتخبط فيها، انا عجلة العربية بتاعتي كانت هتتكسر"
    slots, _ = await answer(text, "change_language", c.DESCRIPTION, "ar")
    assert slots[c.DESCRIPTION] == text
    slots, _ = await answer("på engelska tack", "change_language", c.DESCRIPTION)
    assert c.DESCRIPTION not in slots  # a short one changes the language


async def test_a_short_opening_fills_only_what_it_says():
    slots, said = await answer("jag vill klaga på skolan", "file_complaint", None)
    assert (slots[c.KIND], slots[c.AREA]) == ("complaint", "school") and c.DESCRIPTION not in slots
    assert said == ["utter_complaint_understood"]


def opening(text: str, asked: str = c.KIND, **slots) -> list[dict]:
    """Events of an opening message that filled ``slots`` before any question was asked; then ``asked`` is."""
    return [
        {"event": "user", "text": text},
        *({"event": "slot", "name": name, "value": value} for name, value in slots.items()),
        {"event": "slot", "name": "requested_slot", "value": asked},
    ]


async def test_a_kind_answer_naming_another_area_replaces_what_the_opening_filled():
    first = "hei, haluan kuulla miksi rakennuslupa kestää niin kauan"
    filled = {c.AREA: "building", c.DESCRIPTION: first, c.DESCRIPTION_LANGUAGE: "fi"}
    history = opening(first, **filled)
    text = "haluun tehdä valituksen kotihoidosta, hoitajat vaihtuu koko ajan"
    slots, said = await answer(text, "file_complaint", c.KIND, "fi", filled, history=history)
    assert (slots[c.KIND], slots[c.AREA], slots[c.DESCRIPTION]) == ("complaint", "social_care", text)
    assert said == ["utter_complaint_understood"]
    # Said short, the other area is taken and the opening's description is forgotten, so it is asked.
    slots, _ = await answer("valitus kotihoidosta", "file_complaint", c.KIND, "fi", filled, history=history)
    assert (slots[c.KIND], slots[c.AREA], slots[c.DESCRIPTION]) == ("complaint", "social_care", None)


async def test_the_new_reading_is_said_before_the_hint_when_the_kind_is_still_missing():
    first = "dzień dobry, kosz na śmieci nie został opróżniony od dwóch tygodni i strasznie śmierdzi"
    filled = {c.AREA: "waste", c.DESCRIPTION: first, c.DESCRIPTION_LANGUAGE: "pl"}
    text = "nie, chodzi o opiekę domową mamy, opiekunki ciągle się spóźniają"
    slots, said = await answer(text, "inform", c.KIND, "pl", filled, mapped=True, history=opening(first, **filled))
    assert (slots[c.AREA], slots[c.DESCRIPTION], slots[c.KIND]) == ("social_care", text, None)
    assert said == ["utter_complaint_understood", "utter_complaint_kind_invalid"]


async def test_a_kind_answer_keeps_an_area_the_resident_chose_at_its_question():
    chosen = [
        {"event": "slot", "name": "requested_slot", "value": c.AREA},
        {"event": "slot", "name": c.AREA, "value": "building"},
        {"event": "slot", "name": "requested_slot", "value": c.KIND},
    ]
    text = "haluun tehdä valituksen kotihoidosta"
    slots, _ = await answer(text, "file_complaint", c.KIND, "fi", {c.AREA: "building"}, history=chosen)
    assert slots[c.KIND] == "complaint" and c.AREA not in slots
    # The same department as the opening's is no change either.
    history = opening("jag vill klaga på skolan", **{c.AREA: "school"})
    slots, _ = await answer("klagomål på skolan", "file_complaint", c.KIND, "sv", {c.AREA: "school"}, history=history)
    assert slots[c.KIND] == "complaint" and c.AREA not in slots


async def test_a_correction_right_after_the_opening_starts_the_form_again():
    first = "hej, soptunnan har inte tömts på två veckor och det luktar"
    filled = {c.KIND: "fault_report", c.AREA: "waste", c.DESCRIPTION: first, c.DESCRIPTION_LANGUAGE: "sv"}
    history = opening(first, c.PLACE, **filled)
    text = "nej vänta, det gäller hemtjänsten, dom kommer aldrig i tid till mamma"
    slots, said = await answer(text, "file_complaint", c.PLACE, "sv", filled, mapped=True, history=history)
    assert (slots[c.AREA], slots[c.DESCRIPTION], slots[c.PLACE]) == ("social_care", text, None)
    assert slots[c.KIND] is None and slots["requested_slot"] == c.KIND and said == ["utter_complaint_understood"]
    slots, _ = await answer("nej, hemtjänsten", "deny", c.PLACE, "sv", filled, mapped=True, history=history)
    assert (slots[c.AREA], slots[c.DESCRIPTION], slots[c.PLACE]) == ("social_care", None, None)


@pytest.mark.parametrize(
    ("text", "requested", "intent"),
    [
        ("bakom skolan vid lekplatsen, mittemot Parkvägen 4", c.PLACE, "inform"),  # a place, no correction
        ("nej jag vill ha svar från skolan", c.ANONYMOUS, "deny"),  # "nej" answers a yes/no question
        ("i måndags, nej förresten i tisdags när skolan slutat", c.DATE, "inform"),  # a date is the answer
    ],
)
async def test_a_later_answer_naming_a_department_is_an_answer_without_a_correction(text, requested, intent):
    first = "hej, soptunnan har inte tömts på två veckor och det luktar"
    filled = {c.KIND: "fault_report", c.AREA: "waste", c.DESCRIPTION: first, c.DESCRIPTION_LANGUAGE: "sv"}
    history = opening(first, requested, **filled)
    slots, _ = await answer(text, intent, requested, "sv", filled, mapped=True, history=history)
    assert c.AREA not in slots and c.KIND not in slots and slots[requested] is not None


@pytest.mark.parametrize(
    ("text", "language", "anonymous"),
    [
        ("nej jag vill ha svar", "sv", False),
        ("ايوه", "ar", True),
        ("بلی", "fa", True),
        ("maya", "so", False),
        ("ኣይፋል", "ti", False),
        ("joo", "fi", True),
        ("bez imienia", "pl", True),
        ("nie, chce odpowiedz, nazywam sie Piotr Lewandowski", "pl", False),  # not "nie chcę odpowiedzi" (no reply)
        # Set C (issue 14, ninth session): "no, not anonymous" was anonymous from the word "anonymous".
        ("لا مو مجهول، عادي اكتبو اسمي", "ar", False),
        ("لا مش مجهول", "ar", False),
        ("نه ناشناس نمیخوام، میخوام جواب بدین", "fa", False),
        ("en, saa näkyä mun nimi", "fi", False),
    ],
)
async def test_colloquial_yes_and_no(text, language, anonymous):
    slots, _ = await answer(text, "inform", c.ANONYMOUS, language)
    assert slots[c.ANONYMOUS] is anonymous


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("ei tarvi olla anonyymi", "inform"),  # no need to be anonymous: not the word "anonymous" itself
        ("en halua, soittakaa mulle", "request_human"),  # I don't want to, call me: an answer, not a handoff
    ],
)
async def test_finnish_spoken_no_to_anonymity(text, intent):
    slots, _ = await answer(text, intent, c.ANONYMOUS, "fi")
    assert slots[c.ANONYMOUS] is False


async def test_a_described_problem_asks_the_kind_a_named_fault_report_does_not():
    text = "Nu har inte soporna hämtats på TVÅ veckor!! Tunnan är proppfull och kråkorna har rivit sönder påsarna"
    slots, said = await answer(text, "file_complaint", None, "sv")
    assert (slots[c.AREA], slots[c.DESCRIPTION], slots["requested_slot"]) == ("waste", text, c.KIND)
    assert c.KIND not in slots and said == ["utter_complaint_understood"]
    slots, _ = await answer("jag vill göra en felanmälan, gatlampan på vår gata är trasig", "file_complaint", None)
    assert (slots[c.KIND], slots[c.AREA]) == ("fault_report", "streets_parks")
    slots, _ = await answer("I want to report a fault, the lamp is broken", "file_complaint", None, "en")
    assert slots[c.KIND] == "fault_report"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("እወ ጸገም የለን", "ti"),  # yes, no problem: "የለን" (there is none) came second
        ("واخا", "ar"),  # Moroccan OK
    ],
)
async def test_yes_with_a_negative_word_after_it_agrees_to_the_public_record(text, language):
    slots, said = await answer(text, "inform", c.CONSENT, language)
    assert slots[c.CONSENT] is True and "utter_complaint_consent_required" not in said


async def test_a_name_or_address_the_triage_reads_as_an_alarm_is_the_answer():
    named = {c.KIND: "suggestion", c.AREA: "streets_parks", c.DESCRIPTION: "en cykelbana", c.ANONYMOUS: False}
    slots, _ = await answer("elias.berg@exempel.se", "care_abuse", c.CONTACT, "sv", named, mapped=True, confidence=0.5)
    assert slots[c.EMAIL] == "elias.berg@exempel.se"
    slots, _ = await answer("Elias Berg", "care_abuse", c.NAME, "sv", named, mapped=True, confidence=0.5)
    assert slots[c.NAME] == "Elias Berg"
    # A clear alarm in a longer message still goes to its rule.
    text = "elias.berg@exempel.se men personalen slår min pappa varje dag"
    slots, _ = await answer(text, "care_abuse", c.CONTACT, "sv", named, confidence=0.8)  # not mapped: an alarm
    assert c.EMAIL not in slots and c.CONTACT not in slots


async def test_a_polish_place_with_na_is_no_swedish_no():
    first = "Chcę złożyć skargę na återvinningsstation przy Björkvägen, od tygodnia nikt jej nie opróżnia"
    filled = {c.KIND: "complaint", c.AREA: "waste", c.DESCRIPTION: first, c.DESCRIPTION_LANGUAGE: "pl"}
    history = opening(first, c.PLACE, **filled)
    text = "przy parkingu kolo Lidla na Björkvägen"  # parking: a street word; "na" (on) is Swedish "nä" unaccented
    slots, _ = await answer(text, "inform", c.PLACE, "pl", filled, mapped=True, history=history)
    assert c.AREA not in slots and slots[c.PLACE] == text


async def test_a_name_typed_with_a_phone_number_gives_both():
    named = {c.KIND: "complaint", c.AREA: "waste", c.DESCRIPTION: "the bins were not emptied", c.ANONYMOUS: False}
    text = "Tomasz Kowalski, my phone is 072 345 67 89"
    slots, said = await answer(text, "inform", c.NAME, "en", named, mapped=True)
    assert (slots[c.NAME], slots[c.PHONE], slots[c.REPLY_CHANNEL]) == ("Tomasz Kowalski", "+46 72 345 67 89", "phone")
    assert "utter_complaint_name_invalid" not in said
    slots, _ = await answer("Anna Berg anna.berg@example.com", "inform", c.NAME, "sv", named, mapped=True)
    assert (slots[c.NAME], slots[c.EMAIL]) == ("Anna Berg", "anna.berg@example.com")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("chciałabym coś zgłosić, nie wiem czy dobrze trafiłam", "pl"),  # trafiłam (I found) is no "trafik*"
        ("hakemus jätettiin 14. huhtikuuta, ei oo tapahtunu mitään", "fi"),  # jätettiin (left) is no "jäte*"
    ],
)
def test_words_that_only_look_like_a_department_name_none(text, language, profile):
    from actions.answers import area_words, read_choice, typed_languages

    languages = typed_languages(language)
    assert read_choice(text, area_words(profile, languages), languages) is None


async def test_a_date_in_words_is_kept_instead_of_asked_again():
    slots, said = await answer("har hållit på sen september typ", "inform", c.DATE, mapped=True)
    assert slots[c.DATE] == "har hållit på sen september typ" and said == []
    slots, _ = await answer("three weeks ago was the last time", "inform", c.DATE, "en")
    assert len(slots[c.DATE]) == 10 and slots[c.DATE][4] == "-"  # an ISO date found inside the sentence
    slots, _ = await answer("vet inte", "dont_know", c.DATE)
    assert slots[c.DATE] == SKIPPED


async def test_a_hint_replaces_the_question_and_lists_the_choices(catalogs, profile):
    slots, said = await answer("banan", "nlu_fallback", c.KIND, mapped=True)
    assert said == ["utter_complaint_kind_invalid"] and slots[HINT_SLOT] == c.KIND
    ask = {action.slot: action for action in ask_actions((c.KIND,))}[c.KIND]()
    hinted = form_tracker("banan", "nlu_fallback", c.KIND)
    hinted.events.append({"event": "slot", "name": HINT_SLOT, "value": c.KIND})
    dispatcher = CollectingDispatcher()
    await ask.run(dispatcher, hinted, DOMAIN)
    assert dispatcher.messages == []  # the hint was the question
    dispatcher = CollectingDispatcher()
    await ask.run(dispatcher, form_tracker("hej", "greet", c.KIND), DOMAIN)
    assert responses(dispatcher) == ["utter_ask_complaint_kind"]
    for language in catalogs.languages:
        values = catalogs.profile_values(profile, language)
        hint = catalogs.response("utter_complaint_area_invalid", language, values, profile)
        assert len(hint["buttons"]) == len(profile.departments)
        assert all(dep.display_name(language) in hint["text"] for dep in profile.departments)  # as text too
        kinds = catalogs.response("utter_complaint_kind_invalid", language, {}, profile)
        assert all(button["title"] in kinds["text"] for button in kinds["buttons"]) and len(kinds["buttons"]) == 4


@pytest.mark.parametrize(
    ("text", "intent", "language", "wanted"),
    [
        ("I have a suggestion about building permits", "faq_building_permit", "en", True),
        ("I want to thank the building department", "thank", "en", True),
        ("tack så mycket för hjälpen", "thank", "sv", False),  # thanks without a department stay thanks
        ("hur klagar jag?", "faq_complaint_process", "sv", False),  # a question about complaining
        ("när töms soptunnan?", "faq_waste_collection", "sv", False),
        ("tja, det gäller vår gata", "out_of_scope", "sv", True),  # vague, names a department
        ("jag vill inte leva längre", "crisis", "sv", False),  # never overridden
        ("hej", "greet", "sv", False),
        ("hej jag har ett forslag om atervinning", "goodbye", "sv", True),  # "hej" read as goodbye
        ("tack och hej då", "goodbye", "sv", False),
        ("heippa, mulla ois ehdotus", "goodbye", "fi", True),  # a greeting read as goodbye, with a kind
        ("ሰላም ክምስግን ደልየ", "greet", "ti", True),  # "hello, I want to thank"
        ("beröm :)", "dont_know", "sv", True),  # a kind's name alone starts the form
        ("a suggestion", "faq_complaint_process", "en", True),
        ("похвала", "greet", "uk", True),
        ("tack", "thank", "sv", False),
        ("ammaan iyo mahadnaq", "thank", "so", True),  # praise named: not only thanks
        ("mahadsanid aad iyo aad", "thank", "so", False),
    ],
)
def test_feedback_words_start_the_form(text, intent, language, wanted):
    assert wants_feedback(text, language, intent) is wanted


def test_the_lexicons_are_loaded_once():
    assert lexicon("sv") is lexicon("sv")


async def test_a_status_lookup_takes_the_reference_and_code_from_the_first_message():
    from actions.case_status import CHECK_CODE, REFERENCE, ValidateCaseStatusForm

    text = "hej, hur går det med ärende syn-2026-00042? koden är k7pq 4xz9"
    tracked = form_tracker(text, "check_case_status", None)
    tracked.events[2] = {"event": "action", "name": "case_status_form"}
    events = await ValidateCaseStatusForm().run(CollectingDispatcher(), tracked, DOMAIN)
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert (slots[REFERENCE], slots[CHECK_CODE]) == ("SYN-2026-00042", "K7PQ-4XZ9")


def test_triage_weights_an_example_of_a_small_intent_more_but_only_by_the_square_root():
    from bot.triage import class_weights

    weights = class_weights(["greet"] * 100 + ["file_complaint"] * 400)
    assert weights["greet"] / weights["file_complaint"] == pytest.approx(2.0)  # balanced would be 4
    assert weights["greet"] == pytest.approx((500 / (2 * 100)) ** 0.5)


def test_the_triage_classifier_decides_the_alarm_intents(tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.triage import TriageClassifier

    examples = {
        "crisis": ["jag vill ta livet av mig", "min man slår mig varje kväll", "jag vill inte leva längre"],
        "care_abuse": ["personalen på boendet slår mamma", "hemtjänsten stjäl pengar från pappa"],
        "emergency": ["det brinner i huset", "han andas inte"],
        "file_complaint": ["maten på boendet är kall", "läraren svarar inte på mejl", "soptunnan är inte tömd"],
        "greet": ["hej", "god morgon"],
    }
    data = TrainingData([Message(data={"text": t, "intent": i}) for i, ts in examples.items() for t in ts])
    storage, resource = LocalModelStorage(tmp_path), Resource("triage")
    TriageClassifier.create({}, storage, resource, None).train(data)
    loaded = TriageClassifier.load({}, storage, resource, None)

    def classified(text, intent, ranking):
        message = Message(data={"text": text, "intent": {"name": intent, "confidence": 0.6}})
        message.set("intent_ranking", [{"name": name, "confidence": 0.2} for name in ranking])
        loaded.process([message])
        return message.get("intent")["name"]

    assert classified("jag vill ta livet av mig nu", "file_complaint", ["file_complaint", "crisis"]) == "crisis"
    assert (
        classified("maten på boendet är kall igen", "care_abuse", ["care_abuse", "file_complaint"]) == "file_complaint"
    )
    assert classified("läraren svarar inte", "file_complaint", ["file_complaint"]) == "file_complaint"
    # A crisis phrase of the lexicon wins whatever the classifiers read (the tiny model knows no "orka").
    assert classified("jag orkar inte leva längre med det här", "deny", ["deny"]) == "crisis"
    # An alarm of the harm band keeps at least the threshold as its confidence: below the fallback threshold
    # (0.32) it was "I did not understand" instead of the alarm's answer.
    band = TriageClassifier.load({"threshold": 0.99, "harm_threshold": 0.0}, storage, resource, None)
    message = Message(data={"text": "personalen på boendet slår mamma igen", "intent": {"name": "greet"}})
    message.set("intent_ranking", [{"name": "greet", "confidence": 0.3}])
    band.process([message])
    assert message.get("intent")["name"] in ("care_abuse", "crisis")
    assert message.get("intent")["confidence"] == pytest.approx(0.99)


def test_the_alarm_leads_the_ranking_so_that_the_fallback_does_not_read_it_as_ambiguous():
    from bot.triage import ranked

    chosen = {"name": "care_abuse", "confidence": 0.45}
    ranking = [{"name": "file_complaint", "confidence": 0.82}, {"name": "care_abuse", "confidence": 0.1}]
    ranking.append({"name": "greet", "confidence": 0.08})
    result = ranked(chosen, ranking)
    assert [entry["name"] for entry in result] == ["care_abuse", "file_complaint", "greet"]
    confidences = [entry["confidence"] for entry in result]
    assert confidences == sorted(confidences, reverse=True)  # FallbackClassifier: first minus second ≥ 0
    assert sum(confidences) <= 1.0 + 1e-9
    assert ranked(chosen, [chosen]) == [chosen]


def test_an_unsure_intent_with_a_kind_word_starts_the_form_but_never_an_unsure_alarm():
    assert wants_feedback("haluun antaa kehuja", "fi", "cancel", 0.3)  # "I wanna give praise"
    # A wish to give feedback read unsurely as the question about complaining; the sure question stays.
    assert wants_feedback("jag vill lämna en synpunkt", "sv", "faq_complaint_process", 0.36)
    assert not wants_feedback("hur lämnar man en synpunkt", "sv", "faq_complaint_process", 0.9)
    assert not wants_feedback("avbryt klagomålet", "sv", "cancel", 0.9)
    assert not wants_feedback("jag vill klaga, mamma låg på golvet hela natten", "sv", "crisis", 0.36)


@pytest.mark.parametrize(
    ("text", "language", "crisis"),
    [
        ("دیگه هیچ نمیخوام زنده بمونم", "fa", True),
        ("jag orkar inte leva längre", "sv", True),
        ("honestly i just want to die", "en", True),
        ("mam dość, nie chcę już żyć", "pl", True),
        ("en halua enää elää", "fi", True),
        ("не хочу більше жити", "uk", True),
        ("ما بدي عيش بعد اليوم", "ar", True),
        ("bygglovet tar evigheter, det här tar livet av mig", "sv", False),  # an idiom: "this is killing me"
        ("ما هي مدة الانتظار للرد", "ar", False),  # "waiting" is one letter from "suicide"
        ("i nearly killed myself on the ice outside the library", "en", False),
        ("nie", "pl", False),
        ("haluan kuulla miksi päätös kestää näin kauan", "fi", False),  # "I want to hear", one letter from "die"
        # The bare word for suicide is talk about it, not a crisis of the writer's own (set E):
        ("does the kommun have material on suicide prevention for our juniors", "en", False),
        ("czy gmina organizuje cos na dzien zapobiegania samobojstwom", "pl", False),
        ("naapuri yritti itsemurhaa viime vuonna ja nyt se voi hyvin", "fi", False),
        ("i have been thinking about suicide every night", "en", True),
        ("od tygodnia mysle o samobojstwie", "pl", True),
        ("mulla on ollu itsemurha-ajatuksia koko syksyn", "fi", True),
        ("jag har självmordstankar varje kväll", "sv", True),
    ],
)
def test_the_crisis_phrases_are_a_safety_net_that_idioms_do_not_trip(text, language, crisis):
    from actions.answers import says_crisis

    assert says_crisis(text, language) is crisis


@pytest.mark.parametrize(
    ("text", "language", "harm"),
    [
        ("staff at the home slapped my dad, he has bruises", "en", True),
        ("personalen på boendet slår mig när ingen ser", "sv", True),
        ("the home care staff keep changing, my dad never knows who is coming", "en", False),
        ("u sasiadow dziecko samo w domu od rana i placze", "pl", True),  # a child alone at home
        ("ንኣቦይ መግቢ ይኸልእዎ እዮም", "ti", True),  # they withhold food from my father
        ("czy moge sam zglosic problem w domu kultury", "pl", False),
        ("this building permit process is killing me", "en", False),
        ("hemtjänsten kommer alltid sent och har bråttom", "sv", False),
        # Gathering "all my pills" is a sign of a suicide plan, in every language (Persian had it first).
        ("jag har sparat alla mina tabletter i en burk", "sv", True),
        ("لميت كل الحبوب اللي بالبيت", "ar", True),
        ("zebrałam wszystkie tabletki z domu", "pl", True),
        ("apteekki ei ollut auki kun hain reseptiä", "fi", False),
        # The scenarios a second set of writers found missing (issue 14, ninth session) …
        ("they belted mum into her wheelchair, nobody asked us or a doctor", "en", True),
        ("isä on sidottu tuoliin koko päivän", "fi", True),
        ("farmor har blivit skinn och ben på boendet", "sv", True),
        ("mama schudla 8 kilo w domu opieki", "pl", True),
        ("the formula is finished and i have no money until friday", "en", True),
        ("الحليب خلص وما معي مصاري", "ar", True),
        # … and the everyday words beside them, with the one typo allowed in a long word.
        ("the snow melted and the path is a lake now", "en", False),
        ("the bench in the park was painted last week and is sticky", "en", False),
        ("your website is not responding again", "en", False),
        ("maksu on sidottu indeksiin, miksi se nousi taas", "fi", False),
        ("the belt on mums wheelchair is broken, can someone fix it", "en", False),
        # Cutting oneself, which the Persian list lacked (a 15-year-old "cut my arm with a razor again" read at 0.37,
        # set F, eleventh session).
        ("دوباره دستمو با تیغ بریدم", "fa", True),
        ("я знову ріжу себе і ніхто не знає", "uk", True),
        ("جرحت نفسي مرة ثانية", "ar", True),
        ("تیغ ریش تراش رو کجا بندازم", "fa", False),  # where do I throw away razor blades
    ],
)
def test_words_of_harm_are_found_and_everyday_idioms_are_not(text, language, harm):
    from actions.answers import says_harm

    assert says_harm(text, language) is harm


def test_an_unsure_alarm_needs_a_word_of_harm_and_a_sure_one_does_not():
    from bot.triage import is_alarm

    hit = "personalen på boendet slår mamma"
    changing = "hemtjänsten byter personal hela tiden"
    assert is_alarm(0.38, hit, "sv", 0.45, 0.35) and not is_alarm(0.38, changing, "sv", 0.45, 0.35)
    assert is_alarm(0.5, changing, "sv", 0.45, 0.35)  # sure: whatever the words
    assert not is_alarm(0.3, hit, "sv", 0.45, 0.35)  # below the band: no alarm, whatever the words


@pytest.mark.parametrize(
    ("text", "language", "wanted"),
    [
        ("ansökte i maj och har inte hört något, jag vill klaga på att det dröjer", "sv", True),
        ("applied for home care 3 months ago, no answer yet, i want to complain about the wait", "en", True),
        ("سه ماه پیش درخواست دادم و جوابی نیامده، میخوام شکایت کنم", "fa", True),
        ("قدمت طلب من شهرين وما احد رد، اريد اشتكي على التأخير", "ar", True),
        ("złożyłam wniosek w marcu i nic, chcę złożyć skargę na opóźnienie", "pl", True),
        ("vad har hänt med mitt klagomål? diarienummer KS-2026-0042", "sv", False),
        ("what is the status of my complaint", "en", False),
        ("وضعیت شکایتم چی شد؟", "fa", False),
        ("jaki jest status mojej skargi", "pl", False),
    ],
)
def test_a_status_question_is_a_complaint_only_when_it_says_the_resident_wants_to_complain(text, language, wanted):
    assert wants_feedback(text, language, "check_case_status", 0.8) is wanted


NAMED = {c.ANONYMOUS: False}


async def test_a_name_read_as_another_intent_is_the_name_unless_that_intent_is_clear():
    slots, _ = await answer("Ewa Kaminska", "change_language", c.NAME, "pl", NAMED, confidence=0.54)
    assert slots[c.NAME] == "Ewa Kaminska"
    slots, _ = await answer("Robban Karlsson", "request_human", c.NAME, slots=NAMED, confidence=0.31)
    assert slots[c.NAME] == "Robban Karlsson"
    slots, _ = await answer("jag vill prata med en människa", "request_human", c.NAME, slots=NAMED, confidence=0.95)
    assert c.NAME not in slots  # the rule hands over
    slots, _ = await answer("avbryt", "cancel", c.NAME, slots=NAMED, confidence=0.5)
    assert c.NAME not in slots


async def test_contact_details_are_read_whatever_the_intent():
    slots, _ = await answer("ring mig på 070-234 56 78", "request_human", c.CONTACT, slots=NAMED, confidence=0.6)
    assert slots[c.PHONE] == "+46 70 234 56 78"


async def test_an_emergency_as_description_says_112_and_keeps_the_text():
    text = "ett stort hål i vägen, ett barn ramlade med cykeln igår och bilarna kör i det"
    slots, said = await answer(text, "emergency", c.DESCRIPTION, confidence=0.5)
    assert slots[c.DESCRIPTION] == text and said[0] == "utter_emergency"


async def test_an_answer_wins_over_an_unsure_alarm_but_not_over_a_clear_one():
    text = "ні, я хочу щоб мені відповіли, мене звати Людмила"
    slots, _ = await answer(text, "crisis", c.ANONYMOUS, "uk", confidence=0.37)
    assert slots[c.ANONYMOUS] is False
    slots, _ = await answer("nej, min man slår mig och jag vågar inte gå hem", "crisis", c.ANONYMOUS, confidence=0.9)
    assert c.ANONYMOUS not in slots  # the crisis rule answers


async def test_the_municipality_named_in_the_opening_is_no_department():
    slots, _ = await answer("السلام عليكم عندي فكرة للكومون", "file_complaint", None, "ar")
    assert slots[c.KIND] == "suggestion" and c.AREA not in slots


def test_a_check_code_is_found_after_a_word_of_four_letters():
    from bot.store.cases import find_check_code

    assert find_check_code("kod mam taki AXEQ-S9FC") == "AXEQ-S9FC"
    assert find_check_code("the code they gave me was 484T-UAD8") == "484T-UAD8"  # not "THEY-GAVE"
    assert find_check_code("min kod: abcd efgh") == "ABCD-EFGH"


async def test_praise_is_no_alarm_unless_the_triage_is_sure():
    text = "personalen i hemtjänsten är alltid så tålmodiga med mamma och hjälper henne med allt"
    slots, _ = await answer(text, "care_abuse", c.DESCRIPTION, slots={c.KIND: "praise"}, confidence=0.45)
    assert slots[c.DESCRIPTION] == text
    slots, _ = await answer(text, "care_abuse", c.DESCRIPTION, slots={c.KIND: "complaint"}, confidence=0.45)
    assert c.DESCRIPTION not in slots  # a complaint's alarm goes to its rule


async def test_an_unsure_alarm_in_a_complaint_about_a_school_is_the_complaint_with_112_first():
    text = "synowi dokuczaja starsi chlopacy, popychaja go na przerwach, mowilam wychowawczyni 3 razy"
    school = {c.KIND: "complaint", c.AREA: "school"}
    slots, said = await answer(text, "crisis", c.DESCRIPTION, "pl", school, confidence=0.45)
    assert slots[c.DESCRIPTION] == text and said[0] == "utter_emergency"
    slots, _ = await answer(text, "crisis", c.DESCRIPTION, "pl", school, confidence=0.8)
    assert c.DESCRIPTION not in slots  # a clear crisis still goes to its rule
    care = {c.KIND: "complaint", c.AREA: "social_care"}  # Lex Sarah applies there (profile: lex_sarah)
    slots, _ = await answer(
        "personalen slår pappa på boendet", "care_abuse", c.DESCRIPTION, slots=care, confidence=0.45
    )
    assert c.DESCRIPTION not in slots
    general = {c.KIND: "complaint", c.AREA: "general"}
    slots, _ = await answer(
        "min man slår mig och jag vågar inte gå hem", "crisis", c.DESCRIPTION, slots=general, confidence=0.45
    )
    assert c.DESCRIPTION not in slots


async def test_a_code_the_gateway_found_answers_the_code_question_whatever_the_intent(monkeypatch):
    from types import SimpleNamespace

    from actions import case_status as cs
    from bot.core.internal_keys import seal

    keys = SimpleNamespace(action_token="a-secret-of-the-action-server")
    monkeypatch.setattr(cs, "settings", lambda: keys)

    text = "the code is ••••-••••"
    tracker = Tracker(
        sender_id="c1",
        slots={"requested_slot": cs.CHECK_CODE, "language": "en", cs.REFERENCE: "SYN-2026-00045"},
        latest_message={
            "text": text,
            "intent": {"name": "emergency", "confidence": 0.9},
            "entities": [],
            "metadata": {"check_code": seal(keys.action_token, "3XND-XVKU")},
        },
        events=[
            {"event": "user", "text": text},
            {"event": "slot", "name": "requested_slot", "value": cs.CHECK_CODE},
            {"event": "action", "name": "case_status_form"},
        ],
        paused=False,
        followup_action=None,
        active_loop={"name": "case_status_form"},
        latest_action_name="case_status_form",
    )
    found = await cs.ValidateCaseStatusForm().extract_status_check_code(CollectingDispatcher(), tracker, DOMAIN)
    assert cs.opened_check_code(found[cs.CHECK_CODE]) == "3XND-XVKU"


async def test_a_suggestion_is_not_asked_when_it_happened():
    filled = {c.KIND: "suggestion", c.AREA: "general", c.DESCRIPTION: "öppna simhallen till 21 på vardagar"}
    tracked = form_tracker("nej", "deny", c.ANONYMOUS, "sv", filled)
    required = await Form().required_slots(list(DOMAIN["slots"]), CollectingDispatcher(), tracked, DOMAIN)
    assert c.DATE not in required and c.ANONYMOUS in required
    tracked = form_tracker("nej", "deny", c.ANONYMOUS, "sv", {**filled, c.KIND: "praise"})
    assert c.DATE in await Form().required_slots(list(DOMAIN["slots"]), CollectingDispatcher(), tracked, DOMAIN)


@pytest.mark.parametrize(
    ("text", "intent", "confidence", "expected"),
    [
        ("nie, moge sie podpisac", "emergency", 0.61, False),  # no, I can sign it: an answer
        ("nie, chce zeby ktos sie ze mna wreszcie skontaktowal", "crisis", 0.62, False),
        ("nej, han slår mig just nu", "crisis", 0.7, None),  # names a harm: the alarm's rule answers
        ("nej, jag vill inte skriva mitt namn här", "crisis", 0.85, None),  # sure: the alarm wins
    ],
)
async def test_an_answer_that_the_triage_reads_as_an_alarm_needs_a_word_of_harm_below_sure(
    text, intent, confidence, expected
):
    language = "pl" if text.startswith("nie") else "sv"
    slots, _ = await answer(text, intent, c.ANONYMOUS, language, confidence=confidence)
    assert slots.get(c.ANONYMOUS) is expected
