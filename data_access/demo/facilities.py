"""Phase 5: facilities, with floor areas that spread the service premises per 100 households
around the standard (docs/metrics.md §9): most communities near it, the old centre short, the
new outskirts above, some far below, a few without premises, a few areas unknown."""

from __future__ import annotations

import numpy as np
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from data_access.demo.boundaries import largest_polygon, sample_in, to_lonlat
from data_access.demo.names import OTHER_FACILITIES
from data_access.demo.places import CityPlan
from data_access.demo.population import Population

PREMISES_STANDARD = 30.0  # m² per 100 households, the default of the setting
ELDERLY_STANDARD = 20.0
FAR_BELOW_SHARE = 0.06  # communities whose premises are a fraction of what they need
WITHOUT_SHARE = 0.04  # of the central communities without a station: no service centre at all
UNKNOWN_AREA_SHARE = 0.01  # facilities whose floor area was never reported


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


def _premises_areas(
    plan: CityPlan, population: Population, centrality: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per community: the premises and elderly-care floor areas wanted (m²), and whether the
    community goes without a service centre. Central (older) communities get less per household
    than outer (newer) ones."""
    n = len(plan.community_codes)
    households = population.latest_households.astype(float)
    factor = 1.3 - 0.6 * centrality + rng.normal(0.0, 0.12, n)
    far_below = rng.random(n) < FAR_BELOW_SHARE
    factor = np.where(far_below, factor * rng.uniform(0.2, 0.45, n), factor)
    premises = np.maximum(factor, 0.05) * PREMISES_STANDARD * households / 100
    elderly_factor = 1.2 - 0.5 * centrality + rng.normal(0.0, 0.2, n)
    elderly = np.maximum(elderly_factor, 0.1) * ELDERLY_STANDARD * households / 100
    without = (rng.random(n) < WITHOUT_SHARE) & (centrality > 0.6)
    return premises, elderly, without


def _area(
    kind: str, urban: bool, drawn: float, premises: float, station: float, elderly: float
) -> float:
    """The floor area of one facility: the service centre makes up the community's premises
    beside its street's station; elderly care its own wanted area; the others as drawn."""
    if urban and kind == "service_centre":
        return float(max(round(premises - station, -1), 80.0))
    if urban and kind == "elderly_care":
        return float(round(min(max(elderly, 100.0), 2500.0), -1))
    return float(round(drawn, -1))


def plan_facilities(plan: CityPlan, rng: np.random.Generator, population: Population) -> list[dict]:
    """Facilities inside their community; outer ones sparse, so service reach stays under 100 %.

    Floor areas follow _premises_areas, drawn from a stream of their own."""
    n = len(plan.community_codes)
    centrality = plan.community_density.argsort().argsort() / max(n - 1, 1)
    # Each street's social-work station sits in its most central community.
    station_of_street: dict[int, int] = {}
    for c in np.argsort(-plan.community_density, kind="stable").tolist():
        station_of_street.setdefault(int(plan.community_street[c]), c)
    stations = {c: s for s, c in station_of_street.items()}
    area_rng = rng.spawn(1)[0]
    premises, elderly, without = _premises_areas(plan, population, centrality, area_rng)
    rows: list[dict] = []
    for c in range(n):
        polygon = plan.community_km[c]
        urban = bool(plan.community_kind[c] == "urban")
        wishes = _community_facilities(plan, c, stations.get(c), float(centrality[c]), rng)
        drawn_rows: list[dict] = []
        for kind, label, (low, high) in wishes:
            near = polygon.representative_point() if kind == "service_centre" else None
            x, y = _point_in(polygon, rng, near)
            lon, lat = to_lonlat(np.array([[x, y]]))[0]
            drawn_rows.append(
                {
                    "code": "",
                    "name": label,
                    "community_code": plan.community_codes[c],
                    "kind": kind,
                    "lon": round(float(lon), 6),
                    "lat": round(float(lat), 6),
                    "floor_area_m2": float(rng.uniform(low, high)),
                }
            )
        station = sum(
            round(r["floor_area_m2"], -1) for r in drawn_rows if r["kind"] == "social_work_station"
        )
        for row in drawn_rows:
            kind = row["kind"]
            if kind == "service_centre" and without[c] and not station:
                continue  # a community still without premises of its own
            row["floor_area_m2"] = _area(
                kind, urban, row["floor_area_m2"], premises[c], station, elderly[c]
            )
            unknown = area_rng.random() < UNKNOWN_AREA_SHARE
            if kind in ("service_centre", "elderly_care") and unknown:
                row["floor_area_m2"] = None
            rows.append(row)
    for k, row in enumerate(rows):
        row["code"] = f"F{k + 1:08d}"
    return rows
