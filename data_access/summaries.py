"""Summaries kept at write time: burden per unit, category and month (docs/architecture.md).

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

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, insert, select, update

from data_access.models import BurdenRecord, BurdenSummary, District, SummaryState
from data_access.scope import CODE_LENGTH
from data_access.settings import Settings
from data_access.sql import in_scope

CITY = "city"  # the code of the whole city's rows
NEXT_NONE = dt.date(9999, 12, 1)  # next_period of a series' last month: compares after any date
BURDEN = "burden"
_BATCH = 5_000
_LEVELS = ("community", "street", "district")


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
    next_period = np.where(last, NEXT_NONE, frame["period"].to_numpy()[following])
    return frame.assign(
        window_min=pd.array(np.where(np.isnan(lowest), None, lowest), dtype="Int64"),
        next_period=next_period,
    )


def _write(connection: Connection, frames: Iterable[pd.DataFrame]) -> int:
    written = 0
    columns = ["level", "code", "category", "period", "value", "window_min", "next_period"]
    for frame in frames:
        rows = frame[columns].astype(object).where(frame[columns].notna(), None)
        records = rows.to_dict("records")
        for start in range(0, len(records), _BATCH):
            connection.execute(insert(BurdenSummary), records[start : start + _BATCH])
        written += len(records)
    return written


def _record_state(connection: Connection, settings: Settings) -> None:
    values = {"window_months": settings.rebound_window_months}
    done = connection.execute(
        update(SummaryState).where(SummaryState.name == BURDEN).values(**values)
    )
    if not done.rowcount:
        connection.execute(insert(SummaryState).values(name=BURDEN, **values))
