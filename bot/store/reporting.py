"""Reports on cases for the staff console: the filtered case list and the key figures of a period.

Read-only; every function takes an open :class:`AsyncSession`.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import access
from bot.cases.workflow import CASE_STATUSES, WAITING_FOR_STAFF
from bot.core.profile import Profile
from bot.store.cases import local_today
from bot.store.models import Case, Conversation, StaffMember, aware, utcnow


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


def visible_to(member: StaffMember) -> Any:
    """The SQL condition of the cases ``member`` may see (:func:`bot.cases.access.may`, action ``view``)."""
    if access.is_supervisor(member):
        return true()
    if not access.sees_cases(member):
        return false()
    return or_(
        Case.area.in_(list(member.departments or [])),
        Case.assigned_staff_id == member.id,
        and_(Case.status == WAITING_FOR_STAFF, Case.assigned_staff_id.is_(None)),
    )


async def search_cases(
    session: AsyncSession,
    profile: Profile,
    filters: CaseFilter,
    limit: int = 100,
    offset: int = 0,
    member: StaffMember | None = None,
) -> tuple[list[Case], int]:
    """Cases matching ``filters`` (and visible to ``member``, when given), newest first: ``(page, total)``.

    ``reference`` matches any part of the reference number, case-insensitively (``00042``,
    ``syn-2026-00042``). Raises:
        ValueError: an unknown status.
    """
    conditions = [] if member is None else [visible_to(member)]
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
