"""One community's profile (社区画像): the figures the other pages show for it, plus its history,
its rank among its neighbours, what is wrong and when it will be fully staffed at its pace.

Figures come from the same queries as the other pages (staffing_by_unit, unit_reductions,
grid_staffing_by_unit), so a community's numbers agree everywhere (docs/metrics.md).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, func, select

from data_access.db import read_frame
from data_access.models import CommunityPopulation, Facility, StaffMember
from data_access.queries.burden import unit_reductions
from data_access.queries.grids import grid_staffing_by_unit
from data_access.queries.staffing import active_on, staffing_by_unit
from data_access.scope import Scope, add_months, ancestors
from data_access.settings import Settings

HIRING_WINDOW_MONTHS = 12
# Headline metrics a community is ranked on, and whether a higher value is better.
RANKED_METRICS: dict[str, bool] = {
    "per_10k": True,
    "gap": False,
    "licensed_rate": True,
    "staffed_rate": True,
    "reduction_pct": True,
}


def population_history(engine: Engine, code: str) -> pd.DataFrame:
    """year, resident_population, households of one community, oldest first."""
    statement = (
        select(
            CommunityPopulation.year,
            CommunityPopulation.resident_population,
            CommunityPopulation.households,
        )
        .where(CommunityPopulation.community_code == code)
        .order_by(CommunityPopulation.year)
    )
    return read_frame(engine, statement)


def role_counts(engine: Engine, scope: Scope) -> pd.DataFrame:
    """role, workers: everybody in post on the as-of date by role, counted or not."""
    statement = (
        select(StaffMember.role, func.count().label("workers"))
        .where(StaffMember.community_code == scope.code, active_on(scope))
        .group_by(StaffMember.role)
        .order_by(StaffMember.role)
    )
    return read_frame(engine, statement)


def hires_and_departures(
    engine: Engine, scope: Scope, settings: Settings, months: int = HIRING_WINDOW_MONTHS
) -> tuple[int, int]:
    """Counted workers who started, and who left, in the `months` months up to the as-of date."""
    since = add_months(scope.as_of.replace(day=1), 1 - months)
    counted = [
        StaffMember.community_code == scope.code,
        StaffMember.role.in_(settings.counted_roles),
    ]
    hires = select(func.count()).where(
        *counted, StaffMember.start_date >= since, StaffMember.start_date <= scope.as_of
    )
    # Somebody whose end date is on or before the as-of date is no longer in post then.
    leavers = select(func.count()).where(
        *counted, StaffMember.end_date >= since, StaffMember.end_date <= scope.as_of
    )
    with engine.connect() as connection:
        return int(connection.scalar(hires) or 0), int(connection.scalar(leavers) or 0)


def facilities(engine: Engine, code: str) -> pd.DataFrame:
    """code, name, kind, floor_area_m2 of the community's facilities."""
    statement = (
        select(Facility.code, Facility.name, Facility.kind, Facility.floor_area_m2)
        .where(Facility.community_code == code)
        .order_by(Facility.kind, Facility.code)
    )
    return read_frame(engine, statement)


@dataclass(frozen=True)
class Projection:
    """When the community reaches its required headcount at the pace of the last 12 months."""

    gap: int  # workers short now (0: none)
    hires: int
    departures: int
    months: int | None  # months to go; None when the pace never gets there
    reached: dt.date | None  # the month it gets there

    @property
    def status(self) -> str:
        if self.gap <= 0:
            return "met"
        return "never" if self.months is None else "on_track"


def hiring_projection(
    gap: float | None,
    hires: int,
    departures: int,
    as_of: dt.date,
    window: int = HIRING_WINDOW_MONTHS,
) -> Projection:
    """Net hires per month over the window, and the months until the gap closes at that pace."""
    short = 0 if gap is None or pd.isna(gap) else max(int(gap), 0)
    net = hires - departures
    if short == 0:
        return Projection(0, hires, departures, 0, None)
    if net <= 0:
        return Projection(short, hires, departures, None, None)
    months = math.ceil(short * window / net)
    return Projection(short, hires, departures, months, add_months(as_of.replace(day=1), months))


def community_metrics(
    engine: Engine, scope: Scope, settings: Settings, level: str = "community"
) -> pd.DataFrame:
    """Every community in the scope with the ranked metrics, from the pages' own queries."""
    staffing = staffing_by_unit(engine, scope, settings, level=level)
    grids = grid_staffing_by_unit(engine, scope, level=level)[["code", "staffed_rate"]]
    frame = staffing.merge(grids, on="code", how="left")
    categories = settings.main_categories
    if categories:
        burden = unit_reductions(engine, scope, level, settings)
        first = burden[burden["category"] == categories[0]][["code", "reduction_pct"]]
        frame = frame.merge(first, on="code", how="left")
    else:
        frame["reduction_pct"] = None
    return frame


def ranks(frame: pd.DataFrame, code: str) -> dict[str, tuple[int | None, int]]:
    """metric → (rank of `code` among the frame's communities, 1 = best; how many have a value)."""
    result: dict[str, tuple[int | None, int]] = {}
    for metric, higher_is_better in RANKED_METRICS.items():
        values = pd.to_numeric(frame.set_index("code")[metric], errors="coerce").dropna()
        if code not in values.index:
            result[metric] = (None, len(values))
            continue
        order = values.rank(ascending=not higher_is_better, method="min")
        result[metric] = (int(order[code]), len(values))
    return result


def rank_table(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """metric, value, street_rank, street_units, district_rank, district_units of one community."""
    chain = ancestors(scope.code or "")
    street = community_metrics(engine, Scope(chain["street"], scope.as_of), settings)
    district = community_metrics(engine, Scope(chain["district"], scope.as_of), settings)
    own = (
        district.set_index("code").loc[scope.code] if scope.code in set(district["code"]) else None
    )
    in_street, in_district = ranks(street, scope.code or ""), ranks(district, scope.code or "")
    rows = []
    for metric in RANKED_METRICS:
        value = None if own is None else own[metric]
        rows.append(
            {
                "metric": metric,
                "value": None if value is None or pd.isna(value) else float(value),
                "street_rank": in_street[metric][0],
                "street_units": in_street[metric][1],
                "district_rank": in_district[metric][0],
                "district_units": in_district[metric][1],
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a community: a catalog key (profile.problem.<key>) and its values."""

    key: str
    values: dict[str, object]


def problems(
    staffing: pd.Series | None,
    burden: pd.DataFrame,
    grid_total: pd.Series | None,
    rebound_rise: dict[str, float],
) -> list[Problem]:
    """What is wrong, in the order a leader acts on it: people short, rebounds, empty grids.

    staffing: the community's row of staffing_by_unit; burden: its unit_reductions rows;
    grid_total: grid_staffing_total; rebound_rise: category → rise in % over the window's low
    for the categories that rebound now.
    """
    found: list[Problem] = []
    if staffing is not None:
        gap = staffing.get("gap")
        if gap is not None and not pd.isna(gap) and gap > 0:
            found.append(Problem("short", {"n": int(gap)}))
        if pd.isna(staffing.get("resident_population")):
            found.append(Problem("no_population", {}))
    for category, rise in rebound_rise.items():
        found.append(Problem("rebound", {"category": category, "pct": rise}))
    grew = burden[pd.to_numeric(burden["reduction_pct"], errors="coerce") < 0]
    for category in grew["category"]:
        found.append(Problem("above_baseline", {"category": category}))
    if grid_total is not None:
        unstaffed = grid_total.get("unstaffed_grids")
        if unstaffed is not None and not pd.isna(unstaffed) and unstaffed > 0:
            found.append(Problem("unstaffed_grids", {"n": int(unstaffed)}))
    return found
