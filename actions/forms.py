"""What every form of the assistant does with answers: accept, reject with a hint, offer a person.

:class:`GuidedFormValidation` is the base of the forms' validation actions. A rejected answer gets a
message saying what is wrong and what a valid answer looks like; the second rejection of the same
question in a row adds an offer to talk to a person (button ``/request_human``). The count is kept in
the ``form_failures`` slot (``{slot name: failures in a row}``), so it survives restarts like the rest
of the tracker.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fields import match_choice
from actions.store import catalogs, language_of

FAILURES_SLOT = "form_failures"
OFFER_HUMAN_AFTER = 2
"""Rejections of the same question in a row after which a person is offered."""
SKIPPED = "-"
"""Slot value of an optional question the resident chose not to answer ("I don't know")."""

AFFIRM, DENY, DONT_KNOW = "affirm", "deny", "dont_know"


def intent_of(tracker: Tracker) -> str | None:
    """Name of the intent of the latest resident message."""
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def choice_entity(tracker: Tracker) -> str | None:
    """The ``choice`` entity of the latest message (a button payload ``/inform{"choice": …}``)."""
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == "choice" and entity.get("value") is not None:
            return str(entity["value"])
    return None


def answer_languages(tracker: Tracker) -> list[str]:
    """Languages a typed answer may be in: the conversation's, then Swedish and English (residents mix them in)."""
    return list(dict.fromkeys([language_of(tracker), "sv", "en"]))


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

    @staticmethod
    def failures(tracker: Tracker) -> dict[str, int]:
        """Rejections in a row per slot in this form (a copy)."""
        return dict(tracker.get_slot(FAILURES_SLOT) or {})

    def accept(self, tracker: Tracker, slot: str, value: Any, **other: Any) -> dict[str, Any]:
        """Slot updates that accept ``value`` for ``slot`` and reset its rejection count."""
        failures = self.failures(tracker)
        failures.pop(slot, None)
        return {slot: value, FAILURES_SLOT: failures, **other}

    def reject(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, response: str, **values: Any
    ) -> dict[str, Any]:
        """Say what is wrong (``response``) and clear the slot so the question is asked again.

        On the second rejection in a row of the same slot, also offer a person
        (``utter_form_offer_human``).
        """
        failures = self.failures(tracker)
        failures[slot] = failures.get(slot, 0) + 1
        dispatcher.utter_message(response=response, **values)
        if failures[slot] >= OFFER_HUMAN_AFTER:
            dispatcher.utter_message(response="utter_form_offer_human")
        return {slot: None, FAILURES_SLOT: failures}

    def yes_no(self, tracker: Tracker, value: Any) -> bool | None:
        """``True``/``False`` for an affirm/deny answer or a typed yes/no word, else ``None``."""
        intent = intent_of(tracker)
        if intent == AFFIRM:
            return True
        if intent == DENY:
            return False
        cats, languages = catalogs(), answer_languages(tracker)
        options = {
            "yes": [cats.term(code, "yes") for code in languages],
            "no": [cats.term(code, "no") for code in languages],
        }
        found = match_choice(str(value or ""), options)
        return None if found is None else found == "yes"

    def chosen(self, tracker: Tracker, value: Any, options: dict[str, list[str]]) -> str | None:
        """The option picked by a button (``choice`` entity) or typed (matched against ``options``)."""
        entity = choice_entity(tracker)
        if entity is not None:
            return entity if entity in options else None
        return match_choice(str(value or ""), options)
