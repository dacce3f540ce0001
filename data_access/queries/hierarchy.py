"""The area hierarchy: units, their names and what data the database holds."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select

from data_access.db import read_frame, read_row
from data_access.models import Community, District, ImportBatch, Street
from data_access.read_path import data_months as data_months  # the sidebar's months


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


DEMO_KIND = "demo"


def holds_demo(engine: Engine) -> bool:
    """True when the demo city was written into this database (its import_batch row says so)."""
    statement = select(func.count()).where(
        ImportBatch.kind == DEMO_KIND, ImportBatch.status == "accepted"
    )
    (count,) = read_row(engine, statement)
    return int(count) > 0
