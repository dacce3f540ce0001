"""The admission list of the small city (tests/small_city.py), every expected number worked out.

As-of date 2025-06-30; limit 15 working days; found items counted 2024-07 … 2025-06.

List on 2025-06-30: self-governance ZZ-01, ZZ-02; assisting XZ-01, XZ-03 (XZ-02 withdrawn
2024-06-30); abolished certificate ZM-01; NO-01 on no list. Unfunded admitted: XZ-01 (no),
XZ-03 (unknown).

Applications (working days after submission up to and including the answer, chinese-calendar):

| id | department | scope  | submitted  | decided    | working days | timing |
|----|------------|--------|------------|------------|--------------|--------|
| A1 | 城管局     | 990101 | 2025-01-24 | 2025-02-10 | 7 (Spring Festival; Sun 26 Jan and Sat 8 Feb worked) | on time |
| A2 | 城管局     | city   | 2025-03-03 | 2025-03-20 | 13           | on time |
| A3 | 公安局     | 990101 | 2024-09-27 | 2024-10-24 | 16 (National Day; Sun 29 Sep and Sat 12 Oct worked) | late |
| A4 | 公安局     | 990102 | 2025-05-06 | —          | 38 by 30 June (端午 31 May–2 June) | overdue |
| A5 | 卫健委     | 990102 | 2025-06-20 | —          | 6            | pending |
| A6 | 卫健委     | 990101 | 2025-06-10 | 2025-07-15 | 14 (answered after the as-of date) | pending |
| A7 | 卫健委     | 990101 | 2025-07-01 | —          | submitted after the as-of date: not counted |
| A8 | 住建局     | city   | 2024-12-20 | 2025-01-20 | 20 (New Year's Day off) | late |

Items found (C1 … C5 as in small_city; `admitted` = on an admitted list in the month found):
C1 2025-06 ZZ-01 yes; C1 2025-06 and 2025-05 创建文明养犬示范小区 no; C2 2025-06 ZM-01 no;
C3 2025-06 XZ-02 no (withdrawn); C3 2024-06 XZ-01 outside the window; C4 2025-03 XZ-03 yes
(admitted 2025-03-20); C4 2025-02 XZ-03 no (not yet); C5 2025-04 NO-01 no.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, insert

from data_access.models import AdmissionApplication, ItemFound, WorkItem

D = dt.date

WORK_ITEMS = [
    # code, name, list, department, admitted_on, withdrawn_on, funded
    ("ZZ-01", "召集居民会议", "self_governance", "民政局", D(2019, 11, 20), None, "yes"),
    ("ZZ-02", "制定居民公约", "self_governance", "民政局", D(2019, 11, 20), None, "yes"),
    ("XZ-01", "协助医保参保登记", "assisting", "医保局", D(2019, 11, 20), None, "no"),
    ("XZ-02", "协助就业失业登记", "assisting", "人社局", D(2019, 11, 20), D(2024, 6, 30), "yes"),
    ("XZ-03", "协助燃气安全入户宣传", "assisting", "城管局", D(2025, 3, 20), None, "unknown"),
    (
        "ZM-01",
        "电动车权属证明",
        "certificate_abolished",
        "公安局",
        D(2020, 12, 15),
        None,
        "unknown",
    ),
    ("NO-01", "创建达标评比", "none", "住建局", None, None, "unknown"),
]

APPLICATIONS = [
    # id, department, scope, submitted_on, decided_on, decision
    ("A1", "城管局", "990101", D(2025, 1, 24), D(2025, 2, 10), "admitted"),
    ("A2", "城管局", None, D(2025, 3, 3), D(2025, 3, 20), "admitted"),
    ("A3", "公安局", "990101", D(2024, 9, 27), D(2024, 10, 24), "refused"),
    ("A4", "公安局", "990102", D(2025, 5, 6), None, "pending"),
    ("A5", "卫健委", "990102", D(2025, 6, 20), None, "pending"),
    ("A6", "卫健委", "990101", D(2025, 6, 10), D(2025, 7, 15), "admitted"),
    ("A7", "卫健委", "990101", D(2025, 7, 1), None, "pending"),
    ("A8", "住建局", None, D(2024, 12, 20), D(2025, 1, 20), "refused"),
]

FOUND = [
    ("990101001001", D(2025, 6, 1), "ZZ-01", "inspection"),
    ("990101001001", D(2025, 6, 1), "创建文明养犬示范小区", "inspection"),
    ("990101001001", D(2025, 5, 1), "创建文明养犬示范小区", "self_report"),
    ("990101001002", D(2025, 6, 1), "ZM-01", "inspection"),
    ("990101002001", D(2025, 6, 1), "XZ-02", "self_report"),
    ("990101002001", D(2024, 6, 1), "XZ-01", "inspection"),
    ("990101002002", D(2025, 3, 1), "XZ-03", "inspection"),
    ("990101002002", D(2025, 2, 1), "XZ-03", "inspection"),
    ("990102001001", D(2025, 4, 1), "NO-01", "inspection"),
]


def build_admission(engine: Engine) -> None:
    """Adds the list, the applications and the found items to a database holding the small city."""
    with engine.begin() as connection:
        connection.execute(
            insert(WorkItem.__table__),
            [
                {
                    "code": code,
                    "name": name,
                    "list": list_name,
                    "department": department,
                    "basis": None,
                    "admitted_on": admitted_on,
                    "withdrawn_on": withdrawn_on,
                    "funded": funded,
                }
                for code, name, list_name, department, admitted_on, withdrawn_on, funded in WORK_ITEMS
            ],
        )
        connection.execute(
            insert(AdmissionApplication),
            [
                {
                    "id": id_,
                    "item_name": f"{department}申请事项{id_}",
                    "department": department,
                    "scope": scope,
                    "submitted_on": submitted_on,
                    "decided_on": decided_on,
                    "decision": decision,
                    "reason": None,
                }
                for id_, department, scope, submitted_on, decided_on, decision in APPLICATIONS
            ],
        )
        connection.execute(
            insert(ItemFound),
            [{"community_code": c, "period": p, "item": i, "source": s} for c, p, i, s in FOUND],
        )
