"""Summaries kept at write time (docs/architecture.md, "Summaries kept at write time"), a module
per summary: burden (burden.py), grid coverage and reach (grid_coverage.py), staffing
(staffing.py) and grid staffing (grid_staffing.py) per community and month end; the map's
outlines are in data_access/outlines.py. They write through data_access/summary_writes.py; what
each holds, and when a query may read it, is data_access/read_path.py.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection

from data_access.outlines import refresh_outlines
from data_access.read_path import (
    BURDEN,
    CITY,
    COVERAGE,
    GRID_STAFFING,
    NEXT_NONE,
    STAFFING,
    TREND_MONTHS,
    coverage_params,
    rebound_params,
)
from data_access.settings import Settings
from data_access.summaries.burden import refresh_burden_summary, summary_matches
from data_access.summaries.grid_coverage import refresh_grid_summaries
from data_access.summaries.grid_staffing import refresh_grid_staffing_summary
from data_access.summaries.staffing import refresh_staffing_summary
from data_access.summary_writes import affected_districts

__all__ = [
    "BURDEN",
    "CITY",
    "COVERAGE",
    "DISSOLUTIONS",
    "GRID_STAFFING",
    "NEXT_NONE",
    "STAFFING",
    "TREND_MONTHS",
    "Affected",
    "affected_by_import",
    "affected_districts",
    "coverage_params",
    "rebound_params",
    "refresh_burden_summary",
    "refresh_grid_staffing_summary",
    "refresh_grid_summaries",
    "refresh_staffing_summary",
    "refresh_summaries",
    "summary_matches",
]


def refresh_summaries(connection: Connection, settings: Settings) -> int:
    """Rebuilds every summary from the raw tables; rows written."""
    return (
        refresh_burden_summary(connection, settings)
        + refresh_grid_summaries(connection, settings)
        + refresh_staffing_summary(connection, settings)
        + refresh_grid_staffing_summary(connection)
        + refresh_outlines(connection)
    )


# Beside the kinds of an import's written codes: the units whose dissolution date changed.
DISSOLUTIONS = "dissolutions"


class Affected(NamedTuple):
    """The districts whose summaries an import changes (None: every district)."""

    burden: set[str]
    grids: set[str] | None
    staffing: set[str]
    grid_staffing: set[str]


def affected_by_import(kinds_and_codes: dict[str, set[str]]) -> Affected:
    """The districts whose burden, grid, staffing and grid staffing summaries an import changes.

    kinds_and_codes: the codes of the rows written, by kind (community codes for burden,
    population and staff rows, the old community's too when a row moved), and under
    DISSOLUTIONS the districts, streets and communities whose dissolution date was written:
    the summaries per month leave a unit's months out from the day it ends.
    """
    ended = kinds_and_codes.get(DISSOLUTIONS, set())
    burden_districts = affected_districts(kinds_and_codes.get("burden", set()) | ended)
    grid_kinds = ("communities", "grids", "boundaries")
    grid_codes = set().union(*(kinds_and_codes.get(kind, set()) for kind in grid_kinds))
    grid_districts: set[str] | None = affected_districts(grid_codes)
    if kinds_and_codes.get("facilities"):
        grid_districts = None  # a facility reaches grids across district borders
    staffing_kinds = ("communities", "population", "staff", DISSOLUTIONS)
    staffing_codes = set().union(*(kinds_and_codes.get(kind, set()) for kind in staffing_kinds))
    # A grid's code starts with its community's, and a staff member's grid lies in their
    # community (importing/validate.py): these codes name every grid whose staffing changes.
    grid_staffing_kinds = ("communities", "grids", "staff", DISSOLUTIONS)
    grid_staffing_codes = set().union(
        *(kinds_and_codes.get(kind, set()) for kind in grid_staffing_kinds)
    )
    return Affected(
        burden_districts,
        grid_districts,
        affected_districts(staffing_codes),
        affected_districts(grid_staffing_codes),
    )
