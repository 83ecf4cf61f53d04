"""Custom actions run without Rasa: inline trackers, a real database, the real catalogs."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import store
from actions.complaint import NO_EMAIL, ActionSubmitComplaint, ValidateComplaintForm, is_email
from actions.handoff import ActionHandoff
from actions.language import ActionChangeLanguage
from actions.session import ActionSessionStart
from bot.store import conversations as convs
from bot.store.cases import list_cases
from bot.store.db import create_engine, session_factory

DOMAIN: dict[str, Any] = {
    "slots": {"complaint_description": {}, "complaint_email": {}, "language": {}, "case_reference": {}},
    "forms": {"complaint_form": {"required_slots": ["complaint_description", "complaint_email"]}},
}


def tracker(
    slots: dict[str, Any] | None = None, text: str = "", intent: str = "", entities=None, sender="c1", active_loop=None
):
    return Tracker(
        sender_id=sender,
        slots={"requested_slot": None, "language": None, **(slots or {})},
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": entities or [],
            "metadata": {},
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop=active_loop or {},
        latest_action_name="action_listen",
    )


@pytest.fixture
async def action_db(monkeypatch, database_url):
    monkeypatch.setenv("DATABASE_URL", database_url)
    await store.reset()
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()
    await store.reset()


def responses(dispatcher: CollectingDispatcher) -> list[str | None]:
    return [m.get("response") for m in dispatcher.messages]


@pytest.mark.parametrize(
    ("value", "ok"),
    [("anna@example.se", True), ("a.b+c@kommun.example", True), ("anna@", False), ("anna example.se", False),
     ("<b>@x.se", False), ("nej", False)],
)  # fmt: skip
def test_email_check(value, ok):
    assert is_email(value) is ok


async def test_description_too_short_then_accepted():
    form, dispatcher = ValidateComplaintForm(), CollectingDispatcher()
    result = await form.validate_complaint_description("kallt", dispatcher, tracker(), DOMAIN)
    assert result == {"complaint_description": None}
    assert responses(dispatcher) == ["utter_complaint_description_too_short"]
    ok = await form.validate_complaint_description("  Det är kallt i skolan.  ", CollectingDispatcher(), tracker(), {})
    assert ok == {"complaint_description": "Det är kallt i skolan."}


async def test_description_too_long():
    dispatcher = CollectingDispatcher()
    result = await ValidateComplaintForm().validate_complaint_description("x" * 4001, dispatcher, tracker(), DOMAIN)
    assert result == {"complaint_description": None}
    assert dispatcher.messages[0]["max_chars"] == 4000


async def test_email_no_means_anonymous_and_typo_is_explained():
    form = ValidateComplaintForm()
    no = await form.validate_complaint_email("nej", CollectingDispatcher(), tracker(intent="deny"), DOMAIN)
    assert no == {"complaint_email": NO_EMAIL}
    dispatcher = CollectingDispatcher()
    typo = await form.validate_complaint_email("anna(at)example.se", dispatcher, tracker(intent="faq"), DOMAIN)
    assert typo == {"complaint_email": None}
    assert responses(dispatcher) == ["utter_complaint_email_invalid"]


async def test_submit_creates_a_case_and_tells_the_reference(action_db):
    async with action_db() as s, s.begin():
        conversation, _ = await convs.create_conversation(s, "en")
    dispatcher = CollectingDispatcher()
    slots = {"complaint_description": "The swing in the park is broken.", "complaint_email": "a@example.se",
             "language": "en"}  # fmt: skip
    events = await ActionSubmitComplaint().run(dispatcher, tracker(slots, sender=conversation.id), DOMAIN)
    async with action_db() as s:
        cases = await list_cases(s)
    case = cases[0]
    assert case.conversation_id == conversation.id
    assert case.kind == "complaint" and case.status == "received"
    assert case.contact_email == "a@example.se" and case.description_language == "en"
    message = dispatcher.messages[0]
    assert message["response"] == "utter_case_created"
    assert message["reference"] == case.reference
    assert message["reply_due"].endswith(str(case.reply_due.year))
    assert SlotSet("case_reference", case.reference) in events
    assert SlotSet("complaint_description", None) in events


async def test_submit_anonymous_without_conversation_row(action_db):
    slots = {"complaint_description": "Ingen har plogat vår gata.", "complaint_email": NO_EMAIL, "language": "sv"}
    await ActionSubmitComplaint().run(CollectingDispatcher(), tracker(slots, sender="unknown"), DOMAIN)
    async with action_db() as s:
        case = (await list_cases(s))[0]
    assert case.anonymous is True and case.contact_email is None and case.conversation_id is None


async def test_submit_with_unreachable_database_keeps_the_answers(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:1/none")
    await store.reset()
    try:
        dispatcher = CollectingDispatcher()
        slots = {"complaint_description": "Något viktigt hände här.", "complaint_email": NO_EMAIL}
        events = await ActionSubmitComplaint().run(dispatcher, tracker(slots), DOMAIN)
    finally:
        await store.reset()
    assert responses(dispatcher) == ["utter_case_failed"]
    assert events == []


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


async def test_fallback_first_miss_offers_buttons_second_offers_a_person():
    from actions.fallback import ActionFallback

    once = CollectingDispatcher()
    await ActionFallback().run(once, with_events([user_event("greet"), user_event("nlu_fallback")]), DOMAIN)
    assert responses(once) == ["utter_default"]
    twice = CollectingDispatcher()
    events = [user_event("nlu_fallback"), {"event": "bot"}, {"event": "action"}, user_event("nlu_fallback")]
    await ActionFallback().run(twice, with_events(events), DOMAIN)
    assert responses(twice) == ["utter_fallback_offer_human"]
    broken = CollectingDispatcher()
    events = [user_event("nlu_fallback"), user_event("faq"), user_event("nlu_fallback")]
    await ActionFallback().run(broken, with_events(events), DOMAIN)
    assert responses(broken) == ["utter_default"]
