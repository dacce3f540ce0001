"""Grid staffing (DESIGN §5.3): staffed grids per unit and the list of unstaffed ones."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, Subquery, case, func, select

from data_access.db import read_frame
from data_access.models import Community, Grid, StaffMember
from data_access.queries.staffing import UNIT_TABLES, active_on
from data_access.scope import CODE_LENGTH, Scope
from data_access.sql import code_prefix, count_if, in_scope, safe_ratio

GRID_WORKER_ROLES = ("grid_fulltime", "grid_parttime")


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


def grid_status(scope: Scope) -> Subquery:
    """One row per grid in scope with staffed (1/0) and fulltime_staffed (1/0) on the as-of date."""
    workers = grid_workers(scope)
    return (
        select(
            Grid.code,
            Grid.name,
            Grid.community_code,
            Grid.kind,
            Grid.households,
            case((workers.c.grid_code.is_(None), 0), else_=1).label("staffed"),
            func.coalesce(workers.c.has_fulltime, 0).label("fulltime_staffed"),
        )
        .outerjoin(workers, workers.c.grid_code == Grid.code)
        .where(in_scope(Grid.community_code, scope))
        .subquery("grid_status")
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


def grid_staffing_total(engine: Engine, scope: Scope) -> pd.Series:
    """Grids, staffed grids and staffed rates of the whole scope (rates of sums; empty if no grid)."""
    status = grid_status(scope)
    return read_frame(engine, select(*_staffed_columns(status))).iloc[0]


def grid_staffing_by_unit(engine: Engine, scope: Scope, level: str | None = None) -> pd.DataFrame:
    """Grid staffing of each unit at `level` (default: the scope's children, communities at most)."""
    level = level or ("community" if scope.level == "community" else scope.child_level)
    status = grid_status(scope)
    key = code_prefix(status.c.community_code, CODE_LENGTH[level])
    totals = select(key.label("code"), *_staffed_columns(status)).group_by(key).subquery("totals")
    unit = UNIT_TABLES[level]
    statement = (
        select(totals, unit.name).join(unit, unit.code == totals.c.code).order_by(totals.c.code)
    )
    return read_frame(engine, statement)


def unstaffed_grids(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Grids without any active grid worker on the as-of date, largest households first."""
    status = grid_status(scope)
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


def grid_list(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Every grid in scope with its kind, households and staffing on the as-of date."""
    status = grid_status(scope)
    return read_frame(engine, select(status).order_by(status.c.code))
