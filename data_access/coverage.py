"""Spatial coverage and service reach of grids (docs/metrics.md §5): shapely on WGS-84 GeoJSON, no database.

Geometry operations run on longitude/latitude; areas are measured after a sinusoidal
projection about each geometry's own centre, which is equal-area on the sphere (no pyproj).
Distances are great-circle distances on the mean Earth radius.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180


# A boundary text longer than this is read by coordinate_arrays() when it can be: GEOS's GeoJSON
# reader takes about 200 MB for a boundary of a million vertices (docs/security.md, memory).
LARGE_BOUNDARY = 1 << 20


def parse_boundaries(texts: Iterable[object]) -> np.ndarray:
    """GeoJSON texts as an array of polygonal geometries; None where missing, unreadable or without area."""
    values = [t if isinstance(t, str) and t.strip() else None for t in texts]
    large = {
        index: geometry
        for index, text in enumerate(values)
        if text is not None and len(text) > LARGE_BOUNDARY
        for geometry in [_large_boundary(text)]
        if geometry is not None
    }
    given = [None if index in large else text for index, text in enumerate(values)]
    geometries = shapely.from_geojson(np.array(given, dtype=object), on_invalid="ignore")
    geometries = np.asarray(geometries, dtype=object).reshape(len(values))
    for index, geometry in large.items():
        geometries[index] = geometry
    return polygonal(geometries)


_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"
_POINT = rf"\[{_NUMBER},{_NUMBER}(?:,{_NUMBER})?\]"
_RING = rf"\[{_POINT}(?:,{_POINT})*+\]"
_POLYGON = rf"\[{_RING}(?:,{_RING})*+\]"
_COORDINATES = {
    "Polygon": re.compile(_POLYGON),
    "MultiPolygon": re.compile(rf"\[{_POLYGON}(?:,{_POLYGON})*+\]"),
}
_RING_START = re.compile(r"\[(?=\[[-0-9])")  # the bracket that opens a ring
_POLYGON_START = re.compile(r"\[(?=\[\[[-0-9])")
_BRACKETS = str.maketrans("[]", "  ")

RingArrays = list[list[np.ndarray]]  # per polygon, its rings as arrays of coordinates


def coordinate_arrays(text: str) -> tuple[str, RingArrays] | None:
    """A Polygon or MultiPolygon written as compact JSON with only its type and coordinates, in
    that order (as the import stores it), as its type and each ring as a float array; None for
    any other text. Reads the numbers with numpy, in a few bytes a vertex beyond the text,
    rather than as Python lists or through GEOS's GeoJSON reader (docs/security.md, memory)."""
    for kind, pattern in _COORDINATES.items():
        prefix = f'{{"type":"{kind}","coordinates":'
        if text.startswith(prefix) and text.endswith("}"):
            start, end = len(prefix), len(text) - 1
            if pattern.fullmatch(text, start, end):
                rings = _rings(text, start, end, kind == "MultiPolygon")
                return None if rings is None else (kind, rings)
            return None
    return None


def _rings(text: str, start: int, end: int, multi: bool) -> RingArrays | None:
    ring_starts = [m.start() for m in _RING_START.finditer(text, start, end)]
    # Within a ring, "],[" lies between two points; the one before the next ring or polygon
    # ends at or past the bracket before that ring's.
    bounds = zip(ring_starts, [*(s - 1 for s in ring_starts[1:]), end], strict=True)
    points = [text.count("],[", a, b) + 1 for a, b in bounds]
    values = np.fromstring(text[start:end].translate(_BRACKETS), dtype=float, sep=",")
    total = sum(points)
    dimension = len(values) // total
    # Points of two and of three numbers mixed, or a number beyond a float: read as written.
    if dimension * total != len(values) or not np.isfinite(values).all():
        return None
    rings = np.split(values.reshape(total, dimension), np.cumsum(points)[:-1])
    if not multi:
        return [rings]
    polygon_starts = [m.start() for m in _POLYGON_START.finditer(text, start, end)]
    owners = np.searchsorted(polygon_starts, ring_starts, side="right") - 1
    polygons: RingArrays = [[] for _ in polygon_starts]
    for owner, ring in zip(owners, rings, strict=True):
        polygons[owner].append(ring)
    return polygons


def _large_boundary(text: str) -> shapely.Geometry | None:
    """The geometry from_geojson would read from text, through coordinate_arrays(); None when
    the text is not in its form or GEOS would refuse a ring (open, or of 1 to 3 points)."""
    read = coordinate_arrays(text)
    if read is None:
        return None
    _, polygons = read
    rings = [ring for polygon in polygons for ring in polygon]
    if any(
        ring.shape[1] != 2 or len(ring) < 4 or not np.array_equal(ring[0], ring[-1])
        for ring in rings
    ):
        return None
    shapes = [shapely.Polygon(polygon[0], polygon[1:]) for polygon in polygons]
    return shapes[0] if read[0] == "Polygon" else shapely.MultiPolygon(shapes)


POLYGON_TYPES = (3, 6)  # shapely type ids of Polygon and MultiPolygon


def polygonal(geometries: np.ndarray) -> np.ndarray:
    """The valid polygonal part of each geometry (None when it has no area)."""
    geometries = np.asarray(geometries, dtype=object).copy()
    present = ~shapely.is_missing(geometries)
    invalid = present & ~shapely.is_valid(geometries)
    if invalid.any():
        geometries[invalid] = shapely.make_valid(geometries[invalid])
    mixed = present & ~np.isin(shapely.get_type_id(geometries), POLYGON_TYPES)
    for index in np.flatnonzero(mixed):
        parts = shapely.get_parts(geometries[index])
        parts = parts[np.isin(shapely.get_type_id(parts), POLYGON_TYPES)]
        geometries[index] = shapely.union_all(parts) if len(parts) else None
    present = ~shapely.is_missing(geometries)
    flat = present & (shapely.area(geometries) == 0)
    geometries[flat] = None
    return geometries


def _sinusoidal(geometries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Geometries in metres, sinusoidal about each one's centre, and where they have coordinates."""
    geometries = np.asarray(geometries, dtype=object)
    present = ~shapely.is_missing(geometries) & ~shapely.is_empty(geometries)
    shapes = geometries[present]
    if not len(shapes):
        return shapes, present
    centre_lon = shapely.get_x(shapely.centroid(shapes))
    coords, index = shapely.get_coordinates(shapes, return_index=True)
    # In place, in the order of x = radians(lon - centre) × cos(lat) × R and y = lat × R: a
    # boundary of a million vertices needs no more arrays of them than it must (docs/security.md).
    x = coords[:, 0]
    x -= centre_lon[index]
    del index
    np.radians(x, out=x)
    lat = np.radians(coords[:, 1])
    x *= np.cos(lat)
    x *= EARTH_RADIUS_M
    np.multiply(lat, EARTH_RADIUS_M, out=coords[:, 1])
    del lat
    return shapely.set_coordinates(shapes.copy(), coords), present


def area_m2(geometries: np.ndarray) -> np.ndarray:
    """Area in m² of each WGS-84 geometry (NaN for None, 0 for empty), equal-area on the sphere."""
    geometries = np.asarray(geometries, dtype=object)
    areas = np.where(shapely.is_missing(geometries), np.nan, 0.0)
    projected, present = _sinusoidal(geometries)
    areas[present] = shapely.area(projected)
    return areas


def mean_width_m(geometries: np.ndarray) -> np.ndarray:
    """2 × area ÷ perimeter in metres: about the width of a strip, small for a sliver."""
    geometries = np.asarray(geometries, dtype=object)
    widths = np.zeros(len(geometries))
    projected, present = _sinusoidal(geometries)
    perimeter = shapely.length(projected)
    widths[present] = np.where(perimeter > 0, 2 * shapely.area(projected) / perimeter, 0.0)
    return widths


def haversine_m(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Great-circle distance in metres between points given in degrees."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi = phi2 - phi1
    dlambda = np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


@dataclass(frozen=True)
class CoverageShapes:
    """Per community: coverage figures, and the gaps and overlaps as WGS-84 polygons."""

    table: pd.DataFrame  # COVERAGE_COLUMNS
    gaps: pd.DataFrame  # community_code, geometry, area_m2: blind spots, slivers left out
    overlaps: pd.DataFrame  # the same for areas covered by two or more grids


COVERAGE_COLUMNS = [
    "community_code",
    "area_m2",
    "covered_m2",
    "gap_m2",
    "overlap_m2",
    "blind_spots",
    "blind_spot_m2",
    "overlap_pieces",
    "overlap_piece_m2",
    "grids",
    "grids_with_boundary",
]


def analyse_coverage(
    communities: pd.DataFrame, grids: pd.DataFrame, sliver_width_m: float = 2.0
) -> CoverageShapes:
    """Union of each community's grid boundaries clipped to the community, its gaps and overlaps.

    communities: code, boundary (GeoJSON text or None); grids: code, community_code, boundary.
    A community without a boundary has unknown area (NaN figures); grids without a boundary
    cover nothing. Overlaps are the parts of the community covered by two or more of its grids.
    gap_m2 and overlap_m2 are exact; blind spots and overlap pieces leave out slivers thinner
    than sliver_width_m on average, which come from digitising, not from the grid plan.
    """
    community_codes = list(communities["code"])
    community_shapes = parse_boundaries(communities["boundary"])
    position = {code: i for i, code in enumerate(community_codes)}
    grid_rows = grids[grids["community_code"].isin(position)]
    owner = np.array([position[c] for c in grid_rows["community_code"]], dtype=np.int64)
    grid_shapes = parse_boundaries(grid_rows["boundary"])

    grid_union = _grouped_union(grid_shapes, owner, len(community_codes))
    has_area = ~shapely.is_missing(community_shapes)
    covered = np.full(len(community_codes), None, dtype=object)
    gaps = np.full(len(community_codes), None, dtype=object)
    covered[has_area] = shapely.intersection(community_shapes[has_area], grid_union[has_area])
    gaps[has_area] = shapely.difference(community_shapes[has_area], grid_union[has_area])
    overlaps = _overlaps(grid_shapes, owner, community_shapes)

    def measured(shapes: np.ndarray) -> np.ndarray:
        return np.where(has_area, np.nan_to_num(area_m2(shapes)), np.nan)

    gap_pieces = _pieces(community_codes, gaps, sliver_width_m)
    overlap_pieces = _pieces(community_codes, overlaps, sliver_width_m)
    with_boundary = (~shapely.is_missing(grid_shapes)).astype(float)
    table = pd.DataFrame(
        {
            "community_code": community_codes,
            "area_m2": area_m2(community_shapes),
            "covered_m2": measured(covered),
            "gap_m2": measured(gaps),
            "overlap_m2": measured(overlaps),
            "grids": np.bincount(owner, minlength=len(community_codes)).astype(int),
            "grids_with_boundary": np.bincount(
                owner, weights=with_boundary, minlength=len(community_codes)
            ).astype(int),
        }
    )
    for name, pieces in (("blind_spot", gap_pieces), ("overlap_piece", overlap_pieces)):
        sums = pieces.groupby("community_code")["area_m2"].agg(["count", "sum"])
        table[f"{name}s"] = table["community_code"].map(sums["count"]).fillna(0).astype(int)
        table[f"{name}_m2"] = table["community_code"].map(sums["sum"]).fillna(0.0)
    return CoverageShapes(table[COVERAGE_COLUMNS], gap_pieces, overlap_pieces)


def _grouped_union(shapes: np.ndarray, owner: np.ndarray, groups: int) -> np.ndarray:
    """The union of the shapes of each group (an empty polygon for a group without any)."""
    width = int(np.bincount(owner, minlength=groups).max()) if len(owner) else 0
    padded = np.full((groups, max(width, 1)), None, dtype=object)
    slot = np.zeros(groups, dtype=np.int64)
    for shape, group in zip(shapes, owner, strict=True):
        padded[group, slot[group]] = shape
        slot[group] += 1
    # union_all skips None and gives an empty collection for a row of None.
    return np.asarray(shapely.union_all(padded, axis=1), dtype=object)


def _overlaps(shapes: np.ndarray, owner: np.ndarray, communities: np.ndarray) -> np.ndarray:
    """Per community, the area its grids share pairwise, clipped to the community."""
    result = np.full(len(communities), None, dtype=object)
    present = np.flatnonzero(~shapely.is_missing(shapes))
    if len(present) < 2:
        return result
    tree = shapely.STRtree(shapes[present])
    left, right = tree.query(shapes[present], predicate="intersects")
    left, right = present[left], present[right]
    same = (left < right) & (owner[left] == owner[right])
    left, right = left[same], right[same]
    # Neighbours touch along an edge; only pairs whose interiors meet share an area.
    sharing = shapely.relate_pattern(shapes[left], shapes[right], "2********")
    left, right = left[sharing], right[sharing]
    if not len(left):
        return result
    shared = polygonal(shapely.intersection(shapes[left], shapes[right]))
    kept = ~shapely.is_missing(shared)
    pieces = _grouped_union(shared[kept], owner[left][kept], len(communities))
    has_area = ~shapely.is_missing(communities)
    result[has_area] = shapely.intersection(pieces[has_area], communities[has_area])
    return result


def _pieces(codes: list[str], shapes: np.ndarray, sliver_width_m: float) -> pd.DataFrame:
    """The polygons of each community's shape that are not slivers: community_code, geometry, area_m2."""
    owners = [code for code, shape in zip(codes, shapes, strict=True) if shape is not None]
    present = shapes[~shapely.is_missing(shapes)]
    parts, index = shapely.get_parts(polygonal(present), return_index=True)
    frame = pd.DataFrame(
        {
            "community_code": pd.Series([owners[i] for i in index], dtype=object),
            "geometry": pd.Series(list(parts), dtype=object),
        }
    )
    geometries = frame["geometry"].to_numpy()
    frame["area_m2"] = area_m2(geometries)
    solid = mean_width_m(geometries) >= sliver_width_m
    return frame[solid & (frame["area_m2"] > 0)].reset_index(drop=True)


def grid_centres(grids: pd.DataFrame) -> pd.DataFrame:
    """The grids that have a boundary, with the longitude and latitude of its centroid."""
    shapes = parse_boundaries(grids["boundary"])
    present = ~shapely.is_missing(shapes)
    centres = shapely.centroid(shapes[present])
    frame = grids.loc[present].drop(columns=["boundary"]).reset_index(drop=True)
    frame["lon"] = shapely.get_x(centres)
    frame["lat"] = shapely.get_y(centres)
    return frame


def within_reach(
    lon: np.ndarray, lat: np.ndarray, facilities: pd.DataFrame, radius_m: float
) -> np.ndarray:
    """For each point, whether a facility lies within radius_m great-circle metres of it."""
    reached = np.zeros(len(lon), dtype=bool)
    if not len(lon) or facilities.empty:
        return reached
    points = shapely.points(np.column_stack([lon, lat]))
    sites = shapely.points(facilities[["lon", "lat"]].to_numpy(dtype=float))
    # Candidates in degrees with a margin that is safe at the highest latitude involved,
    # then the exact great-circle test.
    highest = min(89.0, float(np.max(np.abs(np.concatenate([lat, facilities["lat"]])))) + 0.5)
    reach_deg = 1.01 * radius_m / METRES_PER_DEGREE / math.cos(math.radians(highest))
    point_index, site_index = shapely.STRtree(np.asarray(sites)).query(
        points, predicate="dwithin", distance=reach_deg
    )
    site_lon = facilities["lon"].to_numpy(dtype=float)[site_index]
    site_lat = facilities["lat"].to_numpy(dtype=float)[site_index]
    close = haversine_m(lon[point_index], lat[point_index], site_lon, site_lat) <= radius_m
    reached[point_index[close]] = True
    return reached


def service_reach(grids: pd.DataFrame, facilities: pd.DataFrame, radius_m: float) -> pd.DataFrame:
    """Grids with a boundary: code, community_code, households, lon, lat of the centre, reached.

    grids: code, community_code, households, boundary; facilities: lon, lat.
    """
    centres = grid_centres(grids[["code", "community_code", "households", "boundary"]])
    centres["reached"] = within_reach(
        centres["lon"].to_numpy(dtype=float),
        centres["lat"].to_numpy(dtype=float),
        facilities,
        radius_m,
    )
    return centres


def bounds_of(texts: Iterable[object]) -> tuple[float, float, float, float] | None:
    """min lon, min lat, max lon, max lat of the geometries, None when there are none."""
    shapes = parse_boundaries(texts)
    shapes = shapes[~shapely.is_missing(shapes)]
    if not len(shapes):
        return None
    minx, miny, maxx, maxy = shapely.total_bounds(shapes)
    return float(minx), float(miny), float(maxx), float(maxy)


def reach_margin_deg(radius_m: float, latitude: float) -> float:
    """Degrees that surely hold radius_m in every direction around a point at this latitude."""
    return (
        1.01 * radius_m / METRES_PER_DEGREE / math.cos(math.radians(min(89.0, abs(latitude) + 0.5)))
    )


UNKNOWN_COLUMNS = ["grids_without_boundary", "communities_coverage_unknown"]
AREA_COLUMNS = [
    "area_m2",
    "covered_m2",
    "gap_m2",
    "overlap_m2",
    "blind_spot_m2",
    "overlap_piece_m2",
]


# The figures of a community that hold only where its coverage is known (coverage_known).
KNOWN_ONLY_COLUMNS = ["area_m2", "covered_m2", "gap_m2", "blind_spots", "blind_spot_m2"]


def coverage_known(spatial: pd.DataFrame) -> pd.Series:
    """Per row of analyse_coverage's table: whether the community's spatial coverage is known.

    It is when the community has a boundary and either each of its grids has one (a community
    without grids is known: uncovered) or those that have one leave no blind spot. A blind spot
    in a community with a grid without boundary may be that grid's: unknown, not a gap.
    """
    complete = spatial["grids_with_boundary"] >= spatial["grids"]
    return spatial["area_m2"].notna() & (complete | (spatial["blind_spots"] == 0))


def known_gaps(gaps: pd.DataFrame, spatial: pd.DataFrame) -> pd.DataFrame:
    """The blind-spot pieces (community_code, …) of the communities whose coverage is known: the
    map draws no blind spot that may be a grid without boundary's area."""
    known = set(spatial.loc[coverage_known(spatial), "community_code"])
    return gaps[gaps["community_code"].isin(known)]


def rollup(spatial: pd.DataFrame, reach: pd.DataFrame, code_length: int | None) -> pd.DataFrame:
    """Spatial coverage and service reach per unit (code prefix), or of everything when None.

    Ratios of sums: covered area / area of the communities whose coverage is known
    (coverage_known), whose blind spots alone are counted; reached households / households of
    the grids with a boundary and known households. Overlaps are counted wherever grids with a
    boundary share an area. grids_without_boundary and communities_coverage_unknown say how
    much is left out.
    """
    known = coverage_known(spatial)
    spatial = spatial.assign(
        code=_key(spatial["community_code"], code_length),
        grids_without_boundary=spatial["grids"] - spatial["grids_with_boundary"],
        communities_coverage_unknown=(~known).astype(int),
    )
    # As floats: a column the database gave as all NULL comes as None, not NaN.
    spatial[AREA_COLUMNS] = spatial[AREA_COLUMNS].astype(float)
    spatial[KNOWN_ONLY_COLUMNS] = spatial[KNOWN_ONLY_COLUMNS].astype(float).where(known)
    reach = reach.assign(
        code=_key(reach["community_code"], code_length),
        households=pd.to_numeric(reach["households"]).astype(float),
    )
    reach = reach[reach["households"].notna()]
    reach = reach.assign(reached_households=reach["households"].where(reach["reached"], 0.0))
    grouped = spatial.groupby("code", dropna=False)
    counted = ["blind_spots", "overlap_pieces", *UNKNOWN_COLUMNS]
    areas = grouped[AREA_COLUMNS].sum(min_count=1).join(grouped[counted].sum().astype(int))
    households = reach.groupby("code", dropna=False)[["households", "reached_households"]].sum()
    households = households.rename(columns={"households": "reach_households"})
    merged = areas.join(households, how="outer").reset_index()
    merged["spatial_coverage"] = merged["covered_m2"] / merged["area_m2"].where(
        merged["area_m2"] > 0
    )
    merged["service_reach"] = merged["reached_households"] / merged["reach_households"].where(
        merged["reach_households"] > 0
    )
    return merged


def _key(codes: pd.Series, length: int | None) -> pd.Series:
    return codes.str.slice(0, length) if length else pd.Series("", index=codes.index)
