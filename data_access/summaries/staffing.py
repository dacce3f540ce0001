"""The staffing summary (docs/architecture.md, summaries kept at write time; docs/metrics.md §3).

`staffing_summary` holds, for every community and every month end from five years before the
first month with data to the last (read_path.summary_month_ends), the population in force and
the counted workers active that day, by certificate and age band; the counted roles and the
months it covers are stored beside it (read_path.staffing_params), and the staffing queries read
it only when both fit the question (data_access/read_path.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from data_access.db import read_frame
from data_access.dissolution import community_ends, counted_on
from data_access.models import Community, CommunityPopulation, StaffingSummary, StaffMember
from data_access.read_path import (
    AGE_BAND_NAMES,
    CERTIFICATE_COLUMNS,
    STAFFING,
    staffing_coverage,
    staffing_params,
)
from data_access.settings import Settings
from data_access.sql import in_range
from data_access.summaries.month_ends import refresh_by_month_end
from data_access.summary_writes import whole_district

# Ages that start a class: under 35, 35–39, 40–44, 45–54, 55 and over; then unknown. The age
# bands of docs/metrics.md §3 are unions of them, and so is "under 40".
AGE_CLASS_LIMITS = (35, 40, 45, 55)


def refresh_staffing_summary(
    connection: Connection, settings: Settings, districts: Iterable[str] | None = None
) -> int:
    """Recomputes the staffing summary of the given districts (all when None); rows written.

    When the months covered grow (a month of new data) the new months are added for every
    district; a change of the counted roles rebuilds the whole summary.
    """
    return refresh_by_month_end(
        connection,
        StaffingSummary,
        STAFFING,
        lambda stored: staffing_coverage(stored, settings),
        lambda first, last: staffing_params(settings, first, last),
        lambda district, wanted: _staffing_rows(connection, district, wanted, settings),
        districts,
    )


def _staffing_rows(
    connection: Connection, district: str, months: list[dt.date], settings: Settings
) -> pd.DataFrame:
    """One row per community of the district and month end, as docs/metrics.md §3 counts."""
    scope = whole_district(district)
    codes = list(
        connection.execute(
            select(Community.code).where(in_range(Community.code, scope)).order_by(Community.code)
        ).scalars()
    )
    if not codes:
        return pd.DataFrame(columns=[c.name for c in StaffingSummary.__table__.columns])
    staff = read_frame(
        connection,
        select(
            StaffMember.community_code,
            StaffMember.certificate,
            StaffMember.birth_year,
            StaffMember.start_date,
            StaffMember.end_date,
        ).where(
            StaffMember.role.in_(settings.counted_roles),
            in_range(StaffMember.community_code, scope),
            StaffMember.start_date <= months[-1],
        ),
    )
    stamps = np.array([np.datetime64(day, "D") for day in months])
    years = np.array([day.year for day in months])
    community = pd.Index(codes).get_indexer(pd.Index(staff["community_code"]))
    staff = staff[community >= 0].reset_index(drop=True)  # always (a foreign key), but be sure
    community = community[community >= 0]
    # Active on a month end D: start <= D < end (docs/metrics.md §2), as month indexes.
    starts = pd.to_datetime(staff["start_date"]).to_numpy().astype("datetime64[D]")
    ends = pd.to_datetime(staff["end_date"]).to_numpy().astype("datetime64[D]")
    first = np.searchsorted(stamps, starts, side="left")
    last = np.where(np.isnat(ends), len(months), np.searchsorted(stamps, ends, side="left"))
    index = np.arange(len(months))
    person, month = np.nonzero(
        (index[None, :] >= first[:, None]) & (index[None, :] < last[:, None])
    )
    # Each active person-month falls in one class of age on that month end's year (under 35,
    # 35–39, 40–44, 45–54, 55 and over, unknown) and one of certificate (the four, or another).
    birth = pd.to_numeric(staff["birth_year"]).to_numpy(dtype=float)[person]
    age = years[month] - np.nan_to_num(birth)
    unknown = len(AGE_CLASS_LIMITS) + 1  # digitize gives 0 … len(limits)
    ages = np.where(np.isnan(birth), unknown, np.digitize(age, AGE_CLASS_LIMITS))
    certificate = staff["certificate"].map({c: i for i, c in enumerate(CERTIFICATE_COLUMNS)})
    certificates = certificate.fillna(len(CERTIFICATE_COLUMNS)).to_numpy(dtype=int)[person]
    shape = (len(codes), len(months), unknown + 1, len(CERTIFICATE_COLUMNS) + 1)
    cell = np.ravel_multi_index((community[person], month, ages, certificates), shape)
    table = np.bincount(cell, minlength=int(np.prod(shape))).reshape(shape)
    none = list(CERTIFICATE_COLUMNS).index("none")

    # Month by month, each month's communities in order: PostgreSQL keeps a month's rows of a
    # district on neighbouring pages, and the pages read one month (or the trend's months) at a
    # time. Community by community, a city's month was one row on each of 10,000 pages at scale 25.
    def flat(counts: np.ndarray) -> np.ndarray:  # communities × months, a month at a time
        return counts.T.reshape(-1)

    by_age = table.sum(axis=3)
    classes = {  # the age bands of docs/metrics.md §3 as classes of AGE_CLASS_LIMITS
        "under_35": [0],
        "35_44": [1, 2],
        "45_54": [3],
        "55_over": [4],
        "unknown": [5],
    }
    counts: dict[str, np.ndarray] = {
        "counted_workers": flat(by_age.sum(axis=2)),
        "licensed_workers": flat(by_age.sum(axis=2) - table[:, :, :, none].sum(axis=2)),
    }
    for number, column in enumerate(CERTIFICATE_COLUMNS.values()):
        counts[column] = flat(table[:, :, :, number].sum(axis=2))
    for name in AGE_BAND_NAMES:
        counts[f"workers_{name}"] = flat(by_age[:, :, classes[name]].sum(axis=2))
        counts[f"uncertified_{name}"] = flat(table[:, :, classes[name], none].sum(axis=2))
    counts["uncertified_under_40"] = flat(table[:, :, [0, 1], none].sum(axis=2))
    frame = pd.DataFrame(
        {
            "community_code": np.tile(np.array(codes, dtype=object), len(months)),
            "month_end": np.repeat(np.array(months, dtype=object), len(codes)),
            **counts,
        }
    )
    # No row of a community at a month end on or after the day it ends (data_access/dissolution.py).
    ended = community_ends(connection, scope)
    if ended:
        kept = counted_on(frame["community_code"], frame["month_end"], ended)
        frame = frame[kept].reset_index(drop=True)
    return _with_population(connection, frame, scope)


def _with_population(connection: Connection, frame: pd.DataFrame, scope: Any) -> pd.DataFrame:
    """Adds each row's population and households in force: the community's row of the latest
    year not after the month end's year (docs/metrics.md §2)."""
    rows = read_frame(
        connection,
        select(
            CommunityPopulation.community_code,
            CommunityPopulation.year,
            CommunityPopulation.resident_population,
            CommunityPopulation.households,
        ).where(in_range(CommunityPopulation.community_code, scope)),
    )
    frame["year"] = [day.year for day in frame["month_end"]]
    if rows.empty:
        frame["resident_population"] = pd.array([None] * len(frame), dtype="Int64")
        frame["households"] = pd.array([None] * len(frame), dtype="Int64")
        return frame.drop(columns=["year"])
    rows["year"] = rows["year"].astype("int64")
    frame["year"] = frame["year"].astype("int64")
    merged = pd.merge_asof(
        frame.reset_index().sort_values("year"),
        rows.sort_values("year"),
        on="year",
        by="community_code",
        direction="backward",
    )
    merged = merged.sort_values("index").set_index("index")
    for column in ("resident_population", "households"):
        frame[column] = merged[column].astype("Int64").to_numpy()
    return frame.drop(columns=["year"])
