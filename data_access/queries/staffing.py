"""Staffing metrics of docs/metrics.md §3, computed in SQL per community and summed per unit.

Each figure is read from `staffing_summary` (data_access/summaries/staffing.py, kept at write
time) when it holds the as-of month end with today's counted roles (data_access/read_path.py),
and otherwise computed from `staff_member` and `community_population` themselves;
tests/test_staffing_summary.py holds the two equal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import (
    Engine,
    Select,
    Subquery,
    and_,
    case,
    exists,
    func,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from data_access.db import read_frame, read_row
from data_access.models import (
    Community,
    CommunityPopulation,
    District,
    StaffingSummary,
    StaffMember,
    Street,
)
from data_access.read_path import (
    AGE_BAND_NAMES,
    CERTIFICATE_COLUMNS,
    summary_coverage,
)
from data_access.scope import CODE_LENGTH, Scope
from data_access.settings import Settings
from data_access.sql import (
    ceil_,
    code_prefix,
    count_if,
    greatest_,
    in_range,
    in_scope,
    on_postgresql_,
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
    """Each community's population and households of the latest year not after the as-of date.

    PostgreSQL: the row with no row of a later such year (NOT EXISTS), which it plans as an anti
    join on the primary key; joined to the per-community MAX(year) it misjudged the rows and
    looped over the grouped years once per community. SQLite and MariaDB: the row whose year is
    its community's MAX(year), grouped once, which they answer quicker than the anti join
    (docs/benchmarks.md, "Population in force")."""
    year = scope.as_of.year
    later = aliased(CommunityPopulation, name="later_year")
    newest = ~exists().where(
        later.community_code == CommunityPopulation.community_code,
        later.year > CommunityPopulation.year,
        later.year <= year,
    )
    latest = (
        select(
            CommunityPopulation.community_code,
            func.max(CommunityPopulation.year).label("year"),
        )
        .where(
            CommunityPopulation.year <= year,
            in_range(CommunityPopulation.community_code, scope),
        )
        .group_by(CommunityPopulation.community_code)
        .subquery("latest_year")
    )
    grouped = exists().where(
        latest.c.community_code == CommunityPopulation.community_code,
        latest.c.year == CommunityPopulation.year,
    )
    return (
        select(
            CommunityPopulation.community_code,
            CommunityPopulation.resident_population,
            CommunityPopulation.households,
        )
        .where(
            CommunityPopulation.year <= year,
            in_scope(CommunityPopulation.community_code, scope),
            on_postgresql_(newest, grouped),
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


VILLAGE = "village"  # community.kind of a village (村); every other community is urban


def _headcount(population: Any, standard: float, minimum: int) -> Any:
    """max(minimum, ceil(standard × population / 10,000))."""
    needed = ceil_(literal(float(standard)) * population / literal(10000.0))
    return greatest_(needed, literal(minimum))


def _required(population: Any, kind: Any, settings: Settings) -> Any:
    """The required headcount of a community (docs/metrics.md §3): an urban community's by the
    urban standard and minimum team; a village's by the village settings when one is set (an
    unset one counts 0), else none; none without a population."""
    urban = _headcount(population, settings.standard_per_10k, settings.minimum_workers)
    village: Any = null()
    if settings.villages_assessed:
        village = _headcount(
            population, settings.village_standard_per_10k or 0.0, settings.village_min_team or 0
        )
    return case((population.is_(None), null()), (kind == VILLAGE, village), else_=urban)


def _per_community(engine: Engine, scope: Scope, settings: Settings) -> Subquery:
    if summary_coverage(engine).reads_staffing(scope, settings):
        return summary_staffing_subquery(scope, settings)
    return community_staffing_subquery(scope, settings)


def summary_staffing_subquery(scope: Scope, settings: Settings) -> Subquery:
    """community_staffing_subquery read from the as-of month's rows of staffing_summary."""
    summary = StaffingSummary
    # The community's kind is today's (community.kind), read beside the month's row.
    return (
        select(
            summary.community_code,
            Community.kind,
            summary.resident_population,
            summary.households,
            summary.counted_workers,
            summary.licensed_workers,
            _required(summary.resident_population, Community.kind, settings).label("required"),
        )
        .join(Community, Community.code == summary.community_code)
        .where(summary.month_end == scope.as_of, in_scope(summary.community_code, scope))
        .subquery("community_staffing")
    )


def community_staffing_subquery(scope: Scope, settings: Settings) -> Subquery:
    """One row per community in scope: kind, population, counted and licensed workers, required."""
    population = population_in_force(scope)
    workers = _counted_workers(scope, settings)
    counted = func.coalesce(workers.c.counted_workers, 0)
    return (
        select(
            Community.code.label("community_code"),
            Community.kind,
            population.c.resident_population,
            population.c.households,
            counted.label("counted_workers"),
            func.coalesce(workers.c.licensed_workers, 0).label("licensed_workers"),
            _required(population.c.resident_population, Community.kind, settings).label("required"),
        )
        .outerjoin(population, population.c.community_code == Community.code)
        .outerjoin(workers, workers.c.community_code == Community.code)
        .where(in_scope(Community.code, scope))
        .subquery("community_staffing")
    )


def _aggregate(per_community: Subquery, key: Any | None) -> Select[Any]:
    c = per_community.c
    urban = c.kind != VILLAGE
    gap = c.required - c.counted_workers
    known = c.resident_population.isnot(None)
    columns = [
        func.count().label("communities"),
        count_if(urban).label("urban_communities"),
        count_if(c.kind == VILLAGE).label("villages"),
        func.sum(c.resident_population).label("resident_population"),
        func.sum(case((urban, c.resident_population))).label("urban_population"),
        func.sum(c.households).label("households"),
        func.sum(c.counted_workers).label("counted_workers"),
        func.sum(case((urban, c.counted_workers), else_=0)).label("urban_counted_workers"),
        # The standard counts urban residents: workers of the urban communities whose population
        # is known over those residents. Workers of a community without a known population
        # cannot be set against residents.
        safe_ratio(
            func.sum(case((and_(urban, known), c.counted_workers), else_=0)),
            func.sum(case((urban, c.resident_population))),
            10000.0,
        ).label("per_10k"),
        safe_ratio(
            func.sum(case((known, c.counted_workers), else_=0)),
            func.sum(c.resident_population),
            10000.0,
        ).label("per_10k_all"),
        func.sum(c.required).label("required"),
        # Empty, like the required headcount, where no community of the unit is assessed.
        case((func.count(c.required) > 0, sum_positive(gap))).label("gap"),
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
    level = level or scope.breakdown_level
    per_community = _per_community(engine, scope, settings)
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
    frame = read_frame(engine, _aggregate(_per_community(engine, scope, settings), None))
    return _with_share(frame)[STAFFING_COLUMNS].iloc[0]


STAFFING_COLUMNS = [
    "communities",
    "urban_communities",
    "villages",
    "resident_population",
    "urban_population",
    "households",
    "counted_workers",
    "urban_counted_workers",
    "per_10k",
    "per_10k_all",
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
    # Ratios as floats, empty ones too (a town of villages has no urban per 10,000 at all).
    for column in ("per_10k", "per_10k_all", "licensed_rate"):
        frame[column] = frame[column].astype("float64")
    return frame


def communities_far_below(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """Communities below far_below_ratio × their standard per 10,000, worst first: urban
    communities by per_10k against the urban standard; villages by their own per 10,000
    (per_10k_all) against village_standard_per_10k, and never while it is unset."""
    frame = staffing_by_unit(engine, scope, settings, level="community")
    village = frame["villages"] > 0
    rate = frame["per_10k"].where(~village, frame["per_10k_all"]).astype(float)
    standard = pd.Series(settings.standard_per_10k, index=frame.index, dtype=float)
    if settings.village_standard_per_10k is not None:
        standard = standard.where(~village, settings.village_standard_per_10k)
    else:
        standard = standard.where(~village)
    below = rate < settings.far_below_ratio * standard
    far = frame.assign(_share=rate / standard)[below]
    return far.sort_values(["_share", "code"], ignore_index=True).drop(columns="_share")


def _counted_in_scope(scope: Scope, settings: Settings) -> list[Any]:
    return [
        StaffMember.role.in_(settings.counted_roles),
        in_scope(StaffMember.community_code, scope),
    ]


def certificate_counts(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """Counted workers on the as-of date by certificate (none, junior, intermediate, senior)."""
    if summary_coverage(engine).reads_staffing(scope, settings):
        names = list(CERTIFICATE_COLUMNS)
        sums = _summary_sums(engine, scope, [CERTIFICATE_COLUMNS[name] for name in names])
        rows = [(name, count) for name, count in zip(names, sums, strict=True) if count > 0]
        return pd.DataFrame(rows, columns=["certificate", "workers"])
    statement = (
        select(StaffMember.certificate, func.count().label("workers"))
        .where(*_counted_in_scope(scope, settings), active_on(scope))
        .group_by(StaffMember.certificate)
    )
    frame = read_frame(engine, statement)
    order = {c: i for i, c in enumerate(("none", "junior", "intermediate", "senior"))}
    return frame.sort_values("certificate", key=lambda s: s.map(order), ignore_index=True)


AGE_BANDS = AGE_BAND_NAMES


def age_structure(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """Counted workers on the as-of date by age band, and how many of each are without a certificate."""
    if summary_coverage(engine).reads_staffing(scope, settings):
        columns = [f"{kind}_{band}" for kind in ("workers", "uncertified") for band in AGE_BANDS]
        sums = _summary_sums(engine, scope, columns)
        bands = len(AGE_BANDS)
        return pd.DataFrame(
            {"age_band": list(AGE_BANDS), "workers": sums[:bands], "uncertified": sums[bands:]}
        )
    age = literal(scope.as_of.year) - StaffMember.birth_year
    band = case(
        (StaffMember.birth_year.is_(None), "unknown"),
        (age < 35, "under_35"),
        (age < 45, "35_44"),
        (age < 55, "45_54"),
        else_="55_over",
    )
    statement = (
        select(
            band.label("age_band"),
            func.count().label("workers"),
            count_if(StaffMember.certificate == "none").label("uncertified"),
        )
        .where(*_counted_in_scope(scope, settings), active_on(scope))
        .group_by(band)
    )
    frame = read_frame(engine, statement).set_index("age_band")
    return frame.reindex(list(AGE_BANDS), fill_value=0).reset_index()


def uncertified_under_40(engine: Engine, scope: Scope, settings: Settings) -> int:
    """Counted workers under 40 on the as-of date without a social-work certificate (seed 001)."""
    if summary_coverage(engine).reads_staffing(scope, settings):
        (count,) = _summary_sums(engine, scope, ["uncertified_under_40"])
        return count
    statement = select(func.count()).where(
        *_counted_in_scope(scope, settings),
        active_on(scope),
        StaffMember.certificate == "none",
        literal(scope.as_of.year) - StaffMember.birth_year < 40,
    )
    (count,) = read_row(engine, statement)
    return int(count or 0)


def _summary_sums(engine: Engine, scope: Scope, columns: list[str]) -> list[int]:
    """Sums of staffing_summary columns over the scope's communities at the as-of month end."""
    summary = StaffingSummary.__table__.c
    statement = select(*(func.sum(summary[name]) for name in columns)).where(
        summary.month_end == scope.as_of, in_scope(summary.community_code, scope)
    )
    return [int(value or 0) for value in read_row(engine, statement)]


def tenure_pairs(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """community_code, start_date, end_date, workers: counted staff grouped by their dates, of
    every community in the scope's code range (the trend drops each from the day it ends)."""
    statement = (
        select(
            StaffMember.community_code,
            StaffMember.start_date,
            StaffMember.end_date,
            func.count().label("workers"),
        )
        .where(
            StaffMember.role.in_(settings.counted_roles),
            in_range(StaffMember.community_code, scope),
            StaffMember.start_date <= scope.as_of,
        )
        .group_by(StaffMember.community_code, StaffMember.start_date, StaffMember.end_date)
    )
    return read_frame(engine, statement)


def population_by_year(engine: Engine, scope: Scope, in_force: bool = True) -> pd.DataFrame:
    """community_code, year, resident_population of every community in scope (with in_force
    False, of every community in its code range, those dissolved by the as-of date too)."""
    inside = in_scope if in_force else in_range
    statement = select(
        CommunityPopulation.community_code,
        CommunityPopulation.year,
        CommunityPopulation.resident_population,
    ).where(inside(CommunityPopulation.community_code, scope))
    return read_frame(engine, statement)


def summary_trend_sums(engine: Engine, scope: Scope, ends: list[dt.date]) -> pd.DataFrame:
    """Per month end of `ends` in staffing_summary: month_end, counted (all workers), total
    (residents), known (workers of communities with a population), urban_total, urban_known."""
    c = StaffingSummary.__table__.c
    urban = Community.kind != VILLAGE
    known = case((c.resident_population.is_(None), 0), else_=c.counted_workers)
    statement = (
        select(
            c.month_end,
            func.sum(c.counted_workers).label("counted"),
            func.sum(c.resident_population).label("total"),
            func.sum(known).label("known"),
            func.sum(case((urban, c.resident_population))).label("urban_total"),
            func.sum(case((urban, known), else_=0)).label("urban_known"),
        )
        .join(Community, Community.code == c.community_code)
        # The months listed, not a range: each one is a seek of the primary key to the scope's
        # communities, whatever the database knows of the table's statistics. The code range
        # alone: the summary holds no month end of a community on or after the day it ends.
        .where(c.month_end.in_(ends), in_range(c.community_code, scope))
        .group_by(c.month_end)
    )
    return read_frame(engine, statement)


def community_kinds(engine: Engine, scope: Scope) -> pd.Series:
    """community.kind of every community in the scope's code range (those dissolved by the
    as-of date too, which the trend counts before they end), by code."""
    statement = select(Community.code, Community.kind).where(in_range(Community.code, scope))
    frame = read_frame(engine, statement)
    return pd.Series(frame["kind"].to_numpy(), index=frame["code"].astype(str), dtype=object)
