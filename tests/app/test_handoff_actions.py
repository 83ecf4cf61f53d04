"""The handoff action on both stores (SQLite and PostgreSQL): the case it logs, the queue place, the form's answers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandoff
from bot.store import conversations as convs
from bot.store.cases import list_cases
from tests.helpers.trackers import tracker
from tests.unit.test_actions import DOMAIN


async def test_handoff_logs_a_waiting_case_and_pauses(action_db):
    async with action_db() as s, s.begin():
        conversation, _ = await convs.create_conversation(s, "sv")
    dispatcher = CollectingDispatcher()
    t = tracker({"language": "sv"}, text="jag vill prata med en människa", intent="request_human",
                sender=conversation.id)  # fmt: skip
    events = await ActionHandoff().run(dispatcher, t, DOMAIN)
    async with action_db() as s:
        case = (await list_cases(s))[0]
    assert case.status == "waiting_for_staff" and case.kind == "question"
    assert ConversationPaused() in events
    assert dispatcher.messages[0]["custom"] == {"gateway": {"mode": "waiting", "reference": case.reference}}
    assert dispatcher.messages[1]["response"] in ("utter_handoff", "utter_handoff_closed")
    assert dispatcher.messages[1]["reference"] == case.reference


async def test_handoff_in_opening_hours_gives_queue_place_and_wait_outside_them_the_contact_date(
    action_db, monkeypatch
):
    import actions.handoff as h

    async with action_db() as s, s.begin():
        first, _ = await convs.create_conversation(s, "sv")
        second, _ = await convs.create_conversation(s, "ar")
        third, _ = await convs.create_conversation(s, "so")
    monday_morning = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
    monkeypatch.setattr(h, "local_now", lambda: monday_morning)
    await ActionHandoff().run(CollectingDispatcher(), tracker({"language": "sv"}, sender=first.id), DOMAIN)
    open_hours = CollectingDispatcher()
    await ActionHandoff().run(open_hours, tracker({"language": "ar"}, sender=second.id), DOMAIN)
    said = open_hours.messages[1]
    assert said["response"] == "utter_handoff"
    assert said["position"] >= 2 and said["wait_minutes"] >= 1  # someone is ahead in the queue
    saturday_night = datetime(2026, 11, 28, 22, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
    monkeypatch.setattr(h, "local_now", lambda: saturday_night)
    closed = CollectingDispatcher()
    await ActionHandoff().run(closed, tracker({"language": "so"}, sender=third.id), DOMAIN)
    assert closed.messages[1]["response"] == "utter_handoff_closed"
    assert closed.messages[1]["acknowledgement_due"]  # a date in Somali, from the working-day deadline


async def test_handoff_mid_form_keeps_the_answers_in_the_case_and_empties_the_form(action_db):
    async with action_db() as s, s.begin():
        conversation, _ = await convs.create_conversation(s, "ar")
    slots = {
        "language": "ar",
        "complaint_kind": "complaint",
        "complaint_area": "social_care",
        "complaint_description": "الموظفون في دار المسنين يصرخون على أمي",
        "complaint_description_language": "ar",
    }
    t = tracker(slots, text="أريد التحدث مع موظف", intent="request_human", sender=conversation.id)  # fmt: skip
    events = await ActionHandoff().run(CollectingDispatcher(), t, DOMAIN)
    async with action_db() as s:
        case = (await list_cases(s))[0]
    assert (case.kind, case.area, case.description_language) == ("complaint", "social_care", "ar")
    assert case.description == slots["complaint_description"]
    assert SlotSet("complaint_description", None) in events and SlotSet("complaint_kind", None) in events
