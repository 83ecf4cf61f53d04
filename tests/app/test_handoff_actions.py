"""The handoff action on both stores (SQLite and PostgreSQL): the case it logs, the queue place, the form's answers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.handoff import ActionHandoff
from bot.store import conversations as convs
from bot.store import reach
from bot.store.cases import list_cases
from bot.store.models import Notification
from tests.helpers.trackers import responses, tracker
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
    assert dispatcher.messages[1]["response"] in ("utter_handoff_nobody", "utter_handoff_closed")
    assert dispatcher.messages[1]["reference"] == case.reference


async def test_handoff_with_someone_available_gives_queue_place_and_wait_at_night_asks_how_to_reach(
    action_db, monkeypatch
):
    import actions.handoff as h

    async with action_db() as s, s.begin():
        first, _ = await convs.create_conversation(s, "sv")
        second, _ = await convs.create_conversation(s, "ar")
        third, _ = await convs.create_conversation(s, "so")
    monday_morning = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
    monkeypatch.setattr(h, "local_now", lambda: monday_morning)
    someone = {"staff_available": True}
    await ActionHandoff().run(
        CollectingDispatcher(), tracker({"language": "sv"}, sender=first.id, metadata=someone), DOMAIN
    )
    open_hours = CollectingDispatcher()
    await ActionHandoff().run(open_hours, tracker({"language": "ar"}, sender=second.id, metadata=someone), DOMAIN)
    said = open_hours.messages[1]
    assert said["response"] == "utter_handoff"
    assert said["position"] >= 2 and said["wait_minutes"] >= 1  # someone is ahead in the queue
    saturday_night = datetime(2026, 11, 28, 22, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
    monkeypatch.setattr(h, "local_now", lambda: saturday_night)
    closed = CollectingDispatcher()
    await ActionHandoff().run(closed, tracker({"language": "so"}, sender=third.id), DOMAIN)
    assert responses(closed)[1:] == ["utter_handoff_closed", "utter_ask_handoff_contact"]  # no date without a channel


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


MONDAY_MORNING = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
NIGHT = datetime(2026, 12, 3, 1, 0, tzinfo=ZoneInfo("Europe/Stockholm"))


async def _handoff(action_db, monkeypatch, now, intent, metadata=None, language="sv"):
    import actions.handoff as h

    monkeypatch.setattr(h, "local_now", lambda: now)
    async with action_db() as s, s.begin():
        conversation, _ = await convs.create_conversation(s, language)
    dispatcher = CollectingDispatcher()
    t = tracker({"language": language}, text="…", intent=intent, sender=conversation.id, metadata=metadata)
    await ActionHandoff().run(dispatcher, t, DOMAIN)
    async with action_db() as s:
        case = (await list_cases(s))[0]
        state = await reach.contact_state(s, case.id)
        notices = (await s.execute(select(Notification).where(Notification.case_id == case.id))).scalars().all()
    return dispatcher, case, state, notices


async def test_crisis_at_night_gives_help_lines_again_no_connecting_and_asks_how_to_reach(action_db, monkeypatch):
    dispatcher, case, state, notices = await _handoff(action_db, monkeypatch, NIGHT, "crisis")
    assert responses(dispatcher)[1:] == ["utter_crisis_nobody_now", "utter_handoff_closed", "utter_ask_handoff_contact"]
    assert state == "asked"
    # out of hours, the department's functional mailbox is told at once: no description, no contact details
    assert [(n.kind, n.recipient) for n in notices] == [("department_notice", "kontakt@exempelby.example")]
    assert case.reference in notices[0].body and f"/staff/cases/{case.reference}" in notices[0].body
    assert "…" not in notices[0].body


async def test_lex_sarah_in_opening_hours_with_nobody_signed_in_does_not_connect(action_db, monkeypatch):
    dispatcher, _, state, notices = await _handoff(action_db, monkeypatch, MONDAY_MORNING, "care_abuse", {}, "ar")
    said = responses(dispatcher)[1:]
    assert said == ["utter_care_abuse_nobody_now", "utter_handoff_nobody", "utter_ask_handoff_contact"]
    assert state == "asked" and notices == []  # in opening hours the department hears after unclaimed_minutes


async def test_with_a_case_officer_available_the_queue_place_is_given_and_nothing_asked(action_db, monkeypatch):
    metadata = {"staff_available": True}
    dispatcher, _, state, notices = await _handoff(action_db, monkeypatch, NIGHT, "crisis", metadata)
    assert responses(dispatcher)[1:] == ["utter_handoff"]
    assert state is None and notices == []
