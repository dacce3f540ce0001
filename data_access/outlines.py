"""Unit outlines kept at write time for the map (docs/architecture.md, summaries).

For the map of the whole city (detail "city") every street and district, and for the map of a
district (detail "district") every community, street and that district: the outline merged from
the unit's communities (pinholes left by the joins removed), simplified to about half a pixel of
the map that shows it, with its box, a point on its surface for the name, and its area. The map
reads these rows and draws them as they are (dashboard/map_data.py); no shapely runs on a
page's request path at city and district scope.

The import (the districts whose community boundaries it wrote), the demo build and
`python -m data_access refresh` refresh them; the raw boundaries stay the source of truth.

For the map of each street and each community (`map_piece`, `piece_rows`): its communities,
grids, blind spots and overlaps, simplified for that map; written by
summaries/grid_coverage.py:refresh_grid_summaries beside the coverage figures they come from.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Sequence
from typing import cast

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, delete, func, select

from data_access import coverage
from data_access.db import read_frame
from data_access.models import Community, District, MapPiece, SummaryState, UnitOutline
from data_access.scope import CODE_LENGTH, Scope
from data_access.sql import in_range
from data_access.summary_writes import insert_frame, set_state

OUTLINES = "outlines"  # the summary_state row: the city map's tolerance
MAP_WIDTH_PX = 900  # the width of the grids page's map, for which outlines are simplified
# Which units each detail holds: a city map fills streets (or districts) and outlines districts;
# a district's map fills communities and outlines streets.
DETAIL_LEVELS = {"city": ("street", "district"), "district": ("community", "street", "district")}
# Shapely's topology-preserving simplifier takes about 300 bytes a vertex: a geometry with more
# vertices than this is thinned first (simplified()).
TOPOLOGY_VERTICES = 50_000


def simplify_tolerance(bounds: Sequence[float] | None, width_px: int = MAP_WIDTH_PX) -> float:
    """Degrees below which detail is lost at the zoom that fits the extent (about half a pixel)."""
    if bounds is None:
        return 0.0
    extent = max(bounds[2] - bounds[0], bounds[3] - bounds[1])
    return extent / (2 * width_px)


def coordinate_decimals(tolerance: float) -> int:
    """Decimals of a coordinate that keep a fifth of the tolerance: 4 (≈10 m) to 6 (≈0.1 m)."""
    if tolerance <= 0:
        return 6
    return int(min(6, max(4, math.ceil(-math.log10(tolerance / 5)))))


def simplified(geometries: np.ndarray, tolerance: float | np.ndarray) -> np.ndarray:
    """shapely.simplify with the topology preserved, within bounded memory: a geometry of more
    than TOPOLOGY_VERTICES vertices is first thinned without it (Douglas-Peucker) to an eighth
    of its tolerance, and if still that large, simplified that way to its tolerance alone."""
    geometries = np.asarray(geometries, dtype=object)
    tolerances = np.broadcast_to(np.asarray(tolerance, dtype=float), geometries.shape)
    large = shapely.get_num_coordinates(geometries) > TOPOLOGY_VERTICES
    if not large.any():
        return cast(np.ndarray, shapely.simplify(geometries, tolerances, preserve_topology=True))
    given = geometries.copy()
    given[large] = shapely.simplify(
        geometries[large], tolerances[large] / 8, preserve_topology=False
    )
    still = large & (shapely.get_num_coordinates(given) > TOPOLOGY_VERTICES)
    given[still] = None
    result = np.asarray(shapely.simplify(given, tolerances, preserve_topology=True), dtype=object)
    result[still] = shapely.simplify(geometries[still], tolerances[still], preserve_topology=False)
    return result


def without_holes(geometry: shapely.Geometry) -> shapely.Geometry:
    """The outer rings only: joins of adjacent communities leave pinholes that are not boundaries."""
    parts = shapely.get_parts(geometry)
    parts = parts[np.isin(shapely.get_type_id(parts), coverage.POLYGON_TYPES)]
    rings = cast(np.ndarray, shapely.polygons(shapely.get_exterior_ring(parts)))
    # An array of polygons makes one MultiPolygon; the stubs only know the array-in, array-out case.
    return cast(shapely.Geometry, shapely.multipolygons(rings))


def merged_shapes(communities: pd.DataFrame) -> pd.DataFrame:
    """code, level, geometry of each community with a boundary, and of each street and district
    of them: the union of its communities without pinholes (communities: code, boundary)."""
    shapes = coverage.parse_boundaries(communities["boundary"])
    present = ~shapely.is_missing(shapes)
    frame = pd.DataFrame(
        {"code": communities["code"].to_numpy()[present], "geometry": shapes[present]}
    )
    rows: list[tuple[str, str, shapely.Geometry]] = [
        (code, "community", shape)
        for code, shape in zip(frame["code"], frame["geometry"], strict=True)
    ]
    for level in ("street", "district"):
        unit = frame["code"].str.slice(0, CODE_LENGTH[level])
        for code, group in frame.groupby(unit, sort=True):
            merged = shapely.union_all(group["geometry"].to_numpy())
            rows.append((str(code), level, without_holes(merged)))
    return pd.DataFrame(rows, columns=["code", "level", "geometry"])


def outline_rows(shapes: pd.DataFrame, detail: str, tolerance: float) -> pd.DataFrame:
    """The unit_outline rows of shapes (code, level, geometry) at one detail and tolerance."""
    columns = [c.name for c in UnitOutline.__table__.columns]
    shapes = shapes[shapes["level"].isin(DETAIL_LEVELS[detail])]
    if shapes.empty:
        return pd.DataFrame(columns=columns)
    geometries = shapes["geometry"].to_numpy()
    bounds = shapely.bounds(geometries)
    points = shapely.get_coordinates(shapely.point_on_surface(geometries))
    thinned = simplified(geometries, tolerance) if tolerance > 0 else geometries
    decimals = coordinate_decimals(tolerance)
    frame = pd.DataFrame(
        {
            "detail": detail,
            "level": shapes["level"].to_numpy(),
            "code": shapes["code"].to_numpy(),
            "min_lon": bounds[:, 0],
            "min_lat": bounds[:, 1],
            "max_lon": bounds[:, 2],
            "max_lat": bounds[:, 3],
            "label_lon": points[:, 0],
            "label_lat": points[:, 1],
            "area": shapely.area(geometries),
            "decimals": decimals,
            "outline": polygon_coordinates(thinned, [decimals] * len(thinned)),
        }
    )
    return frame[frame["outline"] != "[]"][columns].reset_index(drop=True)


def polygon_coordinates(geometries: np.ndarray, decimals: Sequence[int]) -> list[str]:
    """The coordinates of each geometry as a GeoJSON MultiPolygon's, compact JSON: its polygons
    with an area, rounded to the geometry's decimals ("[]" when none is left)."""
    parts, owner = shapely.get_parts(geometries, return_index=True)
    keep = ~shapely.is_empty(parts) & (shapely.area(parts) > 0)
    parts, owner = parts[keep], owner[keep]
    # Rings in order: each part's exterior, then its holes.
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    places = np.asarray(decimals, dtype=np.int64)[owner[ring_part[coord_ring]]]
    for place in np.unique(places):
        chosen = places == place
        coords[chosen] = np.round(coords[chosen], int(place))
    starts = np.searchsorted(coord_ring, np.arange(len(rings) + 1))
    listed = coords.tolist()
    polygons: list[list[list[str]]] = [[] for _ in range(len(geometries))]
    part_rings: list[list[str]] = [[] for _ in range(len(parts))]
    for ring in range(len(rings)):
        part_rings[ring_part[ring]].append(
            json.dumps(listed[starts[ring] : starts[ring + 1]], separators=(",", ":"))
        )
    for part, texts in enumerate(part_rings):
        polygons[owner[part]].append(texts)
    return ["[" + ",".join("[" + ",".join(p) + "]" for p in shape) + "]" for shape in polygons]


def refresh_outlines(connection: Connection, districts: Iterable[str] | None = None) -> int:
    """Recomputes the outlines of the given districts (all when None); rows written.

    The city map's tolerance follows the city's extent: when a district's new boundaries change
    it, every district's city rows are recomputed.
    """
    every = sorted(connection.execute(select(District.code)).scalars())
    chosen = every if districts is None else sorted(set(districts))
    shapes: dict[str, pd.DataFrame] = {}
    written = 0
    for district in chosen:
        shapes[district] = _district_shapes(connection, district)
        _delete(connection, "district", district)
        own = shapes[district]
        box = _box(own[own["level"] == "district"]["geometry"].to_numpy())
        rows = outline_rows(own, "district", simplify_tolerance(box))
        written += insert_frame(connection, UnitOutline, rows)
    tolerance = simplify_tolerance(city_bounds(connection))
    params = f"tolerance={tolerance!r}"
    stored = connection.execute(
        select(SummaryState.params).where(SummaryState.name == OUTLINES)
    ).scalar_one_or_none()
    for district in every if stored != params else chosen:
        merged = shapes[district] if district in shapes else _district_shapes(connection, district)
        _delete(connection, "city", district)
        written += insert_frame(connection, UnitOutline, outline_rows(merged, "city", tolerance))
    set_state(connection, OUTLINES, {"window_months": 0, "params": params})
    return written


def city_bounds(connection: Connection) -> tuple[float, float, float, float] | None:
    """The box of every district's outline, from the stored rows."""
    row = connection.execute(
        select(
            func.min(UnitOutline.min_lon),
            func.min(UnitOutline.min_lat),
            func.max(UnitOutline.max_lon),
            func.max(UnitOutline.max_lat),
        ).where(UnitOutline.detail == "district", UnitOutline.level == "district")
    ).one()
    if row[0] is None:
        return None
    return (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


def affected_by_boundaries(kinds_and_codes: dict[str, set[str]]) -> set[str]:
    """The districts whose outlines an import changes: those of the communities it wrote."""
    codes = kinds_and_codes.get("communities", set()) | kinds_and_codes.get("boundaries", set())
    length = CODE_LENGTH["community"]
    return {code[: CODE_LENGTH["district"]] for code in codes if len(code) == length}


def _district_shapes(connection: Connection, district: str) -> pd.DataFrame:
    communities = read_frame(
        connection,
        select(Community.code, Community.boundary)
        .where(in_range(Community.code, Scope(district, dt.date.max)))
        .order_by(Community.code),
    )
    return merged_shapes(communities)


def _delete(connection: Connection, detail: str, district: str) -> None:
    connection.execute(
        delete(UnitOutline).where(
            UnitOutline.detail == detail,
            in_range(UnitOutline.code, Scope(district, dt.date.max)),
        )
    )


def _box(geometries: np.ndarray) -> tuple[float, float, float, float] | None:
    if not len(geometries):
        return None
    return cast(tuple[float, float, float, float], tuple(shapely.total_bounds(geometries)))


# --- the maps of a street and of a community ---------------------------------------------------

PIECE_DETAILS = ("street", "community")


def piece_rows(
    communities: pd.DataFrame, grids: pd.DataFrame, analysis: coverage.CoverageShapes
) -> pd.DataFrame:
    """The map_piece rows of every street and community of one district: its communities, grids,
    blind spots and overlaps, simplified to half a pixel of the map of that street or community.

    communities: code, boundary; grids: code, community_code, boundary; analysis: the district's
    coverage.analyse_coverage (gaps and overlaps are per community, whatever the scope).
    """
    shapes = coverage.parse_boundaries(communities["boundary"])
    grid_shapes = coverage.parse_boundaries(grids["boundary"])
    present = ~shapely.is_missing(shapes)
    units = pd.DataFrame(
        {"kind": "community", "code": communities["code"].to_numpy()[present], "part": 0}
    )
    units["community_code"] = units["code"]
    units["area_m2"] = np.nan
    units["geometry"] = shapes[present]
    with_grid = ~shapely.is_missing(grid_shapes)
    grid_frame = pd.DataFrame(
        {
            "kind": "grid",
            "code": grids["code"].to_numpy()[with_grid],
            "part": 0,
            "community_code": grids["community_code"].to_numpy()[with_grid],
            "area_m2": np.nan,
            "geometry": grid_shapes[with_grid],
        }
    )
    pieces = [units, grid_frame]
    for kind, frame in (("gap", analysis.gaps), ("overlap", analysis.overlaps)):
        pieces.append(
            pd.DataFrame(
                {
                    "kind": kind,
                    "code": frame["community_code"].to_numpy(),
                    "part": frame.groupby("community_code").cumcount().to_numpy(),
                    "community_code": frame["community_code"].to_numpy(),
                    "area_m2": frame["area_m2"].to_numpy(dtype=float),
                    "geometry": frame["geometry"].to_numpy(),
                }
            )
        )
    everything = pd.concat(pieces, ignore_index=True)
    columns = [c.name for c in MapPiece.__table__.columns]
    if everything.empty:
        return pd.DataFrame(columns=columns)
    geometries = everything["geometry"].to_numpy()
    bounds = shapely.bounds(geometries)
    points = shapely.get_coordinates(shapely.point_on_surface(geometries))
    measured = everything.drop(columns=["geometry"]).assign(
        min_lon=bounds[:, 0],
        min_lat=bounds[:, 1],
        max_lon=bounds[:, 2],
        max_lat=bounds[:, 3],
        label_lon=points[:, 0],
        label_lat=points[:, 1],
        area=shapely.area(geometries),
    )
    frames = []
    for detail in PIECE_DETAILS:
        scope_code = everything["community_code"].str.slice(0, CODE_LENGTH[detail])
        tolerance = _scope_tolerances(measured.assign(scope_code=scope_code))
        decimals = [coordinate_decimals(t) for t in tolerance]
        outlines = polygon_coordinates(simplified(geometries, tolerance), decimals)
        frames.append(
            measured.assign(
                detail=detail, scope_code=scope_code, decimals=decimals, outline=outlines
            )
        )
    rows = pd.concat(frames, ignore_index=True)
    return rows[rows["outline"] != "[]"][columns].reset_index(drop=True)


def _scope_tolerances(rows: pd.DataFrame) -> np.ndarray:
    """Each row's tolerance: half a pixel of the map of its scope, which fits the scope's
    communities (0, no simplification, for a scope without a community boundary)."""
    own = rows[rows["kind"] == "community"].groupby("scope_code")
    extent = pd.concat(
        [
            own["max_lon"].max() - own["min_lon"].min(),
            own["max_lat"].max() - own["min_lat"].min(),
        ],
        axis=1,
    ).max(axis=1)
    tolerance = extent / (2 * MAP_WIDTH_PX)
    return rows["scope_code"].map(tolerance).fillna(0.0).to_numpy(dtype=float)
