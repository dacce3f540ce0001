"""Burden-reduction figures (docs/metrics.md §4) as the Burden page, the profile and the export show them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from data_access.dissolution import units_on
from data_access.figures.lookups import units as all_units
from data_access.figures.registry import figure
from data_access.models import BURDEN_CATEGORIES
from data_access.queries import burden as queries
from data_access.read_path import summary_coverage
from data_access.rebound import rebounds
from data_access.scope import Scope, month_start
from data_access.settings import Settings

REDUCTION_COLUMNS = [
    "baseline_period",
    "baseline",
    "current_period",
    "current",
    "reduction",
    "window_min",
    "rebound",
]
TABLE_COLUMNS = ["code", "name", "category", *REDUCTION_COLUMNS]


def _month_number(periods: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(periods)
    return stamps.dt.year * 12 + stamps.dt.month


def reductions(
    series: pd.DataFrame,
    as_of: dt.date,
    settings: Settings,
    baseline_month: dt.date | None = None,
    keys: tuple[str, ...] = ("code", "category"),
) -> pd.DataFrame:
    """Baseline, current, reduction and rebound of every series in `series` (keys, period, value).

    Current is each series' latest month up to as_of; the baseline is baseline_month, by default
    each series' earliest month; reduction (a fraction 0–1) is NaN when the baseline is 0 or
    missing; the
    rebound compares current with the lowest of the rebound_window_months months before it.
    """
    by = list(keys)
    upto = series.loc[series["period"] <= as_of, [*by, "period", "value"]]
    upto = upto.assign(month=_month_number(upto["period"]))
    grouped = upto.groupby(by, sort=False)["month"]
    current_month = grouped.transform("max")
    if baseline_month is None:
        is_baseline = upto["month"] == grouped.transform("min")
    else:
        is_baseline = upto["period"] == month_start(baseline_month)
    window = (upto["month"] < current_month) & (
        upto["month"] >= current_month - settings.rebound_window_months
    )
    current = upto.loc[upto["month"] == current_month, [*by, "period", "value"]]
    baseline = upto.loc[is_baseline, [*by, "period", "value"]]
    lowest = upto.loc[window].groupby(by, sort=False)["value"].min().rename("window_min")
    result = (
        current.rename(columns={"period": "current_period", "value": "current"})
        .merge(
            baseline.rename(columns={"period": "baseline_period", "value": "baseline"}),
            on=by,
            how="left",
        )
        .merge(lowest.reset_index(), on=by, how="left")
    )
    return finished_reductions(result, settings, by)


def reduction_percent(baseline: pd.Series, current: pd.Series) -> pd.Series:
    """(baseline - current) / baseline in % (NaN for a baseline of 0 or none), times 100 before
    dividing so that whole percentages come out exact (docs/metrics.md §4)."""
    return (baseline - current) * 100.0 / baseline.where(baseline != 0)


def finished_reductions(result: pd.DataFrame, settings: Settings, by: list[str]) -> pd.DataFrame:
    """The reduction (a fraction 0–1) and rebound of rows holding current, baseline and window_min."""
    for column in ("current", "baseline", "window_min"):
        result[column] = result[column].astype(float)
    result["reduction"] = reduction_percent(result["baseline"], result["current"]) / 100
    result["rebound"] = rebounds(result["current"], result["window_min"], settings)
    return result[[*by, *REDUCTION_COLUMNS]].sort_values(by, ignore_index=True)


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


PER_COMMUNITY_COLUMNS = [
    "baseline_communities",
    "baseline_per_community",
    "current_communities",
    "current_per_community",
]


def per_community(rows: pd.DataFrame, reporting: pd.DataFrame) -> pd.DataFrame:
    """rows (category, baseline_period, baseline, current_period, current, …) with the average
    per community of the baseline and of the current (docs/metrics.md §4): the month's value ÷
    the communities with a record of the category in that month (`reporting`: category, period,
    communities; queries/burden.py:communities_reporting). Empty where the month is.
    """
    counts = {
        (category, period): int(n)
        for category, period, n in reporting[["category", "period", "communities"]].itertuples(
            index=False
        )
    }
    result = rows.copy()
    for side in ("baseline", "current"):
        keys = zip(rows["category"], rows[f"{side}_period"], strict=True)
        reporting_then = pd.Series(
            [counts.get(key, np.nan) for key in keys], index=rows.index, dtype=float
        )
        result[f"{side}_communities"] = reporting_then
        result[f"{side}_per_community"] = rows[side].astype(float) / reporting_then.where(
            reporting_then > 0
        )
    return result


def categories_without_data(series: pd.DataFrame) -> list[str]:
    """The categories of BURDEN_CATEGORIES with no value in `series` (category, period, value):
    the Burden page and the profile name them in one line instead of drawing empty panels."""
    present = set(series["category"])
    return [category for category in BURDEN_CATEGORIES if category not in present]


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
    """Reductions per unit (unit_reductions) with each unit's name."""
    return found.merge(units[["code", "name"]], on="code")


def unit_category_table(
    units: pd.DataFrame, found: pd.DataFrame, scope: Scope, level: str
) -> pd.DataFrame:
    """Every unit at `level` inside the scope × every category, units and categories without
    records included (their figures empty): TABLE_COLUMNS, by code, categories in model order.

    units: code, name, level (queries/hierarchy.py:units; those in force on the as-of date are
    listed); found: reductions per code and category.
    """
    units = units_on(units, scope.as_of)
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
    return NO_REDUCTION if rows.empty else _reduction_in(rows.iloc[0])


NO_REDUCTION = Reduction(None, None, None, None, None, None, False)


def _reduction_in(row: pd.Series) -> Reduction:
    """The Reduction of one row of `reductions`."""
    return Reduction(
        baseline_period=_date_or_none(row["baseline_period"]),
        baseline=_float_or_none(row["baseline"]),
        current_period=row["current_period"],
        current=float(row["current"]),
        reduction=_float_or_none(row["reduction"]),
        window_min=_float_or_none(row["window_min"]),
        rebound=bool(row["rebound"]),
    )


def reductions_by_category(
    series: pd.DataFrame, as_of: dt.date, settings: Settings
) -> dict[str, Reduction]:
    """category → reduction_of its series (category, period, value) as of a date; every category
    in one pass (a category without rows up to as_of is left out)."""
    rows = reductions(series, as_of, settings, keys=("category",))
    return {str(row["category"]): _reduction_in(row) for _, row in rows.iterrows()}


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
    """reductions() of every unit at `level` in the scope, and category.

    From the summary (when it holds today's rebound window): each series' current row, with its
    stored window minimum, and its baseline row, two rows per series instead of every month
    (queries/burden.py:summary_reduction_rows). From burden_record: the series themselves, one child of the scope at a
    time for deep levels."""
    if summary_coverage(engine).reads_burden_window(settings):
        rows = queries.summary_reduction_rows(engine, scope, level, baseline_month)
        return finished_reductions(rows, settings, ["code", "category"])
    parts = [scope]
    if level not in (scope.level, scope.child_level):
        # Communities of a whole city are the whole table: reading a child at a time bounds memory.
        table = units_on(all_units(engine), scope.as_of)
        inside = (table["level"] == scope.child_level) & table["code"].str.startswith(
            scope.code or ""
        )
        parts = [Scope(code, scope.as_of) for code in table.loc[inside, "code"]] or parts
    frames = [
        reductions(queries.unit_series(engine, part, level), scope.as_of, settings, baseline_month)
        for part in parts
    ]
    found = [frame for frame in frames if len(frame)]
    return pd.concat(found, ignore_index=True) if found else frames[0]


@figure
def main_reductions(
    engine: Engine, scope: Scope, settings: Settings, categories: tuple[str, ...] | None = None
) -> dict[str, tuple[Reduction, Reduction]]:
    """category → its reduction at the scope's date and a year earlier, for each of `categories`
    (default: the main categories); the Overview, the briefing and the wall screen alike."""
    categories = settings.main_categories if categories is None else categories
    series = monthly_series(engine, scope, categories)
    now = reductions_by_category(series, scope.as_of, settings)
    before = reductions_by_category(series, scope.year_earlier().as_of, settings)
    return {
        category: (now.get(category, NO_REDUCTION), before.get(category, NO_REDUCTION))
        for category in categories
    }


@figure
def area_by_category(
    engine: Engine,
    scope: Scope,
    settings: Settings,
    baseline_month: dt.date | None,
    as_of: dt.date,
) -> pd.DataFrame:
    """The scope's own figures per category as of `as_of` (its date, or a year earlier), with the
    rise of the current month over the window's low (for a rebound's explanation)."""
    series = monthly_series(engine, scope)
    found = reductions(series, as_of, settings, baseline_month, keys=("category",))
    return found.assign(rise=found["current"] - found["window_min"])


@figure
def area_per_community(
    engine: Engine, scope: Scope, settings: Settings, baseline_month: dt.date | None = None
) -> pd.DataFrame:
    """area_by_category at the scope's date with the average per community of its baseline and
    current (per_community; docs/metrics.md §4): the Burden page, the Overview and the briefing."""
    rows = area_by_category(engine, scope, settings, baseline_month, scope.as_of)
    months = [
        period
        for period in (*rows["baseline_period"], *rows["current_period"])
        if not pd.isna(period)
    ]
    return per_community(rows, queries.communities_reporting(engine, scope, months))


@figure
def area_category_table(
    engine: Engine, scope: Scope, settings: Settings, baseline_month: dt.date | None
) -> pd.DataFrame:
    """area_per_community in the order of the categories (the Burden table)."""
    return category_table(area_per_community(engine, scope, settings, baseline_month))


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
