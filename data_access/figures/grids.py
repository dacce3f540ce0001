"""Grid-coverage figures (docs/metrics.md §5) as the Grid map page shows them."""

from __future__ import annotations

import pandas as pd

from data_access.queries.grids import grid_coverage


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
    """Communities with a blind spot, an overlap or a grid without boundary, largest gap first.

    spatial: queries/grids.py:community_spatial_coverage; units: code, name of the units.
    """
    names = dict(zip(units["code"].tolist(), units["name"].tolist(), strict=True))
    missing = spatial["grids"] - spatial["grids_with_boundary"]
    flagged = spatial[
        (spatial["blind_spots"] > 0) | (spatial["overlap_pieces"] > 0) | (missing > 0)
    ]
    codes = flagged["community_code"]
    table = pd.DataFrame(
        {
            "code": codes,
            "name": codes.map(lambda code: names.get(code, code)),
            "area_km2": (flagged["area_m2"] / 1e6).round(3),
            "spatial_coverage": flagged["covered_m2"]
            / flagged["area_m2"].where(flagged["area_m2"] > 0),
            "blind_spots": flagged["blind_spots"],
            "blind_spot_m2": flagged["blind_spot_m2"].round(0),
            "overlap_piece_m2": flagged["overlap_piece_m2"].round(0),
            "grids": flagged["grids"],
            "grids_without_boundary": missing[flagged.index],
        }
    )
    return table.sort_values(["blind_spot_m2", "code"], ascending=[False, True], ignore_index=True)


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
