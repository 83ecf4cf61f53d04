"""Working-day arithmetic with Swedish public holidays (from the ``holidays`` package).

Deadlines in Swedish municipal service declarations are counted in working days ("arbetsdagar"):
weekends and public holidays (lag (1989:253) om allmänna helgdagar) do not count.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=16)
def _swedish_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("SE", years=[year])


def is_working_day(day: date) -> bool:
    """True when ``day`` is neither a Saturday, a Sunday nor a Swedish public holiday."""
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
