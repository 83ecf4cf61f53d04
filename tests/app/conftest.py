"""The web app and the stores: migrated SQLite and PostgreSQL databases, settings, the app behind a test client."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from actions import store
from bot.core.settings import Settings
from bot.store.db import create_engine, session_factory
from bot.store.migrate import upgrade
from tests.helpers.postgres import create_database, drop_database, sqlalchemy_url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'kommun.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session, dropped afterwards."""
    name = f"kommun_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(create_database(name))
    url = sqlalchemy_url(name)
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(drop_database(name))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Both stores: every test using this runs on SQLite and on the real PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[object]:
    engine = create_engine(database_url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return Settings.from_env(
        {
            "KOMMUN_DATA_DIR": str(tmp_path),
            "DATABASE_URL": sqlite_url,
            "KOMMUN_RASA_TOKEN": "test-token",
            # Nothing listens on these ports during the web-app tests: Rasa is "not started".
            "KOMMUN_RASA_PORT": "1",
            "KOMMUN_ACTION_PORT": "1",
        }
    ).with_overrides(warm_up_language_detection=False)


ACTION_TOKEN = "test-action-token"
"""The action server's shared secret in the action tests (it seals new cases' check codes)."""


@pytest.fixture
async def action_db(monkeypatch, database_url):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("KOMMUN_ACTION_TOKEN", ACTION_TOKEN)
    await store.reset()
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()
    await store.reset()


@pytest.fixture
async def client(settings):
    """The web app (Rasa not running) behind a test client."""
    from aiohttp.test_utils import TestClient, TestServer

    from bot.web.app import create_app

    app = create_app(settings.with_overrides(retry_interval=0.2))
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.fixture
async def db(settings):
    """A session factory on the web app's database."""
    engine = create_engine(settings.database_url)
    yield session_factory(engine)
    await engine.dispose()
