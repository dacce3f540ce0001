"""Working days in mainland China from the chinese-calendar package: holidays and 调休 included.

A date in a year the package does not know yet is unknown (None), never guessed (docs/admission.md).
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import chinese_calendar
from chinese_calendar import constants


@cache
def known_years() -> tuple[int, int]:
    """The first and last year whose holidays and adjusted working days the package knows."""
    years = [day.year for day in constants.holidays]
    return min(years), max(years)


def is_known(day: dt.date) -> bool:
    first, last = known_years()
    return first <= day.year <= last


def is_working_day(day: dt.date) -> bool | None:
    """True on a working day (an adjusted Saturday or Sunday included); None outside the known years."""
    if not is_known(day):
        return None
    return bool(chinese_calendar.is_workday(day))


def working_days_between(start: dt.date, end: dt.date) -> int | None:
    """Working days after `start` up to and including `end`; None when a year between is unknown.

    An application submitted on a Friday and answered the next Monday took one working day;
    answered the same day, zero.
    """
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if not (is_known(start) and is_known(end)):
        return None
    if end == start:
        return 0
    return len(chinese_calendar.get_workdays(start + dt.timedelta(days=1), end))


def nth_working_day_after(start: dt.date, n: int) -> dt.date | None:
    """The n-th working day after `start` (the deadline of an n-working-day limit); None if unknown."""
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    day, found = start, 0
    while found < n:
        day += dt.timedelta(days=1)
        working = is_working_day(day)
        if working is None:
            return None
        found += working
    return day
