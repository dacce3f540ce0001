"""The grid staffing summary equals the raw computation: on the small and grid cities, after
imports that add, change, move and repeat staff and grids, and after an upgrade from the
schema before it, on every backend (data_access/summaries/, docs/metrics.md §5)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from data_access import read_path
from data_access.db import make_engine, read_frame
from data_access.importing.readers import Upload
from data_access.importing.runner import run_import
from data_access.models import GridStaffingSummary, SummaryState
from data_access.queries import grids
from data_access.schema import upgrade
from data_access.scope import CODE_LENGTH, Scope
from data_access.settings import Settings
from data_access.summaries import affected_by_import, refresh_grid_staffing_summary
from tests.grid_city import A, B, C
from tests.small_city import AS_OF, build_small_city

C1, C2, C5 = "990101001001", "990101001002", "990102001001"
# Scope and as-of date: the city, a district, a street and a community; a district without
# grids; the small city's first and last month ends covered, and the month before the as-of date.
SMALL_VIEWS = (
    (None, AS_OF),
    ("990101", AS_OF),
    (C1, AS_OF),
    ("990102", AS_OF),
    (None, dt.date(2020, 2, 29)),
    (None, dt.date(2025, 7, 31)),
    ("990101001", dt.date(2025, 5, 31)),
)
# The grid city's workers start and leave around AS_OF and on 2025-01-31 (tests/grid_city.py).
GRID_VIEWS = (
    (None, AS_OF),
    ("990201001", AS_OF),
    (C, AS_OF),
    (B, dt.date(2025, 5, 31)),
    (None, dt.date(2025, 1, 31)),
    (None, dt.date(2024, 12, 31)),
)


def _figures(engine: Engine, scope: Scope, settings: Settings) -> dict[str, object]:
    figures: dict[str, object] = {
        "grid_staffing_total": grids.grid_staffing_total(engine, scope),
        "grid_counts_total": grids.grid_counts_total(engine, scope, settings),
        "unstaffed_grids": grids.unstaffed_grids(engine, scope),
    }
    # The scope's children, and its communities: the levels the pages read.
    for level in dict.fromkeys((scope.breakdown_level, "community")):
        if CODE_LENGTH[level] >= len(scope.code or ""):
            figures[f"grid_staffing_by_unit {level}"] = grids.grid_staffing_by_unit(
                engine, scope, level
            )
            figures[f"grid_counts_by_unit {level}"] = grids.grid_counts_by_unit(
                engine, scope, settings, level
            )
    return figures


def _assert_same(
    engine: Engine, scope: Scope, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every grid figure read through the summary equals the one computed from the raw rows."""
    assert read_path.summary_coverage(engine).reads_grid_staffing(
        scope
    )  # the summary is what is compared
    from_summary = _figures(engine, scope, settings)
    with read_path.reading_raw():
        assert not read_path.summary_coverage(engine).reads_grid_staffing(scope)
        from_raw = _figures(engine, scope, settings)
    where = f"at {scope.code or 'city'} as of {scope.as_of}"
    for name, summary in from_summary.items():
        raw_value = from_raw[name]
        if isinstance(summary, pd.DataFrame):
            assert isinstance(raw_value, pd.DataFrame)
            pd.testing.assert_frame_equal(
                summary, raw_value, check_dtype=False, check_exact=True, obj=f"{name} {where}"
            )
        else:
            assert isinstance(summary, pd.Series) and isinstance(raw_value, pd.Series)
            pd.testing.assert_series_equal(
                summary, raw_value, check_dtype=False, check_exact=True, obj=f"{name} {where}"
            )


def _summary_table(engine: Engine) -> pd.DataFrame:
    frame = read_frame(engine, select(GridStaffingSummary))
    frame["month_end"] = pd.to_datetime(frame["month_end"]).dt.date
    return frame.sort_values(["month_end", "community_code"], ignore_index=True)


def test_grid_staffing_summary_equals_the_raw_computation_on_the_small_city(
    small_city, settings, monkeypatch
):
    for code, as_of in SMALL_VIEWS:
        _assert_same(small_city, Scope(code, as_of), settings, monkeypatch)


def test_grid_staffing_summary_equals_the_raw_computation_on_the_grid_city(
    grid_city, settings, monkeypatch
):
    for code, as_of in GRID_VIEWS:
        _assert_same(grid_city, Scope(code, as_of), settings, monkeypatch)


@pytest.mark.servers()
def test_the_grid_staffing_summary_holds_the_hand_checked_figures(grid_city):
    """tests/grid_city.py: the end date is exclusive, the start date inclusive."""
    table = _summary_table(grid_city).set_index(["month_end", "community_code"])
    columns = ["grids", "staffed_grids", "fulltime_staffed_grids"]
    expected = {
        # A: A1 full-time, A2 part-time, A3's full-time worker left on 2025-01-31
        (AS_OF, A): [3, 2, 1],
        # B: B1's full-time worker leaves on AS_OF, B3's starts that day; B2 part-time
        (AS_OF, B): [3, 2, 1],
        (AS_OF, C): [1, 0, 0],
        (dt.date(2025, 5, 31), B): [3, 2, 1],
        (dt.date(2025, 1, 31), A): [3, 2, 1],
        (dt.date(2024, 12, 31), A): [3, 3, 2],
    }
    for key, values in expected.items():
        assert table.loc[key, columns].tolist() == values, key
    # Every community with grids at every month end, from five years before the first start.
    assert read_path.summary_coverage(grid_city).grid_staffing_months == (
        dt.date(2015, 2, 28),
        AS_OF,
    )
    assert len(table) == 3 * 125


def test_a_date_outside_the_summary_is_computed_from_the_raw_rows(small_city):
    # The month after the last with data, a day that ends no month, a month before the first.
    for as_of in (dt.date(2025, 8, 31), dt.date(2025, 6, 15), dt.date(2020, 1, 31)):
        scope = Scope(None, as_of)
        assert not read_path.summary_coverage(small_city).reads_grid_staffing(scope), as_of
        total = grids.grid_staffing_total(small_city, scope)
        # 001 full-time and 002 part-time since 2020-01-01; 003's worker never active.
        assert total[["grids", "staffed_grids", "fulltime_staffed_grids"]].tolist() == [4, 2, 1]
        assert total["unstaffed_grids"] == 2
        unstaffed = grids.unstaffed_grids(small_city, scope)
        assert unstaffed["code"].tolist() == ["990101001001003", "990101001002001"]
    assert read_path.summary_coverage(small_city).reads_grid_staffing(Scope(None, AS_OF))


def test_the_districts_an_import_changes_are_those_of_its_communities_grids_and_staff():
    written = {"staff": {C1, C5}, "grids": {"990201001001001"}, "burden": {"990301001001"}}
    assert affected_by_import(written).grid_staffing == {"990101", "990102", "990201"}
    assert affected_by_import({"communities": {C2}}).grid_staffing == {"990101"}
    assert affected_by_import({"population": {C2}}).grid_staffing == set()


def _csv(name: str, header: str, rows: list[str]) -> Upload:
    return Upload.of(name, ("\n".join([header, *rows]) + "\n").encode())


GRID_HEADER = "code,name,community_code,kind,households,population,has_party_branch"
STAFF_HEADER = "staff_code,community_code,role,certificate,birth_year,start_date,end_date,grid_code"


def _check_all(engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    for code, as_of in SMALL_VIEWS[:5]:
        _assert_same(engine, Scope(code, as_of), settings, monkeypatch)
    _assert_same(engine, Scope("990102", dt.date(2025, 5, 31)), settings, monkeypatch)
    incremental = _summary_table(engine)
    with engine.begin() as connection:
        refresh_grid_staffing_summary(connection)
    pd.testing.assert_frame_equal(incremental, _summary_table(engine), check_exact=True)


@pytest.mark.full({"backend": "mariadb"})
def test_imports_that_add_change_move_and_repeat_staff_and_grids_keep_the_summary_exact(
    city, settings, monkeypatch
):
    grid_rows = _csv(
        "grids.csv",
        GRID_HEADER,
        [
            f"{C2}002,二社区网格2,{C2},general,320,,否",  # new, in C2
            f"{C5}001,南网格1,{C5},general,410,,是",  # new, the first of the other district
            f"{C1}003,网格003,{C1},general,350,,是",  # changed: 600 households, now 350
        ],
    )
    staff = _csv(
        "staff.csv",
        STAFF_HEADER,
        [
            # new: a part-time grid worker of C2's new grid from 10 May
            f"N0000001,{C2},grid_parttime,none,1990,2025-05-10,,{C2}002",
            # moved to another grid: C1's full-time grid worker goes from grid 001 to 003
            f"T0000013,{C1},grid_fulltime,junior,1995,2020-01-01,,{C1}003",
            # moved to another community and district: 002's part-time worker goes to C5
            f"T0000088,{C5},grid_parttime,none,1985,2020-01-01,,{C5}001",
            # changed: 003's former worker works on grid 001 until 1 June
            f"T0000089,{C1},grid_fulltime,none,1985,2020-01-01,2025-06-01,{C1}001",
        ],
    )
    for attempt in range(2):  # the second import repeats the first and changes nothing
        report = run_import(city, [grid_rows, staff], max_bytes=10**6)
        assert report.status == "accepted", report.problems
        _check_all(city, settings, monkeypatch)
        by_community = grids.grid_staffing_by_unit(city, Scope(None, AS_OF), "community")
        columns = ["grids", "staffed_grids", "fulltime_staffed_grids"]
        assert by_community.set_index("code")[columns].to_dict("index") == {
            C1: dict(zip(columns, [3, 1, 1], strict=True)),  # 003 alone
            C2: dict(zip(columns, [2, 1, 0], strict=True)),  # the new grid
            C5: dict(zip(columns, [1, 1, 0], strict=True)),  # the moved worker
        }, attempt
        unstaffed = grids.unstaffed_grids(city, Scope(None, AS_OF))
        assert unstaffed["code"].tolist() == [f"{C1}002", f"{C1}001", f"{C2}001"]
        # On 31 May grid 001's worker is still in (leaving on 1 June), and so is C2's newcomer.
        may = grids.grid_staffing_total(city, Scope(None, dt.date(2025, 5, 31)))
        assert may[columns].tolist() == [6, 4, 2]


@pytest.mark.full({"backend": "mariadb"})
def test_a_month_of_new_data_widens_the_grid_staffing_summary(city, settings, monkeypatch):
    burden = _csv("burden.csv", "community_code,category,period,count", [f"{C5},forms,2025-09,4"])
    report = run_import(city, [burden], max_bytes=10**6)
    assert report.status == "accepted", report.problems
    assert read_path.summary_coverage(city).grid_staffing_months == (
        dt.date(2020, 2, 29),
        dt.date(2025, 9, 30),
    )
    september = Scope(None, dt.date(2025, 9, 30))
    _assert_same(city, september, settings, monkeypatch)
    assert grids.grid_staffing_total(city, september)["staffed_grids"] == 2
    _check_all(city, settings, monkeypatch)


@pytest.mark.servers()
def test_the_upgrade_from_the_schema_before_it_fills_the_grid_staffing_summary(
    new_database, small_city, settings, monkeypatch
):
    old = make_engine(new_database("at_0011"))
    upgrade(old, "0011_map_pieces")
    build_small_city(old, refresh=False)
    upgrade(old)
    state = read_frame(old, select(SummaryState.name))["name"]
    assert "grid_staffing" in set(state)
    pd.testing.assert_frame_equal(_summary_table(old), _summary_table(small_city))
    assert len(_summary_table(old)) == 2 * 66  # C1 and C2, the communities with grids
    _assert_same(old, Scope("990101", AS_OF), settings, monkeypatch)
    old.dispose()
