"""Rate limits of residents' messages: a token bucket per socket and per conversation.

A bucket holds up to ``burst`` tokens and gains ``rate`` tokens a second; every event takes one, and an
event that finds the bucket empty is refused (the resident gets the catalog text ``too_fast``). The
defaults let a resident type as fast as anyone types — and a widget send its offline outbox at once —
but stop a script that floods the chat, which would otherwise slow every other resident down
(each message is a Rasa turn).

A socket's bucket lives in its web app process. A conversation's bucket is shared by all of its sockets:
in one process (:class:`ConversationLimits`, the embedded profile), or through Redis by every web app
process (:class:`RedisConversationLimits`, the production profile with ``REDIS_URL``), so that a
resident who opens the chat in several tabs landing on different web apps still gets one limit.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

MESSAGES_PER_SECOND = 2.0
"""Tokens a bucket gains per second (the sustained rate of a socket or a conversation)."""
MESSAGE_BURST = 20.0
"""Tokens a full bucket holds: messages accepted at once (an offline outbox sent on reconnect)."""
MAX_CONVERSATION_BUCKETS = 10_000
"""Buckets of conversations kept in memory; the least recently used ones are forgotten beyond this."""


@dataclass
class TokenBucket:
    """``burst`` tokens at most, ``rate`` more per second (monotonic clock, seconds)."""

    rate: float = MESSAGES_PER_SECOND
    burst: float = MESSAGE_BURST
    tokens: float = -1.0
    updated: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.burst

    def take(self, now: float | None = None) -> bool:
        """Take one token; False (nothing taken) when the bucket is empty."""
        now = time.monotonic() if now is None else now
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


class ConversationLimits:
    """One :class:`TokenBucket` per conversation, shared by all of its sockets in this process (embedded profile)."""

    def __init__(self, rate: float = MESSAGES_PER_SECOND, burst: float = MESSAGE_BURST) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    async def take(self, conversation_id: str, now: float | None = None) -> bool:
        """Take one token of the conversation's bucket; False when it is empty."""
        bucket = self._buckets.pop(conversation_id, None) or TokenBucket(self.rate, self.burst)
        self._buckets[conversation_id] = bucket
        while len(self._buckets) > MAX_CONVERSATION_BUCKETS:
            self._buckets.popitem(last=False)
        return bucket.take(now)

    async def close(self) -> None:
        """Nothing to release in process (the Redis variant closes its connections)."""


REDIS_PREFIX = "kommun:limit:conversation:"
"""Redis hash of a conversation's bucket: ``kommun:limit:conversation:<conversation id>`` (``tokens``, ``updated``)."""

TAKE_SCRIPT = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or burst
local updated = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'updated', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return taken
"""
"""The token bucket of :class:`TokenBucket` as one atomic Lua script (KEYS[1] the bucket; ARGV rate, burst).

The clock is Redis's own (``TIME``), so web apps on hosts whose clocks differ share one bucket correctly;
Redis 5+ replicates the script's effects, not the script, so reading the clock is allowed. A bucket
left alone until it is full again expires (it would be full when read anyway).
"""


class RedisConversationLimits(ConversationLimits):
    """The conversations' buckets in Redis, shared by every web app process (production profile).

    Each :meth:`take` is one round trip running :data:`TAKE_SCRIPT`. When Redis cannot be reached the
    message is let through (a warning is logged): the limit protects Rasa from floods, and refusing
    every resident's message while Redis restarts would be worse than a short time without it.
    """

    def __init__(self, url: str, rate: float = MESSAGES_PER_SECOND, burst: float = MESSAGE_BURST) -> None:
        super().__init__(rate, burst)
        import redis.asyncio as redis_asyncio

        self._redis: Any = redis_asyncio.from_url(url)
        self._take = self._redis.register_script(TAKE_SCRIPT)

    async def take(self, conversation_id: str, now: float | None = None) -> bool:
        """Take one token of the conversation's shared bucket; False when it is empty.

        ``now`` is ignored: Redis's clock counts.
        """
        from redis.exceptions import RedisError

        try:
            taken = await self._take(keys=[REDIS_PREFIX + conversation_id], args=[self.rate, self.burst])
        except (RedisError, OSError) as exc:
            logger.warning("conversation rate limit not checked, Redis unavailable: %s", type(exc).__name__)
            return True
        return bool(taken)

    async def close(self) -> None:
        """Close the Redis connections."""
        await self._redis.close()
        await self._redis.connection_pool.disconnect()
