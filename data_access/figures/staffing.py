"""Staffing figures (docs/metrics.md §3): one function each, as every page, export and report shows them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.typing import NAType
from sqlalchemy import Engine

from data_access.dissolution import community_ends
from data_access.figures.registry import figure
from data_access.models import CERTIFICATES
from data_access.queries import staffing as queries
from data_access.read_path import TREND_MONTHS, summary_coverage
from data_access.scope import Scope, add_months, month_end
from data_access.settings import Settings

# The columns of staffing_by_unit that split a unit into its urban communities and villages
# (docs/metrics.md §3): shown beside the other figures wherever a unit holds villages.
VILLAGE_COLUMNS = [
    "urban_communities",
    "villages",
    "urban_population",
    "urban_counted_workers",
    "per_10k_all",
]


def has_villages(frame: pd.DataFrame | pd.Series) -> bool:
    """Whether staffing rows (or a staffing_total) hold any village."""
    villages = frame["villages"]
    if isinstance(villages, pd.Series):
        return bool(pd.to_numeric(villages).fillna(0).sum() > 0)
    return not pd.isna(villages) and int(villages) > 0


def community_kind(units: pd.DataFrame) -> pd.Series:
    """urban or village, for staffing_by_unit rows at community level."""
    return pd.Series(
        ["village" if v > 0 else "urban" for v in pd.to_numeric(units["villages"]).fillna(0)],
        index=units.index,
        dtype=object,
    )


def filled_share(required: float | NAType | None, gap: float) -> float | None:
    """The share of the required posts that are filled, 1 - gap / required (docs/metrics.md §3);
    None without a required headcount."""
    if required is None or pd.isna(required) or not required:
        return None
    return 1 - float(gap) / float(required)


def _with_filled_share(frame: pd.DataFrame) -> pd.DataFrame:
    shares = [filled_share(r, g) for r, g in zip(frame["required"], frame["gap"], strict=True)]
    return frame.assign(filled_share=pd.Series(shares, index=frame.index, dtype="Float64"))


@figure
def staffing_total(engine: Engine, scope: Scope, settings: Settings) -> pd.Series:
    """The scope's staffing as one row (queries/staffing.py:staffing_total) with its filled_share."""
    total = queries.staffing_total(engine, scope, settings).copy()
    total["filled_share"] = filled_share(total["required"], total["gap"])
    return total


@figure
def staffing_by_unit(
    engine: Engine, scope: Scope, settings: Settings, level: str | None = None
) -> pd.DataFrame:
    """Staffing per unit at `level` (default: the scope's children) with each unit's filled_share;
    the page tables and `export staffing` alike."""
    found = queries.staffing_by_unit(engine, scope, settings, level=level)
    return _with_filled_share(found)


def largest_gap_first(units: pd.DataFrame) -> pd.DataFrame:
    """Rows of staffing_by_unit with the largest gap first, then by code."""
    return units.sort_values(["gap", "code"], ascending=[False, True])


@figure
def staffing_by_gap(engine: Engine, scope: Scope, settings: Settings, level: str) -> pd.DataFrame:
    """The units at `level` in the scope, largest gap first (the Staffing page's chart and table)."""
    level_asked = None if level == scope.breakdown_level else level
    return largest_gap_first(staffing_by_unit(engine, scope, settings, level_asked))


@figure
def communities_far_below(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    return queries.communities_far_below(engine, scope, settings)


@figure
def certificate_counts(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    return queries.certificate_counts(engine, scope, settings)


def licensed_by_certificate(certificates: pd.DataFrame) -> dict[str, int]:
    """Workers holding each certificate level (certificate_counts), none left out."""
    workers = certificates.set_index("certificate")["workers"]
    return {level: int(workers.get(level, 0)) for level in CERTIFICATES if level != "none"}


@figure
def licensed_counts(engine: Engine, scope: Scope, settings: Settings) -> dict[str, int]:
    """licensed_by_certificate of the scope's counted workers."""
    return licensed_by_certificate(certificate_counts(engine, scope, settings))


@figure
def age_structure(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    return queries.age_structure(engine, scope, settings)


@figure
def uncertified_under_40(engine: Engine, scope: Scope, settings: Settings) -> int:
    return queries.uncertified_under_40(engine, scope, settings)


@figure
def staffing_trend(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    return monthly_trend(engine, scope, settings)


@figure
def population_by_year(engine: Engine, scope: Scope) -> pd.DataFrame:
    """The scope's residents and households at each year's end (the Staffing page's chart)."""
    return queries.population_by_year(engine, scope)


TREND_COLUMNS = [
    "month_end",
    "counted_workers",
    "resident_population",
    "per_10k",
    "per_10k_all",
]


def monthly_trend(
    engine: Engine, scope: Scope, settings: Settings, months: int = TREND_MONTHS
) -> pd.DataFrame:
    """month_end, counted_workers, resident_population, per_10k (urban communities) and
    per_10k_all (every community) for the last `months` month ends.

    The last point is the as-of date itself, so it agrees with staffing_total.
    """
    ends = [month_end(add_months(scope.as_of, -back)) for back in range(months - 1, -1, -1)]
    ends[-1] = scope.as_of
    if summary_coverage(engine).reads_staffing(scope, settings, months):
        return summary_trend(engine, scope, ends)
    return raw_monthly_trend(engine, scope, settings, ends)


def _trend_row(
    day: dt.date, counted: int, total: Any, known: int, urban_total: Any, urban_known: int
) -> tuple[Any, ...]:
    """One row of TREND_COLUMNS from the sums of a month end (None or NaN: no population)."""

    def whole(value: Any) -> int | None:
        return None if value is None or pd.isna(value) else int(value)

    total, urban_total = whole(total), whole(urban_total)
    per_10k = int(urban_known) / urban_total * 10000 if urban_total else None
    per_10k_all = int(known) / total * 10000 if total else None
    return (day, int(counted), total, per_10k, per_10k_all)


def summary_trend(engine: Engine, scope: Scope, ends: list[dt.date]) -> pd.DataFrame:
    """The trend summed from staffing_summary (queries/staffing.py:summary_trend_sums)."""
    frame = queries.summary_trend_sums(engine, scope, ends)
    by_month = {pd.Timestamp(row[0]).date(): row[1:] for row in frame.itertuples(index=False)}
    rows = [_trend_row(day, *by_month.get(day, (0, None, 0, None, 0))) for day in ends]
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


def raw_monthly_trend(
    engine: Engine, scope: Scope, settings: Settings, ends: list[dt.date]
) -> pd.DataFrame:
    """The trend at the month ends `ends`, from staff_member and community_population."""
    stamps = np.array([np.datetime64(day, "ns") for day in ends])
    pairs = queries.tenure_pairs(engine, scope, settings)
    community, codes = pd.factorize(pairs["community_code"])
    # Each group of workers counts from the first month end on or after its start until the
    # first month end on or after its end: one +/- step per group, summed along the months.
    starts = pd.to_datetime(pairs["start_date"]).to_numpy()
    finishes = pd.to_datetime(pairs["end_date"]).to_numpy()
    first = np.searchsorted(stamps, starts, side="left")
    last = np.where(np.isnat(finishes), len(ends), np.searchsorted(stamps, finishes, side="left"))
    steps = np.zeros((len(codes), len(ends) + 1), dtype=np.int64)
    workers = pairs["workers"].to_numpy(dtype=np.int64)
    np.add.at(steps, (community, first), workers)
    np.add.at(steps, (community, last), -workers)
    active = steps.cumsum(axis=1)[:, :-1]  # communities × month ends
    kinds = queries.community_kinds(engine, scope)
    population = _population_table(queries.population_by_year(engine, scope, in_force=False))
    residents = population.reindex([day.year for day in ends])  # month ends × communities
    # A community ends on a day (data_access/dissolution.py): no worker nor resident of it from
    # the first month end on or after that day.
    for code, end in community_ends(engine, scope).items():
        gone = np.array([day >= end for day in ends])
        if code in codes:
            active[codes.get_loc(code), gone] = 0
        if code in residents.columns:
            residents.loc[gone, code] = np.nan
    urban_columns = [code for code in residents.columns if kinds.get(code) != queries.VILLAGE]
    totals = residents.sum(axis=1, min_count=1).to_numpy() if len(residents.columns) else None
    urban_totals = residents[urban_columns].sum(axis=1, min_count=1).to_numpy()
    # communities × month ends: whose population is known, and which are urban
    known = residents.reindex(columns=codes).notna().to_numpy().T if totals is not None else None
    urban = np.array([kinds.get(code) != queries.VILLAGE for code in codes], dtype=bool)
    rows = []
    for i, day in enumerate(ends):
        if known is None or not len(codes):
            counted_known = counted_urban = 0
        else:
            counted_known = int(active[known[:, i], i].sum())
            counted_urban = int(active[known[:, i] & urban, i].sum())
        total = None if totals is None else totals[i]
        urban_total = urban_totals[i] if len(urban_columns) else None
        counted = int(active[:, i].sum())
        rows.append(_trend_row(day, counted, total, counted_known, urban_total, counted_urban))
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


def _population_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Years × communities: each community's population of its latest year ≤ the row's year."""
    if frame.empty:
        return pd.DataFrame()
    table = frame.pivot_table(
        index="year", columns="community_code", values="resident_population", aggfunc="sum"
    )
    years = range(int(table.index.min()), int(table.index.max()) + 30)
    return table.reindex(years).ffill()
