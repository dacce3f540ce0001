"""The area hierarchy: units, their names and what data the database holds."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, String, func, literal, select

from data_access.db import read_frame, read_row
from data_access.dissolution import as_date
from data_access.models import Community, District, ImportBatch, Street
from data_access.read_path import data_months as data_months  # the sidebar's months


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
