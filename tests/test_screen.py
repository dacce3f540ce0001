"""The wall screen's parts without a browser: rotation, alert pages, tiles, its picture size."""

from __future__ import annotations

import re

import pandas as pd

from dashboard.map_style import metric_classes
from dashboard.screen import (
    Alert,
    Tile,
    alert_page,
    alerts_html,
    ranking_html,
    rotation_code,
    sparkline_svg,
    tiles_html,
)
from dashboard.snapshot import fixed_viewport


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


def test_alert_pages_turn_and_wrap():
    alerts = [Alert("unstaffed", f"网格{n}", "无网格员") for n in range(20)]
    shown, page, pages = alert_page(alerts, 0, 10, per_page=9)
    assert (len(shown), page, pages) == (9, 1, 3)
    shown, page, pages = alert_page(alerts, 25, 10, per_page=9)
    assert ([a.place for a in shown], page) == (["网格18", "网格19"], 3)
    assert alert_page(alerts, 30, 10, per_page=9)[1] == 1  # back to the first page
    assert alert_page([], 30, 10) == ([], 1, 1)


def test_values_in_the_screen_html_are_escaped():
    tile = Tile("gap", "<b>缺额</b>", "5", "应配 9 人", "below")
    html = tiles_html([tile], {"below": "未达标"})
    assert "&lt;b&gt;缺额&lt;/b&gt;" in html and "<b>" not in html
    assert "#ff5a4f" in html  # the colour of "below"
    alert = Alert("far_below", "<script>x</script>社区", "每万人 12.0")
    page = alerts_html("预警（1）", [alert], {"far_below": "远低标准"}, "")
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_the_screen_is_pictured_at_its_own_size():
    assert fixed_viewport("http://127.0.0.1:8501/screen?district=990102&report=1") == (1920, 1080)
    assert fixed_viewport("http://127.0.0.1:8501/overview?report=1") is None


def test_ranking_puts_the_best_first_with_bars_in_their_class_colours():
    frame = pd.DataFrame({"name": ["甲街道", "乙街道", "丙街道"], "per_10k": [15.0, 20.0, None]})
    html = ranking_html(frame, "per_10k", metric_classes("per_10k", 18.0), "zh", 600)
    names = re.findall(r'screen-rank-name">([^<]+)<', html)
    assert names == ["乙街道", "甲街道"]  # a unit without a value is left out
    assert re.findall(r"width:([0-9.]+)%", html) == ["100.0", "75.0"]
    assert "rgba(145,207,96,1)" in html and "rgba(252,141,89,1)" in html  # 18–21.6, 14.4–18
    assert re.findall(r'screen-rank-value">([^<]+)<', html) == ["20.0", "15.0"]


def test_sparkline_spans_its_box_from_zero():
    svg = sparkline_svg([10.0, 5.0, 0.0])
    assert 'points="0.00,2.00 50.00,16.00 100.00,30.00"' in svg
    assert "<polyline" not in sparkline_svg([3.0])  # one month draws no line
