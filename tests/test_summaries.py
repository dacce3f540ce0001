"""The burden summary equals the raw computation: after the demo build, and after imports that add,
change and re-import rows, on every backend (data_access/summaries/)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator

import pandas as pd
import pytest
import shapely
from sqlalchemy import Engine, select

from data_access import read_path
from data_access.db import make_engine, read_frame
from data_access.figures import burden as burden_figures
from data_access.importing.readers import Upload
from data_access.importing.runner import run_import
from data_access.models import (
    BurdenSummary,
    CommunityCoverage,
    GridReach,
    MapPiece,
    UnitOutline,
)
from data_access.queries import burden, grids
from data_access.queries.hierarchy import data_months, units
from data_access.rebound import rebounds
from data_access.scope import CODE_LENGTH, Scope, month_end
from data_access.summaries import burden as burden_summary
from data_access.summaries import refresh_burden_summary, refresh_summaries
from tests.burden_city import AS_OF, A, B, C, build_burden_city
from tests.grid_city import AS_OF as GRID_AS_OF
from tests.grid_city import COMMUNITIES as GRID_COMMUNITIES
from tests.grid_city import A as GRID_A
from tests.grid_city import B as GRID_B
from tests.grid_city import C as GRID_C
from tests.grid_city import build_grid_city, metres_north, square

CHECKED_SCOPES = (None, "990101", "990101001", "990101002", "990102", A)


def _both(engine: Engine, compute) -> tuple[object, object]:
    """compute() read from the summary, then from burden_record itself; the summary's stored
    rebound flags give what testing its rows with today's thresholds gives."""
    from_summary = compute()
    unflagged = dataclasses.replace(
        read_path.summary_coverage(engine), burden_params="other thresholds"
    )
    with read_path.reading(unflagged):
        tested = compute()
    if isinstance(from_summary, pd.DataFrame):
        pd.testing.assert_frame_equal(from_summary, tested, obj="flags against thresholds")
    with read_path.reading_raw():
        from_raw = compute()
    return from_summary, from_raw


def _parts(engine: Engine, scope: Scope, level: str) -> list[Scope]:
    """The scopes in which the app reads the series of `level`: the scope itself for its children
    (or a community for itself), else each child of the scope, one at a time, as
    queries/burden.py:unit_reductions does. Every unit's series is compared either way; the raw
    computation of all the demo city's communities at once is no query the app makes, and can
    outlast the statement timeout on a loaded MariaDB."""
    if level in (scope.level, scope.child_level):
        return [scope]
    table = units(engine)
    inside = (table["level"] == scope.child_level) & table["code"].str.startswith(scope.code or "")
    return [Scope(code, scope.as_of) for code in table.loc[inside, "code"]] or [scope]


def _assert_same(engine: Engine, scope: Scope, settings) -> None:
    pairs = {
        "monthly_series": lambda: burden.monthly_series(engine, scope),
        "rebounds": lambda: burden.community_rebounds(engine, scope, settings),
    }
    for level in ("district", "street", "community"):
        if CODE_LENGTH[level] < len(scope.code or ""):  # a page asks only at or below its scope
            continue
        for part in _parts(engine, scope, level):
            pairs[f"unit_series {level} in {part.code or 'city'}"] = lambda part=part, level=level: (
                burden.unit_series(engine, part, level)
            )
    for name, compute in pairs.items():
        summary, raw = _both(engine, compute)
        assert isinstance(summary, pd.DataFrame) and isinstance(raw, pd.DataFrame)
        pd.testing.assert_frame_equal(
            summary.reset_index(drop=True),
            raw.reset_index(drop=True),
            check_dtype=False,
            obj=f"{name} at {scope.code or 'city'} as of {scope.as_of}",
        )


@pytest.fixture
def burden_city(migrated_database) -> Iterator[Engine]:
    engine = make_engine(migrated_database("summary_city"))
    build_burden_city(engine)
    yield engine
    engine.dispose()


def _summary_table(engine: Engine) -> pd.DataFrame:
    frame = read_frame(engine, select(BurdenSummary))
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    frame["next_period"] = pd.to_datetime(frame["next_period"]).dt.date
    return frame.sort_values(["level", "code", "category", "period"], ignore_index=True)


@pytest.mark.parametrize("as_of", [AS_OF, dt.date(2025, 4, 30), dt.date(2024, 2, 29)])
def test_summary_equals_the_raw_computation_on_the_burden_city(burden_city, settings, as_of):
    for code in CHECKED_SCOPES:
        _assert_same(burden_city, Scope(code, as_of), settings)


def test_stored_rebound_flags_follow_the_thresholds_they_were_computed_with(burden_city, settings):
    summary = _summary_table(burden_city)
    flagged = summary["window_min"].notna()
    expected = rebounds(
        summary["value"].astype(float), summary["window_min"].astype(float), settings
    )
    assert (summary["rebound"].astype(bool) == expected.fillna(False)).all()
    assert 0 < int(summary["rebound"].astype(bool).sum()) < int(flagged.sum())
    # Stricter thresholds than the stored flags were computed with: the rows are tested again.
    stricter = dataclasses.replace(settings, rebound_min_pct=30.0)
    found = burden.community_rebounds(burden_city, Scope(None, AS_OF), stricter)
    with_flags = burden.community_rebounds(burden_city, Scope(None, AS_OF), settings)
    assert len(found) < len(with_flags)
    rise = found["rise"] * 100.0 >= found["window_min"] * 30.0
    assert rise.all()


def test_the_summary_holds_the_hand_checked_figures(burden_city, settings):
    rebounds = burden.community_rebounds(burden_city, Scope(None, AS_OF), settings)
    found = set(zip(rebounds["community_code"], rebounds["category"], strict=True))
    assert found == {(A, "work_items"), (C, "work_items"), (B, "meetings")}
    summary = _summary_table(burden_city).set_index(["level", "code", "category", "period"])
    street = summary.loc[("street", "990101001", "work_items", dt.date(2025, 6, 1))]
    assert (street["value"], street["window_min"]) == (76, 80)
    city = summary.loc[("city", "city", "work_items", dt.date(2024, 1, 1))]
    assert (city["value"], pd.isna(city["window_min"])) == (125, True)
    last_c = summary.loc[("community", C, "work_items", dt.date(2025, 4, 1))]
    assert last_c["next_period"] == dt.date(2025, 7, 1)  # C's July figure follows April


def test_the_summary_is_the_same_a_community_at_a_time(burden_city, settings, monkeypatch):
    """The district's rows are summed block by block of communities (summaries/burden.py): one
    community a block gives exactly the rows of the whole street at once."""
    whole = _summary_table(burden_city)
    assert whole["code"].str.len().eq(CODE_LENGTH["community"]).sum() > 3
    monkeypatch.setattr(burden_summary, "_BLOCK", 1)
    with burden_city.begin() as connection:
        refresh_burden_summary(connection, settings)
    pd.testing.assert_frame_equal(whole, _summary_table(burden_city))
    for code in CHECKED_SCOPES:
        _assert_same(burden_city, Scope(code, AS_OF), settings)


def _burden_csv(rows: list[tuple[str, str, str, int]]) -> Upload:
    lines = ["community_code,category,period,count"]
    lines += [f"{code},{category},{period},{count}" for code, category, period, count in rows]
    return Upload.of("burden.csv", ("\n".join(lines) + "\n").encode())


def test_imports_that_add_change_and_repeat_rows_keep_the_summary_exact(burden_city, settings):
    changes = [
        (A, "work_items", "2025-06", 90),  # changed: A's rebound grows
        (B, "work_items", "2025-06", 55),  # changed: B now rises above its window
        ("990102001001", "work_items", "2025-05", 7),  # new: D reports for the first time
        ("990102001001", "work_items", "2025-06", 9),
        (C, "forms", "2025-06", 4),  # new category for C
    ]
    for attempt in range(2):  # the second import repeats the first and changes nothing
        report = run_import(burden_city, [_burden_csv(changes)], max_bytes=10**6)
        assert report.status == "accepted", report.problems
        after_import = _summary_table(burden_city)
        for code in CHECKED_SCOPES:
            for as_of in (AS_OF, dt.date(2025, 5, 31)):
                _assert_same(burden_city, Scope(code, as_of), settings)
        with burden_city.begin() as connection:
            refresh_burden_summary(connection, settings)
        pd.testing.assert_frame_equal(after_import, _summary_table(burden_city), obj=f"{attempt}")
    district = burden.monthly_series(burden_city, Scope("990102", AS_OF))
    assert district.set_index(["category", "period"])["value"].to_dict() == {
        ("work_items", dt.date(2025, 5, 1)): 7,
        ("work_items", dt.date(2025, 6, 1)): 9,
    }


def test_summary_equals_the_raw_computation_on_the_demo_city(demo_url, settings):
    engine = make_engine(demo_url)
    _first, last = data_months(engine)
    table = units(engine)
    district = table.loc[table["level"] == "district", "code"].iloc[1]
    street = table.loc[table["parent_code"] == district, "code"].iloc[0]
    for as_of in (month_end(last), dt.date(2023, 3, 31)):
        for code in (None, district, street):
            _assert_same(engine, Scope(code, as_of), settings)
    rebounds = burden.community_rebounds(engine, Scope(None, month_end(last)), settings)
    assert len(rebounds) > 0  # the demo city has rebounds to compare
    engine.dispose()


def _assert_same_coverage(engine: Engine, scope: Scope, settings) -> None:
    assert read_path.summary_coverage(engine).reads_coverage(settings)  # the summary is compared
    figures = (
        ("spatial coverage", grids.community_spatial_coverage),
        ("service reach", grids.grid_service_reach),
    )
    for name, figure in figures:
        summary = figure(engine, scope, settings)
        with read_path.reading_raw():
            raw = figure(engine, scope, settings)
        pd.testing.assert_frame_equal(
            summary.reset_index(drop=True),
            raw.reset_index(drop=True),
            check_dtype=False,
            obj=f"{name} at {scope.code or 'city'}",
        )


def _grid_tables(engine: Engine) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    coverage_rows = read_frame(engine, select(CommunityCoverage)).sort_values("community_code")
    reach_rows = read_frame(engine, select(GridReach)).sort_values("grid_code")
    piece_key = ["detail", "scope_code", "kind", "code", "part"]
    pieces = read_frame(engine, select(MapPiece)).sort_values(piece_key)
    return (
        coverage_rows.reset_index(drop=True),
        reach_rows.reset_index(drop=True),
        pieces.reset_index(drop=True),
    )


def test_grid_summaries_hold_the_hand_checked_figures(grid_city, settings):
    scope = Scope("990201", GRID_AS_OF)
    reach = grids.grid_service_reach(grid_city, scope, settings).set_index("code")["reached"]
    assert reach.to_dict() == {
        GRID_A + "001": True,
        GRID_A + "002": False,
        GRID_B + "001": True,
        GRID_B + "003": True,
    }
    spatial = grids.community_spatial_coverage(grid_city, scope, settings)
    covered = (spatial["covered_m2"] / spatial["area_m2"]).round(6).tolist()
    assert covered[:2] == [1.0, 0.5] and pd.isna(covered[2])  # A full, B west half, C unknown
    for code in (None, "990201", "990201001", GRID_A):
        _assert_same_coverage(grid_city, Scope(code, GRID_AS_OF), settings)


def test_imports_of_grids_boundaries_and_facilities_keep_the_grid_summaries_exact(
    migrated_database, settings
):
    engine = make_engine(migrated_database("grid_summary"))
    build_grid_city(engine)
    uploads = [
        # F2 moves 2 m north: now within 1,000 m of A2's centre.
        Upload.of(
            "facilities.csv",
            (
                "code,name,community_code,kind,lon,lat,floor_area_m2\n"
                f"F2,甲社区养老服务站,{GRID_A},elderly_care,114.0175,"
                f"{30.005 - metres_north(998):.9f},300\n"
            ).encode(),
        ),
        # B2 gets a boundary on B's east half: B becomes fully covered.
        Upload.of(
            "boundaries.geojson",
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {"code": GRID_B + "002"},
                            "geometry": json.loads(square(114.01, 30.01, 114.02, 30.02)),
                        }
                    ],
                }
            ).encode(),
        ),
    ]
    report = run_import(engine, uploads, max_bytes=10**6)
    assert report.status == "accepted", report.problems
    scope = Scope("990201", GRID_AS_OF)
    reach = grids.grid_service_reach(engine, scope, settings).set_index("code")["reached"]
    assert reach[GRID_A + "002"]  # F2 is now 998 m away
    assert reach[GRID_B + "002"]  # B2's new centre is about 880 m from F3
    spatial = grids.community_spatial_coverage(engine, scope, settings).set_index("community_code")
    assert spatial.loc[GRID_B, "covered_m2"] == pytest.approx(spatial.loc[GRID_B, "area_m2"])
    street_map = grids.map_pieces(engine, Scope("990201001", GRID_AS_OF))
    assert "gap" not in set(street_map["kind"])  # B's east half, a blind spot before, is gone
    assert GRID_B + "002" in set(street_map.loc[street_map["kind"] == "grid", "code"])
    for code in (None, "990201", "990201001"):
        _assert_same_coverage(engine, Scope(code, GRID_AS_OF), settings)
    after_import = _grid_tables(engine)
    with engine.begin() as connection:
        refresh_summaries(connection, settings)
    for incremental, full in zip(after_import, _grid_tables(engine), strict=True):
        pd.testing.assert_frame_equal(incremental, full)
    engine.dispose()


def test_grid_summaries_equal_the_raw_computation_on_the_demo_city(demo_url, settings):
    engine = make_engine(demo_url)
    table = units(engine)
    district = table.loc[table["level"] == "district", "code"].iloc[0]
    street = table.loc[table["parent_code"] == district, "code"].iloc[0]
    for code in (None, district, street):
        _assert_same_coverage(engine, Scope(code, GRID_AS_OF), settings)
    engine.dispose()


def _stored_outlines(engine: Engine) -> pd.DataFrame:
    table = UnitOutline.__table__
    order = (UnitOutline.detail, UnitOutline.level, UnitOutline.code)
    return read_frame(engine, select(*table.columns).order_by(*order))


def _direct_outline(boundaries: list[str], tolerance: float) -> shapely.Geometry:
    """A unit's outline computed directly: the union of its communities, simplified."""
    union = shapely.union_all([shapely.from_geojson(text) for text in boundaries])
    simplified = shapely.simplify(union, tolerance, preserve_topology=True)
    return shapely.normalize(shapely.multipolygons(shapely.get_parts(simplified)))


def _stored_geometry(outline: str) -> shapely.Geometry:
    polygons = [(rings[0], rings[1:]) for rings in json.loads(outline)]
    return shapely.normalize(shapely.MultiPolygon(polygons))


def _check_outlines(engine: Engine, boundaries: dict[str, str], extent: float) -> None:
    """Every stored outline of the grid city against shapely on its communities' boundaries."""
    streets: dict[str, list[str]] = {}
    for code, boundary in sorted(boundaries.items()):
        streets.setdefault(code[:9], []).append(boundary)
    stored = _stored_outlines(engine).set_index(["detail", "level", "code"])
    wanted = {("street", code): boundaries for code, boundaries in streets.items()}
    wanted[("district", "990201")] = [b for boundaries in streets.values() for b in boundaries]
    communities = {("community", code): [b] for code, b in boundaries.items()}
    tolerance = extent / 1800  # one district: the city's map and the district's fit alike
    for detail, shown in (("city", wanted), ("district", {**wanted, **communities})):
        assert sorted(stored.loc[detail].index) == sorted(shown), detail
        for (level, code), parts in shown.items():
            row = stored.loc[(detail, level, code)]
            direct = _direct_outline(parts, tolerance)
            assert shapely.equals_exact(_stored_geometry(row["outline"]), direct, 1e-6), code
            union = shapely.union_all([shapely.from_geojson(b) for b in parts])
            box = (row["min_lon"], row["min_lat"], row["max_lon"], row["max_lat"])
            assert box == pytest.approx(union.bounds)
            assert row["area"] == pytest.approx(union.area)
            assert shapely.contains(union, shapely.Point(row["label_lon"], row["label_lat"]))


@pytest.mark.servers({"backend": "postgresql"})
def test_outlines_equal_a_direct_shapely_computation(migrated_database, settings):
    engine = make_engine(migrated_database("outlines"))
    build_grid_city(engine)
    boundaries = {code: b for code, _, _, b in GRID_COMMUNITIES if b}
    _check_outlines(engine, boundaries, 0.02)
    # 丙村 gets a boundary south of the others: 南街道 appears, the city grows to 0.03° tall
    # and every outline of the city's map is simplified anew.
    south = square(114.00, 29.99, 114.02, 30.00)
    feature = {"type": "Feature", "properties": {"code": GRID_C}, "geometry": json.loads(south)}
    collection = {"type": "FeatureCollection", "features": [feature]}
    upload = Upload.of("boundaries.geojson", json.dumps(collection).encode())
    report = run_import(engine, [upload], max_bytes=10**6)
    assert report.status == "accepted", report.problems
    _check_outlines(engine, {**boundaries, GRID_C: south}, 0.03)
    after_import = _stored_outlines(engine)
    with engine.begin() as connection:
        refresh_summaries(connection, settings)
    pd.testing.assert_frame_equal(after_import, _stored_outlines(engine))
    engine.dispose()


@pytest.mark.parametrize(
    "as_of", [AS_OF, dt.date(2025, 4, 30), dt.date(2024, 2, 29), dt.date(2023, 12, 31)]
)
def test_reductions_read_from_the_summary_equal_those_of_the_whole_series(
    burden_city, settings, as_of
):
    """Two rows per series (the current one with its stored window minimum, and the baseline)
    give what reductions() computes from every month of every unit's series."""
    compared = 0
    for code in CHECKED_SCOPES:
        scope = Scope(code, as_of)
        for level in ("district", "street", "community"):
            if CODE_LENGTH[level] < len(code or ""):
                continue
            series = burden.unit_series(burden_city, scope, level)
            months = sorted(set(series["period"]))
            for baseline in (None, *months[:2], months[-1] if months else None):
                expected = burden_figures.reductions(series, as_of, settings, baseline)
                rows = burden.summary_reduction_rows(burden_city, scope, level, baseline)
                found = burden_figures.finished_reductions(rows, settings, ["code", "category"])
                pd.testing.assert_frame_equal(
                    found,
                    expected,
                    check_dtype=False,
                    obj=f"{level} in {code or 'city'} as of {as_of}, baseline {baseline}",
                )
                compared += len(found)
    if as_of != dt.date(2023, 12, 31):
        assert compared > 50
