"""The grid map's geometry for one scope: fetched, simplified for the zoom in use, shifted (no Streamlit).

Above street scope the map fills units by a metric — streets (or districts) at city scope,
communities at district scope — from the outlines stored at write time (data_access/outlines.py);
grids, gaps, overlaps and facilities are only loaded from street scope down, where they are drawn,
from the pieces stored for that street or community's map.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine

from dashboard.coordinates import shift_xy
from dashboard.map_geometry import (
    coordinate_decimals,
    label_points,
    polygon_rows,
    shifted_bounds,
    simplify_tolerance,
    stored_label_points,
    stored_polygon_rows,
)
from data_access import coverage
from data_access.figures.registry import figure
from data_access.queries import grids as grid_queries
from data_access.read_path import summary_coverage
from data_access.scope import Scope
from data_access.settings import Settings

DETAIL_LEVELS = ("street", "community")
# At city scope the map fills streets, or districts when there are more streets than this: about
# 30 px square each on a 900 px map, and under 3 MB of JSON at province size (docs/benchmarks.md).
CITY_STREETS_MAX = 400


@dataclass(frozen=True)
class MapData:
    """Everything the map of one scope draws, in the basemap's coordinate system."""

    level: str
    bounds: tuple[float, float, float, float] | None
    unit_level: (
        str  # the level of the filled units: street or district at city scope, else community
    )
    units: pd.DataFrame  # code, name, polygon: the units filled (by a metric above street scope)
    outlines: (
        pd.DataFrame
    )  # code, name, polygon: the units outlined (districts, streets, communities)
    grids: (
        pd.DataFrame
    )  # grid_staffing_subquery columns and polygon (street and community scope only)
    gaps: pd.DataFrame  # community_code, area_m2, polygon
    overlaps: pd.DataFrame  # community_code, area_m2, polygon
    facilities: pd.DataFrame  # code, name, community_code, kind, lon, lat
    # code, name, level, rank, lon, lat, area: where to name the scope's units ("primary")
    # and the level below them ("secondary").
    labels: pd.DataFrame


@figure
def load_map_data(engine: Engine, scope: Scope, settings: Settings) -> MapData:
    """The scope's map: stored outlines above street scope, grids simplified for the view below."""
    if scope.level not in DETAIL_LEVELS:
        return _choropleth_data(engine, scope, settings.coordinate_system)
    return _detail_data(engine, scope, settings)


def _choropleth_data(engine: Engine, scope: Scope, system: str) -> MapData:
    """City scope: streets (or districts) filled, districts outlined; district scope: its
    communities filled, its streets outlined. Outlines as stored at write time, no shapely."""
    if scope.level == "city":
        many = grid_queries.outline_count(engine, "city", "street") > CITY_STREETS_MAX
        filled, outlined = ("district" if many else "street"), "district"
        rows = grid_queries.unit_outlines(
            engine, scope, "city", tuple(dict.fromkeys((filled, outlined)))
        )
        named = [(outlined, "primary")] + ([] if many else [(filled, "secondary")])
    else:
        filled, outlined = "community", "street"
        rows = grid_queries.unit_outlines(engine, scope, "district", (filled, outlined))
        named = [(outlined, "primary"), (filled, "secondary")]
    units = rows[rows["level"] == filled]
    bounds = _stored_bounds(units)
    labels = [
        stored_label_points(rows[rows["level"] == level], system).assign(level=level, rank=rank)
        for level, rank in named
    ]
    empty = pd.DataFrame(columns=["community_code", "area_m2", "polygon"])
    return MapData(
        scope.level,
        shifted_bounds(bounds, system),
        filled,
        stored_polygon_rows(units, system),
        stored_polygon_rows(rows[rows["level"] == outlined], system),
        pd.DataFrame(columns=["code", "polygon"]),
        empty,
        empty,
        pd.DataFrame(columns=["code", "name", "community_code", "kind", "lon", "lat"]),
        pd.concat(labels, ignore_index=True),
    )


def _stored_bounds(rows: pd.DataFrame) -> tuple[float, float, float, float] | None:
    """The box around stored outlines (their min/max lon/lat columns); None when there are none."""
    if rows.empty:
        return None
    return (
        float(rows["min_lon"].min()),
        float(rows["min_lat"].min()),
        float(rows["max_lon"].max()),
        float(rows["max_lat"].max()),
    )


def _detail_data(engine: Engine, scope: Scope, settings: Settings) -> MapData:
    """Street and community scope: grids, gaps, overlaps and facilities as stored for this map at
    write time (computed here when the stored ones were made with other settings). Blind spots
    are drawn only where the community's coverage is known (coverage.known_gaps)."""
    if not summary_coverage(engine).reads_coverage(settings):
        return _computed_detail_data(engine, scope, settings)
    system = settings.coordinate_system
    pieces = grid_queries.map_pieces(engine, scope)
    of = {kind: pieces[pieces["kind"] == kind] for kind in ("community", "grid", "gap", "overlap")}
    communities = of["community"]
    bounds = _stored_bounds(communities)
    community_polygons = stored_polygon_rows(communities, system, ("code", "name"))
    status = grid_queries.grid_status(engine, scope)
    grid_polygons = stored_polygon_rows(of["grid"], system, ("code",))
    grids = status.merge(grid_polygons, on="code", how="inner")
    names = dict(zip(status["code"].tolist(), status["name"].tolist(), strict=True))
    grid_labels = of["grid"].assign(name=of["grid"]["code"].map(names))
    piece_columns = ("community_code", "area_m2")
    spatial = grid_queries.community_spatial_coverage(engine, scope, settings)
    return MapData(
        scope.level,
        shifted_bounds(bounds, system),
        "community",
        community_polygons,
        community_polygons[["code", "name", "polygon"]],
        grids,
        stored_polygon_rows(coverage.known_gaps(of["gap"], spatial), system, piece_columns),
        stored_polygon_rows(of["overlap"], system, piece_columns),
        _shift_points(_stored_serving(engine, scope, settings, of["grid"]), system),
        pd.concat(
            [
                stored_label_points(communities, system).assign(level="community", rank="primary"),
                stored_label_points(grid_labels, system).assign(level="grid", rank="secondary"),
            ],
            ignore_index=True,
        ),
    )


def _stored_serving(
    engine: Engine, scope: Scope, settings: Settings, grids: pd.DataFrame
) -> pd.DataFrame:
    """The facilities of the scope and those outside it within reach of one of its grid centres
    (the centres of the grid_reach summary), without shapely."""
    columns = ["code", "name", "community_code", "kind", "lon", "lat"]
    if grids.empty:
        return pd.DataFrame(columns=columns)
    radius = settings.walk_radius_m
    south, north = float(grids["min_lat"].min()), float(grids["max_lat"].max())
    margin = coverage.reach_margin_deg(radius, max(abs(south), abs(north)))
    box = (
        float(grids["min_lon"].min()) - margin,
        south - margin,
        float(grids["max_lon"].max()) + margin,
        north + margin,
    )
    facilities = grid_queries.facilities_within(engine, box)
    if facilities.empty:
        return facilities
    centres = grid_queries.grid_service_reach(engine, scope, settings)
    lon = facilities["lon"].to_numpy(dtype=float)[:, None]
    lat = facilities["lat"].to_numpy(dtype=float)[:, None]
    metres = coverage.haversine_m(
        lon,
        lat,
        centres["lon"].to_numpy(dtype=float)[None, :],
        centres["lat"].to_numpy(dtype=float)[None, :],
    )
    near = (metres <= radius).any(axis=1) if len(centres) else np.zeros(len(facilities), bool)
    inside = facilities["community_code"].str.startswith(scope.code or "").to_numpy()
    return facilities[inside | near].reset_index(drop=True)


def _computed_detail_data(engine: Engine, scope: Scope, settings: Settings) -> MapData:
    """_detail_data computed with shapely from the boundaries themselves."""
    system = settings.coordinate_system
    communities = grid_queries.community_boundaries(engine, scope)
    shapes = coverage.parse_boundaries(communities["boundary"])
    present = shapes[~shapely.is_missing(shapes)]
    bounds = tuple(float(b) for b in shapely.total_bounds(present)) if len(present) else None
    tolerance = simplify_tolerance(bounds)
    decimals = coordinate_decimals(tolerance)

    def rows(frame: pd.DataFrame) -> pd.DataFrame:
        return polygon_rows(frame, tolerance, system, decimals)

    community_frame = communities[["code", "name"]].assign(geometry=shapes)
    community_polygons = rows(community_frame)
    grid_rows = grid_queries.grid_boundaries(engine, scope)
    analysis = coverage.analyse_coverage(communities, grid_rows, settings.sliver_width_m)
    grid_frame = grid_rows.drop(columns=["boundary"]).assign(
        geometry=coverage.parse_boundaries(grid_rows["boundary"])
    )
    facilities = _serving(
        grid_queries.facilities_near_grids(engine, grid_rows, settings.walk_radius_m),
        grid_rows,
        set(communities["code"].tolist()),
        settings.walk_radius_m,
    )
    return MapData(
        scope.level,
        shifted_bounds(bounds, system),
        "community",
        community_polygons,
        community_polygons[["code", "name", "polygon"]],
        rows(grid_frame),
        rows(coverage.known_gaps(analysis.gaps, analysis.table)),
        rows(analysis.overlaps),
        _shift_points(facilities, system),
        _labels(
            [(community_frame, "community", "primary"), (grid_frame, "grid", "secondary")], system
        ),
    )


def _labels(named: list[tuple[pd.DataFrame, str, str]], coordinate_system: str) -> pd.DataFrame:
    """A label place per unit of each frame (code, name, geometry), with its level and rank."""
    frames = [
        label_points(frame[["code", "name", "geometry"]], coordinate_system).assign(
            level=level, rank=rank
        )
        for frame, level, rank in named
    ]
    return pd.concat(frames, ignore_index=True)


def _serving(
    facilities: pd.DataFrame, grids: pd.DataFrame, communities: set[str], radius_m: float
) -> pd.DataFrame:
    """The facilities of the scope and those outside it within reach of one of its grid centres."""
    if facilities.empty:
        return facilities
    centres = coverage.grid_centres(grids[["code", "boundary"]])
    inside = facilities["community_code"].isin(communities)
    near = coverage.within_reach(
        facilities["lon"].to_numpy(dtype=float),
        facilities["lat"].to_numpy(dtype=float),
        centres,
        radius_m,
    )
    return facilities[inside.to_numpy() | near].reset_index(drop=True)


def _shift_points(facilities: pd.DataFrame, coordinate_system: str) -> pd.DataFrame:
    if facilities.empty:
        return facilities
    xy = shift_xy(facilities[["lon", "lat"]].to_numpy(dtype=float), coordinate_system)
    return facilities.assign(lon=xy[:, 0], lat=xy[:, 1])
