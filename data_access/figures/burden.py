"""Burden-reduction figures (docs/metrics.md §4) as the Burden page, the profile and the export show them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from data_access.models import BURDEN_CATEGORIES
from data_access.queries.burden import REDUCTION_COLUMNS, reductions, unit_reductions
from data_access.queries.hierarchy import units as all_units
from data_access.scope import Scope
from data_access.settings import Settings

TABLE_COLUMNS = ["code", "name", "category", *REDUCTION_COLUMNS]


def by_category(
    series: pd.DataFrame,
    as_of: dt.date,
    settings: Settings,
    baseline_month: dt.date | None = None,
) -> pd.DataFrame:
    """category and the reduction figures of the area that the units of `series` make up.

    series: code, category, period, value (queries/burden.py:unit_series); the area's series is
    their sum (total_of), so the area's figures are those of the area, not an average of units.
    """
    return reductions(total_of(series), as_of, settings, baseline_month, keys=("category",))


def category_table(rows: pd.DataFrame) -> pd.DataFrame:
    """by_category's rows in the order of BURDEN_CATEGORIES (categories without records left out)."""
    present = set(rows["category"])
    in_order = rows.set_index("category").reindex([c for c in BURDEN_CATEGORIES if c in present])
    return in_order.reset_index()


def by_unit(
    series: pd.DataFrame,
    units: pd.DataFrame,
    as_of: dt.date,
    settings: Settings,
    baseline_month: dt.date | None = None,
) -> pd.DataFrame:
    """code, category, the reduction figures and name of every unit that has records in `series`."""
    return named(reductions(series, as_of, settings, baseline_month), units)


def named(found: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Reductions per unit (queries/burden.py:unit_reductions) with each unit's name."""
    return found.merge(units[["code", "name"]], on="code")


def unit_category_table(
    units: pd.DataFrame, found: pd.DataFrame, scope: Scope, level: str
) -> pd.DataFrame:
    """Every unit at `level` inside the scope × every category, units and categories without
    records included (their figures empty): TABLE_COLUMNS, by code, categories in model order.

    units: code, name, level (queries/hierarchy.py:units); found: reductions per code and category.
    """
    extra = sorted(set(found["category"]) - set(BURDEN_CATEGORIES))
    inside = units["code"].str.startswith(scope.code or "") & (units["level"] == level)
    grid = units.loc[inside, ["code", "name"]].merge(
        pd.DataFrame({"category": [*BURDEN_CATEGORIES, *extra]}), how="cross"
    )
    figures = found.drop(columns=["name"], errors="ignore")
    table = grid.merge(figures, on=["code", "category"], how="left")
    return table[TABLE_COLUMNS].reset_index(drop=True)


def unit_table(
    engine: Engine,
    scope: Scope,
    level: str,
    settings: Settings,
    baseline_month: dt.date | None = None,
) -> pd.DataFrame:
    """unit_category_table of the units at `level` in the scope, read from the database (the export)."""
    found = unit_reductions(engine, scope, level, settings, baseline_month)
    return unit_category_table(all_units(engine), found, scope, level)


def not_ranked(table: pd.DataFrame, category: str) -> int:
    """How many units of a unit_category_table have no reduction in `category` (no baseline or none)."""
    return int(table.loc[table["category"] == category, "reduction_pct"].isna().sum())


def unit_rebounds(found: pd.DataFrame) -> pd.DataFrame:
    """The rows of by_unit that rebound now, with rise = current - window_min, largest rise first."""
    rebounding = found[found["rebound"].eq(True)]
    rebounding = rebounding.assign(rise=rebounding["current"] - rebounding["window_min"])
    return rebounding.sort_values(["rise", "code"], ascending=[False, True])


def total_of(series: pd.DataFrame) -> pd.DataFrame:
    """category, period, value: the units' series summed, i.e. the series of the area they make up."""
    return series.groupby(["category", "period"], sort=True)["value"].sum().reset_index()


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
    one = series[["period", "value"]].assign(series="")
    rows = reductions(one, as_of, settings, baseline_month, keys=("series",))
    if rows.empty:
        return Reduction(None, None, None, None, None, None, False)
    row = rows.iloc[0]
    return Reduction(
        baseline_period=_date_or_none(row["baseline_period"]),
        baseline=_float_or_none(row["baseline"]),
        current_period=row["current_period"],
        current=float(row["current"]),
        reduction_pct=_float_or_none(row["reduction_pct"]),
        window_min=_float_or_none(row["window_min"]),
        rebound=bool(row["rebound"]),
    )


def _date_or_none(value: Any) -> dt.date | None:
    return None if value is None or pd.isna(value) else value


def _float_or_none(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
