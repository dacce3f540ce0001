"""Burden reduction (DESIGN §5.2): summed monthly series, baseline vs current, rebounds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, and_, func, select

from data_access.db import read_frame
from data_access.models import BurdenRecord, Community
from data_access.scope import Scope, add_months, month_start
from data_access.settings import Settings
from data_access.sql import in_scope


def monthly_series(
    engine: Engine, scope: Scope, categories: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """category, period, value: each category summed over the scope's communities, up to the as-of date."""
    statement = (
        select(
            BurdenRecord.category,
            BurdenRecord.period,
            func.sum(BurdenRecord.count).label("value"),
        )
        .where(in_scope(BurdenRecord.community_code, scope), BurdenRecord.period <= scope.as_of)
        .group_by(BurdenRecord.category, BurdenRecord.period)
        .order_by(BurdenRecord.category, BurdenRecord.period)
    )
    if categories:
        statement = statement.where(BurdenRecord.category.in_(categories))
    frame = read_frame(engine, statement)
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    return frame


@dataclass(frozen=True)
class Reduction:
    """Baseline vs current of one summed series; reduction_pct is None when the baseline is 0."""

    baseline_period: dt.date | None
    baseline: float | None
    current_period: dt.date | None
    current: float | None
    reduction_pct: float | None
    window_min: float | None
    rebound: bool


def reduction_of(
    series: pd.DataFrame,
    as_of: dt.date,
    settings: Settings,
    baseline_month: dt.date | None = None,
) -> Reduction:
    """Baseline, current, reduction % and rebound of one series (period, value), as of a date."""
    upto = series[series["period"] <= as_of].sort_values("period")
    if upto.empty:
        return Reduction(None, None, None, None, None, None, False)
    if baseline_month is None:
        base_rows = upto.iloc[:1]
    else:
        base_rows = upto[upto["period"] == month_start(baseline_month)]
    current_row = upto.iloc[-1]
    baseline = float(base_rows["value"].iloc[0]) if len(base_rows) else None
    baseline_period = base_rows["period"].iloc[0] if len(base_rows) else None
    current = float(current_row["value"])
    reduction = None if not baseline else (baseline - current) / baseline * 100.0
    window_start = add_months(current_row["period"], -settings.rebound_window_months)
    window = upto[(upto["period"] >= window_start) & (upto["period"] < current_row["period"])]
    window_min = float(window["value"].min()) if len(window) else None
    return Reduction(
        baseline_period=baseline_period,
        baseline=baseline,
        current_period=current_row["period"],
        current=current,
        reduction_pct=reduction,
        window_min=window_min,
        rebound=is_rebound(current, window_min, settings),
    )


def is_rebound(current: float, window_min: float | None, settings: Settings) -> bool:
    """Current at least rebound_min_pct % and rebound_min_abs above the window's lowest value."""
    if window_min is None:
        return False
    rise = current - window_min
    return rise >= settings.rebound_min_abs and rise >= window_min * settings.rebound_min_pct / 100


def community_rebounds(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """Community-level rebounds in the scope's latest month ≤ as-of, largest rise first."""
    latest = read_frame(
        engine,
        select(func.max(BurdenRecord.period)).where(
            in_scope(BurdenRecord.community_code, scope), BurdenRecord.period <= scope.as_of
        ),
    ).iloc[0, 0]
    if latest is None or pd.isna(latest):
        return pd.DataFrame(
            columns=["community_code", "name", "category", "period", "current", "window_min"]
        )
    current_period = pd.Timestamp(latest).date()
    window_start = add_months(current_period, -settings.rebound_window_months)
    lowest = (
        select(
            BurdenRecord.community_code,
            BurdenRecord.category,
            func.min(BurdenRecord.count).label("window_min"),
        )
        .where(
            in_scope(BurdenRecord.community_code, scope),
            BurdenRecord.period >= window_start,
            BurdenRecord.period < current_period,
        )
        .group_by(BurdenRecord.community_code, BurdenRecord.category)
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
            ),
        )
        .join(Community, Community.code == BurdenRecord.community_code)
        .where(
            in_scope(BurdenRecord.community_code, scope),
            BurdenRecord.period == current_period,
            BurdenRecord.count - lowest.c.window_min >= settings.rebound_min_abs,
            BurdenRecord.count * 100.0 >= lowest.c.window_min * (100.0 + settings.rebound_min_pct),
        )
    )
    frame = read_frame(engine, statement)
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    frame["rise"] = frame["current"] - frame["window_min"]
    return frame.sort_values(["rise", "community_code"], ascending=[False, True], ignore_index=True)
