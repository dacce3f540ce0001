"""Phase 5: facilities."""

from __future__ import annotations

import numpy as np
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from data_access.demo.boundaries import largest_polygon, sample_in, to_lonlat
from data_access.demo.names import OTHER_FACILITIES
from data_access.demo.places import CityPlan


def _point_in(
    polygon: Polygon, rng: np.random.Generator, near: Point | None = None
) -> tuple[float, float]:
    """A random km point inside polygon (within 150 m of near when given), kept off the edge."""
    area: BaseGeometry = polygon.buffer(-0.02)
    if near is not None:
        area = area.intersection(near.buffer(0.15))
    area = largest_polygon(area) or polygon
    x, y = sample_in(area, 1, rng)[0]
    return float(x), float(y)


FacilityWish = tuple[str, str, tuple[int, int]]  # kind, name, floor-area range in m²


def _community_facilities(
    plan: CityPlan, c: int, station_street: int | None, centrality: float, rng: np.random.Generator
) -> list[FacilityWish]:
    """A service centre always; care, clinics and others likelier near the centre."""
    name = plan.community_names[c]
    urban = plan.community_kind[c] == "urban"
    wishes: list[FacilityWish] = [
        ("service_centre", name + "党群服务中心", (300, 1500) if urban else (300, 800))
    ]
    if station_street is not None:
        station = plan.street_names[station_street] + "社工站"
        wishes.append(("social_work_station", station, (120, 600)))
    if rng.random() < 0.25 + 0.5 * centrality:
        wishes.append(("elderly_care", name + "养老服务站", (150, 1200)))
    if rng.random() < 0.15 + 0.5 * centrality:
        wishes.append(("clinic", name + ("卫生服务站" if urban else "卫生室"), (100, 800)))
    if rng.random() < 0.08:
        wishes.append(("other", name + str(rng.choice(OTHER_FACILITIES)), (50, 400)))
    return wishes


def plan_facilities(plan: CityPlan, rng: np.random.Generator) -> list[dict]:
    """Facilities inside their community; outer ones sparse, so service reach stays under 100 %."""
    n = len(plan.community_codes)
    centrality = plan.community_density.argsort().argsort() / max(n - 1, 1)
    # Each street's social-work station sits in its most central community.
    station_of_street: dict[int, int] = {}
    for c in np.argsort(-plan.community_density, kind="stable").tolist():
        station_of_street.setdefault(int(plan.community_street[c]), c)
    stations = {c: s for s, c in station_of_street.items()}
    rows: list[dict] = []
    for c in range(n):
        polygon = plan.community_km[c]
        wishes = _community_facilities(plan, c, stations.get(c), float(centrality[c]), rng)
        for kind, label, (low, high) in wishes:
            near = polygon.representative_point() if kind == "service_centre" else None
            x, y = _point_in(polygon, rng, near)
            lon, lat = to_lonlat(np.array([[x, y]]))[0]
            rows.append(
                {
                    "code": "",
                    "name": label,
                    "community_code": plan.community_codes[c],
                    "kind": kind,
                    "lon": round(float(lon), 6),
                    "lat": round(float(lat), 6),
                    "floor_area_m2": float(round(rng.uniform(low, high), -1)),
                }
            )
    for k, row in enumerate(rows):
        row["code"] = f"F{k + 1:08d}"
    return rows
