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
