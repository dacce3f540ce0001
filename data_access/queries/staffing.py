"""Staffing metrics of DESIGN §5.1, computed in SQL per community and summed per unit."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, Select, Subquery, and_, case, func, literal, or_, select

from data_access.db import read_frame
from data_access.models import Community, CommunityPopulation, District, StaffMember, Street
from data_access.scope import CODE_LENGTH, Scope
from data_access.settings import Settings
from data_access.sql import (
    ceil_,
    code_prefix,
    count_if,
    greatest_,
    in_scope,
    safe_ratio,
    sum_positive,
)

UNIT_TABLES: dict[str, Any] = {"district": District, "street": Street, "community": Community}


def active_on(scope: Scope) -> Any:
    """Staff active on the as-of date: start inclusive, end exclusive."""
    return and_(
        StaffMember.start_date <= scope.as_of,
        or_(StaffMember.end_date.is_(None), StaffMember.end_date > scope.as_of),
    )


def population_in_force(scope: Scope) -> Subquery:
    """Each community's population and households of the latest year not after the as-of date."""
    latest = (
        select(CommunityPopulation.community_code, func.max(CommunityPopulation.year).label("year"))
        .where(
            CommunityPopulation.year <= scope.as_of.year,
            in_scope(CommunityPopulation.community_code, scope),
        )
        .group_by(CommunityPopulation.community_code)
        .subquery("latest_year")
    )
    return (
        select(
            CommunityPopulation.community_code,
            CommunityPopulation.resident_population,
            CommunityPopulation.households,
        )
        .join(
            latest,
            and_(
                latest.c.community_code == CommunityPopulation.community_code,
                latest.c.year == CommunityPopulation.year,
            ),
        )
        .subquery("population")
    )


def _counted_workers(scope: Scope, settings: Settings) -> Subquery:
    return (
        select(
            StaffMember.community_code,
            func.count().label("counted_workers"),
            count_if(StaffMember.certificate != "none").label("licensed_workers"),
        )
        .where(
            StaffMember.role.in_(settings.counted_roles),
            active_on(scope),
            in_scope(StaffMember.community_code, scope),
        )
        .group_by(StaffMember.community_code)
        .subquery("workers")
    )


def community_staffing(scope: Scope, settings: Settings) -> Subquery:
    """One row per community in scope: population, counted and licensed workers, required, gap."""
    population = population_in_force(scope)
    workers = _counted_workers(scope, settings)
    counted = func.coalesce(workers.c.counted_workers, 0)
    needed = ceil_(
        literal(settings.standard_per_10k) * population.c.resident_population / literal(10000.0)
    )
    required = case(
        (population.c.resident_population.is_(None), None),
        else_=greatest_(needed, literal(settings.minimum_workers)),
    )
    return (
        select(
            Community.code.label("community_code"),
            population.c.resident_population,
            population.c.households,
            counted.label("counted_workers"),
            func.coalesce(workers.c.licensed_workers, 0).label("licensed_workers"),
            required.label("required"),
        )
        .outerjoin(population, population.c.community_code == Community.code)
        .outerjoin(workers, workers.c.community_code == Community.code)
        .where(in_scope(Community.code, scope))
        .subquery("community_staffing")
    )


def _aggregate(per_community: Subquery, key: Any | None) -> Select[Any]:
    c = per_community.c
    gap = c.required - c.counted_workers
    columns = [
        func.count().label("communities"),
        func.sum(c.resident_population).label("resident_population"),
        func.sum(c.households).label("households"),
        func.sum(c.counted_workers).label("counted_workers"),
        safe_ratio(func.sum(c.counted_workers), func.sum(c.resident_population), 10000.0).label(
            "per_10k"
        ),
        func.sum(c.required).label("required"),
        sum_positive(gap).label("gap"),
        func.sum(gap).label("net_gap"),
        count_if(c.counted_workers >= c.required).label("communities_meeting"),
        func.count(c.required).label("communities_assessed"),
        func.sum(c.licensed_workers).label("licensed_workers"),
        safe_ratio(func.sum(c.licensed_workers), func.sum(c.counted_workers)).label(
            "licensed_rate"
        ),
    ]
    if key is None:
        return select(*columns)
    return select(key.label("code"), *columns).group_by(key)


def staffing_by_unit(
    engine: Engine, scope: Scope, settings: Settings, level: str | None = None
) -> pd.DataFrame:
    """Staffing of each unit at `level` (default: the scope's children; communities at the bottom)."""
    level = level or ("community" if scope.level == "community" else scope.child_level)
    per_community = community_staffing(scope, settings)
    key = code_prefix(per_community.c.community_code, CODE_LENGTH[level])
    totals = _aggregate(per_community, key).subquery("totals")
    unit = UNIT_TABLES[level]
    statement = (
        select(totals, unit.name).join(unit, unit.code == totals.c.code).order_by(totals.c.code)
    )
    frame = read_frame(engine, statement)
    return _with_share(frame)[["code", "name", *STAFFING_COLUMNS]]


def staffing_total(engine: Engine, scope: Scope, settings: Settings) -> pd.Series:
    """The scope's staffing as one row: every ratio a ratio of sums, the gap a sum of positive gaps."""
    frame = read_frame(engine, _aggregate(community_staffing(scope, settings), None))
    return _with_share(frame)[STAFFING_COLUMNS].iloc[0]


STAFFING_COLUMNS = [
    "communities",
    "resident_population",
    "households",
    "counted_workers",
    "per_10k",
    "required",
    "gap",
    "net_gap",
    "communities_meeting",
    "communities_assessed",
    "share_meeting",
    "licensed_workers",
    "licensed_rate",
]


def _with_share(frame: pd.DataFrame) -> pd.DataFrame:
    assessed = frame["communities_assessed"].where(frame["communities_assessed"] > 0)
    frame["share_meeting"] = frame["communities_meeting"] / assessed
    return frame


def communities_far_below(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """Communities whose per 10,000 is below far_below_ratio × standard, worst first."""
    frame = staffing_by_unit(engine, scope, settings, level="community")
    threshold = settings.far_below_ratio * settings.standard_per_10k
    return frame[frame["per_10k"] < threshold].sort_values("per_10k", ignore_index=True)
