"""Tables of `python -m data_access export` (docs/metrics.md §7): one function per table, same columns everywhere."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
from sqlalchemy import Engine

from data_access.access import Principal
from data_access.admission import UNIT_COLUMNS as ADMISSION_COLUMNS
from data_access.admission import admission_unit_table, sees_applications
from data_access.figures.burden import reduction_percent
from data_access.figures.burden import unit_table as burden_unit_table
from data_access.figures.grids import grid_coverage_by_unit
from data_access.figures.overview import RANKING_COLUMNS, ranking
from data_access.figures.premises import EXPORT_COLUMNS as PREMISES_COLUMNS
from data_access.figures.premises import premises_by_unit
from data_access.figures.staffing import VILLAGE_COLUMNS, staffing_by_unit
from data_access.scope import LEVELS, Scope, level_of_code
from data_access.settings import Settings

EXPORT_LEVELS = ("district", "street", "community")

STAFFING_COLUMNS = [
    "code",
    "name",
    "communities",
    "resident_population",
    "counted_workers",
    "per_10k",
    "required",
    "gap",
    "communities_meeting",
    "licensed_rate",
    # Urban communities and villages apart (docs/metrics.md §3): per_10k, required, gap and
    # communities_meeting are of the communities assessed; these say what they are taken over.
    *VILLAGE_COLUMNS,
]
INTEGER_COLUMNS = {
    "communities",
    "resident_population",
    "counted_workers",
    "required",
    "gap",
    "communities_meeting",
    "urban_communities",
    "villages",
    "urban_population",
    "urban_counted_workers",
}


def check_level(level: str, scope_code: str | None) -> None:
    """LEVEL must be a unit level at or below the scope's; ValueError otherwise."""
    if level not in EXPORT_LEVELS:
        raise ValueError(f"level must be one of {', '.join(EXPORT_LEVELS)}, not {level!r}")
    if scope_code is not None:
        scope_level = level_of_code(scope_code)
        if scope_level == "grid":
            raise ValueError("--scope takes a district, street or community code")
        if LEVELS.index(level) < LEVELS.index(scope_level):
            raise ValueError(f"a {scope_level} scope has no units at {level} level")


def with_integers(frame: pd.DataFrame, columns: set[str]) -> pd.DataFrame:
    """Counts as integers (empty when missing), whatever type the database returned."""
    for column in columns & set(frame.columns):
        frame[column] = pd.to_numeric(frame[column]).round().astype("Int64")
    return frame


def export_staffing(engine: Engine, scope: Scope, level: str, settings: Settings) -> pd.DataFrame:
    """Staffing per unit at `level` inside the scope, unrounded, rates as fractions."""
    frame = staffing_by_unit(engine, scope, settings, level)
    return with_integers(frame[STAFFING_COLUMNS].copy(), INTEGER_COLUMNS)


GRIDS_COLUMNS = [
    "code",
    "name",
    "grids",
    "staffed_grids",
    "staffed_rate",
    "fulltime_staffed_grids",
    "general_grids",
    "general_grids_in_size_range",
    "households",
    "households_in_grids",
    "household_coverage",
    "party_branch_grids",
    "spatial_coverage",
    "service_reach",
    "grids_without_boundary",
    "communities_coverage_unknown",
]
GRIDS_INTEGER_COLUMNS = {
    "grids_without_boundary",
    "communities_coverage_unknown",
    "grids",
    "staffed_grids",
    "fulltime_staffed_grids",
    "general_grids",
    "general_grids_in_size_range",
    "households",
    "households_in_grids",
    "party_branch_grids",
}


def export_grids(engine: Engine, scope: Scope, level: str, settings: Settings) -> pd.DataFrame:
    """Grid coverage per unit at `level` inside the scope (docs/metrics.md §5), rates as fractions."""
    frame = grid_coverage_by_unit(engine, scope, settings, level=level)
    return with_integers(frame[GRIDS_COLUMNS].copy(), GRIDS_INTEGER_COLUMNS)


BURDEN_COLUMNS = [
    "code",
    "name",
    "category",
    "baseline_period",
    "baseline",
    "current_period",
    "current",
    "reduction_pct",
    "rebound",
]


def export_burden(engine: Engine, scope: Scope, level: str, settings: Settings) -> pd.DataFrame:
    """Every unit at `level` inside the scope × every category: baseline, current, reduction %, rebound
    (the Burden page's unit table, data_access/figures/burden.py:unit_table)."""
    frame = burden_unit_table(engine, scope, level, settings)
    for column in ("baseline_period", "current_period"):
        frame[column] = frame[column].map(lambda p: None if pd.isna(p) else p.strftime("%Y-%m"))
    # A unit or category without records has no rebound either.
    frame["rebound"] = frame["rebound"].eq(True).map({True: "true", False: "false"})
    # The export's reduction is a percentage, as documented (docs/operations.md, export burden).
    frame["reduction_pct"] = reduction_percent(frame["baseline"], frame["current"])
    return with_integers(frame[BURDEN_COLUMNS].copy(), {"baseline", "current"})


RANKING_INTEGER_COLUMNS = {
    "communities",
    "resident_population",
    "counted_workers",
    "counted_workers_yoy",
    "counted_workers_mom",
    "required",
    "gap",
    "net_gap",
    "grids",
    "urban_communities",
    "villages",
    "urban_population",
    "urban_counted_workers",
}


def export_ranking(engine: Engine, scope: Scope, level: str, settings: Settings) -> pd.DataFrame:
    """The Overview's ranking table of the units at `level` (data_access/figures/overview.py):
    staffing and grids with the changes on a year and a month earlier, unrounded."""
    frame = ranking(engine, scope, settings, level)
    return with_integers(frame[RANKING_COLUMNS].copy(), RANKING_INTEGER_COLUMNS)


def export_admission(
    engine: Engine, scope: Scope, level: str, settings: Settings, applications: bool = True
) -> pd.DataFrame:
    """Items found but not admitted and the district's applications, per unit (docs/admission.md);
    without the applications' columns for a street or community account."""
    table = admission_unit_table(engine, scope, level, settings, applications)
    return table[[c for c in ADMISSION_COLUMNS if c in table]]


def export_premises(engine: Engine, scope: Scope, level: str, settings: Settings) -> pd.DataFrame:
    """Service premises per unit at `level` (docs/metrics.md §9): m² and m² per 100 households
    over the assessed communities, unrounded; the Grid map page's premises table alike."""
    return premises_by_unit(engine, scope, settings, level)[PREMISES_COLUMNS].copy()


Exporter = Callable[[Engine, Scope, str, Settings], pd.DataFrame]
EXPORTERS: dict[str, Exporter] = {
    "staffing": export_staffing,
    "grids": export_grids,
    "burden": export_burden,
    "admission": export_admission,
    "ranking": export_ranking,
    "premises": export_premises,
}


def export_table(
    engine: Engine,
    table: str,
    level: str,
    scope_code: str | None,
    as_of: dt.date,
    settings: Settings,
    viewer: Principal | None = None,
) -> pd.DataFrame:
    """The rows of `table` for the units at `level` inside scope_code (None: the whole database),
    as the account `viewer` may see them (None: the command line without an account)."""
    if table not in EXPORTERS:
        raise ValueError(f"table must be one of {', '.join(EXPORTERS)}, not {table!r}")
    check_level(level, scope_code)
    scope = Scope(scope_code, as_of)
    if table == "admission" and viewer is not None:
        return export_admission(
            engine, scope, level, settings, sees_applications(viewer.scope_code)
        )
    return EXPORTERS[table](engine, scope, level, settings)
