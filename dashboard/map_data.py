"""The grid map's geometry for one scope: fetched, simplified for the zoom in use, shifted (no Streamlit).

Grids, gaps, overlaps and facilities are only loaded below district scope, where they are drawn;
above it the map shows communities coloured by a metric and the outlines of the child units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

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
)
from data_access import coverage
from data_access.queries import grids as grid_queries
from data_access.queries.hierarchy import units
from data_access.scope import CODE_LENGTH, Scope
from data_access.settings import Settings

DETAIL_LEVELS = ("street", "community")


@dataclass(frozen=True)
class MapData:
    """Everything the map of one scope draws, in the basemap's coordinate system."""

    level: str
    bounds: tuple[float, float, float, float] | None
    communities: pd.DataFrame  # code, name, street_code, polygon
    outlines: pd.DataFrame  # code, name, polygon: child units, or the communities below district
    grids: (
        pd.DataFrame
    )  # grid_staffing_subquery columns and polygon (street and community scope only)
    gaps: pd.DataFrame  # community_code, area_m2, polygon
    overlaps: pd.DataFrame  # community_code, area_m2, polygon
    facilities: pd.DataFrame  # code, name, community_code, kind, lon, lat
    # code, name, level, rank, lon, lat, area: where to name the scope's units ("primary")
    # and the level below them ("secondary"; none at city scope, which stays light).
    labels: pd.DataFrame


def load_map_data(engine: Engine, scope: Scope, settings: Settings) -> MapData:
    """The scope's map geometry, simplified with a tolerance derived from its extent."""
    system = settings.coordinate_system
    communities = grid_queries.community_boundaries(engine, scope)
    shapes = coverage.parse_boundaries(communities["boundary"])
    present = shapes[~shapely.is_missing(shapes)]
    bounds = tuple(float(b) for b in shapely.total_bounds(present)) if len(present) else None
    tolerance = simplify_tolerance(bounds)
    decimals = coordinate_decimals(tolerance)

    def rows(frame: pd.DataFrame) -> pd.DataFrame:
        return polygon_rows(frame, tolerance, system, decimals)

    community_frame = communities[["code", "name", "street_code"]].assign(geometry=shapes)
    community_polygons = rows(community_frame)
    empty = pd.DataFrame(columns=["community_code", "area_m2", "polygon"])
    if scope.level not in DETAIL_LEVELS:
        child_shapes = _child_outlines(engine, scope, community_frame)
        outlines = rows(child_shapes)
        named = [(child_shapes, scope.child_level, "primary")]
        if scope.level != "city":
            named.append((community_frame, "community", "secondary"))
        return MapData(
            scope.level,
            shifted_bounds(bounds, system),
            community_polygons,
            outlines,
            pd.DataFrame(columns=["code", "polygon"]),
            empty,
            empty,
            pd.DataFrame(columns=["code", "name", "community_code", "kind", "lon", "lat"]),
            _labels(named, system),
        )
    grid_rows = grid_queries.grid_boundaries(engine, scope)
    analysis = coverage.analyse_coverage(communities, grid_rows, settings.sliver_width_m)
    grid_frame = grid_rows.drop(columns=["boundary"]).assign(
        geometry=coverage.parse_boundaries(grid_rows["boundary"])
    )
    facilities = _serving(
        grid_queries.facilities_near_grids(engine, grid_rows, settings.walk_radius_m),
        grid_rows,
        set(communities["code"]),
        settings.walk_radius_m,
    )
    return MapData(
        scope.level,
        shifted_bounds(bounds, system),
        community_polygons,
        community_polygons[["code", "name", "polygon"]],
        rows(grid_frame),
        rows(analysis.gaps),
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


def _child_outlines(engine: Engine, scope: Scope, communities: pd.DataFrame) -> pd.DataFrame:
    """The outline of each child unit (districts or streets): the union of its communities."""
    length = CODE_LENGTH[scope.child_level]
    keyed = communities[~shapely.is_missing(communities["geometry"].to_numpy())]
    keyed = keyed.assign(unit=keyed["code"].str.slice(0, length))
    names = units(engine).set_index("code")["name"]
    rows = []
    for unit, group in keyed.groupby("unit", sort=True):
        merged = shapely.union_all(group["geometry"].to_numpy())
        rows.append((unit, names.get(unit, unit), _without_holes(merged)))
    return pd.DataFrame(rows, columns=["code", "name", "geometry"])


def _without_holes(geometry: shapely.Geometry) -> shapely.Geometry:
    """The outer rings only: joins of adjacent communities leave pinholes that are not boundaries."""
    parts = shapely.get_parts(geometry)
    parts = parts[np.isin(shapely.get_type_id(parts), coverage.POLYGON_TYPES)]
    rings = cast(np.ndarray, shapely.polygons(shapely.get_exterior_ring(parts)))
    # An array of polygons makes one MultiPolygon; the stubs only know the array-in, array-out case.
    return cast(shapely.Geometry, shapely.multipolygons(rings))


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
