"""Overview figures (docs/metrics.md §3–§5): the child units' ranking with its changes, the main
categories' reductions now and a year earlier, and the alert lists with each unit's places."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from sqlalchemy import Engine

from data_access.figures.burden import Reduction, reduction_of
from data_access.queries.grids import grid_staffing_by_unit
from data_access.queries.staffing import staffing_by_unit
from data_access.scope import CODE_LENGTH, Scope, add_months, month_end
from data_access.settings import Settings

RANKING_COLUMNS = [
    "code", "name", "communities", "resident_population", "counted_workers",
    "counted_workers_yoy", "counted_workers_mom", "per_10k", "per_10k_yoy", "per_10k_mom",
    "required", "gap", "net_gap", "share_meeting", "licensed_rate", "grids", "staffed_rate",
]  # fmt: skip
CHANGED = ("per_10k", "counted_workers")


def month_earlier(scope: Scope) -> Scope:
    """The same area at the end of the month before."""
    return replace(scope, as_of=month_end(add_months(scope.as_of, -1)))


def ranking(
    staffing: pd.DataFrame,
    grids: pd.DataFrame,
    year_before: pd.DataFrame,
    month_before: pd.DataFrame,
) -> pd.DataFrame:
    """The units' staffing with their grids and staffed rate, and the change of per 10,000 and of
    counted workers on the same month a year earlier (_yoy, 同比) and on the month before (_mom, 环比).

    staffing, year_before, month_before: queries/staffing.py:staffing_by_unit of the scope at
    its date, a year and a month earlier; grids: queries/grids.py:grid_staffing_by_unit.
    A unit without grids has 0 grids and no staffed rate; a unit without an earlier row, no change.
    """
    merged = staffing.merge(grids.drop(columns=["name"]), on="code", how="left")
    merged["grids"] = merged["grids"].fillna(0).astype(int)
    for suffix, then in (("yoy", year_before), ("mom", month_before)):
        earlier = then.set_index("code")
        for column in CHANGED:
            merged[f"{column}_{suffix}"] = merged[column] - merged["code"].map(earlier[column])
    return merged


def unit_ranking(
    engine: Engine, scope: Scope, settings: Settings, level: str | None = None
) -> pd.DataFrame:
    """ranking() of the units at `level` in the scope (default: its children), read from the database."""
    level = level or scope.breakdown_level

    def staffing_on(at: Scope) -> pd.DataFrame:
        return staffing_by_unit(engine, at, settings, level=level)

    return ranking(
        staffing_on(scope),
        grid_staffing_by_unit(engine, scope, level),
        staffing_on(scope.year_earlier()),
        staffing_on(month_earlier(scope)),
    )


def main_reductions(
    series: pd.DataFrame,
    scope: Scope,
    settings: Settings,
    categories: tuple[str, ...] | None = None,
) -> dict[str, tuple[Reduction, Reduction]]:
    """category → its reduction at the scope's date and a year earlier, for each of `categories`
    (default: the main categories).

    series: category, period, value of the scope (queries/burden.py:monthly_series).
    """
    result = {}
    for category in settings.main_categories if categories is None else categories:
        one = series[series["category"] == category]
        result[category] = (
            reduction_of(one, scope.as_of, settings),
            reduction_of(one, scope.year_earlier().as_of, settings),
        )
    return result


def with_places(frame: pd.DataFrame, code_column: str, units: pd.DataFrame) -> pd.DataFrame:
    """The frame with the district and street name of each row's unit in front of it."""
    names = dict(zip(units["code"].tolist(), units["name"].tolist(), strict=True))
    codes = frame[code_column].astype(str)
    placed = frame.copy()
    for level, column in (("street", "street_name"), ("district", "district_name")):
        prefixes = codes.str[: CODE_LENGTH[level]]
        placed.insert(0, column, prefixes.map(lambda code: names.get(code, code)))
    return placed


def far_below_list(far: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """queries/staffing.py:communities_far_below with their places, in the Overview's columns."""
    columns = ["code", "name", "resident_population", "counted_workers", "per_10k", "required"]
    return with_places(far[[*columns, "gap"]], "code", units)


def rebound_list(rebounds: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """queries/burden.py:community_rebounds with their places, in the Overview's columns."""
    columns = ["community_code", "name", "category", "period", "window_min", "current"]
    return with_places(rebounds[columns], "community_code", units)


def unstaffed_list(unstaffed: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """queries/grids.py:unstaffed_grids with their places, in the Overview's columns."""
    columns = ["code", "name", "community_name", "kind", "households"]
    return with_places(unstaffed[columns], "code", units)
