"""Production profile building blocks with the real PostgreSQL and Redis (Rasa not running here).

Two web app instances share one database and deliver live events to each other over Redis pub/sub;
the supervisor gives Rasa the SQL tracker store and the Redis lock store; conversations are routed
to one Rasa process each.
"""

from __future__ import annotations

import pytest
import redis.exceptions
import yaml
from aiohttp.test_utils import TestClient, TestServer

from bot.chat.delivery import Delivery
from bot.chat.rasa_client import RasaClient
from bot.core.settings import Settings
from bot.ops.children import production_stores, render_endpoints
from bot.store import conversations as convs
from bot.store import queue
from bot.store.cases import NewCase
from bot.store.db import create_engine, session_factory
from bot.store.staff import add_staff, hash_password
from bot.web.app import create_app
from tests.app.test_staff_web import csrf_of, receive

REDIS_URL = "redis://127.0.0.1:6379/0"
PASSWORD = "a-long-enough-password"


@pytest.fixture
def production_settings(tmp_path, pg_url) -> Settings:
    return Settings.from_env(
        {
            "KOMMUN_DATA_DIR": str(tmp_path),
            "DATABASE_URL": pg_url,
            "REDIS_URL": REDIS_URL,
            "KOMMUN_RASA_TOKEN": "test-token",
            "KOMMUN_RASA_PORT": "1",
            "KOMMUN_ACTION_PORT": "1",
            "KOMMUN_RASA_PROCESSES": "2",
        }
    ).with_overrides(warm_up_language_detection=False, retry_interval=30)


def test_production_profile_gives_rasa_the_sql_tracker_store_and_the_redis_lock_store(production_settings):
    settings = production_settings.with_overrides(
        database_url="postgresql+asyncpg://kommun:s3cret@db.example:5433/kommun", redis_url="redis://:pw@cache:6380/2"
    )
    stores = production_stores(settings)
    assert stores["tracker_store"] == {
        "type": "SQL", "dialect": "postgresql", "url": "db.example", "port": 5433, "db": "kommun",
        "username": "kommun", "password": "s3cret", "login_db": "kommun",
    }  # fmt: skip
    assert stores["lock_store"] == {
        "type": "redis", "url": "cache", "port": 6380, "db": 2, "password": "pw", "key_prefix": "kommun",
    }  # fmt: skip
    endpoints = yaml.safe_load(render_endpoints(settings).read_text())
    assert endpoints["tracker_store"]["dialect"] == "postgresql" and endpoints["lock_store"]["type"] == "redis"
    assert endpoints["nlg"] == {"type": "bot.nlg.CatalogNaturalLanguageGenerator"}  # rendered inside Rasa
    assert settings.rasa_urls == ["http://127.0.0.1:1", "http://127.0.0.1:2"]
    default = Settings.from_env({"DATABASE_URL": settings.database_url})
    assert default.production and default.rasa_processes >= 1
    assert Settings.from_env({}).rasa_processes == 1 and not Settings.from_env({}).production


def test_each_conversation_always_goes_to_the_same_rasa_process():
    clients = [RasaClient(None, f"http://127.0.0.1:{port}", "t") for port in (5005, 5006)]  # type: ignore[arg-type]
    delivery = Delivery(None, clients, None, None)  # type: ignore[arg-type]
    ids = [f"{i:032x}" for i in range(200)]
    first = [delivery.rasa_for(i) for i in ids]
    assert first == [delivery.rasa_for(i) for i in ids]  # stable
    assert 60 < sum(client is clients[0] for client in first) < 140  # both processes get work


async def test_two_web_app_instances_share_live_delivery_over_redis(production_settings, profile):
    engine = create_engine(production_settings.database_url)
    sessions = session_factory(engine)
    async with sessions() as s, s.begin():
        username = f"redis{id(engine) % 100000}"
        await add_staff(s, username, "Rut Redis", hash_password(PASSWORD), ["sv"])
    first = TestClient(TestServer(create_app(production_settings)))
    second = TestClient(TestServer(create_app(production_settings)))
    await first.start_server()
    await second.start_server()
    try:
        resident = await first.ws_connect("/ws/chat")
        await resident.send_json({"type": "hello", "language": "sv"})
        welcome = await receive(resident, lambda e: e["type"] == "welcome", timeout=10.0)
        async with sessions() as s, s.begin():
            conversation = await convs.find_by_token(s, welcome["token"])
            case = await queue.start_handoff(
                s,
                profile,
                NewCase(kind="question", description="hjälp", language="sv", conversation_id=conversation.id),
            )
        staff = second  # the case officer's browser reaches the other instance
        login_page = await (await staff.get("/staff/login")).text()
        await staff.post("/staff/login", data={"csrf": csrf_of(login_page), "username": username, "password": PASSWORD})
        origin = str(staff.make_url("")).rstrip("/")
        watcher = await staff.ws_connect("/ws/staff", headers={"Origin": origin})
        await watcher.send_json({"type": "watch", "reference": case.reference})
        await receive(watcher, lambda e: e["type"] == "watching", timeout=10.0)
        token = csrf_of(await (await staff.get("/staff")).text())

        claimed = await staff.post(f"/staff/cases/{case.reference}/claim", data={"csrf": token})
        await claimed.read()
        assert claimed.status == 200
        joined = await receive(resident, lambda e: e["type"] == "message" and e["sender"] == "system", timeout=10.0)
        assert "Rut Redis" in joined["text"]

        sent = await staff.post(
            f"/staff/cases/{case.reference}/message", data={"csrf": token, "text": "Hej från instans två"},
            headers={"X-Requested-With": "fetch"},
        )  # fmt: skip
        assert (await sent.json())["ok"]
        message = await receive(resident, lambda e: e["type"] == "message" and e["sender"] == "staff", timeout=10.0)
        assert message["text"] == "Hej från instans två" and message["name"] == "Rut Redis"

        await resident.send_json({"type": "message", "text": "Tack, jag har en fråga till", "client_id": "x"})
        seen = await receive(watcher, lambda e: e["type"] == "message" and e["sender"] == "resident", timeout=10.0)
        assert seen["text"] == "Tack, jag har en fråga till"
        await resident.close()
        await watcher.close()
    finally:
        await first.close()
        await second.close()
        await engine.dispose()


async def test_redis_down_still_delivers_in_the_instance():
    from bot.chat.hub import RedisHub

    hub = RedisHub("redis://127.0.0.1:1/0")  # nothing listens there
    got: list[dict] = []

    async def push(event: dict) -> None:
        got.append(event)

    hub.subscribe("queue", push)
    await hub.publish("queue", {"type": "queue_changed"})
    assert got == [{"type": "queue_changed"}]
    with pytest.raises(redis.exceptions.ConnectionError):  # subscribing needs Redis
        await hub.start()
    await hub.close()


def test_postgresql_unreachable_at_start_is_a_clear_error_without_the_password(tmp_path):
    import subprocess
    import sys

    from bot.core.settings import PROJECT_ROOT

    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "KOMMUN_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "postgresql+asyncpg://kommun:topsecret@127.0.0.1:1/kommun",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert "cannot reach the database at postgresql+asyncpg://kommun:***@127.0.0.1:1/kommun" in result.stderr
    assert "topsecret" not in result.stderr + result.stdout and "Traceback" not in result.stderr
