"""Engine and session factories. Nothing connects at import time.

One :class:`~sqlalchemy.ext.asyncio.AsyncSession` per unit of work: ``async with sessions() as s,
s.begin(): ...``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker


def safe_url(url: str) -> str:
    """The database URL with any password masked, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL is shown as "<invalid URL>"
        return "<invalid URL>"


ASYNC_TO_SYNC_DRIVERS = {"sqlite+aiosqlite": "sqlite", "postgresql+asyncpg": "postgresql+psycopg2"}


def sync_url(url: str) -> str:
    """The same database with the synchronous driver (for alembic): aiosqlite → sqlite3, asyncpg → psycopg2."""
    parsed = make_url(url)
    driver = ASYNC_TO_SYNC_DRIVERS.get(parsed.drivername, parsed.drivername)
    if driver.startswith("sqlite") and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")  # first: switching to WAL waits for a lock too
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    """An async engine for ``url`` (``sqlite+aiosqlite:///…`` or ``postgresql+asyncpg://…``).

    For SQLite the parent directory is created, and WAL mode, foreign keys and a 10 s busy timeout
    are switched on so the web app and the action server can share the file.
    """
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"future": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def session_factory(engine: AsyncEngine) -> sessionmaker:
    """A factory of :class:`AsyncSession` bound to ``engine`` (objects stay usable after commit)."""
    return sessionmaker(engine, class_=AsyncSession, expire_on_commit=False, future=True)
