"""Status lookups (reference number + check code) counted and paused, so check codes cannot be guessed.

Every function takes an open :class:`AsyncSession` and works inside the caller's transaction. The
counters are rows of ``status_lookup`` in the shared database, so the pauses hold across conversations,
web apps and action server workers (issue 17).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import StatusLookup, utcnow

LOOKUP_FAILURE_LIMIT = 5
LOOKUP_PAUSE = timedelta(minutes=15)
CLIENT_LOOKUP_FAILURE_LIMIT = 10
"""Failures from one client address before its lookups pause: higher, as a household or an office shares one."""


def lookup_keys(conversation_id: str, reference: str | None = None, client: str | None = None) -> dict[str, int]:
    """The counters a lookup counts in (``status_lookup.conversation_id``) → their failure limit.

    The conversation's own id; ``reference:<SYN-…>`` for the reference asked about (whatever the
    conversation); ``client:<digest>`` for the client address (a keyed digest from the gateway, never
    the address). The pause per conversation alone was bypassed by opening a new conversation every
    five guesses; the reference and the address are the same in every one of them.
    """
    keys = {conversation_id: LOOKUP_FAILURE_LIMIT}
    if reference:
        keys[f"reference:{reference}"[:36]] = LOOKUP_FAILURE_LIMIT
    if client:
        keys[f"client:{client}"[:36]] = CLIENT_LOOKUP_FAILURE_LIMIT
    return keys


async def record_lookup(
    session: AsyncSession,
    conversation_id: str,
    success: bool,
    now: datetime | None = None,
    reference: str | None = None,
    client: str | None = None,
) -> None:
    """Remember one status lookup attempt in each of its counters (:func:`lookup_keys`)."""
    for key in lookup_keys(conversation_id, reference, client):
        session.add(StatusLookup(conversation_id=key, success=success, created_at=now or utcnow()))


async def _key_paused_until(session: AsyncSession, key: str, limit: int, now: datetime) -> datetime | None:
    rows = await session.execute(
        select(StatusLookup.success, StatusLookup.created_at)
        .where(StatusLookup.conversation_id == key, StatusLookup.created_at >= now - LOOKUP_PAUSE)
        .order_by(StatusLookup.id.desc())
        .limit(limit)
    )
    recent = list(rows)
    if len(recent) < limit or any(success for success, _ in recent):
        return None
    last = recent[0][1]
    if last.tzinfo is None:  # SQLite returns naive UTC
        last = last.replace(tzinfo=now.tzinfo)
    until = last + LOOKUP_PAUSE
    return until if until > now else None


async def lookup_paused_until(
    session: AsyncSession,
    conversation_id: str,
    now: datetime | None = None,
    reference: str | None = None,
    client: str | None = None,
) -> datetime | None:
    """When lookups may go on again, or ``None`` when they may now.

    In each counter of :func:`lookup_keys` (the conversation, the reference, the client address):
    after its limit of failed lookups (wrong code or unknown reference) within :data:`LOOKUP_PAUSE`
    and without a success in between, lookups pause until ``LOOKUP_PAUSE`` after the last of them —
    enough to stop guessing codes, short enough for a resident who mistyped. The latest end of a
    pause among the counters wins.
    """
    now = now or utcnow()
    pauses = [
        until
        for key, limit in lookup_keys(conversation_id, reference, client).items()
        if (until := await _key_paused_until(session, key, limit, now)) is not None
    ]
    return max(pauses, default=None)
