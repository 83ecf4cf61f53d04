"""Working-day arithmetic with Swedish public holidays (from the ``holidays`` package).

Deadlines in Swedish municipal service declarations are counted in working days ("arbetsdagar"):
weekends and public holidays (lag (1989:253) om allmänna helgdagar) do not count, nor do Midsummer
Eve, Christmas Eve and New Year's Eve, which are not public holidays by law but are days off under
the municipal sector's collective agreement (AB, Allmänna bestämmelser) and on which municipal
offices are closed.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

DAYS_OFF_BY_AGREEMENT = ("Midsummer Eve", "Christmas Eve", "New Year's Eve")
"""Names (in the ``holidays`` package's ``en_US`` names) of the eves that count as days off."""


@lru_cache(maxsize=16)
def _swedish_holidays(year: int) -> frozenset[date]:
    public = holidays.country_holidays("SE", years=[year], language="en_US")
    bank = holidays.country_holidays("SE", years=[year], language="en_US", categories=("bank",))
    eves = {day for day, name in bank.items() if name in DAYS_OFF_BY_AGREEMENT}
    return frozenset(public) | eves


def is_working_day(day: date) -> bool:
    """True when ``day`` is neither a Saturday, a Sunday, a Swedish public holiday nor an eve off."""
    return day.weekday() < 5 and day not in _swedish_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself does not count).

    Raises:
        ValueError: ``days`` is negative.
    """
    if days < 0:
        raise ValueError("days must be ≥ 0")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def is_open(opening_hours: dict, now_local: datetime) -> bool:
    """True when ``now_local`` (a time in the municipality's zone) is within opening hours.

    ``opening_hours`` maps weekday keys (``mon`` … ``sun``) to ``(opens, closes)`` times; public
    holidays are closed whatever the weekday says.
    """
    from bot.core.profile import WEEKDAYS

    day = now_local.date()
    if day in _swedish_holidays(day.year):
        return False
    hours = opening_hours.get(WEEKDAYS[day.weekday()])
    if hours is None:
        return False
    return hours[0] <= now_local.time() < hours[1]
