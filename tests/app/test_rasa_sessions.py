"""The gateway keeps Rasa's sessions short: a new session after every 20 answered resident messages (issue 18)."""

from __future__ import annotations

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

from bot.cases import workflow
from bot.chat.delivery import SESSION_START, TURNS_PER_SESSION, Delivery
from bot.chat.hub import Hub
from bot.chat.metrics import Metrics
from bot.chat.notify import Notifier
from bot.chat.rasa_client import RasaClient
from bot.store import conversations as convs


class RasaWebhook:
    """Rasa's REST webhook on loopback: records each message, answers one text (or a handoff when told)."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.hand_off_at: str | None = None

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        if body["message"] == self.hand_off_at:
            return web.json_response([{"custom": {"gateway": {"mode": workflow.WAITING}}}])
        return web.json_response([] if body["message"] == SESSION_START else [{"text": "utter_hello"}])

    def messages(self) -> list[str]:
        return [body["message"] for body in self.received]


@pytest.fixture
async def rasa():
    fake = RasaWebhook()
    app = web.Application()
    app.router.add_post(RasaClient.WEBHOOK, fake.webhook)
    async with TestServer(app) as server:
        yield fake, str(server.make_url("")).rstrip("/")


async def _deliver(sessions, catalogs, profile, rasa, texts: list[str]) -> str:
    _, url = rasa
    async with ClientSession() as http:
        notifier = Notifier(sessions, Hub(), catalogs, profile)
        delivery = Delivery(sessions, RasaClient(http, url, "t"), notifier, Metrics())
        async with sessions() as session, session.begin():
            conversation, _ = await convs.create_conversation(session, "en")
        for text in texts:
            async with sessions() as session, session.begin():
                await convs.add_message(session, conversation.id, "resident", text)
            await delivery.deliver_pending(conversation.id)
    return conversation.id


async def test_a_new_rasa_session_starts_after_every_20_answered_messages(sessions, catalogs, profile, rasa):
    texts = [f"message {n}" for n in range(1, 2 * TURNS_PER_SESSION + 6)]
    conversation_id = await _deliver(sessions, catalogs, profile, rasa, texts)
    fake, _ = rasa
    sent = fake.messages()
    assert sent.count(SESSION_START) == 2
    assert sent.index(SESSION_START) == TURNS_PER_SESSION  # right after the 20th message was answered
    assert sent[TURNS_PER_SESSION - 1] == "message 20" and sent[TURNS_PER_SESSION + 1] == "message 21"
    start = fake.received[TURNS_PER_SESSION]
    assert start["sender"] == conversation_id and start["metadata"] == {"language": "en"}
    async with sessions() as session:
        history = await convs.transcript(session, conversation_id)
    assert SESSION_START not in [m.text for m in history]  # nothing of it reaches the transcript
    assert await _count(sessions, conversation_id) == len(texts)


async def test_no_session_start_once_the_chat_went_to_staff(sessions, catalogs, profile, rasa):
    fake, _ = rasa
    fake.hand_off_at = f"message {TURNS_PER_SESSION}"
    await _deliver(sessions, catalogs, profile, rasa, [f"message {n}" for n in range(1, TURNS_PER_SESSION + 1)])
    assert SESSION_START not in fake.messages()  # Rasa's paused tracker is left alone


async def _count(sessions, conversation_id: str) -> int:
    async with sessions() as session:
        return await convs.delivered_count(session, conversation_id)


def test_the_production_profile_indexes_rasas_events_table_for_the_latest_session_query(pg_url):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    from bot.ops.supervisor import index_tracker_store
    from bot.store.db import sync_url

    engine = create_engine(sync_url(pg_url))
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS events"))
        with pytest.raises(DBAPIError):  # Rasa has not created its table yet: the supervisor says so and goes on
            index_tracker_store(pg_url)
        url = make_url(pg_url)
        store = SQLTrackerStore(
            Domain.empty(), dialect="postgresql", host=url.host, port=url.port, db=url.database, username=url.username
        )
        with engine.begin() as connection:  # an earlier version's index is replaced
            connection.execute(text("CREATE INDEX ix_events_session_start ON events (sender_id, type_name, timestamp)"))
        index_tracker_store(pg_url)
        index_tracker_store(pg_url)  # again at the next start: nothing changes
        with engine.begin() as connection:  # a long conversation in a new database: no statistics yet
            connection.execute(
                text(
                    "INSERT INTO events (sender_id, type_name, timestamp, data) SELECT 'c1', CASE WHEN g % 170 = 1 "
                    "THEN 'session_started' ELSE 'user' END, g, repeat('x', 500) FROM generate_series(1, 1200) g"
                )
            )
        with engine.connect() as connection:
            indexes = connection.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'events'")).scalars()
            assert "ix_events_session_start" not in set(indexes)
            with store.session_scope() as session:
                query = store._event_query(session, "c1", fetch_events_from_all_sessions=False)
                sql = str(query.statement.compile(engine, compile_kwargs={"literal_binds": True}))
                assert len(query.all()) == 10  # the latest session only: events 1191–1200
            plan = "\n".join(connection.execute(text(f"EXPLAIN ANALYZE {sql}")).scalars())
        # The "latest session_started" sub-query reads the session starts alone (without statistics PostgreSQL runs it
        # once per event: with Rasa's sender_id index each run read all 1,200 events, 133 ms; now 8 each, 6 ms)
        assert "ix_events_session_starts" in plan
        assert "Rows Removed by Filter" not in plan
    finally:
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS events"))
        engine.dispose()
