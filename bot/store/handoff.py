"""Handoff to a person and the staff side of a case: queue, claim, notes, status, close, hand back.

Every function takes an open :class:`AsyncSession` and works inside the caller's transaction. Every
staff action on a case is written to the audit trail (:class:`~bot.store.models.CaseEvent`, ``actor``
``staff:<username>``). Actions that depend on the case's state (claim, status, close, hand back)
change it with a conditional ``UPDATE … WHERE`` and raise :class:`StaleCase` when another staff
member got there first, so two browsers never both win.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.profile import Profile
from bot.store.cases import CASE_STATUSES, WORKING_LANGUAGE, NewCase, create_case, find_case, local_today
from bot.store.models import Case, CaseEvent, Conversation, StaffMember, aware, utcnow

LIVE_MODES = ("waiting", "human")
"""Conversation modes in which a person, not the bot, answers the resident."""
WAIT_HISTORY = timedelta(days=14)
"""How far back claimed chats count for the estimated wait."""
MIN_WAIT_SAMPLES = 3
STAFF_STATUSES = ("received", "in_progress", "closed")
"""Statuses a case officer may set by hand (``waiting_for_staff`` belongs to the handoff itself)."""


class StaleCase(Exception):
    """The case changed since the staff member looked at it (``current`` is its status now)."""

    def __init__(self, reference: str, current: str | None) -> None:
        super().__init__(f"{reference} is now {current}")
        self.reference = reference
        self.current = current


def staff_actor(member: StaffMember) -> str:
    """The audit trail's ``actor`` for a staff member: ``staff:<username>``."""
    return f"staff:{member.username}"


async def record_event(
    session: AsyncSession, case_id: int, kind: str, actor: str, data: dict[str, Any] | None = None
) -> None:
    """Append one entry to a case's audit trail."""
    session.add(CaseEvent(case_id=case_id, kind=kind, actor=actor, data=data, created_at=utcnow()))


async def open_handoff_case(session: AsyncSession, conversation_id: str) -> Case | None:
    """The newest case of this conversation that was handed to a person and is not closed."""
    rows = await session.execute(
        select(Case)
        .where(Case.conversation_id == conversation_id, Case.handoff_at.is_not(None), Case.status != "closed")
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
        case = await create_case(session, profile, NewCase(**{**new.__dict__, "status": "waiting_for_staff"}), now)
        case.handoff_at = now
        await record_event(session, case.id, "handoff", "assistant", {"reopened": False})
    else:
        case.status = "waiting_for_staff"
        case.handoff_at = now
        case.assigned_staff_id = None
        case.claimed_at = None
        case.unclaimed_notified_at = None
        case.updated_at = now
        if new.kind != "question" and case.kind == "question":
            case.kind = new.kind
        if new.area and not case.area:
            case.area = new.area
        await record_event(session, case.id, "handoff", "assistant", {"reopened": True})
    if new.conversation_id:
        await session.execute(
            update(Conversation).where(Conversation.id == new.conversation_id).values(mode="waiting", updated_at=now)
        )
    await session.flush()
    return case


def _waiting_query() -> Any:
    return (
        select(Case, Conversation)
        .join(Conversation, Conversation.id == Case.conversation_id)
        .where(Case.status == "waiting_for_staff", Case.handoff_at.is_not(None), Conversation.mode == "waiting")
    )


async def queue_position(session: AsyncSession, case: Case) -> int:
    """The case's place in the staff queue (1 = next), counting chats waiting since before it."""
    rows = await session.execute(
        select(func.count())
        .select_from(Case)
        .join(Conversation, Conversation.id == Case.conversation_id)
        .where(
            Case.status == "waiting_for_staff",
            Conversation.mode == "waiting",
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
    speaks it), so adding a staff member who speaks the language clears it.
    """

    reference: str
    language: str
    kind: str
    area: str | None
    interpreter_needed: bool
    handoff_at: datetime
    waiting_seconds: int
    speakers: tuple[str, ...]


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
        entries.append(
            QueueEntry(
                reference=case.reference,
                language=conversation.language,
                kind=case.kind,
                area=case.area,
                interpreter_needed=conversation.language != WORKING_LANGUAGE and not speakers,
                handoff_at=handed,  # type: ignore[arg-type]
                waiting_seconds=max(0, int((now - handed).total_seconds())),  # type: ignore[operator]
                speakers=speakers,
            )
        )
    return entries


async def live_cases_of(session: AsyncSession, staff_id: int) -> list[tuple[Case, Conversation]]:
    """Cases whose chat the staff member is in right now (mode ``human``), oldest claim first."""
    rows = await session.execute(
        select(Case, Conversation)
        .join(Conversation, Conversation.id == Case.conversation_id)
        .where(Case.assigned_staff_id == staff_id, Conversation.mode == "human", Case.status != "closed")
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
    case = await get_case(session, reference)
    result = await session.execute(
        update(Case)
        .where(Case.id == case.id, Case.status == "waiting_for_staff", Case.assigned_staff_id.is_(None))
        .values(
            status="in_progress",
            assigned_staff_id=member.id,
            claimed_at=now,
            acknowledged_at=func.coalesce(Case.acknowledged_at, now),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        await session.refresh(case)
        raise StaleCase(reference, case.status)
    if case.conversation_id:
        await session.execute(
            update(Conversation).where(Conversation.id == case.conversation_id).values(mode="human", updated_at=now)
        )
    await record_event(session, case.id, "claimed", staff_actor(member), {"staff_id": member.id})
    await session.refresh(case)
    return case


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


async def _transition(session: AsyncSession, case: Case, expected: str, values: dict[str, Any], now: datetime) -> None:
    result = await session.execute(
        update(Case)
        .where(Case.id == case.id, Case.status == expected)
        .values(updated_at=now, acknowledged_at=func.coalesce(Case.acknowledged_at, now), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        await session.refresh(case)
        raise StaleCase(case.reference, case.status)


async def set_status(
    session: AsyncSession, case: Case, member: StaffMember, status: str, expected: str, now: datetime | None = None
) -> None:
    """Change a case's status by hand, if it is still ``expected`` (what the staff member saw).

    Raises:
        ValueError: ``status`` is not one of :data:`STAFF_STATUSES` (close with :func:`close_case`).
        StaleCase: the status changed meanwhile.
    """
    if status not in STAFF_STATUSES or status == "closed":
        raise ValueError(f"status {status!r} cannot be set by hand")
    now = now or utcnow()
    await _transition(session, case, expected, {"status": status}, now)
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
        session, case, expected, {"status": "closed", "resolution": resolution.strip(), "closed_at": now}, now
    )
    await record_event(session, case.id, "closed", staff_actor(member), {"staff_id": member.id, "from": expected})
    ended = False
    if case.conversation_id:
        result = await session.execute(
            update(Conversation)
            .where(Conversation.id == case.conversation_id, Conversation.mode.in_(LIVE_MODES))
            .values(mode="closed", updated_at=now)
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
        .where(Conversation.id == case.conversation_id, Conversation.mode.in_(LIVE_MODES))
        .values(mode="bot", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not case.conversation_id or result.rowcount != 1:
        raise StaleCase(case.reference, case.status)
    await record_event(session, case.id, "handed_back", staff_actor(member), {"staff_id": member.id})


async def resident_left(session: AsyncSession, conversation_id: str, now: datetime | None = None) -> Case | None:
    """The resident ended a live chat: the conversation closes, its case stays open.

    A case still waiting for a case officer leaves the live queue and becomes ``received`` (handled
    by its deadlines like any other case). Returns the case, or ``None`` when there is none.
    """
    now = now or utcnow()
    await session.execute(
        update(Conversation).where(Conversation.id == conversation_id).values(mode="closed", updated_at=now)
    )
    case = await open_handoff_case(session, conversation_id)
    if case is None:
        return None
    if case.status == "waiting_for_staff":
        case.status = "received"
        case.updated_at = now
    await record_event(session, case.id, "resident_left", "resident", {"status": case.status})
    await session.flush()
    return case


async def unclaimed_cases(session: AsyncSession, older_than: timedelta, now: datetime | None = None) -> list[Case]:
    """Waiting chats nobody claimed within ``older_than`` whose resident was not told yet; marks them told."""
    now = now or utcnow()
    rows = await session.execute(
        _waiting_query().where(Case.unclaimed_notified_at.is_(None), Case.handoff_at <= now - older_than)
    )
    cases = [case for case, _ in rows]
    for case in cases:
        result = await session.execute(
            update(Case)
            .where(Case.id == case.id, Case.unclaimed_notified_at.is_(None))
            .values(unclaimed_notified_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            await record_event(session, case.id, "unclaimed_notice", "assistant")
    return cases


async def case_events(session: AsyncSession, case_id: int) -> list[CaseEvent]:
    """A case's audit trail, oldest first."""
    rows = await session.execute(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))
    return list(rows.scalars())


async def staff_names(session: AsyncSession) -> dict[int, StaffMember]:
    """Every staff account by id (to show who wrote a message or a note)."""
    return {m.id: m for m in (await session.execute(select(StaffMember))).scalars()}


@dataclass(frozen=True)
class CaseFilter:
    """Filters of the staff case list; ``None`` means any. Dates are local calendar days, inclusive."""

    status: str | None = None
    area: str | None = None
    kind: str | None = None
    language: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    reference: str | None = None


def _day_start(day: date, profile: Profile) -> datetime:
    """Local midnight starting ``day``, in UTC (SQLite compares stored UTC times as text)."""
    local = datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(profile.timezone))
    return local.astimezone(timezone.utc)


async def search_cases(
    session: AsyncSession, profile: Profile, filters: CaseFilter, limit: int = 100, offset: int = 0
) -> tuple[list[Case], int]:
    """Cases matching ``filters``, newest first: ``(page, total)``.

    ``reference`` matches any part of the reference number, case-insensitively (``00042``,
    ``syn-2026-00042``). Raises:
        ValueError: an unknown status.
    """
    conditions = []
    if filters.status:
        if filters.status not in CASE_STATUSES:
            raise ValueError(f"unknown status {filters.status!r}")
        conditions.append(Case.status == filters.status)
    if filters.area:
        conditions.append(Case.area == filters.area)
    if filters.kind:
        conditions.append(Case.kind == filters.kind)
    if filters.language:
        conditions.append(Case.reply_language == filters.language)
    if filters.date_from:
        conditions.append(Case.created_at >= _day_start(filters.date_from, profile))
    if filters.date_to:
        conditions.append(Case.created_at < _day_start(filters.date_to + timedelta(days=1), profile))
    if filters.reference:
        needle = filters.reference.strip().upper().replace("%", "").replace("_", "")
        conditions.append(func.upper(Case.reference).contains(needle))
    total = (await session.execute(select(func.count()).select_from(Case).where(*conditions))).scalar_one()
    rows = await session.execute(select(Case).where(*conditions).order_by(Case.id.desc()).limit(limit).offset(offset))
    return list(rows.scalars()), int(total)


@dataclass(frozen=True)
class KeyFigures:
    """The municipality's service indicators for one period (issue 5; "nyckeltal" of the policy).

    Times are in seconds (``None`` without data). ``acknowledged_in_time`` is the share (0–1) of the
    period's cases whose acknowledgement deadline has passed or that were acknowledged, acknowledged
    on or before the deadline; ``acknowledgement_base`` how many cases that share is taken over.
    """

    start: date
    end: date
    chats: int
    handoffs: int
    cases: int
    median_wait_to_claim: float | None
    median_wait_to_first_reply: float | None
    acknowledged_in_time: float | None
    acknowledgement_base: int
    by_area: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    by_language: dict[str, int] = field(default_factory=dict)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


async def key_figures(
    session: AsyncSession, profile: Profile, start: date, end: date, now: datetime | None = None
) -> KeyFigures:
    """Service indicators of the cases and chats created from ``start`` to ``end`` (local days, inclusive)."""
    now = now or utcnow()
    low, high = _day_start(start, profile), _day_start(end + timedelta(days=1), profile)
    chats = (
        await session.execute(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.created_at >= low, Conversation.created_at < high)
        )
    ).scalar_one()
    cases = list((await session.execute(select(Case).where(Case.created_at >= low, Case.created_at < high))).scalars())
    handed = [c for c in cases if c.handoff_at is not None]
    claim_waits = [
        (aware(c.claimed_at) - aware(c.handoff_at)).total_seconds()  # type: ignore[operator]
        for c in handed
        if c.claimed_at is not None
    ]
    reply_waits = [
        (aware(c.first_staff_reply_at) - aware(c.handoff_at)).total_seconds()  # type: ignore[operator]
        for c in handed
        if c.first_staff_reply_at is not None
    ]
    today = local_today(profile, now)
    base = 0
    in_time = 0
    for c in cases:
        acknowledged = aware(c.acknowledged_at)
        due = c.acknowledgement_due
        if due is None or (acknowledged is None and due >= today):
            continue  # still within its deadline: neither on time nor late yet
        base += 1
        if acknowledged is not None and local_today(profile, acknowledged) <= due:
            in_time += 1

    def count(values: list[str | None]) -> dict[str, int]:
        result: dict[str, int] = {}
        for value in values:
            key = value or "-"
            result[key] = result.get(key, 0) + 1
        return dict(sorted(result.items(), key=lambda item: (-item[1], item[0])))

    return KeyFigures(
        start=start,
        end=end,
        chats=int(chats),
        handoffs=len(handed),
        cases=len(cases),
        median_wait_to_claim=_median(claim_waits),
        median_wait_to_first_reply=_median(reply_waits),
        acknowledged_in_time=in_time / base if base else None,
        acknowledgement_base=base,
        by_area=count([c.area for c in cases]),
        by_kind=count([c.kind for c in cases]),
        by_language=count([c.reply_language for c in cases]),
    )
