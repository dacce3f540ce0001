"""Grid coverage of docs/metrics.md §5 on the hand-made square district of tests/grid_city.py."""

from __future__ import annotations

import dataclasses
import json
import math

import pandas as pd
import pytest
import shapely

from dashboard.grid_map import grid_map
from dashboard.map_data import _computed_detail_data, load_map_data
from data_access import coverage, read_path
from data_access.catalog import text_in
from data_access.coverage import EARTH_RADIUS_M, analyse_coverage, parse_boundaries
from data_access.figures import grids as grid_figures
from data_access.figures.grids import (
    communities_with_gaps,
    community_grids,
    coverage_total,
    grid_coverage,
    grid_coverage_by_unit,
)
from data_access.queries.grids import (
    community_spatial_coverage,
    grid_counts_by_unit,
    grid_counts_total,
    grid_list,
    grid_service_reach,
    size_outliers,
)
from data_access.queries.hierarchy import units
from data_access.scope import Scope
from tests import unknown_coverage_city as unknown
from tests.grid_city import AS_OF, A, B, C, square
from tests.hostile_corpus import boundary_geojson
from tests.test_cli_export import run_export
from tests.test_pages import metric_values, run_app

DISTRICT = Scope("990201", AS_OF)


def trapezoid_m2(west: float, south: float, east: float, north: float) -> float:
    """Area of a lon/lat box with straight edges in the sinusoidal projection (worked by hand)."""
    d_lon, d_lat = math.radians(east - west), math.radians(north - south)
    mean_cos = (math.cos(math.radians(south)) + math.cos(math.radians(north))) / 2
    return EARTH_RADIUS_M**2 * d_lon * d_lat * mean_cos


AREA_A = trapezoid_m2(114.00, 30.00, 114.02, 30.01)
AREA_B = trapezoid_m2(114.00, 30.01, 114.02, 30.02)


def test_counts_per_street(grid_city, settings):
    rows = grid_counts_by_unit(grid_city, DISTRICT, settings).set_index("code")
    north, south = rows.loc["990201001"], rows.loc["990201002"]
    assert north[["grids", "staffed_grids", "fulltime_staffed_grids"]].tolist() == [6, 4, 2]
    assert north["staffed_rate"] == pytest.approx(4 / 6)
    assert north[["general_grids", "general_grids_in_size_range"]].tolist() == [5, 3]
    assert north[["oversized_grids", "undersized_grids"]].tolist() == [1, 1]
    assert north[["households", "households_in_grids"]].tolist() == [2200, 2020]
    assert north["household_coverage"] == pytest.approx(2020 / 2200)
    assert north["party_branch_rate"] == pytest.approx(3 / 6)
    assert south[["grids", "staffed_grids", "general_grids_in_size_range"]].tolist() == [1, 0, 1]
    assert south["staffed_rate"] == 0.0
    assert pd.isna(south["households"])  # C has no population: coverage unknown, not 0
    assert pd.isna(south["household_coverage"])


def test_totals_leave_households_of_unknown_communities_out_of_the_coverage(grid_city, settings):
    total = grid_counts_total(grid_city, DISTRICT, settings)
    assert total["grids"] == 7
    assert total["households_in_grids"] == 2520  # C's 500 are in grids …
    assert total["households"] == 2200
    assert total["household_coverage"] == pytest.approx(2020 / 2200)  # … but not in the ratio
    assert total["size_range_rate"] == pytest.approx(4 / 6)  # the dedicated grid is not counted
    assert total["fulltime_staffed_rate"] == pytest.approx(2 / 7)


def test_spatial_coverage_per_community(grid_city, settings):
    table = community_spatial_coverage(grid_city, DISTRICT, settings).set_index("community_code")
    a, b, c = table.loc[A], table.loc[B], table.loc[C]
    assert a["area_m2"] == pytest.approx(AREA_A, rel=1e-9)
    assert a["covered_m2"] == pytest.approx(AREA_A, rel=1e-9)  # A2 is clipped at A's edge
    assert a["blind_spots"] == 0
    assert a["overlap_m2"] == 0
    assert a[["grids", "grids_with_boundary"]].tolist() == [3, 2]
    assert b["covered_m2"] / b["area_m2"] == pytest.approx(0.5, rel=1e-9)
    assert b["blind_spots"] == 1
    assert b["blind_spot_m2"] == pytest.approx(AREA_B / 2, rel=1e-9)
    assert b["overlap_m2"] == pytest.approx(AREA_B / 4, rel=1e-9)  # B3 inside B1
    assert pd.isna(c["area_m2"])
    assert pd.isna(c["covered_m2"])


def test_service_reach_by_great_circle_distance(grid_city, settings):
    reach = grid_service_reach(grid_city, DISTRICT, settings).set_index("code")
    assert reach["reached"].to_dict() == {
        A + "001": True,  # 999 m
        A + "002": False,  # 1,001 m
        B + "001": True,  # about 555 m from F3, a facility registered in another street
        B + "003": True,  # 500 m
    }
    wider = grid_service_reach(
        grid_city, DISTRICT, dataclasses.replace(settings, walk_radius_m=1002)
    )
    assert wider["reached"].all()
    narrower = dataclasses.replace(settings, walk_radius_m=998)
    assert (
        not grid_service_reach(grid_city, DISTRICT, narrower)
        .set_index("code")
        .loc[A + "001", "reached"]
    )


def test_coverage_by_street_is_a_ratio_of_sums(grid_city, settings):
    rows = grid_coverage_by_unit(grid_city, DISTRICT, settings).set_index("code")
    north = rows.loc["990201001"]
    # B's east half may be B2's, which has no boundary: B's coverage is unknown, A's alone counts.
    assert north["spatial_coverage"] == pytest.approx(AREA_A / AREA_A, rel=1e-9)
    assert north["area_m2"] == pytest.approx(AREA_A, rel=1e-9)
    assert north[["grids_without_boundary", "communities_coverage_unknown"]].tolist() == [2, 1]
    assert north["service_reach"] == pytest.approx((400 + 350 + 450) / (400 + 600 + 350 + 450))
    south = rows.loc["990201002"]
    assert pd.isna(south["spatial_coverage"])  # no boundary: unknown, not 0
    assert pd.isna(south["service_reach"])  # no grid with a boundary
    assert south[["grids_without_boundary", "communities_coverage_unknown"]].tolist() == [1, 1]


def test_whole_scope_figures(grid_city, settings):
    counts = grid_counts_total(grid_city, DISTRICT, settings).to_frame().T
    spatial = community_spatial_coverage(grid_city, DISTRICT, settings)
    reach = grid_service_reach(grid_city, DISTRICT, settings)
    total = grid_coverage(counts, spatial, reach, None).iloc[0]
    assert total["spatial_coverage"] == pytest.approx(1.0, rel=1e-9)  # A; B and C unknown
    assert total["service_reach"] == pytest.approx(2 / 3)
    assert total["blind_spots"] == 0  # B's east half is not known to be one
    assert total["overlap_pieces"] == 1  # B3 inside B1: both drawn, a real overlap
    assert total[["grids_without_boundary", "communities_coverage_unknown"]].tolist() == [3, 2]


def test_page_total_adds_unstaffed_grids_and_the_blind_spot_area(grid_city, settings):
    counts = grid_counts_total(grid_city, DISTRICT, settings)
    spatial = community_spatial_coverage(grid_city, DISTRICT, settings)
    reach = grid_service_reach(grid_city, DISTRICT, settings)
    total = coverage_total(counts, spatial, reach)
    assert (total["grids"], total["staffed_grids"], total["unstaffed_grids"]) == (7, 4, 3)
    assert total["blind_spot_km2"] == 0  # A, the one community known, has none
    assert total["service_reach"] == pytest.approx(2 / 3)
    south = Scope("990201002", AS_OF)  # C: one grid, no boundary anywhere
    alone = coverage_total(
        grid_counts_total(grid_city, south, settings),
        community_spatial_coverage(grid_city, south, settings),
        grid_service_reach(grid_city, south, settings),
    )
    assert (alone["grids"], alone["unstaffed_grids"]) == (1, 1)
    assert pd.isna(alone["blind_spot_km2"])  # nothing drawn: unknown, not 0
    assert alone[["grids_without_boundary", "communities_coverage_unknown"]].tolist() == [1, 1]


def test_communities_with_gaps_hold_real_overlaps_and_no_unknown_blind_spot(grid_city, settings):
    spatial = community_spatial_coverage(grid_city, DISTRICT, settings)
    table = communities_with_gaps(spatial, units(grid_city))
    # B for B3 inside B1; not for its east half, which may be B2's; A and C have no problem.
    assert list(table["code"]) == [B]
    b = table.iloc[0]
    assert b["name"] == "乙社区"
    assert b["overlap_piece_m2"] == round(AREA_B / 4)
    assert b["grids_without_boundary"] == 1
    assert pd.isna(b["blind_spots"]) and pd.isna(b["blind_spot_m2"])  # unknown, not 0 or 1
    assert pd.isna(b["spatial_coverage"])
    assert b["area_km2"] == round(AREA_B / 1e6, 3)


def test_grids_of_a_community_with_boundary_and_reach(grid_city, settings):
    scope = Scope(A, AS_OF)
    table = community_grids(
        grid_list(grid_city, scope), grid_service_reach(grid_city, scope, settings)
    )
    assert list(table["code"]) == [A + "001", A + "002", A + "003"]
    assert list(table["has_boundary"]) == [True, True, False]
    assert list(table["reached"]) == [True, False, None]  # A3 has no boundary: not judged
    assert list(table["staffed"]) == [1, 1, 0]
    assert list(table["has_party_branch"]) == [True, False, False]


def test_size_outliers_leave_dedicated_grids_out(grid_city, settings):
    outliers = size_outliers(grid_city, DISTRICT, settings)
    assert outliers[["code", "households", "size"]].values.tolist() == [
        [A + "002", 600, "oversized"],
        [B + "002", 200, "undersized"],
    ]  # A3 holds 20 households but is a dedicated grid; C1's 500 is within the range


def test_community_without_grids_is_all_gap():
    communities = pd.DataFrame({"code": ["X"], "boundary": [square(0.0, 0.0, 0.01, 0.01)]})
    grids = pd.DataFrame({"code": [], "community_code": [], "boundary": []})
    table = analyse_coverage(communities, grids).table.iloc[0]
    assert table["covered_m2"] == 0
    assert table["gap_m2"] == pytest.approx(trapezoid_m2(0.0, 0.0, 0.01, 0.01), rel=1e-9)
    assert table["blind_spots"] == 1


def test_export_grids_by_street(grid_city_url, monkeypatch, capsysbinary):
    status, rows, _ = run_export(
        monkeypatch, capsysbinary, grid_city_url,
        "grids", "--level", "street", "--scope", "990201", "--as-of", AS_OF.isoformat(),
    )  # fmt: skip
    assert status == 0
    assert list(rows[0]) == [
        "code", "name", "grids", "staffed_grids", "staffed_rate", "fulltime_staffed_grids",
        "general_grids", "general_grids_in_size_range", "households", "households_in_grids",
        "household_coverage", "party_branch_grids", "spatial_coverage", "service_reach",
        "grids_without_boundary", "communities_coverage_unknown",
    ]  # fmt: skip
    north = dict(rows[0])
    rates = {k: float(north.pop(k)) for k in ("staffed_rate", "household_coverage")}
    rates["spatial_coverage"] = float(north.pop("spatial_coverage"))
    rates["service_reach"] = float(north.pop("service_reach"))
    assert north == {
        "code": "990201001",
        "name": "北街道",
        "grids": "6",
        "staffed_grids": "4",
        "fulltime_staffed_grids": "2",
        "general_grids": "5",
        "general_grids_in_size_range": "3",
        "households": "2200",
        "households_in_grids": "2020",
        "party_branch_grids": "3",
        "grids_without_boundary": "2",
        "communities_coverage_unknown": "1",
    }
    assert rates == pytest.approx(
        {
            "staffed_rate": 4 / 6,
            "household_coverage": 2020 / 2200,
            "spatial_coverage": 1.0,
            "service_reach": 2 / 3,
        },
        rel=1e-12,
    )
    assert rows[1] == {
        "code": "990201002",
        "name": "南街道",
        "grids": "1",
        "staffed_grids": "0",
        "staffed_rate": "0.0",
        "fulltime_staffed_grids": "0",
        "general_grids": "1",
        "general_grids_in_size_range": "1",
        "households": "",
        "households_in_grids": "500",
        "household_coverage": "",
        "party_branch_grids": "0",
        "spatial_coverage": "",
        "service_reach": "",
        "grids_without_boundary": "1",
        "communities_coverage_unknown": "1",
    }


@pytest.mark.slow
def test_page_shows_the_street_figures(grid_city_url, monkeypatch):
    at = run_app(
        grid_city_url, monkeypatch, page="pages/grids.py",
        lang="zh", month="2025-06", district="990201", street="990201001",
    )  # fmt: skip
    assert not at.exception
    values = metric_values(at)
    assert values["网格数"] == "6"
    assert values["网格配员率"] == "66.7%"
    assert values["户数覆盖率"] == "91.8%"  # 2,020 / 2,200
    assert values["15分钟生活圈覆盖"] == "66.7%"
    assert values["空间覆盖率"] == "100.0%"  # A; B's is unknown
    assert [s.value for s in at.main.subheader] == [
        "网格地图：北街道",
        "各社区网格覆盖",
        "需要处理的问题",
    ]
    # The map drawn as SVG (dashboard/map_view.py); deck.gl only when asked for.
    maps = [e for e in at.get("bidi_component") if e.proto.component_name == "dashboard.grid_map"]
    assert len(maps) == 1 and at.get("deck_gl_json_chart") == []


@pytest.mark.slow
def test_page_unit_table_equals_the_export(grid_city_url, monkeypatch, capsysbinary):
    status, rows, _ = run_export(
        monkeypatch, capsysbinary, grid_city_url,
        "grids", "--level", "street", "--scope", "990201", "--as-of", AS_OF.isoformat(),
    )  # fmt: skip
    assert status == 0
    at = run_app(
        grid_city_url, monkeypatch, page="pages/grids.py",
        lang="en", month="2025-06", district="990201",
    )  # fmt: skip
    assert not at.exception
    shown = at.dataframe[0].value  # the streets
    assert list(shown["Code"]) == [row["code"] for row in rows] == ["990201001", "990201002"]
    counts = {
        "name": "Name", "grids": "Grids", "staffed_grids": "Staffed grids",
        "households": "Households", "households_in_grids": "Households in grids",
        "grids_without_boundary": "Grids without boundary",
        "communities_coverage_unknown": "Communities, coverage unknown",
    }  # fmt: skip
    rates = {
        "staffed_rate": "Staffed-grid rate", "household_coverage": "Household coverage",
        "spatial_coverage": "Spatial coverage", "service_reach": "Living-circle reach",
    }  # fmt: skip
    for (_, page), csv_row in zip(shown.iterrows(), rows, strict=True):
        for column, header in counts.items():
            value = page[header]
            if isinstance(value, float):  # a count column with an empty cell is shown as float
                value = None if pd.isna(value) else int(value)
            assert ("" if value is None else str(value)) == csv_row[column], column
        for column, header in rates.items():
            expected = round(float(csv_row[column]) * 100, 1) if csv_row[column] else None
            assert (None if pd.isna(page[header]) else page[header]) == expected, column
    assert shown.iloc[0]["Spatial coverage"] == 100.0


def _ring(west: float, south: float, size: float) -> list[list[float]]:
    return [
        [west, south],
        [west + size, south],
        [west + size, south + size],
        [west, south + size],
        [west, south],
    ]


BOUNDARY_TEXTS = (
    [
        json.dumps(geometry, separators=(",", ":"))
        for geometry in (
            {"type": "Polygon", "coordinates": [_ring(116, 39, 1)]},
            {"type": "Polygon", "coordinates": [_ring(116, 39, 1), _ring(116.2, 39.2, 0.1)]},
            {"type": "MultiPolygon", "coordinates": [[_ring(116, 39, 1)], [_ring(118, 39, 1)]]},
            {
                "type": "Polygon",
                "coordinates": [[[116, 39], [117, 40], [117, 39], [116, 40], [116, 39]]],
            },
            {"type": "Polygon", "coordinates": [_ring(116, 39, 1)[:-1]]},  # open: GEOS refuses it
            {"type": "Polygon", "coordinates": [_ring(116, 39, 1)[:3]]},
            {
                "type": "Polygon",
                "coordinates": [[[116, 39, 1], [117, 39, 1], [117, 40, 1], [116, 39, 1]]],
            },
            {"type": "Polygon", "coordinates": [[[116, 39], [116, 39], [116, 39], [116, 39]]]},
            {"coordinates": [_ring(116, 39, 1)], "type": "Polygon"},
        )
    ]
    + [json.dumps({"type": "Polygon", "coordinates": [_ring(116, 39, 1)]}), "{", "", None]
)


def test_large_boundaries_read_as_arrays_give_what_geos_reads(monkeypatch):
    """parse_boundaries reads a long text through numpy when it can: the same geometries, to the
    bit, as GEOS's GeoJSON reader, and None where that refuses the text."""
    as_geos = parse_boundaries(BOUNDARY_TEXTS)
    monkeypatch.setattr(coverage, "LARGE_BOUNDARY", 0)
    as_arrays = parse_boundaries(BOUNDARY_TEXTS)
    assert [g is None for g in as_geos] == [
        False, False, False, False, True, True, False, True, False, False, True, True, True
    ]  # fmt: skip
    assert list(shapely.to_wkb(as_arrays)) == list(shapely.to_wkb(as_geos))


def test_a_boundary_of_many_vertices_is_read_as_arrays():
    geometry = json.loads(boundary_geojson(200_000))["features"][0]["geometry"]
    text = json.dumps(geometry, separators=(",", ":"))
    assert len(text) > coverage.LARGE_BOUNDARY
    read = coverage.coordinate_arrays(text)
    assert read is not None and read[1][0][0].shape == (200_001, 2)
    (shape,) = parse_boundaries([text])
    assert shapely.to_wkb(shape) == shapely.to_wkb(shapely.from_geojson(text))


# --- grids without boundary: unknown, not uncovered (tests/unknown_coverage_city.py) -------------

UNKNOWN_DISTRICT = Scope(unknown.DISTRICT, unknown.AS_OF)
EAST, WEST = Scope(unknown.EAST, unknown.AS_OF), Scope(unknown.WEST, unknown.AS_OF)


def box_m2(south: float, west: float, east: float) -> float:
    return trapezoid_m2(west, south, east, round(south + 0.01, 2))


AREA_P = box_m2(31.00, 114.00, 114.02)
AREA_R = box_m2(31.02, 114.00, 114.02)
COVERED_P = box_m2(31.00, 114.00, 114.015)  # P1 and P2
KNOWN_COVERAGE = (COVERED_P + AREA_R) / (AREA_P + AREA_R)  # Q, S unknown; T, U without area
REACH = (400 + 300) / (400 + 300 + 350 + 300 + 500)  # P1, P2 of the grids with a boundary


def test_coverage_and_reach_count_only_what_has_a_boundary(unknown_coverage, settings):
    total = grid_figures.grid_coverage_total(unknown_coverage, UNKNOWN_DISTRICT, settings)
    assert total["spatial_coverage"] == pytest.approx(KNOWN_COVERAGE, rel=1e-9)
    assert total["area_m2"] == pytest.approx(AREA_P + AREA_R, rel=1e-9)
    assert total["service_reach"] == pytest.approx(REACH, rel=1e-12)
    assert total["blind_spots"] == 1  # P's east quarter; not Q's east half nor S
    assert total["blind_spot_km2"] == pytest.approx((AREA_P - COVERED_P) / 1e6, rel=1e-9)
    assert total["overlap_pieces"] == 1  # R1 and R2
    assert total["grids_without_boundary"] == 7  # Q2, R3, S1, S2, T1, T2, U1
    assert total["communities_coverage_unknown"] == 4  # Q, S, T, U
    rows = grid_figures.grid_coverage_by_unit(unknown_coverage, UNKNOWN_DISTRICT, settings)
    east, west = rows.set_index("code").loc[[unknown.EAST, unknown.WEST]].to_dict("records")
    assert east["spatial_coverage"] == pytest.approx(KNOWN_COVERAGE, rel=1e-9)
    assert east["service_reach"] == pytest.approx(REACH, rel=1e-12)
    assert (east["grids_without_boundary"], east["communities_coverage_unknown"]) == (4, 2)
    # The street imported without any boundary: unknown, nothing uncovered.
    assert pd.isna(west["spatial_coverage"]) and pd.isna(west["service_reach"])
    assert (west["blind_spots"], west["overlap_pieces"]) == (0, 0)
    assert (west["grids_without_boundary"], west["communities_coverage_unknown"]) == (3, 2)


def test_problem_list_holds_only_real_gaps_and_overlaps(unknown_coverage, settings):
    table = grid_figures.gap_communities(unknown_coverage, UNKNOWN_DISTRICT, settings)
    assert list(table["code"]) == [unknown.P, unknown.R]  # the blind spot first, then the overlap
    p, r = table.to_dict("records")
    assert p["blind_spots"] == 1 and p["blind_spot_m2"] == round(AREA_P - COVERED_P)
    assert p["spatial_coverage"] == pytest.approx(0.75, rel=1e-9)
    assert r["blind_spots"] == 0 and r["spatial_coverage"] == pytest.approx(1.0, rel=1e-9)
    assert r["overlap_piece_m2"] == round(box_m2(31.02, 114.008, 114.012))
    assert r["grids_without_boundary"] == 1  # R3, which cannot matter: R is covered
    assert grid_figures.gap_communities(unknown_coverage, WEST, settings).empty


@pytest.mark.parametrize("scope", [None, unknown.DISTRICT, unknown.EAST, unknown.WEST, unknown.Q])
def test_unknown_coverage_from_the_summary_equals_the_raw_computation(
    unknown_coverage, settings, scope
):
    at = Scope(scope, unknown.AS_OF)
    assert read_path.summary_coverage(unknown_coverage).reads_coverage(settings)
    figures = {
        "total": lambda: grid_figures.grid_coverage_total(unknown_coverage, at, settings),
        "units": lambda: grid_figures.grid_coverage_by_unit(unknown_coverage, at, settings),
        "gaps": lambda: grid_figures.gap_communities(unknown_coverage, at, settings),
    }
    for name, compute in figures.items():
        summary = compute()
        with read_path.reading_raw():
            raw = compute()
        if name == "total":
            pd.testing.assert_series_equal(summary, raw, check_dtype=False, obj=name)
        else:
            pd.testing.assert_frame_equal(summary, raw, check_dtype=False, obj=name)


def test_the_map_draws_only_real_blind_spots(unknown_coverage, settings):
    stored = load_map_data(unknown_coverage, EAST, settings)
    computed = _computed_detail_data(unknown_coverage, EAST, settings)
    for data in (stored, computed):
        (gap,) = data.gaps.to_dict("records")  # P's east quarter; nothing of Q or S
        assert gap["community_code"] == unknown.P
        ring = [point for rings in gap["polygon"] for point in rings]
        lons, lats = [x for x, _ in ring], [y for _, y in ring]
        assert (min(lons), min(lats), max(lons), max(lats)) == pytest.approx(
            (114.015, 31.00, 114.02, 31.01)
        )
        assert list(data.overlaps["community_code"]) == [unknown.R]
    layers = json.loads(grid_map(stored, settings, text_in("zh")).deck.to_json())["layers"]
    (drawn,) = next(layer for layer in layers if layer["id"] == "gaps")["data"]
    area = f"{round(AREA_P - COVERED_P):,}"
    assert drawn["tooltip"] == f"盲区 · 甲社区\n约 {area} 平方米未被网格覆盖"


def test_export_grids_says_how_much_has_no_boundary(
    unknown_coverage_url, monkeypatch, capsysbinary
):
    status, rows, _ = run_export(
        monkeypatch, capsysbinary, unknown_coverage_url,
        "grids", "--level", "street", "--scope", unknown.DISTRICT,
        "--as-of", unknown.AS_OF.isoformat(),
    )  # fmt: skip
    assert status == 0
    east, west = rows
    assert float(east["spatial_coverage"]) == pytest.approx(KNOWN_COVERAGE, rel=1e-12)
    assert float(east["service_reach"]) == pytest.approx(REACH, rel=1e-12)
    assert (east["grids_without_boundary"], east["communities_coverage_unknown"]) == ("4", "2")
    assert (west["spatial_coverage"], west["service_reach"]) == ("", "")
    assert (west["grids_without_boundary"], west["communities_coverage_unknown"]) == ("3", "2")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("lang", "street", "note", "tab"),
    [
        (
            "zh", unknown.WEST,
            "3 个网格无边界，覆盖未知：2 个社区的空间覆盖无法判断（社区无边界，或未覆盖的部分可能"
            "属于无边界的网格），不计入空间覆盖率和盲区；15分钟生活圈只计有边界的网格。",
            "有盲区或重叠的社区（0）",
        ),
        (
            "en", None,
            "Grids without a boundary: 7, their coverage unknown. The spatial coverage of 4 "
            "communities cannot be judged (no community boundary, or what is uncovered may lie "
            "in a grid without one) and is left out of the spatial coverage and the blind spots; "
            "the living-circle reach counts only grids with a boundary.",
            "Communities with blind spots or overlaps (2)",
        ),
    ],
    ids=["zh-street-without-boundaries", "en-district"],
)  # fmt: skip
def test_page_says_how_much_is_unknown(unknown_coverage_url, monkeypatch, lang, street, note, tab):
    state = {"lang": lang, "month": "2025-06", "district": unknown.DISTRICT}
    if street:
        state["street"] = street
    at = run_app(unknown_coverage_url, monkeypatch, page="pages/grids.py", **state)
    assert not at.exception
    assert note in [caption.value for caption in at.caption]
    assert tab in [t.label for t in at.tabs]
    values = metric_values(at)
    spatial = values["空间覆盖率" if lang == "zh" else "Spatial coverage"]
    assert spatial == ("—" if street else f"{KNOWN_COVERAGE * 100:.1f}%")
