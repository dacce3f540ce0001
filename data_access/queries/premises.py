"""Service premises per 100 households (docs/metrics.md §9), computed in SQL per community and
summed per unit.

Each community's floor area of the counted facility kinds and of elderly care is set against
its households in force on the as-of date (the population of docs/metrics.md §2, as staffing
reads it). A facility without a floor area leaves its community's area unknown: the community
is then not assessed, never assessed as if the facility had 0 m²."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, Select, Subquery, and_, case, func, literal, select, true

from data_access.db import read_frame
from data_access.models import Community, Facility
from data_access.queries.staffing import UNIT_TABLES, population_in_force
from data_access.scope import CODE_LENGTH, Scope
from data_access.settings import Settings
from data_access.sql import code_prefix, count_if, in_scope, safe_ratio, sum_positive

ELDERLY_KIND = "elderly_care"


def _facility_sums(scope: Scope, settings: Settings) -> Subquery:
    """Per community with facilities: the counted kinds' and elderly care's known floor area, how
    many facilities of each there are and how many of them have no floor area."""
    counted = Facility.kind.in_(settings.premises_kinds)
    elderly = Facility.kind == ELDERLY_KIND
    unknown = Facility.floor_area_m2.is_(None)
    return (
        select(
            Facility.community_code,
            func.sum(case((counted, Facility.floor_area_m2), else_=0)).label("premises_m2"),
            count_if(counted).label("counted_facilities"),
            count_if(and_(counted, unknown)).label("counted_unknown"),
            func.sum(case((elderly, Facility.floor_area_m2), else_=0)).label("elderly_m2"),
            count_if(elderly).label("elderly_facilities"),
            count_if(and_(elderly, unknown)).label("elderly_unknown"),
        )
        .where(in_scope(Facility.community_code, scope), counted | elderly)
        .group_by(Facility.community_code)
        .subquery("facility_sums")
    )


def community_premises_subquery(scope: Scope, settings: Settings) -> Subquery:
    """One row per community in scope: kind, households, premises and elderly-care areas (NULL
    when a facility's area is unknown), whether the standard applies, whether it is assessed,
    the required area and the shortfall (NULL when not assessed)."""
    population = population_in_force(scope)
    sums = _facility_sums(scope, settings)
    households = population.c.households
    counted_facilities = func.coalesce(sums.c.counted_facilities, 0)
    counted_unknown = func.coalesce(sums.c.counted_unknown, 0)
    elderly_unknown = func.coalesce(sums.c.elderly_unknown, 0)
    premises = case((counted_unknown > 0, None), else_=func.coalesce(sums.c.premises_m2, 0))
    elderly = case((elderly_unknown > 0, None), else_=func.coalesce(sums.c.elderly_m2, 0))
    applies = (
        true() if settings.premises_standard_applies_to_villages else Community.kind != "village"
    )
    known = and_(applies, households.is_not(None), counted_unknown == 0)
    elderly_known = and_(applies, households.is_not(None), elderly_unknown == 0)
    standard = literal(settings.premises_standard_m2_per_100_households)
    elderly_standard = literal(settings.elderly_premises_standard_m2_per_100_households)
    required = case((known, standard * households / literal(100.0)), else_=None)
    elderly_required = case((elderly_known, elderly_standard * households / literal(100.0)))
    return (
        select(
            Community.code.label("community_code"),
            Community.kind.label("community_kind"),
            households.label("households"),
            premises.label("premises_m2"),
            counted_facilities.label("counted_facilities"),
            counted_unknown.label("counted_unknown"),
            elderly.label("elderly_m2"),
            func.coalesce(sums.c.elderly_facilities, 0).label("elderly_facilities"),
            elderly_unknown.label("elderly_unknown"),
            case((applies, 1), else_=0).label("applies"),
            case((known, 1), else_=0).label("assessed"),
            case((elderly_known, 1), else_=0).label("elderly_assessed"),
            required.label("required_m2"),
            elderly_required.label("elderly_required_m2"),
        )
        .outerjoin(population, population.c.community_code == Community.code)
        .outerjoin(sums, sums.c.community_code == Community.code)
        .where(in_scope(Community.code, scope))
        .subquery("community_premises")
    )


def _aggregate(per_community: Subquery, key: Any | None) -> Select[Any]:
    c = per_community.c
    assessed = c.assessed == 1
    elderly_assessed = c.elderly_assessed == 1
    households = func.sum(case((assessed, c.households)))
    premises = func.sum(case((assessed, c.premises_m2)))
    elderly_households = func.sum(case((elderly_assessed, c.households)))
    elderly = func.sum(case((elderly_assessed, c.elderly_m2)))
    columns = [
        func.count().label("communities"),
        func.sum(c.applies).label("communities_applying"),
        func.sum(c.assessed).label("communities_assessed"),
        households.label("households"),
        premises.label("premises_m2"),
        safe_ratio(premises, households, 100.0).label("per_100_households"),
        func.sum(c.required_m2).label("required_m2"),
        # Empty, not 0, where no community is assessed (a village alone, areas unknown).
        case((func.sum(c.assessed) > 0, sum_positive(c.required_m2 - c.premises_m2))).label(
            "shortfall_m2"
        ),
        count_if(and_(assessed, c.premises_m2 >= c.required_m2)).label("communities_meeting"),
        count_if(and_(c.applies == 1, c.counted_facilities == 0)).label("communities_without"),
        func.sum(c.elderly_assessed).label("elderly_assessed"),
        elderly_households.label("elderly_households"),
        elderly.label("elderly_m2"),
        safe_ratio(elderly, elderly_households, 100.0).label("elderly_per_100_households"),
        func.sum(c.elderly_required_m2).label("elderly_required_m2"),
        case(
            (
                func.sum(c.elderly_assessed) > 0,
                sum_positive(c.elderly_required_m2 - c.elderly_m2),
            )
        ).label("elderly_shortfall_m2"),
        count_if(and_(elderly_assessed, c.elderly_m2 >= c.elderly_required_m2)).label(
            "elderly_meeting"
        ),
        func.sum(c.counted_unknown + c.elderly_unknown).label("facilities_without_area"),
    ]
    if key is None:
        return select(*columns)
    return select(key.label("code"), *columns).group_by(key)


PREMISES_COLUMNS = [
    "communities",
    "communities_applying",
    "communities_assessed",
    "households",
    "premises_m2",
    "per_100_households",
    "required_m2",
    "shortfall_m2",
    "communities_meeting",
    "communities_without",
    "elderly_assessed",
    "elderly_households",
    "elderly_m2",
    "elderly_per_100_households",
    "elderly_required_m2",
    "elderly_shortfall_m2",
    "elderly_meeting",
    "facilities_without_area",
]
COUNT_COLUMNS = [
    "communities",
    "communities_applying",
    "communities_assessed",
    "households",
    "communities_meeting",
    "communities_without",
    "elderly_assessed",
    "elderly_households",
    "elderly_meeting",
    "facilities_without_area",
]
AREA_COLUMNS = [
    "premises_m2",
    "per_100_households",
    "required_m2",
    "shortfall_m2",
    "elderly_m2",
    "elderly_per_100_households",
    "elderly_required_m2",
    "elderly_shortfall_m2",
]


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts as integers and areas as floats (empty stays empty), whatever the database returned."""
    for column in COUNT_COLUMNS:
        frame[column] = pd.to_numeric(frame[column]).astype("Float64").round().astype("Int64")
    for column in AREA_COLUMNS:
        frame[column] = pd.to_numeric(frame[column]).astype("Float64")
    return frame


def premises_by_unit(
    engine: Engine, scope: Scope, settings: Settings, level: str | None = None
) -> pd.DataFrame:
    """Premises of each unit at `level` (default: the scope's children; communities at the bottom)."""
    level = level or scope.breakdown_level
    per_community = community_premises_subquery(scope, settings)
    key = code_prefix(per_community.c.community_code, CODE_LENGTH[level])
    totals = _aggregate(per_community, key).subquery("totals")
    unit = UNIT_TABLES[level]
    statement = (
        select(totals, unit.name).join(unit, unit.code == totals.c.code).order_by(totals.c.code)
    )
    frame = _typed(read_frame(engine, statement))
    return frame[["code", "name", *PREMISES_COLUMNS]]


def premises_total(engine: Engine, scope: Scope, settings: Settings) -> pd.Series:
    """The scope's premises as one row: ratios of sums, the shortfall a sum of positive shortfalls."""
    frame = _typed(
        read_frame(engine, _aggregate(community_premises_subquery(scope, settings), None))
    )
    return frame[PREMISES_COLUMNS].iloc[0]


def community_premises(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """The per-community rows of community_premises_subquery with each community's name and its
    premises per 100 households (NULL when its area or households are unknown)."""
    c = community_premises_subquery(scope, settings)
    statement = (
        select(
            c,
            Community.name,
            safe_ratio(c.c.premises_m2, c.c.households, 100.0).label("per_100_households"),
        )
        .join(Community, Community.code == c.c.community_code)
        .order_by(c.c.community_code)
    )
    return read_frame(engine, statement)


def facilities_without_area(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """code, name, kind, community_code of the facilities of the counted kinds and of elderly care
    in scope that have no floor area, by code."""
    kinds = (*settings.premises_kinds, ELDERLY_KIND)
    statement = (
        select(Facility.code, Facility.name, Facility.kind, Facility.community_code)
        .where(
            in_scope(Facility.community_code, scope),
            Facility.kind.in_(kinds),
            Facility.floor_area_m2.is_(None),
        )
        .order_by(Facility.code)
    )
    return read_frame(engine, statement)
