"""One delivery at a time per conversation: in this process, or across web app instances over Redis.

A resident's messages go to Rasa in order and each exactly once. In one process an :class:`asyncio.Lock`
per conversation does it (:class:`LocalLocks`). With several web apps on one database (production profile,
docs/deployment.md) each runs a retry loop over *all* conversations with undelivered messages, so web app B
could send again a message that web app A has sent and is still waiting on Rasa for: :class:`RedisLocks`
adds a Redis lock per conversation (redis-py's ``Lock``: ``SET NX PX`` with a random token, released only
by its owner), so B's retry pass skips a conversation whose delivery is under way elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

logger = logging.getLogger(__name__)

REDIS_PREFIX = "kommun:delivery:"
"""Redis key of a conversation's delivery lock: ``kommun:delivery:<conversation id>``."""


class LocalLocks:
    """Per-conversation locks of this process; a lock exists only while some task holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    def __len__(self) -> int:
        """How many conversations have a lock in this process now (held or waited for)."""
        return len(self._locks)

    @contextlib.asynccontextmanager
    async def hold(self, conversation_id: str, wait: bool = True) -> AsyncIterator[bool]:
        """Hold the conversation's lock for the ``async with`` block; yields whether it is held.

        ``wait=False`` (a retry pass) yields False at once when another task holds it, instead of waiting.
        """
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        if not wait and lock.locked():
            yield False
            return
        self._users[conversation_id] = self._users.get(conversation_id, 0) + 1
        try:
            async with lock:
                async with self._shared(conversation_id, wait) as held:
                    yield held
        finally:
            self._users[conversation_id] -= 1
            if not self._users[conversation_id]:
                del self._users[conversation_id], self._locks[conversation_id]

    @contextlib.asynccontextmanager
    async def _shared(self, conversation_id: str, wait: bool) -> AsyncIterator[bool]:
        """The lock shared with other processes: none in one process."""
        yield True

    async def close(self) -> None:
        """Release what the locks hold outside this process (nothing here)."""


class RedisLocks(LocalLocks):
    """Per-conversation locks shared by every web app instance through Redis.

    ``lease`` (seconds) is how long a lock outlives a crashed holder: longer than one Rasa turn may take
    (the Rasa client's timeout), so a slow turn is never delivered twice. When Redis cannot be reached,
    delivery goes on with this process's lock only (logged): a Redis outage degrades to one-instance
    behaviour, as the hub does (:class:`bot.chat.hub.RedisHub`), rather than stopping every chat.
    """

    def __init__(self, url: str, lease: float) -> None:
        super().__init__()
        import redis.asyncio as redis_asyncio

        self._redis = redis_asyncio.from_url(url)
        self._lease = lease

    @contextlib.asynccontextmanager
    async def _shared(self, conversation_id: str, wait: bool) -> AsyncIterator[bool]:
        from redis.exceptions import LockError, RedisError

        lock = self._redis.lock(REDIS_PREFIX + conversation_id, timeout=self._lease, blocking=wait, sleep=0.05)
        try:
            held = await lock.acquire(blocking_timeout=self._lease if wait else None)
        except RedisError:
            logger.warning("delivery lock: Redis unreachable, delivering under this process's lock", exc_info=True)
            held = None
        if held is None:
            yield True
            return
        if not held:
            yield False
            return
        try:
            yield True
        finally:
            with contextlib.suppress(LockError, RedisError):  # expired (lease over) or Redis gone: nothing to free
                await lock.release()

    async def close(self) -> None:
        """Close the Redis connections."""
        await self._redis.close()
        await self._redis.connection_pool.disconnect()
