"""Key figures over time: per week for the staff console's charts, per month and department for the public page.

Swedish municipal service policies (servicedeklarationer, "nyckeltal för service och bemötande") ask for
reachability, waiting time, lead time and result to be public (issue 17). The indicators here are those of
:func:`bot.store.reporting.key_figures`, counted per period: cases and handoffs by the day they were
created, the median wait from handoff to a case officer taking the chat, the share acknowledged by the
acknowledgement deadline and the share answered (closed) by the reply deadline.

Read-only; only times, dates and the department of cases are read, never a name, contact detail or text,
so nothing personal can leave this module. Every function takes an open :class:`AsyncSession`.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.profile import Profile
from bot.store.cases import local_today
from bot.store.models import Case, Conversation, aware, utcnow
from bot.store.reporting import _day_start

MIN_CELL = 5
"""Fewest cases a published figure may be computed from (statistical disclosure control: a smaller group
could point at a person; the public page shows "fewer than 5" instead)."""


class CaseTimes(NamedTuple):
    """The times of one case that the indicators need (no personal data)."""

    created_at: datetime
    area: str | None
    handoff_at: datetime | None
    claimed_at: datetime | None
    acknowledged_at: datetime | None
    acknowledgement_due: date | None
    closed_at: datetime | None
    reply_due: date | None


@dataclass(frozen=True)
class Indicators:
    """The service indicators of a group of cases.

    ``median_wait`` is in seconds (``None`` without a claimed handoff) over ``waits`` claimed handoffs.
    ``acknowledged_in_time`` and ``answered_in_time`` are shares (0–1, ``None`` without a base) over the
    cases whose deadline has passed or that were acknowledged / closed (``*_base`` of them): a case still
    within its deadline counts neither way yet.
    """

    cases: int
    handoffs: int
    median_wait: float | None
    waits: int
    acknowledged_in_time: float | None
    acknowledgement_base: int
    answered_in_time: float | None
    answer_base: int


def _in_time(done: datetime | None, due: date | None, profile: Profile, today: date) -> bool | None:
    """True/False when the deadline ``due`` was met/missed; ``None`` when it does not count (yet)."""
    if due is None or (done is None and due >= today):
        return None
    return done is not None and local_today(profile, aware(done)) <= due


def indicators(cases: Iterable[CaseTimes], profile: Profile, today: date) -> Indicators:
    """The indicators of ``cases`` on ``today`` (the municipality's local date)."""
    rows = list(cases)
    handed = [c for c in rows if c.handoff_at is not None]
    waits = [
        (aware(c.claimed_at) - aware(c.handoff_at)).total_seconds()  # type: ignore[operator]
        for c in handed
        if c.claimed_at is not None
    ]
    acknowledged = [
        v for c in rows if (v := _in_time(c.acknowledged_at, c.acknowledgement_due, profile, today)) is not None
    ]
    answered = [v for c in rows if (v := _in_time(c.closed_at, c.reply_due, profile, today)) is not None]
    return Indicators(
        cases=len(rows),
        handoffs=len(handed),
        median_wait=statistics.median(waits) if waits else None,
        waits=len(waits),
        acknowledged_in_time=sum(acknowledged) / len(acknowledged) if acknowledged else None,
        acknowledgement_base=len(acknowledged),
        answered_in_time=sum(answered) / len(answered) if answered else None,
        answer_base=len(answered),
    )


@dataclass(frozen=True)
class Period:
    """One week or month: its first and last local day, its chats and the indicators of its cases."""

    start: date
    end: date
    chats: int
    figures: Indicators


@dataclass(frozen=True)
class MonthFigures:
    """One calendar month for the public page: all departments together and each department of the profile."""

    period: Period
    departments: tuple[tuple[str, Indicators], ...]


async def _load(session: AsyncSession, profile: Profile, start: date, end: date) -> tuple[list[CaseTimes], list[date]]:
    """Cases (their times) and the local creation days of chats, from ``start`` to ``end`` inclusive."""
    low, high = _day_start(start, profile), _day_start(end + timedelta(days=1), profile)
    columns = [getattr(Case, name) for name in CaseTimes._fields]
    rows = await session.execute(select(*columns).where(Case.created_at >= low, Case.created_at < high))
    cases = [CaseTimes(*row) for row in rows]
    chats = await session.execute(
        select(Conversation.created_at).where(Conversation.created_at >= low, Conversation.created_at < high)
    )
    return cases, [local_today(profile, aware(moment)) for (moment,) in chats]


def _period(start: date, end: date, cases: list[CaseTimes], chats: list[date], profile: Profile, today: date) -> Period:
    inside = [c for c in cases if start <= local_today(profile, aware(c.created_at)) <= end]
    return Period(start, end, sum(1 for d in chats if start <= d <= end), indicators(inside, profile, today))


async def weekly(
    session: AsyncSession, profile: Profile, start: date, end: date, now: datetime | None = None
) -> list[Period]:
    """One :class:`Period` per ISO week (Monday–Sunday) touching ``start``…``end``, oldest first.

    Whole weeks are counted, also the days outside ``start``…``end``, so every bar of a chart covers
    seven days. Raises:
        ValueError: ``end`` is before ``start``.
    """
    if end < start:
        raise ValueError("end before start")
    first = start - timedelta(days=start.weekday())
    last = end + timedelta(days=6 - end.weekday())
    cases, chats = await _load(session, profile, first, last)
    today = local_today(profile, now or utcnow())
    weeks = []
    monday = first
    while monday <= last:
        weeks.append(_period(monday, monday + timedelta(days=6), cases, chats, profile, today))
        monday += timedelta(days=7)
    return weeks


def _month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


async def monthly_by_department(
    session: AsyncSession, profile: Profile, months: int = 12, now: datetime | None = None
) -> list[MonthFigures]:
    """The last ``months`` calendar months (the current one included), newest first, per department.

    Cases without a known department count in the month's total only. Raises:
        ValueError: ``months`` is less than 1.
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    today = local_today(profile, now or utcnow())
    firsts = [today.replace(day=1)]
    while len(firsts) < months:
        firsts.append((firsts[-1] - timedelta(days=1)).replace(day=1))
    cases, chats = await _load(session, profile, firsts[-1], _month_end(firsts[0]))
    result = []
    for first in firsts:
        period = _period(first, _month_end(first), cases, chats, profile, today)
        inside = [c for c in cases if first <= local_today(profile, aware(c.created_at)) <= period.end]
        departments = tuple(
            (dep.id, indicators([c for c in inside if c.area == dep.id], profile, today)) for dep in profile.departments
        )
        result.append(MonthFigures(period, departments))
    return result
