"""Geometry in local kilometres (x east, y north of the city centre), published as WGS-84."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from data_access.demo.common import (
    CENTRE_LAT,
    CENTRE_LON,
    EARTH_RADIUS_KM,
    KM_PER_DEG_LAT,
    KM_PER_DEG_LON,
    MAX_CHILDREN,
    WeightFn,
)


def area_km2(geometry: BaseGeometry | None) -> float:
    """Area in km² of a WGS-84 geometry, equirectangular about its own centroid (no pyproj)."""
    if geometry is None or geometry.is_empty:
        return 0.0
    centre = geometry.centroid
    kx = EARTH_RADIUS_KM * math.radians(1.0) * math.cos(math.radians(centre.y))
    ky = EARTH_RADIUS_KM * math.radians(1.0)
    origin = np.array([centre.x, centre.y])
    scale = np.array([kx, ky])
    projected = shapely.transform(geometry, lambda xy: (xy - origin) * scale)
    return float(projected.area)


def to_lonlat(xy: np.ndarray) -> np.ndarray:
    return np.column_stack(
        [CENTRE_LON + xy[:, 0] / KM_PER_DEG_LON, CENTRE_LAT + xy[:, 1] / KM_PER_DEG_LAT]
    )


def _polygon_parts(geometry: BaseGeometry) -> list[Polygon]:
    parts = shapely.get_parts(shapely.get_parts(geometry))
    return [p for p in parts if p.geom_type == "Polygon" and p.area > 0]


def largest_polygon(geometry: BaseGeometry | None) -> Polygon | None:
    if geometry is None or geometry.is_empty:
        return None
    parts = _polygon_parts(geometry)
    return max(parts, key=lambda p: p.area) if parts else None


def wgs84(polygons: Sequence[BaseGeometry]) -> list[Polygon | None]:
    """km polygons → WGS-84 polygons snapped to 6 decimals (about 0.1 m), still valid."""
    geoms = np.empty(len(polygons), dtype=object)
    geoms[:] = list(polygons)
    snapped = shapely.set_precision(shapely.transform(geoms, to_lonlat), 1e-6)
    return [largest_polygon(g) for g in snapped]


def geojson(polygon: Polygon | None) -> str | None:
    """GeoJSON text of a polygon, exterior counter-clockwise (RFC 7946), 6 decimals."""
    if polygon is None:
        return None
    polygon = shapely.orient_polygons(polygon)
    rings = [polygon.exterior, *polygon.interiors]
    coords = [np.round(np.asarray(r.coords), 6).tolist() for r in rings]
    return json.dumps({"type": "Polygon", "coordinates": coords}, separators=(",", ":"))


@dataclass(frozen=True)
class CityFrame:
    """The city outline in local km and the residential density that sizes its units."""

    outline: Polygon
    core: tuple[float, float]
    length_km: float

    def density(self, xy: np.ndarray) -> np.ndarray:
        """Relative density at points (..., 2): 1 at the core, about 0.05 at the edge."""
        d = np.hypot(xy[..., 0] - self.core[0], xy[..., 1] - self.core[1])
        return np.exp(-d / self.length_km) + 0.05

    def weight(self, gamma: float) -> WeightFn:
        return lambda xy: self.density(xy) ** gamma


def city_frame(scale: int, rng: np.random.Generator) -> CityFrame:
    """An irregular, star-shaped outline of about 40 km × 30 km, wider by √scale."""
    stretch = math.sqrt(scale)
    a, b = 20.0 * stretch, 15.0 * stretch
    theta = np.linspace(0.0, 2 * math.pi, 180, endpoint=False)
    radius = a * b / np.hypot(b * np.cos(theta), a * np.sin(theta))
    wobble = np.ones_like(theta)
    for k, amplitude in ((2, 0.08), (3, 0.06), (5, 0.04), (7, 0.025)):
        wobble += amplitude * np.sin(k * theta + rng.uniform(0.0, 2 * math.pi))
    r = radius * wobble
    outline = Polygon(np.column_stack([r * np.cos(theta), r * np.sin(theta)]))
    core = (float(rng.uniform(-2, 2) * stretch), float(rng.uniform(-1.5, 1.5) * stretch))
    return CityFrame(outline, core, 6.0 * stretch)


def sample_in(polygon: Polygon, n: int, rng: np.random.Generator) -> np.ndarray:
    """n uniform random points inside polygon, by rejection in its bounding box."""
    minx, miny, maxx, maxy = polygon.bounds
    fill = max(polygon.area / max((maxx - minx) * (maxy - miny), 1e-12), 0.05)
    shapely.prepare(polygon)
    found: list[np.ndarray] = []
    missing = n
    while missing > 0:
        batch = rng.uniform((minx, miny), (maxx, maxy), size=(int(missing / fill * 1.3) + 16, 2))
        batch = batch[shapely.contains_xy(polygon, batch[:, 0], batch[:, 1])][:missing]
        found.append(batch)
        missing -= len(batch)
    return np.concatenate(found) if found else np.empty((0, 2))


def spread_points(
    polygon: Polygon, k: int, rng: np.random.Generator, weight: WeightFn, candidates: int = 8
) -> np.ndarray:
    """k well-spread points by best-candidate sampling; a higher weight packs points closer."""
    pool = sample_in(polygon, k * candidates, rng).reshape(k, candidates, 2)
    w = weight(pool)
    chosen = np.empty((k, 2))
    chosen[0] = pool[0, np.argmax(w[0])]
    for i in range(1, k):
        dx = pool[i, :, None, 0] - chosen[None, :i, 0]
        dy = pool[i, :, None, 1] - chosen[None, :i, 1]
        gaps = np.sqrt(np.min(dx * dx + dy * dy, axis=1))
        chosen[i] = pool[i, np.argmax(gaps * w[i])]
    return chosen


def clockwise(points: np.ndarray, centre: tuple[float, float]) -> np.ndarray:
    """Order of points clockwise from north around centre, so codes run round the parent."""
    angle = np.arctan2(points[:, 0] - centre[0], points[:, 1] - centre[1]) % (2 * math.pi)
    return np.argsort(angle, kind="stable")


def _absorb_fragments(cells: Sequence[BaseGeometry]) -> list[Polygon]:
    """Keeps each cell's largest part and gives stray parts to the nearest other cell."""
    pieces = [sorted(_polygon_parts(c), key=lambda p: p.area, reverse=True) for c in cells]
    result = [parts[0] for parts in pieces]
    for i, parts in enumerate(pieces):
        for fragment in parts[1:]:
            distances = shapely.distance(np.array(result, dtype=object), fragment)
            distances[i] = np.inf
            j = int(np.argmin(distances))
            # A hair of buffer welds the fragment to its neighbour despite float noise.
            merged = largest_polygon(
                shapely.union(result[j], fragment.buffer(1e-6, join_style="mitre"))
            )
            if merged is not None:
                result[j] = merged
    return result


def voronoi_cells(parent: Polygon, points: np.ndarray) -> list[Polygon]:
    """Voronoi cells of points clipped to parent, in the order of points, each one polygon."""
    if len(points) == 1:
        return [parent]
    regions = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=parent, ordered=True)
    clipped = shapely.intersection(shapely.get_parts(regions), parent)
    return _absorb_fragments(list(clipped))


def split(
    parents: Sequence[Polygon], counts: np.ndarray, rng: np.random.Generator, weight: WeightFn
) -> tuple[list[Polygon], np.ndarray]:
    """Divides each parent into counts[i] Voronoi children; returns them and their parents."""
    children: list[Polygon] = []
    owner: list[int] = []
    for index, (parent, k) in enumerate(zip(parents, counts, strict=True)):
        points = spread_points(parent, int(k), rng, weight)
        centre = parent.centroid
        points = points[clockwise(points, (centre.x, centre.y))]
        children.extend(voronoi_cells(parent, points))
        owner.extend([index] * len(points))
    return children, np.asarray(owner, dtype=np.int64)


def allocate(total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    """Largest-remainder split of total in proportion to weights, each part in [minimum, 999]."""
    base = np.full(len(weights), minimum, dtype=np.int64)
    rest = total - int(base.sum())
    if rest > 0:
        share = weights / weights.sum() * rest
        parts = np.floor(share).astype(np.int64)
        order = np.argsort(-(share - parts), kind="stable")
        parts[order[: rest - int(parts.sum())]] += 1
        base += parts
    return np.minimum(base, MAX_CHILDREN)


def integrals(polygons: Sequence[Polygon], rng: np.random.Generator, fn: WeightFn) -> np.ndarray:
    """Monte-Carlo integral of fn over each polygon (area × mean of 64 samples)."""
    return np.array([p.area * float(fn(sample_in(p, 64, rng)).mean()) for p in polygons])


def district_count(scale: int) -> int:
    return min(99, round(6 + 7 * math.log10(scale)))
