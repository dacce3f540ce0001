"""Grid coverage (docs/metrics.md §5): staffing, size, households, party branches, space and reach.

The staffed-grid counts per community are read from `grid_staffing_summary`
(data_access/summaries/grid_staffing.py, kept at write time) when it holds the as-of month end, and otherwise
computed from `grid` and `staff_member` themselves; tests/test_grid_staffing_summary.py holds
the two equal. The per-grid lists need each grid's own status and always join the grid workers.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, Select, Subquery, and_, case, exists, func, literal, select

from data_access import coverage
from data_access.db import read_frame, read_row
from data_access.models import (
    GRID_WORKER_ROLES,
    Community,
    CommunityCoverage,
    District,
    Facility,
    Grid,
    GridReach,
    GridStaffingSummary,
    MapPiece,
    StaffMember,
    Street,
    UnitOutline,
)
from data_access.queries.staffing import UNIT_TABLES, active_on, population_in_force
from data_access.read_path import summary_coverage
from data_access.scope import CODE_LENGTH, Scope
from data_access.settings import Settings
from data_access.sql import code_prefix, count_if, in_scope, live_on, safe_ratio


def grid_workers(scope: Scope) -> Subquery:
    """Grids with at least one active grid worker, and whether one of them is full-time (1/0)."""
    return (
        select(
            StaffMember.grid_code,
            func.max(case((StaffMember.role == "grid_fulltime", 1), else_=0)).label("has_fulltime"),
        )
        .where(
            StaffMember.role.in_(GRID_WORKER_ROLES),
            StaffMember.grid_code.is_not(None),
            active_on(scope),
            in_scope(StaffMember.community_code, scope),
        )
        .group_by(StaffMember.grid_code)
        .subquery("grid_workers")
    )


def grid_staffing_subquery(scope: Scope) -> Subquery:
    """One row per grid in scope with staffed (1/0) and fulltime_staffed (1/0) on the as-of date."""
    workers = grid_workers(scope)
    return (
        select(
            Grid.code,
            Grid.name,
            Grid.community_code,
            Grid.kind,
            Grid.households,
            Grid.has_party_branch,
            case((workers.c.grid_code.is_(None), 0), else_=1).label("staffed"),
            func.coalesce(workers.c.has_fulltime, 0).label("fulltime_staffed"),
        )
        .outerjoin(workers, workers.c.grid_code == Grid.code)
        .where(in_scope(Grid.community_code, scope))
        .subquery("grid_status")
    )


def summary_grid_staffing(scope: Scope) -> Subquery:
    """The as-of month's rows of grid_staffing_summary in scope: one per community with grids."""
    summary = GridStaffingSummary
    return (
        select(
            summary.community_code,
            summary.grids,
            summary.staffed_grids,
            summary.fulltime_staffed_grids,
        )
        .where(summary.month_end == scope.as_of, in_scope(summary.community_code, scope))
        .subquery("grid_staffing")
    )


def _staffed_columns(status: Subquery) -> list:
    return [
        func.count().label("grids"),
        func.sum(status.c.staffed).label("staffed_grids"),
        safe_ratio(func.sum(status.c.staffed), func.count()).label("staffed_rate"),
        func.sum(status.c.fulltime_staffed).label("fulltime_staffed_grids"),
        safe_ratio(func.sum(status.c.fulltime_staffed), func.count()).label(
            "fulltime_staffed_rate"
        ),
        count_if(status.c.staffed == 0).label("unstaffed_grids"),
    ]


def _summed_staffed_columns(summary: Subquery) -> list:
    """_staffed_columns from the summary's rows, NULL where the raw sums are NULL (no grid)."""
    c = summary.c
    return [
        func.coalesce(func.sum(c.grids), 0).label("grids"),
        func.sum(c.staffed_grids).label("staffed_grids"),
        safe_ratio(func.sum(c.staffed_grids), func.sum(c.grids)).label("staffed_rate"),
        func.sum(c.fulltime_staffed_grids).label("fulltime_staffed_grids"),
        safe_ratio(func.sum(c.fulltime_staffed_grids), func.sum(c.grids)).label(
            "fulltime_staffed_rate"
        ),
        func.sum(c.grids - c.staffed_grids).label("unstaffed_grids"),
    ]


def _grid_staffing(engine: Engine, scope: Scope) -> tuple[Subquery, list]:
    """The rows to sum (per community from the summary, else per grid) and the sums."""
    if summary_coverage(engine).reads_grid_staffing(scope):
        summary = summary_grid_staffing(scope)
        return summary, _summed_staffed_columns(summary)
    status = grid_staffing_subquery(scope)
    return status, _staffed_columns(status)


def grid_staffing_total(engine: Engine, scope: Scope) -> pd.Series:
    """Grids, staffed grids and staffed rates of the whole scope (rates of sums; empty if no grid)."""
    _, columns = _grid_staffing(engine, scope)
    return read_frame(engine, select(*columns)).iloc[0]


def grid_staffing_by_unit(engine: Engine, scope: Scope, level: str | None = None) -> pd.DataFrame:
    """Grid staffing of each unit at `level` (default: the scope's children, communities at most)."""
    level = level or scope.breakdown_level
    rows, columns = _grid_staffing(engine, scope)
    key = code_prefix(rows.c.community_code, CODE_LENGTH[level])
    totals = select(key.label("code"), *columns).group_by(key).subquery("totals")
    unit = UNIT_TABLES[level]
    statement = (
        select(totals, unit.name).join(unit, unit.code == totals.c.code).order_by(totals.c.code)
    )
    return read_frame(engine, statement)


def unstaffed_grids(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Grids without any active grid worker on the as-of date, largest households first."""
    if summary_coverage(engine).reads_grid_staffing(scope):
        statement = _unstaffed_from_summary(scope)
    else:
        status = grid_staffing_subquery(scope)
        statement = (
            select(
                status.c.code,
                status.c.name,
                status.c.community_code,
                Community.name.label("community_name"),
                status.c.kind,
                status.c.households,
            )
            .join(Community, Community.code == status.c.community_code)
            .where(status.c.staffed == 0)
        )
    # Sorted here: databases disagree on where NULL households go in a descending order.
    frame = read_frame(engine, statement)
    return frame.sort_values(
        ["households", "code"], ascending=[False, True], na_position="last", ignore_index=True
    )


def _unstaffed_from_summary(scope: Scope) -> Select:
    """The grids of the communities whose summary row counts fewer staffed grids than grids,
    each without an active grid worker: the staff index looked up for those grids alone."""
    summary = summary_grid_staffing(scope)
    worker = exists().where(
        StaffMember.grid_code == Grid.code,
        StaffMember.role.in_(GRID_WORKER_ROLES),
        active_on(scope),
        in_scope(StaffMember.community_code, scope),
    )
    return (
        select(
            Grid.code,
            Grid.name,
            Grid.community_code,
            Community.name.label("community_name"),
            Grid.kind,
            Grid.households,
        )
        .join(summary, summary.c.community_code == Grid.community_code)
        .join(Community, Community.code == Grid.community_code)
        .where(
            summary.c.staffed_grids < summary.c.grids,
            in_scope(Grid.community_code, scope),
            ~worker,
        )
    )


def grid_list(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Every grid in scope with its kind, households and staffing on the as-of date."""
    status = grid_staffing_subquery(scope)
    return read_frame(engine, select(status).order_by(status.c.code))


def _size_conditions(status: Subquery, settings: Settings) -> tuple:
    """General grids within, above and below the household range; dedicated grids are never checked."""
    general = status.c.kind == "general"
    low, high = literal(settings.grid_households_min), literal(settings.grid_households_max)
    return (
        and_(general, status.c.households >= low, status.c.households <= high),
        and_(general, status.c.households > high),
        and_(general, status.c.households < low),
    )


def community_grid_counts(scope: Scope, settings: Settings, summary: bool = False) -> Subquery:
    """One row per community in scope: its households of the year in force and its grid counts;
    the staffed counts from grid_staffing_summary when `summary`, the others from `grid`."""
    if summary:
        grids = (
            select(Grid.community_code, Grid.kind, Grid.households, Grid.has_party_branch)
            .where(in_scope(Grid.community_code, scope))
            .subquery("grid_rows")
        )
        staffed: list = []
    else:
        grids = grid_staffing_subquery(scope)
        staffed = [
            func.sum(grids.c.staffed).label("staffed_grids"),
            func.sum(grids.c.fulltime_staffed).label("fulltime_staffed_grids"),
        ]
    in_range, above, below = _size_conditions(grids, settings)
    per_community = (
        select(
            grids.c.community_code,
            func.count().label("grids"),
            *staffed,
            count_if(grids.c.kind == "general").label("general_grids"),
            count_if(in_range).label("general_grids_in_size_range"),
            count_if(above).label("oversized_grids"),
            count_if(below).label("undersized_grids"),
            func.coalesce(func.sum(grids.c.households), 0).label("households_in_grids"),
            count_if(grids.c.has_party_branch.is_(True)).label("party_branch_grids"),
        )
        .group_by(grids.c.community_code)
        .subquery("grid_counts")
    )
    population = population_in_force(scope)
    status_of = {name: getattr(per_community.c, name, None) for name in GRID_COUNT_COLUMNS}
    statement = select(Community.code.label("community_code"), population.c.households)
    if summary:
        staffing = summary_grid_staffing(scope)
        status_of["staffed_grids"] = staffing.c.staffed_grids
        status_of["fulltime_staffed_grids"] = staffing.c.fulltime_staffed_grids
        statement = statement.outerjoin(staffing, staffing.c.community_code == Community.code)
    counts = [func.coalesce(column, 0).label(name) for name, column in status_of.items()]
    in_grids = func.coalesce(per_community.c.households_in_grids, 0)
    return (
        statement.add_columns(
            *counts,
            # Households in grids where the community's households are known: the coverage numerator.
            case((population.c.households.is_(None), None), else_=in_grids).label(
                "households_in_grids_known"
            ),
        )
        .outerjoin(population, population.c.community_code == Community.code)
        .outerjoin(per_community, per_community.c.community_code == Community.code)
        .where(in_scope(Community.code, scope))
        .subquery("community_grid_counts")
    )


GRID_COUNT_COLUMNS = [
    "grids",
    "staffed_grids",
    "fulltime_staffed_grids",
    "general_grids",
    "general_grids_in_size_range",
    "oversized_grids",
    "undersized_grids",
    "households_in_grids",
    "party_branch_grids",
]


def _coverage_columns(per_community: Subquery) -> list:
    c = per_community.c
    return [
        func.count().label("communities"),
        *[func.sum(getattr(c, name)).label(name) for name in GRID_COUNT_COLUMNS],
        func.sum(c.households).label("households"),
        safe_ratio(func.sum(c.staffed_grids), func.sum(c.grids)).label("staffed_rate"),
        safe_ratio(func.sum(c.fulltime_staffed_grids), func.sum(c.grids)).label(
            "fulltime_staffed_rate"
        ),
        safe_ratio(func.sum(c.general_grids_in_size_range), func.sum(c.general_grids)).label(
            "size_range_rate"
        ),
        safe_ratio(func.sum(c.households_in_grids_known), func.sum(c.households)).label(
            "household_coverage"
        ),
        safe_ratio(func.sum(c.party_branch_grids), func.sum(c.grids)).label("party_branch_rate"),
    ]


def grid_counts_by_unit(
    engine: Engine, scope: Scope, settings: Settings, level: str | None = None
) -> pd.DataFrame:
    """Grid counts and SQL-computed rates of each unit at `level` (default: the scope's children)."""
    level = level or scope.breakdown_level
    per_community = community_grid_counts(
        scope, settings, summary_coverage(engine).reads_grid_staffing(scope)
    )
    key = code_prefix(per_community.c.community_code, CODE_LENGTH[level])
    totals: Select = select(key.label("code"), *_coverage_columns(per_community)).group_by(key)
    totals_sq = totals.subquery("totals")
    unit = UNIT_TABLES[level]
    statement = (
        select(totals_sq, unit.name)
        .join(unit, unit.code == totals_sq.c.code)
        .order_by(totals_sq.c.code)
    )
    return read_frame(engine, statement)


def grid_counts_total(engine: Engine, scope: Scope, settings: Settings) -> pd.Series:
    """The scope's grid counts and rates as one row (ratios of sums; empty when a denominator is 0)."""
    per_community = community_grid_counts(
        scope, settings, summary_coverage(engine).reads_grid_staffing(scope)
    )
    return read_frame(engine, select(*_coverage_columns(per_community))).iloc[0]


def community_boundaries(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Communities in scope with their street and boundary (GeoJSON text or None)."""
    statement = (
        select(Community.code, Community.name, Community.street_code, Community.boundary)
        .where(in_scope(Community.code, scope))
        .order_by(Community.code)
    )
    return read_frame(engine, statement)


def unit_outlines(
    engine: Engine, scope: Scope, detail: str, levels: tuple[str, ...]
) -> pd.DataFrame:
    """The stored outlines (data_access/outlines.py) of the units at `levels` in scope, drawn at
    `detail` ("city" or "district"), with each unit's name."""
    name = func.coalesce(District.name, Street.name, Community.name, UnitOutline.code)
    statement = (
        select(
            UnitOutline.code,
            UnitOutline.level,
            name.label("name"),
            UnitOutline.min_lon,
            UnitOutline.min_lat,
            UnitOutline.max_lon,
            UnitOutline.max_lat,
            UnitOutline.label_lon,
            UnitOutline.label_lat,
            UnitOutline.area,
            UnitOutline.decimals,
            UnitOutline.outline,
        )
        .outerjoin(District, District.code == UnitOutline.code)
        .outerjoin(Street, Street.code == UnitOutline.code)
        .outerjoin(Community, Community.code == UnitOutline.code)
        .where(
            UnitOutline.detail == detail,
            UnitOutline.level.in_(levels),
            in_scope(UnitOutline.code, scope),
        )
        .order_by(UnitOutline.level, UnitOutline.code)
    )
    return read_frame(engine, statement)


def map_pieces(engine: Engine, scope: Scope) -> pd.DataFrame:
    """What the map of a street or community draws, as stored (data_access/outlines.py): its
    communities (with their names), grids, gaps and overlaps, each simplified for that map."""
    statement = (
        select(
            MapPiece.kind,
            MapPiece.code,
            MapPiece.part,
            MapPiece.community_code,
            Community.name,
            MapPiece.area_m2,
            MapPiece.min_lon,
            MapPiece.min_lat,
            MapPiece.max_lon,
            MapPiece.max_lat,
            MapPiece.label_lon,
            MapPiece.label_lat,
            MapPiece.area,
            MapPiece.decimals,
            MapPiece.outline,
        )
        .outerjoin(Community, Community.code == MapPiece.code)
        .where(
            MapPiece.detail == scope.level,
            MapPiece.scope_code == scope.code,
            live_on(MapPiece.community_code, scope.as_of),
        )
        .order_by(MapPiece.kind, MapPiece.code, MapPiece.part)
    )
    return read_frame(engine, statement)


def grid_status(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Every grid in scope with its staffing on the as-of date (no boundary)."""
    status = grid_staffing_subquery(scope)
    return read_frame(engine, select(status).order_by(status.c.code))


def outline_count(engine: Engine, detail: str, level: str) -> int:
    """How many units of `level` have a stored outline at `detail`."""
    statement = select(func.count()).where(UnitOutline.detail == detail, UnitOutline.level == level)
    (count,) = read_row(engine, statement)
    return int(count)


def grid_boundaries(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Every grid in scope with its staffing on the as-of date and its boundary."""
    status = grid_staffing_subquery(scope)
    statement = (
        select(status, Grid.boundary).join(Grid, Grid.code == status.c.code).order_by(status.c.code)
    )
    return read_frame(engine, statement)


def facilities_within(engine: Engine, bounds: tuple[float, float, float, float]) -> pd.DataFrame:
    """Facilities (of any area) inside a lon/lat box: min lon, min lat, max lon, max lat."""
    min_lon, min_lat, max_lon, max_lat = bounds
    statement = (
        select(
            Facility.code,
            Facility.name,
            Facility.community_code,
            Facility.kind,
            Facility.lon,
            Facility.lat,
        )
        .where(Facility.lon.between(min_lon, max_lon), Facility.lat.between(min_lat, max_lat))
        .order_by(Facility.code)
    )
    return read_frame(engine, statement)


def size_outliers(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """General grids above or below the household range (size: oversized | undersized)."""
    status = grid_staffing_subquery(scope)
    _, above, below = _size_conditions(status, settings)
    statement = (
        select(
            status.c.code,
            status.c.name,
            status.c.community_code,
            Community.name.label("community_name"),
            status.c.households,
            case((above, "oversized"), else_="undersized").label("size"),
            status.c.staffed,
        )
        .join(Community, Community.code == status.c.community_code)
        .where(above | below)
    )
    frame = read_frame(engine, statement)
    # Furthest from the range first: the largest grids, then the smallest.
    frame["distance"] = (frame["households"] - settings.grid_households_max).where(
        frame["size"] == "oversized", settings.grid_households_min - frame["households"]
    )
    frame = frame.sort_values(["distance", "code"], ascending=[False, True], ignore_index=True)
    return frame.drop(columns=["distance"])


def community_spatial_coverage(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """Per community in scope: area, area covered by its grids, gaps and overlaps in m²."""
    if summary_coverage(engine).reads_coverage(settings):
        columns = [getattr(CommunityCoverage, name) for name in coverage.COVERAGE_COLUMNS]
        statement = (
            select(*columns)
            .where(in_scope(CommunityCoverage.community_code, scope))
            .order_by(CommunityCoverage.community_code)
        )
        return read_frame(engine, statement)
    return raw_spatial_coverage(engine, scope, settings)


def raw_spatial_coverage(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """community_spatial_coverage computed with shapely from the boundaries themselves."""
    communities = community_boundaries(engine, scope)
    grids = grid_boundaries(engine, scope)
    return coverage.analyse_coverage(communities, grids, settings.sliver_width_m).table


def facilities_near_grids(engine: Engine, grids: pd.DataFrame, radius_m: float) -> pd.DataFrame:
    """Facilities that may lie within radius_m of the grids (the grids' box widened by the radius)."""
    bounds = coverage.bounds_of(grids["boundary"])
    if bounds is None:
        return pd.DataFrame(columns=["code", "name", "community_code", "kind", "lon", "lat"])
    margin = coverage.reach_margin_deg(radius_m, max(abs(bounds[1]), abs(bounds[3])))
    widened = (bounds[0] - margin, bounds[1] - margin, bounds[2] + margin, bounds[3] + margin)
    return facilities_within(engine, widened)


def grid_service_reach(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """Grids in scope with a boundary: households, centre and whether a facility is within reach."""
    if summary_coverage(engine).reads_coverage(settings):
        statement = (
            select(
                GridReach.grid_code.label("code"),
                GridReach.community_code,
                GridReach.households,
                GridReach.lon,
                GridReach.lat,
                GridReach.reached,
            )
            .where(in_scope(GridReach.community_code, scope))
            .order_by(GridReach.grid_code)
        )
        frame = read_frame(engine, statement)
        frame["reached"] = frame["reached"].astype(bool)
        return frame
    return raw_service_reach(engine, scope, settings)


def raw_service_reach(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """grid_service_reach computed with shapely from the boundaries and facilities themselves."""
    grids = grid_boundaries(engine, scope)
    facilities = facilities_near_grids(engine, grids, settings.walk_radius_m)
    return coverage.service_reach(grids, facilities, settings.walk_radius_m)
