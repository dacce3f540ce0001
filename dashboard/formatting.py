"""How numbers, months and times are written, in every page, chart, export and report.

Pure functions, no Streamlit: the language ("zh" or "en") and the time zone are arguments.
Chinese readers get large counts in 万 and 亿 (384.9万), everyone gets a fixed number of
decimals per metric, "—" for a missing value and no "k"/"M" on chart axes (docs/formatting.md)..

The API is small on purpose and other modules depend on it; keep these names stable:
is_missing, is_change, count, integer, decimal, percent, metric, signed, month, day, timestamp, now,
month_tickformat, month_file_label, AXIS_STYLE, YEAR_AXIS, SEPARATORS, MISSING, MONTH_COLUMNS,
DAY_COLUMNS.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, SupportsFloat, cast
from zoneinfo import ZoneInfo

import pandas as pd

MISSING = "—"
# Counts from 10万 up are written in 万 (and from 1亿 in 亿) for Chinese readers; below that,
# a count is short enough to read in full.
LARGE_COUNT_FROM = 100_000
WAN, YI = 10_000, 100_000_000

# Decimals of each metric wherever it is shown; counts have none, rates are percentages.
METRIC_DECIMALS: dict[str, int] = {
    "per_10k": 1,
    "per_10k_all": 1,  # villages included (docs/metrics.md §3)
    # A burden category's average per community (docs/metrics.md §4), at its baseline and now.
    "per_community": 1,
    "baseline_per_community": 1,
    "current_per_community": 1,
    "premises": 1,  # m² per 100 households (docs/metrics.md §9)
    "area_km2": 2,
    "gap_km2": 2,
    "median_working_days": 0,  # working days are whole days wherever people read them
}
RATE_METRICS = frozenset(
    {
        "share_meeting",
        "licensed_rate",
        "staffed_rate",
        "fulltime_staffed_rate",
        "size_range_rate",
        "household_coverage",
        "party_branch_rate",
        "spatial_coverage",
        "service_reach",
        "on_time_share",
        "reduction",
    }
)
RATE_DECIMALS = 1
# Columns of months and of days (dates in the frames): a reader sees 2026年10月 or 31 Oct 2026,
# a CSV keeps 2026-10 and 2026-10-31, machine-readable (docs/formatting.md, tables).
MONTH_COLUMNS = frozenset({"period", "baseline_period", "current_period"})
DAY_COLUMNS = frozenset({"admitted_on", "submitted_on", "decided_on", "deadline"})
# Columns of changes (on a year, on a month earlier): written with their sign, +0 included.
CHANGE_SUFFIXES = ("_yoy", "_mom")

# Plotly: "." for decimals and "," for thousands, and full numbers on axes instead of 2k / 50k.
SEPARATORS = ".,"
AXIS_STYLE: dict[str, object] = {"exponentformat": "none", "separatethousands": True}
# An axis of calendar years: 2019, never 2,019 (a year is not a count).
YEAR_AXIS: dict[str, object] = {
    "dtick": 1,
    "tickformat": "d",
    "hoverformat": "d",
    "separatethousands": False,
}


def is_change(column: str) -> bool:
    """A column of changes, written with its sign (`signed`)."""
    return column.endswith(CHANGE_SUFFIXES)


def is_missing(value: object) -> bool:
    """None, NaN and pandas' NA/NaT are missing."""
    # pd.isna takes any scalar; its stubs list the scalar types one by one.
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(cast(Any, value))))


def _number(value: object) -> float:
    """A value known not to be missing (a count, ratio or rate of a query frame) as a float."""
    return float(cast(SupportsFloat, value))


def _no_negative_zero(text: str) -> str:
    """ "-0.0" (a small negative value rounded to nothing) as "0.0": no figure is shown as -0."""
    if text.startswith("-") and not any(digit in text for digit in "123456789"):
        return text[1:]
    return text


def integer(value: object) -> str:
    """The exact whole number with thousands separators: 3,849,008."""
    if is_missing(value):
        return MISSING
    return f"{round(_number(value)):,}"


def count(value: object, language: str) -> str:
    """A count as a reader of the language expects it: 384.9万 and 1.2亿 in Chinese, else in full."""
    if is_missing(value):
        return MISSING
    number = _number(value)
    if language != "zh" or abs(number) < LARGE_COUNT_FROM:
        return integer(number)
    if abs(round(number / WAN, 1)) < WAN:
        return f"{number / WAN:,.1f}万"
    return f"{number / YI:,.1f}亿"


def decimal(value: object, digits: int = 1) -> str:
    """A ratio with a fixed number of decimals: 18.2."""
    if is_missing(value):
        return MISSING
    return _no_negative_zero(f"{_number(value):,.{digits}f}")


def percent(fraction: object, digits: int = RATE_DECIMALS) -> str:
    """A 0–1 fraction as a percentage: 0.645 → 64.5%."""
    if is_missing(fraction):
        return MISSING
    return _no_negative_zero(f"{_number(fraction) * 100:.{digits}f}%")


def metric(name: str, value: object, language: str) -> str:
    """A value of a named metric (a column key of the queries) in its fixed format."""
    if name in RATE_METRICS:
        return percent(value)
    if name in METRIC_DECIMALS:
        return decimal(value, METRIC_DECIMALS[name])
    return count(value, language)


def signed(change: object, digits: int = 0) -> str:
    """A change with its sign: +1,234 or -0.3; one that rounds to nothing is +0, never -0."""
    if is_missing(change):
        return MISSING
    number = round(_number(change), digits)
    return f"{number + 0.0 if number else 0.0:+,.{digits}f}"


def month(day: dt.date, language: str) -> str:
    """The month of a date: 2024年1月 in Chinese, Jan 2024 in English."""
    if is_missing(day):
        return MISSING
    if language == "zh":
        return f"{day.year}年{day.month}月"
    return day.strftime("%b %Y")


def day(date: dt.date, language: str) -> str:
    """A day: 2025年3月1日 in Chinese, 1 Mar 2025 in English."""
    if is_missing(date):
        return MISSING
    if language == "zh":
        return f"{date.year}年{date.month}月{date.day}日"
    return f"{date.day} {date:%b %Y}"


def now(time_zone: str) -> dt.datetime:
    """The present moment in the configured time zone."""
    return dt.datetime.now(ZoneInfo(time_zone))


def timestamp(moment: dt.datetime, language: str, time_zone: str) -> str:
    """A moment in the configured zone, to the minute, with the zone's UTC offset.

    A naive datetime is taken as UTC (the database stores UTC).
    """
    if is_missing(moment):
        return MISSING
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(ZoneInfo(time_zone))
    offset = local.utcoffset() or dt.timedelta(0)
    hours, rest = divmod(int(offset.total_seconds()) // 60, 60)
    zone = f"UTC{'+' if offset >= dt.timedelta(0) else '-'}{abs(hours)}"
    zone += f":{rest:02d}" if rest else ""
    if language == "zh":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}（{zone}）"
    return f"{local.day} {local:%b %Y %H:%M} ({zone})"


def month_tickformat(language: str) -> str:
    """Plotly format of a month on a date axis and in hover texts (%{x|…}): 2024年1月 or Jan 2024."""
    return "%Y年%-m月" if language == "zh" else "%b %Y"


def month_file_label(day: dt.date, language: str) -> str:
    """A month inside a file name: 2026年10月 or 2026-10."""
    return f"{day.year}年{day.month}月" if language == "zh" else f"{day:%Y-%m}"
