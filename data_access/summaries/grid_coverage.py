"""The grid coverage summaries (docs/architecture.md, summaries kept at write time; docs/metrics.md
§5): spatial coverage per community (`community_coverage`), service reach per grid
(`grid_reach`) and the street and community maps' pieces (`map_piece`, data_access/outlines.py),
computed with shapely from the boundaries and facilities, with today's sliver width and walk
radius (kept in summary_state: read_path.coverage_params).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Connection, delete, select

from data_access import coverage
from data_access.db import read_frame
from data_access.models import Community, CommunityCoverage, Facility, Grid, GridReach, MapPiece
from data_access.outlines import piece_rows
from data_access.read_path import COVERAGE, coverage_params
from data_access.settings import Settings
from data_access.sql import in_range
from data_access.summary_writes import all_districts, insert_frame, set_state, whole_district


def refresh_grid_summaries(
    connection: Connection, settings: Settings, districts: Iterable[str] | None = None
) -> int:
    """Recomputes spatial coverage, service reach and the street and community maps' pieces
    (data_access/outlines.py) of the given districts (all when None)."""
    chosen = sorted(set(districts)) if districts is not None else all_districts(connection)
    written = 0
    for district in chosen:
        scope = whole_district(district)
        connection.execute(
            delete(CommunityCoverage).where(in_range(CommunityCoverage.community_code, scope))
        )
        connection.execute(delete(GridReach).where(in_range(GridReach.community_code, scope)))
        communities = read_frame(
            connection,
            select(Community.code, Community.boundary)
            .where(in_range(Community.code, scope))
            .order_by(Community.code),
        )
        grids = read_frame(
            connection,
            select(Grid.code, Grid.community_code, Grid.households, Grid.boundary)
            .where(in_range(Grid.community_code, scope))
            .order_by(Grid.code),
        )
        analysis = coverage.analyse_coverage(communities, grids, settings.sliver_width_m)
        written += insert_frame(connection, CommunityCoverage, analysis.table)
        connection.execute(delete(MapPiece).where(in_range(MapPiece.scope_code, scope)))
        written += insert_frame(connection, MapPiece, piece_rows(communities, grids, analysis))
        reach = coverage.service_reach(
            grids, _facilities_near(connection, grids, settings), settings.walk_radius_m
        )
        written += insert_frame(connection, GridReach, reach.rename(columns={"code": "grid_code"}))
    set_state(connection, COVERAGE, {"window_months": 0, "params": coverage_params(settings)})
    return written


def _facilities_near(
    connection: Connection, grids: pd.DataFrame, settings: Settings
) -> pd.DataFrame:
    bounds = coverage.bounds_of(grids["boundary"])
    if bounds is None:
        return pd.DataFrame(columns=["lon", "lat"])
    margin = coverage.reach_margin_deg(settings.walk_radius_m, max(abs(bounds[1]), abs(bounds[3])))
    statement = select(Facility.lon, Facility.lat).where(
        Facility.lon.between(bounds[0] - margin, bounds[2] + margin),
        Facility.lat.between(bounds[1] - margin, bounds[3] + margin),
    )
    return read_frame(connection, statement)
