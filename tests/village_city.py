"""A city of urban communities and villages (村), every expected number worked out below.

As-of date AS_OF = 2025-06-30. Urban standard 18 per 10,000, minimum team 9. Villages are not
assessed unless a village standard is set; where it is (VILLAGE_SETTINGS): 12 per 10,000 and a
minimum team of 4. Every counted worker is active since 2020-01-01, except one of U1's, who
starts on 2025-06-01 (so the staffing summary reaches the as-of month).

| unit                    | kind    | population | counted | required (unset) | gap | required (set)            | gap |
|-------------------------|---------|------------|---------|------------------|-----|---------------------------|-----|
| U1 970101001001         | urban   | 10,000     | 15      | 18               | 3   | 18                        | 3   |
| U2 970101001002         | urban   | 4,000      | 10      | max(9, 8) = 9    | −1  | 9                         | −1  |
| U3 970102001001         | urban   | 6,000      | 8       | ceil 10.8 = 11   | 3   | 11                        | 3   |
| V1 970102001002         | village | 2,500      | 4       | —                | —   | max(4, ceil 3.0 = 3) = 4  | 0   |
| V2 970102002001         | village | 3,400      | 6       | —                | —   | max(4, ceil 4.08 = 5) = 5 | −1  |
| V3 970102002002         | village | 1,200      | 1       | —                | —   | max(4, ceil 1.44 = 2) = 4 | 3   |
| V4 970102002003         | village | unknown    | 3       | —                | —   | —                         | —   |

Per 10,000 (urban communities only) and per 10,000 of all (villages included; workers of a
community without a population left out of both):

| unit                 | communities (urban, villages) | residents (urban) | workers (urban) | per_10k          | per_10k_all         |
|----------------------|-------------------------------|-------------------|-----------------|------------------|---------------------|
| street 970101001     | 2 (2, 0)                      | 14,000 (14,000)   | 25 (25)         | 25/14,000        | the same            |
| street 970102001     | 2 (1, 1)                      | 8,500 (6,000)     | 12 (8)          | 8/6,000 = 13.33… | 12/8,500 = 14.11…   |
| town 970102002       | 3 (0, 3)                      | 4,600 (—)         | 10 (0)          | —                | 7/4,600 = 15.21…    |
| district 970101      | = street 970101001            |                   |                 |                  |                     |
| district 970102      | 5 (1, 4)                      | 13,100 (6,000)    | 22 (8)          | 8/6,000          | 19/13,100 = 14.50…  |
| city                 | 7 (3, 4)                      | 27,100 (20,000)   | 47 (33)         | 33/20,000 = 16.5 | 44/27,100 = 16.23…  |

Required, gap (sum of positive gaps), net gap, meeting and assessed, villages unset → set:

| unit             | required | gap   | net gap | meeting | assessed |
|------------------|----------|-------|---------|---------|----------|
| street 970101001 | 27 → 27  | 3 → 3 | 2 → 2   | 1 → 1   | 2 → 2    |
| street 970102001 | 11 → 15  | 3 → 3 | 3 → 3   | 0 → 1   | 1 → 2    |
| town 970102002   | — → 9    | — → 3 | — → 2   | 0 → 1   | 0 → 2    |
| district 970102  | 11 → 24  | 3 → 6 | 3 → 5   | 0 → 2   | 1 → 4    |
| city             | 38 → 51  | 6 → 9 | 5 → 7   | 1 → 3   | 3 → 6    |

Far below 80 % of the standard: U3 (13.33 < 14.4) alone while villages are unset (V3's 8.33 is
not set against the urban standard); with the village standard, V3 (8.33 < 9.6, 69 % of 12)
before U3 (74 % of 18).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from itertools import count

from sqlalchemy import Engine, insert

from data_access.models import Community, CommunityPopulation, District, StaffMember, Street
from data_access.settings import Settings
from tests.small_city import refresh_all_summaries

AS_OF = dt.date(2025, 6, 30)
LONG_AGO = dt.date(2020, 1, 1)

DISTRICTS = [("970101", "城关区"), ("970102", "南郊区")]
STREETS = [
    ("970101001", "城关街道", "970101"),
    ("970102001", "南关街道", "970102"),
    ("970102002", "柳河镇", "970102"),
]
U1, U2, U3 = "970101001001", "970101001002", "970102001001"
V1, V2, V3, V4 = "970102001002", "970102002001", "970102002002", "970102002003"
# code, name, kind, population in 2024 and 2025 (None: unknown), counted workers
COMMUNITIES: list[tuple[str, str, str, int | None, int]] = [
    (U1, "东门社区", "urban", 10000, 15),
    (U2, "西门社区", "urban", 4000, 10),
    (U3, "南关社区", "urban", 6000, 8),
    (V1, "前营村", "village", 2500, 4),
    (V2, "柳河村", "village", 3400, 6),
    (V3, "后坡村", "village", 1200, 1),
    (V4, "石桥村", "village", None, 3),
]
NEWCOMER_START = dt.date(2025, 6, 1)  # U1's last worker


def village_settings(settings: Settings) -> Settings:
    """The settings with the village standard of this city's second case set."""
    return dataclasses.replace(settings, village_standard_per_10k=12.0, village_min_team=4)


def build_village_city(engine: Engine) -> None:
    """Writes the city above into a migrated, empty database, with its summaries."""
    codes = (f"V{n:07d}" for n in count(1))
    with engine.begin() as connection:
        connection.execute(insert(District), [{"code": c, "name": n} for c, n in DISTRICTS])
        connection.execute(
            insert(Street),
            [{"code": c, "name": n, "district_code": d} for c, n, d in STREETS],
        )
        connection.execute(
            insert(Community),
            [
                {"code": c, "name": n, "street_code": c[:9], "kind": k}
                for c, n, k, _, _ in COMMUNITIES
            ],
        )
        connection.execute(
            insert(CommunityPopulation),
            [
                {"community_code": c, "year": year, "resident_population": p, "households": p // 3}
                for c, _, _, p, _ in COMMUNITIES
                if p is not None
                for year in (2024, 2025)
            ],
        )
        staff = []
        for code, _, _, _, workers in COMMUNITIES:
            for index in range(workers):
                starts = NEWCOMER_START if (code == U1 and index == workers - 1) else LONG_AGO
                staff.append(
                    {
                        "staff_code": next(codes),
                        "community_code": code,
                        "role": "secretary" if index == 0 else "staff",
                        "certificate": "none",
                        "birth_year": 1985,
                        "start_date": starts,
                        "end_date": None,
                        "grid_code": None,
                    }
                )
        connection.execute(insert(StaffMember), staff)
        refresh_all_summaries(connection)
