"""A hand-made district with square boundaries for the grid-coverage tests; every figure worked out below.

As-of date AS_OF = 2025-06-30. Squares are lon/lat boxes near 114°E 30°N.

| grid | community | kind | households | boundary | grid worker on AS_OF | party branch |
|---|---|---|---|---|---|---|
| A1 990201001001001 | A | general | 400 | [114.00, 114.01] × [30.00, 30.01] | full-time | yes |
| A2 990201001001002 | A | general | 600 (above 500) | [114.01, 114.025] × [30.00, 30.01]: reaches 0.005° outside A | part-time | no |
| A3 990201001001003 | A | dedicated | 20 (not size-checked) | none | full-time who left 2025-01-31 | no |
| B1 990201001002001 | B | general | 350 | [114.00, 114.01] × [30.01, 30.02] | full-time whose end date is AS_OF (gone) | yes |
| B2 990201001002002 | B | general | 200 (below 300) | none | part-time | no |
| B3 990201001002003 | B | general | 450 | [114.005, 114.01] × [30.01, 30.02], inside B1 | full-time starting on AS_OF | yes |
| C1 990201002001001 | C | general | 500 (the upper bound, in range) | none | none | no |

Communities: A 990201001001 = [114.00, 114.02] × [30.00, 30.01], households 1,200 (2025);
B 990201001002 = [114.00, 114.02] × [30.01, 30.02], households 1,000 (2024); C 990201002001
without boundary or population.

- Staffed: A1, A2, B2, B3 = 4 of 7; full-time: A1, B3. Street 001: 4 of 6.
- Size: general grids 6, in 300–500: A1, B1, B3, C1; A2 above, B2 below; A3 dedicated.
- Households: street 001 (400 + 600 + 20 + 350 + 200 + 450) / (1,200 + 1,000) = 2,020 / 2,200;
  C's 500 are in grids but C's households are unknown, so the district shows 2,020 / 2,200 too.
- Space: A fully covered (A2 clipped at A's edge), whatever A3 is. B's grids with a boundary
  cover its west half, with B3 overlapping B1 on a quarter of B; its east half may be B2's, which
  has no boundary, so B's coverage is unknown (no blind spot), its overlap real. C has no
  boundary: unknown. Spatial coverage: A's alone, 100 %.
- Reach (1,000 m): F1 999 m due south of A1's centre; F2 1,001 m due south of A2's centre;
  F3 (registered in community C) 500 m due north of B3's centre, about 555 m from B1's.
  Reached: A1, B1, B3 = 400 + 350 + 450 of 400 + 600 + 350 + 450 households = 2/3.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Engine, insert

from data_access.coverage import METRES_PER_DEGREE
from data_access.models import (
    Community,
    CommunityPopulation,
    District,
    Facility,
    Grid,
    StaffMember,
    Street,
)
from tests.small_city import refresh_all_summaries

AS_OF = dt.date(2025, 6, 30)
LONG_AGO = dt.date(2020, 1, 1)


def square(west: float, south: float, east: float, north: float) -> str:
    """GeoJSON text of a lon/lat box, counter-clockwise."""
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


A, B, C = "990201001001", "990201001002", "990201002001"
COMMUNITIES = [
    (A, "甲社区", "990201001", square(114.00, 30.00, 114.02, 30.01)),
    (B, "乙社区", "990201001", square(114.00, 30.01, 114.02, 30.02)),
    (C, "丙村", "990201002", None),
]
# code, community, kind, households, boundary, party branch
GRIDS = [
    (A + "001", A, "general", 400, square(114.00, 30.00, 114.01, 30.01), True),
    (A + "002", A, "general", 600, square(114.01, 30.00, 114.025, 30.01), False),
    (A + "003", A, "dedicated", 20, None, False),
    (B + "001", B, "general", 350, square(114.00, 30.01, 114.01, 30.02), True),
    (B + "002", B, "general", 200, None, False),
    (B + "003", B, "general", 450, square(114.005, 30.01, 114.01, 30.02), True),
    (C + "001", C, "general", 500, None, False),
]
# grid, role, start, end
GRID_WORKERS = [
    (A + "001", "grid_fulltime", LONG_AGO, None),
    (A + "002", "grid_parttime", LONG_AGO, None),
    (A + "003", "grid_fulltime", LONG_AGO, dt.date(2025, 1, 31)),
    (B + "001", "grid_fulltime", LONG_AGO, AS_OF),  # the end date is exclusive
    (B + "002", "grid_parttime", LONG_AGO, None),
    (B + "003", "grid_fulltime", AS_OF, None),  # the start date is inclusive
]


def metres_north(metres: float) -> float:
    """Degrees of latitude of a due-north great-circle distance."""
    return metres / METRES_PER_DEGREE


FACILITIES = [
    # code, name, community, lon, lat
    ("F1", "甲社区党群服务中心", A, 114.005, 30.005 - metres_north(999)),
    ("F2", "甲社区养老服务站", A, 114.0175, 30.005 - metres_north(1001)),
    ("F3", "丙村卫生室", C, 114.0075, 30.015 + metres_north(500)),
]


def build_grid_city(engine: Engine, refresh: bool = True) -> None:
    """Writes the district into a migrated, empty database (its summaries too, unless not
    `refresh`)."""
    with engine.begin() as connection:
        connection.execute(insert(District), [{"code": "990201", "name": "方格区"}])
        connection.execute(
            insert(Street),
            [
                {"code": "990201001", "name": "北街道", "district_code": "990201"},
                {"code": "990201002", "name": "南街道", "district_code": "990201"},
            ],
        )
        connection.execute(
            insert(Community),
            [
                {"code": c, "name": n, "street_code": s, "kind": "urban", "boundary": b}
                for c, n, s, b in COMMUNITIES
            ],
        )
        connection.execute(
            insert(CommunityPopulation),
            [
                {
                    "community_code": A,
                    "year": 2025,
                    "resident_population": 3000,
                    "households": 1200,
                },
                {
                    "community_code": B,
                    "year": 2024,
                    "resident_population": 2600,
                    "households": 1000,
                },
            ],
        )
        connection.execute(
            insert(Grid),
            [
                {
                    "code": g,
                    "name": f"网格{g[-4:]}",
                    "community_code": c,
                    "kind": k,
                    "households": h,
                    "has_party_branch": p,
                    "boundary": b,
                }
                for g, c, k, h, b, p in GRIDS
            ],
        )
        connection.execute(
            insert(StaffMember),
            [
                {
                    "staff_code": f"G{index:03d}",
                    "community_code": grid[:12],
                    "role": role,
                    "certificate": "none",
                    "birth_year": 1985,
                    "start_date": start,
                    "end_date": end,
                    "grid_code": grid,
                }
                for index, (grid, role, start, end) in enumerate(GRID_WORKERS)
            ],
        )
        connection.execute(
            insert(Facility),
            [
                {
                    "code": code,
                    "name": name,
                    "community_code": community,
                    "kind": "service_centre",
                    "lon": lon,
                    "lat": lat,
                    "floor_area_m2": 500.0,
                }
                for code, name, community, lon, lat in FACILITIES
            ],
        )
        if refresh:
            refresh_all_summaries(connection)
