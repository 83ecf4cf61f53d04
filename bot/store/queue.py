"""The live queue of chats handed to a person: handoff, place and wait, claim, unclaimed chats, leaving.

Every function takes an open :class:`AsyncSession` and works inside the caller's transaction. A claim
is a conditional ``UPDATE … WHERE`` on the workflow's allowed sources (:data:`bot.cases.workflow.CLAIM`):
exactly one of several concurrent claims wins, the others get :class:`~bot.cases.workflow.StaleCase`.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import workflow
from bot.core.foreign import FOREIGN
from bot.core.profile import Profile
from bot.store import desk
from bot.store.cases import WORKING_LANGUAGE, NewCase, create_case
from bot.store.models import Case, Conversation, StaffMember, aware, utcnow

WAIT_HISTORY = timedelta(days=14)
"""How far back claimed chats count for the estimated wait."""
MIN_WAIT_SAMPLES = 3


async def open_handoff_case(session: AsyncSession, conversation_id: str) -> Case | None:
    """The newest case of this conversation that was handed to a person and is not closed."""
    rows = await session.execute(
        select(Case)
        .where(
            Case.conversation_id == conversation_id,
            Case.handoff_at.is_not(None),
            Case.status.in_(workflow.HANDOFF.sources),
        )
        .order_by(Case.id.desc())
        .limit(1)
    )
    return rows.scalar_one_or_none()


async def start_handoff(session: AsyncSession, profile: Profile, new: NewCase, now: datetime | None = None) -> Case:
    """Put a conversation in the staff queue: create its case, or reopen its open handoff case.

    A conversation that was handed back to the bot and asks for a person again keeps its case (one
    contact, one case — the municipality's "contact us once" policy); its claim is reset. Also sets
    the conversation's mode to ``waiting``. Returns the case with ``status`` ``waiting_for_staff``.
    """
    now = now or utcnow()
    case = await open_handoff_case(session, new.conversation_id) if new.conversation_id else None
    if case is None:
        target = workflow.HANDOFF.target
        case = await create_case(session, profile, NewCase(**{**new.__dict__, "status": target}), now)
        case.handoff_at = now
        await desk.record_event(session, case.id, "handoff", "assistant", {"reopened": False})
    else:
        case.status = workflow.HANDOFF.target
        case.handoff_at = now
        case.assigned_staff_id = None
        case.claimed_at = None
        case.unclaimed_notified_at = None
        case.updated_at = now
        if new.kind != "question" and case.kind == "question":
            case.kind = new.kind
        if new.area and not case.area:
            case.area = new.area
        if new.interpreter_language:
            case.interpreter_needed = True
            case.description_language = new.interpreter_language
        await desk.record_event(session, case.id, "handoff", "assistant", {"reopened": True})
    if new.conversation_id:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == new.conversation_id)
            .values(mode=workflow.WAITING, updated_at=now)
        )
    await session.flush()
    return case


def _waiting_query() -> Any:
    return (
        select(Case, Conversation)
        .join(Conversation, Conversation.id == Case.conversation_id)
        .where(
            Case.status == workflow.WAITING_FOR_STAFF,
            Case.handoff_at.is_not(None),
            Conversation.mode == workflow.WAITING,
        )
    )


async def queue_position(session: AsyncSession, case: Case) -> int:
    """The case's place in the staff queue (1 = next), counting chats waiting since before it."""
    rows = await session.execute(
        select(func.count())
        .select_from(Case)
        .join(Conversation, Conversation.id == Case.conversation_id)
        .where(
            Case.status == workflow.WAITING_FOR_STAFF,
            Conversation.mode == workflow.WAITING,
            Case.handoff_at.is_not(None),
            or_(Case.handoff_at < case.handoff_at, and_(Case.handoff_at == case.handoff_at, Case.id <= case.id)),
        )
    )
    return max(1, int(rows.scalar_one()))


async def estimated_wait_minutes(
    session: AsyncSession, profile: Profile, position: int, now: datetime | None = None
) -> int:
    """Estimated minutes until a case officer joins, for the chat at ``position`` in the queue.

    The median time from handoff to claim over the last :data:`WAIT_HISTORY` (at least
    :data:`MIN_WAIT_SAMPLES` chats), else the profile's ``handoff.expected_wait_minutes``, times the
    position; rounded up to whole minutes, at least 1.
    """
    now = now or utcnow()
    rows = await session.execute(
        select(Case.handoff_at, Case.claimed_at).where(
            Case.claimed_at.is_not(None), Case.handoff_at.is_not(None), Case.claimed_at >= now - WAIT_HISTORY
        )
    )
    waits = [(aware(claimed) - aware(handed)).total_seconds() / 60 for handed, claimed in rows]  # type: ignore[operator]
    per_chat = statistics.median(waits) if len(waits) >= MIN_WAIT_SAMPLES else profile.handoff_expected_wait_minutes
    return max(1, math.ceil(per_chat * position))


@dataclass(frozen=True)
class QueueEntry:
    """One chat waiting for a case officer, as the staff queue shows it.

    ``waiting_seconds`` since the handoff; ``speakers`` are display names of active staff who speak
    the conversation's language; ``interpreter_needed`` is decided now (not Swedish and nobody active
    speaks it), so adding a staff member who speaks the language clears it; ``interpreter_language`` is a
    language we do not speak that the resident wrote in (the case's description language, one of
    :data:`bot.core.foreign.FOREIGN`): then an interpreter is always needed.
    """

    reference: str
    language: str
    kind: str
    area: str | None
    interpreter_needed: bool
    handoff_at: datetime
    waiting_seconds: int
    speakers: tuple[str, ...]
    interpreter_language: str | None = None


async def waiting_queue(session: AsyncSession, now: datetime | None = None) -> list[QueueEntry]:
    """Chats waiting for a case officer, longest wait first."""
    now = now or utcnow()
    staff = list(
        (
            await session.execute(select(StaffMember).where(StaffMember.active.is_(True)).order_by(StaffMember.id))
        ).scalars()
    )
    rows = await session.execute(_waiting_query().order_by(Case.handoff_at, Case.id))
    entries = []
    for case, conversation in rows:
        handed = aware(case.handoff_at)
        speakers = tuple(m.display_name for m in staff if conversation.language in (m.languages or []))
        foreign = case.description_language if case.description_language in FOREIGN else None
        entries.append(
            QueueEntry(
                reference=case.reference,
                language=conversation.language,
                kind=case.kind,
                area=case.area,
                interpreter_needed=bool(foreign) or (conversation.language != WORKING_LANGUAGE and not speakers),
                handoff_at=handed,  # type: ignore[arg-type]
                waiting_seconds=max(0, int((now - handed).total_seconds())),  # type: ignore[operator]
                speakers=speakers,
                interpreter_language=foreign,
            )
        )
    return entries


async def live_cases_of(session: AsyncSession, staff_id: int) -> list[tuple[Case, Conversation]]:
    """Cases whose chat the staff member is in right now (mode ``human``), oldest claim first."""
    rows = await session.execute(
        select(Case, Conversation)
        .join(Conversation, Conversation.id == Case.conversation_id)
        .where(
            Case.assigned_staff_id == staff_id,
            Conversation.mode == workflow.HUMAN,
            Case.status.in_(workflow.OPEN_STATUSES),
        )
        .order_by(Case.claimed_at)
    )
    return [(case, conversation) for case, conversation in rows]


async def claim(session: AsyncSession, reference: str, member: StaffMember, now: datetime | None = None) -> Case:
    """Give a waiting chat to ``member``; exactly one of several concurrent claims wins.

    The winner's conditional update moves the case to ``in_progress`` and the conversation to mode
    ``human``. Raises:
        StaleCase: the chat is no longer waiting (claimed by someone else, the resident left, …).
        LookupError: no case with this reference.
    """
    now = now or utcnow()
    case = await desk.get_case(session, reference)
    result = await session.execute(
        update(Case)
        .where(Case.id == case.id, Case.status.in_(workflow.CLAIM.sources), Case.assigned_staff_id.is_(None))
        .values(
            status=workflow.CLAIM.target,
            assigned_staff_id=member.id,
            claimed_at=now,
            acknowledged_at=func.coalesce(Case.acknowledged_at, now),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        await session.refresh(case)
        raise workflow.StaleCase(reference, case.status)
    if case.conversation_id:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == case.conversation_id)
            .values(mode=workflow.HUMAN, updated_at=now)
        )
    await desk.record_event(session, case.id, "claimed", desk.staff_actor(member), {"staff_id": member.id})
    await session.refresh(case)
    return case


async def resident_left(session: AsyncSession, conversation_id: str, now: datetime | None = None) -> Case | None:
    """The resident ended a live chat: the conversation closes, its case stays open.

    A case still waiting for a case officer leaves the live queue and becomes ``received`` (handled
    by its deadlines like any other case). Returns the case, or ``None`` when there is none.
    """
    now = now or utcnow()
    await session.execute(
        update(Conversation).where(Conversation.id == conversation_id).values(mode=workflow.CHAT_CLOSED, updated_at=now)
    )
    case = await open_handoff_case(session, conversation_id)
    if case is None:
        return None
    if workflow.RESIDENT_LEFT.allows(case.status):
        case.status = workflow.RESIDENT_LEFT.target
        case.updated_at = now
    await desk.record_event(session, case.id, "resident_left", "resident", {"status": case.status})
    await session.flush()
    return case


async def unclaimed_cases(session: AsyncSession, older_than: timedelta, now: datetime | None = None) -> list[Case]:
    """Waiting chats nobody claimed within ``older_than`` whose resident was not told yet; marks them told.

    Only the chats this call marked are returned, so with several web app instances each chat is
    handled (resident told, department mailed) by exactly one of them.
    """
    now = now or utcnow()
    rows = await session.execute(
        _waiting_query().where(Case.unclaimed_notified_at.is_(None), Case.handoff_at <= now - older_than)
    )
    cases = []
    for case, _ in rows:
        result = await session.execute(
            update(Case)
            .where(Case.id == case.id, Case.unclaimed_notified_at.is_(None))
            .values(unclaimed_notified_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # another web app instance may have marked it first: then it tells
            await desk.record_event(session, case.id, "unclaimed_notice", "assistant")
            cases.append(case)
    return cases
