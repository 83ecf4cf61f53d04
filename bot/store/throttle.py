"""Throttling failed staff logins per client address and per username, with exponential back-off.

Instead of locking an account (which anyone who knows a username could do, again and again), each
failure makes the next attempt wait: after :attr:`Rule.free` failures the key is blocked for 1 s,
then 2, 4, 8 … seconds, at most :attr:`Rule.cap` (OWASP Authentication Cheat Sheet, "Account
Lockout": back-off rather than a lock an attacker can trigger). The address rule is the strict one
(an attacker's own address); the account rule is capped at a minute, so somebody else's failures
never keep the owner out for long. A counter restarts after :data:`MEMORY` without failures and when
a login from that address or to that account succeeds.

Counters are changed by one ``INSERT … ON CONFLICT DO UPDATE SET failures = failures + 1`` (SQLite ≥
3.24 and PostgreSQL), so concurrent failures are all counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import LoginThrottle, aware, utcnow

MEMORY = timedelta(hours=1)
"""A counter without a failure for this long starts again from zero."""


@dataclass(frozen=True)
class Rule:
    """Back-off of one kind of key: ``free`` failures without a wait, then 1, 2, 4 … s up to ``cap``."""

    prefix: str
    free: int
    cap: timedelta

    def key(self, value: str) -> str:
        """The counter's key for ``value`` (an address or a username), at most 128 characters."""
        return f"{self.prefix}:{value}"[:128]

    def wait(self, failures: int) -> timedelta:
        """How long to block after ``failures`` failures in a row (zero while within ``free``)."""
        over = failures - self.free
        if over < 0:
            return timedelta(0)
        return min(timedelta(seconds=2 ** min(over, 30)), self.cap)


ADDRESS = Rule("address", free=10, cap=timedelta(minutes=15))
"""Per client address: 10 failures an hour are free, then back-off up to 15 minutes."""
ACCOUNT = Rule("account", free=5, cap=timedelta(minutes=1))
"""Per username (known or not, so the answer reveals nothing): 5 free, then back-off up to 1 minute."""


async def blocked(session: AsyncSession, keys: list[str], now: datetime | None = None) -> bool:
    """True when any of ``keys`` is within its back-off."""
    now = now or utcnow()
    rows = await session.execute(select(LoginThrottle.blocked_until).where(LoginThrottle.key.in_(keys)))
    return any(until is not None and aware(until) > now for (until,) in rows)  # type: ignore[operator]


async def record_failure(session: AsyncSession, rule: Rule, value: str, now: datetime | None = None) -> int:
    """Count one failure of ``rule``'s key for ``value`` atomically and set its back-off; returns the count.

    Runs in the caller's transaction (the row stays locked until it commits on PostgreSQL).
    """
    now = now or utcnow()
    key = rule.key(value)
    insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert  # type: ignore[union-attr]
    statement = insert(LoginThrottle).values(key=key, failures=1, last_failure_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[LoginThrottle.key],
        set_={
            "failures": case((LoginThrottle.last_failure_at < now - MEMORY, 1), else_=LoginThrottle.failures + 1),
            "last_failure_at": now,
        },
    )
    await session.execute(statement)
    failures = (await session.execute(select(LoginThrottle.failures).where(LoginThrottle.key == key))).scalar_one()
    wait = rule.wait(failures)
    if wait:
        await session.execute(update(LoginThrottle).where(LoginThrottle.key == key).values(blocked_until=now + wait))
    return int(failures)


async def reset(session: AsyncSession, keys: list[str]) -> None:
    """Forget the counters of ``keys`` (after a successful login)."""
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))


async def forget_stale(session: AsyncSession, now: datetime | None = None) -> int:
    """Delete counters without a failure for :data:`MEMORY` (they would start from zero anyway)."""
    cutoff = (now or utcnow()) - MEMORY
    result = await session.execute(
        delete(LoginThrottle).where(LoginThrottle.last_failure_at < cutoff).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)
