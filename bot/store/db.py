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
from sqlalchemy.pool import AsyncAdaptedQueuePool

from bot.core.internal_keys import private_file


def safe_url(url: str) -> str:
    """The database URL with any password masked, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL is shown as "<invalid URL>"
        return "<invalid URL>"


ASYNC_TO_SYNC_DRIVERS = {"sqlite+aiosqlite": "sqlite", "postgresql+asyncpg": "postgresql+psycopg2"}


def sync_url(url: str) -> str:
    """The same database with the synchronous driver (for alembic): aiosqlite → sqlite3, asyncpg → psycopg2.

    A SQLite file is created first, readable by its owner only (0600).
    """
    parsed = make_url(url)
    driver = ASYNC_TO_SYNC_DRIVERS.get(parsed.drivername, parsed.drivername)
    if driver.startswith("sqlite") and parsed.database and parsed.database != ":memory:":
        private_file(Path(parsed.database))
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite connection waits for another's write lock before ``database is locked``."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")  # first: the next pragmas may wait for locks
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode")
    if str(cursor.fetchone()[0]).lower() != "wal":  # WAL is kept in the file: switched on once
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def private_sqlite_file(url: str) -> None:
    """For a SQLite file URL: create its directory and the file with mode 0600 (its WAL files follow)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        private_file(Path(parsed.database))


def create_engine(url: str) -> AsyncEngine:
    """An async engine for ``url`` (``sqlite+aiosqlite:///…`` or ``postgresql+asyncpg://…``).

    For SQLite the file is created readable by its owner only (0600) with its directory, and WAL
    mode, foreign keys and a 30 s busy timeout are switched on so the web app and the action server
    can share the file (a burst of hundreds of writers waits its turn instead of failing). Its
    connections are pooled (SQLAlchemy 1.4 opens a new one per session for a SQLite file otherwise: a new
    thread, file and pragmas each time, five times per resident turn; SQLAlchemy 2.0 pools them by default).

    Raises:
        OSError: the SQLite file or its directory cannot be created.
    """
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"future": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_sqlite_file(url)
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
            kwargs["poolclass"] = AsyncAdaptedQueuePool
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def session_factory(engine: AsyncEngine) -> sessionmaker:
    """A factory of :class:`AsyncSession` bound to ``engine`` (objects stay usable after commit)."""
    return sessionmaker(engine, class_=AsyncSession, expire_on_commit=False, future=True)
