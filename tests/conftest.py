"""Shared fixtures: migrated SQLite and PostgreSQL databases, settings, profile, catalogs."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import yaml

from actions import store
from bot.core.catalog import Catalogs
from bot.core.profile import Profile, load_profile
from bot.core.settings import PROJECT_ROOT, Settings
from bot.store.db import create_engine, session_factory
from bot.store.migrate import upgrade
from tests.helpers.ports import free_port
from tests.helpers.postgres import create_database, drop_database, sqlalchemy_url
from tests.helpers.ready import StackExited, wait_listening
from tests.helpers.stack import stack_env, stack_url, start_stack, stop_stack


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


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The whole stack as `make run` starts it (SQLite, one Rasa), once per test session.

    Yields ``{url, env, process, data_dir, embed_port}``: ``embed_port`` is a free port whose origin
    ``http://127.0.0.1:<embed_port>`` the stack's profile allows to embed the widget. At the end,
    Ctrl-C (SIGINT) must stop every process: exit code 0, no port left open.
    """
    data_dir = tmp_path_factory.mktemp("stack")
    embed_port = free_port()
    profile_data = yaml.safe_load((PROJECT_ROOT / "profiles" / "example.yml").read_text(encoding="utf-8"))
    profile_data["widget"] = {"allowed_origins": [f"http://127.0.0.1:{embed_port}"]}
    profile_path = data_dir / "profile.yml"
    profile_path.write_text(yaml.safe_dump(profile_data, allow_unicode=True), encoding="utf-8")
    env = stack_env(data_dir, KOMMUN_PROFILE=str(profile_path))
    process = start_stack(env)
    try:  # the web app is up long before Rasa: the tests wait for Rasa themselves
        wait_listening(int(env["KOMMUN_PORT"]), process)
    except StackExited:
        pytest.fail((data_dir / "supervisor.log").read_text())
    yield {"url": stack_url(env), "env": env, "process": process, "data_dir": data_dir, "embed_port": embed_port}
    # Ctrl-C stops every process: checked here, after the last test that uses the stack.
    assert process.poll() is None, "the supervisor died during the tests"
    assert stop_stack(process) == 0
    for port in ("KOMMUN_PORT", "KOMMUN_RASA_PORT", "KOMMUN_ACTION_PORT"):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", int(env[port]))) != 0, f"{port} still open after Ctrl-C"
    assert (data_dir / "logs" / "rasa.log").exists()
