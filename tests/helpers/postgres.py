"""The machine's PostgreSQL server (127.0.0.1:5432, user ``postgres``, trust authentication).

Tests and benchmarks each create a database of their own on it and drop it afterwards.
"""

from __future__ import annotations

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
"""The administrator connection that creates and drops databases."""


def sqlalchemy_url(name: str) -> str:
    """The SQLAlchemy URL (asyncpg driver) of the database ``name`` on the machine's server."""
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


async def _admin_sql(dsn: str, sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def create_database(name: str, dsn: str = ADMIN_DSN) -> None:
    """Create the PostgreSQL database ``name`` through the administrator connection ``dsn``.

    Raises:
        OSError: the server cannot be reached.
        asyncpg.PostgresError: the server refused (the database exists, no right to create it, …).
    """
    await _admin_sql(dsn, f'CREATE DATABASE "{name}"')


async def drop_database(name: str, dsn: str = ADMIN_DSN) -> None:
    """Drop the PostgreSQL database ``name`` if it exists, closing its connections first.

    Raises:
        OSError: the server cannot be reached.
        asyncpg.PostgresError: the server refused.
    """
    await _admin_sql(dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
