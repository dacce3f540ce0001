"""Service premises of the small city (tests/small_city.py), every expected number worked out.

As-of date 2025-06-30; standard 30 m² per 100 households (required = 0.3 × households), elderly
care 20 (0.2 × households), alert below 15. Two communities are added to street 990102001:
C6 990102001002, a village, and C7 990102001003, urban, both with 2025 populations.

| community | households | counted facilities (m²)        | other kinds          | premises | per 100 | required | shortfall | elderly (m²) |
|-----------|------------|--------------------------------|----------------------|----------|---------|----------|-----------|--------------|
| C1        | 3,500      | centre 800, station 200        | clinic 500           | 1,000    | 28.57…  | 1,050    | 50        | 700 (20.0)   |
| C2        | 1,500 (2024) | centre 225                   |                      | 225      | 15.0 (exactly half: no alert) | 450 | 225 | unknown (one without area) |
| C3        | 11,000     | none                           | other 1,000          | 0        | 0 (alert: none) | 3,300 | 3,300 | 0 |
| C4        | 2,000      | centre 700                     |                      | 700      | 35.0 meets | 600   | 0 (−100)  | 300 (15.0)   |
| C5        | 1,800      | centre 250                     |                      | 250      | 13.88… (alert: below) | 540 | 290 | 0   |
| C6 village| 400        | centre 50                      |                      | 50       | not assessed (12.5) | — | —   | —            |
| C7        | 1,000      | centre 300, station (no area)  |                      | unknown  | not assessed | —  | —         | 0            |

Streets: 990101001 households 5,000, premises 1,225 → 24.5, shortfall 275; 990101002 13,000,
700 → 5.3846…, shortfall 3,300, one meeting, one without; 990102001 (C5 alone assessed) 1,800,
250, shortfall 290. City: five assessed communities, 19,800 households, 2,175 m², shortfall
3,865; elderly 1,000 m² over 19,300 households (C2 and C6 out), shortfall 2,860; two
facilities without a floor area (C2's elderly care, C7's station).
"""

from __future__ import annotations

from sqlalchemy import Engine, insert

from data_access.models import Community, CommunityPopulation, Facility

VILLAGE = "990102001002"
UNKNOWN = "990102001003"
NEW_COMMUNITIES = [
    (VILLAGE, "六村", "village", 1500, 400),
    (UNKNOWN, "七社区", "urban", 3000, 1000),
]
# code, community, kind, floor area (None: unknown)
FACILITIES: list[tuple[str, str, str, float | None]] = [
    ("F01", "990101001001", "service_centre", 800.0),
    ("F02", "990101001001", "social_work_station", 200.0),
    ("F03", "990101001001", "clinic", 500.0),
    ("F04", "990101001001", "elderly_care", 700.0),
    ("F05", "990101001002", "service_centre", 225.0),
    ("F06", "990101001002", "elderly_care", None),
    ("F07", "990101002001", "other", 1000.0),
    ("F08", "990101002002", "service_centre", 700.0),
    ("F09", "990101002002", "elderly_care", 300.0),
    ("F10", "990102001001", "service_centre", 250.0),
    ("F11", VILLAGE, "service_centre", 50.0),
    ("F12", UNKNOWN, "service_centre", 300.0),
    ("F13", UNKNOWN, "social_work_station", None),
]


def build_premises(engine: Engine) -> None:
    """Adds the two communities and the facilities above to a database holding the small city."""
    with engine.begin() as connection:
        connection.execute(
            insert(Community),
            [
                {"code": code, "name": name, "street_code": code[:9], "kind": kind}
                for code, name, kind, _, _ in NEW_COMMUNITIES
            ],
        )
        connection.execute(
            insert(CommunityPopulation),
            [
                {"community_code": c, "year": 2025, "resident_population": p, "households": h}
                for c, _, _, p, h in NEW_COMMUNITIES
            ],
        )
        connection.execute(
            insert(Facility),
            [
                {
                    "code": code,
                    "name": f"设施{code}",
                    "community_code": community,
                    "kind": kind,
                    "lon": 116.0,
                    "lat": 39.0,
                    "floor_area_m2": area,
                }
                for code, community, kind, area in FACILITIES
            ],
        )
