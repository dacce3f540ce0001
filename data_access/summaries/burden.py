"""The burden summary (docs/architecture.md, summaries kept at write time; docs/metrics.md §4).

`burden_summary` holds, for every community, street, district and the city, each category's
value per month (the sum over its communities, as docs/metrics.md defines the series of a unit),
the lowest value of the rebound window before that month, the next month that has a value
(NEXT_NONE after the last) and whether the month is a rebound. The import and the demo refresh
it in the transaction of their writes; `python -m data_access refresh` rebuilds it.
`burden_record` stays the source of truth: a summary is only ever computed from it, and tests
hold the two equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, select

from data_access.dissolution import community_ends, counted_in_month
from data_access.models import BurdenRecord, BurdenSummary, Community, SummaryState
from data_access.read_path import BURDEN, CITY, NEXT_NONE, rebound_params
from data_access.rebound import rebounds
from data_access.scope import CODE_LENGTH
from data_access.settings import Settings
from data_access.sql import in_range
from data_access.summary_writes import all_districts, insert_frame, set_state, whole_district

_FETCH = 50_000  # raw rows read at a time into a summary's frame
# Communities whose raw records are summarised at once: at most categories × months rows each.
_BLOCK = 100
_LEVELS = ("community", "street", "district")


def refresh_burden_summary(
    connection: Connection, settings: Settings, districts: Iterable[str] | None = None
) -> int:
    """Recomputes the summary of the given districts (all when None) and of the city; rows written."""
    chosen = sorted(set(districts)) if districts is not None else all_districts(connection)
    written = 0
    for district in chosen:
        scope = whole_district(district)
        connection.execute(
            delete(BurdenSummary).where(
                BurdenSummary.level.in_(_LEVELS), in_range(BurdenSummary.code, scope)
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


def _district_rows(
    connection: Connection, district: str, settings: Settings
) -> Iterator[pd.DataFrame]:
    """The community, street and district rows of one district, from its raw records.

    A block of at most _BLOCK communities at a time: only that block's raw records are ever in
    memory; a street's row of a category and month is the sum of its blocks' sums, the
    district's the sum of its streets' (README, Security).
    """
    streets: list[pd.DataFrame] = []
    ends = community_ends(connection, whole_district(district))
    for communities in _streets(connection, district):
        blocks: list[pd.DataFrame] = []
        for start in range(0, len(communities), _BLOCK):
            block = communities[start : start + _BLOCK]
            raw = _raw_records(connection, block[0], block[-1])
            if ends and not raw.empty:
                # A community's months from the one it ends in are in no sum (dissolution.py).
                raw = raw[counted_in_month(raw["code"], raw["period"], ends)]
                raw = raw.reset_index(drop=True)
            if raw.empty:
                continue
            yield _with_window(raw.assign(level="community"), settings)
            blocks.append(_summed(raw, "street"))
            del raw
        if blocks:
            street = _summed(pd.concat(blocks, ignore_index=True), "street")
            yield _with_window(street.assign(level="street"), settings)
            streets.append(street)
    if streets:
        summed = _summed(pd.concat(streets, ignore_index=True), "district")
        yield _with_window(summed.assign(level="district"), settings)


def _streets(connection: Connection, district: str) -> list[list[str]]:
    """The codes of the district's communities, in order, street by street. Every raw record's
    community is one of them: burden_record.community_code references community.code."""
    codes = connection.execute(
        select(Community.code)
        .where(in_range(Community.code, whole_district(district)))
        .order_by(Community.code)
    ).scalars()
    streets: dict[str, list[str]] = {}
    for code in codes:
        streets.setdefault(code[: CODE_LENGTH["street"]], []).append(code)
    return list(streets.values())


def _raw_records(connection: Connection, first: str, last: str) -> pd.DataFrame:
    """code, category, period, value of the raw records of the communities first to last."""
    statement = select(
        BurdenRecord.community_code.label("code"),
        BurdenRecord.category,
        BurdenRecord.period,
        BurdenRecord.count.label("value"),
    ).where(BurdenRecord.community_code >= first, BurdenRecord.community_code <= last)
    # Fetched a batch at a time into compact columns, never as one list of row objects: a
    # district of a million records held as rows alone took gigabytes (docs/security.md).
    # Plain tuples: pandas probes every Row for namedtuple fields and a dtype (9x slower).
    names = ["code", "category", "period", "value"]
    parts = [
        pd.DataFrame([tuple(row) for row in part], columns=names)
        for part in connection.execute(statement).partitions(_FETCH)
    ]
    raw = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=names)
    del parts
    if not raw.empty:
        raw["period"] = pd.to_datetime(raw["period"]).dt.date
        raw["value"] = raw["value"].astype("int64")
    return raw


def _summed(rows: pd.DataFrame, level: str) -> pd.DataFrame:
    """code, category, period, value of the units of `level` that hold the rows: their sums."""
    return (
        rows.assign(code=rows["code"].str[: CODE_LENGTH[level]])
        .groupby(["code", "category", "period"], as_index=False, sort=False)
        .agg(value=("value", "sum"))
    )


def _city_rows(connection: Connection, settings: Settings) -> Iterator[pd.DataFrame]:
    """The city's rows: the sum of its districts' rows."""
    statement = select(BurdenSummary.category, BurdenSummary.period, BurdenSummary.value).where(
        BurdenSummary.level == "district"
    )
    districts = pd.DataFrame(
        [tuple(row) for row in connection.execute(statement)],
        columns=["category", "period", "value"],
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
        rebound=rebounds(values, lowest, settings),  # comparisons with NaN are False
    )


def _write(connection: Connection, frames: Iterable[pd.DataFrame]) -> int:
    return sum(insert_frame(connection, BurdenSummary, frame) for frame in frames)


def _record_state(connection: Connection, settings: Settings) -> None:
    set_state(
        connection,
        BURDEN,
        {"window_months": settings.rebound_window_months, "params": rebound_params(settings)},
    )
