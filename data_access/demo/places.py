"""Phase 1: districts, streets and communities, their codes, names and boundaries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Polygon

from data_access.demo.boundaries import (
    allocate,
    area_km2,
    city_frame,
    clockwise,
    district_count,
    geojson,
    integrals,
    split,
    spread_points,
    voronoi_cells,
    wgs84,
)
from data_access.demo.common import CODE_PREFIX
from data_access.demo.names import (
    NamePool,
    community_stems,
    district_names,
    street_stems,
    village_names,
)


@dataclass
class CityPlan:
    """The administrative units, index-aligned arrays that later phases build on."""

    district_codes: list[str]
    district_names: list[str]
    street_codes: list[str]
    street_names: list[str]
    street_district: np.ndarray
    community_codes: list[str]
    community_names: list[str]
    community_street: np.ndarray
    community_kind: np.ndarray
    community_km: list[Polygon]
    community_wgs84: list[Polygon | None]
    community_point: np.ndarray  # lon, lat of a representative point
    community_density: np.ndarray

    @property
    def community_district(self) -> np.ndarray:
        return self.street_district[self.community_street]

    def stem(self, c: int) -> str:
        """The community name without 社区, used to name its grids and facilities."""
        name = self.community_names[c]
        return name.removesuffix("社区")


def _child_codes(parent_codes: Sequence[str], owner: np.ndarray) -> list[str]:
    """Parent code + 001, 002 … in the order the children were made."""
    codes: list[str] = []
    rank: dict[int, int] = {}
    for index in owner.tolist():
        rank[index] = rank.get(index, 0) + 1
        codes.append(f"{parent_codes[index]}{rank[index]:03d}")
    return codes


def _central_first(points: np.ndarray, core: tuple[float, float]) -> np.ndarray:
    """The point nearest the core first (the old town), the others clockwise round it."""
    nearest = int(np.argmin(np.hypot(points[:, 0] - core[0], points[:, 1] - core[1])))
    rest = np.array([i for i in clockwise(points, core).tolist() if i != nearest], dtype=int)
    return np.concatenate([[nearest], rest]).astype(int)


def _village_mask(density: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """About 10 % of communities, the most rural ones, are villages (村)."""
    score = density * rng.lognormal(0.0, 0.35, len(density))
    return score <= np.quantile(score, 0.10)


def plan_city(scale: int, rng: np.random.Generator) -> CityPlan:
    """Districts, streets and communities as nested Voronoi cells, smaller towards the core."""
    city = city_frame(scale, rng)
    n_districts = district_count(scale)
    points = spread_points(city.outline, n_districts, rng, city.weight(0.25))
    district_km = voronoi_cells(city.outline, points[_central_first(points, city.core)])
    street_counts = allocate(50 * scale, integrals(district_km, rng, city.weight(0.8)), 2)
    street_km, street_district = split(district_km, street_counts, rng, city.weight(0.4))
    community_counts = allocate(400 * scale, integrals(street_km, rng, city.density), 2)
    community_km, community_street = split(street_km, community_counts, rng, city.weight(0.5))

    district_codes = [f"{CODE_PREFIX}{i + 1:02d}" for i in range(n_districts)]
    street_codes = _child_codes(district_codes, street_district)
    community_codes = _child_codes(street_codes, community_street)
    wgs = wgs84(community_km)
    reps = shapely.point_on_surface(np.array(wgs, dtype=object))
    lonlat = np.round(np.column_stack([shapely.get_x(reps), shapely.get_y(reps)]), 6)
    km_reps = shapely.point_on_surface(np.array(community_km, dtype=object))
    density = city.density(np.column_stack([shapely.get_x(km_reps), shapely.get_y(km_reps)]))
    kind = np.where(_village_mask(density, rng), "village", "urban")
    street_names, community_names = _unit_names(street_district, community_street, kind, rng)
    return CityPlan(
        district_codes=district_codes,
        district_names=district_names(n_districts, rng),
        street_codes=street_codes,
        street_names=street_names,
        street_district=street_district,
        community_codes=community_codes,
        community_names=community_names,
        community_street=community_street,
        community_kind=kind,
        community_km=community_km,
        community_wgs84=wgs,
        community_point=lonlat,
        community_density=density,
    )


def _unit_names(
    street_district: np.ndarray,
    community_street: np.ndarray,
    kind: np.ndarray,
    rng: np.random.Generator,
) -> tuple[list[str], list[str]]:
    """Street names (镇 where most communities are villages) and community names."""
    street_pool = NamePool(street_stems(), rng)
    urban_pool = NamePool(community_stems(), rng)
    village_pool = NamePool(village_names(), rng)
    villages = np.bincount(
        community_street, weights=kind == "village", minlength=len(street_district)
    )
    sizes = np.bincount(community_street, minlength=len(street_district))
    taken_in_district: dict[int, set[str]] = {}
    street_names = []
    for s, d in enumerate(street_district.tolist()):
        stem = street_pool.draw(taken_in_district.setdefault(d, set()))
        street_names.append(stem + ("镇" if villages[s] * 2 >= sizes[s] else "街道"))
    taken_in_street: dict[int, set[str]] = {}
    community_names = []
    for s, k in zip(community_street.tolist(), kind.tolist(), strict=True):
        taken = taken_in_street.setdefault(s, set())
        if k == "village":
            community_names.append(village_pool.draw(taken))
        else:
            community_names.append(urban_pool.draw(taken) + "社区")
    return street_names, community_names


def geometry_rows(plan: CityPlan) -> dict[str, list[dict]]:
    districts = [
        {"code": c, "name": n}
        for c, n in zip(plan.district_codes, plan.district_names, strict=True)
    ]
    streets = [
        {"code": c, "name": n, "district_code": plan.district_codes[d]}
        for c, n, d in zip(
            plan.street_codes, plan.street_names, plan.street_district.tolist(), strict=True
        )
    ]
    communities = []
    for c, code in enumerate(plan.community_codes):
        polygon = plan.community_wgs84[c]
        communities.append(
            {
                "code": code,
                "name": plan.community_names[c],
                "street_code": plan.street_codes[plan.community_street[c]],
                "kind": str(plan.community_kind[c]),
                "area_km2": round(area_km2(polygon), 4),
                "lon": float(plan.community_point[c, 0]),
                "lat": float(plan.community_point[c, 1]),
                "boundary": geojson(polygon),
            }
        )
    return {"district": districts, "street": streets, "community": communities}
