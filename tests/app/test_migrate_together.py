"""Several hosts start at once (web apps, action servers): each runs the migrations on the same PostgreSQL.

The migrations take a PostgreSQL advisory lock first (``bot/store/migrations/env.py``): the second
process waits for the first, then finds the schema current and changes nothing.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid

import asyncpg

from bot.core.settings import PROJECT_ROOT
from tests.helpers.postgres import create_database, drop_database, sqlalchemy_url

MIGRATE_AT = """
import sys, time
from bot.store.migrate import upgrade
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
upgrade(sys.argv[1])
"""


def test_processes_migrating_one_fresh_postgresql_database_at_once_all_succeed():
    name = f"kommun_migrate_{uuid.uuid4().hex[:10]}"
    asyncio.run(create_database(name))
    try:
        start = time.time() + 6.0  # after every interpreter has imported alembic and the models
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", MIGRATE_AT, sqlalchemy_url(name), str(start)],
                cwd=PROJECT_ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for _ in range(3)
        ]
        outputs = [process.communicate(120)[0].decode(errors="replace") for process in processes]
        assert [process.returncode for process in processes] == [0, 0, 0], "\n".join(outputs)

        async def version() -> list[str]:
            connection = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}")
            try:
                return [row[0] for row in await connection.fetch("SELECT version_num FROM alembic_version")]
            finally:
                await connection.close()

        assert len(asyncio.run(version())) == 1
    finally:
        asyncio.run(drop_database(name))
