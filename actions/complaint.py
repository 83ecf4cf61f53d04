"""The complaint form (walking skeleton): a description and an optional e-mail, then a case."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.store import catalogs, file_case, language_of

MIN_DESCRIPTION_CHARS = 10
MAX_DESCRIPTION_CHARS = 4000
NO_EMAIL = "-"
"""Slot value meaning "the resident chose not to give an e-mail address" (anonymous)."""

_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\".]{2,}$")


def is_email(text: str) -> bool:
    """A plausible e-mail address (one ``@``, a dot in the domain, no spaces); not a deliverability check."""
    return len(text) <= 254 and bool(_EMAIL.match(text))


class ValidateComplaintForm(FormValidationAction):
    """``validate_complaint_form``: checks each answer and says plainly what is wrong."""

    def name(self) -> str:
        """Rasa's name of this action."""
        return "validate_complaint_form"

    async def validate_complaint_description(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept 10 to 4,000 characters of free text in any language."""
        text = str(slot_value or "").strip()
        if len(text) < MIN_DESCRIPTION_CHARS:
            dispatcher.utter_message(response="utter_complaint_description_too_short")
            return {"complaint_description": None}
        if len(text) > MAX_DESCRIPTION_CHARS:
            dispatcher.utter_message(response="utter_complaint_description_too_long", max_chars=MAX_DESCRIPTION_CHARS)
            return {"complaint_description": None}
        return {"complaint_description": text}

    async def validate_complaint_email(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept an e-mail address, or "no" (the case is then anonymous and gets no reply)."""
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        text = str(slot_value or "").strip()
        if intent == "deny" and not is_email(text):
            return {"complaint_email": NO_EMAIL}
        if is_email(text):
            return {"complaint_email": text}
        dispatcher.utter_message(response="utter_complaint_email_invalid")
        return {"complaint_email": None}


class ActionSubmitComplaint(Action):
    """``action_submit_complaint``: store the case and tell the resident its number and due dates."""

    def name(self) -> str:
        """Rasa's name of this action."""
        return "action_submit_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Create the case; on a database error keep the answers and say how else to reach us."""
        language = language_of(tracker)
        email = tracker.get_slot("complaint_email")
        case = await file_case(
            dispatcher,
            tracker,
            kind="complaint",
            description=str(tracker.get_slot("complaint_description") or ""),
            contact_email=None if email in (None, NO_EMAIL) else str(email),
        )
        if case is None:
            return []
        cats = catalogs()
        dispatcher.utter_message(
            response="utter_case_created",
            reference=case.reference,
            acknowledgement_due=cats.format_date(case.acknowledgement_due, language),
            reply_due=cats.format_date(case.reply_due, language),
        )
        return [
            SlotSet("case_reference", case.reference),
            SlotSet("complaint_description", None),
            SlotSet("complaint_email", None),
        ]
