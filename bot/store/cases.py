"""Cases (ärenden): reference numbers, creation with due dates, listing.

Every function takes an open :class:`AsyncSession` and works inside the caller's transaction, so
one unit of work is one ``async with sessions() as s, s.begin():`` block.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.profile import Profile
from bot.store.models import Case, CaseEvent, ReferenceCounter, utcnow
from bot.workdays import add_working_days

CASE_KINDS = ("complaint", "fault_report", "suggestion", "praise", "question")
CASE_STATUSES = ("received", "waiting_for_staff", "in_progress", "closed")
REFERENCE_PREFIX = "SYN"


def format_reference(year: int, number: int, prefix: str = REFERENCE_PREFIX) -> str:
    """A reference number such as ``SYN-2026-00042`` (prefix, year, five-digit sequence)."""
    return f"{prefix}-{year}-{number:05d}"


async def next_reference(session: AsyncSession, year: int) -> str:
    """Reserve the next reference number of ``year`` (sequential per year, never reused).

    One upsert increments the year's counter (creating it at 1), so the row (PostgreSQL) or the
    database (SQLite) stays write-locked until the caller's transaction ends: two concurrent filings,
    even the first two of a year, never get the same number.
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(ReferenceCounter).values(year=year, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=[ReferenceCounter.year], set_={"last": ReferenceCounter.last + 1}
    )
    await session.execute(statement)
    number = (await session.execute(select(ReferenceCounter.last).where(ReferenceCounter.year == year))).scalar_one()
    return format_reference(year, number)


@dataclass(frozen=True)
class NewCase:
    """What a resident gave for a new case. ``kind`` is one of :data:`CASE_KINDS`."""

    kind: str
    description: str
    language: str
    conversation_id: str | None = None
    area: str | None = None
    contact_email: str | None = None
    status: str = "received"


def local_today(profile: Profile, now: datetime | None = None) -> date:
    """Today's date in the municipality's time zone."""
    return (now or utcnow()).astimezone(ZoneInfo(profile.timezone)).date()


async def create_case(session: AsyncSession, profile: Profile, new: NewCase, now: datetime | None = None) -> Case:
    """Store a case with a fresh reference number and its due dates, and log a ``created`` event.

    Acknowledgement and reply due dates are counted in working days from today (municipality time),
    using the profile's deadlines (the area's own reply deadline where it has one).

    Raises:
        ValueError: unknown ``kind`` or ``status``.
    """
    if new.kind not in CASE_KINDS:
        raise ValueError(f"unknown case kind {new.kind!r}")
    if new.status not in CASE_STATUSES:
        raise ValueError(f"unknown case status {new.status!r}")
    now = now or utcnow()
    today = local_today(profile, now)
    case = Case(
        reference=await next_reference(session, today.year),
        kind=new.kind,
        area=new.area,
        description=new.description,
        description_language=new.language,
        anonymous=not new.contact_email,
        contact_email=new.contact_email,
        reply_language=new.language,
        status=new.status,
        conversation_id=new.conversation_id,
        interpreter_needed=False,
        acknowledgement_due=add_working_days(today, profile.acknowledgement_working_days),
        reply_due=add_working_days(today, profile.reply_days_for(new.area)),
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    await session.flush()
    session.add(CaseEvent(case_id=case.id, kind="created", actor="assistant", data={"status": case.status}))
    return case


async def list_cases(session: AsyncSession, limit: int = 50) -> list[Case]:
    """The newest cases first, at most ``limit``."""
    rows = await session.execute(select(Case).order_by(Case.id.desc()).limit(limit))
    return list(rows.scalars())


def case_as_dict(case: Case) -> dict[str, Any]:
    """A JSON-ready summary of a case (dates as ISO strings)."""
    return {
        "reference": case.reference,
        "kind": case.kind,
        "status": case.status,
        "area": case.area,
        "language": case.description_language,
        "description": case.description,
        "anonymous": case.anonymous,
        "conversation_id": case.conversation_id,
        "acknowledgement_due": case.acknowledgement_due.isoformat() if case.acknowledgement_due else None,
        "reply_due": case.reply_due.isoformat() if case.reply_due else None,
        "created_at": case.created_at.isoformat() if case.created_at else None,
    }
