"""The area hierarchy: units, their names and what data the database holds."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, String, func, literal, select

from data_access.db import read_frame, read_row
from data_access.dissolution import as_date, community_ends
from data_access.models import (
    BurdenRecord,
    Community,
    CommunityPopulation,
    District,
    Facility,
    ImportBatch,
    ItemFound,
    StaffMember,
    Street,
)
from data_access.read_path import data_months as data_months  # the sidebar's months
from data_access.scope import Scope, month_start


def units(engine: Engine) -> pd.DataFrame:
    """Every district, street and community, in force or dissolved: code, name, level,
    parent_code, kind (a community's; None above), dissolved_on and successor_code (None for a
    unit in force). The sidebar lists those in force on its date
    (data_access/dissolution.py:units_on); the names serve every unit."""
    none = literal(None, String)
    queries = (
        (
            "district",
            select(
                District.code,
                District.name,
                District.code.label("parent_code"),
                none.label("kind"),
                District.dissolved_on,
                District.successor_code,
            ),
        ),
        (
            "street",
            select(
                Street.code,
                Street.name,
                Street.district_code.label("parent_code"),
                none.label("kind"),
                Street.dissolved_on,
                Street.successor_code,
            ),
        ),
        (
            "community",
            select(
                Community.code,
                Community.name,
                Community.street_code.label("parent_code"),
                Community.kind,
                Community.dissolved_on,
                Community.successor_code,
            ),
        ),
    )
    frames = [read_frame(engine, statement).assign(level=level) for level, statement in queries]
    merged = pd.concat(frames, ignore_index=True)
    merged.loc[merged["level"] == "district", "parent_code"] = None
    merged["dissolved_on"] = [
        None if day is None or pd.isna(day) else as_date(day) for day in merged["dissolved_on"]
    ]
    merged["successor_code"] = merged["successor_code"].astype(object)
    merged["kind"] = merged["kind"].astype(object)
    for column in ("successor_code", "kind"):
        merged[column] = merged[column].where(merged[column].notna(), None)
    return merged[UNIT_COLUMNS].sort_values("code", ignore_index=True)


UNIT_COLUMNS = ["code", "name", "level", "parent_code", "kind", "dissolved_on", "successor_code"]


LEFT_OVER_KINDS = ("staff", "burden", "population", "items_found", "facilities")
_CHUNK = 500


def left_in_dissolved(engine: Engine, scope: Scope) -> pd.DataFrame:
    """What the database still holds of the communities in the scope's code range after the day
    each ends (data_access/dissolution.py:community_ends), which no figure counts: staff in post
    on that day or after, burden and items-found months from the month it ends in, population
    years starting after it, and its facilities. community_code, ends_on, kind (LEFT_OVER_KINDS),
    key (a staff or facility code, a month YYYY-MM, a year), in that order."""
    ends = community_ends(engine, scope)
    found: list[tuple[str, dt.date, str, str]] = []
    codes = sorted(ends)
    for start in range(0, len(codes), _CHUNK):
        chunk = codes[start : start + _CHUNK]
        staff = select(StaffMember.community_code, StaffMember.staff_code, StaffMember.end_date)
        for code, staff_code, leaving in read_frame(
            engine, staff.where(StaffMember.community_code.in_(chunk))
        ).itertuples(index=False):
            if leaving is None or pd.isna(leaving) or as_date(leaving) > ends[code]:
                found.append((code, ends[code], "staff", str(staff_code)))
        for kind, table in (("burden", BurdenRecord), ("items_found", ItemFound)):
            months = (
                select(table.community_code, table.period)
                .where(table.community_code.in_(chunk))
                .distinct()
            )
            for code, period in read_frame(engine, months).itertuples(index=False):
                if as_date(period) >= month_start(ends[code]):
                    found.append((code, ends[code], kind, as_date(period).strftime("%Y-%m")))
        years = select(CommunityPopulation.community_code, CommunityPopulation.year).where(
            CommunityPopulation.community_code.in_(chunk)
        )
        for code, year in read_frame(engine, years).itertuples(index=False):
            if dt.date(int(year), 1, 1) >= ends[code]:
                found.append((code, ends[code], "population", str(int(year))))
        facilities = select(Facility.community_code, Facility.code).where(
            Facility.community_code.in_(chunk)
        )
        for code, facility in read_frame(engine, facilities).itertuples(index=False):
            found.append((code, ends[code], "facilities", str(facility)))
    frame = pd.DataFrame(found, columns=["community_code", "ends_on", "kind", "key"])
    order = {kind: n for n, kind in enumerate(LEFT_OVER_KINDS)}
    return frame.sort_values(
        ["community_code", "kind", "key"],
        key=lambda column: column.map(order) if column.name == "kind" else column,
        ignore_index=True,
    )


def community_count(engine: Engine) -> int:
    """How many communities the database holds (0 = nothing to show yet)."""
    (count,) = read_row(engine, select(func.count()).select_from(Community))
    return int(count)


DEMO_KIND = "demo"


def holds_demo(engine: Engine) -> bool:
    """True when the demo city was written into this database (its import_batch row says so)."""
    statement = select(func.count()).where(
        ImportBatch.kind == DEMO_KIND, ImportBatch.status == "accepted"
    )
    (count,) = read_row(engine, statement)
    return int(count) > 0
