"""A tiny hand-checked city for exact-value tests; every expected number is worked out below.

As-of date AS_OF = 2025-06-30.

| community      | street    | population (year)         | counted | required            | gap |
|----------------|-----------|---------------------------|---------|---------------------|-----|
| C1 990101001001 | 990101001 | 10,000 (2025; 20,000 in 2026 ignored) | 15 | max(9, 18) = 18   | 3   |
| C2 990101001002 | 990101001 | 4,000 (2024)              | 8       | max(9, ceil 7.2) = 9 | 1  |
| C3 990101002001 | 990101002 | 30,000 (2025)             | 30      | 54                  | 24  |
| C4 990101002002 | 990101002 | 6,000 (2025)              | 20      | max(9, ceil 10.8) = 11 | -9 |
| C5 990102001001 | 990102001 | 5,001 (2025)              | 10      | max(9, ceil 9.0018) = 10 | 0 |

C2 has 20 per 10,000 (above 18) yet misses the minimum of 9.
Street 990101001: 23 workers / 14,000 = 16.428571… per 10,000 (the mean of ratios would be 17.5).
District 990101: gap 3 + 1 + 24 = 28 (net 19), 73 workers / 50,000 = 14.6 per 10,000.
City: 83 workers / 55,001 residents.

Counted worker i of a community (i = 0 … n−1) holds a junior certificate when i % 3 == 0 and
is 30, 40, 50 or 60 years old on the as-of date as i % 4 is 0, 1, 2 or 3. So, city-wide:
29 licensed; ages under 35 / 35–44 / 45–54 / 55+ = 22 / 22 / 20 / 19; under 40 without a
certificate (the 30-year-olds with i % 3 != 0) = 2 + 1 + 5 + 3 + 2 = 13.
"""

from __future__ import annotations

import datetime as dt
from itertools import count
from pathlib import Path
from typing import cast

from sqlalchemy import Connection, Engine, insert

from data_access.models import (
    BurdenRecord,
    Community,
    CommunityPopulation,
    District,
    Grid,
    StaffMember,
    Street,
)
from data_access.partitions import ensure_month_partitions
from data_access.settings import load_settings
from data_access.summaries import refresh_summaries

AS_OF = dt.date(2025, 6, 30)
BIRTH_YEARS = (1995, 1985, 1975, 1965)
LONG_AGO = dt.date(2020, 1, 1)

DISTRICTS = [("990101", "甲区"), ("990102", "乙区")]
STREETS = [
    ("990101001", "东街道", "990101"),
    ("990101002", "西街道", "990101"),
    ("990102001", "南街道", "990102"),
]
COMMUNITIES = [
    ("990101001001", "一社区", "990101001"),
    ("990101001002", "二社区", "990101001"),
    ("990101002001", "三社区", "990101002"),
    ("990101002002", "四社区", "990101002"),
    ("990102001001", "五社区", "990102001"),
]
# community, year, population, households
POPULATION = [
    ("990101001001", 2024, 9000, 3000),
    ("990101001001", 2025, 10000, 3500),
    ("990101001001", 2026, 20000, 7000),  # after the as-of date: ignored
    ("990101001002", 2024, 4000, 1500),
    ("990101002001", 2025, 30000, 11000),
    ("990101002002", 2025, 6000, 2000),
    ("990102001001", 2025, 5001, 1800),
]
# counted workers per community, each active since LONG_AGO with a plain role unless said below
COUNTED = {
    "990101001001": 15,
    "990101001002": 8,
    "990101002001": 30,
    "990101002002": 20,
    "990102001001": 10,
}
GRIDS = [
    # code, community, kind, households
    ("990101001001001", "990101001001", "general", 400),
    ("990101001001002", "990101001001", "general", 450),
    ("990101001001003", "990101001001", "general", 600),
    ("990101001002001", "990101001002", "dedicated", None),
]


def build_small_city(engine: Engine, refresh: bool = True) -> None:
    """Writes the small city into a migrated, empty database (its summaries too, unless not
    `refresh`: the raw tables alone, as a database from before the summaries holds them)."""
    codes = (f"T{n:07d}" for n in count(1))
    staff = _counted_staff(codes) + _edge_staff(codes)
    with engine.begin() as connection:
        insert_units(connection, DISTRICTS, STREETS, COMMUNITIES)
        connection.execute(
            insert(CommunityPopulation),
            [
                {"community_code": c, "year": y, "resident_population": p, "households": h}
                for c, y, p, h in POPULATION
            ],
        )
        connection.execute(
            insert(Grid),
            [
                {
                    "code": g,
                    "name": f"网格{g[-3:]}",
                    "community_code": c,
                    "kind": k,
                    "households": h,
                    "has_party_branch": True,
                }
                for g, c, k, h in GRIDS
            ],
        )
        connection.execute(insert(StaffMember), staff)
        burden = _burden()
        ensure_month_partitions(connection, [cast(dt.date, row["period"]) for row in burden])
        connection.execute(insert(BurdenRecord), burden)
        if refresh:
            refresh_all_summaries(connection)


def refresh_all_summaries(connection: Connection) -> None:
    """Brings the summaries up to date, as the import and the demo do after their writes."""
    refresh_summaries(connection, load_settings(environ={}, secrets_file=Path("/nonexistent")))


def insert_units(
    connection: Connection,
    districts: list[tuple[str, str]],
    streets: list[tuple[str, str, str]],
    communities: list[tuple[str, str, str]],
) -> None:
    """Writes districts (code, name), streets and urban communities (code, name, parent)."""
    connection.execute(insert(District), [{"code": c, "name": n} for c, n in districts])
    connection.execute(
        insert(Street), [{"code": c, "name": n, "district_code": d} for c, n, d in streets]
    )
    connection.execute(
        insert(Community),
        [{"code": c, "name": n, "street_code": s, "kind": "urban"} for c, n, s in communities],
    )


def _person(code: str, community: str, role: str, **extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "staff_code": code,
        "community_code": community,
        "role": role,
        "certificate": "none",
        "birth_year": 1985,
        "start_date": LONG_AGO,
        "end_date": None,
        "grid_code": None,
    }
    row.update(extra)
    return row


def _counted_staff(codes: object) -> list[dict[str, object]]:
    """The counted workers of the table above; C1's include the date edge cases."""
    rows = []
    for community, number in COUNTED.items():
        roles = ["secretary"] + ["committee"] * 4 + ["staff"] * (number - 5)
        for index, role in enumerate(roles):
            # Every third counted worker holds a certificate: licensed rates below follow.
            certificate = "junior" if index % 3 == 0 else "none"
            # Ages on the as-of date cycle through 30, 40, 50 and 60.
            birth_year = BIRTH_YEARS[index % 4]
            rows.append(
                _person(
                    next(codes), community, role, certificate=certificate, birth_year=birth_year
                )
            )
    c1 = [r for r in rows if r["community_code"] == "990101001001"]
    c1[-1]["start_date"] = AS_OF  # starts on the as-of date: counted
    c1[-2]["end_date"] = AS_OF + dt.timedelta(days=1)  # leaves the day after: counted
    c1[-3]["role"] = "grid_fulltime"  # a full-time grid worker counts by default
    c1[-3]["grid_code"] = "990101001001001"
    return rows


def _edge_staff(codes: object) -> list[dict[str, object]]:
    """People who must not be counted, and the part-time grid worker of grid 002."""
    c1 = "990101001001"
    return [
        _person(next(codes), c1, "staff", end_date=AS_OF),  # left on the as-of date
        _person(next(codes), c1, "staff", start_date=AS_OF + dt.timedelta(days=1)),
        _person(next(codes), c1, "public_welfare"),
        _person(next(codes), c1, "temporary"),
        _person(next(codes), c1, "grid_parttime", grid_code="990101001001002"),
        # grid 003's worker left before the as-of date: grid 003 is unstaffed
        _person(next(codes), c1, "grid_fulltime", grid_code="990101001001003", end_date=LONG_AGO),
    ]


def _burden() -> list[dict[str, object]]:
    """work_items of C1: 100 in 2025-01 falling to 40 by 2025-05, 60 in 2025-06 (a rebound)."""
    values = {1: 100, 2: 80, 3: 60, 4: 50, 5: 40, 6: 60, 7: 10}
    rows = [
        {
            "community_code": "990101001001",
            "category": "work_items",
            "period": dt.date(2025, month, 1),
            "count": value,
        }
        for month, value in values.items()
    ]
    # C2's forms: 0 at baseline, so its reduction is undefined, not 0.
    rows += [
        {
            "community_code": "990101001002",
            "category": "forms",
            "period": dt.date(2025, month, 1),
            "count": value,
        }
        for month, value in {1: 0, 6: 3}.items()
    ]
    return rows
