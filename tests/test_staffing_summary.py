"""The staffing summary equals the raw computation: after the small city's build, and after imports
that add, change, move and re-import staff and population rows, on every backend
(data_access/summaries/, docs/metrics.md §3)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from data_access import read_path
from data_access.db import read_frame
from data_access.figures import staffing as staffing_figures
from data_access.importing.readers import Upload
from data_access.importing.runner import run_import
from data_access.models import StaffingSummary
from data_access.queries import staffing
from data_access.scope import CODE_LENGTH, Scope
from data_access.settings import Settings
from data_access.summaries import refresh_staffing_summary
from tests.small_city import AS_OF

C1, C2, C5 = "990101001001", "990101001002", "990102001001"
SCOPES = (None, "990101", "990101001", "990101002001", "990102")
# The as-of date, a month of the first population year, the first month end the summary
# covers (five years before the first month with data) and its last.
MONTHS = (AS_OF, dt.date(2024, 12, 31), dt.date(2020, 2, 29), dt.date(2025, 7, 31))


def _figures(engine: Engine, scope: Scope, settings: Settings) -> dict[str, object]:
    figures: dict[str, object] = {
        "staffing_total": staffing.staffing_total(engine, scope, settings),
        "communities_far_below": staffing.communities_far_below(engine, scope, settings),
        "certificate_counts": staffing.certificate_counts(engine, scope, settings),
        "age_structure": staffing.age_structure(engine, scope, settings),
        "uncertified_under_40": staffing.uncertified_under_40(engine, scope, settings),
        "monthly_trend 3": staffing_figures.monthly_trend(engine, scope, settings, months=3),
    }
    if scope.as_of >= dt.date(2025, 1, 1):  # the page's five years lie inside the summary
        figures["monthly_trend"] = staffing_figures.monthly_trend(engine, scope, settings)
    for level in ("district", "street", "community"):
        if CODE_LENGTH[level] >= len(scope.code or ""):
            figures[f"staffing_by_unit {level}"] = staffing.staffing_by_unit(
                engine, scope, settings, level=level
            )
    return figures


def _assert_same(
    engine: Engine, scope: Scope, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every staffing figure read from the summary equals the one computed from the raw rows."""
    assert read_path.summary_coverage(engine).reads_staffing(
        scope, settings
    )  # the summary is what is compared
    from_summary = _figures(engine, scope, settings)
    with read_path.reading_raw():
        assert not read_path.summary_coverage(engine).reads_staffing(scope, settings)
        from_raw = _figures(engine, scope, settings)
    where = f"at {scope.code or 'city'} as of {scope.as_of}"
    for name, summary in from_summary.items():
        raw_value = from_raw[name]
        if isinstance(summary, pd.DataFrame):
            assert isinstance(raw_value, pd.DataFrame)
            pd.testing.assert_frame_equal(
                summary, raw_value, check_dtype=False, check_exact=True, obj=f"{name} {where}"
            )
        elif isinstance(summary, pd.Series):
            assert isinstance(raw_value, pd.Series)
            pd.testing.assert_series_equal(
                summary, raw_value, check_dtype=False, check_exact=True, obj=f"{name} {where}"
            )
        else:
            assert summary == raw_value, f"{name} {where}"


def _summary_table(engine: Engine) -> pd.DataFrame:
    frame = read_frame(engine, select(StaffingSummary))
    frame["month_end"] = pd.to_datetime(frame["month_end"]).dt.date
    return frame.sort_values(["month_end", "community_code"], ignore_index=True)


def test_staffing_summary_equals_the_raw_computation_on_the_small_city(
    small_city, settings, monkeypatch
):
    for as_of in MONTHS:
        for code in SCOPES:
            _assert_same(small_city, Scope(code, as_of), settings, monkeypatch)


def test_the_staffing_summary_holds_the_hand_checked_figures(small_city, settings):
    assert read_path.summary_coverage(small_city).staffing_months(settings) == (
        dt.date(2020, 2, 29),  # five years before the first burden month, 2025-01
        dt.date(2025, 7, 31),  # the last burden month
    )
    table = _summary_table(small_city).set_index(["month_end", "community_code"])
    assert len(table) == 5 * 66  # every community at every month end
    c1 = table.loc[(AS_OF, C1)]
    assert (c1["resident_population"], c1["households"], c1["counted_workers"]) == (10000, 3500, 15)
    assert (c1["licensed_workers"], c1["certificate_junior"], c1["uncertified_under_40"]) == (
        5,
        5,
        2,
    )
    # C2's first population year is 2024: unknown in 2023, 4,000 from 2024 on.
    assert pd.isna(table.loc[(dt.date(2023, 12, 31), C2), "resident_population"])
    assert table.loc[(dt.date(2024, 1, 31), C2), "resident_population"] == 4000
    # Every counted worker started on 2020-01-01, except C1's newcomer of the as-of date.
    assert table.loc[(dt.date(2025, 5, 31), C1), "counted_workers"] == 15
    assert table.loc[(dt.date(2020, 2, 29), C1), "counted_workers"] == 15
    # Figures outside the summary's months, or on a day that ends no month, are computed raw.
    assert not read_path.summary_coverage(small_city).reads_staffing(
        Scope(None, dt.date(2025, 6, 15)), settings
    )
    assert not read_path.summary_coverage(small_city).reads_staffing(
        Scope(None, dt.date(2025, 8, 31)), settings
    )
    assert not read_path.summary_coverage(small_city).reads_staffing(
        Scope(None, dt.date(2020, 12, 31)), settings, 60
    )
    without_grid = dataclasses.replace(settings, count_grid_fulltime=False)
    assert not read_path.summary_coverage(small_city).reads_staffing(
        Scope(None, AS_OF), without_grid
    )


def _csv(name: str, header: str, rows: list[str]) -> Upload:
    return Upload.of(name, ("\n".join([header, *rows]) + "\n").encode())


STAFF_HEADER = "staff_code,community_code,role,certificate,birth_year,start_date,end_date,grid_code"


def _check_all(engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    for as_of in (AS_OF, dt.date(2025, 5, 31), dt.date(2024, 12, 31)):
        for code in SCOPES:
            _assert_same(engine, Scope(code, as_of), settings, monkeypatch)
    incremental = _summary_table(engine)
    with engine.begin() as connection:
        refresh_staffing_summary(connection, settings)
    pd.testing.assert_frame_equal(incremental, _summary_table(engine), check_exact=True)


@pytest.mark.full({"backend": "mariadb"})
def test_imports_that_add_change_move_and_repeat_staff_keep_the_summary_exact(
    city, settings, monkeypatch
):
    before = staffing.staffing_total(city, Scope(None, AS_OF), settings)
    staff = _csv(
        "staff.csv",
        STAFF_HEADER,
        [
            # new: two workers of C2 from May, one certified
            f"N0000001,{C2},staff,junior,1990,2025-05-10,,",
            f"N0000002,{C2},committee,none,1960,2025-05-10,,",
            # changed: T0000001 (C1's secretary) gains a certificate and leaves at the end of May
            f"T0000001,{C1},secretary,intermediate,1995,2020-01-01,2025-05-31,",
            # moved: T0000075 of C5 now works in C2, in the other district
            f"T0000075,{C2},committee,none,1985,2020-01-01,,",
        ],
    )
    population = _csv(
        "population.csv",
        "community_code,year,resident_population,households",
        [f"{C2},2025,4500,1600"],  # C2's first figure of 2025
    )
    for attempt in range(2):  # the second import repeats the first and changes nothing
        report = run_import(city, [staff, population], max_bytes=10**6)
        assert report.status == "accepted", report.problems
        _check_all(city, settings, monkeypatch)
        after = staffing.staffing_by_unit(city, Scope(None, AS_OF), settings, level="community")
        after = after.set_index("code")
        assert after.loc[C1, "counted_workers"] == 15 - 1, attempt
        assert after.loc[C2, ["counted_workers", "resident_population"]].tolist() == [11, 4500]
        assert after.loc[C5, "counted_workers"] == 10 - 1
        total = staffing.staffing_total(city, Scope(None, AS_OF), settings)
        assert total["counted_workers"] == before["counted_workers"] + 1
        # On 31 May C1's secretary has left (the leaving day does not count); C2's two are in.
        may = staffing.staffing_total(city, Scope("990101001", dt.date(2025, 5, 31)), settings)
        assert may["counted_workers"] == 14 + 11


@pytest.mark.full({"backend": "mariadb"})
def test_a_month_of_new_data_widens_the_staffing_summary(city, settings, monkeypatch):
    burden = _csv("burden.csv", "community_code,category,period,count", [f"{C5},forms,2025-09,4"])
    report = run_import(city, [burden], max_bytes=10**6)
    assert report.status == "accepted", report.problems
    assert read_path.summary_coverage(city).staffing_months(settings) == (
        dt.date(2020, 2, 29),
        dt.date(2025, 9, 30),
    )
    september = Scope(None, dt.date(2025, 9, 30))
    _assert_same(city, september, settings, monkeypatch)
    assert staffing.staffing_total(city, september, settings)["counted_workers"] == 83
    _check_all(city, settings, monkeypatch)


def test_a_refresh_with_other_counted_roles_is_read_with_those_roles(city, settings, monkeypatch):
    without_grid = dataclasses.replace(settings, count_grid_fulltime=False)
    with city.begin() as connection:
        refresh_staffing_summary(connection, without_grid)
    assert not read_path.summary_coverage(city).reads_staffing(Scope(None, AS_OF), settings)
    for code in SCOPES:
        _assert_same(city, Scope(code, AS_OF), without_grid, monkeypatch)
    c1 = staffing.staffing_total(city, Scope(C1, AS_OF), without_grid)
    assert c1["counted_workers"] == 14
