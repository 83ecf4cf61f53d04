"""Retention: remove personal data of closed cases and of old chats, keep what statistics need.

A case closed more than the profile's ``retention.closed_case_days`` ago loses its description,
place, contact details, check code, resolution and the text of its notes; the transcript of its
conversation is emptied (message texts and payloads), and so is the receipt in the outbox. The
reference, kind, area, status, language, interpreter flag and every date stay, so the key figures
still add up. A chat that never became a case is emptied the same number of days after its last
message. Source of the period: the municipality's records management plan (dokumenthanteringsplan,
arkivlagen 1990:782; GDPR art. 5.1 e, storage limitation).

Photos and shared positions of such cases and chats are deleted with them (:func:`bot.store.photos.forget`).

``python -m bot retention run`` runs it once; the web app runs :func:`run_once` daily. Each pass also
forgets ended staff sessions and stale login counters (:func:`bot.store.staff_sessions.forget_ended`,
:func:`bot.store.throttle.forget_stale`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

from bot.core.profile import Profile
from bot.store import photos, staff_sessions, throttle
from bot.store.desk import record_event
from bot.store.models import Case, CaseEvent, Conversation, Message, Notification, utcnow

logger = logging.getLogger(__name__)

DAY = 24 * 3600.0
"""Seconds between two retention passes of the web app."""


@dataclass(frozen=True)
class RetentionResult:
    """How many cases and conversations one run anonymised."""

    cases: int
    conversations: int


async def _empty_transcript(session: AsyncSession, conversation_id: str, now: datetime) -> None:
    await session.execute(
        update(Message).where(Message.conversation_id == conversation_id).values(text="", payload=None)
    )
    await session.execute(update(Conversation).where(Conversation.id == conversation_id).values(anonymised_at=now))
    await photos.forget(session, conversation_ids=[conversation_id])  # photos and positions sent in the chat


async def anonymise(session: AsyncSession, profile: Profile, now: datetime | None = None) -> RetentionResult:
    """Anonymise what is past the retention period (see the module docstring); safe to run repeatedly."""
    now = now or utcnow()
    cutoff = now - timedelta(days=profile.retention_days)
    cases = list(
        (
            await session.execute(
                select(Case).where(Case.status == "closed", Case.closed_at < cutoff, Case.anonymised_at.is_(None))
            )
        ).scalars()
    )
    conversations: set[str] = set()
    for case in cases:
        case.description = ""
        case.place = None
        case.contact_name = None
        case.contact_email = None
        case.contact_phone = None
        case.check_code_hash = None
        case.resolution = None
        case.anonymised_at = now
        notes = await session.execute(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "note"))
        for note in notes.scalars():
            note.data = {k: v for k, v in (note.data or {}).items() if k != "text"}
        await session.execute(
            update(Notification).where(Notification.case_id == case.id).values(recipient="", body="", subject="")
        )
        await record_event(session, case.id, "anonymised", "retention", {"days": profile.retention_days})
        if case.conversation_id:
            conversations.add(case.conversation_id)
    await photos.forget(session, case_ids=[case.id for case in cases])  # the cases' photos and positions
    emptied = 0
    # A conversation is emptied once none of its cases still needs it.
    for conversation_id in conversations:
        still_needed = await session.execute(
            select(Case.id).where(Case.conversation_id == conversation_id, Case.anonymised_at.is_(None)).limit(1)
        )
        if still_needed.first() is None:
            await _empty_transcript(session, conversation_id, now)
            emptied += 1
    # Chats that never became a case, quiet for the whole period.
    caseless = await session.execute(
        select(Conversation.id).where(
            Conversation.anonymised_at.is_(None),
            Conversation.updated_at < cutoff,
            ~exists().where(Case.conversation_id == Conversation.id),
            ~exists().where(and_(Message.conversation_id == Conversation.id, Message.created_at >= cutoff)),
        )
    )
    for (conversation_id,) in list(caseless):
        await _empty_transcript(session, conversation_id, now)
        emptied += 1
    return RetentionResult(cases=len(cases), conversations=emptied)


async def run_once(sessions: sessionmaker, profile: Profile) -> RetentionResult:
    """One retention pass in its own transaction."""
    async with sessions() as session, session.begin():
        result = await anonymise(session, profile)
        await staff_sessions.forget_ended(session)
        await throttle.forget_stale(session)
    if result.cases or result.conversations:
        logger.info("retention: anonymised %d cases and %d conversations", result.cases, result.conversations)
    return result
