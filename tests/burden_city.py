"""A hand-checked city for the burden-reduction figures (docs/metrics.md §4); AS_OF = 2025-06-30.

District 990101 东区: street 990101001 一街道 with A 甲社区 and B 乙社区, street 990101002 二街道
with C 丙社区. District 990102 西区: street 990102001 三街道 with D 丁社区, which reports nothing.

work_items, month by month (· = not reported; July 2025 is after the as-of date):

| month          | A  | B  | C  | street 一 | district 东区 |
|----------------|----|----|----|-----------|---------------|
| 2024-01        | 50 | 50 | 25 | 100       | 125           |
| 2024-02        | 40 | 50 | ·  | 90        | 90            |
| 2024-03        | ·  | 50 | 18 | 50        | 68            |
| 2024-04 … 07   | 40 | 50 | ·  | 90        | 90            |
| 2024-08        | 40 | 50 | 8  | 90        | 98            |
| 2024-09 … 2025-03 | 40 | 50 | · | 90     | 90            |
| 2025-04        | 40 | 50 | 12 | 90        | 102           |
| 2025-05        | 30 | 50 | ·  | 80        | 80            |
| 2025-06        | 36 | 40 | ·  | 76        | 76            |
| 2025-07        | 5  | 5  | 99 | —         | —             |

- A: baseline 50, current 36, reduction 28 %; lowest of 2024-06…2025-05 is 30, and 36 ≥ 30 + 3
  and ≥ 30 + 1: a rebound.
- B: 50 → 40, reduction 20 %, lowest 50: no rebound.
- Street 一: 100 → 76, reduction 24 %; lowest of its summed series 2024-06…2025-05 is 80 > 76:
  no rebound, although its community A rebounds.
- C last reported in 2025-04 (its July figure is after the as-of date): current 12 in 2025-04,
  baseline 25, reduction 52 %; lowest of 2024-04…2025-03 is 8, and 12 ≥ 8 + 0.8 and ≥ 8 + 1:
  a rebound, judged on its own latest month.
- District 东区 (= the city): 125 → 76, reduction 39.2 %; lowest of 2024-06…2025-05 is 80: no
  rebound.
- With the baseline month 2024-02, street 一 has 90 → 76 (15.56 %) and C has no baseline; with
  2024-03, street 一 has 50 (A did not report) → 76, reduction −52 %.

forms: A reports 0 in 2024-01 and 3 in 2025-06: baseline 0, so no reduction (empty, not 0), and
no month in the window before June, so no rebound. meetings: B has 30 in 2024-01, 20 from 2024-02
to 2025-05 and 22 in 2025-06: reduction 800/30 %, a rise of exactly 10 % and 2 ≥ 1: a rebound.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, insert

from data_access.models import BurdenRecord
from data_access.partitions import ensure_month_partitions
from data_access.scope import add_months
from tests.small_city import insert_units, refresh_all_summaries

AS_OF = dt.date(2025, 6, 30)
FIRST = dt.date(2024, 1, 1)
A, B, C, D = "990101001001", "990101001002", "990101002001", "990102001001"

DISTRICTS = [("990101", "东区"), ("990102", "西区")]
STREETS = [
    ("990101001", "一街道", "990101"),
    ("990101002", "二街道", "990101"),
    ("990102001", "三街道", "990102"),
]
COMMUNITIES = [
    (A, "甲社区", "990101001"),
    (B, "乙社区", "990101001"),
    (C, "丙社区", "990101002"),
    (D, "丁社区", "990102001"),
]


def month(year: int, number: int) -> dt.date:
    return dt.date(year, number, 1)


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months, current = [], first
    while current <= last:
        months.append(current)
        current = add_months(current, 1)
    return months


def burden_values() -> dict[tuple[str, str], dict[dt.date, int]]:
    """(community, category) → {month: count}, as in the table of the module docstring."""
    a_work = dict.fromkeys(_months(FIRST, month(2025, 4)), 40)
    a_work.update({FIRST: 50, month(2025, 5): 30, month(2025, 6): 36, month(2025, 7): 5})
    del a_work[month(2024, 3)]
    b_work = dict.fromkeys(_months(FIRST, month(2025, 5)), 50)
    b_work.update({month(2025, 6): 40, month(2025, 7): 5})
    c_work = {FIRST: 25, month(2024, 3): 18, month(2024, 8): 8, month(2025, 4): 12}
    c_work[month(2025, 7)] = 99
    b_meetings = dict.fromkeys(_months(month(2024, 2), month(2025, 5)), 20)
    b_meetings.update({FIRST: 30, month(2025, 6): 22})
    return {
        (A, "work_items"): a_work,
        (B, "work_items"): b_work,
        (C, "work_items"): c_work,
        (A, "forms"): {FIRST: 0, month(2025, 6): 3},
        (B, "meetings"): b_meetings,
    }


def build_burden_city(engine: Engine, refresh: bool = True) -> None:
    """Writes the city into a migrated, empty database (and its summaries, unless refresh is False)."""
    rows = [
        {"community_code": code, "category": category, "period": period, "count": count}
        for (code, category), values in burden_values().items()
        for period, count in values.items()
    ]
    with engine.begin() as connection:
        insert_units(connection, DISTRICTS, STREETS, COMMUNITIES)
        ensure_month_partitions(connection, [row["period"] for row in rows])
        connection.execute(insert(BurdenRecord), rows)
        if refresh:
            refresh_all_summaries(connection)
