from datetime import date, datetime, time

import pytest

from bot.core.workdays import add_working_days, is_open, is_working_day

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


def test_easter_2027_counts_neither_good_friday_nor_easter_monday():
    # Maundy Thursday 25 March 2027 + 2 working days: Good Friday 26, weekend, Easter Monday 29 → 30, 31 March
    assert add_working_days(date(2027, 3, 25), 2) == date(2027, 3, 31)
    assert not is_working_day(date(2027, 3, 26)) and not is_working_day(date(2027, 3, 29))


def test_midsummer_2026_acknowledgement_and_reply_deadlines():
    # Thursday 18 June 2026: Midsummer Eve (Fri 19) and the weekend do not count
    assert add_working_days(date(2026, 6, 18), 2) == date(2026, 6, 23)
    assert add_working_days(date(2026, 6, 18), 10) == date(2026, 7, 3)


def test_national_day_on_a_weekday():
    # National Day 6 June 2028 is a Tuesday
    assert add_working_days(date(2028, 6, 5), 1) == date(2028, 6, 7)


def test_christmas_to_new_year_2026():
    # Wed 23 Dec: 24, 25 (Thu, Fri) off, weekend, Mon 28, Tue 29, Wed 30, Thu 31 (New Year's Eve, off), Fri 1 Jan off
    assert add_working_days(date(2026, 12, 23), 3) == date(2026, 12, 30)
    assert add_working_days(date(2026, 12, 23), 4) == date(2027, 1, 4)
    assert not is_working_day(date(2026, 12, 31)) and not is_working_day(date(2027, 1, 1))
    # Epiphany (6 January) is a public holiday too
    assert add_working_days(date(2027, 1, 5), 1) == date(2027, 1, 7)


def test_zero_and_negative_days():
    assert add_working_days(date(2026, 11, 21), 0) == date(2026, 11, 21)
    with pytest.raises(ValueError):
        add_working_days(date(2026, 11, 21), -1)


def test_opening_hours():
    assert is_open(HOURS, datetime(2026, 11, 23, 9, 0))  # Monday
    assert not is_open(HOURS, datetime(2026, 11, 23, 16, 30))  # closing time
    assert not is_open(HOURS, datetime(2026, 11, 24, 9, 0))  # Tuesday: not in these hours
    assert not is_open(HOURS, datetime(2026, 12, 25, 9, 0))  # Christmas Day is a Friday
