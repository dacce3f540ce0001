"""A small city for the staffing planner; every expected number is worked out below.

As-of date AS_OF = 2025-06-30; standard 18 per 10,000, minimum 9.

| community     | population (history)                 | counted | required | gap |
|---------------|--------------------------------------|---------|----------|-----|
| A 980101001001 | 10,000 (2023: 9,400)                | 10      | 18       | 8   |
| B 980101001002 | 10,000 (2020: 5,000, too old)       | 10      | 18       | 8   |
| C 980101001003 | 4,000                               | 8       | 9        | 1   |
| D 980101002001 | 20,000 (2022: 18,500)               | 24      | 36       | 12  |
| E 980101002002 | 6,000 (2024: 6,100)                 | 13      | 11       | -2  |
| F 980101002003 | 5,000 (2024: 4,800)                 | 6       | 9        | 3   |
| G 980102001001 | 3,000                               | 9       | 9        | 0   |
| H 980102001002 | none                                | 5       | —        | —   |

C has 20 per 10,000, above the standard, yet misses the minimum of 9.
City: 80 workers (85 with H's) / 58,000 residents = 13.79 per 10,000; gap 32, net 30;
2 of 7 communities meet the standard (E, G); 2 are below 9 (C, F); the area needs
ceil(104.4) − 80 = 25 posts to reach 18 per 10,000.

Growth (average yearly change over at most 3 years): A 10,300 (+300 a year) → required 19;
D 20,500 (+500) → 37; E 5,900 (−100) → 11; F 5,200 (+200) → 10; B, C, G unchanged.
"""

from __future__ import annotations

import datetime as dt
from itertools import count

from sqlalchemy import Engine, insert

from data_access.models import BurdenRecord, CommunityPopulation, StaffMember
from data_access.partitions import ensure_month_partitions
from tests.small_city import insert_units, refresh_all_summaries

AS_OF = dt.date(2025, 6, 30)
LONG_AGO = dt.date(2020, 1, 1)

DISTRICTS = [("980101", "北区"), ("980102", "南区")]
STREETS = [
    ("980101001", "青山街道", "980101"),
    ("980101002", "绿水街道", "980101"),
    ("980102001", "白云街道", "980102"),
]
COMMUNITIES = [
    ("980101001001", "甲社区", "980101001"),
    ("980101001002", "乙社区", "980101001"),
    ("980101001003", "丙社区", "980101001"),
    ("980101002001", "丁社区", "980101002"),
    ("980101002002", "戊社区", "980101002"),
    ("980101002003", "己社区", "980101002"),
    ("980102001001", "庚社区", "980102001"),
    ("980102001002", "辛社区", "980102001"),
]
A, B, C, D, E, F, G, H = (code for code, _, _ in COMMUNITIES)
POPULATION = [
    (A, 2023, 9400),
    (A, 2025, 10000),
    (B, 2020, 5000),
    (B, 2025, 10000),
    (C, 2025, 4000),
    (D, 2022, 18500),
    (D, 2025, 20000),
    (E, 2024, 6100),
    (E, 2025, 6000),
    (F, 2024, 4800),
    (F, 2025, 5000),
    (G, 2025, 3000),
]
COUNTED = {A: 10, B: 10, C: 8, D: 24, E: 13, F: 6, G: 9, H: 5}


def build_planner_city(engine: Engine) -> None:
    """Writes the planner city into a migrated, empty database."""
    codes = (f"P{n:07d}" for n in count(1))
    with engine.begin() as connection:
        insert_units(connection, DISTRICTS, STREETS, COMMUNITIES)
        connection.execute(
            insert(CommunityPopulation),
            [
                {"community_code": c, "year": y, "resident_population": p, "households": p // 3}
                for c, y, p in POPULATION
            ],
        )
        staff = [
            staff_row(next(codes), community, "secretary" if index == 0 else "staff", LONG_AGO)
            for community, number in COUNTED.items()
            for index in range(number)
        ]
        # A temporary worker is not counted, and must not take a post's place.
        staff.append(staff_row(next(codes), A, "temporary", LONG_AGO))
        connection.execute(insert(StaffMember), staff)
        # Burden months make 2025-01 … 2025-06 the months the filters offer.
        ensure_month_partitions(connection, [dt.date(2025, 1, 1), dt.date(2025, 6, 1)])
        connection.execute(
            insert(BurdenRecord),
            [
                {
                    "community_code": A,
                    "category": "forms",
                    "period": dt.date(2025, m, 1),
                    "count": 5,
                }
                for m in (1, 6)
            ],
        )
        refresh_all_summaries(connection)


def staff_row(code: str, community: str, role: str, start: dt.date) -> dict[str, object]:
    return {
        "staff_code": code,
        "community_code": community,
        "role": role,
        "certificate": "none",
        "birth_year": 1990,
        "start_date": start,
        "end_date": None,
        "grid_code": None,
    }
