"""The complaint and feedback form (synpunkt: klagomål, felanmälan, förslag, beröm), step by step.

Questions, in order (``required_slots`` of :class:`ValidateComplaintForm`): kind, area (a department
of the municipality profile), description, place (only for areas with ``asks_place``), date of the
event (not for a suggestion: nothing happened), anonymous or not, then name, e-mail and/or phone and
the reply channel (only when not anonymous), consent that the case becomes a public record (allmän
handling, offentlighets- och sekretesslagen 2009:400), and a summary to send, change or cancel.

Policy sources: anonymous feedback is handled like named feedback but cannot get a reply (common
municipal rules for synpunktshantering); acknowledgement within 2 working days and the reply deadline
per area come from the municipality profile.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.answers import area_words, group_words, kind_words
from actions.fields import (
    MAX_PLACE_CHARS,
    DateInFuture,
    DateNotUnderstood,
    clean_name,
    find_email,
    find_phone,
    normalize,
    parse_event_date,
)
from actions.forms import (
    CLEAR_ALARM,
    DONT_KNOW,
    FAILURES_SLOT,
    HINT_SLOT,
    REQUESTED_SLOT,
    SKIPPED,
    URGENT,
    AskQuestion,
    GuidedFormValidation,
    answer_languages,
    ask_actions,
    button_labels,
    hinted_this_turn,
    intent_confidence,
    intent_of,
)
from actions.store import catalogs, file_case, language_of, local_now, profile, settings
from bot.core.internal_keys import seal
from bot.core.profile import WEEKDAYS
from bot.store.cases import mask_check_code, new_check_code

MIN_DESCRIPTION_CHARS = 10
MAX_DESCRIPTION_CHARS = 4000
SUMMARY_DESCRIPTION_CHARS = 200

KIND = "complaint_kind"
AREA = "complaint_area"
DESCRIPTION = "complaint_description"
DESCRIPTION_LANGUAGE = "complaint_description_language"
PLACE = "complaint_place"
DATE = "complaint_date"
ANONYMOUS = "complaint_anonymous"
NAME = "complaint_name"
CONTACT = "complaint_contact"
EMAIL = "complaint_email"
PHONE = "complaint_phone"
REPLY_CHANNEL = "complaint_reply_channel"
CONSENT = "complaint_consent"
CONFIRM = "complaint_confirm"
EDIT = "complaint_edit"
EDIT_REQUESTED = "complaint_edit_requested"
CANCEL_REQUESTED = "complaint_cancel_requested"
CANCEL_CONFIRM = "complaint_cancel_confirm"

FORM_SLOTS = (
    KIND, AREA, DESCRIPTION, DESCRIPTION_LANGUAGE, PLACE, DATE, ANONYMOUS, NAME, CONTACT, EMAIL, PHONE,
    REPLY_CHANNEL, CONSENT, CONFIRM, EDIT, EDIT_REQUESTED, CANCEL_REQUESTED, CANCEL_CONFIRM, FAILURES_SLOT, HINT_SLOT,
)  # fmt: skip
"""Every slot the form uses; all are cleared when the case is sent or the form is cancelled."""

FILED_KINDS = ("complaint", "fault_report", "suggestion", "praise")
CONTACT_SLOTS = (NAME, CONTACT, EMAIL, PHONE, REPLY_CHANNEL)
EDITABLE: dict[str, tuple[str, ...]] = {
    KIND: (KIND,),
    AREA: (AREA,),
    DESCRIPTION: (DESCRIPTION, DESCRIPTION_LANGUAGE),
    PLACE: (PLACE,),
    DATE: (DATE,),
    ANONYMOUS: (ANONYMOUS, *CONTACT_SLOTS),
    CONTACT: CONTACT_SLOTS,
}
"""Choice on the "what do you want to change" question → slots cleared so they are asked again."""
SEND, CHANGE, CANCEL = "send", "change", "cancel"


def channel_options(tracker: Tracker) -> dict[str, list[str]]:
    """Reply channel → its words (terms and lexicon) in the resident's languages."""
    cats, languages = catalogs(), answer_languages(tracker)
    return {
        channel: [channel, *(cats.term(language, "reply_channel", channel) for language in languages),
                  *group_words(channel, languages)]
        for channel in ("email", "phone")
    }  # fmt: skip


def edit_options(tracker: Tracker) -> dict[str, list[str]]:
    """Editable answer (slot name) → its button titles in the resident's languages."""
    titles = button_labels("utter_ask_complaint_edit", answer_languages(tracker))
    return {slot: titles.get(slot, []) for slot in EDITABLE}


NAME_MAX_WORDS = 5
"""A typed name has at most this many words."""
_CONTACT_SEPARATOR = re.compile(r"[,;\n]")
_EMAIL_LIKE = re.compile(r"\S+@\S+")
_PHONE_LIKE = re.compile(r"\+?\d[\d\s()-]{4,}\d")
CLEAR_INTENT = 0.7
"""At the name question, a language change, cancel or a request for a person this sure is one; below
it, a short message in letters is the name ("Ewa Kaminska" was a language change at 0.54, "Robban
Karlsson" a request for a person at 0.31)."""
MISREAD_AT_FREE_TEXT = ("change_language", "request_human", "cancel")
"""Intents the slot mappings of name and contact leave to their rules; read here when they are answers."""
KINDS_WITHOUT_ALARM = ("praise", "suggestion")
"""Kinds whose description is read as an alarm only when the triage classifier is sure (``CLEAR_ALARM``)."""
MIN_VOLUNTEERED_DESCRIPTION_WORDS = 8
"""A message before the description question becomes the description when it has this many words and
names the kind or the area ("I want to complain that my bins have not been emptied for two weeks")."""


CORRECTED_AT = (PLACE, DATE)
"""Questions after the opening at which "nej, det gäller hemtjänsten" corrects what the opening filled
(``ValidateComplaintForm.drop_other_area``). Not yes/no questions: there "nej" is the answer."""


def _drop_candidate(tracker: Tracker, slot: str) -> None:
    """Remove ``slot``'s value that its mapping took from the latest message (slot events end ``tracker.events``)."""
    end = len(tracker.events)
    while end and tracker.events[end - 1].get("event") == "slot":
        end -= 1
    tail = [event for event in tracker.events[end:] if event.get("name") != slot]
    tracker.events[end:] = tail


def kind_titles(languages: list[str]) -> dict[str, list[str]]:
    """Kind code → its code, catalog terms and button titles in ``languages`` (no lexicon words)."""
    cats = catalogs()
    titles: dict[str, list[str]] = {
        kind: [kind, *(cats.term(language, "case_kind", kind) for language in languages)] for kind in FILED_KINDS
    }
    for kind, labels in button_labels("utter_ask_complaint_kind", languages).items():
        titles.setdefault(kind, []).extend(labels)
    return titles


def kind_options(tracker: Tracker) -> dict[str, list[str]]:
    """Kind code → what a resident may type for it (terms, button titles and lexicon words in their languages)."""
    languages = answer_languages(tracker)
    options = kind_titles(languages)
    for kind, words in kind_words(languages).items():
        if kind in options:
            options[kind].extend(words)
    return options


def named_fault_words(tracker: Tracker) -> list[str]:
    """The words that name a fault report rather than describe a problem, in the resident's languages.

    Its code, terms and button titles, and the lexicon's fault words that begin like one of them
    ("felanmäl*", "fault report", "vikailmoit*"); "broken", "inte tömts", "sönder" describe the problem. From
    the first message only a named fault report is taken: "Nu har inte soporna hämtats på TVÅ veckor!!" is a
    complaint to some residents and a fault report to others (a second, independently written set of typed
    conversations, issue 14), so the kind is asked.
    """
    languages = answer_languages(tracker)
    titles = kind_titles(languages).get("fault_report", ["fault_report"])
    stems = [normalize(title)[:5] for title in titles if len(normalize(title)) >= 5]
    lexicon_words = kind_words(languages).get("fault_report", [])
    return [*titles, *(word for word in lexicon_words if normalize(word).startswith(tuple(stems)))]


def area_options(tracker: Tracker) -> dict[str, list[str]]:
    """Department id → its id, names and keywords (profile) in the resident's languages."""
    return {dep_id: [dep_id, *words] for dep_id, words in area_words(profile(), answer_languages(tracker)).items()}


def unsure_alarm_outside_care(tracker: Tracker) -> bool:
    """True for an unsure crisis or abuse-in-care reading of a complaint about a department without Lex Sarah.

    Unsure: below ``CLEAR_ALARM``. Without Lex Sarah: ``lex_sarah`` false in the profile (a school, a street).

    Lex Sarah concerns social services and LSS support (SoL 14 kap. 3 §, LSS 24 a §); a crisis is danger to
    life, health or safety. In a complaint the resident has already placed at such a department, a
    reading the triage classifier is unsure of is the complaint itself (issue 14). The general department
    (nothing chosen yet) and the Lex Sarah departments keep every alarm.
    """
    area = tracker.get_slot(AREA)
    if not area or intent_of(tracker) not in ("crisis", "care_abuse") or intent_confidence(tracker) >= CLEAR_ALARM:
        return False
    department = profile().department(str(area))
    return department.id != profile().general_department.id and not department.lex_sarah


def _understood(tracker: Tracker, kind: str | None, area: str | None) -> str:
    language = language_of(tracker)
    parts = []
    if kind:
        parts.append(catalogs().term(language, "case_kind", kind))
    if area:
        parts.append(profile().department(area).display_name(language))
    return ", ".join(parts)


def volunteered(tracker: Tracker, slot: str) -> bool:
    """True when ``slot``'s value was taken from a message before its own question was asked.

    That is the message that started the form, or one that said more than the question asked; read from
    the tracker's events (which question was asked when the slot got its latest value). ``False`` for a
    slot without a value, and for one answered at its own question.
    """
    requested = taken_at = None
    for event in tracker.events:
        if event.get("event") != "slot":
            continue
        if event.get("name") == REQUESTED_SLOT:
            requested = event.get("value")
        elif event.get("name") == slot:
            taken_at = requested if event.get("value") is not None else slot
    return tracker.get_slot(slot) is not None and taken_at != slot


def asks_place(area: str | None) -> bool:
    """True when the profile says cases of ``area`` need a place."""
    try:
        return bool(area) and profile().department(str(area)).asks_place
    except KeyError:
        return False


def tells_of_event(kind: str | None) -> bool:
    """True unless ``kind`` is a suggestion: an idea has not happened anywhere or at any time.

    For a suggestion the form does not ask "när hände det?" and asks its place as "which place is it about?".
    """
    return kind != "suggestion"


class ValidateComplaintForm(GuidedFormValidation):
    """``validate_complaint_form``: which question comes next, and whether each answer is usable."""

    def name(self) -> str:
        """Rasa's name of this action."""
        return "validate_complaint_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Extract and validate as the SDK does, and say what was understood unasked.

        When the kind or the area was taken from a message before its question (the opening message, or
        more said than asked), one line (``utter_complaint_understood``) says so; the resident can
        correct it at the summary. A kind answer that names another department than the opening's, or a
        correction naming one right after the opening, replaces what the opening filled (:meth:`drop_other_area`).
        """
        requested = tracker.get_slot(REQUESTED_SLOT)
        dropped = self.drop_other_area(tracker)
        events = await super().run(dispatcher, tracker, domain)
        set_now = {event.get("name") for event in events if event.get("event") == "slot"}
        events = [SlotSet(slot, None) for slot in dropped if slot not in set_now] + events
        taken = {
            event["name"]: event["value"]
            for event in events
            if event.get("event") == "slot" and event.get("name") in (KIND, AREA) and event.get("value") is not None
        }
        if set(taken) - {requested}:
            kind = taken.get(KIND) or tracker.get_slot(KIND)
            area = taken.get(AREA) or tracker.get_slot(AREA)
            dispatcher.utter_message(response="utter_complaint_understood", understood=_understood(tracker, kind, area))
            if dropped:
                # What replaced the opening's reading comes before a hint about the question asked.
                dispatcher.messages.insert(0, dispatcher.messages.pop())
        return events

    def drop_other_area(self, tracker: Tracker) -> list[str]:
        """Forget what the opening filled when the next answer names another department; the slots forgotten.

        "hei, haluan kuulla miksi rakennuslupa kestää niin kauan" (why does the building permit take so long)
        starts the form with building permits and that text as the description; "haluun tehdä valituksen
        kotihoidosta, hoitajat vaihtuu koko ajan" (a complaint about home care, the carers keep changing)
        typed at the kind question is about something else: the department and description are forgotten,
        and the extraction that follows reads this message in their place. At a later question
        (:data:`CORRECTED_AT`) the first answer after the opening must also say no or that something is wrong
        (the lexicons' ``no`` and ``change`` words: "nej vänta, det gäller hemtjänsten" at the place question)
        and, at the date question, give no date (Finnish "hakemus jätettiin 14. huhtikuuta, ei oo tapahtunu
        mitään", the application was handed in on 14 April, nothing has happened, is the date);
        then the kind, department and description the opening filled are forgotten and this message is read
        as the one that starts the form (``requested_slot`` set to ``None`` in ``tracker`` for the extraction;
        the place or date the slot mapping took from it is dropped). Only slots the opening filled
        (:func:`volunteered`), only for a department other than the general one. The names returned are
        cleared in ``tracker`` and must be cleared by events too; ``[]`` when nothing is forgotten.
        """
        requested = tracker.get_slot(REQUESTED_SLOT)
        area = tracker.get_slot(AREA)
        if requested not in (KIND, *CORRECTED_AT) or area is None or not volunteered(tracker, AREA):
            return []
        text = self.answer_to(tracker, requested)
        if text is None or text.startswith("/") or self.urgent(tracker, text):
            return []
        named = self.chosen(tracker, text, area_options(tracker))
        if named in (None, area, profile().general_department.id):
            return []
        if requested == KIND:
            dropped = [AREA]
        else:
            # The conversation's own words only: Swedish "nä" is Polish "na" (on) without its accent.
            languages = answer_languages(tracker)[:1]
            corrects = {"again": [*group_words("no", languages), *group_words("change", languages)]}
            earlier = (KIND, AREA, DESCRIPTION, PLACE)
            answered = [s for s in earlier if s != requested and tracker.get_slot(s) and not volunteered(tracker, s)]
            if answered or self.chosen(tracker, text, corrects) is None or self.reads_as_date(tracker, text):
                return []
            dropped = [slot for slot in (KIND, AREA) if tracker.get_slot(slot) is not None] + [requested]
            tracker.slots[REQUESTED_SLOT] = None
            _drop_candidate(tracker, requested)
        if volunteered(tracker, DESCRIPTION):
            dropped += [DESCRIPTION, DESCRIPTION_LANGUAGE]
        for slot in dropped:
            tracker.slots[slot] = None
        return dropped

    def said_before_asked(self, tracker: Tracker, slot: str, earlier: tuple[str | None, ...]) -> str | None:
        """The resident's typed message when it came before ``slot``'s question, else ``None``.

        Before means: the question asked is one of ``earlier`` (``None``: the message that started the
        form) and ``slot`` has no answer yet.
        """
        requested = tracker.get_slot(REQUESTED_SLOT)
        if requested not in earlier or tracker.get_slot(slot) is not None:
            return None
        text = self.answer_to(tracker, requested)
        if text is None or text.startswith("/") or text.strip().isdigit() or self.urgent(tracker, text):
            return None
        return text

    async def extract_complaint_kind(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The kind, typed at its question or named in the message that started the form."""
        text = self.said_before_asked(tracker, KIND, (None,))
        if text is not None:
            options = kind_options(tracker)
            kind = self.chosen(tracker, text, options)
            if kind == "fault_report" and self.chosen(tracker, text, {kind: named_fault_words(tracker)}) is None:
                return {}  # a problem described, not a fault report named: the resident says which kind
            return {} if kind is None else {KIND: kind}
        return self.extract_answer(tracker, KIND, lambda typed: self.chosen(tracker, typed, kind_options(tracker)))

    async def extract_complaint_area(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The department, typed at its question or named earlier ("jag vill klaga på skolan").

        Named earlier, the general department is not taken (see the comment below).
        """
        text = self.said_before_asked(tracker, AREA, (None, KIND))
        if text is not None:
            # The general department is what fits no other: a message that names the municipality itself
            # ("an idea for the kommun") does not say which department, so the question is asked.
            area = self.chosen(tracker, text, area_options(tracker))
            return {} if area in (None, profile().general_department.id) else {AREA: area}
        return self.extract_answer(tracker, AREA, lambda typed: self.chosen(tracker, typed, area_options(tracker)))

    async def extract_complaint_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A message before the description question that already tells what happened.

        See :data:`MIN_VOLUNTEERED_DESCRIPTION_WORDS`. At its own question the slot's mapping reads the
        text, except a long message classified as a language change or cancel, which is taken here, and
        one classified as an emergency: 112 is said first (``utter_emergency``) and the text is kept, and
        praise or a suggestion that the triage classifier is unsure of (:data:`KINDS_WITHOUT_ALARM`).
        """
        asked = self.answer_to(tracker, DESCRIPTION)
        if asked is not None and intent_of(tracker) == "emergency" and not asked.startswith("/"):
            # Where to get help at once comes first; what the resident wrote is kept as the description
            # (a pothole where a child fell is a fault report; a real emergency also gets 112 first).
            dispatcher.utter_message(response="utter_emergency")
            return {DESCRIPTION: asked}
        if (
            asked is not None
            and intent_of(tracker) in URGENT
            and tracker.get_slot(KIND) in KINDS_WITHOUT_ALARM
            and intent_confidence(tracker) < CLEAR_ALARM
            and not asked.startswith("/")
        ):
            # Praise of the home-care staff "who are always patient with mum" is no abuse in care.
            return {DESCRIPTION: asked}
        if asked is not None and not asked.startswith("/") and unsure_alarm_outside_care(tracker):
            # Bullying told about a school ("boys push him at the breaks, I told the teacher three times")
            # is a complaint to the school, not Lex Sarah nor a crisis: 112 first, in case, and the text is kept.
            dispatcher.utter_message(response="utter_emergency")
            return {DESCRIPTION: asked}
        if asked is not None and intent_of(tracker) in ("change_language", "cancel"):
            # "…والعربيات بتخبط فيها" (the cars hit it) is not a wish to speak Arabic: a long message at this
            # question is the description; the slot's mapping leaves these intents to the rules.
            long_enough = len(asked.split()) >= MIN_VOLUNTEERED_DESCRIPTION_WORDS
            return {DESCRIPTION: asked} if long_enough and not asked.startswith("/") else {}
        text = self.said_before_asked(tracker, DESCRIPTION, (None, KIND, AREA))
        if text is None or len(text.split()) < MIN_VOLUNTEERED_DESCRIPTION_WORDS:
            return {}
        names_it = self.chosen(tracker, text, kind_options(tracker)) or self.chosen(
            tracker, text, area_options(tracker)
        )
        return {DESCRIPTION: text} if names_it or tracker.get_slot(REQUESTED_SLOT) is None else {}

    async def extract_complaint_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A name at its question that the classifier read as a language change, cancel, a person or an alarm.

        Taken when it is at most :data:`NAME_MAX_WORDS` words of letters, names no language, is no cancel
        word and the intent is below :data:`CLEAR_INTENT` (an alarm: below ``CLEAR_ALARM``; "Elias Berg"
        and "elias.berg@exempel.se" were abuse in care to the triage of set C, issue 14); other intents are
        read by the slot's mapping.
        """
        text = self.answer_to(tracker, NAME)
        intent = intent_of(tracker)
        if text is None or text.startswith("/") or intent not in (*MISREAD_AT_FREE_TEXT, *URGENT):
            return {}
        clear = CLEAR_ALARM if intent in URGENT else CLEAR_INTENT
        if intent_confidence(tracker) >= clear or next(tracker.get_latest_entity_values("language"), None):
            return {}
        cancel = {"cancel": group_words("cancel", answer_languages(tracker))}
        if len(text.split()) > NAME_MAX_WORDS or clean_name(text) is None or self.chosen(tracker, text, cancel):
            return {}
        return {NAME: text}

    async def extract_complaint_contact(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """An e-mail address or phone number at its question, whatever the classifier made of the message.

        Other intents than a language change, cancel, a person or an alarm are read by the slot's mapping; an
        alarm wins only as in ``alarm_wins``.
        """
        text = self.answer_to(tracker, CONTACT)
        intent = intent_of(tracker)
        if text is None or intent not in (*MISREAD_AT_FREE_TEXT, *URGENT):
            return {}
        if self.alarm_wins(tracker, text):
            return {}
        return {CONTACT: text} if find_email(text) or find_phone(text) else {}

    async def extract_complaint_date(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The typed date when it reads as one (or as "today" / "I don't know")."""

        def read(typed: str) -> str | None:
            try:
                return self._read_date(tracker, typed)
            except (DateInFuture, DateNotUnderstood):
                return None

        return self.extract_answer(tracker, DATE, read)

    async def extract_complaint_anonymous(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Yes/no, or the words for "anonymous" / "I want a reply"."""
        return self.extract_answer(tracker, ANONYMOUS, lambda typed: self.yes_no(tracker, typed, "anonymous", "named"))

    async def extract_complaint_consent(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Yes or no to the public-record notice; "skicka", "send it" (the lexicon's ``send`` words) are yes."""
        return self.extract_answer(tracker, CONSENT, lambda typed: self.yes_no(tracker, typed, "send", "no"))

    async def extract_complaint_cancel_confirm(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Yes or no to "do you want to cancel?"."""
        return self.extract_answer(tracker, CANCEL_CONFIRM, lambda typed: self.yes_no(tracker, typed))

    async def extract_complaint_reply_channel(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """E-mail or phone, typed."""
        return self.extract_answer(
            tracker, REPLY_CHANNEL, lambda typed: self.chosen(tracker, typed, channel_options(tracker))
        )

    async def extract_complaint_confirm(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Send, change or cancel, typed (or yes/no)."""
        return self.extract_answer(tracker, CONFIRM, lambda typed: self._read_confirm(tracker, typed))

    async def extract_complaint_edit(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Which answer to change, typed."""
        return self.extract_answer(tracker, EDIT, lambda typed: self.chosen(tracker, typed, edit_options(tracker)))

    def reads_as_date(self, tracker: Tracker, text: str) -> bool:
        """True at the date question when ``text`` gives a date (past or future) or "I don't know"."""
        if tracker.get_slot(REQUESTED_SLOT) != DATE:
            return False
        try:
            self._read_date(tracker, text)
        except DateNotUnderstood:
            return False
        except DateInFuture:
            return True
        return True

    def _read_date(self, tracker: Tracker, text: str) -> str:
        """``SKIPPED`` ("I don't know"), or the ISO date ``text`` means (see :func:`parse_event_date`).

        Raises:
            DateNotUnderstood: no date in ``text``.
            DateInFuture: the date is after today.
        """
        languages = answer_languages(tracker)
        if (
            text == SKIPPED
            or intent_of(tracker) == DONT_KNOW
            or self.chosen(tracker, text, {"dont_know": group_words("dont_know", languages)})
        ):
            return SKIPPED
        today = local_now().date()
        if self.chosen(tracker, text, {"today": ["today", *group_words("today", languages)]}) == "today":
            return today.isoformat()
        language = language_of(tracker)
        fmt = catalogs().get(language).format
        weekdays = [(index, fmt["weekdays"][key]) for index, key in enumerate(WEEKDAYS)]
        return parse_event_date(text, language, today, fmt.get("date_words") or {}, weekdays).isoformat()

    def _read_confirm(self, tracker: Tracker, text: str) -> str | None:
        """``send``, ``change``, ``cancel`` or ``None``, from buttons, the lexicon's words or yes/no."""
        if text == SEND or (intent_of(tracker) == "affirm" and text.startswith("/")):
            return SEND
        languages = answer_languages(tracker)
        labels = button_labels("utter_ask_complaint_confirm", languages)
        options = {
            SEND: [*group_words("send", languages)],
            CHANGE: [*labels.get(CHANGE, []), *group_words("change", languages)],
            CANCEL: group_words("cancel", languages),
        }
        found = self.chosen(tracker, text, options)
        if found is not None:
            return found
        answer = self.yes_no(tracker, text)
        return None if answer is None else SEND if answer else CHANGE

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        """The questions this resident must answer, given the answers so far (see the module docstring).

        A confirmed cancellation leaves none, which ends the form; :class:`ActionSubmitComplaint`
        then reports the cancellation.
        """
        if tracker.get_slot(CANCEL_CONFIRM) is True:
            return []
        slots = [KIND, AREA, DESCRIPTION]
        if asks_place(tracker.get_slot(AREA)):
            slots.append(PLACE)
        if tells_of_event(tracker.get_slot(KIND)):
            slots.append(DATE)
        slots.append(ANONYMOUS)
        if tracker.get_slot(ANONYMOUS) is False:
            slots += [NAME, CONTACT]
            if tracker.get_slot(EMAIL) and tracker.get_slot(PHONE):
                slots.append(REPLY_CHANNEL)
        slots.append(CONSENT)
        if tracker.get_slot(EDIT_REQUESTED):
            slots.append(EDIT)
        slots.append(CONFIRM)
        if tracker.get_slot(CANCEL_REQUESTED):
            slots.insert(0, CANCEL_CONFIRM)
        return slots

    async def validate_complaint_kind(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Complaint, fault report, suggestion or praise (button or typed word, any language)."""
        options = kind_options(tracker)
        return self.accept_choice(dispatcher, tracker, KIND, slot_value, options, "utter_complaint_kind_invalid")

    async def validate_complaint_area(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A department of the municipality profile (button or its name typed)."""
        options = area_options(tracker)
        return self.accept_choice(dispatcher, tracker, AREA, slot_value, options, "utter_complaint_area_invalid")

    async def validate_complaint_description(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Free text in any language, 10–4,000 characters; its language is kept with it.

        The language is the one the gateway detected for the message (``metadata.written_in``),
        else the conversation's.
        """
        text = str(slot_value or "").strip()
        if intent_of(tracker) == DONT_KNOW and len(text) < 40:
            return self.reject(dispatcher, tracker, DESCRIPTION, "utter_form_answer_required", repeat_question=True)
        if len(text) < MIN_DESCRIPTION_CHARS:
            return self.reject(
                dispatcher,
                tracker,
                DESCRIPTION,
                "utter_complaint_description_too_short",
                min_chars=MIN_DESCRIPTION_CHARS,
            )
        if len(text) > MAX_DESCRIPTION_CHARS:
            return self.reject(
                dispatcher,
                tracker,
                DESCRIPTION,
                "utter_complaint_description_too_long",
                max_chars=MAX_DESCRIPTION_CHARS,
            )
        metadata = (tracker.latest_message or {}).get("metadata") or {}
        written_in = metadata.get("written_in")
        if not catalogs().supports(written_in):
            written_in = tracker.get_slot(DESCRIPTION_LANGUAGE) or language_of(tracker)
        return self.accept(tracker, DESCRIPTION, text, **{DESCRIPTION_LANGUAGE: written_in})

    async def validate_complaint_place(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """An address or place, at most 200 characters; "I don't know" skips it."""
        text = " ".join(str(slot_value or "").split())
        if intent_of(tracker) == DONT_KNOW or text == SKIPPED:
            return self.accept(tracker, PLACE, SKIPPED)
        if len(text) < 2 or len(text) > MAX_PLACE_CHARS:
            return self.reject(dispatcher, tracker, PLACE, "utter_complaint_place_invalid", max_chars=MAX_PLACE_CHARS)
        return self.accept(tracker, PLACE, text)

    async def validate_complaint_date(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """When it happened: an ISO date in the slot, "I don't know" (skipped), or the resident's own words.

        "It has been like this since September" names no day: the words are kept as written (shown in
        the summary, added to the case's description) rather than asked for again. Never in the future.
        """
        text = " ".join(str(slot_value or "").split())
        try:
            return self.accept(tracker, DATE, self._read_date(tracker, text))
        except DateInFuture:
            return self.reject(dispatcher, tracker, DATE, "utter_complaint_date_future")
        except DateNotUnderstood:
            if sum(c.isalpha() for c in text) < 2 or len(text) > MAX_PLACE_CHARS:
                return self.reject(dispatcher, tracker, DATE, "utter_complaint_date_invalid")
            return self.accept(tracker, DATE, text)

    async def validate_complaint_anonymous(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Yes (anonymous: contact details are dropped) or no (they are asked next)."""
        answer = slot_value if isinstance(slot_value, bool) else self.yes_no(tracker, slot_value, "anonymous", "named")
        if answer is None:
            return self.reject(dispatcher, tracker, ANONYMOUS, "utter_complaint_yes_no_invalid")
        cleared = {slot: None for slot in CONTACT_SLOTS} if answer else {}
        return self.accept(tracker, ANONYMOUS, answer, **cleared)

    async def validate_complaint_name(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A name in letters of any script, at most 100 characters.

        A name typed with an e-mail address or a phone number ("Tomasz Kowalski, my phone is 072 345 67 89")
        gives the name (the first part before a comma, else the words left without the address and number,
        at most :data:`NAME_MAX_WORDS`) and the contact details, which are then not asked for.
        """
        text = str(slot_value or "")
        name = clean_name(text)
        contact = contact_values(text) if name is None else None
        if contact is not None:
            first = _CONTACT_SEPARATOR.split(text)[0]
            rest = _PHONE_LIKE.sub(" ", _EMAIL_LIKE.sub(" ", text))
            name = next(
                (n for n in (clean_name(first), clean_name(rest)) if n and len(n.split()) <= NAME_MAX_WORDS), None
            )
        if name is None:
            return self.reject(dispatcher, tracker, NAME, "utter_complaint_name_invalid")
        if contact is not None and not tracker.get_slot(CONTACT):
            return self.accept(tracker, NAME, name, **contact)
        return self.accept(tracker, NAME, name)

    async def validate_complaint_contact(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """An e-mail address and/or a phone number (Swedish numbers without a country code).

        With only one of them, replies go that way; with both, the resident is asked next.
        """
        contact = contact_values(str(slot_value or ""))
        if contact is None:
            return self.reject(dispatcher, tracker, CONTACT, "utter_complaint_contact_invalid")
        return self.accept(tracker, CONTACT, contact.pop(CONTACT), **contact)

    async def validate_complaint_reply_channel(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """E-mail or phone."""
        options = channel_options(tracker)
        invalid = "utter_complaint_reply_channel_invalid"
        return self.accept_choice(dispatcher, tracker, REPLY_CHANNEL, slot_value, options, invalid)

    async def validate_complaint_consent(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Yes is required: the case becomes a public record (allmän handling) once received."""
        answer = slot_value if isinstance(slot_value, bool) else self.yes_no(tracker, slot_value)
        if answer is None:
            return self.reject(dispatcher, tracker, CONSENT, "utter_complaint_yes_no_invalid")
        if not answer:
            return self.reject(dispatcher, tracker, CONSENT, "utter_complaint_consent_required")
        return self.accept(tracker, CONSENT, True)

    async def validate_complaint_confirm(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Send (yes), change a field (the next question asks which), or cancel (asked to confirm)."""
        answer = self._read_confirm(tracker, str(slot_value or ""))
        if answer == SEND:
            return self.accept(tracker, CONFIRM, SEND)
        if answer == CHANGE:
            return self.accept(tracker, CONFIRM, None, **{EDIT_REQUESTED: True})
        if answer == CANCEL:
            return self.accept(tracker, CONFIRM, None, **{CANCEL_REQUESTED: True})
        return self.reject(dispatcher, tracker, CONFIRM, "utter_complaint_confirm_invalid")

    async def validate_complaint_edit(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Which answer to change: that answer (and those depending on it) is asked again."""
        field = self.chosen(tracker, slot_value, edit_options(tracker))
        if field not in EDITABLE:
            return self.reject(dispatcher, tracker, EDIT, "utter_complaint_edit_invalid")
        cleared: dict[str, Any] = {slot: None for slot in EDITABLE[field]}
        if field == CONTACT:
            cleared[ANONYMOUS] = False
        return self.accept(tracker, EDIT, None, **cleared, **{EDIT_REQUESTED: None, CONFIRM: None})

    async def validate_complaint_cancel_confirm(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Yes ends the form without sending; no goes back to the question the resident was on."""
        answer = slot_value if isinstance(slot_value, bool) else self.yes_no(tracker, slot_value)
        if answer is None:
            return self.reject(dispatcher, tracker, CANCEL_CONFIRM, "utter_complaint_yes_no_invalid")
        if answer:
            return self.accept(tracker, CANCEL_CONFIRM, True)
        return self.accept(tracker, CANCEL_CONFIRM, None, **{CANCEL_REQUESTED: None})


def contact_values(text: str) -> dict[str, Any] | None:
    """``{contact, email, phone, reply_channel}`` slot values for the e-mail and phone number in ``text``.

    ``None`` when there is neither; the reply channel is the only way given, ``None`` with both.
    """
    email, phone = find_email(text), find_phone(text)
    if not email and not phone:
        return None
    channel = None if email and phone else "email" if email else "phone"
    shown = ", ".join(part for part in (email, phone) if part)
    return {CONTACT: shown, EMAIL: email, PHONE: phone, REPLY_CHANNEL: channel}


def _event_day(value: Any) -> date | None:
    """The date slot as a day, ``None`` when skipped or given in words."""
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _shown_date(value: str, language: str) -> str:
    day = _event_day(value)
    return value if day is None else catalogs().format_date(day, language)


def summary_lines(tracker: Tracker, language: str) -> str:
    """The resident's answers as ``Label: value`` lines in ``language`` (description shortened)."""
    cats = catalogs()
    labels = cats.get(language).terms["summary"]
    not_given = cats.term(language, "not_given")
    area = tracker.get_slot(AREA)
    lines = [
        (labels["kind"], cats.term(language, "case_kind", tracker.get_slot(KIND) or "complaint")),
        (labels["area"], profile().department(area).display_name(language) if area else not_given),
    ]
    description = str(tracker.get_slot(DESCRIPTION) or "")
    if len(description) > SUMMARY_DESCRIPTION_CHARS:
        description = description[:SUMMARY_DESCRIPTION_CHARS].rstrip() + " …"
    lines.append((labels["description"], description))
    if asks_place(area):
        place = tracker.get_slot(PLACE)
        lines.append((labels["place"], not_given if place in (None, SKIPPED) else str(place)))
    event_date = tracker.get_slot(DATE)
    if event_date is not None or tells_of_event(tracker.get_slot(KIND)):
        shown_date = not_given if event_date in (None, SKIPPED) else _shown_date(str(event_date), language)
        lines.append((labels["date"], shown_date))
    anonymous = tracker.get_slot(ANONYMOUS) is not False
    lines.append((labels["anonymous"], cats.term(language, "yes" if anonymous else "no")))
    if not anonymous:
        lines.append((labels["name"], str(tracker.get_slot(NAME) or not_given)))
        if tracker.get_slot(EMAIL):
            lines.append((labels["email"], str(tracker.get_slot(EMAIL))))
        if tracker.get_slot(PHONE):
            lines.append((labels["phone"], str(tracker.get_slot(PHONE))))
        channel = tracker.get_slot(REPLY_CHANNEL)
        if channel:
            lines.append((labels["reply_channel"], cats.term(language, "reply_channel", channel)))
        lines.append((labels["reply_language"], cats.get(language).name))
    return "\n".join(f"{label}: {value}" for label, value in lines)


class ActionAskComplaintConfirm(Action):
    """``action_ask_complaint_confirm``: show the summary and ask to send, change or cancel."""

    def name(self) -> str:
        """Rasa's name of this action."""
        return "action_ask_complaint_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Utter ``utter_ask_complaint_confirm`` with the summary of the answers (not right after a hint)."""
        if hinted_this_turn(tracker, CONFIRM):
            return []
        dispatcher.utter_message(
            response="utter_ask_complaint_confirm", summary=summary_lines(tracker, language_of(tracker))
        )
        return []


ASK_ACTIONS = ask_actions(
    (KIND, AREA, DESCRIPTION, DATE, ANONYMOUS, NAME, CONTACT, REPLY_CHANNEL, CONSENT, EDIT, CANCEL_CONFIRM)
)
"""``action_ask_complaint_<question>``: each question, not repeated after its hint."""


class AskPlace(AskQuestion):
    """``action_ask_complaint_place``: "where did it happen?", or for a suggestion "which place is it about?"."""

    slot = PLACE

    def name(self) -> str:
        """Rasa's name of this action."""
        return f"action_ask_{PLACE}"

    def response(self, tracker: Tracker) -> str:
        """``utter_ask_complaint_place_suggestion`` for a suggestion (nothing has happened), else the question."""
        suffix = "" if tells_of_event(tracker.get_slot(KIND)) else "_suggestion"
        return f"utter_ask_{PLACE}{suffix}"


class ActionRequestCancel(Action):
    """``action_request_cancel``: the resident said "stop"; the form asks whether to cancel."""

    def name(self) -> str:
        """Rasa's name of this action."""
        return "action_request_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Mark the cancellation as requested; the form's next question is the confirmation."""
        return [SlotSet(CANCEL_REQUESTED, True)]


def cleared_form(tracker: Tracker) -> list[EventType]:
    """Events that empty every slot of the form that holds a value (an empty one needs no event, issue 18)."""
    return [SlotSet(slot, None) for slot in FORM_SLOTS if tracker.get_slot(slot) is not None]


class ActionSubmitComplaint(Action):
    """``action_submit_complaint``: store the case (or report the cancellation) when the form ends."""

    def name(self) -> str:
        """Rasa's name of this action."""
        return "action_submit_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Store the case with a reference and a check code, queue the receipt and tell the resident.

        The resident hears the reference, the check code (shown only now), the handling department
        and both due dates as real dates in their language. The code goes to Rasa masked
        (``••••-••Z9``, catalog ``check_code_masked``) and sealed for the gateway
        (:func:`bot.core.internal_keys.seal`), which shows it in clear only in the reply it pushes to
        the resident; the tracker, the transcript and the staff console keep the masked form. On a
        database error the answers stay in the slots, so asking again sends them without a new round
        of questions.
        """
        if tracker.get_slot(CANCEL_CONFIRM) is True:
            dispatcher.utter_message(response="utter_complaint_cancelled")
            return cleared_form(tracker)
        if tracker.get_slot(CONFIRM) != SEND:
            return []
        language = language_of(tracker)
        anonymous = tracker.get_slot(ANONYMOUS) is not False
        area = tracker.get_slot(AREA) or profile().general_department.id
        place = tracker.get_slot(PLACE) if asks_place(area) else None
        event_date = tracker.get_slot(DATE)
        description = str(tracker.get_slot(DESCRIPTION) or "")
        if event_date not in (None, SKIPPED) and _event_day(event_date) is None:  # a date in the resident's words
            label = catalogs().get(language).terms["summary"]["date"]
            description = f"{description}\n\n{label}: {event_date}"
        code = new_check_code()
        case = await file_case(
            dispatcher,
            tracker,
            check_code=code,
            kind=tracker.get_slot(KIND) or "complaint",
            area=area,
            description=description,
            description_language=tracker.get_slot(DESCRIPTION_LANGUAGE) or language,
            place=None if place in (None, SKIPPED) else str(place),
            event_date=_event_day(event_date),
            anonymous=anonymous,
            contact_name=None if anonymous else tracker.get_slot(NAME),
            contact_email=None if anonymous else tracker.get_slot(EMAIL),
            contact_phone=None if anonymous else tracker.get_slot(PHONE),
            reply_channel=None if anonymous else tracker.get_slot(REPLY_CHANNEL),
            reply_language=language,
            consent_at=local_now(),
        )
        if case is None:
            return [SlotSet(CONFIRM, None)]
        cats = catalogs()
        shown = cats.system("check_code_masked", language, {"check_code": mask_check_code(code)})
        values = {
            "reference": case.reference,
            "check_code": shown,
            "department": profile().department(area).display_name(language),
            "acknowledgement_due": cats.format_date(case.acknowledgement_due, language),
            "reply_due": cats.format_date(case.reply_due, language),
        }
        # Rasa keeps the masked code; the gateway puts the sealed one in the reply the resident sees, once.
        # (Without KOMMUN_ACTION_TOKEN the action server answers nothing at all: bot/action_server.py.)
        secret = settings().action_token
        reveal = {"shown": shown, "sealed": seal(secret, code)} if secret else {}
        dispatcher.utter_message(
            response="utter_case_created_anonymous" if anonymous else "utter_case_created",
            json_message={"gateway": {"reveal": reveal}} if reveal else None,
            **values,
        )
        if case.contact_email and settings().smtp_configured:
            dispatcher.utter_message(response="utter_case_receipt_queued", receipt_email=case.contact_email)
        return [*cleared_form(tracker), SlotSet("case_reference", case.reference)]
