"""Summaries kept at write time: burden per unit, category and month, and grid coverage and
service reach per community and grid (docs/architecture.md, summaries); the map's outlines are
in data_access/outlines.py.

`burden_summary` holds, for every community, street, district and the city, each category's
value per month (the sum over its communities, as docs/metrics.md defines the series of a unit),
the lowest value of the rebound window before that month, and the next month that has a value
(NEXT_NONE after the last). The import and the demo refresh it in the transaction of their
writes; `python -m data_access refresh` rebuilds it. `burden_record` stays the source of truth:
a summary is only ever computed from it, and tests hold the two equal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Connection, Integer, delete, insert, select, update

from data_access import coverage
from data_access.db import bulk_insert, read_frame
from data_access.models import (
    Base,
    BurdenRecord,
    BurdenSummary,
    Community,
    CommunityCoverage,
    District,
    Facility,
    Grid,
    GridReach,
    SummaryState,
)
from data_access.scope import CODE_LENGTH
from data_access.settings import Settings
from data_access.sql import in_scope

CITY = "city"  # the code of the whole city's rows
NEXT_NONE = dt.date(9999, 12, 1)  # next_period of a series' last month: compares after any date
BURDEN = "burden"
COVERAGE = "coverage"
_BATCH = 5_000
_LEVELS = ("community", "street", "district")


def refresh_summaries(connection: Connection, settings: Settings) -> int:
    """Rebuilds every summary from the raw tables; rows written."""
    from data_access.outlines import refresh_outlines  # it writes through this module's helpers

    return (
        refresh_burden_summary(connection, settings)
        + refresh_grid_summaries(connection, settings)
        + refresh_outlines(connection)
    )


def refresh_burden_summary(
    connection: Connection, settings: Settings, districts: Iterable[str] | None = None
) -> int:
    """Recomputes the summary of the given districts (all when None) and of the city; rows written."""
    from data_access.scope import Scope

    chosen = sorted(set(districts)) if districts is not None else _all_districts(connection)
    written = 0
    for district in chosen:
        scope = Scope(district, dt.date.max)
        connection.execute(
            delete(BurdenSummary).where(
                BurdenSummary.level.in_(_LEVELS), in_scope(BurdenSummary.code, scope)
            )
        )
        written += _write(connection, _district_rows(connection, district, settings))
    connection.execute(delete(BurdenSummary).where(BurdenSummary.level == "city"))
    written += _write(connection, _city_rows(connection, settings))
    _record_state(connection, settings)
    return written


def summary_matches(connection: Connection, settings: Settings) -> bool:
    """True when the stored window minima were computed with today's rebound window."""
    state = connection.execute(
        select(SummaryState.window_months).where(SummaryState.name == BURDEN)
    ).scalar_one_or_none()
    return state == settings.rebound_window_months


def affected_districts(community_codes: Iterable[str]) -> set[str]:
    """The districts whose summaries rows of these communities change."""
    return {code[: CODE_LENGTH["district"]] for code in community_codes if code}


def _all_districts(connection: Connection) -> list[str]:
    listed = set(connection.execute(select(District.code)).scalars())
    return sorted(listed)


def _district_rows(
    connection: Connection, district: str, settings: Settings
) -> Iterator[pd.DataFrame]:
    """The community, street and district rows of one district, from its raw records."""
    from data_access.scope import Scope

    statement = select(
        BurdenRecord.community_code.label("code"),
        BurdenRecord.category,
        BurdenRecord.period,
        BurdenRecord.count.label("value"),
    ).where(in_scope(BurdenRecord.community_code, Scope(district, dt.date.max)))
    raw = pd.DataFrame(
        connection.execute(statement).all(), columns=["code", "category", "period", "value"]
    )
    if raw.empty:
        return
    raw["period"] = pd.to_datetime(raw["period"]).dt.date
    raw["value"] = raw["value"].astype("int64")
    yield _with_window(raw.assign(level="community"), settings)
    for level in ("street", "district"):
        summed = (
            raw.assign(code=raw["code"].str[: CODE_LENGTH[level]])
            .groupby(["code", "category", "period"], as_index=False, sort=False)["value"]
            .sum()
        )
        yield _with_window(summed.assign(level=level), settings)


def _city_rows(connection: Connection, settings: Settings) -> Iterator[pd.DataFrame]:
    """The city's rows: the sum of its districts' rows."""
    statement = select(BurdenSummary.category, BurdenSummary.period, BurdenSummary.value).where(
        BurdenSummary.level == "district"
    )
    districts = pd.DataFrame(
        connection.execute(statement).all(), columns=["category", "period", "value"]
    )
    if districts.empty:
        return
    districts["period"] = pd.to_datetime(districts["period"]).dt.date
    summed = districts.groupby(["category", "period"], as_index=False)["value"].sum()
    yield _with_window(summed.assign(level="city", code=CITY), settings)


def _with_window(frame: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Adds window_min (lowest value in the window months before, None without one) and next_period."""
    frame = frame.sort_values(["level", "code", "category", "period"], ignore_index=True)
    stamps = pd.to_datetime(frame["period"])
    months = (stamps.dt.year * 12 + stamps.dt.month).to_numpy()
    series = (
        frame[["code", "category"]].ne(frame[["code", "category"]].shift()).any(axis=1).cumsum()
    ).to_numpy()
    values = frame["value"].to_numpy(dtype="int64")
    window = settings.rebound_window_months
    lowest = np.full(len(frame), np.nan)
    # Rows are sorted by month within a series: the window of row i is the rows j < i of the same
    # series whose month is at least window months back; at most `window` of them.
    for back in range(1, window + 1):
        j = np.arange(len(frame)) - back
        ok = j >= 0
        j = np.where(ok, j, 0)
        ok &= (series[j] == series) & (months - months[j] <= window)
        lowest = np.where(ok, np.fmin(lowest, np.where(ok, values[j], np.nan)), lowest)
    following = np.roll(np.arange(len(frame)), -1)
    last = (series[following] != series) | (np.arange(len(frame)) == len(frame) - 1)
    next_period = np.where(
        last, np.array(NEXT_NONE, dtype=object), frame["period"].to_numpy()[following]
    )
    return frame.assign(
        window_min=pd.array(lowest, dtype="Int64"),  # NaN (no window) becomes NA
        next_period=next_period,
    )


def _write(connection: Connection, frames: Iterable[pd.DataFrame]) -> int:
    return sum(_insert_frame(connection, BurdenSummary, frame) for frame in frames)


def _record_state(connection: Connection, settings: Settings) -> None:
    _set_state(connection, BURDEN, {"window_months": settings.rebound_window_months})


def _set_state(connection: Connection, name: str, values: dict[str, object]) -> None:
    done = connection.execute(
        update(SummaryState).where(SummaryState.name == name).values(**values)
    )
    if not done.rowcount:
        connection.execute(insert(SummaryState).values(name=name, **values))


def coverage_params(settings: Settings) -> str:
    """The settings the coverage summaries depend on, as stored beside them."""
    return f"sliver_width_m={settings.sliver_width_m:g};walk_radius_m={settings.walk_radius_m:g}"


def refresh_grid_summaries(
    connection: Connection, settings: Settings, districts: Iterable[str] | None = None
) -> int:
    """Recomputes spatial coverage and service reach of the given districts (all when None)."""
    from data_access.scope import Scope

    chosen = sorted(set(districts)) if districts is not None else _all_districts(connection)
    written = 0
    for district in chosen:
        scope = Scope(district, dt.date.max)
        connection.execute(
            delete(CommunityCoverage).where(in_scope(CommunityCoverage.community_code, scope))
        )
        connection.execute(delete(GridReach).where(in_scope(GridReach.community_code, scope)))
        communities = read_frame(
            connection,
            select(Community.code, Community.boundary)
            .where(in_scope(Community.code, scope))
            .order_by(Community.code),
        )
        grids = read_frame(
            connection,
            select(Grid.code, Grid.community_code, Grid.households, Grid.boundary)
            .where(in_scope(Grid.community_code, scope))
            .order_by(Grid.code),
        )
        spatial = coverage.analyse_coverage(communities, grids, settings.sliver_width_m).table
        written += _insert_frame(connection, CommunityCoverage, spatial)
        reach = coverage.service_reach(
            grids, _facilities_near(connection, grids, settings), settings.walk_radius_m
        )
        written += _insert_frame(connection, GridReach, reach.rename(columns={"code": "grid_code"}))
    _set_state(connection, COVERAGE, {"window_months": 0, "params": coverage_params(settings)})
    return written


def _facilities_near(
    connection: Connection, grids: pd.DataFrame, settings: Settings
) -> pd.DataFrame:
    bounds = coverage.bounds_of(grids["boundary"])
    if bounds is None:
        return pd.DataFrame(columns=["lon", "lat"])
    margin = coverage.reach_margin_deg(settings.walk_radius_m, max(abs(bounds[1]), abs(bounds[3])))
    statement = select(Facility.lon, Facility.lat).where(
        Facility.lon.between(bounds[0] - margin, bounds[2] + margin),
        Facility.lat.between(bounds[1] - margin, bounds[3] + margin),
    )
    return read_frame(connection, statement)


def _insert_frame(connection: Connection, table: type[Base], frame: pd.DataFrame) -> int:
    columns = table.__table__.columns
    names = [column.name for column in columns]
    rows = frame[names].astype(object).where(frame[names].notna(), None)
    for column in columns:
        if isinstance(column.type, Integer | BigInteger):  # counts read as floats beside NaN
            whole = [None if v is None else int(v) for v in rows[column.name]]
            rows[column.name] = pd.Series(whole, index=rows.index, dtype=object)
    # Column names of the table, so string keys (to_dict types its keys as any hashable).
    records = cast(list[dict[str, Any]], rows.to_dict("records"))
    for start in range(0, len(records), _BATCH):
        bulk_insert(
            connection, Base.metadata.tables[table.__tablename__], records[start : start + _BATCH]
        )
    return len(records)


def affected_by_import(
    kinds_and_codes: dict[str, set[str]],
) -> tuple[set[str] | None, set[str] | None]:
    """The districts whose burden and grid summaries an import changes (None: every district)."""
    burden_districts = affected_districts(kinds_and_codes.get("burden", set()))
    grid_kinds = ("communities", "grids", "boundaries")
    grid_codes = set().union(*(kinds_and_codes.get(kind, set()) for kind in grid_kinds))
    grid_districts: set[str] | None = affected_districts(grid_codes)
    if kinds_and_codes.get("facilities"):
        grid_districts = None  # a facility reaches grids across district borders
    return burden_districts, grid_districts
