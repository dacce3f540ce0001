"""Burden-reduction figures (docs/metrics.md §4) as the Burden page, the profile and the export show them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from data_access.figures.lookups import units as all_units
from data_access.figures.registry import figure
from data_access.models import BURDEN_CATEGORIES
from data_access.queries import burden as queries
from data_access.queries.burden import REDUCTION_COLUMNS, reductions
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


def reductions_by_unit(
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


def not_ranked(table: pd.DataFrame, category: str) -> int:
    """How many units of a unit_category_table have no reduction in `category` (no baseline or none)."""
    return int(table.loc[table["category"] == category, "reduction"].isna().sum())


def unit_rebounds(found: pd.DataFrame) -> pd.DataFrame:
    """The rows of reductions_by_unit that rebound now, with rise = current - window_min, largest rise first."""
    rebounding = found[found["rebound"].eq(True)]
    rebounding = rebounding.assign(rise=rebounding["current"] - rebounding["window_min"])
    return rebounding.sort_values(["rise", "code"], ascending=[False, True])


def total_of(series: pd.DataFrame) -> pd.DataFrame:
    """category, period, value: the units' series summed, i.e. the series of the area they make up."""
    return series.groupby(["category", "period"], sort=True)["value"].sum().reset_index()


@dataclass(frozen=True)
class Reduction:
    """Baseline vs current of one summed series; reduction (a fraction 0–1) is None when the
    baseline is 0."""

    baseline_period: dt.date | None
    baseline: float | None
    current_period: dt.date | None
    current: float | None
    reduction: float | None
    window_min: float | None
    rebound: bool


def reduction_of(
    series: pd.DataFrame,
    as_of: dt.date,
    settings: Settings,
    baseline_month: dt.date | None = None,
) -> Reduction:
    """Baseline, current, reduction and rebound of one series (period, value), as of a date."""
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
        reduction=_float_or_none(row["reduction"]),
        window_min=_float_or_none(row["window_min"]),
        rebound=bool(row["rebound"]),
    )


def _date_or_none(value: Any) -> dt.date | None:
    return None if value is None or pd.isna(value) else value


def _float_or_none(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


# ---------------------------------------------------------------------------------------------
# The figures as pages, exports and reports read them (data_access/figures/registry.py)


@figure
def monthly_series(
    engine: Engine, scope: Scope, categories: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """category, period, value: the scope's own monthly series (queries/burden.py:monthly_series)."""
    return queries.monthly_series(engine, scope, categories)


@figure
def community_rebounds(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """The community × category series in the scope that rebound now (docs/metrics.md §4)."""
    return queries.community_rebounds(engine, scope, settings)


@figure
def unit_reductions(
    engine: Engine,
    scope: Scope,
    level: str,
    settings: Settings,
    baseline_month: dt.date | None = None,
) -> pd.DataFrame:
    """The reduction figures of every unit at `level` in the scope and category."""
    return queries.unit_reductions(engine, scope, level, settings, baseline_month)


@figure
def main_reductions(
    engine: Engine, scope: Scope, settings: Settings, categories: tuple[str, ...] | None = None
) -> dict[str, tuple[Reduction, Reduction]]:
    """category → its reduction at the scope's date and a year earlier, for each of `categories`
    (default: the main categories); the Overview, the briefing and the wall screen alike."""
    categories = settings.main_categories if categories is None else categories
    series = monthly_series(engine, scope, categories)
    result = {}
    for category in categories:
        one = series[series["category"] == category]
        result[category] = (
            reduction_of(one, scope.as_of, settings),
            reduction_of(one, scope.year_earlier().as_of, settings),
        )
    return result


@figure
def area_by_category(
    engine: Engine,
    scope: Scope,
    settings: Settings,
    baseline_month: dt.date | None,
    as_of: dt.date,
) -> pd.DataFrame:
    """The scope's own figures per category as of `as_of` (its date, or a year earlier)."""
    series = monthly_series(engine, scope)
    return reductions(series, as_of, settings, baseline_month, keys=("category",))


@figure
def area_category_table(
    engine: Engine, scope: Scope, settings: Settings, baseline_month: dt.date | None
) -> pd.DataFrame:
    """area_by_category at the scope's date in the order of the categories (the Burden table)."""
    return category_table(area_by_category(engine, scope, settings, baseline_month, scope.as_of))


@figure
def units_by_category(
    engine: Engine, scope: Scope, level: str, settings: Settings, baseline_month: dt.date | None
) -> pd.DataFrame:
    """unit_reductions with each unit's name: the units that have records."""
    found = unit_reductions(engine, scope, level, settings, baseline_month)
    return named(found, all_units(engine))


@figure
def unit_table(
    engine: Engine,
    scope: Scope,
    level: str,
    settings: Settings,
    baseline_month: dt.date | None = None,
) -> pd.DataFrame:
    """Every unit at `level` in the scope × every category (unit_category_table): the Burden
    page's unit table and `export burden` alike."""
    found = unit_reductions(engine, scope, level, settings, baseline_month)
    return unit_category_table(all_units(engine), found, scope, level)


@figure
def rebounding_units(
    engine: Engine, scope: Scope, level: str, settings: Settings, baseline_month: dt.date | None
) -> pd.DataFrame:
    """unit_rebounds of units_by_category: the units that rebound now, largest rise first."""
    return unit_rebounds(units_by_category(engine, scope, level, settings, baseline_month))


@figure
def units_not_ranked(
    engine: Engine,
    scope: Scope,
    level: str,
    settings: Settings,
    baseline_month: dt.date | None,
    category: str,
) -> int:
    """not_ranked of the unit table: units without a reduction in `category`."""
    return not_ranked(unit_table(engine, scope, level, settings, baseline_month), category)
