"""The deterministic demo city 示范市: boundaries, residents, grids, staff, facilities and burden records.

Every number is drawn from ``numpy.random.default_rng(seed)``, so one seed and scale give the
same rows every time, and the data end at DEMO_LAST_MONTH, never at today's date. The figures
are calibrated to the seed documents (DESIGN §5): 18 workers per 10,000 residents, 300–500
households per grid, work items 165 → 56, forms 181 → 35 and so on.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, Engine, insert, inspect, select

from data_access.models import BURDEN_CATEGORIES, Base
from data_access.queries.hierarchy import DEMO_KIND

DEMO_CITY_NAME = "示范市"
DEMO_FIRST_MONTH = dt.date(2019, 1, 1)
DEMO_LAST_MONTH = dt.date(2026, 10, 1)
# No real 统计用区划代码 starts with 99, so the demo codes never collide with a real place.
CODE_PREFIX = "9901"
CENTRE_LON, CENTRE_LAT = 114.30, 30.60
EARTH_RADIUS_KM = 6371.0088
CHUNK_ROWS = 20_000
MAX_CHILDREN = 999  # three code digits per level


def _month_index(month: str | dt.date) -> int:
    """Months since DEMO_FIRST_MONTH of a date or a "YYYY-MM" string."""
    if isinstance(month, str):
        year, mon = map(int, month.split("-"))
    else:
        year, mon = month.year, month.month
    return (year - DEMO_FIRST_MONTH.year) * 12 + mon - DEMO_FIRST_MONTH.month


YEARS = tuple(range(DEMO_FIRST_MONTH.year, DEMO_LAST_MONTH.year + 1))
MONTHS = _month_index(DEMO_LAST_MONTH) + 1
PERIODS = tuple(
    dt.date(
        DEMO_FIRST_MONTH.year + (m + DEMO_FIRST_MONTH.month - 1) // 12,
        (m + DEMO_FIRST_MONTH.month - 1) % 12 + 1,
        1,
    )
    for m in range(MONTHS)
)
EPOCH = dt.date(1970, 1, 1)
NEVER = np.iinfo(np.int64).max

KM_PER_DEG_LAT = EARTH_RADIUS_KM * math.pi / 180
KM_PER_DEG_LON = KM_PER_DEG_LAT * math.cos(math.radians(CENTRE_LAT))

DATA_TABLES = (
    "district",
    "street",
    "community",
    "community_population",
    "grid",
    "staff_member",
    "facility",
    "burden_record",
)

# Share of the whole build each phase covers on the progress bar (burden rows dominate).
PHASE_SPANS = {
    "geometry": (0.0, 0.12),
    "population": (0.12, 0.14),
    "grids": (0.14, 0.24),
    "staff": (0.24, 0.31),
    "facilities": (0.31, 0.34),
    "burden": (0.34, 0.99),
    "done": (1.0, 1.0),
}

ProgressFn = Callable[[float, str], None]
WeightFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class DemoSummary:
    """What build_demo wrote: rows per table and the seconds it took."""

    districts: int
    streets: int
    communities: int
    grids: int
    staff: int
    facilities: int
    burden_records: int
    seconds: float


# ---------------------------------------------------------------------------------------------
# Names: plausible but fictional, unique within their parent.

DISTRICT_NAMES = (
    "东湖区",
    "滨江区",
    "高新区",
    "江南区",
    "城北区",
    "南湖区",
    "西岭区",
    "临港区",
    "金沙区",
    "白鹭区",
    "凤栖区",
    "青禾区",
    "月湾区",
    "锦川区",
    "梧桐区",
)
STREET_FIRST = "长和永新兴建民光文安华青翠金福康宁德明丰云锦春秀红东南西北桂梅荷柳桃杏枫松竹兰凤龙鹤白清绿碧紫朝晨星月天海江湖"
STREET_SECOND = "青平安华兴乐宁康丰阳明山园湖江桥林泰盛新源苑城河岭港洲坪塘湾"


def _pairs(text: str) -> tuple[str, ...]:
    """Splits a run of two-character words."""
    return tuple(text[i : i + 2] for i in range(0, len(text), 2))


COMMUNITY_WORDS = _pairs(
    "幸福锦绣阳光和谐桂花丹桂紫薇春晖梧桐银杏东风红旗建设胜利新华友谊团结育才文化工人鹏程怡景碧水绿洲金桥玉泉滨湖月湖枫林清河"
    "柳岸杏花荷塘兰亭松鹤翠竹凤凰百花长春永丰安居康乐福星瑞祥嘉禾书香明珠星光晨曦彩虹和平光明振兴朝阳翠微华庭丽水海棠青松金桂"
)
COMMUNITY_SUFFIXES = ("里", "园", "苑", "坊", "湾", "路", "新村", "花园", "家园", "庭")
GARDEN_STEMS = ("翠园", "梅园", "竹园", "兰园", "桃园", "荷园", "松园", "枫园", "菊园", "杏园")
SURNAMES = "李王张刘陈杨黄赵周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余杜"
VILLAGE_SUFFIXES = ("家村", "家湾村", "家岗村", "家畈村", "家庄村", "庄村", "店村", "桥村", "岭村")
URBAN_DEDICATED_PLACES = (
    "实验小学",
    "中学",
    "幼儿园",
    "人民医院",
    "中医医院",
    "工业园",
    "科技园",
    "物流园",
    "商务楼宇",
    "农贸市场",
    "湿地公园",
    "体育中心",
    "客运站",
)
VILLAGE_DEDICATED_PLACES = ("小学", "卫生院", "幼儿园", "农贸市场", "工业园")
# The first schools and hospitals of the city are numbered city-wide, as real ones are.
CITY_NUMBERED_PLACES = {"中学": 30, "人民医院": 9}
OTHER_FACILITIES = ("文化活动中心", "儿童之家", "便民服务点", "图书室")
CHINESE_DIGITS = "零一二三四五六七八九"


def _chinese_number(n: int) -> str:
    """1–99 in Chinese numerals (一, 十二, 二十三)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return CHINESE_DIGITS[ones]
    head = "" if tens == 1 else CHINESE_DIGITS[tens]
    return head + "十" + (CHINESE_DIGITS[ones] if ones else "")


class NamePool:
    """Names drawn from a shuffled pool: unique city-wide while it lasts, always within a parent."""

    def __init__(self, names: Sequence[str], rng: np.random.Generator) -> None:
        self._names = list(names)
        self._rng = rng
        self._queue: list[str] = []

    def draw(self, taken: set[str]) -> str:
        for _ in range(2 * len(self._names) + 1):
            if not self._queue:
                self._queue = [self._names[i] for i in self._rng.permutation(len(self._names))]
            name = self._queue.pop()
            if name not in taken:
                taken.add(name)
                return name
        raise ValueError("name pool exhausted")


def _street_stems() -> list[str]:
    return [a + b for a in STREET_FIRST for b in STREET_SECOND if a != b]


def _community_stems() -> list[str]:
    return [w + s for w in COMMUNITY_WORDS for s in COMMUNITY_SUFFIXES] + list(GARDEN_STEMS)


def _village_names() -> list[str]:
    return [s + v for s in SURNAMES for v in VILLAGE_SUFFIXES]


def _district_names(n: int, rng: np.random.Generator) -> list[str]:
    """The fixed list first, then generated names for very large scales."""
    names = list(DISTRICT_NAMES[:n])
    pool = NamePool([s + "区" for s in _street_stems()], rng)
    taken = set(names)
    while len(names) < n:
        names.append(pool.draw(taken))
    return names


# ---------------------------------------------------------------------------------------------
# Geometry in local kilometres (x east, y north of the city centre), published as WGS-84.


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


def _to_lonlat(xy: np.ndarray) -> np.ndarray:
    return np.column_stack(
        [CENTRE_LON + xy[:, 0] / KM_PER_DEG_LON, CENTRE_LAT + xy[:, 1] / KM_PER_DEG_LAT]
    )


def _polygon_parts(geometry: BaseGeometry) -> list[Polygon]:
    parts = shapely.get_parts(shapely.get_parts(geometry))
    return [p for p in parts if p.geom_type == "Polygon" and p.area > 0]


def _largest_polygon(geometry: BaseGeometry | None) -> Polygon | None:
    if geometry is None or geometry.is_empty:
        return None
    parts = _polygon_parts(geometry)
    return max(parts, key=lambda p: p.area) if parts else None


def _wgs84(polygons: Sequence[BaseGeometry]) -> list[Polygon | None]:
    """km polygons → WGS-84 polygons snapped to 6 decimals (about 0.1 m), still valid."""
    geoms = np.empty(len(polygons), dtype=object)
    geoms[:] = list(polygons)
    snapped = shapely.set_precision(shapely.transform(geoms, _to_lonlat), 1e-6)
    return [_largest_polygon(g) for g in snapped]


def _geojson(polygon: Polygon | None) -> str | None:
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


def _city_frame(scale: int, rng: np.random.Generator) -> CityFrame:
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


def _sample_in(polygon: Polygon, n: int, rng: np.random.Generator) -> np.ndarray:
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


def _spread_points(
    polygon: Polygon, k: int, rng: np.random.Generator, weight: WeightFn, candidates: int = 8
) -> np.ndarray:
    """k well-spread points by best-candidate sampling; a higher weight packs points closer."""
    pool = _sample_in(polygon, k * candidates, rng).reshape(k, candidates, 2)
    w = weight(pool)
    chosen = np.empty((k, 2))
    chosen[0] = pool[0, np.argmax(w[0])]
    for i in range(1, k):
        dx = pool[i, :, None, 0] - chosen[None, :i, 0]
        dy = pool[i, :, None, 1] - chosen[None, :i, 1]
        gaps = np.sqrt(np.min(dx * dx + dy * dy, axis=1))
        chosen[i] = pool[i, np.argmax(gaps * w[i])]
    return chosen


def _clockwise(points: np.ndarray, centre: tuple[float, float]) -> np.ndarray:
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
            merged = _largest_polygon(
                shapely.union(result[j], fragment.buffer(1e-6, join_style="mitre"))
            )
            if merged is not None:
                result[j] = merged
    return result


def _voronoi_cells(parent: Polygon, points: np.ndarray) -> list[Polygon]:
    """Voronoi cells of points clipped to parent, in the order of points, each one polygon."""
    if len(points) == 1:
        return [parent]
    regions = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=parent, ordered=True)
    clipped = shapely.intersection(shapely.get_parts(regions), parent)
    return _absorb_fragments(list(clipped))


def _split(
    parents: Sequence[Polygon], counts: np.ndarray, rng: np.random.Generator, weight: WeightFn
) -> tuple[list[Polygon], np.ndarray]:
    """Divides each parent into counts[i] Voronoi children; returns them and their parents."""
    children: list[Polygon] = []
    owner: list[int] = []
    for index, (parent, k) in enumerate(zip(parents, counts, strict=True)):
        points = _spread_points(parent, int(k), rng, weight)
        centre = parent.centroid
        points = points[_clockwise(points, (centre.x, centre.y))]
        children.extend(_voronoi_cells(parent, points))
        owner.extend([index] * len(points))
    return children, np.asarray(owner, dtype=np.int64)


def _allocate(total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
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


def _integrals(polygons: Sequence[Polygon], rng: np.random.Generator, fn: WeightFn) -> np.ndarray:
    """Monte-Carlo integral of fn over each polygon (area × mean of 64 samples)."""
    return np.array([p.area * float(fn(_sample_in(p, 64, rng)).mean()) for p in polygons])


def _district_count(scale: int) -> int:
    return min(99, round(6 + 7 * math.log10(scale)))


# ---------------------------------------------------------------------------------------------
# Phase 1: districts, streets and communities.


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
    rest = np.array([i for i in _clockwise(points, core).tolist() if i != nearest], dtype=int)
    return np.concatenate([[nearest], rest]).astype(int)


def _village_mask(density: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """About 10 % of communities, the most rural ones, are villages (村)."""
    score = density * rng.lognormal(0.0, 0.35, len(density))
    return score <= np.quantile(score, 0.10)


def _plan_city(scale: int, rng: np.random.Generator) -> CityPlan:
    """Districts, streets and communities as nested Voronoi cells, smaller towards the core."""
    city = _city_frame(scale, rng)
    n_districts = _district_count(scale)
    points = _spread_points(city.outline, n_districts, rng, city.weight(0.25))
    district_km = _voronoi_cells(city.outline, points[_central_first(points, city.core)])
    street_counts = _allocate(50 * scale, _integrals(district_km, rng, city.weight(0.8)), 2)
    street_km, street_district = _split(district_km, street_counts, rng, city.weight(0.4))
    community_counts = _allocate(400 * scale, _integrals(street_km, rng, city.density), 2)
    community_km, community_street = _split(street_km, community_counts, rng, city.weight(0.5))

    district_codes = [f"{CODE_PREFIX}{i + 1:02d}" for i in range(n_districts)]
    street_codes = _child_codes(district_codes, street_district)
    community_codes = _child_codes(street_codes, community_street)
    wgs = _wgs84(community_km)
    reps = shapely.point_on_surface(np.array(wgs, dtype=object))
    lonlat = np.round(np.column_stack([shapely.get_x(reps), shapely.get_y(reps)]), 6)
    km_reps = shapely.point_on_surface(np.array(community_km, dtype=object))
    density = city.density(np.column_stack([shapely.get_x(km_reps), shapely.get_y(km_reps)]))
    kind = np.where(_village_mask(density, rng), "village", "urban")
    street_names, community_names = _unit_names(street_district, community_street, kind, rng)
    return CityPlan(
        district_codes=district_codes,
        district_names=_district_names(n_districts, rng),
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
    street_pool = NamePool(_street_stems(), rng)
    urban_pool = NamePool(_community_stems(), rng)
    village_pool = NamePool(_village_names(), rng)
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


def _geometry_rows(plan: CityPlan) -> dict[str, list[dict]]:
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
                "boundary": _geojson(polygon),
            }
        )
    return {"district": districts, "street": streets, "community": communities}


# ---------------------------------------------------------------------------------------------
# Phase 2: residents and households per community and year.


@dataclass
class Population:
    residents: np.ndarray  # (communities, years)
    households: np.ndarray

    @property
    def latest_residents(self) -> np.ndarray:
        return self.residents[:, -1]

    @property
    def latest_households(self) -> np.ndarray:
        return self.households[:, -1]


def _plan_population(plan: CityPlan, rng: np.random.Generator) -> Population:
    """Urban 3,000–15,000 residents (a few under 5,000), villages smaller, slow yearly change."""
    n, years = len(plan.community_codes), len(YEARS)
    urban = plan.community_kind == "urban"
    centrality = plan.community_density.argsort().argsort() / max(n - 1, 1)
    urban_base = rng.lognormal(math.log(9_300), 0.30, n) * (0.92 + 0.16 * centrality)
    base = np.where(urban, np.clip(urban_base, 3_000, 14_000), rng.uniform(1_500, 4_800, n))
    growth = np.where(urban, rng.normal(0.011, 0.012, n), rng.normal(-0.006, 0.008, n))
    steps = 1.0 + growth[:, None] + rng.normal(0.0, 0.004, (n, years))
    steps[:, 0] = 1.0
    residents = np.rint(base[:, None] * np.cumprod(steps, axis=1))
    residents = np.where(urban[:, None], np.clip(residents, 3_000, 15_000), residents)
    household_size = rng.uniform(2.6, 2.9, n)[:, None] - 0.006 * np.arange(years)[None, :]
    households = np.rint(residents / household_size)
    return Population(residents.astype(np.int64), households.astype(np.int64))


def _population_rows(plan: CityPlan, population: Population) -> list[dict]:
    return [
        {
            "community_code": code,
            "year": year,
            "resident_population": int(population.residents[c, y]),
            "households": int(population.households[c, y]),
        }
        for c, code in enumerate(plan.community_codes)
        for y, year in enumerate(YEARS)
    ]


# ---------------------------------------------------------------------------------------------
# Phase 3: grids, with a few deliberate defects for the coverage page.


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
            names.append(f"市第{_chinese_number(used + 1)}{place}专属网格")
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
    points = _spread_points(polygon, n, rng, lambda xy: np.ones(xy.shape[:-1]))
    centre = polygon.centroid
    points = points[_clockwise(points, (centre.x, centre.y))]
    cells = _voronoi_cells(polygon, points)
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
        households=[int(h) for h in general_hh] + dedicated_hh,
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
        grids[c].polygons[i] = _largest_polygon(widened.intersection(plan.community_km[c]))
    missing = [[False] * len(g.codes) for g in grids]
    for k in picks[:n_null].tolist():
        c, i = flat[k]
        missing[c][i] = True
    return missing


def _plan_grids(
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
    published = iter(_wgs84([p for g in grids for p in g.polygons]))
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
                    "boundary": None if missing[c][i] else _geojson(polygon),
                }
            )
    return rows


# ---------------------------------------------------------------------------------------------
# Phase 4: staff. Positions (slots) open and close; people fill them, leave and are replaced.


def _day(value: dt.date) -> int:
    return (value - EPOCH).days


def _dates(days: np.ndarray) -> list[dt.date]:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype(object).tolist()


def _month_start(days: np.ndarray) -> np.ndarray:
    return (
        days.astype("datetime64[D]")
        .astype("datetime64[M]")
        .astype("datetime64[D]")
        .astype(np.int64)
    )


def _next_month_start(days: np.ndarray) -> np.ndarray:
    months = days.astype("datetime64[D]").astype("datetime64[M]") + 1
    return months.astype("datetime64[D]").astype(np.int64)


def _year_of(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _year_start(years: np.ndarray) -> np.ndarray:
    return (years - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)


FIRST_DAY = _day(DEMO_FIRST_MONTH)
LAST_DAY = _day(DEMO_LAST_MONTH)
HISTORY_START = _day(dt.date(2006, 1, 1))
# Recruitment drives (months after the policy documents) add to a steady trickle of hires.
RECRUITMENT_DRIVES = {
    "2019-09": 5,
    "2020-09": 5,
    "2021-07": 7,
    "2022-09": 5,
    "2023-07": 5,
    "2024-09": 9,
    "2025-07": 7,
    "2026-07": 6,
}
COUNTED_ROLES = ("secretary", "committee", "staff", "grid_fulltime")
ROLE_ORDER = {
    role: i
    for i, role in enumerate((*COUNTED_ROLES, "grid_parttime", "public_welfare", "temporary"))
}
MEAN_TENURE_DAYS = 55 * 365.25  # about 2 % leave each year besides retirement
MIN_TENURE_DAYS = 60  # nobody leaves before the end of probation


def _month_weights() -> np.ndarray:
    weights = np.ones(MONTHS)
    for month, extra in RECRUITMENT_DRIVES.items():
        weights[_month_index(month)] += extra
    return weights / weights.sum()


MONTH_WEIGHTS = _month_weights()


class SlotTable:
    """Every post of the city: its community, role and grid, when it opened and when it closes."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.community: list[int] = []
        self.role: list[str] = []
        self.grid: list[str | None] = []
        self.open: list[int] = []
        self.close: list[int] = []

    def add(
        self, c: int, role: str, open_day: int, grid: str | None = None, close: int = NEVER
    ) -> None:
        self.community.append(c)
        self.role.append(role)
        self.grid.append(grid)
        self.open.append(open_day)
        self.close.append(close)

    def old_day(self) -> int:
        """A start before the data begin (2006–2018)."""
        return int(self.rng.integers(HISTORY_START, FIRST_DAY))

    def recruit_day(self) -> int:
        """A hiring date in the data period, mostly in recruitment drives, often the 1st."""
        month = int(self.rng.choice(MONTHS, p=MONTH_WEIGHTS))
        start = _day(PERIODS[month])
        offset = 0 if self.rng.random() < 0.4 else int(self.rng.integers(0, 28))
        return min(start + offset, LAST_DAY)

    def day_between(self, first: dt.date, last: dt.date) -> int:
        return int(self.rng.integers(_day(first), _day(last)))


def _per_10k_targets(plan: CityPlan, rng: np.random.Generator) -> np.ndarray:
    """Counted workers per 10,000 aimed at per community: around 18, a few far below."""
    n = len(plan.community_codes)
    # Districts and streets differ in how well they staff, so rankings have something to show.
    district_offset = rng.uniform(-2.6, 2.2, len(plan.district_codes))
    street_offset = rng.normal(0.0, 1.0, len(plan.street_codes))
    centre = 18.6 + district_offset[plan.community_district] + street_offset[plan.community_street]
    target = np.clip(rng.normal(centre, 2.0), 12.5, 26.0)
    far_below = rng.random(n) < 0.025
    return np.where(far_below, rng.uniform(9.0, 13.5, n), target)


@dataclass(frozen=True)
class CommunityPosts:
    """What one community's workforce looks like at the last data month."""

    c: int
    urban: bool
    counted: int  # secretary, committee, staff and full-time grid workers aimed at
    general: list[str]
    dedicated: list[str]


def _counted_slots(slots: SlotTable, posts: CommunityPosts, staffed: list[str]) -> int:
    """Secretary, committee, staff and full-time grid posts; returns how many grids got one."""
    rng, c = slots.rng, posts.c
    committee = int(rng.integers(4, 8) if posts.urban else rng.integers(3, 6))
    rest = max(posts.counted, committee + 2) - 1 - committee
    n_fulltime = min(len(staffed), round(rest * rng.uniform(0.35, 0.75)))
    # The workforce grows: part of the staff and full-time grid posts open after 2019.
    n_new = min(rest, round((rest + 1 + committee) * rng.uniform(0.14, 0.28)))
    new = set(rng.choice(rest, size=n_new, replace=False).tolist())
    slots.add(c, "secretary", slots.old_day())
    for _ in range(committee):
        slots.add(c, "committee", slots.old_day())
    for k in range(rest - n_fulltime):
        slots.add(c, "staff", slots.recruit_day() if k in new else slots.old_day())
    for k, grid in enumerate(staffed[:n_fulltime], start=rest - n_fulltime):
        opened = slots.recruit_day() if k in new else slots.old_day()
        slots.add(c, "grid_fulltime", opened, grid)
        if opened > FIRST_DAY and rng.random() < 0.4:  # a part-timer held the grid before
            slots.add(c, "grid_parttime", slots.old_day(), grid, close=opened)
    return n_fulltime


def _parttime_slots(
    slots: SlotTable, posts: CommunityPosts, parttime: list[str], unstaffed: list[str]
) -> None:
    """Part-time grid workers, and grids whose worker left without a successor."""
    rng, c = slots.rng, posts.c
    for grid in parttime + [g for g in posts.dedicated if rng.random() < 0.8]:
        opened = slots.recruit_day() if rng.random() < 0.15 else slots.old_day()
        slots.add(c, "grid_parttime", opened, grid)
    for grid in unstaffed:
        if rng.random() < 0.5:
            closed = slots.day_between(dt.date(2023, 1, 1), DEMO_LAST_MONTH)
            slots.add(c, "grid_parttime", slots.old_day(), grid, close=closed)


def _support_slots(slots: SlotTable, c: int) -> None:
    """Public-welfare posts and temporary staff, who do not count as community workers."""
    rng = slots.rng
    for _ in range(int(rng.integers(0, 4))):
        opened = slots.recruit_day() if rng.random() < 0.4 else slots.old_day()
        slots.add(c, "public_welfare", opened)
    for _ in range(int(rng.integers(1, 5))):
        # Some temporary posts were cut as burden reduction cleared out 临聘人员.
        cut = rng.random() < 0.25
        closed = slots.day_between(dt.date(2020, 1, 1), dt.date(2024, 12, 31)) if cut else NEVER
        slots.add(c, "temporary", slots.old_day(), close=closed)


def _community_slots(slots: SlotTable, posts: CommunityPosts) -> None:
    """All posts of one community; about 3.5 % of its general grids get no worker."""
    unstaffed = slots.rng.random(len(posts.general)) < 0.035
    order = slots.rng.permutation(len(posts.general)).tolist()
    staffed = [posts.general[i] for i in order if not unstaffed[i]]
    n_fulltime = _counted_slots(slots, posts, staffed)
    idle = [posts.general[i] for i in np.flatnonzero(unstaffed).tolist()]
    _parttime_slots(slots, posts, staffed[n_fulltime:], idle)
    _support_slots(slots, posts.c)


@dataclass
class People:
    slot: np.ndarray
    start: np.ndarray
    end: np.ndarray  # NEVER while still in post
    birth_year: np.ndarray


def _birth_years(start: np.ndarray, secretary: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Birth years 1962–2001 from an age at hiring of about 32 (secretaries older), 21–50."""
    n = len(start)
    age = np.where(secretary, 30 + rng.gamma(2.0, 3.5, n), 22 + rng.gamma(2.0, 5.0, n))
    year = _year_of(start)
    # Hired no older than 50, so nobody retires before they start.
    oldest, youngest = np.maximum(1962, year - 50), np.minimum(2001, year - 21)
    return np.clip(np.rint(year - age), oldest, youngest).astype(np.int64)


def _snap_some(
    days: np.ndarray, rng: np.random.Generator, snap: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """About 30 % of dates moved to the first of a month, as many contracts are."""
    return np.where(rng.random(len(days)) < 0.3, snap(days), days)


def _fill_slots(slots: SlotTable, rng: np.random.Generator) -> People:
    """Generation by generation: each holder leaves or retires and is replaced after a gap."""
    roles = np.array(slots.role)
    close = np.array(slots.close, dtype=np.int64)
    slot = np.arange(len(roles))
    start = np.array(slots.open, dtype=np.int64)
    out: list[tuple[np.ndarray, ...]] = []
    while len(slot):
        birth = _birth_years(start, roles[slot] == "secretary", rng)
        retire = _year_start(birth + rng.integers(58, 63, len(slot))) + rng.integers(
            0, 365, len(slot)
        )
        # Departures are memoryless from the start of the data: no history before 2019.
        tenure = MIN_TENURE_DAYS + rng.exponential(MEAN_TENURE_DAYS, len(slot)).astype(np.int64)
        leave = np.maximum(start, FIRST_DAY) + tenure
        natural = np.minimum(leave, retire)
        end = np.minimum(natural, close[slot])
        snapped = _snap_some(end, rng, _month_start)
        end = np.where(snapped > start, snapped, end)
        ended = end <= LAST_DAY
        out.append((slot, start, np.where(ended, end, NEVER), birth))
        nxt = _snap_some(end + rng.integers(0, 120, len(slot)), rng, _next_month_start)
        again = ended & (natural < close[slot]) & (nxt <= LAST_DAY) & (nxt < close[slot])
        slot, start = slot[again], nxt[again]
    return People(*(np.concatenate(parts) for parts in zip(*out, strict=True)))


def _certificates(people: People, counted: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Licensed about 30 % in 2019 and 55 % now: new hires certify, leavers mostly had none."""
    n = len(people.slot)
    hired_year = _year_of(people.start)
    veteran = people.start < FIRST_DAY
    stayed = people.end == NEVER
    p_old = np.where(stayed, 0.40, 0.12)
    p_new = np.minimum(0.92, 0.62 + 0.05 * (hired_year - DEMO_FIRST_MONTH.year))
    p = np.where(veteran, p_old, p_new)
    p = np.where(counted, p, p * 0.35)
    licensed = rng.random(n) < p
    level = rng.random(n)
    grade = np.where(level < 0.78, "junior", np.where(level < 0.97, "intermediate", "senior"))
    return np.where(licensed, grade, "none")


def _plan_staff(
    plan: CityPlan, population: Population, grids: GridPlan, rng: np.random.Generator
) -> list[dict]:
    targets = _per_10k_targets(plan, rng)
    slots = SlotTable(rng)
    for c in range(len(plan.community_codes)):
        posts = CommunityPosts(
            c=c,
            urban=bool(plan.community_kind[c] == "urban"),
            counted=round(targets[c] * population.latest_residents[c] / 10_000),
            general=grids.general[c],
            dedicated=grids.dedicated[c],
        )
        _community_slots(slots, posts)
    return _staff_rows(plan, slots, _fill_slots(slots, rng), rng)


def _staff_rows(
    plan: CityPlan, slots: SlotTable, people: People, rng: np.random.Generator
) -> list[dict]:
    """One row per person, numbered S00000001… by community, role and start date."""
    roles = np.array(slots.role)[people.slot]
    community = np.array(slots.community)[people.slot]
    certificate = _certificates(people, np.isin(roles, COUNTED_ROLES), rng)
    role_rank = np.array([ROLE_ORDER[r] for r in roles.tolist()])
    order = np.lexsort((people.slot, people.start, role_rank, community))
    starts = _dates(people.start[order])
    ends = _dates(np.where(people.end == NEVER, 0, people.end)[order])
    return [
        {
            "staff_code": f"S{k + 1:08d}",
            "community_code": plan.community_codes[community[i]],
            "role": str(roles[i]),
            "certificate": str(certificate[i]),
            "birth_year": int(people.birth_year[i]),
            "start_date": starts[k],
            "end_date": None if people.end[i] == NEVER else ends[k],
            "grid_code": slots.grid[people.slot[i]],
        }
        for k, i in enumerate(order.tolist())
    ]


# ---------------------------------------------------------------------------------------------
# Phase 5: facilities.


def _point_in(
    polygon: Polygon, rng: np.random.Generator, near: Point | None = None
) -> tuple[float, float]:
    """A random km point inside polygon (within 150 m of near when given), kept off the edge."""
    area = polygon.buffer(-0.02)
    if near is not None:
        area = area.intersection(near.buffer(0.15))
    area = _largest_polygon(area) or polygon
    x, y = _sample_in(area, 1, rng)[0]
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


def _plan_facilities(plan: CityPlan, rng: np.random.Generator) -> list[dict]:
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
            lon, lat = _to_lonlat(np.array([[x, y]]))[0]
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


# ---------------------------------------------------------------------------------------------
# Phase 6: burden records, month by month, falling in steps at policy dates.


@dataclass(frozen=True)
class BurdenProfile:
    """How one category starts in 2019 and falls at policy dates (seed figures of DESIGN §5.2)."""

    baseline: tuple[float, float]
    end_ratio: tuple[float, float]
    steps: tuple[tuple[str, float], ...]  # policy month, share of the whole fall
    monthly_flow: bool  # counts of events that vary month to month, not standing lists


BURDEN_PROFILES = {
    "work_items": BurdenProfile(
        baseline=(100, 170),
        end_ratio=(0.28, 0.42),
        steps=(("2019-11", 0.6), ("2022-01", 0.25), ("2024-06", 0.15)),
        monthly_flow=False,
    ),
    "certificates": BurdenProfile(
        baseline=(20, 30),
        end_ratio=(0.08, 0.25),
        steps=(("2020-12", 0.7), ("2022-01", 0.15), ("2024-06", 0.15)),
        monthly_flow=False,
    ),
    "forms": BurdenProfile(
        baseline=(120, 180),
        end_ratio=(0.07, 0.25),
        steps=(("2020-07", 0.65), ("2022-01", 0.15), ("2024-06", 0.2)),
        monthly_flow=False,
    ),
    "signboards": BurdenProfile(
        baseline=(6, 14),
        end_ratio=(0.2, 0.35),
        steps=(("2019-11", 0.3), ("2020-12", 0.4), ("2024-06", 0.3)),
        monthly_flow=False,
    ),
    "mechanisms": BurdenProfile(
        baseline=(12, 18),
        end_ratio=(0.25, 0.4),
        steps=(("2020-07", 0.4), ("2022-01", 0.3), ("2024-06", 0.3)),
        monthly_flow=False,
    ),
    "meetings": BurdenProfile(
        baseline=(10, 15),
        end_ratio=(0.35, 0.5),
        steps=(("2019-11", 0.4), ("2022-01", 0.3), ("2024-06", 0.3)),
        monthly_flow=True,
    ),
    "inspections": BurdenProfile(
        baseline=(2, 3.4),
        end_ratio=(0.3, 0.5),
        steps=(("2020-07", 0.5), ("2022-01", 0.2), ("2024-06", 0.3)),
        monthly_flow=True,
    ),
    "ledgers": BurdenProfile(
        baseline=(30, 40),
        end_ratio=(0.25, 0.35),
        steps=(("2020-12", 0.5), ("2022-01", 0.2), ("2024-06", 0.3)),
        monthly_flow=False,
    ),
    "apps": BurdenProfile(
        baseline=(10, 12.5),
        end_ratio=(0.28, 0.45),
        steps=(("2022-01", 0.6), ("2024-06", 0.4)),
        monthly_flow=False,
    ),
    "creation_tasks": BurdenProfile(
        baseline=(5, 8.5),
        end_ratio=(0.25, 0.4),
        steps=(("2019-11", 0.4), ("2022-01", 0.3), ("2024-06", 0.3)),
        monthly_flow=True,
    ),
}
SINGLE_REBOUND_CATEGORIES = (
    "meetings",
    "inspections",
    "ledgers",
    "apps",
    "creation_tasks",
    "certificates",
    "signboards",
    "work_items",
)
REBOUND_DISTRICT_FROM = dt.date(2026, 1, 1)
GAP_FREE_RECENT_MONTHS = 3  # the latest months are complete, so "current" is whole
MISSING_SHARE = 0.01


def _burden_levels(profile: BurdenProfile, plan: CityPlan, rng: np.random.Generator) -> np.ndarray:
    """Non-increasing integer levels (communities, months) that fall in ramps after each policy."""
    n, districts = len(plan.community_codes), len(plan.district_codes)
    district = plan.community_district
    village = plan.community_kind == "village"
    base = rng.uniform(*profile.baseline, n) * np.where(village, 0.8, 1.0)
    ratio = rng.uniform(*profile.end_ratio, n) * rng.uniform(0.85, 1.2, districts)[district]
    ratio = np.clip(ratio, 0.02, 0.95)
    months = np.arange(MONTHS)[None, :]
    fallen = np.zeros((n, MONTHS))
    for month, share in profile.steps:
        delay = rng.integers(0, 3, districts)[district]  # districts act a little later
        ramp = rng.integers(1, 4, n)
        begin = _month_index(month) + delay
        fallen += share * np.clip((months - begin[:, None] + 1) / ramp[:, None], 0.0, 1.0)
    return np.rint(base[:, None] * (1.0 - (1.0 - ratio[:, None]) * fallen))


def _noise(levels: np.ndarray, flow: bool, rng: np.random.Generator) -> np.ndarray:
    """Upward noise under 10 % of the level, so a falling series never looks like a rebound."""
    allowed = np.maximum((levels.astype(np.int64) - 1) // 10, 0)
    noise = np.floor(rng.random(levels.shape) * (allowed + 1))
    if not flow:
        noise = np.where(rng.random(levels.shape) < 0.12, noise, 0)
    return noise


def _creep(level: np.ndarray, months: int, extra: float) -> np.ndarray:
    """Adds a rise reaching extra over the last months of a series."""
    steps = np.ceil(extra * np.arange(1, months + 1) / months)
    level[-months:] = level[-months:] + steps
    return level


def _rebound_district(plan: CityPlan) -> int:
    """The smallest district outside the centre, where forms creep back in 2026."""
    sizes = np.bincount(plan.community_district, minlength=len(plan.district_codes))
    if len(sizes) == 1:
        return 0
    return 1 + int(np.argmin(sizes[1:]))


def _add_rebounds(counts: np.ndarray, plan: CityPlan, rng: np.random.Generator) -> None:
    """Forms creep back in most of one district in 2026; a handful of single communities too."""
    forms = BURDEN_CATEGORIES.index("forms")
    district = _rebound_district(plan)
    in_district = np.flatnonzero(plan.community_district == district)
    months = MONTHS - _month_index(REBOUND_DISTRICT_FROM)
    # Two communities in three are enough for the district's summed series to rebound too.
    for c in in_district[rng.random(len(in_district)) < 0.65].tolist():
        low = counts[c, forms, -months - 1]
        _creep(counts[c, forms], months, 0.3 * low + 2)
    others = np.flatnonzero(plan.community_district != district)
    n_single = max(4, round(0.01 * len(plan.community_codes)))
    for c in rng.choice(others, size=min(n_single, len(others)), replace=False).tolist():
        k = BURDEN_CATEGORIES.index(str(rng.choice(SINGLE_REBOUND_CATEGORIES)))
        months_up = int(rng.integers(1, 4))
        low = counts[c, k, -months_up - 1]
        _creep(counts[c, k], months_up, max(2.0, math.ceil(0.3 * low)))


def _street_sums(counts: np.ndarray, street: np.ndarray) -> np.ndarray:
    sums = np.zeros((street.max() + 1, *counts.shape[1:]), dtype=np.int64)
    np.add.at(sums, street, counts)
    return sums


def _highest_ahead(sums: np.ndarray) -> np.ndarray:
    """For each month, the highest value of the 12 months after it (huge for the last month)."""
    ahead = np.full_like(sums, np.iinfo(np.int64).max // 16)
    for t in range(MONTHS - 1):
        ahead[:, :, t] = sums[:, :, t + 1 : t + 13].max(axis=2)
    return ahead


def _one_per_street_month(
    cells: tuple[np.ndarray, np.ndarray], street: np.ndarray, draw: np.ndarray
) -> np.ndarray:
    """Indices into cells: per street and month the cell with the lowest draw, lowest first."""
    c, t = cells
    order = np.lexsort((draw[c, t], t, street[c]))
    key = street[c][order] * MONTHS + t[order]
    first = order[np.r_[True, key[1:] != key[:-1]]]
    return first[np.argsort(draw[c[first], t[first]], kind="stable")]


def _missing_months(counts: np.ndarray, plan: CityPlan, rng: np.random.Generator) -> np.ndarray:
    """About 1 % of community-months unreported, never where the gap would fake a rebound.

    A missing month lowers its street's summed series; it is safe when each of the next 12
    months stays under 1.1 × the lowered sum in every category. Months safe for a street are
    safe for its district and the city too. Gaps are added in rounds of at most one per street
    and month, each round checked against the sums that earlier rounds lowered.
    """
    n, street = len(plan.community_codes), plan.community_street
    ahead = _highest_ahead(_street_sums(counts, street))[street]
    draw = rng.random((n, MONTHS))
    allowed = np.zeros((n, MONTHS), dtype=bool)
    allowed[:, 2 : MONTHS - GAP_FREE_RECENT_MONTHS] = True
    missing = np.zeros((n, MONTHS), dtype=bool)
    target = round(MISSING_SHARE * n * MONTHS)
    for _ in range(4):
        wanted = target - int(missing.sum())
        if wanted <= 0:
            break
        lowered = _street_sums(counts * ~missing[:, None, :], street)[street] - counts
        safe = allowed & ~missing & np.all(ahead * 10 < lowered * 11, axis=1)
        cells = np.nonzero(safe)
        if len(cells[0]) == 0:
            break
        chosen = _one_per_street_month(cells, street, draw)[:wanted]
        missing[cells[0][chosen], cells[1][chosen]] = True
    return missing


def _plan_burden(plan: CityPlan, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Counts (communities, categories, months) and which community-months were reported."""
    levels = np.stack(
        [_burden_levels(BURDEN_PROFILES[k], plan, rng) for k in BURDEN_CATEGORIES], axis=1
    )
    noise = np.stack(
        [
            _noise(levels[:, i], BURDEN_PROFILES[k].monthly_flow, rng)
            for i, k in enumerate(BURDEN_CATEGORIES)
        ],
        axis=1,
    )
    counts = np.maximum(levels + noise, 0).astype(np.int64)
    _add_rebounds(counts, plan, rng)
    return counts, ~_missing_months(counts, plan, rng)


def _burden_rows(codes: Sequence[str], counts: np.ndarray, present: np.ndarray) -> Iterator[dict]:
    """Rows by community, category and month, skipping the months a community did not report."""
    for c, code in enumerate(codes):
        months = np.flatnonzero(present[c])
        for k, category in enumerate(BURDEN_CATEGORIES):
            values = counts[c, k, months].tolist()
            for t, value in zip(months.tolist(), values, strict=True):
                yield {
                    "community_code": code,
                    "category": category,
                    "period": PERIODS[t],
                    "count": value,
                }


# ---------------------------------------------------------------------------------------------
# Writing: one transaction, chunked executemany, progress per phase and chunk.


class _Progress:
    """Maps a phase and the fraction done within it onto the whole build."""

    def __init__(self, callback: ProgressFn | None) -> None:
        self._callback = callback

    def __call__(self, phase: str, within: float = 0.0) -> None:
        if self._callback is not None:
            low, high = PHASE_SPANS[phase]
            self._callback(low + (high - low) * min(max(within, 0.0), 1.0), phase)

    def within(self, phase: str, low: float = 0.0, high: float = 1.0) -> Callable[[float], None]:
        return lambda done: self(phase, low + (high - low) * done)


def _chunks(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert(
    conn: Connection,
    table_name: str,
    rows: Iterable[dict],
    total: int,
    on_progress: Callable[[float], None] | None = None,
) -> int:
    """Inserts rows in chunks of CHUNK_ROWS; returns how many were written."""
    table = Base.metadata.tables[table_name]
    written = 0
    for chunk in _chunks(rows, CHUNK_ROWS):
        conn.execute(insert(table), chunk)
        written += len(chunk)
        if on_progress is not None:
            on_progress(written / max(total, 1))
    return written


def _require_empty(conn: Connection) -> None:
    inspector = inspect(conn)
    if not inspector.has_table("community"):
        raise ValueError("the database has no schema yet: run `python -m data_access init` first")
    for name in DATA_TABLES:
        table = Base.metadata.tables[name]
        if conn.execute(select(table).limit(1)).first() is not None:
            raise ValueError(f"the database is not empty: table {name} has rows")


def _record_batch(conn: Connection, scale: int, seed: int, written: dict[str, int]) -> None:
    message = (
        f"{DEMO_CITY_NAME} demo city: {written['district']} districts, {written['street']} streets, "
        f"{written['community']} communities, {written['grid']} grids, "
        f"{written['staff_member']} staff, {written['facility']} facilities, "
        f"{written['burden_record']} burden records"
    )
    conn.execute(
        insert(Base.metadata.tables["import_batch"]),
        {
            "kind": DEMO_KIND,
            "file_name": f"demo:scale={scale},seed={seed}",
            "sha256": None,
            "rows": sum(written.values()),
            "imported_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
            "status": "accepted",
            "message": message,
        },
    )


def _write_city(
    conn: Connection, scale: int, streams: Sequence[np.random.Generator], notify: _Progress
) -> dict[str, int]:
    geometry_rng, population_rng, grid_rng, staff_rng, facility_rng, burden_rng = streams
    written: dict[str, int] = {}
    notify("geometry")
    plan = _plan_city(scale, geometry_rng)
    for name, rows in _geometry_rows(plan).items():
        written[name] = _insert(conn, name, rows, len(rows))
    notify("population")
    population = _plan_population(plan, population_rng)
    rows = _population_rows(plan, population)
    written["community_population"] = _insert(conn, "community_population", rows, len(rows))
    notify("grids")
    grids = _plan_grids(plan, population, grid_rng, notify.within("grids", 0.0, 0.7))
    written["grid"] = _insert(
        conn, "grid", grids.rows, len(grids.rows), notify.within("grids", 0.7)
    )
    notify("staff")
    staff = _plan_staff(plan, population, grids, staff_rng)
    written["staff_member"] = _insert(
        conn, "staff_member", staff, len(staff), notify.within("staff", 0.5)
    )
    notify("facilities")
    facilities = _plan_facilities(plan, facility_rng)
    written["facility"] = _insert(conn, "facility", facilities, len(facilities))
    notify("burden")
    counts, present = _plan_burden(plan, burden_rng)
    total = int(present.sum()) * len(BURDEN_CATEGORIES)
    rows_iter = _burden_rows(plan.community_codes, counts, present)
    written["burden_record"] = _insert(
        conn, "burden_record", rows_iter, total, notify.within("burden", 0.05)
    )
    return written


def build_demo(
    engine: Engine,
    scale: int = 1,
    seed: int = 2024,
    progress: ProgressFn | None = None,
) -> DemoSummary:
    """Fills an empty, migrated database with the demo city; raises ValueError if it is not empty."""
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be a whole number of at least 1, not {scale!r}")
    started = time.perf_counter()
    notify = _Progress(progress)
    # One independent stream per phase, so each phase's draws do not shift the others.
    streams = np.random.default_rng(seed).spawn(6)
    with engine.begin() as conn:
        _require_empty(conn)
        written = _write_city(conn, scale, streams, notify)
        _record_batch(conn, scale, seed, written)
    notify("done", 1.0)
    return DemoSummary(
        districts=written["district"],
        streets=written["street"],
        communities=written["community"],
        grids=written["grid"],
        staff=written["staff_member"],
        facilities=written["facility"],
        burden_records=written["burden_record"],
        seconds=time.perf_counter() - started,
    )
