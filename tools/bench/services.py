"""The machine's local services the benchmarks and the tests use: free TCP ports, PostgreSQL databases, Redis keys.

The one copy of each: ``tests/`` import :func:`free_port`, :func:`create_database` and
:func:`drop_database` from here too.
"""

from __future__ import annotations

import socket

DEFAULT_PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_KEY_PATTERN = "kommun*"
"""Keys of the production profile in Redis (Rasa's lock store uses the prefix ``kommun``)."""


def free_port(consecutive: int = 1) -> int:
    """A free TCP port ``p`` on loopback such that ``p … p + consecutive - 1`` are all free."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + consecutive > 65535:
            continue
        ok = True
        for other in range(port + 1, port + consecutive):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", other)) == 0:
                    ok = False
                    break
        if ok:
            return port
    raise RuntimeError(f"no {consecutive} consecutive free ports")


async def _admin_sql(dsn: str, sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def create_database(name: str, dsn: str = DEFAULT_PG_ADMIN_DSN) -> None:
    """Create the PostgreSQL database ``name`` through the administrator connection ``dsn``.

    Raises:
        OSError: the server cannot be reached.
        asyncpg.PostgresError: the server refused (the database exists, no right to create it, …).
    """
    await _admin_sql(dsn, f'CREATE DATABASE "{name}"')


async def drop_database(name: str, dsn: str = DEFAULT_PG_ADMIN_DSN) -> None:
    """Drop the PostgreSQL database ``name`` if it exists, closing its connections first.

    Raises:
        OSError: the server cannot be reached.
        asyncpg.PostgresError: the server refused.
    """
    await _admin_sql(dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def redis_keys(url: str, delete: bool) -> int:
    """How many ``kommun*`` keys the Redis db holds (deleted first with ``delete``)."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=REDIS_KEY_PATTERN, count=500)]
        if delete and keys:
            await client.delete(*keys)
        return len(keys)
    finally:
        await client.close()
