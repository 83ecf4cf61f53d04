"""Apply the alembic migrations (``python -m bot migrate``; also run by ``python -m bot run``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """An alembic :class:`Config` for ``database_url`` without an ``alembic.ini`` file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (the newest by default).

    Must not be called from inside a running event loop (alembic's environment starts its own).

    Raises:
        sqlalchemy.exc.OperationalError / OSError: the database cannot be reached.
    """
    command.upgrade(alembic_config(database_url), revision)


class SchemaMissing(RuntimeError):
    """The database has not been created, or not migrated to this code's schema; the message says how."""


def require_schema(database_url: str) -> None:
    """Check that the database exists and is at the newest migration, without creating anything.

    For commands that only read (``python -m bot cases list``): on a fresh checkout they say how to
    create the database instead of failing on a missing table. Raises:
        SchemaMissing: no SQLite file, no tables, or an older schema (the message names the command).
        sqlalchemy.exc.OperationalError: the database server cannot be reached.
    """
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from bot.store.db import safe_url, sync_url

    shown = safe_url(database_url)
    parsed = make_url(database_url)
    database = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:") and not Path(database).exists():
        raise SchemaMissing(f"there is no database at {shown} yet: create it with `python -m bot migrate`")
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    engine = create_engine(sync_url(database_url), poolclass=NullPool, future=True)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    if current is None:
        raise SchemaMissing(f"the database at {shown} has no tables yet: create them with `python -m bot migrate`")
    if current != head:
        raise SchemaMissing(
            f"the database at {shown} has schema {current}, this version needs {head}: "
            "upgrade it with `python -m bot migrate`"
        )
