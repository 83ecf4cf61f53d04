"""The Redis keys of the production profile, which a load benchmark run checks empty and cleans up.

Free ports and the PostgreSQL administrator live in ``tests/helpers`` (:mod:`tests.helpers.ports`,
:mod:`tests.helpers.postgres`), shared by the tests and the benchmarks.
"""

from __future__ import annotations

REDIS_KEY_PATTERN = "kommun*"
"""Keys of the production profile in Redis (Rasa's lock store uses the prefix ``kommun``)."""


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
