"""Phase 3: grids, with a few deliberate defects for the coverage page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from shapely import affinity
from shapely.geometry import Polygon

from data_access.demo.boundaries import (
    clockwise,
    geojson,
    largest_polygon,
    spread_points,
    voronoi_cells,
    wgs84,
)
from data_access.demo.names import (
    CITY_NUMBERED_PLACES,
    URBAN_DEDICATED_PLACES,
    VILLAGE_DEDICATED_PLACES,
    chinese_number,
)
from data_access.demo.places import CityPlan
from data_access.demo.population import Population


@dataclass
class GridPlan:
    rows: list[dict]
    general: list[list[str]]  # general grid codes per community
    dedicated: list[list[str]]


def _round_to_total(values: np.ndarray, total: int) -> np.ndarray:
    """Integers close to values that add up to total (largest remainder)."""
    floor = np.floor(values).astype(np.int64)
    order = np.argsort(-(values - floor), kind="stable")
    floor[order[: total - int(floor.sum())]] += 1
    return floor


def _general_households(target: int, rng: np.random.Generator) -> np.ndarray:
    """Mostly 300–500 households per grid, about 5 % above 500 and 5 % below 300."""
    n = max(1, round(target / 390))
    u = rng.random(n)
    sizes = np.where(
        u < 0.05,
        rng.uniform(510, 640, n),
        np.where(u < 0.10, rng.uniform(190, 290, n), rng.uniform(320, 470, n)),
    )
    return _round_to_total(sizes * target / sizes.sum(), target)


def _dedicated_names(
    stem: str, places: Sequence[str], count: int, rng: np.random.Generator, numbered: dict[str, int]
) -> list[str]:
    """Names of a community's 专属网格: 市第三中学专属网格, 幸福里湿地公园专属网格 …"""
    names = []
    for place in rng.choice(places, size=count, replace=False).tolist():
        used = numbered.get(place, 0)
        if used < CITY_NUMBERED_PLACES.get(place, 0):
            numbered[place] = used + 1
            names.append(f"市第{chinese_number(used + 1)}{place}专属网格")
        else:
            names.append(f"{stem}{place}专属网格")
    return names


@dataclass
class CommunityGrids:
    """The grids of one community before they are published."""

    codes: list[str]
    names: list[str]
    kinds: list[str]
    households: list[int | None]
    polygons: list[Polygon]


def _community_grids(
    plan: CityPlan, c: int, households_now: int, rng: np.random.Generator, numbered: dict[str, int]
) -> CommunityGrids:
    urban = plan.community_kind[c] == "urban"
    n_dedicated = int(min(rng.poisson(0.8), 3)) if urban else int(rng.random() < 0.2)
    dedicated_hh: list[int | None] = [
        None if rng.random() < 0.5 else int(rng.integers(0, 60)) for _ in range(n_dedicated)
    ]
    # Most communities have 92–100 % of households in grids; about 3 % clearly fewer.
    cover = rng.uniform(0.72, 0.87) if rng.random() < 0.03 else min(1.0, rng.uniform(0.92, 1.02))
    target = max(1, round(cover * households_now) - sum(h or 0 for h in dedicated_hh))
    general_hh = _general_households(target, rng)
    n = len(general_hh) + n_dedicated
    polygon = plan.community_km[c]
    points = spread_points(polygon, n, rng, lambda xy: np.ones(xy.shape[:-1]))
    centre = polygon.centroid
    points = points[clockwise(points, (centre.x, centre.y))]
    cells = voronoi_cells(polygon, points)
    is_dedicated = np.zeros(n, dtype=bool)
    is_dedicated[rng.choice(n, size=n_dedicated, replace=False)] = True
    order = np.concatenate([np.flatnonzero(~is_dedicated), np.flatnonzero(is_dedicated)])
    code = plan.community_codes[c]
    stem = plan.stem(c)
    names = [f"{stem}第{i + 1}网格" for i in range(len(general_hh))]
    places = URBAN_DEDICATED_PLACES if urban else VILLAGE_DEDICATED_PLACES
    names += _dedicated_names(stem, places, n_dedicated, rng, numbered)
    return CommunityGrids(
        codes=[f"{code}{i + 1:03d}" for i in range(n)],
        names=names,
        kinds=["general"] * len(general_hh) + ["dedicated"] * n_dedicated,
        households=[*(int(h) for h in general_hh), *dedicated_hh],
        polygons=[cells[i] for i in order.tolist()],
    )


def _apply_defects(
    plan: CityPlan, grids: list[CommunityGrids], rng: np.random.Generator
) -> list[list[bool]]:
    """Gaps in ~2 % of communities, overlaps in a few grids; returns which grids lose their boundary."""
    n = len(grids)
    multi = np.array([len(g.codes) > 1 for g in grids])
    gap_communities = rng.choice(np.flatnonzero(multi), size=max(1, round(0.02 * n)), replace=False)
    for c in gap_communities.tolist():
        i = int(rng.integers(0, len(grids[c].codes)))
        grids[c].polygons[i] = affinity.scale(grids[c].polygons[i], 0.55, 0.55, origin="centroid")
    spared = set(gap_communities.tolist())
    flat = [(c, i) for c in range(n) if c not in spared for i in range(len(grids[c].codes))]
    picks = rng.permutation(len(flat))
    n_null = max(1, round(0.01 * len(flat)))
    n_overlap = max(3, round(0.002 * len(flat)))
    for k in picks[n_null : n_null + n_overlap].tolist():
        c, i = flat[k]
        widened = grids[c].polygons[i].buffer(0.04, join_style="mitre")
        grids[c].polygons[i] = largest_polygon(widened.intersection(plan.community_km[c]))
    missing = [[False] * len(g.codes) for g in grids]
    for k in picks[:n_null].tolist():
        c, i = flat[k]
        missing[c][i] = True
    return missing


def plan_grids(
    plan: CityPlan,
    population: Population,
    rng: np.random.Generator,
    on_progress: Callable[[float], None],
) -> GridPlan:
    numbered: dict[str, int] = {}
    grids = []
    total = len(plan.community_codes)
    for c in range(total):
        grids.append(_community_grids(plan, c, int(population.latest_households[c]), rng, numbered))
        if c % 200 == 0:
            on_progress(0.5 * c / total)
    missing = _apply_defects(plan, grids, rng)
    general = [[g.codes[i] for i, k in enumerate(g.kinds) if k == "general"] for g in grids]
    dedicated = [[g.codes[i] for i, k in enumerate(g.kinds) if k == "dedicated"] for g in grids]
    return GridPlan(_grid_rows(plan, grids, missing, rng), general, dedicated)


def _grid_rows(
    plan: CityPlan,
    grids: list[CommunityGrids],
    missing: list[list[bool]],
    rng: np.random.Generator,
) -> list[dict]:
    """Table rows of the grids: about 70 % with a party branch, population ≈ households × 2.7."""
    published = iter(wgs84([p for g in grids for p in g.polygons]))
    rows = []
    for c, g in enumerate(grids):
        for i, code in enumerate(g.codes):
            households = g.households[i]
            polygon = next(published)
            branch_share = 0.72 if g.kinds[i] == "general" else 0.45
            rows.append(
                {
                    "code": code,
                    "name": g.names[i],
                    "community_code": plan.community_codes[c],
                    "kind": g.kinds[i],
                    "households": households,
                    "population": (
                        None if households is None else round(households * rng.uniform(2.55, 2.85))
                    ),
                    "has_party_branch": bool(rng.random() < branch_share),
                    "boundary": None if missing[c][i] else geojson(polygon),
                }
            )
    return rows
