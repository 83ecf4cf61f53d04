"""Alembic environment: runs the migrations with the synchronous driver of the configured database.

The app uses async drivers (aiosqlite, asyncpg); migrations run once, before the app starts, with
the matching synchronous driver (sqlite3, psycopg2), which is alembic's ordinary path.

On PostgreSQL several processes may migrate at once (web apps and action servers starting on separate
hosts): each first takes a transaction-level advisory lock (:data:`MIGRATION_LOCK`), so the others wait,
then find the schema current and change nothing. Without it two processes both create the first table
and one fails (measured: 2 of 3 processes started together failed).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, event, text
from sqlalchemy.pool import NullPool

from bot.store.db import sync_url
from bot.store.models import Base

MIGRATION_LOCK = 0x6B6F6D6D756E
"""Key of the PostgreSQL advisory lock held while migrating (``pg_advisory_xact_lock``; "kommun" in ASCII)."""


def run_migrations_online() -> None:
    """Apply migrations to the database named by the ``sqlalchemy.url`` option."""
    url = sync_url(context.config.get_main_option("sqlalchemy.url"))
    engine = create_engine(url, poolclass=NullPool, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA foreign_keys=ON"))
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":  # released when the transaction ends
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
                context.run_migrations()
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `python -m bot migrate`")
run_migrations_online()
