"""Rate limits of residents' messages: a token bucket per socket and per conversation.

A bucket holds up to ``burst`` tokens and gains ``rate`` tokens a second; every event takes one, and an
event that finds the bucket empty is refused (the resident gets the catalog text ``too_fast``). The
defaults let a resident type as fast as anyone types — and a widget send its offline outbox at once —
but stop a script that floods the chat, which would otherwise slow every other resident down
(each message is a Rasa turn).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field

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
    """One :class:`TokenBucket` per conversation, shared by all of its sockets in this process."""

    def __init__(self, rate: float = MESSAGES_PER_SECOND, burst: float = MESSAGE_BURST) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def take(self, conversation_id: str, now: float | None = None) -> bool:
        """Take one token of the conversation's bucket; False when it is empty."""
        bucket = self._buckets.pop(conversation_id, None) or TokenBucket(self.rate, self.burst)
        self._buckets[conversation_id] = bucket
        while len(self._buckets) > MAX_CONVERSATION_BUCKETS:
            self._buckets.popitem(last=False)
        return bucket.take(now)
