"""The resident socket under abuse: malformed events answered without closing it, floods limited."""

from __future__ import annotations

import asyncio
import uuid

from aiohttp.test_utils import TestClient, TestServer

from bot.chat.limits import REDIS_PREFIX, ConversationLimits, RedisConversationLimits
from bot.web.app import create_app
from bot.web.keys import LIMITS
from tests.app.test_app import hello, receive


async def errors_until_ack(ws, timeout: float = 10.0) -> tuple[list[dict], dict]:
    """The error events received before the next ``ack``, and that ack."""
    errors = []

    async def wait() -> dict:
        while True:
            event = await ws.receive_json()
            if event["type"] == "error":
                errors.append(event)
            elif event["type"] == "ack":
                return event

    ack = await asyncio.wait_for(wait(), timeout)
    return errors, ack


async def test_every_malformed_event_gets_an_error_and_the_socket_stays_open(client):
    ws = await client.ws_connect("/ws/chat")
    await ws.send_json({"type": "hello", "language": ["sv", "en"]})  # a list as language
    assert (await receive(ws, "error"))["code"] == "invalid"
    await ws.send_json({"type": "hello", "token": {"a": 1}})
    assert (await receive(ws, "error"))["code"] == "invalid"
    await ws.send_str('{"type": "hello", "language": "\\ud800"}')  # a lone surrogate
    assert (await receive(ws, "error"))["code"] == "invalid"
    await ws.send_json({"type": "hello", "language": "en"})
    assert (await receive(ws, "welcome"))["language"] == "en"
    await ws.send_str('{"type": "message", "text": "hej \\udfff", "client_id": "c-1"}')
    assert (await receive(ws, "error"))["code"] == "invalid"
    await ws.send_json({"type": "message", "text": "hej", "client_id": ["c", 2]})
    assert (await receive(ws, "error"))["code"] == "invalid"
    await ws.send_json({"type": "message", "text": "hej", "display": True})
    assert (await receive(ws, "error"))["code"] == "invalid"
    await ws.send_str('{"type": "message", "text": "' + "x" * 40_000 + '"}')  # over the frame limit
    assert (await receive(ws, "error"))["code"] == "too_long"
    await ws.send_json({"type": "message", "text": "fortfarande här", "client_id": "c-2"})
    assert (await receive(ws, "ack"))["client_id"] == "c-2"
    assert not ws.closed
    await ws.close()


async def test_a_flood_on_one_socket_is_limited_while_another_resident_is_not(client):
    flood, _ = await hello(client, language="en")
    calm, _ = await hello(client, language="sv")
    for n in range(150):
        await flood.send_json({"type": "message", "text": f"spam {n}", "client_id": f"f-{n}"})
    await flood.send_json({"type": "leave"})
    refused, accepted = [], []

    async def drain() -> None:
        while len(refused) + len(accepted) < 150:
            event = await flood.receive_json()
            if event["type"] == "error":
                refused.append(event)
            elif event["type"] == "ack":
                accepted.append(event)

    await asyncio.wait_for(drain(), 30)
    assert 10 <= len(accepted) <= 40 and len(refused) >= 100
    assert refused[0]["code"] == "too_fast" and refused[0]["message"].startswith("You are sending too many")
    assert refused[0]["client_id"].startswith("f-")
    for n in range(5):  # a resident typing fast is never limited
        await calm.send_json({"type": "message", "text": f"fråga {n}", "client_id": f"c-{n}"})
        errors, ack = await errors_until_ack(calm)
        assert errors == [] and ack["client_id"] == f"c-{n}"
    await flood.close()
    await calm.close()


async def test_the_limit_holds_for_a_conversation_over_several_sockets(client):
    first, welcome = await hello(client, language="en")
    sockets = [first] + [(await hello(client, token=welcome["token"]))[0] for _ in range(4)]
    for n in range(60):  # 12 per socket: under each socket's burst, over the conversation's
        await sockets[n % 5].send_json({"type": "message", "text": f"spam {n}", "client_id": f"s-{n}"})
    codes = []
    for ws in sockets:  # each message is answered on its own socket: an ack or an error
        answered = 0
        while answered < 12:
            event = await ws.receive_json(timeout=10)
            if event["type"] in ("ack", "error") and str(event.get("client_id")).startswith("s-"):
                answered += 1
                codes.append(event.get("code", "ack"))
    assert codes.count("too_fast") >= 30 and 10 <= codes.count("ack") <= 30
    for ws in sockets:
        await ws.close()


REDIS = "redis://127.0.0.1:6379/9"
"""Redis db of the shared limit's tests (others: 0 production, 3 production stack, 7 presence, 11 bench)."""


async def test_two_web_apps_share_a_conversations_limit_through_redis():
    first, second = (RedisConversationLimits(REDIS, rate=0.001, burst=3.0) for _ in range(2))  # two processes
    conversation = uuid.uuid4().hex
    try:
        assert [await first.take(conversation), await second.take(conversation), await first.take(conversation)] == [
            True
        ] * 3
        assert not await second.take(conversation) and not await first.take(conversation)  # one bucket, empty now
        assert await second.take(uuid.uuid4().hex)  # another conversation has its own
        ttl = await first._redis.pttl(REDIS_PREFIX + conversation)
        assert 0 < ttl <= 3.0 / 0.001 * 1000 + 1000  # forgotten once it would be full again
    finally:
        await first._redis.delete(REDIS_PREFIX + conversation)
        await first.close()
        await second.close()


async def test_the_shared_limit_lets_messages_through_while_redis_is_unreachable():
    limits = RedisConversationLimits("redis://127.0.0.1:1/9")  # nothing listens there
    try:
        assert await limits.take("c")
    finally:
        await limits.close()


async def test_the_web_app_uses_the_shared_limit_when_redis_is_configured(settings):
    app = create_app(settings.with_overrides(redis_url=REDIS))
    async with TestClient(TestServer(app)):
        assert isinstance(app[LIMITS], RedisConversationLimits)
    app = create_app(settings)
    async with TestClient(TestServer(app)):
        assert type(app[LIMITS]) is ConversationLimits
