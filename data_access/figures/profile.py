"""Community-profile figures (docs/metrics.md §8): what is wrong, the hiring pace, the chooser,
its rank among its neighbours.

The profile's numbers are the other pages' own figures (staffing_by_unit, unit_reductions,
grid_staffing_by_unit), so a community's numbers agree everywhere (docs/metrics.md).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from data_access.figures.burden import community_rebounds, unit_reductions
from data_access.figures.grids import grid_staffing_by_unit, grid_staffing_total
from data_access.figures.registry import figure
from data_access.figures.staffing import staffing_by_unit
from data_access.queries import profile as queries
from data_access.queries.profile import HIRING_WINDOW_MONTHS
from data_access.scope import Scope, add_months, ancestors
from data_access.settings import Settings

# Headline metrics a community is ranked on, and whether a higher value is better.
RANKED_METRICS: dict[str, bool] = {
    "per_10k": True,
    "gap": False,
    "licensed_rate": True,
    "staffed_rate": True,
    "reduction": True,
}


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
    staffing = staffing_by_unit(engine, scope, settings, level)
    grids = grid_staffing_by_unit(engine, scope, level)[["code", "staffed_rate"]]
    frame = staffing.merge(grids, on="code", how="left")
    categories = settings.main_categories
    if categories:
        burden = unit_reductions(engine, scope, level, settings)
        first = burden[burden["category"] == categories[0]][["code", "reduction"]]
        frame = frame.merge(first, on="code", how="left")
    else:
        frame["reduction"] = None
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


@figure
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
        elif staffing.get("villages", 0) and pd.isna(staffing.get("required")):
            # A village without a standard of its own (docs/metrics.md §3): said, not judged.
            found.append(Problem("village", {}))
    for category, rise in rebound_rise.items():
        found.append(Problem("rebound", {"category": category, "pct": rise}))
    grew = burden[pd.to_numeric(burden["reduction"], errors="coerce") < 0]
    for category in grew["category"]:
        found.append(Problem("above_baseline", {"category": category}))
    if grid_total is not None:
        unstaffed = grid_total.get("unstaffed_grids")
        if unstaffed is not None and not pd.isna(unstaffed) and unstaffed > 0:
            found.append(Problem("unstaffed_grids", {"n": int(unstaffed)}))
    return found


def community_row(staffing: pd.DataFrame) -> pd.Series | None:
    """The community's row of staffing_by_unit at community level; None when it has none."""
    return None if staffing.empty else staffing.iloc[0]


def rebound_rise(rebounds: pd.DataFrame) -> dict[str, float]:
    """category → rise in % of the current month over the window's low, for the categories that
    rebound now (queries/burden.py:community_rebounds of one community); 100 when the low is 0."""
    rise = {}
    lows, currents = rebounds["window_min"].astype(float), rebounds["current"].astype(float)
    for category, current, low in zip(rebounds["category"], currents, lows, strict=True):
        rise[str(category)] = (current - low) / low * 100 if low else 100.0
    return rise


def what_is_wrong(
    staffing: pd.DataFrame,
    burden: pd.DataFrame,
    grid_total: pd.Series,
    rebounds: pd.DataFrame,
) -> list[Problem]:
    """queries/profile.py:problems of one community from its staffing_by_unit rows, its
    unit_reductions rows, grid_staffing_total and community_rebounds."""
    return problems(community_row(staffing), burden, grid_total, rebound_rise(rebounds))


def projection(staffing: pd.DataFrame, hires: int, departures: int, as_of: dt.date) -> Projection:
    """When the community's gap closes at the pace of the last 12 months (hiring_projection)."""
    row = community_row(staffing)
    return hiring_projection(None if row is None else row["gap"], hires, departures, as_of)


def farthest_below_first(communities: pd.DataFrame) -> pd.DataFrame:
    """The communities of a scope for the profile's chooser: lowest per 10,000 first (none
    first); the villages after the urban communities, by their own per 10,000 (per_10k_all)."""
    village = (pd.to_numeric(communities["villages"]).fillna(0) > 0).astype(int)
    rate = communities["per_10k"].where(village == 0, communities["per_10k_all"])
    ordered = communities.assign(_village=village, _rate=pd.to_numeric(rate))
    ordered = ordered.sort_values(["_village", "_rate", "code"], na_position="first")
    return ordered.drop(columns=["_village", "_rate"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# The figures as the profile page reads them (data_access/figures/registry.py)


@figure
def community_problems(engine: Engine, scope: Scope, settings: Settings) -> list[Problem]:
    """what_is_wrong of the scope's community."""
    return what_is_wrong(
        staffing_by_unit(engine, scope, settings, "community"),
        unit_reductions(engine, scope, "community", settings),
        grid_staffing_total(engine, scope),
        community_rebounds(engine, scope, settings),
    )


@figure
def community_projection(engine: Engine, scope: Scope, settings: Settings) -> Projection:
    """projection of the scope's community at its pace of the last 12 months."""
    hires, departures = queries.hires_and_departures(engine, scope, settings)
    staffing = staffing_by_unit(engine, scope, settings, "community")
    return projection(staffing, hires, departures, scope.as_of)


@figure
def profile_chooser(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """The communities of the scope for the profile's chooser, lowest per 10,000 first."""
    return farthest_below_first(staffing_by_unit(engine, scope, settings, "community"))


@figure
def population_history(engine: Engine, scope: Scope) -> pd.DataFrame:
    """year, resident_population, households of the scope's community, oldest first."""
    return queries.population_history(engine, scope.code or "")


@figure
def role_counts(engine: Engine, scope: Scope) -> pd.DataFrame:
    return queries.role_counts(engine, scope)


@figure
def facilities(engine: Engine, scope: Scope) -> pd.DataFrame:
    """code, name, kind, floor_area_m2 of the scope's community's facilities."""
    return queries.facilities(engine, scope.code or "")
