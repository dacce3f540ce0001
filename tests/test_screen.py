"""The wall screen's parts without a browser: rotation, alerts by street, tiles, map names, its
picture size."""

from __future__ import annotations

import re

import pandas as pd

from dashboard.grid_map import MapOptions
from dashboard.map_geometry import fit_view
from dashboard.map_layers import label_features
from dashboard.map_style import DARK, LABEL_SIZES_PX, metric_classes
from dashboard.screen import (
    LABEL_SCALE,
    MIN_TEXT_PX,
    Tile,
    header_html,
    ranking_html,
    rotation_code,
    sparkline_svg,
    street_alerts_html,
    tiles_html,
)
from dashboard.snapshot import fixed_viewport
from data_access.figures.screen import alerts_by_place


def test_rotation_follows_the_clock_so_a_refresh_keeps_its_place():
    codes = [None, "990101", "990102"]
    assert [rotation_code(codes, s, 60) for s in (0, 59, 60, 130, 180)] == [
        None,
        None,
        "990101",
        "990102",
        None,
    ]
    assert rotation_code([], 100, 60) is None


UNITS = pd.DataFrame(
    {
        "code": ["990101", "990102", "990101001", "990101002", "990102001"],
        "name": ["甲区", "乙区", "东街道", "西街道", "南街道"],
    }
)


def test_alerts_are_counted_by_street_most_first():
    codes = {
        "far_below": pd.Series(["990101001001", "990102001003"]),
        "rebound": pd.Series(["990101002001"]),
        # grids: 15 digits, counted under their street
        "unstaffed": pd.Series(["990101001001001", "990101001002001", "990102001003001"]),
        "premises": pd.Series([], dtype=str),
    }
    found = alerts_by_place(codes, UNITS, "street")
    assert found["name"].tolist() == ["东街道", "南街道", "西街道"]
    assert found["district_name"].tolist() == ["甲区", "乙区", "甲区"]
    assert found[["far_below", "rebound", "unstaffed", "premises", "total"]].values.tolist() == [
        [1, 0, 2, 0, 3],
        [1, 0, 1, 0, 2],
        [0, 1, 0, 0, 1],
    ]
    assert alerts_by_place(codes, UNITS, "street", limit=2)["name"].tolist() == ["东街道", "南街道"]
    # inside a street: its communities
    by_community = alerts_by_place(codes, UNITS, "community")
    assert by_community["code"].tolist()[:2] == ["990101001001", "990102001003"]


def test_values_in_the_screen_html_are_escaped():
    tile = Tile("gap", "<b>缺额</b>", "5", "应配 9 人", "below")
    html = tiles_html([tile], {"below": "未达标"})
    assert "&lt;b&gt;缺额&lt;/b&gt;" in html and "<b>" not in html
    assert "#f25c54" in html  # the colour of "below" on the dark wall
    units = pd.DataFrame(
        {"code": ["990101", "990101001"], "name": ["甲区", "<script>x</script>街道"]}
    )
    places = alerts_by_place({"far_below": pd.Series(["990101001001"])}, units, "street")
    kinds = {"far_below": "远低标准", "rebound": "减负反弹"}
    table = street_alerts_html("预警", places, {"far_below": 1}, kinds, "合计", with_district=True)
    assert "<script>" not in table and "甲区 &lt;script&gt;x&lt;/script&gt;街道" in table
    assert re.findall(r'screen-alert-total-(\w+)">(\d+)<', table) == [
        ("far_below", "1"),
        ("rebound", "0"),
    ]
    assert "<script>" not in header_html("<script>", "数据截至", "刷新于", ["演示数据"])


def test_the_map_names_on_the_wall_are_at_least_the_smallest_text():
    assert min(LABEL_SIZES_PX.values()) * LABEL_SCALE >= MIN_TEXT_PX == 24
    assert MapOptions(theme=DARK, label_scale=LABEL_SCALE).label_scale == 2.0
    labels = pd.DataFrame(
        {
            "code": ["990101", "990101001"],
            "name": ["甲区", "东街道"],
            "level": ["district", "street"],
            "rank": ["primary", "secondary"],
            "lon": [114.0, 114.3],
            "lat": [30.0, 30.3],
            "area": [2.0, 1.0],
        }
    )
    view = fit_view((113.9, 29.9, 114.4, 30.4), 800, 660)
    placed = label_features(labels, view, lambda key, **kw: key, 800, 660, LABEL_SCALE)
    assert [label["size"] for label in placed] == [32.0, 24.0]


def test_the_screen_is_pictured_at_its_own_size():
    assert fixed_viewport("http://127.0.0.1:8501/screen?district=990102&report=1") == (1920, 1080)
    assert fixed_viewport("http://127.0.0.1:8501/overview?report=1") is None


def test_ranking_puts_the_best_first_with_bars_in_their_light(settings):
    frame = pd.DataFrame(
        {"name": ["甲街道", "乙街道", "丙街道", "丁街道"], "per_10k": [15.0, 20.0, None, 16.2]}
    )
    html = ranking_html(frame, "per_10k", metric_classes("per_10k", settings, True), "zh", 600)
    names = re.findall(r'screen-rank-name">([^<]+)<', html)
    assert names == ["乙街道", "丁街道", "甲街道"]  # a unit without a value is left out
    assert re.findall(r"width:([0-9.]+)%", html) == ["100.0", "81.0", "75.0"]
    # The wall's light colours (meets, close, below), each bar's mark after its value.
    assert re.findall(r"background:rgba\(([0-9,]+),1\)", html) == [
        "77,208,200", "255,176,32", "242,92,84",
    ]  # fmt: skip
    assert re.findall(r'screen-rank-value">([^<]+)<', html) == ["20.0 ●", "16.2 ◐", "15.0 ○"]


def test_sparkline_spans_its_box_from_zero():
    svg = sparkline_svg([10.0, 5.0, 0.0])
    assert 'points="0.00,2.00 50.00,16.00 100.00,30.00"' in svg
    assert "<polyline" not in sparkline_svg([3.0])  # one month draws no line
