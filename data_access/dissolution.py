"""Units that end (docs/metrics.md §2, units that end): a district, street or community
dissolved on a day — merged into another unit, re-coded or abolished — is in no figure, list,
map, count or filter from that day on, and in them as it was before it.

The SQL conditions every query filters by are `sql.py:in_scope`, `live_on` and
`live_in_month`; here are what the summaries' writers and the trend need besides: the day each
community ends (its own dissolution, or its street's or district's, whichever comes first),
which month ends and months still count it, and the units of the sidebar on a date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, or_, select

from data_access.db import read_frame
from data_access.models import Community, District, Street
from data_access.scope import CODE_LENGTH, Scope, ancestors, month_start
from data_access.sql import in_range


def community_ends(engine: Engine | Connection, scope: Scope) -> dict[str, dt.date]:
    """Each community in the scope's code range that ends: the first day it is in no figure,
    the earliest of its own, its street's and its district's dissolution."""
    statement = (
        select(
            Community.code,
            Community.dissolved_on,
            Street.dissolved_on.label("street_dissolved_on"),
            District.dissolved_on.label("district_dissolved_on"),
        )
        .join(Street, Street.code == Community.street_code)
        .join(District, District.code == Street.district_code)
        .where(
            in_range(Community.code, scope),
            or_(
                Community.dissolved_on.is_not(None),
                Street.dissolved_on.is_not(None),
                District.dissolved_on.is_not(None),
            ),
        )
    )
    ends: dict[str, dt.date] = {}
    for code, *days in read_frame(engine, statement).itertuples(index=False):
        known = [as_date(day) for day in days if day is not None and not pd.isna(day)]
        ends[str(code)] = min(known)
    return ends


def as_date(value: object) -> dt.date:
    """A date column's value as datetime.date, whatever the driver returned."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def counted_on(
    codes: Iterable[str], days: Iterable[dt.date], ends: Mapping[str, dt.date]
) -> np.ndarray:
    """For each (community code, day) pair: True when the community is still in the figures of
    that day (it does not end, or ends after it)."""
    return np.array(
        [
            end is None or day < end
            for day, end in zip(days, (ends.get(c) for c in codes), strict=True)
        ],
        dtype=bool,
    )


def counted_in_month(
    codes: Iterable[str], periods: Iterable[dt.date], ends: Mapping[str, dt.date]
) -> np.ndarray:
    """For each (community code, first of a month) pair: True when the month's row counts —
    the community is in the figures of the month's last day, i.e. the month lies before the
    month it ends in (as sql.py:live_in_month)."""
    return np.array(
        [
            end is None or period < month_start(end)
            for period, end in zip(periods, (ends.get(c) for c in codes), strict=True)
        ],
        dtype=bool,
    )


def units_on(units: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The units of a units table (queries/hierarchy.py:units) in force on `as_of`: without those
    dissolved on or before it, and without every unit inside one of those."""
    if "dissolved_on" not in units.columns:
        return units
    ended = {
        code
        for code, day in zip(units["code"].tolist(), units["dissolved_on"].tolist(), strict=True)
        if day is not None and not pd.isna(day) and as_date(day) <= as_of
    }
    if not ended:
        return units
    codes = units["code"].astype(str)
    gone = np.zeros(len(units), dtype=bool)
    for length in CODE_LENGTH.values():
        gone |= codes.str[:length].isin(ended).to_numpy()
    return units[~gone].reset_index(drop=True)


@dataclass(frozen=True)
class Ending:
    """A unit's dissolution, as the profile and the sidebar tell it: the unit that was
    dissolved (the one asked about, or its street or district), when, and into what."""

    code: str
    name: str
    level: str
    kind: str | None  # a community's: urban or village
    dissolved_on: dt.date
    successor_code: str | None
    successor_name: str | None


def ending_of(units: pd.DataFrame, code: str) -> Ending | None:
    """The dissolution that ends the unit `code` (a units table's row): its own, or its
    street's or district's when that comes first; None when neither is dissolved."""
    if "dissolved_on" not in units.columns:
        return None
    rows = units.set_index("code")
    found: Ending | None = None
    for unit in ancestors(code).values():
        if unit not in rows.index:
            continue
        row = rows.loc[unit]
        day = row["dissolved_on"]
        if day is None or pd.isna(day):
            continue
        successor = row["successor_code"]
        successor = None if successor is None or pd.isna(successor) else str(successor)
        ending = Ending(
            code=unit,
            name=str(row["name"]),
            level=str(row["level"]),
            kind=None if row["kind"] is None or pd.isna(row["kind"]) else str(row["kind"]),
            dissolved_on=as_date(day),
            successor_code=successor,
            successor_name=(
                str(rows.loc[successor, "name"])
                if successor is not None and successor in rows.index
                else None
            ),
        )
        if found is None or ending.dissolved_on < found.dissolved_on:
            found = ending
    return found
