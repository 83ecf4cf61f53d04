"""Custom actions run without Rasa: inline trackers, a real database, the real catalogs."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandoff
from actions.language import ActionChangeLanguage
from actions.session import ActionSessionStart
from bot.store import conversations as convs
from bot.store.cases import list_cases
from tests.helpers.trackers import responses, tracker

DOMAIN: dict[str, Any] = {"slots": {"language": {}, "case_reference": {}}, "forms": {}}


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


async def test_change_language():
    dispatcher = CollectingDispatcher()
    entity = [{"entity": "language", "value": "en"}]
    events = await ActionChangeLanguage().run(dispatcher, tracker(entities=entity, intent="change_language"), DOMAIN)
    assert events == [SlotSet("language", "en")]
    assert dispatcher.messages[0]["custom"] == {"gateway": {"language": "en"}}
    assert dispatcher.messages[1]["response"] == "utter_language_changed"
    assert dispatcher.messages[1]["language"] == "en"
    in_form = CollectingDispatcher()
    form_tracker = tracker(entities=entity, intent="change_language", active_loop={"name": "complaint_form"})
    assert await ActionChangeLanguage().run(in_form, form_tracker, DOMAIN) == [SlotSet("language", "en")]
    assert responses(in_form) == [None]  # only the gateway instruction; the form asks again
    unknown = CollectingDispatcher()
    unknown_entity = [{"entity": "language", "value": "xx"}]
    assert await ActionChangeLanguage().run(unknown, tracker(entities=unknown_entity), {}) == []
    assert responses(unknown) == ["utter_choose_language"]


async def test_session_start_takes_language_from_metadata():
    t = tracker({"session_started_metadata": {"language": "en"}, "case_reference": "SYN-2026-00001"})
    events = await ActionSessionStart().run(CollectingDispatcher(), t, DOMAIN)
    assert SlotSet("language", "en") in events
    assert SlotSet("case_reference", "SYN-2026-00001") in events
    assert events[-1]["event"] == "action" and events[-1]["name"] == "action_listen"


def user_event(intent: str) -> dict:
    return {"event": "user", "text": "x", "parse_data": {"intent": {"name": intent, "confidence": 0.3}}}


def with_events(events: list[dict]) -> Tracker:
    t = tracker()
    t.events = events
    return t


async def test_fallback_first_miss_offers_buttons_second_hands_over():
    from actions.fallback import ActionFallback

    once = CollectingDispatcher()
    await ActionFallback().run(once, with_events([user_event("greet"), user_event("nlu_fallback")]), DOMAIN)
    assert responses(once) == ["utter_default"]
    twice = CollectingDispatcher()
    events = [user_event("nlu_fallback"), {"event": "bot"}, {"event": "action"}, user_event("nlu_fallback")]
    result = await ActionFallback().run(twice, with_events(events), DOMAIN)
    assert responses(twice) == []
    assert result == [{"event": "followup", "name": "action_handoff", "timestamp": None}]
    broken = CollectingDispatcher()
    events = [user_event("nlu_fallback"), user_event("faq_contact"), user_event("nlu_fallback")]
    await ActionFallback().run(broken, with_events(events), DOMAIN)
    assert responses(broken) == ["utter_default"]


def test_the_action_server_registers_every_custom_action_of_the_domain():
    import yaml
    from rasa_sdk.executor import ActionExecutor

    from bot.core.settings import PROJECT_ROOT

    executor = ActionExecutor()
    executor.register_package("actions")  # what `rasa_sdk --actions actions` does; fails on an abstract base
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    custom = {name for name in domain["actions"] if name.startswith(("action_", "validate_"))}
    assert custom <= set(executor.actions)
