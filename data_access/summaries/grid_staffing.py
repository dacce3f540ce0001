"""The grid staffing summary (docs/architecture.md, summaries kept at write time; docs/metrics.md
§5).

`grid_staffing_summary` holds, for every community with grids and the staffing summary's month
ends, its grids and those with an active grid worker, full-time or any; the grid queries read it
when it holds the as-of month end (data_access/read_path.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from data_access.db import read_frame
from data_access.dissolution import community_ends, counted_on
from data_access.models import GRID_WORKER_ROLES, Grid, GridStaffingSummary, StaffMember
from data_access.read_path import GRID_STAFFING, grid_staffing_coverage, grid_staffing_params
from data_access.sql import in_range
from data_access.summaries.month_ends import refresh_by_month_end
from data_access.summary_writes import whole_district


def refresh_grid_staffing_summary(
    connection: Connection, districts: Iterable[str] | None = None
) -> int:
    """Recomputes the grid staffing summary of the given districts (all when None); rows written.

    Its month ends are the staffing summary's (summary_month_ends); when they grow (a month of
    new data) the new months are added for every district, as refresh_staffing_summary does.
    """
    return refresh_by_month_end(
        connection,
        GridStaffingSummary,
        GRID_STAFFING,
        grid_staffing_coverage,
        grid_staffing_params,
        lambda district, wanted: _grid_staffing_rows(connection, district, wanted),
        districts,
    )


def _grid_staffing_rows(
    connection: Connection, district: str, months: list[dt.date]
) -> pd.DataFrame:
    """One row per community of the district with grids and month end, as
    queries/grids.py:grid_staffing_subquery counts on that day."""
    scope = whole_district(district)
    grids = read_frame(
        connection,
        select(Grid.code, Grid.community_code)
        .where(in_range(Grid.community_code, scope))
        .order_by(Grid.code),
    )
    if grids.empty:
        return pd.DataFrame(columns=[c.name for c in GridStaffingSummary.__table__.columns])
    staff = read_frame(
        connection,
        select(
            StaffMember.grid_code, StaffMember.role, StaffMember.start_date, StaffMember.end_date
        ).where(
            StaffMember.role.in_(GRID_WORKER_ROLES),
            StaffMember.grid_code.is_not(None),
            in_range(StaffMember.community_code, scope),
            StaffMember.start_date <= months[-1],
        ),
    )
    grid = pd.Index(grids["code"]).get_indexer(pd.Index(staff["grid_code"]))
    staff = staff[grid >= 0].reset_index(drop=True)  # always (a foreign key), but be sure
    grid = grid[grid >= 0]
    # Active on a month end D: start <= D < end (docs/metrics.md §2), as month indexes.
    stamps = np.array([np.datetime64(day, "D") for day in months])
    starts = pd.to_datetime(staff["start_date"]).to_numpy().astype("datetime64[D]")
    ends = pd.to_datetime(staff["end_date"]).to_numpy().astype("datetime64[D]")
    first = np.searchsorted(stamps, starts, side="left")
    last = np.where(np.isnat(ends), len(months), np.searchsorted(stamps, ends, side="left"))
    last = np.maximum(last, first)  # an end before the start is never active
    fulltime = (staff["role"] == "grid_fulltime").to_numpy()

    def staffed(chosen: np.ndarray) -> np.ndarray:
        """Grids × month ends: True where one of the chosen workers is active."""
        steps = np.zeros((len(grids), len(months) + 1), dtype=np.int64)
        np.add.at(steps, (grid[chosen], first[chosen]), 1)  # one step up at each start
        np.add.at(steps, (grid[chosen], last[chosen]), -1)  # and one down at each end
        return np.cumsum(steps, axis=1)[:, :-1] > 0

    codes, community = np.unique(
        grids["community_code"].to_numpy(dtype=object), return_inverse=True
    )
    # Month by month, so that a month's rows lie together where a table keeps insertion order
    # (PostgreSQL's heap): reading one month end of the city touches few pages.
    cells = (np.arange(len(months))[None, :] * len(codes) + community[:, None]).reshape(-1)
    size = len(codes) * len(months)

    def per_community(by_grid: np.ndarray) -> np.ndarray:  # months × communities, row by row
        return np.bincount(cells, weights=by_grid.reshape(-1), minlength=size).astype(np.int64)

    frame = pd.DataFrame(
        {
            "month_end": np.repeat(np.array(months, dtype=object), len(codes)),
            "community_code": np.tile(codes.astype(object), len(months)),
            "grids": np.tile(np.bincount(community, minlength=len(codes)), len(months)),
            "staffed_grids": per_community(staffed(np.ones(len(staff), dtype=bool))),
            "fulltime_staffed_grids": per_community(staffed(fulltime)),
        }
    )
    # No row of a community at a month end on or after the day it ends (data_access/dissolution.py).
    ends = community_ends(connection, scope)
    if ends:
        frame = frame[counted_on(frame["community_code"], frame["month_end"], ends)]
    return frame.reset_index(drop=True)
