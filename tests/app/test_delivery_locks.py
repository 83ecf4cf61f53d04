"""Two web apps on one PostgreSQL and one Redis: a resident's message reaches Rasa once, not once per web app.

Each web app's retry loop looks at every conversation with undelivered messages; a message in flight at
web app A is undelivered until Rasa answers, so without a lock shared over Redis web app B sent it again
(seen in issue 18's multi-host work: Rasa got "hej" twice). Rasa is stood in for by a loopback server that
holds each turn for a second: the test is about the gateway's concurrency, and a real Rasa's timing
cannot be held still.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web

from bot.chat.delivery import Delivery
from bot.chat.hub import Hub
from bot.chat.locks import RedisLocks
from bot.chat.metrics import Metrics
from bot.chat.notify import Notifier
from bot.chat.rasa_client import RasaClient
from bot.core.catalog import default_catalogs
from bot.core.profile import load_profile
from bot.core.settings import PROJECT_ROOT
from bot.store import conversations as convs
from bot.store.db import create_engine, session_factory
from tests.helpers.ports import serving

REDIS = "redis://127.0.0.1:6379/12"
TURN_SECONDS = 1.0


@pytest.fixture
async def slow_rasa() -> object:
    """A loopback stand-in for Rasa's gateway channel that takes a second per turn; ``.texts`` lists what it got."""
    texts: list[str] = []

    async def webhook(request: web.Request) -> web.Response:
        texts.append((await request.json())["message"])
        await asyncio.sleep(TURN_SECONDS)
        return web.json_response([{"text": "ok"}])

    app = web.Application()
    app.router.add_post("/webhooks/gateway/webhook", webhook)
    async with serving(app) as url:
        yield type("SlowRasa", (), {"url": url, "texts": texts})


async def test_a_message_in_flight_at_one_web_app_is_not_sent_again_by_another(pg_url, slow_rasa):
    engine = create_engine(pg_url)
    sessions = session_factory(engine)
    catalogs, profile = default_catalogs(), load_profile(PROJECT_ROOT / "profiles" / "example.yml")
    locks = [RedisLocks(REDIS, lease=TURN_SECONDS + 30), RedisLocks(REDIS, lease=TURN_SECONDS + 30)]
    try:
        async with aiohttp.ClientSession() as http:
            web_a, web_b = (
                Delivery(
                    sessions,
                    [RasaClient(http, slow_rasa.url, "token")],
                    Notifier(sessions, Hub(), catalogs, profile),
                    Metrics(),
                    locks=lock,
                )
                for lock in locks
            )
            async with sessions() as session, session.begin():
                conversation, _ = await convs.create_conversation(session, "sv")
                await convs.add_message(session, conversation.id, "resident", "hej")
            in_flight = asyncio.create_task(web_a.deliver_pending(conversation.id))  # A: the resident's socket
            await asyncio.sleep(0.3)
            await web_b.retry_pending()  # B's retry loop passes while A waits on Rasa
            await in_flight
            assert slow_rasa.texts == ["hej"]
            async with sessions() as session:
                assert await convs.undelivered(session, conversation.id) == []

            # A message typed at B while A's delivery is under way waits for it, then goes: once, in order.
            async with sessions() as session, session.begin():
                await convs.add_message(session, conversation.id, "resident", "första")
            first = asyncio.create_task(web_a.deliver_pending(conversation.id))
            await asyncio.sleep(0.3)
            async with sessions() as session, session.begin():
                await convs.add_message(session, conversation.id, "resident", "andra")
            await web_b.deliver_pending(conversation.id)
            await first
            assert slow_rasa.texts == ["hej", "första", "andra"]
    finally:
        for lock in locks:
            await lock.close()
        await engine.dispose()
