"""The staff side of a case in the store: the audit trail, notes, status changes, closing, handing back.

Every function takes an open :class:`AsyncSession` and works inside the caller's transaction. Every
staff action on a case is written to the audit trail (:class:`~bot.store.models.CaseEvent`, ``actor``
``staff:<username>``). Status changes and closing are conditional ``UPDATE … WHERE`` statements on the
status the staff member saw and the sources the workflow allows (:mod:`bot.cases.workflow`); they raise
:class:`~bot.cases.workflow.StaleCase` when the case changed meanwhile, so two browsers never both win.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import access, workflow
from bot.store.cases import find_case
from bot.store.models import Case, CaseEvent, Conversation, StaffMember, utcnow


def staff_actor(member: StaffMember) -> str:
    """The audit trail's ``actor`` for a staff member: ``staff:<username>``."""
    return f"staff:{member.username}"


async def record_event(
    session: AsyncSession, case_id: int, kind: str, actor: str, data: dict[str, Any] | None = None
) -> None:
    """Append one entry to a case's audit trail."""
    session.add(CaseEvent(case_id=case_id, kind=kind, actor=actor, data=data, created_at=utcnow()))


async def get_case(session: AsyncSession, reference: str) -> Case:
    """The case with this reference.

    Raises:
        LookupError: no such case.
    """
    case = await find_case(session, reference)
    if case is None:
        raise LookupError(reference)
    return case


async def note_staff_reply(session: AsyncSession, case: Case, member: StaffMember, now: datetime | None = None) -> None:
    """Record a case officer's chat message in the audit trail (and the first reply's time)."""
    now = now or utcnow()
    if case.first_staff_reply_at is None:
        await session.execute(
            update(Case)
            .where(Case.id == case.id, Case.first_staff_reply_at.is_(None))
            .values(first_staff_reply_at=now)
            .execution_options(synchronize_session=False)
        )
    await record_event(session, case.id, "message", staff_actor(member), {"staff_id": member.id})


async def add_note(session: AsyncSession, case: Case, member: StaffMember, text: str) -> None:
    """Add an internal note (never shown to the resident) to the case.

    Raises:
        ValueError: the note is empty.
    """
    if not text.strip():
        raise ValueError("empty note")
    await record_event(session, case.id, "note", staff_actor(member), {"staff_id": member.id, "text": text.strip()})


async def _transition(
    session: AsyncSession, case: Case, change: workflow.Transition, expected: str, values: dict[str, Any], now: datetime
) -> None:
    """Apply ``change`` if the case is still ``expected`` and the change is allowed from there, else raise.

    Raises:
        StaleCase: the case is no longer ``expected``, or ``change`` is not allowed from it.
    """
    result = await session.execute(
        update(Case)
        .where(Case.id == case.id, Case.status == expected, Case.status.in_(change.sources))
        .values(updated_at=now, acknowledged_at=func.coalesce(Case.acknowledged_at, now), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        await session.refresh(case)
        raise workflow.StaleCase(case.reference, case.status)


async def set_status(
    session: AsyncSession, case: Case, member: StaffMember, status: str, expected: str, now: datetime | None = None
) -> None:
    """Change a case's status by hand, if it is still ``expected`` (what the staff member saw).

    Raises:
        ValueError: ``status`` cannot be set by hand (:data:`~bot.cases.workflow.SET_BY_HAND`; see :func:`close_case`).
        StaleCase: the status changed meanwhile.
    """
    change = workflow.SET_BY_HAND.get(status)
    if change is None:
        raise ValueError(f"status {status!r} cannot be set by hand")
    now = now or utcnow()
    await _transition(session, case, change, expected, {"status": change.target}, now)
    await record_event(
        session, case.id, "status_changed", staff_actor(member), {"staff_id": member.id, "from": expected, "to": status}
    )
    await session.refresh(case)


async def close_case(
    session: AsyncSession, case: Case, member: StaffMember, resolution: str, expected: str, now: datetime | None = None
) -> bool:
    """Close a case with a resolution; returns True when its chat was live and has now ended.

    A live chat (mode ``waiting``/``human``) of the case ends (mode ``closed``); the resident's next
    message starts over with the bot. Raises:
        ValueError: empty resolution.
        StaleCase: the case changed meanwhile (e.g. already closed).
    """
    if not resolution.strip():
        raise ValueError("empty resolution")
    now = now or utcnow()
    await _transition(
        session,
        case,
        workflow.CLOSE,
        expected,
        {"status": workflow.CLOSE.target, "resolution": resolution.strip(), "closed_at": now},
        now,
    )
    await record_event(session, case.id, "closed", staff_actor(member), {"staff_id": member.id, "from": expected})
    ended = False
    if case.conversation_id:
        result = await session.execute(
            update(Conversation)
            .where(Conversation.id == case.conversation_id, Conversation.mode.in_(workflow.CHAT_ENDED.sources))
            .values(mode=workflow.CHAT_ENDED.target, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        ended = result.rowcount == 1
    await session.refresh(case)
    return ended


async def hand_back(session: AsyncSession, case: Case, member: StaffMember, now: datetime | None = None) -> None:
    """Give the chat back to the bot (mode ``bot``); the case keeps its status.

    Raises:
        StaleCase: the chat is not live with a person any more.
    """
    now = now or utcnow()
    result = await session.execute(
        update(Conversation)
        .where(Conversation.id == case.conversation_id, Conversation.mode.in_(workflow.CHAT_HANDED_BACK.sources))
        .values(mode=workflow.CHAT_HANDED_BACK.target, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not case.conversation_id or result.rowcount != 1:
        raise workflow.StaleCase(case.reference, case.status)
    await record_event(session, case.id, "handed_back", staff_actor(member), {"staff_id": member.id})


async def reassign(
    session: AsyncSession, case: Case, member: StaffMember, to_id: int, now: datetime | None = None
) -> StaffMember:
    """Give a case to the active case officer or supervisor ``to_id``, if its officer is still who it was.

    Its live chat (mode ``human``) goes with it. Returns the new officer. Raises:
        LookupError: no active staff member ``to_id`` who works with cases.
        StaleCase: the case is waiting, closed, or its officer changed meanwhile.
    """
    to = await session.get(StaffMember, to_id)
    if to is None or not to.active or not access.sees_cases(to):
        raise LookupError(to_id)
    before = case.assigned_staff_id
    was = Case.assigned_staff_id.is_(None) if before is None else Case.assigned_staff_id == before
    result = await session.execute(
        update(Case)
        .where(Case.id == case.id, Case.status.in_(workflow.REASSIGNABLE), was)
        .values(assigned_staff_id=to.id, updated_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        await session.refresh(case)
        raise workflow.StaleCase(case.reference, case.status)
    data = {"staff_id": member.id, "from": before, "to": to.id}
    await record_event(session, case.id, "reassigned", staff_actor(member), data)
    await session.refresh(case)
    return to


async def case_events(session: AsyncSession, case_id: int) -> list[CaseEvent]:
    """A case's audit trail, oldest first."""
    rows = await session.execute(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))
    return list(rows.scalars())


async def staff_names(session: AsyncSession) -> dict[int, StaffMember]:
    """Every staff account by id (to show who wrote a message or a note)."""
    return {m.id: m for m in (await session.execute(select(StaffMember))).scalars()}
