"""Server-side staff sessions: created at login, checked on every request, revoked at once when needed.

The session cookie (aiohttp-session's encrypted cookie) holds only a random token; the row here is
keyed by its SHA-256 digest. A session ends at logout, when the account is disabled, its password
or its rights change (:mod:`bot.store.staff`), after :data:`ABSOLUTE_TIMEOUT` and after the
profile's idle timeout (``staff.idle_timeout_minutes``, default 30). OWASP's Session Management Cheat
Sheet asks for both timeouts and for server-side invalidation at logout.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import StaffMember, StaffSession, aware, utcnow

ABSOLUTE_TIMEOUT = timedelta(hours=8)
"""The longest a login lasts, active or not (one working day)."""
SEEN_EVERY = timedelta(seconds=30)
"""``last_seen_at`` is written at most this often (not on every request)."""


def session_id(token: str) -> str:
    """The stored id of a session token (SHA-256 hex digest)."""
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(session: AsyncSession, member: StaffMember, now: datetime | None = None) -> str:
    """Create a session for ``member``; returns the token for the cookie (never stored as such)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(id=session_id(token), staff_member_id=member.id, created_at=now, last_seen_at=now))
    await session.flush()
    return token


async def active_member(
    session: AsyncSession, sid: str, idle: timedelta, now: datetime | None = None
) -> StaffMember | None:
    """The active staff member of the live session ``sid`` (a :func:`session_id`), else ``None``.

    A session past its idle or absolute timeout, or of a disabled account, is revoked here. Moves
    ``last_seen_at`` (at most every :data:`SEEN_EVERY`). Commit is the caller's.
    """
    now = now or utcnow()
    row = (
        await session.execute(
            select(StaffSession, StaffMember)
            .join(StaffMember, StaffMember.id == StaffSession.staff_member_id)
            .where(StaffSession.id == sid, StaffSession.revoked_at.is_(None))
        )
    ).first()
    if row is None:
        return None
    record, member = row
    created, seen = aware(record.created_at), aware(record.last_seen_at)
    if not member.active or now - created > ABSOLUTE_TIMEOUT or now - seen > idle:  # type: ignore[operator]
        await revoke(session, sid, now)
        return None
    if now - seen > SEEN_EVERY:  # type: ignore[operator]
        await session.execute(update(StaffSession).where(StaffSession.id == sid).values(last_seen_at=now))
    return member


async def is_live(session: AsyncSession, sid: str, idle: timedelta, now: datetime | None = None) -> bool:
    """True while the session is neither revoked nor timed out and its account is active (read only)."""
    now = now or utcnow()
    row = (
        await session.execute(
            select(StaffSession.created_at, StaffSession.last_seen_at, StaffMember.active)
            .join(StaffMember, StaffMember.id == StaffSession.staff_member_id)
            .where(StaffSession.id == sid, StaffSession.revoked_at.is_(None))
        )
    ).first()
    if row is None:
        return False
    created, seen, active = row
    return bool(active) and now - aware(created) <= ABSOLUTE_TIMEOUT and now - aware(seen) <= idle  # type: ignore[operator]


async def revoke(session: AsyncSession, sid: str, now: datetime | None = None) -> None:
    """End one session (logout, timeout)."""
    await session.execute(
        update(StaffSession)
        .where(StaffSession.id == sid, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )


async def revoke_all(session: AsyncSession, staff_member_id: int, now: datetime | None = None) -> int:
    """End every session of an account (disabled, new password, new rights); returns how many."""
    result = await session.execute(
        update(StaffSession)
        .where(StaffSession.staff_member_id == staff_member_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


async def forget_ended(session: AsyncSession, now: datetime | None = None) -> int:
    """Delete sessions that ended (revoked or past the absolute timeout) over a day ago; returns how many."""
    cutoff = (now or utcnow()) - ABSOLUTE_TIMEOUT - timedelta(days=1)
    result = await session.execute(
        delete(StaffSession)
        .where(or_(StaffSession.revoked_at < cutoff, StaffSession.created_at < cutoff))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)
