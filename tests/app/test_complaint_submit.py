"""Submitting the complaint form on both stores: every field, the check code, the receipt, anonymity."""

from __future__ import annotations

from datetime import date

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import complaint as c
from actions.complaint import ActionSubmitComplaint
from bot.core.internal_keys import unseal
from bot.store import conversations as convs
from bot.store.cases import list_cases, verify_check_code
from bot.store.models import Notification, StaffMember
from tests.app.conftest import ACTION_TOKEN
from tests.helpers.trackers import responses, tracker
from tests.unit.test_complaint_form import DOMAIN, FULL


async def test_submit_stores_every_field_a_check_code_and_queues_the_receipt(action_db):
    async with action_db() as s, s.begin():
        conversation, _ = await convs.create_conversation(s, "ar")
        s.add(StaffMember(username="amina", display_name="Amina", password_hash="x", languages=["sv", "ar"]))
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitComplaint().run(dispatcher, tracker(FULL, sender=conversation.id), DOMAIN)
    async with action_db() as s:
        case = (await list_cases(s))[0]
        receipts = list((await s.execute(select(Notification).where(Notification.case_id == case.id))).scalars())
    assert (case.kind, case.area, case.place, case.event_date) == ("fault_report", "streets_parks", "Storgatan 5",
                                                                   date(2026, 11, 16))  # fmt: skip
    assert (case.contact_name, case.contact_email, case.contact_phone) == ("محمد علي", "m@example.se", FULL[c.PHONE])
    assert (case.reply_channel, case.reply_language, case.description_language) == ("phone", "ar", "ar")
    assert case.anonymous is False and case.consent_at is not None
    assert case.interpreter_needed is False  # a staff member speaks Arabic
    message = dispatcher.messages[0]
    assert message["response"] == "utter_case_created" and message["reference"] == case.reference
    assert message["department"] == "الشوارع والحدائق"
    reveal = message["custom"]["gateway"]["reveal"]
    code = unseal(ACTION_TOKEN, reveal["sealed"])
    assert verify_check_code(case.check_code_hash, code)
    assert code not in case.check_code_hash
    # Rasa gets the code masked only (its tracker keeps every event); the gateway opens the sealed one
    assert code not in str({k: v for k, v in message.items() if k != "custom"})
    assert reveal["shown"] == message["check_code"] == f"\u2068••••-••{code[-2:]}\u2069 (مخفي)"
    assert len(receipts) == 1 and receipts[0].recipient == "m@example.se" and receipts[0].status == "queued"
    assert code in receipts[0].body and case.reference in receipts[0].subject
    assert SlotSet("case_reference", case.reference) in events and SlotSet(c.EMAIL, None) in events


async def test_anonymous_submit_keeps_no_contact_and_flags_an_interpreter(action_db):
    slots = {**FULL, "language": "so", c.ANONYMOUS: True, c.DESCRIPTION_LANGUAGE: "so"}
    dispatcher = CollectingDispatcher()
    await ActionSubmitComplaint().run(dispatcher, tracker(slots, sender="unknown"), DOMAIN)
    async with action_db() as s:
        case = (await list_cases(s))[0]
        receipts = list((await s.execute(select(Notification).where(Notification.case_id == case.id))).scalars())
    assert case.anonymous is True and case.contact_email is None and case.contact_name is None
    assert case.interpreter_needed is True and receipts == []
    assert responses(dispatcher) == ["utter_case_created_anonymous"]
