from datetime import date, datetime, time

import pytest

from bot.workdays import add_working_days, is_open, is_working_day

HOURS = {"mon": (time(8), time(16, 30)), "fri": (time(8), time(15))}


def test_weekend_is_skipped():
    assert add_working_days(date(2026, 11, 20), 2) == date(2026, 11, 24)  # Fri + 2 → Tue


def test_christmas_and_eve_are_not_working_days():
    assert not is_working_day(date(2026, 12, 24))  # Christmas Eve, day off by agreement
    assert not is_working_day(date(2026, 12, 25))  # Christmas Day
    assert add_working_days(date(2026, 12, 23), 2) == date(2026, 12, 29)


def test_midsummer_eve_and_national_day():
    assert not is_working_day(date(2026, 6, 19))  # Midsummer Eve
    assert not is_working_day(date(2025, 6, 6))  # National Day, a Friday in 2025
    assert is_working_day(date(2026, 6, 18))


def test_zero_and_negative_days():
    assert add_working_days(date(2026, 11, 21), 0) == date(2026, 11, 21)
    with pytest.raises(ValueError):
        add_working_days(date(2026, 11, 21), -1)


def test_opening_hours():
    assert is_open(HOURS, datetime(2026, 11, 23, 9, 0))  # Monday
    assert not is_open(HOURS, datetime(2026, 11, 23, 16, 30))  # closing time
    assert not is_open(HOURS, datetime(2026, 11, 24, 9, 0))  # Tuesday: not in these hours
    assert not is_open(HOURS, datetime(2026, 12, 25, 9, 0))  # Christmas Day is a Friday
