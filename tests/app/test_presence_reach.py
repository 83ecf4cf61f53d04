"""Staff presence, asking a resident how to reach them, and the department's notice (web app, real databases)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.chat import presence as presence_module
from bot.chat.presence import RedisPresence
from bot.store import reach
from bot.store.cases import verify_check_code
from bot.store.models import Case, Notification, utcnow
from bot.store.staff import add_staff, hash_password
from bot.web.keys import DESK, PRESENCE
from tests.app.test_staff_web import PASSWORD, login, receive, waiting_resident

REDIS = "redis://127.0.0.1:6379/7"


@pytest.fixture
async def staff(db):
    async with db() as s, s.begin():
        return await add_staff(s, "anna", "Anna Berg", hash_password(PASSWORD), ["sv"])


def origin(client) -> dict[str, str]:
    return {"Origin": str(client.make_url("")).rstrip("/")}


async def test_a_signed_in_case_officer_is_available_until_away_or_gone(client, staff):
    presence = client.app[PRESENCE]
    await login(client, "anna")
    assert "Ingen handläggare är tillgänglig nu" in await (await client.get("/staff/queue")).text()
    assert not await presence.anyone_available()
    ws = await client.ws_connect("/ws/staff", headers=origin(client))
    assert (await receive(ws, lambda e: e["type"] == "away")) == {"type": "away", "away": False}
    assert await presence.anyone_available()
    assert "Tillgängliga nu: Anna Berg" in await (await client.get("/staff/queue")).text()
    await ws.send_json({"type": "away", "away": True})
    assert (await receive(ws, lambda e: e["type"] == "away"))["away"] is True
    assert not await presence.anyone_available()
    await ws.send_json({"type": "away", "away": False})
    await receive(ws, lambda e: e["type"] == "away")
    assert await presence.anyone_available()
    await ws.close()
    for _ in range(100):  # the server's handler leaves after it has seen the close
        if not await presence.anyone_available():
            break
        await asyncio.sleep(0.05)
    assert not await presence.anyone_available()


async def test_presence_is_shared_by_two_web_app_instances_over_redis():
    first, second = RedisPresence(REDIS), RedisPresence(REDIS)
    member = int(uuid.uuid4().int % 1_000_000) + 1_000_000
    try:
        seat = await first.join(member)
        assert member in await second.available_ids()
        await second.set_away(member, True)
        assert member not in await first.available_ids() and await first.is_away(member)
        await first.set_away(member, False)
        await first.leave(seat)
        assert member not in await second.signed_in_ids()
        # the socket of an instance that died stops counting when its entry expires
        await first._redis.zadd(presence_module.SOCKETS_KEY, {f"{member}:dead": time.time() - 1})
        assert member not in await second.available_ids()
    finally:
        await first.close()
        await second.close()


async def _asked(client, db, profile, language):
    resident, _, reference = await waiting_resident(client, db, profile, language)
    async with db() as s, s.begin():
        case = (await s.execute(select(Case).where(Case.reference == reference))).scalar_one()
        await reach.ask(s, case)
    return resident, reference


async def _bot_reply(resident, key):
    # the first free-text message of a chat loads language detection: slow on a busy machine
    return await receive(
        resident, lambda e: e["type"] == "message" and e["sender"] == "bot" and key in e["text"], timeout=60
    )


@pytest.mark.parametrize(
    ("language", "typed", "phone"),
    [("en", "my number is 070-123 45 67", "+46 70 123 45 67"), ("sv", "ring mig på 0701234567", "+46 70 123 45 67")],
)
async def test_a_typed_phone_number_is_stored_with_the_reply_language(client, db, profile, language, typed, phone):
    resident, reference = await _asked(client, db, profile, language)
    await resident.send_json({"type": "message", "text": typed, "client_id": "c1"})
    saved = await _bot_reply(resident, reference)
    assert phone in saved["text"]
    async with db() as s:
        case = (await s.execute(select(Case).where(Case.reference == reference))).scalar_one()
        assert (case.contact_phone, case.reply_channel, case.reply_language) == (phone, "phone", language)
        assert await reach.contact_state(s, case.id) == "given"


async def test_the_email_button_then_the_address(client, db, profile):
    resident, reference = await _asked(client, db, profile, "en")
    await resident.send_json({"type": "message", "text": "/contact_email", "display": "E-mail", "client_id": "c1"})
    await _bot_reply(resident, "Write your e-mail address")
    await resident.send_json({"type": "message", "text": "it is anna.berg@example.se thanks", "client_id": "c2"})
    await _bot_reply(resident, "anna.berg@example.se")
    async with db() as s:
        case = (await s.execute(select(Case).where(Case.reference == reference))).scalar_one()
        assert (case.contact_email, case.reply_channel) == ("anna.berg@example.se", "email")


async def test_i_will_check_myself_gives_reference_and_a_working_check_code(client, db, profile):
    resident, reference = await _asked(client, db, profile, "en")
    await resident.send_json({"type": "message", "text": "I will check myself", "client_id": "c1"})
    told = await _bot_reply(resident, "Your code is")
    code = told["text"].split("Your code is ")[1][:9]
    assert reference in told["text"] and "will contact you" not in told["text"]
    async with db() as s:
        case = (await s.execute(select(Case).where(Case.reference == reference))).scalar_one()
        assert verify_check_code(case.check_code_hash, code) and case.contact_phone is None
    # coming back to the waiting chat, the resident can add to it
    await resident.send_json({"type": "message", "text": "one more thing: it happened twice", "client_id": "c2"})
    await receive(resident, lambda e: e["type"] == "message" and e.get("sender") == "system")


async def test_an_unclaimed_chat_tells_the_department_once_and_asks_the_resident(client, db, profile):
    resident, _, reference = await waiting_resident(client, db, profile, "en")
    async with db() as s, s.begin():
        await s.execute(
            update(Case).where(Case.reference == reference).values(handoff_at=utcnow() - timedelta(hours=1))
        )
    assert await client.app[DESK].notify_unclaimed() == 1
    await _bot_reply(resident, "How can we reach you?")
    assert await client.app[DESK].notify_unclaimed() == 0
    async with db() as s:
        notices = (await s.execute(select(Notification).where(Notification.kind == "department_notice"))).scalars()
        (notice,) = list(notices)
    assert notice.recipient == profile.mailbox_for(None) and reference in notice.subject
    assert "help" not in notice.body  # the description stays in the case


async def test_two_web_app_instances_on_redis_share_who_is_available(settings, staff):
    import redis.asyncio as redis_asyncio
    from aiohttp.test_utils import TestClient, TestServer

    from bot.web.app import create_app

    cleanup = redis_asyncio.from_url(REDIS)
    await cleanup.delete(presence_module.SOCKETS_KEY, presence_module.AWAY_KEY)
    await cleanup.close()
    await cleanup.connection_pool.disconnect()
    shared = settings.with_overrides(redis_url=REDIS)
    async with (
        TestClient(TestServer(create_app(shared))) as first,
        TestClient(TestServer(create_app(shared))) as second,
    ):
        await login(first, "anna")
        await login(second, "anna")
        assert not await second.app[PRESENCE].anyone_available()
        ws = await first.ws_connect("/ws/staff", headers=origin(first))
        await receive(ws, lambda e: e["type"] == "away")
        assert await second.app[PRESENCE].anyone_available()
        assert "Tillgängliga nu: Anna Berg" in await (await second.get("/staff/queue")).text()
        await ws.send_json({"type": "away", "away": True})
        await receive(ws, lambda e: e["type"] == "away")
        assert not await second.app[PRESENCE].anyone_available()
        await ws.send_json({"type": "away", "away": False})
        await receive(ws, lambda e: e["type"] == "away")
        await ws.close()
        for _ in range(100):
            if not await second.app[PRESENCE].anyone_available():
                break
            await asyncio.sleep(0.05)
        assert not await second.app[PRESENCE].anyone_available()


async def test_other_messages_are_added_to_the_case_with_one_hint(client, db, profile):
    resident, reference = await _asked(client, db, profile, "en")
    await resident.send_json({"type": "message", "text": "the street lamp is still broken", "client_id": "c1"})
    await _bot_reply(resident, "Do you want us to contact you?")
    await resident.send_json({"type": "message", "text": "it has been dark for weeks", "client_id": "c2"})
    saved = await receive(resident, lambda e: e["type"] == "message" and e["sender"] in ("bot", "system"))
    assert saved["sender"] == "system" and saved["text"] == "Your message is saved. A case officer will read it."
    async with db() as s:
        case = (await s.execute(select(Case).where(Case.reference == reference))).scalar_one()
        assert await reach.contact_state(s, case.id) == "asked"  # still open: an address or number later counts
