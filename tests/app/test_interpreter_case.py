"""The interpreter offer's button (issue 15): the case carries the language and "interpreter needed"."""

from __future__ import annotations

from rasa_sdk.events import ConversationPaused
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandoff
from bot.store import conversations as convs
from bot.store.cases import list_cases
from bot.store.queue import waiting_queue
from tests.helpers.trackers import responses, tracker
from tests.unit.test_actions import DOMAIN


async def test_the_interpreter_button_leaves_a_case_with_the_language(action_db):
    async with action_db() as s, s.begin():
        conversation, _ = await convs.create_conversation(s, "sv")
    dispatcher = CollectingDispatcher()
    button = tracker(
        {"language": "sv", "interpreter_language": "tr"},
        text='/request_interpreter{"interpreter_language": "tr"}',
        intent="request_interpreter",
        sender=conversation.id,
    )
    events = await ActionHandoff().run(dispatcher, button, DOMAIN)
    async with action_db() as s:
        case = (await list_cases(s))[0]
        queue = await waiting_queue(s)
    assert ConversationPaused() in events
    assert case.interpreter_needed and case.description_language == "tr"
    assert case.description == ""  # the button's payload is not what the resident wrote
    assert case.reply_language == "sv"
    assert responses(dispatcher)[-1] == "utter_interpreter_noted"
    assert dispatcher.messages[-1]["interpreter"] == "turkiska"
    assert [(e.reference, e.interpreter_needed, e.interpreter_language) for e in queue] == [
        (case.reference, True, "tr")
    ]


async def test_a_supported_language_in_the_slot_is_no_interpreter_language(action_db):
    async with action_db() as s, s.begin():
        conversation, _ = await convs.create_conversation(s, "sv")
    dispatcher = CollectingDispatcher()
    t = tracker({"language": "sv", "interpreter_language": "sv"}, intent="request_interpreter", sender=conversation.id)
    await ActionHandoff().run(dispatcher, t, DOMAIN)
    async with action_db() as s:
        case = (await list_cases(s))[0]
    assert not case.interpreter_needed and case.description_language == "sv"
    assert "utter_interpreter_noted" not in responses(dispatcher)
