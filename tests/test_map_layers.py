"""The grid map without a browser: GCJ-02 shift, layer data handed to pydeck, basemap and view."""

from __future__ import annotations

import dataclasses
import json
import math
import urllib.parse
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from dashboard import map_data
from dashboard.coordinates import shift_xy, wgs84_to_gcj02
from dashboard.grid_map import MapOptions, drill_target, grid_map
from dashboard.i18n import text_in
from dashboard.map_data import MapData, load_map_data
from dashboard.map_geometry import (
    coordinate_decimals,
    fit_view,
    polygon_rows,
    screen_xy,
    simplify_tolerance,
    uncluttered,
)
from dashboard.map_layers import community_features, label_features
from dashboard.map_style import (
    MISSING_COLOUR,
    OUT_OF_RANGE_LINE,
    RAMP,
    STATUS_COLOURS,
    metric_classes,
)
from data_access.scope import Scope, month_end
from data_access.settings import load_settings
from tests.grid_city import AS_OF, A, B, metres_north

EN = text_in("en")
ZH = text_in("zh")


# Published reference values:
# - wandergis/coordtransform (JavaScript), test/app.js: wgs84togcj02(116.404, 39.915)
#   → [116.41024449916938, 39.91640428150164];
# - hujiulong/gcoord, test/unit/crs/WGS84.spec.ts: WGS84 → GCJ02 of [123, 45]
#   → [123.00607541, 45.00197815] (to 5 decimals), and [183, 45] outside China unchanged.
@pytest.mark.parametrize(
    ("wgs84", "gcj02", "tolerance"),
    [
        ((116.404, 39.915), (116.41024449916938, 39.91640428150164), 1e-12),
        ((123.0, 45.0), (123.00607541, 45.00197815), 1e-8),
        ((183.0, 45.0), (183.0, 45.0), 0.0),
    ],
)
def test_gcj02_shift_matches_published_points(wgs84, gcj02, tolerance):
    lon, lat = wgs84_to_gcj02(np.array([wgs84[0]]), np.array([wgs84[1]]))
    assert float(lon[0]) == pytest.approx(gcj02[0], abs=tolerance)
    assert float(lat[0]) == pytest.approx(gcj02[1], abs=tolerance)


def test_shift_is_identity_for_wgs84_and_refuses_unknown_systems():
    xy = np.array([[114.3, 30.6]])
    assert shift_xy(xy, "wgs84") is xy
    shifted = shift_xy(xy, "gcj02")
    assert 0.003 < shifted[0, 0] - 114.3 < 0.008  # a few hundred metres east …
    assert -0.004 < shifted[0, 1] - 30.6 < 0.0  # … and a little south, as in Wuhan
    with pytest.raises(ValueError, match="bd09"):
        shift_xy(xy, "bd09")


def _layers(deck) -> dict[str, dict]:
    return {layer["id"]: layer for layer in json.loads(deck.to_json())["layers"]}


def _flat(feature: dict) -> bool:
    """No nested objects: deck.gl tooltips read top-level properties only."""
    return not any(isinstance(value, dict) for value in feature.values())


def test_district_scope_draws_communities_by_metric_and_no_grids(grid_city, settings):
    data = load_map_data(grid_city, Scope("990201", AS_OF), settings)
    values = pd.DataFrame(
        {"code": [A, B], "name": ["甲社区", "乙社区"], "spatial_coverage": [1.0, 0.5]}
    )
    drawn = grid_map(data, settings, EN, values.drop(columns=["name"]), "spatial_coverage")
    layers = _layers(drawn.deck)
    assert data.unit_level == "community"
    assert list(layers) == ["units", "outlines", "labels"]
    communities = {f["code"]: f for f in layers["units"]["data"]}
    assert set(communities) == {A, B}  # C has no boundary: nothing to draw
    assert all(_flat(f) for f in communities.values())
    lit = metric_classes("spatial_coverage", settings)  # against target_grid_coverage, 100 %
    assert communities[A]["fill"] == lit.colour(1.0) == list(lit.colours[2])  # meets
    assert communities[B]["fill"] == lit.colour(0.5) == list(lit.colours[0])  # below 90 %
    assert communities[B]["value_text"] == "50.0% ○"
    tooltip = drawn.deck._tooltip  # st.pydeck_chart sends it beside the spec
    assert tooltip["text"].splitlines() == [
        "{name} ({code})",
        "Spatial coverage: {value_text}",
        "{grids} grids · staffed {staffed}",
        "households covered {households} · area covered {spatial}",
    ]  # one template in the UI language; each community carries the flat values it names
    assert [o["name"] for o in layers["outlines"]["data"]] == ["北街道"]
    assert "990201001001001" not in drawn.deck.to_json()  # no grid is sent above street scope
    assert "● Meets ≥ 100%" in drawn.legend and "○ Below &lt; 90%" in drawn.legend


def test_city_scope_fills_streets_from_the_stored_outlines(grid_city, settings):
    data = load_map_data(grid_city, Scope(None, AS_OF), settings)
    assert data.unit_level == "street"
    values = pd.DataFrame({"code": ["990201001"], "staffed_rate": [0.85], "grids": [6]})
    drawn = grid_map(data, settings, ZH, values, "staffed_rate")
    layers = _layers(drawn.deck)
    assert list(layers) == ["units", "outlines", "labels"]
    (street,) = layers["units"]["data"]  # 南街道's only community has no boundary
    assert (street["code"], street["name"]) == ("990201001", "北街道")
    lit = metric_classes("staffed_rate", settings)
    assert street["fill"] == list(lit.colours[0])  # below 90 % of the target of 100 %
    assert (street["value_text"], street["grids"]) == ("85.0% ○", "6")
    # The union of 甲社区 and 乙社区: one square, the pinhole-free outline of the street.
    assert _ring_bounds(street["polygon"]) == pytest.approx((114.0, 30.0, 114.02, 30.02))
    assert len(street["polygon"]) == 1 and len(street["polygon"][0]) == 5
    assert [o["name"] for o in layers["outlines"]["data"]] == ["方格区"]
    assert A not in drawn.deck.to_json()  # no community is sent at city scope
    assert drawn.deck._tooltip["text"].splitlines()[0] == "{name}（{code}）"
    assert "区边界与名称" in drawn.legend
    assert drill_target("990201001", "city") == "990201001"  # a street drills to itself


def test_per_10k_legend_counts_urban_communities_and_villages(grid_city, settings):
    data = load_map_data(grid_city, Scope(None, AS_OF), settings)
    values = pd.DataFrame(
        {"code": ["990201001"], "per_10k": [16.0], "urban_communities": [3], "villages": [2]}
    )
    zh = grid_map(data, settings, ZH, values, "per_10k").legend
    assert "每万人社区工作者（只计城市社区；城市社区 3 个、村 2 个）" in zh
    assert "无数据，或只有村（村不按城市社区标准评估）" in zh
    en = grid_map(data, settings, EN, values, "per_10k").legend
    assert "(urban communities only; 3 urban communities, 2 villages)" in en
    # No villages: the legend names no kind; another metric never does.
    urban = grid_map(data, settings, ZH, values.assign(villages=0), "per_10k").legend
    assert "城市社区" not in urban and "无数据" in urban
    assert "城市社区" not in grid_map(data, settings, ZH, values, "staffed_rate").legend


def test_city_scope_fills_districts_when_the_city_has_many_streets(
    grid_city, settings, monkeypatch
):
    monkeypatch.setattr(map_data, "CITY_STREETS_MAX", 0)
    data = load_map_data(grid_city, Scope(None, AS_OF), settings)
    assert data.unit_level == "district"
    layers = _layers(grid_map(data, settings, EN).deck)
    assert [(f["code"], f["name"]) for f in layers["units"]["data"]] == [("990201", "方格区")]
    assert [(lab["code"], lab["rank"]) for lab in layers["labels"]["data"]] == [
        ("990201", "primary")
    ]
    assert drill_target("990201", "city") == "990201"


def test_no_shapely_on_the_request_path(grid_city, settings, monkeypatch):
    """Every scope's map is drawn from the outlines and pieces stored at write time."""
    for name in ("union_all", "simplify", "from_geojson", "point_on_surface", "intersection"):
        monkeypatch.setattr(shapely, name, _refuse)
    monkeypatch.setattr(shapely, "STRtree", _refuse)
    for code in (None, "990201", "990201001", A):
        data = load_map_data(grid_city, Scope(code, AS_OF), settings)
        assert not data.units.empty


def _same_map(stored: MapData, computed: MapData) -> None:
    assert stored.bounds == pytest.approx(computed.bounds)
    for name in ("units", "outlines", "grids", "gaps", "overlaps", "facilities", "labels"):
        left, right = getattr(stored, name), getattr(computed, name)
        key = [c for c in ("code", "community_code", "area_m2") if c in right.columns]
        if name == "labels":
            key = ["level", "code"]
        left = left.sort_values(key, ignore_index=True)[list(right.columns)]
        right = right.sort_values(key, ignore_index=True)
        pd.testing.assert_frame_equal(left, right, check_dtype=False, obj=name)


@pytest.mark.parametrize("coordinate_system", ["wgs84", "gcj02"])
def test_stored_street_and_community_maps_equal_the_computed_ones(
    grid_city, settings, coordinate_system
):
    chosen = dataclasses.replace(settings, coordinate_system=coordinate_system)
    for code in ("990201001", A, B):
        scope = Scope(code, AS_OF)
        stored = load_map_data(grid_city, scope, chosen)
        _same_map(stored, map_data._computed_detail_data(grid_city, scope, chosen))


def _refuse(*_args, **_kwargs):
    raise AssertionError("shapely on the request path")


def test_street_scope_draws_grids_by_status_with_gaps_overlaps_and_facilities(grid_city, settings):
    data = load_map_data(grid_city, Scope("990201001", AS_OF), settings)
    layers = _layers(grid_map(data, settings, ZH).deck)
    assert list(layers) == ["grids", "gaps", "overlaps", "outlines", "facilities", "labels"]
    circles = MapOptions(walk_circles=True)
    layers = _layers(grid_map(data, settings, ZH, options=circles).deck)
    assert list(layers) == [
        "grids", "gaps", "overlaps", "outlines", "walk_radius", "facilities", "labels",
    ]  # fmt: skip
    grids = {f["code"]: f for f in layers["grids"]["data"]}
    assert set(grids) == {A + "001", A + "002", B + "001", B + "003"}  # A3, B2: no boundary
    assert all(_flat(f) for f in grids.values())
    assert grids[A + "001"]["fill"] == STATUS_COLOURS["fulltime"]
    assert grids[A + "002"]["fill"] == STATUS_COLOURS["parttime"]
    assert grids[B + "001"]["fill"] == STATUS_COLOURS["unstaffed"]  # the worker's end date is AS_OF
    assert grids[B + "003"]["fill"] == STATUS_COLOURS["fulltime"]  # starts on AS_OF
    assert grids[A + "002"]["line"] == OUT_OF_RANGE_LINE  # 600 households
    assert grids[A + "002"]["out_of_range"] is True
    assert grids[A + "001"]["out_of_range"] is False
    assert grids[B + "001"]["tooltip"].splitlines() == [
        f"网格2001（{B}001）",
        "综合网格 · 350 户",
        "无网格员",
        "网格党支部：是",
    ]
    # B's east half lies in no grid drawn, but B2 has no boundary: unknown, not a blind spot
    # (tests/test_grid_coverage.py draws a real one).
    assert layers["gaps"]["data"] == []
    (overlap,) = layers["overlaps"]["data"]
    assert _ring_bounds(overlap["polygon"]) == pytest.approx((114.005, 30.01, 114.01, 30.02))
    # F3 belongs to community C of the other street but serves B's grids, so it is drawn.
    assert sorted(f["code"] for f in layers["facilities"]["data"]) == ["F1", "F2", "F3"]
    assert layers["walk_radius"]["getRadius"] == settings.walk_radius_m
    assert layers["walk_radius"]["radiusUnits"] == "meters"  # a plain string, not an accessor
    assert layers["facilities"]["pickable"] and layers["grids"]["pickable"]


def _ring_bounds(polygon: list) -> tuple[float, float, float, float]:
    ring = np.array(polygon[0])
    return ring[:, 0].min(), ring[:, 1].min(), ring[:, 0].max(), ring[:, 1].max()


def test_gcj02_setting_shifts_every_coordinate_sent(grid_city, settings):
    shifted = dataclasses.replace(settings, coordinate_system="gcj02")
    plain = load_map_data(grid_city, Scope("990201001", AS_OF), settings)
    moved = load_map_data(grid_city, Scope("990201001", AS_OF), shifted)
    expected = np.round(shift_xy(np.array([[114.0, 30.0]]), "gcj02"), 6)[0].tolist()
    first_corner = moved.grids.set_index("code").loc[A + "001", "polygon"][0][0]
    assert first_corner == expected
    assert plain.grids.set_index("code").loc[A + "001", "polygon"][0][0] == [114.0, 30.0]
    facility = moved.facilities.set_index("code").loc["F3"]
    lon, lat = wgs84_to_gcj02(np.array([114.0075]), np.array([30.015 + metres_north(500)]))
    assert (facility["lon"], facility["lat"]) == pytest.approx((lon[0], lat[0]))


def test_basemap_none_is_the_default_and_requests_nothing(grid_city, settings):
    assert settings.basemap == "none"
    data = load_map_data(grid_city, Scope("990201001", AS_OF), settings)
    spec = json.loads(grid_map(data, settings, EN).deck.to_json())
    assert spec["mapStyle"] == "__MAP_STYLE__"  # Streamlit's marker for no basemap at all
    assert "mapProvider" not in spec
    assert "TileLayer" not in json.dumps(spec)
    assert "http" not in json.dumps(spec)


def _style(spec: dict) -> dict:
    prefix = "data:application/json,"
    assert spec["mapStyle"].startswith(prefix)
    return json.loads(urllib.parse.unquote(spec["mapStyle"][len(prefix) :]))


def test_online_and_custom_tile_basemaps(grid_city, settings):
    data = load_map_data(grid_city, Scope("990201001", AS_OF), settings)
    online = dataclasses.replace(settings, basemap="carto")
    carto = json.loads(grid_map(data, online, EN).deck.to_json())
    assert carto["mapProvider"] == "carto"
    assert carto["mapStyle"].startswith("https://basemaps.cartocdn.com/")
    template = "https://tiles.example.internal/{z}/{x}/{y}.png"
    custom = dataclasses.replace(settings, basemap=template)
    spec = json.loads(grid_map(data, custom, EN).deck.to_json())
    assert spec["mapProvider"] == "maplibre"
    style = _style(spec)
    assert style["sources"]["tiles0"] == {"type": "raster", "tiles": [template], "tileSize": 256}
    assert [layer["type"] for layer in style["layers"]] == ["raster"]


def test_tianditu_basemap_with_labels_in_the_ui_language(grid_city, settings):
    data = load_map_data(grid_city, Scope("990201001", AS_OF), settings)
    tianditu = dataclasses.replace(settings, basemap="tianditu", tianditu_key="abc 123")
    for language, labels in (("zh", "cva_w"), ("en", "eva_w")):
        spec = json.loads(grid_map(data, tianditu, EN, language=language).deck.to_json())
        style = _style(spec)
        vector, names = style["sources"]["tiles0"]["tiles"], style["sources"]["tiles1"]["tiles"]
        assert vector[0] == (
            "https://t0.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=abc%20123"
        )
        assert [url[:10] for url in vector] == [f"https://t{n}" for n in range(8)]
        assert all(f"T={labels}&" in url for url in names)
        assert [layer["source"] for layer in style["layers"]] == ["tiles0", "tiles1"]


def test_metric_classes_and_missing_values(settings):
    reach = metric_classes("service_reach", settings)  # no target: five blue classes, no verdict
    assert [reach.colour(v) for v in (0.5, 0.8, 0.93, 0.97, 1.0)] == RAMP
    assert reach.colour(None) == MISSING_COLOUR
    assert reach.colour(float("nan")) == MISSING_COLOUR
    assert reach.labels() == ["< 80%", "80%–90%", "90%–95%", "95%–99%", "≥ 99%"]
    assert reach.state(0.5) is None
    per_10k = metric_classes("per_10k", settings)  # the standard 18 and 0.9 × 18
    assert per_10k.breaks == (16.2, 18.0)
    assert per_10k.labels() == ["< 16.2", "16.2–18.0", "≥ 18.0"]
    below, close, meets = (list(c) for c in per_10k.colours)
    assert [per_10k.colour(v) for v in (16.1, 16.2, 17.9, 18.0)] == [below, close, close, meets]
    assert per_10k.colour(None) == MISSING_COLOUR


def test_community_without_a_value_is_grey_and_says_so(settings):
    polygons = pd.DataFrame(
        {"code": ["X"], "name": ["某社区"], "polygon": [[[[0, 0], [1, 0], [1, 1]]]]}
    )
    values = pd.DataFrame({"code": ["X"], "per_10k": [None]})
    classes = metric_classes("per_10k", settings)
    (feature,) = community_features(polygons, values, "per_10k", classes)
    assert feature["fill"] == MISSING_COLOUR
    assert feature["value_text"] == "—"
    assert feature["grids"] == "—"


def test_simplification_follows_the_extent():
    assert simplify_tolerance((114.0, 30.0, 114.9, 30.5)) == pytest.approx(0.9 / 1800)
    assert coordinate_decimals(0.0005) == 4  # a fifth of it is 0.0001°
    assert coordinate_decimals(0.0002) == 5
    assert coordinate_decimals(0.5) == 4
    assert coordinate_decimals(1e-9) == 6
    # A square with a wobble of 0.0001° on one edge loses it at a tolerance of 0.001°.
    wobbly = shapely.Polygon([(0, 0), (0.5, 0.0001), (1, 0), (1, 1), (0, 1)])
    rows = polygon_rows(pd.DataFrame({"code": ["X"], "geometry": [wobbly]}), 0.001, "wgs84", 4)
    assert len(rows.loc[0, "polygon"][0]) == 5  # four corners, closed


def test_view_fits_the_box():
    bounds = (114.0, 30.0, 114.4, 30.2)
    view = fit_view(bounds, 900, 560)
    assert view.longitude == pytest.approx(114.2)
    world_px = 512 * 2**view.zoom
    width_px = world_px * 0.4 / 360
    assert width_px == pytest.approx(900 * 0.84, rel=0.01)  # the width binds, 8 % padding each side
    y = [math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) for lat in (30.0, 30.2)]
    assert world_px * (y[1] - y[0]) / (2 * math.pi) < 560 * 0.84


def test_map_settings_are_checked():
    no_file = Path("/nonexistent/secrets.toml")
    template = "https://t0.example.internal/{z}/{x}/{y}.png"
    accepted = load_settings(environ={"DASHBOARD_BASEMAP": template}, secrets_file=no_file)
    assert accepted.basemap == template
    with pytest.raises(ValueError, match="basemap"):
        load_settings(
            environ={"DASHBOARD_BASEMAP": "https://t0.example/tile.png"}, secrets_file=no_file
        )
    with pytest.raises(ValueError, match="coordinate_system"):
        load_settings(environ={"DASHBOARD_COORDINATE_SYSTEM": "bd09"}, secrets_file=no_file)
    with pytest.raises(ValueError, match="tianditu_key"):
        load_settings(environ={"DASHBOARD_BASEMAP": "tianditu"}, secrets_file=no_file)
    keyed = {"DASHBOARD_BASEMAP": "tianditu", "DASHBOARD_TIANDITU_KEY": "k"}
    assert load_settings(environ=keyed, secrets_file=no_file).tianditu_key == "k"
    with pytest.raises(ValueError, match="gcj02"):
        load_settings(
            environ={**keyed, "DASHBOARD_COORDINATE_SYSTEM": "gcj02"}, secrets_file=no_file
        )


def _labels(drawn) -> list[dict]:
    return _layers(drawn.deck)["labels"]["data"]


def test_labels_name_the_units_of_each_scope_with_every_glyph_in_the_character_set(
    grid_city, settings
):
    city = load_map_data(grid_city, Scope(None, AS_OF), settings)
    city_labels = _labels(grid_map(city, settings, ZH))
    assert [(lab["text"], lab["rank"]) for lab in city_labels] == [("方格区", "primary")]
    district = load_map_data(grid_city, Scope("990201", AS_OF), settings)
    drawn = grid_map(district, settings, ZH)
    assert [(lab["text"], lab["rank"]) for lab in _labels(drawn)] == [
        ("北街道", "primary"),  # 南街道's only community has no boundary: nothing to name
        ("乙社区", "secondary"),  # 甲社区's place (114.01, 30.005) is under the street's name
    ]
    layer = _layers(drawn.deck)["labels"]
    assert layer["characterSet"] == "乙北区社街道"  # sorted by code point, a plain string
    assert layer["fontFamily"].startswith('"Noto Sans CJK SC"')
    assert layer["sizeUnits"] == "pixels"
    street = load_map_data(grid_city, Scope("990201001", AS_OF), settings)
    texts = {lab["code"]: lab["text"] for lab in _labels(grid_map(street, settings, EN))}
    assert texts == {
        A: "甲社区",
        B: "乙社区",
        A + "001": "Grid 1",
        A + "002": "Grid 2",
        B + "001": "Grid 1",
    }  # B3's name would touch B1's, 51 px to its left: grids are named where they fit
    zh_texts = {lab["code"]: lab["text"] for lab in _labels(grid_map(street, settings, ZH))}
    assert zh_texts[A + "002"] == "2号网格"
    wide = MapOptions(width_px=1800, height_px=1120)
    assert B + "003" in {
        lab["code"] for lab in _labels(grid_map(street, settings, EN, options=wide))
    }


def test_labels_that_would_overlap_are_left_out_smaller_ones_first():
    view = fit_view((114.0, 30.0, 114.02, 30.01))
    labels = pd.DataFrame(
        {
            "code": ["S", "C1", "C2", "C3"],
            "name": ["大街道", "一社区", "二社区", "三社区"],
            "level": ["street", "community", "community", "community"],
            "rank": ["secondary", "primary", "primary", "secondary"],
            "lon": [114.01, 114.005, 114.0051, 114.015],
            "lat": [30.005, 30.005, 30.005, 30.005],
            "area": [9.0, 2.0, 1.0, 1.0],
        }
    )
    kept = label_features(labels, view, EN)
    # C1 first (primary, larger); C2 sits on it; S is secondary and overlaps nobody placed.
    assert [lab["code"] for lab in kept] == ["C1", "S", "C3"]
    assert [lab["size"] for lab in kept] == [16, 12, 12]
    assert uncluttered(np.array([[0.0, 0.0], [30.0, 0.0]]), [(40, 10), (40, 10)]) == [True, False]
    assert uncluttered(np.array([[0.0, 0.0], [50.0, 0.0]]), [(40, 10), (40, 10)]) == [True, True]
    x, y = screen_xy(np.array([view.longitude]), np.array([view.latitude]), view)[0]
    assert (x, y) == pytest.approx((0.0, 0.0))


def test_a_map_click_drills_one_level_down():
    community = "990201001001"
    assert drill_target(community, "city") == "990201"
    assert drill_target(community[:9], "city") == community[:9]  # a street drawn at city scope
    assert drill_target(community, "district") == "990201001"
    assert drill_target(community, "street") == community
    assert drill_target(community + "003", "street") == community  # a grid leads to its community
    assert drill_target(community + "003", "community") is None  # the bottom of the map


MAP_BYTES_MAX = 3_000_000  # issue 16: the map's JSON at any scope


def test_map_layers_and_size_per_scope_on_the_demo_city(sqlite_demo, settings):
    from data_access.db import make_engine
    from data_access.demo import DEMO_LAST_MONTH
    from data_access.figures.grids import grid_coverage_by_unit
    from data_access.queries.hierarchy import units

    engine = make_engine(sqlite_demo.url)
    table = units(engine)
    district = table.loc[table["level"] == "district", "code"].iloc[0]
    street = table.loc[table["parent_code"] == district, "code"].iloc[0]
    community = table.loc[table["parent_code"] == street, "code"].iloc[0]
    as_of = month_end(DEMO_LAST_MONTH)
    expected = {
        None: ("street", ["units", "outlines", "labels"]),
        district: ("community", ["units", "outlines", "labels"]),
        street: ("community", ["grids", "gaps", "overlaps", "outlines", "facilities", "labels"]),
        community: ("community", ["grids", "gaps", "overlaps", "outlines", "facilities", "labels"]),
    }
    for code, (unit_level, kinds) in expected.items():
        scope = Scope(code, as_of)
        data = load_map_data(engine, scope, settings)
        values = grid_coverage_by_unit(engine, scope, settings, data.unit_level)
        drawn = grid_map(data, settings, ZH, values, "staffed_rate")
        sent = drawn.deck.to_json()
        layers = _layers(drawn.deck)
        assert (data.unit_level, list(layers)) == (unit_level, kinds), code
        assert len(sent.encode()) < MAP_BYTES_MAX, code
        if code in (street, community):  # as stored at write time, and as computed
            _same_map(data, map_data._computed_detail_data(engine, scope, settings))
        if code is None:  # every street of the city, coloured, named in the tooltip
            streets = set(table.loc[table["level"] == "street", "code"])
            assert {f["code"] for f in layers["units"]["data"]} == streets
            assert all(f["value_text"] != "—" for f in layers["units"]["data"])
    engine.dispose()


def test_a_boundary_of_many_vertices_is_thinned_before_its_topology_preserving_simplification():
    """outlines.simplified: the same as shapely's topology-preserving simplify below
    TOPOLOGY_VERTICES; above, thinned first, within the tolerance of the boundary given."""
    from data_access.outlines import TOPOLOGY_VERTICES, simplified

    def circle(vertices: int) -> shapely.Geometry:
        step = 2 * math.pi / vertices
        points = [
            (116.4 + 0.01 * math.cos(k * step), 39.9 + 0.01 * math.sin(k * step))
            for k in range(vertices)
        ]
        return shapely.Polygon(points)

    small, large = circle(1000), circle(TOPOLOGY_VERTICES + 1000)
    tolerance = 0.02 / 1800
    given = np.array([small, large, None], dtype=object)
    found = simplified(given, tolerance)
    assert shapely.equals_exact(
        found[0], shapely.simplify(small, tolerance, preserve_topology=True), 0
    )
    assert found[2] is None
    assert 50 < shapely.get_num_coordinates(found[1]) < 1000
    assert found[1].is_valid
    assert shapely.hausdorff_distance(found[1], large) <= tolerance * 1.2
