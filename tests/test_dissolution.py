"""Units that end (docs/metrics.md §2): a merge and a dissolution recorded through the import,
with every figure exact before and after the day, read from the summaries and from the raw
tables alike, on every backend; the lists, the import's checks and the migration.

The merged city is the small city (tests/small_city.py) with, through two imports:

- burden rows for C2 (990101001002, work_items 20, 18, 16, 14, 12, 10, 8 in 2025-01 … 2025-07)
  and C3 (990101002001, work_items 30 in each of those months), written before anything ended;
- C2 merged into C1 (990101001001) on 2025-06-01;
- street 990101002 (C3 and C4) dissolved on 2025-07-01, into nothing.

By hand, from the small city's table:

| as of | communities | residents | counted | required | gap |
|---|---|---|---|---|---|
| 2025-05-31 | C1–C5: 5 | 55,001 | C1 15 (the starter of 06-30 not yet, the leaver of 06-30 still) + 8 + 30 + 20 + 10 = 83 | 18 + 9 + 54 + 11 + 10 = 102 | 3 + 1 + 24 = 28 |
| 2025-06-30 | C1, C3, C4, C5: 4 | 51,001 | 15 + 30 + 20 + 10 = 75 | 93 | 3 + 24 = 27 |
| 2025-07-31 | C1, C5: 2 | 15,001 | C1 15 (the leaver of 07-01 gone, the starter of 07-01 in) + 10 = 25 | 28 | 3 |

District 990101's work_items, month by month: C1 100, 80, 60, 50, 40, 60, 10 plus C2 until May
and C3 until June: 150, 128, 106, 94, 82, 90 (60 + 30), 10. Grids: C1's three (001 and 002
staffed, 003 not) and C2's one (unstaffed) until May; C1's three after.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, insert, inspect, select, text

from dashboard.map_data import load_map_data
from data_access import read_path
from data_access.admission import admission_by_unit, load
from data_access.db import make_engine
from data_access.dissolution import ending_of, units_on
from data_access.figures import burden as burden_figures
from data_access.figures import grids as grid_figures
from data_access.figures import staffing as staffing_figures
from data_access.figures.lookups import left_in_dissolved
from data_access.importing import Upload, message, run_import
from data_access.models import Base, Community, District, Street, SummaryState
from data_access.queries import burden, grids, hierarchy, premises, staffing
from data_access.schema import alembic_config, current_revision, head_revision, upgrade
from data_access.scope import Scope
from tests.backends import Databases
from tests.grid_city import build_grid_city
from tests.test_pages import run_app

C1, C2, C3, C4, C5 = (
    "990101001001",
    "990101001002",
    "990101002001",
    "990101002002",
    "990102001001",
)
WEST = "990101002"  # the street dissolved on 2025-07-01
BEFORE, MERGED, BOTH = dt.date(2025, 5, 31), dt.date(2025, 6, 30), dt.date(2025, 7, 31)
MONTHS = [dt.date(2025, month, 1) for month in range(1, 8)]
MAX_BYTES = 10 * 2**20


def _upload(name: str, lines: list[str]) -> Upload:
    return Upload.of(name, ("\n".join(lines) + "\n").encode())


def _import(engine: Engine, *uploads: Upload) -> None:
    report = run_import(engine, list(uploads), max_bytes=MAX_BYTES)
    assert report.accepted, report.problems


@pytest.fixture(scope="module")
def merged_url(databases: Databases, small_city_template: str) -> str:
    url = databases.copy(small_city_template, "merged_city")
    engine = make_engine(url)
    burden_rows = [
        *(
            f"{C2},work_items,{m:%Y-%m},{v}"
            for m, v in zip(MONTHS, (20, 18, 16, 14, 12, 10, 8), strict=True)
        ),
        *(f"{C3},work_items,{m:%Y-%m},30" for m in MONTHS),
    ]
    _import(engine, _upload("burden.csv", ["community_code,category,period,count", *burden_rows]))
    _import(
        engine,
        _upload(
            "communities.csv",
            [
                "社区代码,社区名称,所属街道代码,撤销日期,并入单位代码",
                f"{C2},二社区,990101001,2025-06-01,{C1}",
            ],
        ),
        _upload(
            "streets.csv",
            ["街道代码,街道名称,所属区代码,撤销日期", f"{WEST},西街道,990101,2025-07-01"],
        ),
    )
    engine.dispose()
    return url


@pytest.fixture
def merged(merged_url: str) -> Iterator[Engine]:
    engine = make_engine(merged_url)
    yield engine
    engine.dispose()


def _both_ways(read, *args):
    """A figure from the summaries, and from the raw tables; they must be equal."""
    from_summary = read(*args)
    with read_path.reading_raw():
        from_raw = read(*args)
    if isinstance(from_summary, pd.DataFrame):
        pd.testing.assert_frame_equal(from_summary, from_raw, check_dtype=False, check_exact=True)
    elif isinstance(from_summary, pd.Series):
        pd.testing.assert_series_equal(from_summary, from_raw, check_dtype=False, check_exact=True)
    else:
        assert from_summary == from_raw
    return from_summary


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (BEFORE, (5, 55_001, 83, 102, 28)),
        (MERGED, (4, 51_001, 75, 93, 27)),
        (BOTH, (2, 15_001, 25, 28, 3)),
    ],
)
def test_staffing_totals_before_and_after_each_day(merged, settings, as_of, expected):
    scope = Scope(None, as_of)
    assert read_path.summary_coverage(merged).reads_staffing(scope, settings)
    total = _both_ways(staffing.staffing_total, merged, scope, settings)
    columns = ["communities", "resident_population", "counted_workers", "required", "gap"]
    assert [int(total[column]) for column in columns] == list(expected)
    for figure in (staffing.certificate_counts, staffing.age_structure):
        counts = _both_ways(figure, merged, scope, settings)
        assert int(counts["workers"].sum()) == expected[2]
    _both_ways(staffing.uncertified_under_40, merged, scope, settings)


def test_staffing_by_unit_lists_the_units_in_force(merged, settings):
    def by_street(as_of: dt.date) -> list[tuple[str, int]]:
        frame = _both_ways(
            staffing.staffing_by_unit, merged, Scope("990101", as_of), settings, "street"
        )
        return list(zip(frame["code"], frame["counted_workers"].astype(int), strict=True))

    assert by_street(BEFORE) == [("990101001", 15 + 8), (WEST, 30 + 20)]
    assert by_street(MERGED) == [("990101001", 15), (WEST, 50)]
    assert by_street(BOTH) == [("990101001", 15)]
    communities = _both_ways(
        staffing.staffing_by_unit, merged, Scope(None, MERGED), settings, "community"
    )
    assert list(communities["code"]) == [C1, C3, C4, C5]


def test_the_trend_drops_a_unit_from_its_first_month_end_after_the_day(merged, settings):
    scope = Scope(None, BOTH)
    assert read_path.summary_coverage(merged).reads_staffing(scope, settings, 60)
    trend = _both_ways(staffing_figures.monthly_trend, merged, scope, settings)
    last = trend.tail(3)
    assert list(last["month_end"]) == [BEFORE, MERGED, BOTH]
    assert list(last["counted_workers"]) == [83, 75, 25]
    assert list(last["resident_population"]) == [55_001, 51_001, 15_001]
    # Street 990101001 before and after C2 went into C1.
    street = _both_ways(
        staffing_figures.monthly_trend, merged, Scope("990101001", BOTH), settings, 3
    )
    assert list(street["counted_workers"]) == [23, 15, 15]
    assert list(street["resident_population"]) == [14_000, 10_000, 10_000]


@pytest.mark.parametrize(
    ("as_of", "grids_total", "staffed", "unstaffed"),
    [
        (BEFORE, 4, 2, ["990101001001003", "990101001002001"]),
        (MERGED, 3, 2, ["990101001001003"]),
        (BOTH, 3, 2, ["990101001001003"]),
    ],
)
def test_grid_counts_before_and_after_the_merge(
    merged, settings, as_of, grids_total, staffed, unstaffed
):
    scope = Scope(None, as_of)
    assert read_path.summary_coverage(merged).reads_grid_staffing(scope)
    total = _both_ways(grids.grid_staffing_total, merged, scope)
    assert (int(total["grids"]), int(total["staffed_grids"])) == (grids_total, staffed)
    counts = _both_ways(grids.grid_counts_total, merged, scope, settings)
    assert int(counts["grids"]) == grids_total
    assert list(_both_ways(grids.unstaffed_grids, merged, scope)["code"]) == unstaffed
    assert len(grids.grid_list(merged, scope)) == grids_total


def test_burden_sums_count_each_unit_in_the_months_it_was_in_force(merged):
    def series(code: str | None, as_of: dt.date) -> list[int]:
        frame = _both_ways(burden.monthly_series, merged, Scope(code, as_of), ("work_items",))
        return [int(v) for v in frame["value"]]

    assert series("990101", BOTH) == [150, 128, 106, 94, 82, 90, 10]
    assert series("990101", MERGED) == [150, 128, 106, 94, 82, 90]
    assert series("990101", BEFORE) == [150, 128, 106, 94, 82]
    assert series(None, BOTH) == [150, 128, 106, 94, 82, 90, 10]
    # The street C2 was merged in: C1 and C2 until May, C1 alone from June.
    assert series("990101001", BOTH) == [120, 98, 76, 64, 52, 60, 10]
    # The dissolved street's own series ends with June.
    assert series(WEST, BOTH) == [30] * 6

    def units(level: str, as_of: dt.date) -> list[str]:
        frame = _both_ways(burden.unit_series, merged, Scope(None, as_of), level)
        return sorted(set(frame["code"]))

    assert units("community", BEFORE) == [C1, C2, C3]
    assert units("community", MERGED) == [C1, C3]
    assert units("community", BOTH) == [C1]
    assert units("street", BOTH) == ["990101001"]


def test_burden_reductions_and_tables_list_the_units_in_force(merged, settings):
    def reductions(level: str, as_of: dt.date) -> pd.DataFrame:
        frame = _both_ways(
            burden_figures.unit_reductions, merged, Scope(None, as_of), level, settings
        )
        return frame[frame["category"] == "work_items"].set_index("code")

    district = reductions("district", BOTH)
    assert (district.loc["990101", "baseline"], district.loc["990101", "current"]) == (150, 10)
    assert district.loc["990101", "reduction"] == pytest.approx(140 / 150)
    assert list(reductions("community", MERGED).index) == [C1, C3]
    village = reductions("community", BEFORE).loc[C2]  # the day before its merge: as it was
    assert (village["baseline"], village["current"], village["reduction"]) == (20, 12, 0.4)
    table = burden_figures.unit_table(merged, Scope("990101", MERGED), "community", settings)
    assert sorted(set(table["code"])) == [C1, C3, C4]
    rebounds = _both_ways(burden.community_rebounds, merged, Scope(None, MERGED), settings)
    assert list(rebounds["community_code"]) == [C1]


def test_the_lists_and_filters_hold_the_units_in_force(merged, settings):
    units = hierarchy.units(merged)
    assert list(units.columns) == hierarchy.UNIT_COLUMNS
    dissolved = units.set_index("code").loc[[C2, WEST], ["dissolved_on", "successor_code"]]
    assert dissolved.to_dict("index") == {
        C2: {"dissolved_on": dt.date(2025, 6, 1), "successor_code": C1},
        WEST: {"dissolved_on": dt.date(2025, 7, 1), "successor_code": None},
    }
    everything = list(units["code"])
    assert list(units_on(units, BEFORE)["code"]) == everything
    assert list(units_on(units, MERGED)["code"]) == [c for c in everything if c != C2]
    assert list(units_on(units, BOTH)["code"]) == [
        "990101",
        "990101001",
        C1,
        "990102",
        "990102001",
        C5,
    ]
    # The day before the merge the village is still there.
    assert C2 in set(units_on(units, dt.date(2025, 5, 31))["code"])
    assert C2 not in set(units_on(units, dt.date(2025, 6, 1))["code"])
    merge = ending_of(units, C2)
    assert merge is not None
    assert (merge.code, merge.dissolved_on, merge.successor_code, merge.successor_name) == (
        C2,
        dt.date(2025, 6, 1),
        C1,
        "一社区",
    )
    street = ending_of(units, C4)  # a community of the dissolved street ends with it
    assert street is not None
    assert (street.code, street.level, street.dissolved_on, street.successor_code) == (
        WEST,
        "street",
        dt.date(2025, 7, 1),
        None,
    )
    assert ending_of(units, C1) is None
    for as_of, expected in ((BEFORE, 5), (MERGED, 4), (BOTH, 2)):
        total = premises.premises_total(merged, Scope(None, as_of), settings)
        assert int(total["communities"]) == expected
    for as_of, expected in (
        (BEFORE, [("990101001", 2), (WEST, 2)]),
        (MERGED, [("990101001", 1), (WEST, 2)]),
        (BOTH, [("990101001", 1)]),
    ):
        scope = Scope("990101", as_of)
        table = admission_by_unit(load(merged, scope, settings), units, "street", scope)
        assert list(zip(table["code"], table["communities"], strict=True)) == expected


def test_the_data_page_lists_what_is_left_in_dissolved_units(merged):
    left = left_in_dissolved(merged, Scope(None, BOTH))
    rows = list(
        zip(left["code"], left["left_over"], left["rows"], left["successor_code"], strict=True)
    )
    assert rows == [
        (C2, "staff", 8, C1),
        (C2, "burden", 2, C1),
        (C3, "staff", 30, None),
        (C3, "burden", 1, None),
        (C4, "staff", 20, None),
    ]
    burden_rows = left[left["left_over"] == "burden"]
    assert list(burden_rows["left_keys"]) == ["2025-06、2025-07", "2025-07"]
    assert list(left["dissolved_on"].unique()) == [dt.date(2025, 6, 1), dt.date(2025, 7, 1)]
    # Inside one street's scope, only that street's.
    assert set(left_in_dissolved(merged, Scope("990101001", BOTH))["code"]) == {C2}


def _problems(engine: Engine, *uploads: Upload) -> list[tuple[str, int | None, str]]:
    report = run_import(engine, list(uploads), max_bytes=MAX_BYTES, dry_run=True)
    return [(p.file, p.row, p.key) for p in report.problems]


def test_the_import_checks_successors(merged):
    rows = [
        "code,name,street_code,dissolved_on,successor_code",
        f"{C1},一社区,990101001,2025-09-01,{C2}",  # into a village gone before it
        f"{C4},四社区,990101002,2025-06-15,990101001003",  # into a community further down
        "990101001003,新社区,990101001,,",
        f"{C5},五社区,990102001,2025-08-01,{C5}",  # into itself
        "990102001002,六社区,990102001,,990102001001",  # a successor without a date
        "990102001003,七社区,990102001,2025-08-01,990102001009",  # into nothing known
        "990102001004,八社区,990102001,2025-08-01,990102001005",  # a circle of two
        "990102001005,九社区,990102001,2025-08-01,990102001004",
        "990102001006,十社区,990102001,2025-02-30,",  # no such day
        "990102001007,十一社区,990102001,2025-08-01,990102",  # a district's code
    ]
    report = run_import(
        merged, [_upload("communities.csv", rows)], max_bytes=MAX_BYTES, dry_run=True
    )
    found = [(p.row, p.key, p.value) for p in report.problems]
    assert found == [
        (2, "successor_dissolved_first", C2),
        (5, "successor_self", C5),
        (6, "successor_without_date", "990102001001"),
        (7, "successor_missing", "990102001009"),
        (8, "successor_cycle", "990102001005"),
        (9, "successor_cycle", "990102001004"),
        (10, "no_such_date", "2025-02-30"),
        (11, "code_length", "990102"),
    ]
    by_row = {p.row: p for p in report.problems}
    assert message(by_row[8], "zh") == (
        "撤并关系形成了循环：990102001004 → 990102001005 → 990102001004。"
        "每个单位最终须并入一个仍在的单位。"
    )
    assert message(by_row[2], "en") == (
        "The successor was dissolved on 2025-06-01, not after this unit's dissolution on "
        "2025-09-01: name a unit still in force when this one ends."
    )
    assert message(by_row[5], "zh") == "并入单位不能是它自己。"
    # Streets and districts take the same columns, by their own codes.
    streets = [
        "街道代码,街道名称,所属区代码,撤销日期,并入单位代码",
        f"990102001,南街道,990102,2025-08-01,{C1}",
    ]
    assert _problems(merged, _upload("streets.csv", streets)) == [("streets.csv", 2, "code_length")]


def test_the_import_refuses_rows_dated_after_a_unit_ended(merged):
    uploads = [
        _upload(
            "burden.csv",
            [
                "community_code,category,period,count",
                f"{C2},forms,2025-05,1",  # the month before the merge: fine
                f"{C2},forms,2025-06,1",  # the month of the merge
                f"{C3},forms,2025-06,1",  # before its street ended: fine
                f"{C3},forms,2025-07,1",  # the month its street ended
            ],
        ),
        _upload(
            "population.csv",
            [
                "community_code,year,resident_population,households",
                f"{C2},2025,4100,1500",  # 1 January 2025 is before the merge: fine
                f"{C2},2026,4200,1500",
            ],
        ),
        _upload(
            "staff.csv",
            [
                "staff_code,community_code,role,start_date,end_date",
                f"N1,{C2},staff,2025-06-01,",  # starts on the day
                f"N2,{C2},staff,2020-01-01,",  # still in post
                f"N3,{C2},staff,2020-01-01,2025-06-01",  # leaves on the day: fine
                f"N4,{C2},staff,2020-01-01,2025-06-02",  # leaves the day after
                f"N5,{C4},staff,2020-01-01,2025-06-30",  # leaves before its street ends: fine
            ],
        ),
    ]
    report = run_import(merged, uploads, max_bytes=MAX_BYTES, dry_run=True)
    found = [(p.file, p.row, p.key, p.value) for p in report.problems]
    assert found == [
        ("burden.csv", 3, "month_after_dissolution", "2025-06"),
        ("burden.csv", 5, "month_after_dissolution", "2025-07"),
        ("population.csv", 3, "year_after_dissolution", "2026"),
        ("staff.csv", 2, "start_after_dissolution", "2025-06-01"),
        ("staff.csv", 3, "in_post_after_dissolution", None),
        ("staff.csv", 5, "in_post_after_dissolution", "2025-06-02"),
    ]
    by_place = {(p.file, p.row): p for p in report.problems}
    assert message(by_place[("burden.csv", 5)], "zh") == (
        "西街道（990101002）已于 2025-07-01 撤销：自撤销当月起不再有它的数据，也不计入任何统计。"
        "请删除此行，或改报到接替它的单位。"
    )
    assert message(by_place[("staff.csv", 3)], "en") == (
        "二社区 (990101001002) was dissolved on 2025-06-01, yet this person is still in post "
        "there after it: give an end date no later than the dissolution, or move the person to "
        "the unit that took its place."
    )
    # A dissolution and its consequences in one import: the new date counts at once.
    together = [
        _upload(
            "communities.csv",
            ["code,name,street_code,dissolved_on", f"{C5},五社区,990102001,2025-03-01"],
        ),
        _upload("burden.csv", ["community_code,category,period,count", f"{C5},forms,2025-03,1"]),
    ]
    assert _problems(merged, *together) == [("burden.csv", 2, "month_after_dissolution")]
    # Clearing the date in the same import lifts the check.
    revived = [
        _upload(
            "communities.csv", ["code,name,street_code,dissolved_on", f"{C2},二社区,990101001,"]
        ),
        _upload("burden.csv", ["community_code,category,period,count", f"{C2},forms,2025-06,1"]),
    ]
    assert _problems(merged, *revived) == []


def test_a_dissolution_can_be_undone_and_every_figure_comes_back(city, settings):
    scope = Scope(None, MERGED)
    before = staffing.staffing_total(city, scope, settings)
    header = "code,name,street_code,dissolved_on,successor_code"
    _import(city, _upload("communities.csv", [header, f"{C2},二社区,990101001,2025-06-01,{C1}"]))
    gone = _both_ways(staffing.staffing_total, city, scope, settings)
    assert (int(gone["communities"]), int(gone["counted_workers"])) == (4, 75)
    _import(city, _upload("communities.csv", [header, f"{C2},二社区,990101001,,"]))
    back = _both_ways(staffing.staffing_total, city, scope, settings)
    pd.testing.assert_series_equal(back, before)
    assert int(back["communities"]) == 5


A, B = "990201001001", "990201001002"


def test_maps_and_coverage_leave_a_merged_community_out(migrated_database, settings):
    """The grid city with community B merged into A on 2025-06-01 (tests/grid_city.py)."""
    engine = make_engine(migrated_database("grid_merged"))
    try:
        build_grid_city(engine)
        _import(
            engine,
            _upload(
                "communities.csv",
                [
                    "code,name,street_code,dissolved_on,successor_code",
                    f"{B},乙社区,990201001,2025-06-01,{A}",
                ],
            ),
        )
        for as_of, communities, grid_codes in (
            (
                BEFORE,
                [A, B],
                ["990201001001001", "990201001001002", "990201001002001", "990201001002003"],
            ),
            (MERGED, [A], ["990201001001001", "990201001001002"]),
        ):
            scope = Scope("990201001", as_of)
            assert read_path.summary_coverage(engine).reads_coverage(settings)
            spatial = _both_ways(grids.community_spatial_coverage, engine, scope, settings)
            assert list(spatial["community_code"]) == communities
            reach = _both_ways(grids.grid_service_reach, engine, scope, settings)
            assert list(reach["code"]) == grid_codes
            stored = load_map_data(engine, scope, settings)
            with read_path.reading_raw():
                computed = load_map_data(engine, scope, settings)
            for data in (stored, computed):
                assert list(data.units["code"]) == communities
                assert sorted(data.grids["code"]) == grid_codes
            # B3 over B1 is the only overlap: gone with B.
            assert len(stored.overlaps) == len(computed.overlaps) == (1 if B in communities else 0)
            # The district's map fills its communities with an outline (C has no boundary).
            district = load_map_data(engine, Scope("990201", as_of), settings)
            assert list(district.units["code"]) == communities
            total = grid_figures.grid_coverage_total(engine, Scope("990201", as_of), settings)
            assert int(total["communities"]) == len(communities) + 1
    finally:
        engine.dispose()


def _downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_the_migration_adds_and_removes_the_columns(new_database):
    engine = make_engine(new_database("dissolved_schema"))
    try:
        upgrade(engine)
        with engine.begin() as connection:
            connection.execute(insert(District).values(code="990101", name="甲区"))
            connection.execute(
                insert(Street).values(code="990101001", name="东街道", district_code="990101")
            )
            connection.execute(
                insert(Community).values(
                    code="990101001001",
                    name="一社区",
                    street_code="990101001",
                    kind="urban",
                    dissolved_on=dt.date(2025, 6, 1),
                )
            )
            for name in ("burden", "staffing", "grid_staffing", "coverage"):
                connection.execute(
                    insert(SummaryState).values(name=name, window_months=0, params=None)
                )
        _downgrade(engine, "0015_sign_in_limits")
        assert current_revision(engine) == "0015_sign_in_limits"
        inspector = inspect(engine)
        for table in ("district", "street", "community"):
            columns = {column["name"] for column in inspector.get_columns(table)}
            assert not columns & {"dissolved_on", "successor_code"}, table
            assert f"ix_{table}_dissolved_on" not in {
                i["name"] for i in inspector.get_indexes(table)
            }
        with engine.connect() as connection:
            kept = set(connection.execute(text("SELECT name FROM summary_state")).scalars())
            community = connection.execute(text("SELECT code, name FROM community")).all()
        # The summaries that left the dissolved months out are read from the raw tables again.
        assert kept == {"coverage"}
        assert [tuple(row) for row in community] == [("990101001001", "一社区")]
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            assert differences == []
            assert connection.execute(select(Community.dissolved_on)).scalar() is None
    finally:
        engine.dispose()


@pytest.mark.servers()
def test_the_sidebar_drops_a_unit_dissolved_by_the_month_chosen(merged_url, monkeypatch):
    at = run_app(
        merged_url,
        monkeypatch,
        page="pages/overview.py",
        month="2025-06",
        district="990101",
        street="990101001",
        community=C2,
    )
    assert not at.exception
    assert at.warning[0].value == (
        "二社区（990101001002）已于2025年6月1日撤销，并入一社区（990101001001）。"
        "在所选月份（2025年6月）它已不在任何统计中，筛选已改为它的上一级。"
    )
    assert at.session_state["community"] is None  # the street as a whole
    assert at.session_state["street"] == "990101001"
    assert at.sidebar.selectbox(key="community").options == ["全街道（全部社区）", "一社区"]
    streets = at.sidebar.selectbox(key="street").options
    assert streets == ["全区（全部街道）", "东街道", "西街道"]  # 西街道 ends on 1 July
    at.sidebar.selectbox(key="month").set_value("2025-07").run()
    assert at.sidebar.selectbox(key="street").options == ["全区（全部街道）", "东街道"]


@pytest.mark.servers()
def test_the_profile_says_when_and_into_what_its_unit_ended(merged_url, monkeypatch):
    chain = {"district": "990101", "street": "990101001"}
    at = run_app(
        merged_url, monkeypatch, page="pages/profile.py", month="2025-05", community=C2, **chain
    )
    assert not at.exception
    assert at.info[0].value == (
        "该社区已于2025年6月1日撤销，并入一社区（990101001001）。"
        "自撤销之日起，它不计入任何统计、列表、地图和筛选；此前的数据照旧。"
    )
    at.button(key="profile_successor").click().run()
    assert not at.exception
    assert at.session_state["community"] == C1
    # A community of the street dissolved on 1 July, in June, in English.
    at = run_app(
        merged_url,
        monkeypatch,
        page="pages/profile.py",
        month="2025-06",
        lang="en",
        district="990101",
        street=WEST,
        community=C3,
    )
    assert not at.exception
    # Shown as Markdown with its brackets escaped (dashboard/plain.py).
    assert at.info[0].value.replace("\\", "") == (
        "Its 西街道 (990101002) was dissolved on 1 Jul 2025. From that day on it is in no "
        "figure, list, map or filter; before it, everything stays as it was."
    )
    assert not [b for b in at.button if b.key == "profile_successor"]
