"""The area hierarchy: units, their names and what data the database holds."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, Engine, func, select

from data_access.db import read_frame, read_row
from data_access.models import (
    BurdenRecord,
    Community,
    District,
    ImportBatch,
    StaffMember,
    Street,
)


def units(engine: Engine) -> pd.DataFrame:
    """Every district, street and community: code, name, level, parent_code (filters and names)."""
    queries = (
        ("district", select(District.code, District.name, District.code.label("parent_code"))),
        ("street", select(Street.code, Street.name, Street.district_code.label("parent_code"))),
        (
            "community",
            select(Community.code, Community.name, Community.street_code.label("parent_code")),
        ),
    )
    frames = [read_frame(engine, statement).assign(level=level) for level, statement in queries]
    merged = pd.concat(frames, ignore_index=True)
    merged.loc[merged["level"] == "district", "parent_code"] = None
    return merged[["code", "name", "level", "parent_code"]].sort_values("code", ignore_index=True)


def community_count(engine: Engine) -> int:
    """How many communities the database holds (0 = nothing to show yet)."""
    (count,) = read_row(engine, select(func.count()).select_from(Community))
    return int(count)


def data_months(engine: Engine | Connection) -> tuple[dt.date | None, dt.date | None]:
    """The first and last month with burden data, or with staff starting, whichever exists."""
    first, last = read_row(
        engine, select(func.min(BurdenRecord.period), func.max(BurdenRecord.period))
    )
    if first is None:
        first, last = read_row(
            engine, select(func.min(StaffMember.start_date), func.max(StaffMember.start_date))
        )
    if first is None:
        return None, None
    return _as_date(first), _as_date(last)


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


DEMO_KIND = "demo"


def holds_demo(engine: Engine) -> bool:
    """True when the demo city was written into this database (its import_batch row says so)."""
    statement = select(func.count()).where(
        ImportBatch.kind == DEMO_KIND, ImportBatch.status == "accepted"
    )
    (count,) = read_row(engine, statement)
    return int(count) > 0
