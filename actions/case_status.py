"""Status lookup of a case by its reference number and check code.

A wrong code and an unknown reference get the same answer, and take the same time (a dummy argon2
check), so nobody can probe which reference numbers exist. After 5 failed lookups in a conversation,
or of one reference in any conversations, or 10 from one client address (the gateway's keyed digest in
the message's ``metadata.client``), lookups pause for 15 minutes
(:func:`bot.store.lookups.lookup_paused_until`).

The check code a resident types is never kept in clear (issue 17): the gateway sends Rasa the message
with the code masked and the code sealed in ``metadata.check_code`` (:meth:`bot.chat.intake.Intake.receive`),
the slot holds it sealed again (:func:`bot.core.internal_keys.seal`), and only
``action_check_case_status`` opens it, in the same turn. ``action_ask_status_check_code`` tells the gateway
that the next message answers the question for the code (``{"gateway": {"asks": "check_code"}}``).
"""

from __future__ import annotations

import math
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.forms import FAILURES_SLOT, SHORT_ANSWER_WORDS, SKIPPED, AskQuestion, GuidedFormValidation, ask_actions
from actions.store import catalogs, language_of, profile, settings, unit_of_work
from bot.chat.reveal import CHECK_CODE_QUESTION
from bot.core.internal_keys import seal, unseal
from bot.core.passwords import run_hashing
from bot.store.cases import (
    check_code_needs_rehash,
    find_case,
    find_check_code,
    hash_check_code,
    normalize_check_code,
    parse_reference,
    verify_check_code,
)
from bot.store.lookups import lookup_paused_until, record_lookup
from bot.store.models import utcnow

REFERENCE = "status_reference"
CHECK_CODE = "status_check_code"
PAUSED = "status_lookup_paused"
STATUS_SLOTS = (REFERENCE, CHECK_CODE, PAUSED, FAILURES_SLOT)


def _minutes_left(until: Any) -> int:
    return max(1, math.ceil((until - utcnow()).total_seconds() / 60))


async def _paused_until(conversation_id: str, client: str | None) -> Any:
    async with unit_of_work() as session:
        return await lookup_paused_until(session, conversation_id, client=client)


def client_of(tracker: Tracker) -> str | None:
    """The gateway's keyed digest of the resident's client address (``metadata.client``), if any."""
    client = ((tracker.latest_message or {}).get("metadata") or {}).get("client")
    return str(client)[:24] if client else None


def typed_check_code(tracker: Tracker) -> str | None:
    """The check code the gateway took out of the latest message (``metadata.check_code``, sealed), if any."""
    sealed = ((tracker.latest_message or {}).get("metadata") or {}).get("check_code")
    return normalize_check_code(unseal(settings().action_token, sealed) or "")


def sealed_check_code(code: str) -> str:
    """``code`` sealed for the slot, so Rasa's tracker store never holds it in clear.

    Without ``KOMMUN_ACTION_TOKEN`` (only in tests: the action server does not answer without it) the
    code stays as it is.
    """
    secret = settings().action_token
    return seal(secret, code) if secret else code


def opened_check_code(value: Any) -> str | None:
    """The check code of a slot value: sealed by :func:`sealed_check_code`, or in clear."""
    return normalize_check_code(unseal(settings().action_token, value) or str(value or ""))


class ActionStartCaseStatus(Action):
    """``action_start_case_status``: before asking anything, check whether lookups are paused.

    When they are, the resident is told for how long, and both questions are pre-answered with
    :data:`~actions.forms.SKIPPED` so the form ends at once without asking.
    """

    def name(self) -> str:
        """Rasa's name of this action."""
        return "action_start_case_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Clear earlier answers; pre-answer with ``-`` while lookups are paused."""
        try:
            until = await _paused_until(tracker.sender_id, client_of(tracker))
        except SQLAlchemyError:
            until = None
        if until is None:
            # Only answers left over from an interrupted lookup are cleared (a slot set here is validated
            # when the form starts; the validators take None as "not answered yet").
            return [SlotSet(slot, None) for slot in STATUS_SLOTS if tracker.get_slot(slot) is not None]
        dispatcher.utter_message(response="utter_case_status_paused", minutes=_minutes_left(until))
        return [SlotSet(PAUSED, True), SlotSet(REFERENCE, SKIPPED), SlotSet(CHECK_CODE, SKIPPED)]


class ValidateCaseStatusForm(GuidedFormValidation):
    """``validate_case_status_form``: a reference number, then the check code (both may come at once)."""

    def name(self) -> str:
        """Rasa's name of this action."""
        return "validate_case_status_form"

    async def extract_status_reference(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A reference (and code) in the message that started the lookup ("hur går det med SYN-2026-00042?")."""
        text = self.answer_to(tracker, None)
        if text is None or tracker.get_slot(PAUSED) or parse_reference(text) is None:
            return {}
        return {REFERENCE: text}

    async def extract_status_check_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The code at its own question whatever the intent, unless a clear alarm (``CLEAR_ALARM``) wins.

        A code reads as anything to the classifier: Polish "kod mam taki ••••-••••" (the code masked by the
        gateway) is a crisis at 0.42, and the slot's own mapping leaves alarms to their rules (issue 14).
        The code itself is the one the gateway sealed in the metadata, else one in the text.
        """
        if tracker.get_slot(PAUSED):
            return {}
        sealed, typed = typed_check_code(tracker), self.answer_to(tracker, CHECK_CODE)
        if sealed and typed is not None and len(typed.split()) <= SHORT_ANSWER_WORDS + 1:
            # The gateway found a code in a short message: "the code is ••••-••••" read as an emergency at 0.9
            # is the answer. A longer one with a clear alarm still goes to its rule.
            return {CHECK_CODE: sealed_check_code(sealed)}

        def read(text: str) -> str | None:
            code = sealed or find_check_code(text)
            return sealed_check_code(code) if code else None

        return self.extract_answer(tracker, CHECK_CODE, read)

    async def validate_status_reference(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A reference like ``SYN-2026-00042`` in any spelling; a check code in the same message is kept too."""
        if slot_value is None:  # cleared by action_start_case_status just before the form: nothing typed yet
            return {REFERENCE: None}
        text = str(slot_value)
        if text == SKIPPED and tracker.get_slot(PAUSED):
            return {REFERENCE: SKIPPED}
        reference = parse_reference(text)
        if reference is None:
            return self.reject(dispatcher, tracker, REFERENCE, "utter_status_reference_invalid")
        code = typed_check_code(tracker) or find_check_code(text.replace(reference, " "))
        return self.accept(tracker, REFERENCE, reference, **({CHECK_CODE: sealed_check_code(code)} if code else {}))

    async def validate_status_check_code(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Eight letters and digits; case, spaces and dashes do not matter."""
        if slot_value is None:
            return {CHECK_CODE: None}
        text = str(slot_value)
        if text == SKIPPED and tracker.get_slot(PAUSED):
            return {CHECK_CODE: SKIPPED}
        code = typed_check_code(tracker) or opened_check_code(text) or find_check_code(text)
        if code is None:
            return self.reject(dispatcher, tracker, CHECK_CODE, "utter_status_check_code_invalid")
        return self.accept(tracker, CHECK_CODE, sealed_check_code(code))


ASK_ACTIONS = ask_actions((REFERENCE,))
"""``action_ask_status_reference``: not repeated after its hint."""


class AskStatusCheckCode(AskQuestion):
    """``action_ask_status_check_code``: the question (not repeated after its hint), and a word to the gateway.

    The gateway is told that the answer is a check code, to be stored masked.
    """

    slot = CHECK_CODE

    def name(self) -> str:
        """Rasa's name of this action."""
        return "action_ask_status_check_code"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Ask (unless a hint just did), then the instruction ``{"gateway": {"asks": "check_code"}}``."""
        events = await super().run(dispatcher, tracker, domain)
        dispatcher.utter_message(json_message={"gateway": {"asks": CHECK_CODE_QUESTION}})
        return events


class ActionCheckCaseStatus(Action):
    """``action_check_case_status``: answer with status, department and due dates, or "not found"."""

    def name(self) -> str:
        """Rasa's name of this action."""
        return "action_check_case_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Look the case up, record the attempt, answer in the resident's language, clear the answers.

        A matching code whose hash has older parameters (the 64 MiB default before issue 18) is hashed
        again with :data:`bot.core.passwords.CHECK_CODE`.
        """
        cleared = [SlotSet(slot, None) for slot in STATUS_SLOTS if tracker.get_slot(slot) is not None]
        reference, code = tracker.get_slot(REFERENCE), tracker.get_slot(CHECK_CODE)
        if tracker.get_slot(PAUSED) or not reference or not code or SKIPPED in (reference, code):
            return cleared
        language = language_of(tracker)
        cats, prof = catalogs(), profile()
        try:
            async with unit_of_work() as session:
                keys = {"reference": str(reference), "client": client_of(tracker)}
                until = await lookup_paused_until(session, tracker.sender_id, **keys)
                if until is not None:
                    dispatcher.utter_message(response="utter_case_status_paused", minutes=_minutes_left(until))
                    return cleared
                case = await find_case(session, str(reference))
                code_hash = case.check_code_hash if case is not None else None
                opened = opened_check_code(code) or ""
                found = await run_hashing(verify_check_code, code_hash, opened)
                await record_lookup(session, tracker.sender_id, found, **keys)
                if found and case is not None and code_hash is not None and check_code_needs_rehash(code_hash):
                    case.check_code_hash = await run_hashing(hash_check_code, opened)
                if found and case is not None:
                    department = prof.department(case.area) if case.area else prof.general_department
                    dispatcher.utter_message(
                        response="utter_case_status_found",
                        reference=case.reference,
                        status=cats.term(language, "case_status", case.status),
                        department=department.display_name(language),
                        acknowledgement_due=cats.format_date(case.acknowledgement_due, language),
                        reply_due=cats.format_date(case.reply_due, language),
                    )
                else:
                    dispatcher.utter_message(response="utter_case_status_not_found")
        except (SQLAlchemyError, OSError):
            dispatcher.utter_message(response="utter_case_failed", phone=prof.phone)
        return cleared
