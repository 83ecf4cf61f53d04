"""Custom actions run without Rasa: inline trackers, the real catalogs (the handoff on a database: tests/app)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.language import ActionChangeLanguage
from actions.session import ActionSessionStart
from tests.helpers.trackers import responses, tracker

DOMAIN: dict[str, Any] = {"slots": {"language": {}, "case_reference": {}}, "forms": {}}


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
    assert not any(event["event"] == "active_loop" for event in events)  # no form was active


async def test_session_start_keeps_a_half_filled_form_active():
    slots = {"requested_slot": "complaint_place", "complaint_kind": "complaint", "complaint_description": "Lampa"}
    t = tracker(slots, active_loop={"name": "complaint_form"})
    events = await ActionSessionStart().run(CollectingDispatcher(), t, DOMAIN)
    assert events[0]["event"] == "session_started"
    assert SlotSet("requested_slot", "complaint_place") in events and SlotSet("complaint_kind", "complaint") in events
    # The form is active again before Rasa listens: the resident's next message answers its question.
    assert [e["event"] for e in events[-2:]] == ["active_loop", "action"]
    assert events[-2]["name"] == "complaint_form" and events[-1]["name"] == "action_listen"


async def test_session_start_from_the_gateway_takes_the_language_of_that_message():
    # The gateway's /session_start carries the conversation's language now; the metadata slot is the last session's.
    t = tracker(
        {"session_started_metadata": {"language": "sv"}, "language": "en"},
        text="/session_start",
        intent="session_start",
        metadata={"language": "en"},
    )
    events = await ActionSessionStart().run(CollectingDispatcher(), t, DOMAIN)
    assert SlotSet("language", "en") in events and SlotSet("language", "sv") not in events


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
