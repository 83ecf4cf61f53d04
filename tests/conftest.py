"""Shared fixtures: migrated SQLite and PostgreSQL databases, settings, profile, catalogs."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from actions import store
from bot.catalog import Catalogs
from bot.profile import Profile, load_profile
from bot.settings import PROJECT_ROOT, Settings
from bot.store.db import create_engine, session_factory
from bot.store.migrate import upgrade

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
"""The machine's PostgreSQL (trust auth); each test run makes its own database on it."""


@pytest.fixture(scope="session")
def profile() -> Profile:
    return load_profile(PROJECT_ROOT / "profiles" / "example.yml")


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    return Catalogs()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'kommun.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session, dropped afterwards."""
    name = f"kommun_test_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


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


@pytest.fixture
async def action_db(monkeypatch, database_url):
    monkeypatch.setenv("DATABASE_URL", database_url)
    await store.reset()
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()
    await store.reset()


@pytest.fixture
async def client(settings):
    """The web app (Rasa not running) behind a test client."""
    from aiohttp.test_utils import TestClient, TestServer

    from bot.app import create_app

    app = create_app(settings.with_overrides(retry_interval=0.2))
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.fixture
async def db(settings):
    """A session factory on the web app's database."""
    engine = create_engine(settings.database_url)
    yield session_factory(engine)
    await engine.dispose()
