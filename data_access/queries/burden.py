"""Burden reduction (docs/metrics.md §4): summed monthly series, baseline vs current, rebounds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Engine, Select, and_, func, select
from sqlalchemy.orm import aliased

from data_access.db import read_frame
from data_access.models import BurdenRecord, BurdenSummary, Community
from data_access.read_path import CITY, summary_coverage
from data_access.scope import CODE_LENGTH, Scope, month_start
from data_access.settings import Settings
from data_access.sql import (
    add_months_,
    code_prefix,
    in_range,
    in_scope,
    live_in_month,
    live_on,
)


def monthly_series(
    engine: Engine, scope: Scope, categories: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """category, period, value: each category summed over the scope's communities, up to the as-of date."""
    if summary_coverage(engine).reads_burden_series():
        statement = _summary_rows(scope, scope.level, categories, own=True)
    else:
        statement = raw_monthly_sums(scope, categories)
    frame = read_frame(engine, statement)
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    return frame[["category", "period", "value"]].sort_values(
        ["category", "period"], ignore_index=True
    )


def raw_monthly_sums(scope: Scope, categories: tuple[str, ...] | None = None) -> Select[Any]:
    """The scope's series summed from burden_record itself (the summary's source of truth)."""
    # Grouping by the scope's own code as well keeps a district or street on its code range
    # instead of a walk through every month of the whole city.
    unit = None if scope.code is None else code_prefix(BurdenRecord.community_code, len(scope.code))
    return _monthly_sums(scope, unit, categories, own=True)


def _summary_rows(
    scope: Scope, level: str, categories: tuple[str, ...] | None = None, own: bool = False
) -> Select:
    """Rows of burden_summary at `level` inside the scope (or the scope's own, `own`), up to as-of."""
    summary = BurdenSummary
    where = summary.code == (scope.code or CITY) if own else in_scope(summary.code, scope)
    statement = select(
        summary.code, summary.category, summary.period, summary.value.label("value")
    ).where(summary.level == level, where, summary.period <= scope.as_of)
    if categories:
        statement = statement.where(summary.category.in_(categories))
    return statement


def _monthly_sums(
    scope: Scope,
    unit: ColumnElement[str] | None,
    categories: tuple[str, ...] | None = None,
    own: bool = False,
) -> Select[Any]:
    """SUM(count) per category and month (and unit, when given) inside the scope, up to the
    as-of date. Each month sums the communities in force on its last day (live_in_month), as
    the summary does; the units listed are those in force on the as-of date, unless `unit` is
    the scope's own code (`own`: the scope's series, as burden_summary's own row holds it)."""
    keys: list[Any] = [BurdenRecord.category, BurdenRecord.period]
    columns = list(keys)
    if unit is not None:
        keys.append(unit)
        columns.append(unit.label("code"))
    statement = (
        select(*columns, func.sum(BurdenRecord.count).label("value"))
        .where(
            in_range(BurdenRecord.community_code, scope),
            BurdenRecord.period <= scope.as_of,
            live_in_month(BurdenRecord.community_code, BurdenRecord.period),
        )
        .group_by(*keys)
    )
    if categories:
        statement = statement.where(BurdenRecord.category.in_(categories))
    if unit is None or own:
        return statement
    # The units in force on the as-of date, tested once per unit's sum, not per record.
    sums = statement.subquery("unit_sums")
    return select(sums).where(live_on(sums.c.code, scope.as_of))


def communities_reporting(engine: Engine, scope: Scope, months: Iterable[dt.date]) -> pd.DataFrame:
    """category, period, communities: how many of the scope's communities have a record of each
    category in each of `months` (a record of 0 included; one record per community, category
    and month, the primary key). Read from burden_record's index led by the month."""
    chosen = sorted({month_start(month) for month in months})
    if not chosen:
        return pd.DataFrame({"category": [], "period": [], "communities": []})
    statement = (
        select(
            BurdenRecord.category,
            BurdenRecord.period,
            func.count().label("communities"),
        )
        .where(BurdenRecord.period.in_(chosen), in_scope(BurdenRecord.community_code, scope))
        .group_by(BurdenRecord.period, BurdenRecord.category)
    )
    frame = read_frame(engine, statement)
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    frame["communities"] = frame["communities"].astype("int64")
    return frame.sort_values(["category", "period"], ignore_index=True)


def unit_series(engine: Engine, scope: Scope, level: str) -> pd.DataFrame:
    """code, category, period, value: each unit at `level` in the scope, summed per category and month up to the as-of date."""
    if summary_coverage(engine).reads_burden_series():
        statement = _summary_rows(scope, level)
    else:
        unit = code_prefix(BurdenRecord.community_code, CODE_LENGTH[level])
        statement = _monthly_sums(scope, unit)
    frame = read_frame(engine, statement)
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    frame["value"] = frame["value"].astype("int64")
    return frame[["code", "category", "period", "value"]].sort_values(
        ["code", "category", "period"], ignore_index=True
    )


def summary_reduction_rows(
    engine: Engine, scope: Scope, level: str, baseline_month: dt.date | None = None
) -> pd.DataFrame:
    """The rows figures/burden.py:reductions takes its figures from, read from burden_summary: the
    row current at the as-of date (period <= as-of < next_period) with its window minimum, and
    the baseline row (the series' first month, or baseline_month) of every unit at `level` in
    the scope and category: code, category, current_period, current, window_min,
    baseline_period, baseline."""
    summary = BurdenSummary
    inside = (summary.level == level, in_scope(summary.code, scope))
    current = read_frame(
        engine,
        select(
            summary.code,
            summary.category,
            summary.period.label("current_period"),
            summary.value.label("current"),
            summary.window_min,
        ).where(*inside, summary.period <= scope.as_of, summary.next_period > scope.as_of),
    )
    if baseline_month is None:
        # Each series' first month (an index-only read of the primary key), then the rows of
        # those months; a join of the two made the planner scan the whole table.
        first = read_frame(
            engine,
            select(summary.code, summary.category, func.min(summary.period).label("period"))
            .where(*inside, summary.period <= scope.as_of)
            .group_by(summary.code, summary.category),
        )
        first["period"] = pd.to_datetime(first["period"]).dt.date
        months = sorted(set(first["period"]))
    else:
        first = None
        months = [month_start(baseline_month)] if month_start(baseline_month) <= scope.as_of else []
    baseline = read_frame(
        engine,
        select(
            summary.code,
            summary.category,
            summary.period.label("baseline_period"),
            summary.value.label("baseline"),
        ).where(*inside, summary.period.in_(months)),
    )
    for frame, column in ((current, "current_period"), (baseline, "baseline_period")):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    if first is not None:
        chosen = first.rename(columns={"period": "baseline_period"})
        baseline = baseline.merge(chosen, on=["code", "category", "baseline_period"])
    return current.merge(baseline, on=["code", "category"], how="left")


def community_rebounds(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """Communities and categories whose latest month ≤ as-of is a rebound (docs/metrics.md §4), largest rise first."""
    read = summary_coverage(engine)
    flagged = read.reads_burden_window(settings) and read.reads_burden_flags(settings)
    if flagged:
        # The city's flagged rows through ix_burden_summary_rebound, then the scope's here: with
        # a code range beside the flag SQLite's planner took the primary key and read every month
        # of the scope's series (0.25-0.39 s for a district at scale 4, the city's 0.01-0.02 s).
        statement = _summary_rebounds(Scope(None, scope.as_of), settings, True)
    elif read.reads_burden_window(settings):
        statement = _summary_rebounds(scope, settings, False)
    else:
        statement = raw_rebounds(scope, settings)
    frame = read_frame(engine, statement)
    if flagged and scope.code is not None:
        kept = frame[frame["community_code"].str.startswith(scope.code)]
        # None in the scope: the columns of an empty read, as the scope's own read would give.
        frame = kept if len(kept) else frame.iloc[:0].astype(object)
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    for column in ("current", "window_min"):
        frame[column] = frame[column].astype("int64")
    frame["rise"] = frame["current"] - frame["window_min"]
    return frame.sort_values(["rise", "community_code"], ascending=[False, True], ignore_index=True)


def _summary_rebounds(scope: Scope, settings: Settings, flagged: bool) -> Select:
    """The rebounds read from burden_summary: the row current at as-of is the one with
    period <= as-of < next_period, and its window minimum is stored beside it. When the stored
    flags were computed with today's thresholds (`flagged`), only flagged rows are read, through
    ix_burden_summary_rebound; else every row current at as-of is tested."""
    summary = BurdenSummary
    rise = summary.value - summary.window_min
    tests = [
        summary.window_min.is_not(None),
        rise >= settings.rebound_min_abs,
        rise * 100.0 >= summary.window_min * settings.rebound_min_pct,
    ]
    if flagged:
        tests = [summary.rebound.is_(True)]
    return (
        select(
            summary.code.label("community_code"),
            Community.name,
            summary.category,
            summary.period,
            summary.value.label("current"),
            summary.window_min,
        )
        .join(Community, Community.code == summary.code)
        .where(
            summary.level == "community",
            summary.next_period > scope.as_of,
            summary.period <= scope.as_of,
            in_scope(summary.code, scope),
            *tests,
        )
    )


def raw_rebounds(scope: Scope, settings: Settings) -> Select[Any]:
    """The rebounds computed from burden_record itself (the summary's source of truth)."""
    latest = (
        select(
            BurdenRecord.community_code,
            BurdenRecord.category,
            func.max(BurdenRecord.period).label("period"),
        )
        .where(
            in_range(BurdenRecord.community_code, scope),
            BurdenRecord.period <= scope.as_of,
            live_in_month(BurdenRecord.community_code, BurdenRecord.period),
        )
        .group_by(BurdenRecord.community_code, BurdenRecord.category)
        .subquery("latest")
    )
    earlier = aliased(BurdenRecord, name="earlier")
    lowest = (
        select(
            latest.c.community_code,
            latest.c.category,
            latest.c.period,
            func.min(earlier.count).label("window_min"),
        )
        .join(
            earlier,
            and_(
                earlier.community_code == latest.c.community_code,
                earlier.category == latest.c.category,
                earlier.period < latest.c.period,
                earlier.period >= add_months_(latest.c.period, -settings.rebound_window_months),
            ),
        )
        .group_by(latest.c.community_code, latest.c.category, latest.c.period)
        .subquery("lowest")
    )
    statement = (
        select(
            BurdenRecord.community_code,
            Community.name,
            BurdenRecord.category,
            BurdenRecord.period,
            BurdenRecord.count.label("current"),
            lowest.c.window_min,
        )
        .join(
            lowest,
            and_(
                lowest.c.community_code == BurdenRecord.community_code,
                lowest.c.category == BurdenRecord.category,
                lowest.c.period == BurdenRecord.period,
            ),
        )
        .join(Community, Community.code == BurdenRecord.community_code)
        .where(
            # The communities in force on the as-of date, tested per rebound, not per record.
            live_on(lowest.c.community_code, scope.as_of),
            BurdenRecord.count - lowest.c.window_min >= settings.rebound_min_abs,
            (BurdenRecord.count - lowest.c.window_min) * 100.0
            >= lowest.c.window_min * settings.rebound_min_pct,
        )
    )
    return statement
