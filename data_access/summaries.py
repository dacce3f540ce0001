"""Summaries kept at write time: burden per unit, category and month, grid coverage and
service reach per community and grid, and staffing per community and month end
(docs/architecture.md, summaries); the map's outlines are in data_access/outlines.py.

`burden_summary` holds, for every community, street, district and the city, each category's
value per month (the sum over its communities, as docs/metrics.md defines the series of a unit),
the lowest value of the rebound window before that month, and the next month that has a value
(NEXT_NONE after the last). The import and the demo refresh it in the transaction of their
writes; `python -m data_access refresh` rebuilds it. `burden_record` stays the source of truth:
a summary is only ever computed from it, and tests hold the two equal.

`staffing_summary` holds, for every community and every month end from five years before the
first month with data to the last, the population in force and the counted workers active that
day, by certificate and age band (docs/metrics.md §3); the counted roles and the months it
covers are stored beside it, and the staffing queries read it only when both fit the question.

`grid_staffing_summary` holds, for every community with grids and the same month ends, its
grids and those with an active grid worker, full-time or any (docs/metrics.md §5); the grid
queries read it when it holds the as-of month end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Connection, Integer, delete, insert, select, update

from data_access import coverage
from data_access.db import bulk_insert, read_frame
from data_access.models import (
    GRID_WORKER_ROLES,
    Base,
    BurdenRecord,
    BurdenSummary,
    Community,
    CommunityCoverage,
    CommunityPopulation,
    District,
    Facility,
    Grid,
    GridReach,
    GridStaffingSummary,
    MapPiece,
    StaffingSummary,
    StaffMember,
    SummaryState,
)
from data_access.scope import CODE_LENGTH, add_months, month_end
from data_access.settings import Settings
from data_access.sql import in_scope

CITY = "city"  # the code of the whole city's rows
NEXT_NONE = dt.date(9999, 12, 1)  # next_period of a series' last month: compares after any date
BURDEN = "burden"
COVERAGE = "coverage"
STAFFING = "staffing"
GRID_STAFFING = "grid_staffing"
TREND_MONTHS = 60  # the staffing trend's month ends, the as-of date's included (metrics §3)
_BATCH = 5_000
_LEVELS = ("community", "street", "district")


def refresh_summaries(connection: Connection, settings: Settings) -> int:
    """Rebuilds every summary from the raw tables; rows written."""
    from data_access.outlines import refresh_outlines  # it writes through this module's helpers

    return (
        refresh_burden_summary(connection, settings)
        + refresh_grid_summaries(connection, settings)
        + refresh_staffing_summary(connection, settings)
        + refresh_grid_staffing_summary(connection)
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
        rebound=rebounds(values, lowest, settings),  # comparisons with NaN are False
    )


def rebounds(current: Any, window_min: Any, settings: Settings) -> Any:
    """Current at least rebound_min_pct % and rebound_min_abs above the window's lowest (False
    without a window), element by element (docs/metrics.md §4): the stored flags and
    queries/burden.py's reductions decide it the same way."""
    rise = current - window_min
    return (rise >= settings.rebound_min_abs) & (
        rise * 100.0 >= window_min * settings.rebound_min_pct
    )


def _write(connection: Connection, frames: Iterable[pd.DataFrame]) -> int:
    return sum(_insert_frame(connection, BurdenSummary, frame) for frame in frames)


def _record_state(connection: Connection, settings: Settings) -> None:
    _set_state(
        connection,
        BURDEN,
        {"window_months": settings.rebound_window_months, "params": rebound_params(settings)},
    )


def rebound_params(settings: Settings) -> str:
    """The thresholds the stored rebound flags were computed with, as kept in summary_state."""
    return (
        f"rebound_min_abs={settings.rebound_min_abs!r};rebound_min_pct={settings.rebound_min_pct!r}"
    )


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
    """Recomputes spatial coverage, service reach and the street and community maps' pieces
    (data_access/outlines.py) of the given districts (all when None)."""
    from data_access.outlines import piece_rows  # it writes through this module's helpers
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
        analysis = coverage.analyse_coverage(communities, grids, settings.sliver_width_m)
        written += _insert_frame(connection, CommunityCoverage, analysis.table)
        connection.execute(delete(MapPiece).where(in_scope(MapPiece.scope_code, scope)))
        written += _insert_frame(connection, MapPiece, piece_rows(communities, grids, analysis))
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
    # Column by column into plain Python values (None for missing), then one dict per row:
    # several times quicker than DataFrame.to_dict on summaries of a million rows.
    values = [
        _python_values(frame[column.name], isinstance(column.type, Integer | BigInteger))
        for column in columns
    ]
    records = [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]
    for start in range(0, len(records), _BATCH):
        bulk_insert(
            connection, Base.metadata.tables[table.__tablename__], records[start : start + _BATCH]
        )
    return len(records)


def _python_values(series: pd.Series, integer: bool) -> list[Any]:
    if integer and isinstance(series.dtype, np.dtype) and series.dtype.kind in "iu":
        return series.tolist()  # numpy integers: never missing
    values = series.astype(object).where(series.notna(), None).tolist()
    if integer:  # counts read as floats beside NaN
        return [None if v is None else int(v) for v in values]
    return [v.item() if isinstance(v, np.generic) else v for v in values]


class Affected(NamedTuple):
    """The districts whose summaries an import changes (None: every district)."""

    burden: set[str]
    grids: set[str] | None
    staffing: set[str]
    grid_staffing: set[str]


def affected_by_import(kinds_and_codes: dict[str, set[str]]) -> Affected:
    """The districts whose burden, grid, staffing and grid staffing summaries an import changes.

    kinds_and_codes: the codes of the rows written, by kind (community codes for burden,
    population and staff rows, the old community's too when a row moved).
    """
    burden_districts = affected_districts(kinds_and_codes.get("burden", set()))
    grid_kinds = ("communities", "grids", "boundaries")
    grid_codes = set().union(*(kinds_and_codes.get(kind, set()) for kind in grid_kinds))
    grid_districts: set[str] | None = affected_districts(grid_codes)
    if kinds_and_codes.get("facilities"):
        grid_districts = None  # a facility reaches grids across district borders
    staffing_kinds = ("communities", "population", "staff")
    staffing_codes = set().union(*(kinds_and_codes.get(kind, set()) for kind in staffing_kinds))
    # A grid's code starts with its community's, and a staff member's grid lies in their
    # community (importing/validate.py): these codes name every grid whose staffing changes.
    grid_staffing_kinds = ("communities", "grids", "staff")
    grid_staffing_codes = set().union(
        *(kinds_and_codes.get(kind, set()) for kind in grid_staffing_kinds)
    )
    return Affected(
        burden_districts,
        grid_districts,
        affected_districts(staffing_codes),
        affected_districts(grid_staffing_codes),
    )


# ---------------------------------------------------------------------------------------------
# Staffing per community and month end (docs/metrics.md §3)

CERTIFICATE_COLUMNS = {
    "none": "certificate_none",
    "junior": "certificate_junior",
    "intermediate": "certificate_intermediate",
    "senior": "certificate_senior",
}
# Ages that start a class: under 35, 35–39, 40–44, 45–54, 55 and over; then unknown. The age
# bands of docs/metrics.md §3 are unions of them, and so is "under 40".
AGE_CLASS_LIMITS = (35, 40, 45, 55)
AGE_BAND_NAMES = ("under_35", "35_44", "45_54", "55_over", "unknown")


def staffing_params(settings: Settings, first: dt.date | None, last: dt.date | None) -> str:
    """The counted roles and the month ends covered, as stored beside the staffing summary."""
    months = f"{first.isoformat()}..{last.isoformat()}" if first and last else "none"
    return f"counted_roles={','.join(sorted(settings.counted_roles))};months={months}"


def staffing_coverage(params: str | None, settings: Settings) -> tuple[dt.date, dt.date] | None:
    """The first and last month end the stored summary holds, when it was computed with
    today's counted roles; None otherwise."""
    if not params:
        return None
    fields = dict(part.split("=", 1) for part in params.split(";") if "=" in part)
    if fields.get("counted_roles") != ",".join(sorted(settings.counted_roles)):
        return None
    first, _, last = fields.get("months", "").partition("..")
    try:
        return dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    except ValueError:
        return None


def summary_month_ends(connection: Connection) -> list[dt.date]:
    """The month ends the staffing summary covers: the trend's five years before the first month
    the sidebar offers, to the last (queries/hierarchy.py:data_months)."""
    from data_access.queries.hierarchy import data_months

    first, last = data_months(connection)
    if first is None or last is None:
        return []
    start = add_months(first, -(TREND_MONTHS - 1))
    count = (last.year - start.year) * 12 + last.month - start.month + 1
    return [month_end(add_months(start, k)) for k in range(count)]


def refresh_staffing_summary(
    connection: Connection, settings: Settings, districts: Iterable[str] | None = None
) -> int:
    """Recomputes the staffing summary of the given districts (all when None); rows written.

    When the months covered grow (a month of new data) the new months are added for every
    district; a change of the counted roles rebuilds the whole summary.
    """
    return _refresh_by_month_end(
        connection,
        StaffingSummary,
        STAFFING,
        lambda stored: staffing_coverage(stored, settings),
        lambda first, last: staffing_params(settings, first, last),
        lambda district, wanted: _staffing_rows(connection, district, wanted, settings),
        districts,
    )


def _refresh_by_month_end(
    connection: Connection,
    table: type[StaffingSummary] | type[GridStaffingSummary],
    state: str,
    coverage_of: Callable[[str | None], tuple[dt.date, dt.date] | None],
    params_of: Callable[[dt.date | None, dt.date | None], str],
    rows_of: Callable[[str, list[dt.date]], pd.DataFrame],
    districts: Iterable[str] | None,
) -> int:
    """Rewrites a summary per community and month end (summary_month_ends) for the given
    districts (all when None, or when the stored coverage no longer fits); the months it did not
    cover yet are added for every district, and months no longer covered are dropped."""
    months = summary_month_ends(connection)
    stored = connection.execute(
        select(SummaryState.params).where(SummaryState.name == state)
    ).scalar_one_or_none()
    covered = coverage_of(stored)
    everyone = _all_districts(connection)
    if districts is None or covered is None:
        connection.execute(delete(table))
        chosen = set(everyone)
        kept: set[dt.date] = set()
    else:
        chosen = set(districts)
        kept = {day for day in months if covered[0] <= day <= covered[1]}
        outside = delete(table)
        if months:
            outside = outside.where((table.month_end < months[0]) | (table.month_end > months[-1]))
        connection.execute(outside)
    added = [day for day in months if day not in kept]
    written = 0
    for district in everyone:
        if district in chosen:
            connection.execute(
                delete(table).where(in_scope(table.community_code, _whole(district)))
            )
            wanted = months
        else:
            wanted = added
        if wanted:
            written += _insert_frame(connection, table, rows_of(district, wanted))
    first, last = (months[0], months[-1]) if months else (None, None)
    _set_state(connection, state, {"window_months": 0, "params": params_of(first, last)})
    return written


def _whole(district: str) -> Any:
    from data_access.scope import Scope

    return Scope(district, dt.date.max)


def _staffing_rows(
    connection: Connection, district: str, months: list[dt.date], settings: Settings
) -> pd.DataFrame:
    """One row per community of the district and month end, as docs/metrics.md §3 counts."""
    scope = _whole(district)
    codes = list(
        connection.execute(
            select(Community.code).where(in_scope(Community.code, scope)).order_by(Community.code)
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
            in_scope(StaffMember.community_code, scope),
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
        ).where(in_scope(CommunityPopulation.community_code, scope)),
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


# ---------------------------------------------------------------------------------------------
# Grid staffing per community and month end (docs/metrics.md §5)


def grid_staffing_params(first: dt.date | None, last: dt.date | None) -> str:
    """The month ends covered, as stored beside the grid staffing summary."""
    return f"months={first.isoformat()}..{last.isoformat()}" if first and last else "months=none"


def grid_staffing_coverage(params: str | None) -> tuple[dt.date, dt.date] | None:
    """The first and last month end the stored grid staffing summary holds; None without one."""
    fields = dict(part.split("=", 1) for part in (params or "").split(";") if "=" in part)
    first, _, last = fields.get("months", "").partition("..")
    try:
        return dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    except ValueError:
        return None


def refresh_grid_staffing_summary(
    connection: Connection, districts: Iterable[str] | None = None
) -> int:
    """Recomputes the grid staffing summary of the given districts (all when None); rows written.

    Its month ends are the staffing summary's (summary_month_ends); when they grow (a month of
    new data) the new months are added for every district, as refresh_staffing_summary does.
    """
    return _refresh_by_month_end(
        connection,
        GridStaffingSummary,
        GRID_STAFFING,
        grid_staffing_coverage,
        grid_staffing_params,
        lambda district, wanted: _grid_staffing_rows(connection, district, wanted),
        districts,
    )


def _grid_staffing_rows(
    connection: Connection, district: str, months: list[dt.date]
) -> pd.DataFrame:
    """One row per community of the district with grids and month end, as
    queries/grids.py:grid_staffing_subquery counts on that day."""
    scope = _whole(district)
    grids = read_frame(
        connection,
        select(Grid.code, Grid.community_code)
        .where(in_scope(Grid.community_code, scope))
        .order_by(Grid.code),
    )
    if grids.empty:
        return pd.DataFrame(columns=[c.name for c in GridStaffingSummary.__table__.columns])
    staff = read_frame(
        connection,
        select(
            StaffMember.grid_code, StaffMember.role, StaffMember.start_date, StaffMember.end_date
        ).where(
            StaffMember.role.in_(GRID_WORKER_ROLES),
            StaffMember.grid_code.is_not(None),
            in_scope(StaffMember.community_code, scope),
            StaffMember.start_date <= months[-1],
        ),
    )
    grid = pd.Index(grids["code"]).get_indexer(pd.Index(staff["grid_code"]))
    staff = staff[grid >= 0].reset_index(drop=True)  # always (a foreign key), but be sure
    grid = grid[grid >= 0]
    # Active on a month end D: start <= D < end (docs/metrics.md §2), as month indexes.
    stamps = np.array([np.datetime64(day, "D") for day in months])
    starts = pd.to_datetime(staff["start_date"]).to_numpy().astype("datetime64[D]")
    ends = pd.to_datetime(staff["end_date"]).to_numpy().astype("datetime64[D]")
    first = np.searchsorted(stamps, starts, side="left")
    last = np.where(np.isnat(ends), len(months), np.searchsorted(stamps, ends, side="left"))
    last = np.maximum(last, first)  # an end before the start is never active
    fulltime = (staff["role"] == "grid_fulltime").to_numpy()

    def staffed(chosen: np.ndarray) -> np.ndarray:
        """Grids × month ends: True where one of the chosen workers is active."""
        steps = np.zeros((len(grids), len(months) + 1), dtype=np.int64)
        np.add.at(steps, (grid[chosen], first[chosen]), 1)  # one step up at each start
        np.add.at(steps, (grid[chosen], last[chosen]), -1)  # and one down at each end
        return np.cumsum(steps, axis=1)[:, :-1] > 0

    codes, community = np.unique(
        grids["community_code"].to_numpy(dtype=object), return_inverse=True
    )
    # Month by month, so that a month's rows lie together where a table keeps insertion order
    # (PostgreSQL's heap): reading one month end of the city touches few pages.
    cells = (np.arange(len(months))[None, :] * len(codes) + community[:, None]).reshape(-1)
    size = len(codes) * len(months)

    def per_community(by_grid: np.ndarray) -> np.ndarray:  # months × communities, row by row
        return np.bincount(cells, weights=by_grid.reshape(-1), minlength=size).astype(np.int64)

    return pd.DataFrame(
        {
            "month_end": np.repeat(np.array(months, dtype=object), len(codes)),
            "community_code": np.tile(codes.astype(object), len(months)),
            "grids": np.tile(np.bincount(community, minlength=len(codes)), len(months)),
            "staffed_grids": per_community(staffed(np.ones(len(staff), dtype=bool))),
            "fulltime_staffed_grids": per_community(staffed(fulltime)),
        }
    )
