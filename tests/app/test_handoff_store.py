"""Handoff and staff store on SQLite and the real PostgreSQL: queue, claim race, login back-off, figures."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from bot.cases import workflow
from bot.store import conversations as convs
from bot.store import desk, queue, reporting, staff_sessions, throttle
from bot.store.cases import NewCase
from bot.store.models import utcnow
from bot.store.staff import StaffError, add_staff, hash_password, verify_password


@pytest.fixture(autouse=True)
async def empty_store(sessions):
    """Queue figures count every waiting chat: start each test with no cases, chats or staff."""
    async with sessions() as s, s.begin():
        for table in (
            "case_event", "notification", "status_lookup", "case", "message", "conversation", "staff_session",
            "staff_member", "login_throttle",
        ):  # fmt: skip
            await s.execute(text(f'DELETE FROM "{table}"'))


async def make_staff(sessions, username="anna", languages=("sv", "ar"), name="Anna Berg"):
    async with sessions() as s, s.begin():
        return await add_staff(s, username, name, "hash-not-used", list(languages))


async def waiting_chat(sessions, profile, language="ar", when=None):
    async with sessions() as s, s.begin():
        conversation, _ = await convs.create_conversation(s, language)
        case = await queue.start_handoff(
            s,
            profile,
            NewCase(kind="question", description="help", language=language, conversation_id=conversation.id),
            when,
        )
    return conversation, case


async def test_handoff_queues_the_chat_and_reuses_its_open_case(sessions, profile):
    first_conv, first = await waiting_chat(sessions, profile, "ar")
    _, second = await waiting_chat(sessions, profile, "sv")
    async with sessions() as s:
        assert await queue.queue_position(s, first) == 1
        assert await queue.queue_position(s, second) == 2
        # no history yet: the profile's expected wait per chat ahead
        assert await queue.estimated_wait_minutes(s, profile, 2) == 2 * profile.handoff_expected_wait_minutes
        waiting = await queue.waiting_queue(s)
        conversation = await convs.get_conversation(s, first_conv.id)
    assert conversation.mode == "waiting"
    assert [e.reference for e in waiting] == [first.reference, second.reference]
    assert waiting[0].language == "ar" and waiting[0].interpreter_needed
    member = await make_staff(sessions)
    async with sessions() as s, s.begin():
        await queue.claim(s, first.reference, member)
        case = await desk.get_case(s, first.reference)
        await desk.hand_back(s, case, member)
    # asking again: the same case goes back in the queue, unclaimed
    async with sessions() as s, s.begin():
        again = await queue.start_handoff(
            s, profile, NewCase(kind="question", description="again", language="ar", conversation_id=first_conv.id)
        )
    assert again.reference == first.reference
    assert again.status == "waiting_for_staff" and again.assigned_staff_id is None
    async with sessions() as s:
        waiting = await queue.waiting_queue(s)
    assert waiting[0].speakers == ("Anna Berg",)  # she speaks Arabic


async def test_exactly_one_of_concurrent_claims_wins(sessions, profile):
    _, case = await waiting_chat(sessions, profile)
    members = [await make_staff(sessions, f"staff{i}", name=f"Staff {i}") for i in range(5)]

    async def try_claim(member):
        try:
            async with sessions() as s, s.begin():
                await queue.claim(s, case.reference, member)
            return member.id
        except workflow.StaleCase:
            return None

    winners = [w for w in await asyncio.gather(*(try_claim(m) for m in members)) if w is not None]
    assert len(winners) == 1
    async with sessions() as s:
        claimed = await desk.get_case(s, case.reference)
        events = await desk.case_events(s, claimed.id)
        conversation = await convs.get_conversation(s, claimed.conversation_id)
    assert claimed.assigned_staff_id == winners[0] and claimed.status == "in_progress"
    assert claimed.claimed_at is not None and claimed.acknowledged_at is not None
    assert conversation.mode == "human"
    assert [e.kind for e in events].count("claimed") == 1


async def test_stale_status_change_and_double_close_are_refused(sessions, profile):
    _, case = await waiting_chat(sessions, profile)
    anna = await make_staff(sessions)
    async with sessions() as s, s.begin():
        await queue.claim(s, case.reference, anna)
    async with sessions() as s, s.begin():
        c = await desk.get_case(s, case.reference)
        assert await desk.close_case(s, c, anna, "answered in chat", expected="in_progress") is True
    async with sessions() as s, s.begin():
        c = await desk.get_case(s, case.reference)
        with pytest.raises(workflow.StaleCase) as stale:
            await desk.set_status(s, c, anna, "received", expected="in_progress")
        assert stale.value.current == "closed"
        with pytest.raises(workflow.StaleCase):
            await desk.close_case(s, c, anna, "again", expected="in_progress")
        with pytest.raises(ValueError):
            await desk.set_status(s, c, anna, "waiting_for_staff", expected="closed")
    async with sessions() as s:
        c = await desk.get_case(s, case.reference)
        conversation = await convs.get_conversation(s, c.conversation_id)
    assert c.resolution == "answered in chat" and c.closed_at is not None
    assert conversation.mode == "closed"


async def test_resident_leaving_takes_the_chat_out_of_the_queue_but_keeps_the_case(sessions, profile):
    conversation, case = await waiting_chat(sessions, profile)
    async with sessions() as s, s.begin():
        left = await queue.resident_left(s, conversation.id)
    assert left.reference == case.reference and left.status == "received"
    async with sessions() as s:
        assert await queue.waiting_queue(s) == []


async def test_unclaimed_chats_are_reported_once(sessions, profile):
    old = utcnow() - timedelta(minutes=profile.handoff_unclaimed_minutes + 1)
    _, stale = await waiting_chat(sessions, profile, when=old)
    _, fresh = await waiting_chat(sessions, profile)
    limit = timedelta(minutes=profile.handoff_unclaimed_minutes)
    async with sessions() as s, s.begin():
        first = await queue.unclaimed_cases(s, limit)
    async with sessions() as s, s.begin():
        second = await queue.unclaimed_cases(s, limit)
    assert [c.reference for c in first] == [stale.reference]
    assert second == []
    assert fresh.reference not in [c.reference for c in first]


async def test_key_figures_and_search(sessions, profile):
    anna = await make_staff(sessions)
    start = utcnow() - timedelta(minutes=30)
    _, a = await waiting_chat(sessions, profile, "ar", when=start)
    _, b = await waiting_chat(sessions, profile, "sv", when=start)
    async with sessions() as s, s.begin():
        await queue.claim(s, a.reference, anna, now=start + timedelta(minutes=4))
        case = await desk.get_case(s, a.reference)
        await desk.note_staff_reply(s, case, anna, now=start + timedelta(minutes=6))
    today = date.today()
    async with sessions() as s:
        figures = await reporting.key_figures(s, profile, today - timedelta(days=1), today + timedelta(days=1))
        found, total = await reporting.search_cases(s, profile, reporting.CaseFilter(language="ar"))
        by_ref, _ = await reporting.search_cases(s, profile, reporting.CaseFilter(reference=b.reference.lower()))
        waiting, _ = await reporting.search_cases(s, profile, reporting.CaseFilter(status="waiting_for_staff"))
    assert figures.handoffs == 2 and figures.cases == 2 and figures.chats == 2
    assert figures.median_wait_to_claim == pytest.approx(240)
    assert figures.median_wait_to_first_reply == pytest.approx(360)
    assert figures.by_language == {"ar": 1, "sv": 1}
    assert [c.reference for c in found] == [a.reference] and total == 1
    assert [c.reference for c in by_ref] == [b.reference]
    assert [c.reference for c in waiting] == [b.reference]


async def test_login_back_off_grows_per_key_and_keeps_an_account_out_for_a_minute_at_most(sessions):
    key = [throttle.ACCOUNT.key("bertil")]
    now = utcnow()
    async with sessions() as s, s.begin():
        for _ in range(throttle.ACCOUNT.free - 1):
            await throttle.record_failure(s, throttle.ACCOUNT, "bertil", now)
        assert not await throttle.blocked(s, key, now)
        assert await throttle.record_failure(s, throttle.ACCOUNT, "bertil", now) == throttle.ACCOUNT.free
        assert await throttle.blocked(s, key, now)  # 1 s
        assert not await throttle.blocked(s, key, now + timedelta(seconds=2))
        for _ in range(40):  # an outsider hammering the username
            await throttle.record_failure(s, throttle.ACCOUNT, "bertil", now)
        assert await throttle.blocked(s, key, now + timedelta(seconds=59))
        assert not await throttle.blocked(s, key, now + timedelta(seconds=61))  # the owner waits a minute at most
        later = now + throttle.MEMORY + timedelta(minutes=1)
        assert await throttle.record_failure(s, throttle.ACCOUNT, "bertil", later) == 1  # an hour later: from zero
        await throttle.reset(s, key)
        assert not await throttle.blocked(s, key, now)


async def test_staff_account_rules(sessions):
    with pytest.raises(StaffError):
        hash_password("short")
    assert not verify_password(None, "anything")
    async with sessions() as s, s.begin():
        await add_staff(s, "cecilia", "Cecilia", "h", ["sv"])
        with pytest.raises(StaffError):
            await add_staff(s, "Cecilia", "Other", "h", ["sv"])
        with pytest.raises(StaffError):
            await add_staff(s, "no spaces", "X", "h", ["sv"])


async def test_retention_forgets_ended_staff_sessions_and_stale_login_counters(sessions):
    member = await make_staff(sessions)
    long_ago = utcnow() - timedelta(days=3)
    async with sessions() as s, s.begin():
        old = await staff_sessions.start_session(s, member, long_ago)
        live = await staff_sessions.start_session(s, member)
        await throttle.record_failure(s, throttle.ADDRESS, "203.0.113.9", long_ago)
        await throttle.record_failure(s, throttle.ADDRESS, "198.51.100.7")
    async with sessions() as s, s.begin():
        assert await staff_sessions.forget_ended(s) == 1
        assert await throttle.forget_stale(s) == 1
        assert await staff_sessions.is_live(s, staff_sessions.session_id(live), timedelta(minutes=30))
        assert not await staff_sessions.is_live(s, staff_sessions.session_id(old), timedelta(days=9))
