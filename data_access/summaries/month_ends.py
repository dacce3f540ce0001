"""The summaries kept per community and month end (staffing and grid staffing): which months
they hold, and how a refresh adds the new months and rewrites the changed districts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import pandas as pd
from sqlalchemy import Connection, delete

from data_access.models import GridStaffingSummary, StaffingSummary
from data_access.read_path import summary_month_ends
from data_access.sql import in_range
from data_access.summary_writes import (
    all_districts,
    insert_frame,
    set_state,
    stored_params,
    whole_district,
)


def refresh_by_month_end(
    connection: Connection,
    table: type[StaffingSummary] | type[GridStaffingSummary],
    state: str,
    coverage_of: Callable[[str | None], tuple[dt.date, dt.date] | None],
    params_of: Callable[[dt.date | None, dt.date | None], str],
    rows_of: Callable[[str, list[dt.date]], pd.DataFrame],
    districts: Iterable[str] | None,
) -> int:
    """Rewrites a summary per community and month end (summary_month_ends) for the given
    districts (all when None, or when the stored coverage no longer fits); the months it did not
    cover yet are added for every district, and months no longer covered are dropped."""
    months = summary_month_ends(connection)
    covered = coverage_of(stored_params(connection, state))
    everyone = all_districts(connection)
    if districts is None or covered is None:
        connection.execute(delete(table))
        chosen = set(everyone)
        kept: set[dt.date] = set()
    else:
        chosen = set(districts)
        kept = {day for day in months if covered[0] <= day <= covered[1]}
        outside = delete(table)
        if months:
            outside = outside.where((table.month_end < months[0]) | (table.month_end > months[-1]))
        connection.execute(outside)
    added = [day for day in months if day not in kept]
    written = 0
    for district in everyone:
        if district in chosen:
            connection.execute(
                delete(table).where(in_range(table.community_code, whole_district(district)))
            )
            wanted = months
        else:
            wanted = added
        if wanted:
            written += insert_frame(connection, table, rows_of(district, wanted))
    first, last = (months[0], months[-1]) if months else (None, None)
    set_state(connection, state, {"window_months": 0, "params": params_of(first, last)})
    return written
