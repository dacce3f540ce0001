"""A hand-made district where some grids, and one street altogether, have no boundary; every
figure of the grid-coverage tests on it is worked out below.

As-of date AS_OF = 2025-06-30. Squares are lon/lat boxes near 114°E 31°N; each community is
[114.00, 114.02] wide, 0.01° of latitude high.

| community | boundary | grids (households): boundary | what is known |
|---|---|---|---|
| P 990301001001 | [31.00, 31.01] | P1 (400): [114.00, 114.01]; P2 (300): [114.01, 114.015] | all grids drawn: a real blind spot, P's east quarter |
| Q 990301001002 | [31.01, 31.02] | Q1 (350): [114.00, 114.01]; Q2 (450): none | the east half may be Q2's: unknown |
| R 990301001003 | [31.02, 31.03] | R1 (300): [114.00, 114.012]; R2 (500): [114.008, 114.02]; R3 (20, dedicated): none | fully covered whatever R3 is: known, 100 %; R1 and R2 overlap on [114.008, 114.012], a real overlap |
| S 990301001004 | [31.03, 31.04] | S1 (400), S2 (400): none | unknown |
| T 990301002001 | none | T1 (500), T2 (300): none | unknown (no area) |
| U 990301002002 | none | U1 (600): none | unknown (no area) |

Street 990301001 (东街道) holds P, Q, R, S; street 990301002 (西街道), T and U, has no boundary
at all: a street imported without boundaries.

- Spatial coverage of the district and of street 001 = (¾ area P + area R) / (area P + area R):
  Q and S are unknown, T and U have no area. One blind spot, P's east quarter (¼ area P); one
  overlap, in R (⅕ area R). Street 002: unknown (empty), no blind spot, no overlap.
- Grids without boundary: Q2, R3, S1, S2 (street 001: 4) and T1, T2, U1 (street 002: 3): 7.
  Communities whose coverage is unknown: Q, S (street 001) and T, U (street 002): 4.
- Reach (1,000 m): one facility at P1's centre. P1 (0 m) and P2 (about 715 m) are reached; Q1
  (about 1,112 m), R1 and R2 are not. Reach = (400 + 300) / (400 + 300 + 350 + 300 + 500) over
  the grids with a boundary; street 002 has none: unknown.
- Problem list (有盲区或重叠的社区): P (its blind spot), then R (its overlap); nothing in street 002.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Engine, insert

from data_access.models import Community, CommunityPopulation, District, Facility, Grid, Street
from tests.small_city import refresh_all_summaries

AS_OF = dt.date(2025, 6, 30)
DISTRICT, EAST, WEST = "990301", "990301001", "990301002"
P, Q, R, S = (f"{EAST}00{i}" for i in (1, 2, 3, 4))
T, U = f"{WEST}001", f"{WEST}002"


def square(west: float, south: float, east: float, north: float) -> str:
    """GeoJSON text of a lon/lat box, counter-clockwise."""
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


# code, name, street, south edge (None: no boundary)
COMMUNITIES = [
    (P, "甲社区", EAST, 31.00),
    (Q, "乙社区", EAST, 31.01),
    (R, "丙社区", EAST, 31.02),
    (S, "丁社区", EAST, 31.03),
    (T, "戊村", WEST, None),
    (U, "己村", WEST, None),
]
SOUTH = {code: south for code, _, _, south in COMMUNITIES}


def box(south: float, west: float, east: float) -> str:
    """A box 0.01° of latitude high from `south`, between `west` and `east`."""
    return square(west, south, east, round(south + 0.01, 2))


def grid_box(community: str, west: float, east: float) -> str:
    south = SOUTH[community]
    assert south is not None
    return box(south, west, east)


# code, community, kind, households, boundary
GRIDS = [
    (P + "001", P, "general", 400, grid_box(P, 114.00, 114.01)),
    (P + "002", P, "general", 300, grid_box(P, 114.01, 114.015)),
    (Q + "001", Q, "general", 350, grid_box(Q, 114.00, 114.01)),
    (Q + "002", Q, "general", 450, None),
    (R + "001", R, "general", 300, grid_box(R, 114.00, 114.012)),
    (R + "002", R, "general", 500, grid_box(R, 114.008, 114.02)),
    (R + "003", R, "dedicated", 20, None),
    (S + "001", S, "general", 400, None),
    (S + "002", S, "general", 400, None),
    (T + "001", T, "general", 500, None),
    (T + "002", T, "general", 300, None),
    (U + "001", U, "general", 600, None),
]
FACILITY = ("F1", "甲社区党群服务中心", P, 114.005, 31.005)  # P1's centre


def build_unknown_coverage_city(engine: Engine) -> None:
    """Writes the district, and its summaries, into a migrated, empty database."""
    with engine.begin() as connection:
        connection.execute(insert(District), [{"code": DISTRICT, "name": "半图区"}])
        connection.execute(
            insert(Street),
            [
                {"code": EAST, "name": "东街道", "district_code": DISTRICT},
                {"code": WEST, "name": "西街道", "district_code": DISTRICT},
            ],
        )
        connection.execute(
            insert(Community),
            [
                {
                    "code": code,
                    "name": name,
                    "street_code": street,
                    "kind": "urban" if street == EAST else "village",
                    "boundary": None if south is None else box(south, 114.00, 114.02),
                }
                for code, name, street, south in COMMUNITIES
            ],
        )
        connection.execute(
            insert(CommunityPopulation),
            [
                {
                    "community_code": code,
                    "year": 2025,
                    "resident_population": 3000,
                    "households": 1000,
                }
                for code, _, _, _ in COMMUNITIES
            ],
        )
        connection.execute(
            insert(Grid),
            [
                {
                    "code": code,
                    "name": f"网格{code[-4:]}",
                    "community_code": community,
                    "kind": kind,
                    "households": households,
                    "has_party_branch": False,
                    "boundary": boundary,
                }
                for code, community, kind, households, boundary in GRIDS
            ],
        )
        code, name, community, lon, lat = FACILITY
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
            ],
        )
        refresh_all_summaries(connection)
