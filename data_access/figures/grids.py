"""Grid figures (docs/metrics.md §5): one function each, as every page, export and report shows them."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from data_access import coverage
from data_access.figures import premises, staffing
from data_access.figures.lookups import units as all_units
from data_access.figures.registry import figure
from data_access.queries import grids as queries
from data_access.scope import CODE_LENGTH, Scope
from data_access.settings import Settings


def grid_coverage(
    counts: pd.DataFrame,
    spatial: pd.DataFrame,
    reach: pd.DataFrame,
    code_length: int | None,
) -> pd.DataFrame:
    """The SQL counts joined with spatial coverage and service reach rolled up by code prefix."""
    rolled = coverage.rollup(spatial, reach, code_length)
    if code_length is None:
        counts = counts.assign(code="")
    merged = counts.merge(rolled, on="code", how="left")
    return merged.drop(columns=["code"]) if code_length is None else merged


def coverage_total(counts: pd.Series, spatial: pd.DataFrame, reach: pd.DataFrame) -> pd.Series:
    """The scope's grid figures as one row: the SQL counts and rates (queries/grids.py:
    grid_counts_total) with spatial coverage and service reach, unstaffed grids and the blind
    spots' area in km² (empty when there is no boundary)."""
    total = grid_coverage(counts.to_frame().T, spatial, reach, None).iloc[0].copy()
    grids = total["grids"]
    total["unstaffed_grids"] = grids - total["staffed_grids"] if grids else 0
    total["blind_spot_km2"] = total["blind_spot_m2"] / 1e6 if "blind_spot_m2" in total else None
    return total


def communities_with_gaps(spatial: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Communities with a real blind spot or an overlap, largest blind spot first.

    A blind spot counts only where the community's coverage is known (coverage.coverage_known):
    one in a community with a grid without boundary may be that grid's, so such a community is
    listed only for an overlap, with its coverage and blind spots empty. A grid without boundary
    is never a problem of this list by itself (coverage_total counts them).
    spatial: queries/grids.py:community_spatial_coverage; units: code, name of the units.
    """
    names = dict(zip(units["code"].tolist(), units["name"].tolist(), strict=True))
    known = coverage.coverage_known(spatial)
    flagged = spatial[(known & (spatial["blind_spots"] > 0)) | (spatial["overlap_pieces"] > 0)]
    known = known[flagged.index]
    codes = flagged["community_code"]
    table = pd.DataFrame(
        {
            "code": codes,
            "name": codes.map(lambda code: names.get(code, code)),
            "area_km2": (flagged["area_m2"] / 1e6).round(3),
            "spatial_coverage": (
                flagged["covered_m2"] / flagged["area_m2"].where(flagged["area_m2"] > 0)
            ).where(known),
            "blind_spots": flagged["blind_spots"].astype("Int64").where(known),
            "blind_spot_m2": flagged["blind_spot_m2"].round(0).where(known),
            "overlap_piece_m2": flagged["overlap_piece_m2"].round(0),
            "grids": flagged["grids"],
            "grids_without_boundary": flagged["grids"] - flagged["grids_with_boundary"],
        }
    )
    return table.sort_values(
        ["blind_spot_m2", "code"], ascending=[False, True], na_position="last", ignore_index=True
    )


def community_grids(grids: pd.DataFrame, reach: pd.DataFrame) -> pd.DataFrame:
    """The grids of a scope with whether each has a boundary and, if so, a facility within reach.

    grids: queries/grids.py:grid_list; reach: grid_service_reach (grids with a boundary only).
    Returns code, name, kind, households, staffed, fulltime_staffed, has_party_branch,
    has_boundary and reached (None without a boundary).
    """
    reached = reach.set_index("code")["reached"]
    table = grids[
        ["code", "name", "kind", "households", "staffed", "fulltime_staffed", "has_party_branch"]
    ].copy()
    table["has_boundary"] = table["code"].map(lambda code: code in reached.index)
    table["reached"] = table["code"].map(
        lambda code: bool(reached[code]) if code in reached.index else None
    )
    return table


# ---------------------------------------------------------------------------------------------
# The figures as pages, exports and reports read them (data_access/figures/registry.py)


@figure
def grid_staffing_total(engine: Engine, scope: Scope) -> pd.Series:
    """The scope's grids and how many are staffed, as one row."""
    return queries.grid_staffing_total(engine, scope)


@figure
def grid_staffing_by_unit(engine: Engine, scope: Scope, level: str | None = None) -> pd.DataFrame:
    """Grids and staffed grids per unit at `level` (default: the scope's children)."""
    return queries.grid_staffing_by_unit(engine, scope, level)


@figure
def unstaffed_grids(engine: Engine, scope: Scope) -> pd.DataFrame:
    return queries.unstaffed_grids(engine, scope)


@figure
def grid_list(engine: Engine, scope: Scope) -> pd.DataFrame:
    return queries.grid_list(engine, scope)


@figure
def grid_counts_total(engine: Engine, scope: Scope, settings: Settings) -> pd.Series:
    return queries.grid_counts_total(engine, scope, settings)


@figure
def community_spatial_coverage(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """Per community: area, area covered by its grids, gaps and overlaps in m²."""
    return queries.community_spatial_coverage(engine, scope, settings)


@figure
def service_reach(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """Grids with a boundary: households, centre and whether a facility is within reach."""
    return queries.grid_service_reach(engine, scope, settings)


@figure
def grid_coverage_by_unit(
    engine: Engine, scope: Scope, settings: Settings, level: str | None = None
) -> pd.DataFrame:
    """Every grid-coverage figure of docs/metrics.md §5 for each unit at `level` inside the scope
    (default: its children): the Grid map page, its map and `export grids` alike."""
    level = level or scope.breakdown_level
    counts = queries.grid_counts_by_unit(engine, scope, settings, level)
    spatial = community_spatial_coverage(engine, scope, settings)
    reach = service_reach(engine, scope, settings)
    return grid_coverage(counts, spatial, reach, CODE_LENGTH[level])


@figure
def unit_metrics(
    engine: Engine, scope: Scope, settings: Settings, level: str | None = None
) -> pd.DataFrame:
    """Every metric a unit can be coloured or ranked by on the maps and the wall screen: its grid
    coverage (grid_coverage_by_unit), workers per 10,000 and service premises per 100 households
    (`premises`, docs/metrics.md §9), per unit at `level`; with each unit's urban communities and
    villages, since per 10,000 is of the urban communities (docs/metrics.md §3)."""
    coverage = grid_coverage_by_unit(engine, scope, settings, level)
    per_10k = staffing.staffing_by_unit(engine, scope, settings, level)[
        ["code", "per_10k", "urban_communities", "villages"]
    ]
    rooms = premises.premises_by_unit(engine, scope, settings, level)
    rooms = rooms[["code", "per_100_households"]].rename(columns={"per_100_households": "premises"})
    return coverage.merge(per_10k, on="code", how="outer").merge(rooms, on="code", how="outer")


@figure
def grid_coverage_total(engine: Engine, scope: Scope, settings: Settings) -> pd.Series:
    """coverage_total of the scope: the Grid map page's cards."""
    counts = grid_counts_total(engine, scope, settings)
    spatial = community_spatial_coverage(engine, scope, settings)
    return coverage_total(counts, spatial, service_reach(engine, scope, settings))


@figure
def gap_communities(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """communities_with_gaps of the scope, with the communities' names."""
    spatial = community_spatial_coverage(engine, scope, settings)
    return communities_with_gaps(spatial, all_units(engine))


@figure
def grids_with_reach(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """community_grids of the scope: its grids with boundary and reach."""
    return community_grids(grid_list(engine, scope), service_reach(engine, scope, settings))


@figure
def size_outliers(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """General grids outside the household size range, farthest first."""
    return queries.size_outliers(engine, scope, settings)
