"""The demo city: deterministic, well-formed and calibrated the way the pages expect."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, shape
from sqlalchemy import Engine, text

from data_access.db import make_engine
from data_access.demo import (
    DEMO_FIRST_MONTH,
    DEMO_LAST_MONTH,
    DemoSummary,
    area_km2,
    build_demo,
)
from data_access.figures.premises import premises_by_unit, premises_total
from data_access.models import BURDEN_CATEGORIES
from data_access.queries.hierarchy import DEMO_KIND, holds_demo
from data_access.schema import upgrade
from data_access.scope import CODE_LENGTH, Scope, month_end
from data_access.settings import load_settings
from tests.backends import DemoBuild

COUNTED_ROLES = ("secretary", "committee", "staff", "grid_fulltime")
SEED = 2024


@dataclass
class Built:
    engine: Engine
    summary: DemoSummary
    progress: list[tuple[float, str]]


def _fresh_engine(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def _build(path: Path) -> Built:
    engine = _fresh_engine(path)
    calls: list[tuple[float, str]] = []
    summary = build_demo(engine, scale=1, seed=SEED, progress=lambda f, m: calls.append((f, m)))
    return Built(engine, summary, calls)


@pytest.fixture(scope="module")
def demo(sqlite_demo: DemoBuild) -> Iterator[Built]:
    """The session's SQLite demo city (tests/conftest.py), built with the default seed."""
    built = Built(make_engine(sqlite_demo.url), sqlite_demo.summary, sqlite_demo.progress)
    yield built
    built.engine.dispose()


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    built = _build(tmp_path_factory.mktemp("twin") / "twin.sqlite3")
    yield built
    built.engine.dispose()


def _frame(engine: Engine, sql: str) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(text(sql), conn)


@pytest.fixture(scope="module")
def tables(demo: Built) -> dict[str, pd.DataFrame]:
    names = ("district", "street", "community", "community_population", "grid", "facility")
    frames = {name: _frame(demo.engine, f"SELECT * FROM {name}") for name in names}
    staff = _frame(demo.engine, "SELECT * FROM staff_member")
    for column in ("start_date", "end_date"):
        staff[column] = pd.to_datetime(staff[column])
    frames["staff_member"] = staff
    return frames


@pytest.fixture(scope="module")
def burden(demo: Built) -> pd.DataFrame:
    frame = _frame(demo.engine, "SELECT * FROM burden_record")
    frame["period"] = pd.to_datetime(frame["period"])
    return frame


def _active(staff: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    when = pd.Timestamp(day)
    return staff[(staff.start_date <= when) & (staff.end_date.isna() | (staff.end_date > when))]


@pytest.mark.full
@pytest.mark.slow
def test_same_seed_gives_identical_rows(demo: Built, twin: Built) -> None:
    for table, key in (
        ("district", "code"),
        ("street", "code"),
        ("community", "code"),
        ("staff_member", "staff_code"),
    ):
        query = f"SELECT * FROM {table} ORDER BY {key}"
        pd.testing.assert_frame_equal(_frame(demo.engine, query), _frame(twin.engine, query))
    count = "SELECT COUNT(*) AS n FROM burden_record"
    assert _frame(demo.engine, count).n[0] == _frame(twin.engine, count).n[0]
    assert (demo.summary.burden_records, demo.summary.staff) == (
        twin.summary.burden_records,
        twin.summary.staff,
    )


def test_sizes_of_scale_one(demo: Built, tables: dict[str, pd.DataFrame]) -> None:
    summary = demo.summary
    assert summary.districts == len(tables["district"]) == 6
    assert 40 <= summary.streets == len(tables["street"]) <= 60
    assert 350 <= summary.communities == len(tables["community"]) <= 450
    assert 3_500 <= summary.grids == len(tables["grid"]) <= 4_500
    assert summary.staff == len(tables["staff_member"])
    assert summary.facilities == len(tables["facility"])
    assert summary.seconds > 0
    village_share = (tables["community"].kind == "village").mean()
    assert 0.05 <= village_share <= 0.15


def test_codes_nest_in_their_parents(tables: dict[str, pd.DataFrame]) -> None:
    levels = (
        ("district", None),
        ("street", "district_code"),
        ("community", "street_code"),
        ("grid", "community_code"),
    )
    for level, parent in levels:
        codes = tables[level].code
        assert (codes.str.len() == CODE_LENGTH[level]).all(), level
        assert codes.str.fullmatch(r"9901\d+").all(), level
        assert codes.is_unique, level
        if parent is not None:
            parents = tables[level][parent]
            assert (codes.str[: len(parents.iloc[0])] == parents).all(), level


def test_names_are_unique_within_their_parent(tables: dict[str, pd.DataFrame]) -> None:
    for level, parent in (("street", "district_code"), ("community", "street_code")):
        assert not tables[level].duplicated([parent, "name"]).any(), level
    assert not tables["grid"].duplicated(["community_code", "name"]).any()
    assert (
        tables["grid"]
        .loc[tables["grid"].kind == "dedicated", "name"]
        .str.endswith("专属网格")
        .all()
    )


def test_every_boundary_is_a_valid_polygon(tables: dict[str, pd.DataFrame]) -> None:
    for level in ("community", "grid"):
        boundaries = tables[level].boundary.dropna()
        for text_ in boundaries:
            polygon = shape(json.loads(text_))
            assert isinstance(polygon, Polygon) and polygon.is_valid and not polygon.is_empty
    assert tables["community"].boundary.notna().all()
    missing = tables["grid"].boundary.isna().mean()
    assert 0 < missing < 0.03


def test_community_point_and_area_match_the_boundary(tables: dict[str, pd.DataFrame]) -> None:
    community = tables["community"]
    for row in community.itertuples():
        polygon = shape(json.loads(row.boundary))
        assert polygon.contains(shapely.Point(row.lon, row.lat))
        assert row.area_km2 == pytest.approx(area_km2(polygon), rel=1e-3)
    assert 113.5 < community.lon.mean() < 115.1 and 30.2 < community.lat.mean() < 31.0
    assert community.area_km2.min() < 1.0 < community.area_km2.max()


def test_area_km2_of_a_known_square() -> None:
    side = 0.01
    square = shapely.box(114.0, 30.0, 114.0 + side, 30.0 + side)
    expected = (6371.0088 * 0.01 * 3.141592653589793 / 180) ** 2 * 0.8660254
    assert area_km2(square) == pytest.approx(expected, rel=1e-3)


def test_population_covers_every_year(tables: dict[str, pd.DataFrame]) -> None:
    population = tables["community_population"]
    years = set(range(DEMO_FIRST_MONTH.year, DEMO_LAST_MONTH.year + 1))
    assert population.groupby("community_code").year.apply(set).eq(years).all()
    ratio = population.resident_population / population.households
    assert ratio.between(2.5, 2.95).all()
    latest = population[population.year == DEMO_LAST_MONTH.year]
    assert (latest.resident_population < 5_000).any()
    urban = tables["community"].loc[tables["community"].kind == "urban", "code"]
    urban_latest = latest[latest.community_code.isin(urban)].resident_population
    assert urban_latest.between(3_000, 15_000).all()


def test_grid_sizes_and_coverage(tables: dict[str, pd.DataFrame]) -> None:
    grid = tables["grid"]
    general = grid[grid.kind == "general"].households
    assert 0.8 <= general.between(300, 500).mean() <= 0.95
    assert (general > 500).any() and (general < 300).any()
    assert 0.04 <= (grid.kind == "dedicated").mean() <= 0.12
    assert 0.6 <= grid.has_party_branch.mean() <= 0.8
    latest = tables["community_population"].query("year == @DEMO_LAST_MONTH.year")
    households = latest.set_index("community_code").households
    coverage = grid.groupby("community_code").households.sum() / households
    assert 0.9 <= grid.households.sum() / households.sum() <= 1.0
    assert (coverage < 0.9).any() and coverage.max() <= 1.0


def test_grid_workers_work_in_their_own_community(tables: dict[str, pd.DataFrame]) -> None:
    staff = tables["staff_member"]
    assigned = staff.dropna(subset=["grid_code"])
    owner = tables["grid"].set_index("code").community_code
    assert (owner.reindex(assigned.grid_code).to_numpy() == assigned.community_code).all()
    assert assigned.role.isin(["grid_fulltime", "grid_parttime"]).all()
    grid_roles = staff.role.isin(["grid_fulltime", "grid_parttime"])
    assert staff.loc[grid_roles, "grid_code"].notna().all()


def test_staff_rows_are_pseudonymous_and_dated(tables: dict[str, pd.DataFrame]) -> None:
    staff = tables["staff_member"]
    assert staff.staff_code.str.fullmatch(r"S\d{8}").all()
    assert set(staff.columns) == {
        "staff_code",
        "community_code",
        "role",
        "certificate",
        "birth_year",
        "start_date",
        "end_date",
        "grid_code",
    }
    assert staff.birth_year.between(1962, 2001).all()
    ended = staff.dropna(subset=["end_date"])
    assert (ended.end_date > ended.start_date).all()
    assert staff.start_date.max() <= pd.Timestamp(DEMO_LAST_MONTH)
    assert ended.end_date.max() <= pd.Timestamp(DEMO_LAST_MONTH)
    # Eight years of about 9 % departures a year (resignations and retirements) and refills.
    assert 0.30 <= staff.end_date.notna().mean() <= 0.50
    assert (staff.start_date.dt.day == 1).any() and (ended.end_date.dt.day == 1).any()


def _per_10k(tables: dict[str, pd.DataFrame], day: dt.date) -> pd.Series:
    active = _active(tables["staff_member"], day)
    counted = active[active.role.isin(COUNTED_ROLES)].groupby("community_code").size()
    population = tables["community_population"]
    latest = population[population.year <= day.year].sort_values("year")
    residents = latest.groupby("community_code").resident_population.last()
    return counted.reindex(residents.index, fill_value=0) / residents * 10_000


def test_workers_per_10k_spread_around_the_standard(tables: dict[str, pd.DataFrame]) -> None:
    ratio = _per_10k(tables, DEMO_LAST_MONTH)
    assert 14 <= ratio.median() <= 20
    assert 0.25 <= (ratio < 18).mean() <= 0.60
    assert (ratio < 14.4).any()
    earlier = _per_10k(tables, dt.date(2020, 1, 1))
    assert earlier.median() < ratio.median()
    year_before = _per_10k(tables, dt.date(DEMO_LAST_MONTH.year - 1, DEMO_LAST_MONTH.month, 1))
    assert (year_before != ratio).any()


def _last_12_months(staff: pd.DataFrame, column: str) -> pd.Series:
    """Counted workers per community whose `column` date falls in the 12 data months to the end."""
    first = pd.Timestamp(DEMO_LAST_MONTH.year - 1, DEMO_LAST_MONTH.month, 1) + pd.DateOffset(
        months=1
    )
    counted = staff[staff.role.isin(COUNTED_ROLES)]
    dates = counted[column]
    inside = counted[(dates >= first) & (dates <= pd.Timestamp(DEMO_LAST_MONTH))]
    return inside.groupby("community_code").size()


def test_hiring_waves_and_departures(tables: dict[str, pd.DataFrame]) -> None:
    staff, communities = tables["staff_member"], tables["community"].code
    hires = _last_12_months(staff, "start_date").reindex(communities, fill_value=0)
    leavers = _last_12_months(staff, "end_date").reindex(communities, fill_value=0)
    assert (hires > 0).mean() >= 0.75
    assert (leavers > 0).mean() >= 0.65
    assert ((hires > 0) & (leavers > 0)).mean() >= 0.6
    # Some communities hire more than they lose in the year (a gap closes at that pace),
    # others no more or fewer (it does not).
    net = (hires - leavers).to_numpy()
    assert (net > 0).mean() >= 0.3 and (net <= 0).mean() >= 0.3 and (net < 0).mean() >= 0.05
    # About 9 % of the counted workers in post at the start of a year leave during it.
    counted = staff[staff.role.isin(COUNTED_ROLES)]
    start, end = pd.Timestamp(2025, 1, 1), pd.Timestamp(2026, 1, 1)
    in_post = _active(counted, start.date())
    left = in_post.end_date.between(start, end, inclusive="left").mean()
    assert 0.06 <= left <= 0.14
    # Each district recruits in waves of its own: the months with the most hires differ.
    district = counted.community_code.str[: CODE_LENGTH["district"]]
    month = counted.start_date.dt.to_period("M")
    recent = counted.start_date >= pd.Timestamp(DEMO_FIRST_MONTH)
    per_month = counted[recent].groupby([district[recent], month[recent]]).size()
    peaks = per_month.groupby(level=0).idxmax().map(lambda key: key[1])
    assert peaks.nunique() >= 3
    # ... so the counted workforce of the districts moves differently from year to year.
    yearly = pd.DataFrame(
        {
            year: _active(counted, dt.date(year, 1, 1))
            .community_code.str[: CODE_LENGTH["district"]]
            .value_counts()
            for year in range(DEMO_FIRST_MONTH.year, DEMO_LAST_MONTH.year + 1)
        }
    )
    growth = yearly.diff(axis=1).iloc[:, 1:]
    falls = (growth < 0).sum(axis=0)
    assert (falls > 0).sum() >= 2  # in at least two years some district shrank
    assert not (growth.rank(axis=0).nunique(axis=1) == 1).all()  # district order changes


def test_certificates_and_ages(tables: dict[str, pd.DataFrame]) -> None:
    def counted_on(day: dt.date) -> pd.DataFrame:
        active = _active(tables["staff_member"], day)
        return active[active.role.isin(COUNTED_ROLES)]

    then, now = counted_on(DEMO_FIRST_MONTH), counted_on(DEMO_LAST_MONTH)
    licensed_then = (then.certificate != "none").mean()
    licensed_now = (now.certificate != "none").mean()
    assert 0.25 <= licensed_then < licensed_now <= 0.65
    grades = now.certificate.value_counts()
    assert grades["junior"] > grades["intermediate"] > grades["senior"] > 0
    age = DEMO_LAST_MONTH.year - now.birth_year
    bands = pd.cut(age, [0, 34, 44, 54, 120]).value_counts()
    assert (bands > 0).all()
    assert ((age < 40) & (now.certificate == "none")).any()


def test_some_grids_are_unstaffed(tables: dict[str, pd.DataFrame]) -> None:
    active = _active(tables["staff_member"], DEMO_LAST_MONTH)
    workers = active[active.role.isin(["grid_fulltime", "grid_parttime"])]
    staffed = tables["grid"].code.isin(workers.grid_code)
    assert 0.85 <= staffed.mean() < 1.0


def test_facilities_lie_in_their_community(tables: dict[str, pd.DataFrame]) -> None:
    facility = tables["facility"]
    polygons = {
        row.code: shape(json.loads(row.boundary)) for row in tables["community"].itertuples()
    }
    for row in facility.itertuples():
        assert polygons[row.community_code].contains(shapely.Point(row.lon, row.lat))
    centres = facility[facility.kind == "service_centre"]
    assert centres.community_code.is_unique
    # A few communities still have no service centre (docs/metrics.md §9).
    assert 0.95 * len(tables["community"]) <= len(centres) < len(tables["community"])
    assert centres.floor_area_m2.dropna().between(80, 3_000).all()
    stations = facility[facility.kind == "social_work_station"]
    assert stations.community_code.str[:9].nunique() == len(tables["street"])
    assert facility.code.str.fullmatch(r"F\d{8}").all()


def _rebounds(series: pd.DataFrame) -> pd.Series:
    """Rebound at the last month: current >= 1.1 × and >= 1 + the lowest of the 12 before."""
    last = pd.Timestamp(DEMO_LAST_MONTH)
    window = series.loc[
        :, (series.columns < last) & (series.columns >= last - pd.DateOffset(months=12))
    ]
    lowest = window.min(axis=1)
    current = series[last]
    return (current >= lowest * 1.1) & (current >= lowest + 1)


def test_burden_rows_cover_every_month_but_a_few(
    burden: pd.DataFrame, tables: dict[str, pd.DataFrame]
) -> None:
    months = burden.period.drop_duplicates().sort_values()
    assert months.iloc[0] == pd.Timestamp(DEMO_FIRST_MONTH)
    assert months.iloc[-1] == pd.Timestamp(DEMO_LAST_MONTH)
    assert (months.dt.day == 1).all() and len(months) == 94
    full = len(tables["community"]) * len(BURDEN_CATEGORIES) * len(months)
    assert 0.004 <= 1 - len(burden) / full <= 0.02
    assert set(burden.category) == set(BURDEN_CATEGORIES)
    assert (burden["count"] >= 0).all()


def test_every_category_falls_city_wide(burden: pd.DataFrame) -> None:
    city = burden.groupby(["category", "period"])["count"].sum().unstack()
    first, last = pd.Timestamp(DEMO_FIRST_MONTH), pd.Timestamp(DEMO_LAST_MONTH)
    assert (city[last] < city[first]).all()
    work_items = city.loc["work_items"]
    assert 0.25 <= work_items[last] / work_items[first] <= 0.5


def test_rebounds_at_the_last_month(burden: pd.DataFrame) -> None:
    community = burden.pivot_table(
        index=["community_code", "category"], columns="period", values="count"
    )
    flagged = _rebounds(community)
    assert 1 <= flagged.sum() <= 0.02 * len(flagged)
    district = (
        burden.assign(district=burden.community_code.str[:6])
        .groupby(["district", "category", "period"])["count"]
        .sum()
        .unstack()
    )
    district_flags = _rebounds(district)
    assert district_flags.sum() >= 1
    assert set(district_flags[district_flags].index.get_level_values("category")) == {"forms"}


def test_progress_runs_from_zero_to_done(demo: Built) -> None:
    fractions = [f for f, _ in demo.progress]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0
    assert fractions[-1] == 1.0
    phases = [m for _, m in demo.progress]
    assert phases[-1] == "done"
    assert {"geometry", "population", "staff", "grids", "facilities", "burden"} <= set(phases)
    assert phases.count("burden") >= 10


def test_the_demo_batch_is_recorded(demo: Built) -> None:
    batch = _frame(demo.engine, "SELECT * FROM import_batch")
    assert len(batch) == 1
    row = batch.iloc[0]
    assert (row.kind, row.status, row.file_name) == (
        DEMO_KIND,
        "accepted",
        f"demo:scale=1,seed={SEED}",
    )
    assert row.sha256 is None
    summary = demo.summary
    assert row.rows > summary.burden_records + summary.staff + summary.grids
    assert holds_demo(demo.engine)


def test_a_second_build_is_refused(demo: Built) -> None:
    with pytest.raises(ValueError, match="not empty"):
        build_demo(demo.engine, scale=1, seed=SEED + 1)
    assert _frame(demo.engine, "SELECT COUNT(*) AS n FROM import_batch").n[0] == 1


def test_empty_and_unmigrated_databases_are_not_demo(tmp_path: Path) -> None:
    empty = _fresh_engine(tmp_path / "empty.sqlite3")
    assert not holds_demo(empty)
    bare = make_engine(f"sqlite:///{tmp_path / 'bare.sqlite3'}")
    with pytest.raises(ValueError):
        build_demo(bare)
    with pytest.raises(ValueError):
        build_demo(empty, scale=0)
    empty.dispose()
    bare.dispose()


def test_rebounds_in_every_district_and_in_whole_streets(burden: pd.DataFrame) -> None:
    """Every district has rebounding communities, and some street's summed series rebounds
    outside the one district where forms creep back (so every rebound view has something)."""
    community = burden.pivot_table(
        index=["community_code", "category"], columns="period", values="count"
    )
    flagged = _rebounds(community)
    districts = {code[:6] for code in flagged[flagged].index.get_level_values("community_code")}
    assert districts == set(burden.community_code.str[:6])
    street = (
        burden.assign(street=burden.community_code.str[:9])
        .groupby(["street", "category", "period"])["count"]
        .sum()
        .unstack()
    )
    street_flags = _rebounds(street)
    rebounding = street_flags[street_flags].index
    assert any(category != "forms" for category in rebounding.get_level_values("category"))


def test_curves_differ_between_categories_and_communities(burden: pd.DataFrame) -> None:
    city = burden.groupby(["category", "period"])["count"].sum().unstack()
    shares = city.div(city.iloc[:, 0], axis=0)  # each category against its first month
    for first, second in itertools.combinations(shares.index, 2):
        assert (shares.loc[first] - shares.loc[second]).abs().max() > 0.05, (first, second)
    # Within one category, communities fall in different months: steps, gradual, stalls.
    work_items = burden[burden.category == "work_items"].pivot_table(
        index="community_code", columns="period", values="count"
    )
    steepest = work_items.diff(axis=1).idxmin(axis=1)
    assert steepest.nunique() >= 10
    stalled = work_items.iloc[:, -1] / work_items.iloc[:, 0] > 0.55
    assert 0.03 <= stalled.mean() <= 0.3


def test_burden_is_calibrated_to_the_seeds(burden: pd.DataFrame) -> None:
    """Per community (docs/metrics.md §4): 江夏 work items 165 → 56, forms 181 → 35, 23
    certificates abolished; 常州 146 meetings, 26 inspections, 221 ledgers, 14 signboards a year."""
    first, last = pd.Timestamp(DEMO_FIRST_MONTH), pd.Timestamp(DEMO_LAST_MONTH)
    mean = burden.groupby(["category", "period"])["count"].mean().unstack()
    assert 145 <= mean.loc["work_items", first] <= 185
    assert 45 <= mean.loc["work_items", last] <= 70
    assert 160 <= mean.loc["forms", first] <= 200
    assert 25 <= mean.loc["forms", last] <= 50
    assert 18 <= mean.loc["certificates", first] - mean.loc["certificates", last] <= 28
    year = [pd.Timestamp(f"2019-{month:02d}-01") for month in range(1, 13)]
    assert 120 <= mean.loc["meetings", year].sum() <= 175
    assert 20 <= mean.loc["inspections", year].sum() <= 40
    assert 195 <= mean.loc["ledgers", first] <= 245
    assert 11 <= mean.loc["signboards", first] <= 16


def test_premises_spread_around_the_standard(demo: Built) -> None:
    """Most urban communities near 30 m² per 100 households, the old centre short, the outskirts
    above, some far below, a few without premises and a few areas unknown (docs/metrics.md §9)."""
    settings = load_settings(environ={}, secrets_file=Path("/nonexistent"))
    scope = Scope(None, month_end(DEMO_LAST_MONTH))
    communities = premises_by_unit(demo.engine, scope, settings, "community")
    assessed = communities.dropna(subset=["per_100_households"])
    per_100 = assessed["per_100_households"].astype(float)
    assert 0.85 * communities["communities_applying"].sum() <= len(assessed)
    assert 24 <= per_100.median() <= 34
    assert 0.3 <= (per_100 >= 30).mean() <= 0.6
    assert (per_100 < 15).mean() >= 0.03
    total = premises_total(demo.engine, scope, settings)
    assert 1 <= total["communities_without"] <= 10
    assert 1 <= total["facilities_without_area"] <= 15
    districts = premises_by_unit(demo.engine, scope, settings).set_index("code")
    # The old town (the first district) is short; the newer districts are above it.
    old_town = float(districts["per_100_households"].iloc[0])
    assert old_town < 30 < float(districts["per_100_households"].max())
