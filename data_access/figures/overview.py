"""Overview figures (docs/metrics.md §3–§5): the child units' ranking with its changes, the alert
lists with each unit's places, and the headline's facts; the Overview, the briefing, the wall
screen and `export ranking` read them from here."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import cast

import pandas as pd
from pandas.api.typing import NAType
from sqlalchemy import Engine

from data_access.figures import burden, grids, staffing
from data_access.figures.lookups import data_months, with_places
from data_access.figures.lookups import units as all_units
from data_access.figures.registry import figure
from data_access.lights import LightRule, rule_of
from data_access.scope import Scope, add_months, month_end
from data_access.settings import Settings

RANKING_COLUMNS = [
    "code", "name", "communities", "resident_population", "counted_workers",
    "counted_workers_yoy", "counted_workers_mom", "per_10k", "per_10k_yoy", "per_10k_mom",
    "required", "gap", "net_gap", "share_meeting", "licensed_rate", "grids", "staffed_rate",
    *staffing.VILLAGE_COLUMNS,
]  # fmt: skip
CHANGED = ("per_10k", "counted_workers")


def month_earlier(scope: Scope) -> Scope:
    """The same area at the end of the month before."""
    return replace(scope, as_of=month_end(add_months(scope.as_of, -1)))


def ranking_of(
    staffing_rows: pd.DataFrame,
    grid_rows: pd.DataFrame,
    year_before: pd.DataFrame,
    month_before: pd.DataFrame,
) -> pd.DataFrame:
    """The units' staffing with their grids and staffed rate, and the change of per 10,000 and of
    counted workers on the same month a year earlier (_yoy, 同比) and on the month before (_mom, 环比).

    staffing_rows, year_before, month_before: staffing.py:staffing_by_unit of the scope at its
    date, a year and a month earlier; grid_rows: grids.py:grid_staffing_by_unit.
    A unit without grids has 0 grids and no staffed rate; a unit without an earlier row, no change.
    """
    merged = staffing_rows.merge(grid_rows.drop(columns=["name"]), on="code", how="left")
    merged["grids"] = merged["grids"].fillna(0).astype(int)
    for suffix, then in (("yoy", year_before), ("mom", month_before)):
        earlier = then.set_index("code")
        for column in CHANGED:
            merged[f"{column}_{suffix}"] = merged[column] - merged["code"].map(earlier[column])
    return merged


@figure
def ranking(
    engine: Engine, scope: Scope, settings: Settings, level: str | None = None
) -> pd.DataFrame:
    """ranking_of the units at `level` in the scope (default: its children): the Overview's
    ranking, the briefing's and `export ranking` alike."""

    def staffing_on(at: Scope) -> pd.DataFrame:
        return staffing.staffing_by_unit(engine, at, settings, level)

    return ranking_of(
        staffing_on(scope),
        grids.grid_staffing_by_unit(engine, scope, level),
        staffing_on(scope.year_earlier()),
        staffing_on(month_earlier(scope)),
    )


def far_below_list(far: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """staffing.py:communities_far_below with their places, in the Overview's columns; with the
    villages' own per 10,000 (per_10k_all) where villages are among them (a village standard)."""
    columns = ["code", "name", "resident_population", "counted_workers", "per_10k"]
    if staffing.has_villages(far):
        columns.append("per_10k_all")
    return with_places(far[[*columns, "required", "gap"]], "code", units)


def rebound_list(rebounds: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """burden.py:community_rebounds with their places, in the Overview's columns."""
    columns = ["community_code", "name", "category", "period", "window_min", "current"]
    return with_places(rebounds[columns], "community_code", units)


def unstaffed_list(unstaffed: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """grids.py:unstaffed_grids with their places, in the Overview's columns."""
    columns = ["code", "name", "community_name", "kind", "households"]
    return with_places(unstaffed[columns], "code", units)


@figure
def far_below_alerts(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """The Overview's alert list of communities far below the standard, with their places."""
    far = staffing.communities_far_below(engine, scope, settings)
    return far_below_list(far, all_units(engine))


@dataclass(frozen=True)
class ReboundCounts:
    """What a list of rebounds counts, named apart (docs/metrics.md §4)."""

    communities: int  # communities with a rebound in any category
    series: int  # community × category series that rebound: the rows of the alert list


def rebound_counts(rebounds: pd.DataFrame, code_column: str = "community_code") -> ReboundCounts:
    """The counts of burden.py:community_rebounds or of rebound_alerts, one frame of them: the
    headline, the Overview's alert tab, the Burden page's community tab and the briefing all
    write these. `code_column`: the column of the community's code."""
    communities = int(rebounds[code_column].nunique()) if len(rebounds) else 0
    return ReboundCounts(communities=communities, series=len(rebounds))


@figure
def rebound_alerts(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """The Overview's alert list of community × category series that rebound, with places."""
    return rebound_list(burden.community_rebounds(engine, scope, settings), all_units(engine))


@figure
def unstaffed_alerts(engine: Engine, scope: Scope) -> pd.DataFrame:
    """The Overview's alert list of grids without a grid worker, with their places."""
    return unstaffed_list(grids.unstaffed_grids(engine, scope), all_units(engine))


@dataclass(frozen=True)
class HeadlineFacts:
    """What the headline says, from the same figures as the Overview's cards."""

    level: str  # city, district, street or community
    per_10k: float | None  # workers of the urban communities per 10,000 of their residents
    standard: float
    communities_assessed: int
    communities_below: int  # assessed communities short of their required headcount
    gap: int  # workers short, summed over the communities that are short
    weakest_name: str | None  # the child unit with the lowest per 10,000 (not at community scope)
    weakest_per_10k: float | None
    category: str | None  # the first main burden category
    reduction: float | None  # its reduction against the baseline, a fraction 0–1
    rebounding_communities: int  # communities with a rebound in any category
    unstaffed_grids: int
    urban_communities: int
    villages: int  # villages (村): assessed only with a village standard or minimum team
    villages_assessed: bool
    per_10k_all: float | None  # the workers of every community and village per 10,000


def _number(value: float | NAType | None) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def change_between(value: object, earlier: object) -> float | None:
    """value − earlier, the change every card, briefing and line of what changed shows; None when
    either is missing (None, NaN or NA)."""
    now, before = (_number(v) for v in (value, earlier))  # type: ignore[arg-type]
    return None if now is None or before is None else now - before


@figure
def headline_facts(engine: Engine, scope: Scope, settings: Settings) -> HeadlineFacts:
    """The facts of the Overview's and the briefing's headline (dashboard/headline.py words them)."""
    total = staffing.staffing_total(engine, scope, settings)
    weakest = None
    if scope.level != "community":
        children = staffing.staffing_by_unit(engine, scope, settings)
        ranked = children.dropna(subset=["per_10k"]).sort_values(["per_10k", "code"])
        weakest = None if ranked.empty else ranked.iloc[0]
    categories = settings.main_categories
    reduction = None
    if categories:
        now, _year_before = burden.main_reductions(engine, scope, settings)[categories[0]]
        reduction = now.reduction
    rebounds = burden.community_rebounds(engine, scope, settings)
    grid_total = grids.grid_staffing_total(engine, scope)
    assessed = int(_number(total.get("communities_assessed")) or 0)
    meeting = int(_number(total.get("communities_meeting")) or 0)
    return HeadlineFacts(
        level=scope.level,
        per_10k=_number(total.get("per_10k")),
        standard=settings.standard_per_10k,
        communities_assessed=assessed,
        communities_below=assessed - meeting,
        gap=int(_number(total.get("gap")) or 0),
        weakest_name=None if weakest is None else str(weakest["name"]),
        weakest_per_10k=None if weakest is None else float(weakest["per_10k"]),
        category=categories[0] if categories else None,
        reduction=reduction,
        rebounding_communities=rebound_counts(rebounds).communities,
        unstaffed_grids=int(_number(grid_total.get("unstaffed_grids")) or 0),
        urban_communities=int(_number(total.get("urban_communities")) or 0),
        villages=int(_number(total.get("villages")) or 0),
        villages_assessed=settings.villages_assessed,
        per_10k_all=_number(total.get("per_10k_all")),
    )


@dataclass(frozen=True)
class Crossing:
    """A unit whose light of per 10,000 (data_access/lights.py) changed since the month before."""

    code: str
    name: str
    before: float | None
    now: float | None
    threshold: float  # the line it crossed: the standard, or close_ratio × the standard
    upward: bool


@dataclass(frozen=True)
class MonthChange:
    """What changed at a scope since the end of the month before (the Overview's and the
    briefing's first line; dashboard/headline.py words it)."""

    workers: int  # net change in counted workers
    per_10k: float | None  # change of workers per 10,000; None when either month has none
    fell: tuple[Crossing, ...]  # units whose light went down, by the line crossed, then lowest
    rose: tuple[Crossing, ...]  # units whose light went up, by the line crossed, then highest
    category: str | None  # the first main burden category
    reduction: float | None  # change of its reduction, in fractions 0–1 (points / 100)


_RANK = {"below": 0, "close": 1, "meets": 2}


def crossings(
    now_units: pd.DataFrame, before_units: pd.DataFrame, rule: LightRule
) -> tuple[tuple[Crossing, ...], tuple[Crossing, ...]]:
    """The units (staffing.py:staffing_by_unit of two dates) whose light of per 10,000 changed:
    those that fell and those that rose. A unit missing on either date, or without a value on
    either, has not crossed anything."""
    before = dict(zip(before_units["code"], before_units["per_10k"], strict=True))
    fell: list[Crossing] = []
    rose: list[Crossing] = []
    for code, name, value in zip(
        now_units["code"], now_units["name"], now_units["per_10k"], strict=True
    ):
        then = before.get(code)
        state, earlier = rule.of(value), rule.of(then)
        if state is None or earlier is None or state == earlier:
            continue
        upward = _RANK[state] > _RANK[earlier]
        # The line named is the one the unit now stands on the other side of: a fall to close
        # went under the standard, a fall to below under the close line; a rise to meets reached
        # the standard, a rise to close the close line.
        now_close = state == "close"
        threshold = (
            rule.target if state == "meets" or (now_close and not upward) else rule.close_from
        )
        crossing = Crossing(str(code), str(name), _number(then), _number(value), threshold, upward)
        (rose if upward else fell).append(crossing)
    fell.sort(key=lambda c: (-c.threshold, c.now if c.now is not None else 0.0, c.code))
    rose.sort(key=lambda c: (-c.threshold, -(c.now or 0.0), c.code))
    return tuple(fell), tuple(rose)


def month_change_of(
    now_total: pd.Series,
    before_total: pd.Series,
    now_units: pd.DataFrame,
    before_units: pd.DataFrame,
    rule: LightRule,
    category: str | None = None,
    reduction_now: float | None = None,
    reduction_before: float | None = None,
) -> MonthChange:
    """MonthChange from the staffing of the scope and of its units on two month ends
    (staffing.py:staffing_total, staffing_by_unit) and the first main category's reductions."""
    workers = int(_number(now_total.get("counted_workers")) or 0) - int(
        _number(before_total.get("counted_workers")) or 0
    )
    fell, rose = crossings(now_units, before_units, rule)
    return MonthChange(
        workers=workers,
        per_10k=change_between(now_total.get("per_10k"), before_total.get("per_10k")),
        fell=fell,
        rose=rose,
        category=category,
        reduction=change_between(reduction_now, reduction_before),
    )


@figure
def month_change(engine: Engine, scope: Scope, settings: Settings) -> MonthChange | None:
    """What changed since the end of the month before; None when that month has no data (the
    scope's month is the first of lookups.py:data_months)."""
    first, _last = data_months(engine)
    before = month_earlier(scope)
    if first is None or before.as_of < first:
        return None
    rule = cast(LightRule, rule_of("per_10k", settings))
    level = scope.breakdown_level

    def units_on(at: Scope) -> pd.DataFrame:
        return staffing.staffing_by_unit(engine, at, settings, level)

    categories = settings.main_categories
    category = categories[0] if categories else None
    reductions: list[float | None] = [None, None]
    if category is not None:
        # The scope's own reductions are the page's (one cached read); of the month before only
        # the one category is needed.
        reductions = [
            burden.main_reductions(engine, scope, settings)[category][0].reduction,
            burden.main_reductions(engine, before, settings, (category,))[category][0].reduction,
        ]
    return month_change_of(
        staffing.staffing_total(engine, scope, settings),
        staffing.staffing_total(engine, before, settings),
        units_on(scope),
        units_on(before),
        rule,
        category,
        *reductions,
    )
