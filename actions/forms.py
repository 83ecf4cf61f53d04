"""What every form of the assistant does with answers: accept, reject with a hint, offer a person.

:class:`GuidedFormValidation` is the base of the forms' validation actions. A rejected answer gets a
message saying what is wrong and what a valid answer looks like; the second rejection of the same
question in a row adds an offer to talk to a person (button ``/request_human``). The count is kept in
the ``form_failures`` slot (``{slot name: failures in a row}``), so it survives restarts like the rest
of the tracker.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.answers import group_words, read_choice, says_crisis, says_harm, typed_languages
from actions.store import catalogs, language_of

FAILURES_SLOT = "form_failures"
HINT_SLOT = "form_hint"
"""Set to a slot's name when its answer was rejected with a hint: the hint re-asks, so the question is not repeated."""
OFFER_HUMAN_AFTER = 2
"""Rejections of the same question in a row after which a person is offered."""
SKIPPED = "-"
"""Slot value of an optional question the resident chose not to answer ("I don't know")."""

AFFIRM, DENY, DONT_KNOW = "affirm", "deny", "dont_know"
REQUESTED_SLOT = "requested_slot"
URGENT = ("emergency", "crisis", "care_abuse")
"""Intents that win over an answer (their rules answer at once), unless the message is a short plain answer."""
SHORT_ANSWER_WORDS = 3
"""A message of at most this many words that reads as an answer is an answer, whatever its intent."""
CLEAR_ALARM = 0.6
"""A longer message that reads as an answer to a choice question is an answer unless the triage
classifier is at least this sure of an alarm: "ні, я хочу шоб мені відповіли. мене звати …" (no, I want
a reply, my name is …) at the anonymity question was a crisis at 0.37. From here up to :data:`SURE_ALARM` the
message must also name a harm or a crisis (the lexicons' ``harm`` and ``crisis`` words)."""
SURE_ALARM = 0.8
"""From this confidence an alarm wins over an answer whatever its words. Below it, answers of a third set of
writers (issue 14, ninth session) were alarms: Polish "nie, moge sie podpisac" (no, I can sign it) an
emergency at 0.61, "nie, chce zeby ktos sie ze mna wreszcie skontaktowal" (no, I want someone to contact me at
last) a crisis at 0.62."""


def intent_of(tracker: Tracker) -> str | None:
    """Name of the intent of the latest resident message."""
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def intent_confidence(tracker: Tracker) -> float:
    """Confidence (0–1) of the intent of the latest resident message.

    For an alarm intent it is the triage classifier's probability of an alarm (``bot/triage.py``).
    """
    return float(((tracker.latest_message or {}).get("intent") or {}).get("confidence") or 0.0)


def typed_text(tracker: Tracker) -> str:
    """The text of the latest resident message (``""`` for none); a button's payload starts with ``/``."""
    return str((tracker.latest_message or {}).get("text") or "")


PASS_THROUGH_ACTIONS = ("action_listen", "action_extract_slots", "action_start_case_status")
"""Actions that run between a resident's message and a form without answering the message."""


def fresh_message(tracker: Tracker, form: str) -> bool:
    """True when nothing but ``form`` (and :data:`PASS_THROUGH_ACTIONS`) has run on the latest resident message.

    False when the form asks again after an interruption (an FAQ answer, a language change), so the
    interrupting message is not read a second time as an answer.
    """
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") not in (form, *PASS_THROUGH_ACTIONS):
            return False
    return False


def choice_entity(tracker: Tracker) -> str | None:
    """The ``choice`` entity of the latest message (a button payload ``/inform{"choice": …}``)."""
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == "choice" and entity.get("value") is not None:
            return str(entity["value"])
    return None


def answer_languages(tracker: Tracker) -> list[str]:
    """Languages a typed answer may be in: the conversation's, then Swedish and English (residents mix them in)."""
    return typed_languages(language_of(tracker))


def button_labels(response: str, languages: list[str]) -> dict[str, list[str]]:
    """Choice code → button titles of ``response`` in all ``languages`` (only ``/inform`` choice buttons)."""
    labels: dict[str, list[str]] = {}
    for language in languages:
        buttons = (catalogs().get(language).responses.get(response) or {}).get("buttons")
        if not isinstance(buttons, list):
            continue
        for button in buttons:
            payload = str(button.get("payload") or "")
            if payload.startswith("/inform{"):
                code = json.loads(payload[len("/inform") :]).get("choice")
                labels.setdefault(str(code), []).append(str(button["title"]))
    return labels


class GuidedFormValidation(FormValidationAction):
    """Base of the validation actions: shared rejection, retry counting and yes/no reading.

    Subclasses implement ``validate_<slot>`` methods that call :meth:`accept` or :meth:`reject`.
    """

    @abstractmethod
    def name(self) -> str:
        """Rasa's name of the action (``validate_<form>``); abstract, so the SDK does not register the base."""

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventType | None:
        """``requested_slot`` set to the first required slot without a value (``None``: the form is done).

        The SDK names it only when :meth:`required_slots` is overridden and otherwise leaves it to Rasa,
        which computes the same slot. Naming it always saves a round trip when a form starts: Rasa's
        form validates a second time, with the same tracker, when the first validation returned no
        event (``FormAction.do``), as the status lookup's did (issue 18, docs/benchmarks.md).
        """
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        return SlotSet(REQUESTED_SLOT, next((slot for slot in required if tracker.slots.get(slot) is None), None))

    @staticmethod
    def failures(tracker: Tracker) -> dict[str, int]:
        """Rejections in a row per slot in this form (a copy)."""
        return dict(tracker.get_slot(FAILURES_SLOT) or {})

    def accept(self, tracker: Tracker, slot: str, value: Any, **other: Any) -> dict[str, Any]:
        """Slot updates that accept ``value`` for ``slot`` and reset its rejection count.

        ``form_failures`` is set only when the slot had failures: a ``SlotSet`` to the value it already
        holds would be one more event that Rasa reads back and replays on every later turn (issue 18).
        """
        failures = self.failures(tracker)
        if failures.pop(slot, None) is None:
            return {slot: value, **other}
        return {slot: value, FAILURES_SLOT: failures, **other}

    def reject(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        slot: str,
        response: str,
        repeat_question: bool = False,
        **values: Any,
    ) -> dict[str, Any]:
        """Say what is wrong and what is accepted (``response``) and clear the slot.

        The hint is the new question (it lists the choices and carries the buttons), so the full
        question is not asked again after it (:class:`AskQuestion`), unless ``repeat_question``. On the
        second rejection in a row of the same slot, a person is offered too (``utter_form_offer_human``).
        """
        failures = self.failures(tracker)
        failures[slot] = failures.get(slot, 0) + 1
        dispatcher.utter_message(response=response, **values)
        if failures[slot] >= OFFER_HUMAN_AFTER:
            dispatcher.utter_message(response="utter_form_offer_human")
        return {slot: None, FAILURES_SLOT: failures, HINT_SLOT: None if repeat_question else slot}

    def yes_no(self, tracker: Tracker, value: Any, yes: str = "yes", no: str = "no") -> bool | None:
        """``True``/``False`` for a yes/no answer, else ``None``.

        Read in this order: a button (``/affirm``, ``/deny``); the lexicon's words of the question's
        own groups ``yes``/``no`` (e.g. ``anonymous``/``named``) and of plain yes and no, whichever comes
        first in the message ("nej, jag vill ha svar"); the intent affirm or deny.
        """
        text, intent = str(value or ""), intent_of(tracker)
        if not text.startswith("/"):
            languages = answer_languages(tracker)
            options = {"yes": group_words(yes, languages), "no": group_words(no, languages)}
            # Beside a plain group, the other plain group too: Tigrinya "እወ ጸገም የለን" (yes, no problem) at
            # the consent question ("send"/"no") was "no" from "የለን" while "እወ" came first.
            if no == "no" and yes != "yes":
                options["yes"] += group_words("yes", languages)
            if yes == "yes" and no != "no":
                options["no"] += group_words("no", languages)
            if (yes, no) != ("yes", "no"):
                specific = read_choice(text, options, languages)
                if specific is not None:
                    return specific == "yes"
                options = {"yes": group_words("yes", languages), "no": group_words("no", languages)}
            cats = catalogs()
            for code in languages:
                options["yes"].append(cats.term(code, "yes"))
                options["no"].append(cats.term(code, "no"))
            found = read_choice(text, options, languages)
            if found is not None:
                return found == "yes"
        if intent == AFFIRM:
            return True
        if intent == DENY:
            return False
        return None

    def accept_choice(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        slot: str,
        value: Any,
        options: dict[str, list[str]],
        invalid_response: str,
    ) -> dict[str, Any]:
        """Accept the option ``value`` picks (:meth:`chosen`), else reject it with ``invalid_response``."""
        choice = self.chosen(tracker, value, options)
        if choice is None:
            return self.reject(dispatcher, tracker, slot, invalid_response)
        return self.accept(tracker, slot, choice)

    def chosen(self, tracker: Tracker, value: Any, options: dict[str, list[str]]) -> str | None:
        """The option picked by a button (``choice`` entity) or typed (read against ``options``'s words)."""
        entity = choice_entity(tracker)
        if entity is not None:
            return entity if entity in options else None
        return read_choice(str(value or ""), options, answer_languages(tracker))

    def answer_to(self, tracker: Tracker, slot: str | None) -> str | None:
        """The resident's message when it may answer ``slot`` now, else ``None``.

        Now means: the question asked is ``slot`` (``None``: the form is starting) and no other action
        has handled the message yet.
        """
        if tracker.get_slot(REQUESTED_SLOT) != slot or not fresh_message(tracker, self.form_name()):
            return None
        return typed_text(tracker)

    @staticmethod
    def urgent(tracker: Tracker, text: str) -> bool:
        """True when an emergency, crisis or abuse-in-care intent must win over reading ``text`` as an answer."""
        return intent_of(tracker) in URGENT and len(text.split()) > SHORT_ANSWER_WORDS

    def alarm_wins(self, tracker: Tracker, text: str) -> bool:
        """True when an alarm reading must win over reading ``text`` as an answer.

        The message has more than :data:`SHORT_ANSWER_WORDS` words and the triage is sure (:data:`SURE_ALARM`),
        or clear (:data:`CLEAR_ALARM`) and the message names a harm or a crisis ("nej, han slår mig nu").
        """
        if not self.urgent(tracker, text) or intent_confidence(tracker) < CLEAR_ALARM:
            return False
        if intent_confidence(tracker) >= SURE_ALARM:
            return True
        language = language_of(tracker)
        return says_harm(text, language) or says_crisis(text, language)

    def extract_answer(self, tracker: Tracker, slot: str, read: Any) -> dict[str, Any]:
        """``{slot: value}`` when the message answers ``slot`` (``read(text)`` gives a value), else ``{}``.

        This runs before the intent is considered, so a typed answer that also looks like a question
        ("skolan", "gator och parker") answers the form; a message that is no answer is left to the
        rules (an FAQ answer, cancel, a person), or to the slot's own mapping, which asks again with a hint.
        An alarm wins over an answer when :meth:`alarm_wins`.
        """
        text = self.answer_to(tracker, slot)
        if text is None:
            return {}
        value = read(text)
        if value is None or self.alarm_wins(tracker, text):
            return {}
        return {slot: value}


def hinted_this_turn(tracker: Tracker, slot: str) -> bool:
    """True when ``slot``'s answer was rejected with a hint since the resident's latest message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "slot" and event.get("name") == HINT_SLOT and event.get("value") == slot:
            return True
    return False


class AskQuestion(Action, ABC):
    """``action_ask_<slot>``: ask the form's question ``utter_ask_<slot>``, unless a hint just asked it.

    Subclasses (:func:`ask_actions`) set :attr:`slot`; Rasa's form uses this action instead of the
    response when it exists.
    """

    slot = ""

    @abstractmethod
    def name(self) -> str:
        """``action_ask_<slot>``; abstract, so the SDK does not register the base."""

    def response(self, tracker: Tracker) -> str:
        """The response that asks the question: ``utter_ask_<slot>`` (subclasses may choose a variant)."""
        return f"utter_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Utter the question, or nothing after a hint in the same turn."""
        if not hinted_this_turn(tracker, self.slot):
            dispatcher.utter_message(response=self.response(tracker))
        return []


def ask_actions(slots: tuple[str, ...]) -> list[type[AskQuestion]]:
    """One :class:`AskQuestion` subclass per slot (keep the list at module level: the SDK finds them by subclass)."""

    def make(slot: str) -> type[AskQuestion]:
        def name(self: AskQuestion) -> str:
            return f"action_ask_{slot}"

        return type(
            f"AskQuestion_{slot}", (AskQuestion,), {"slot": slot, "name": name, "__doc__": f"``action_ask_{slot}``."}
        )

    return [make(slot) for slot in slots]
