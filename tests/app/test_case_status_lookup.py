"""Status lookup on both stores: right and wrong codes, unknown references, the pause after five failures."""

from __future__ import annotations

from datetime import timedelta

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import case_status as cs
from actions.case_status import ActionCheckCaseStatus, ActionStartCaseStatus
from bot.store import conversations as convs
from bot.store.cases import (
    NewCase,
    create_case,
    hash_check_code,
    new_check_code,
)
from bot.store.lookups import lookup_paused_until, record_lookup
from bot.store.models import utcnow
from tests.helpers.trackers import responses, tracker
from tests.unit.test_case_status import DOMAIN


def catalogs_term(language: str) -> str:
    from bot.core.catalog import default_catalogs

    return default_catalogs().term(language, "case_status", "received")


async def filed(sessions, profile, language="sv"):
    code = new_check_code()
    async with sessions() as s, s.begin():
        conversation, _ = await convs.create_conversation(s, language)
        case = await create_case(s, profile, NewCase(kind="fault_report", description="Trasig lampa på gatan",
                                                      language=language, area="streets_parks",
                                                      check_code_hash=hash_check_code(code)))  # fmt: skip
    return case, code, conversation.id


async def lookup(sender, reference, code, language="sv"):
    dispatcher = CollectingDispatcher()
    slots = {"language": language, cs.REFERENCE: reference, cs.CHECK_CODE: code}
    events = await ActionCheckCaseStatus().run(dispatcher, tracker(slots, sender=sender), DOMAIN)
    return dispatcher, events


async def test_right_code_tells_status_department_and_dates(action_db, profile):
    case, code, sender = await filed(action_db, profile)
    dispatcher, events = await lookup(sender, case.reference, code, "uk")
    message = dispatcher.messages[0]
    assert message["response"] == "utter_case_status_found"
    assert message["reference"] == case.reference and message["department"] == "Вулиці та парки"
    assert message["status"] == catalogs_term("uk")
    assert str(case.reply_due.year) in message["reply_due"]
    assert SlotSet(cs.CHECK_CODE, None) in events


async def test_wrong_code_and_unknown_reference_get_the_same_answer(action_db, profile):
    case, code, sender = await filed(action_db, profile)
    wrong = "AAAA-BBBB" if code != "AAAA-BBBB" else "CCCC-DDDD"
    wrong_code, _ = await lookup(sender, case.reference, wrong)
    unknown, _ = await lookup(sender, "SYN-1999-99999", code)
    assert wrong_code.messages == unknown.messages
    assert responses(unknown) == ["utter_case_status_not_found"]


async def test_five_failures_pause_lookups_for_fifteen_minutes(action_db, profile):
    case, code, sender = await filed(action_db, profile)
    for _ in range(5):
        failed, _ = await lookup(sender, case.reference, "AAAA-AAAA")
        assert responses(failed) == ["utter_case_status_not_found"]
    paused, _ = await lookup(sender, case.reference, code)  # even the right code waits now
    assert responses(paused) == ["utter_case_status_paused"]
    assert paused.messages[0]["minutes"] == 15
    start = CollectingDispatcher()
    events = await ActionStartCaseStatus().run(start, tracker(sender=sender), DOMAIN)
    assert responses(start) == ["utter_case_status_paused"]
    assert SlotSet(cs.PAUSED, True) in events
    async with action_db() as s:
        later = utcnow() + timedelta(minutes=16)
        assert await lookup_paused_until(s, sender, later) is None
        assert await lookup_paused_until(s, "another-conversation") is None


async def test_a_success_in_between_resets_the_count(action_db, profile):
    _, _, sender = await filed(action_db, profile)
    async with action_db() as s, s.begin():
        for success in (False, False, False, False, True, False):
            await record_lookup(s, sender, success)
    async with action_db() as s:
        assert await lookup_paused_until(s, sender) is None


async def lookup_from(sender, reference, code, client):
    dispatcher = CollectingDispatcher()
    slots = {"language": "sv", cs.REFERENCE: reference, cs.CHECK_CODE: code}
    await ActionCheckCaseStatus().run(dispatcher, tracker(slots, sender=sender, metadata={"client": client}), DOMAIN)
    return responses(dispatcher)


async def test_guessing_one_reference_over_new_conversations_is_paused(action_db, profile):
    """A new conversation every few guesses no longer resets the count: the reference keeps it."""
    case, _, _ = await filed(action_db, profile)
    answers = []
    for n in range(6):  # 3 conversations, 2 guesses each, each from another address
        answers += await lookup_from(f"guess-{n // 2}", case.reference, "AAAA-AAAA", f"client-{n}")
    assert answers[:5] == ["utter_case_status_not_found"] * 5
    assert answers[5] == "utter_case_status_paused"
    other, other_code, _ = await filed(action_db, profile)
    assert await lookup_from("fresh", other.reference, other_code, "client-x") == ["utter_case_status_found"]


async def test_guessing_from_one_address_over_new_conversations_is_paused(action_db, profile):
    case, code, _ = await filed(action_db, profile)
    answers = []
    for n in range(10):  # 3 conversations (4 + 4 + 2 guesses), each at a reference of its own
        answers += await lookup_from(f"address-{n // 4}", f"SYN-2026-{90000 + n}", "AAAA-AAAA", "one-address")
    assert answers == ["utter_case_status_not_found"] * 10
    assert await lookup_from("address-9", case.reference, code, "one-address") == ["utter_case_status_paused"]
    start = CollectingDispatcher()
    await ActionStartCaseStatus().run(start, tracker(sender="address-10", metadata={"client": "one-address"}), DOMAIN)
    assert responses(start) == ["utter_case_status_paused"]
    assert await lookup_from("address-11", case.reference, code, "another") == ["utter_case_status_found"]


async def test_a_code_hashed_with_the_old_default_is_found_and_hashed_again(action_db, profile):
    from argon2 import PasswordHasher, extract_parameters

    case, code, sender = await filed(action_db, profile)
    async with action_db() as s, s.begin():
        stored = await s.get(type(case), case.id)
        stored.check_code_hash = PasswordHasher().hash(code)  # argon2-cffi's default (64 MiB), before issue 18
    dispatcher, _ = await lookup(sender, case.reference, code)
    assert responses(dispatcher) == ["utter_case_status_found"]
    async with action_db() as s:
        rehashed = (await s.get(type(case), case.id)).check_code_hash
    assert extract_parameters(rehashed).memory_cost == 7 * 1024
    again, _ = await lookup(sender, case.reference, code)
    assert responses(again) == ["utter_case_status_found"]
