"""The one traffic light (data_access/lights.py): its boundaries, and the same state for the same
value on a card, a chart bar, a table cell, a map class and its legend, and the wall screen."""

from __future__ import annotations

import json
import re

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import lights, palette, tables
from dashboard.charts import LIGHT_PATTERNS, ranking_bar
from dashboard.i18n import load_catalog, text_in
from dashboard.map_style import legend_items, metric_classes
from dashboard.screen import ranking_html
from data_access.lights import LightRule, judged_measures, light, light_of, rule_of, target_of
from data_access.settings import get_settings
from tests.test_pages import metric_lights, run_app

STATE_OF_MARK = {mark: state for state, mark in lights.MARKS.items()}
ZH = load_catalog("zh")


@pytest.mark.parametrize(
    ("value", "state"),
    [
        (18.0, "meets"),  # == the standard
        (18.3, "meets"),
        (17.9, "close"),  # 99 % of 18: close, not below (it used to be as red as 14.8)
        (0.9 * 18, "close"),  # == 0.9 × the standard
        (16.2, "close"),
        (16.2 - 1e-9, "below"),  # just below 0.9 × 18
        (16.19, "below"),
        (14.8, "below"),
        (0.0, "below"),
        (None, None),
        (float("nan"), None),
        (pd.NA, None),
    ],
)
def test_boundaries_of_the_rule(value, state):
    assert light(value, 18.0, 0.9) == state


def test_boundaries_of_rates_and_a_lower_close_ratio():
    assert [light(v, 1.0, 0.9) for v in (1.0, 0.9, 0.8999, 0.0)] == [
        "meets", "close", "below", "below",
    ]  # fmt: skip
    assert [light(v, 0.5, 0.8) for v in (0.5, 0.4, 0.3999)] == ["meets", "close", "below"]
    assert LightRule(30.0, 0.9).close_from == 27.0


def test_every_measure_is_held_to_its_setting(settings):
    assert target_of("per_10k", settings) == settings.standard_per_10k == 18.0
    assert target_of("share_meeting", settings) == settings.target_share_meeting == 1.0
    assert target_of("filled_share", settings) == 1.0
    assert target_of("staffed_rate", settings) == settings.target_staffed_rate
    assert target_of("household_coverage", settings) == settings.target_grid_coverage == 1.0
    assert target_of("spatial_coverage", settings) == settings.target_grid_coverage
    assert target_of("reduction", settings) == settings.target_reduction == 0.5
    assert target_of("per_100_households", settings) == 30.0
    assert target_of("premises", settings) == 30.0
    assert target_of("on_time_share", settings) == settings.target_on_time_share == 1.0
    assert target_of("licensed_rate", settings) is None
    assert target_of("service_reach", settings) is None
    assert light_of("licensed_rate", 0.1, settings) is None
    assert light_of("reduction", 0.45, settings) == "close"  # 90 % of the 50 % target
    assert light_of("reduction", 0.4499, settings) == "below"
    assert set(judged_measures(settings)) >= {"per_10k", "reduction", "on_time_share"}


VALUES = [18.0, 17.9, 16.2, 16.19, 14.8, 21.0]


def test_a_value_has_one_light_in_every_builder(settings):
    """Bars, table cells, map classes and legend, and the wall screen's ranking."""
    zh = text_in("zh")
    expected = [light_of("per_10k", v, settings) for v in VALUES]
    assert expected == ["meets", "close", "close", "below", "below", "meets"]
    frame = pd.DataFrame(
        {
            "code": [f"u{i}" for i in range(6)],
            "name": [f"单位{i}" for i in range(6)],
            "per_10k": VALUES,
        }
    )
    rule = rule_of("per_10k", settings)
    # Chart bars: colour, pattern and mark, worst first.
    figure = ranking_bar(frame, "per_10k", "t", "每万人", rule=rule, text=zh)
    bars = figure.data[0]
    drawn = zip(bars.marker.color, bars.marker.pattern.shape, bars.text, strict=True)
    by_name = dict(zip(bars.y, drawn, strict=True))
    for i, state in enumerate(expected):
        colour, pattern, written = by_name[f"单位{i}"]
        assert (colour, pattern) == (palette.STATUS[state], LIGHT_PATTERNS[state])
        assert STATE_OF_MARK[written.split(" ")[-1]] == state
    # The chart's legend names the three lights with the thresholds of the rule.
    assert [t.name for t in figure.data[1:]] == [
        "● 达标 ≥ 18.0",
        "◐ 接近 16.2–18.0",
        "○ 未达标 < 16.2",
    ]
    # Table cells: mark and tint of the same state, judged on the value, not on its text.
    rules = tuple((c, r.target, r.close_ratio) for c, r in [("per_10k", rule)])
    _shown, ids, texts, tints = tables._display_cells(frame, rules)
    column = list(frame.columns).index("per_10k")
    cell_text = {i: t for i, t in zip(ids, texts, strict=True)}
    for row, state in enumerate(expected):
        cell = f"row{row}_col{column}"
        assert STATE_OF_MARK[cell_text[cell].split(" ")[-1]] == state
        assert cell in tints[state]
    # 16.19 is written 16.2 yet stays below: its light is that of its value.
    assert cell_text[f"row3_col{column}"] == "16.2 ○"
    # Map classes and the legend beside the map.
    classes = metric_classes("per_10k", settings)
    legend = {tuple(item.fill): item.label for item in legend_items(classes, zh)}
    for value, state in zip(VALUES, expected, strict=True):
        assert classes.state(value) == state
        assert classes.colour(value) == palette.rgba(palette.STATUS[state], 210)
        assert legend[tuple(classes.colour(value))].startswith(lights.tag(state, zh))
    # The wall screen's ranking, in the dark wall's colours.
    dark = metric_classes("per_10k", settings, dark=True)
    html = ranking_html(frame, "per_10k", dark, "zh", 600)
    shown = re.findall(r'screen-rank-value">([^<]+)<', html)
    order = frame.sort_values("per_10k", ascending=False)["per_10k"]
    assert [STATE_OF_MARK[s.split(" ")[-1]] for s in shown] == [
        light_of("per_10k", v, settings) for v in order
    ]
    assert dark.colour(17.9) == palette.rgba(palette.STATUS_ON_DARK["close"], 210)


def test_the_legends_say_what_each_light_means():
    zh, en = text_in("zh"), text_in("en")
    assert [label for _state, label in lights.entries(zh, 0.9)] == [
        "● 达标：达到标准或目标",
        "◐ 接近：达到其 90% 以上",
        "○ 未达标：低于其 90%",
    ]
    assert [label for _state, label in lights.entries(en, 0.85)] == [
        "● Meets: at or above the standard or target",
        "◐ Close: at least 85% of it",
        "○ Below: under 85% of it",
    ]
    html = lights.legend_html(lights.entries(zh, 0.9))
    assert f"background:{palette.CLOSE}" in html and "◐ 接近" in html


def test_a_lit_table_names_its_lights_under_it():
    rules = (("per_10k", 18.0, 0.9), ("share_meeting", 1.0, 0.9), ("reduction", 0.5, 0.9))
    assert tables.legend_text(rules, text_in("en"), "en") == (
        "Per 10,000: ● Meets ≥ 18.0  ◐ Close 16.2–18.0  ○ Below < 16.2; "
        f"{load_catalog('en')['col.share_meeting']}: ● Meets ≥ 100%  ◐ Close 90%–100%  "
        f"○ Below < 90%; {load_catalog('en')['col.reduction']}: ● Meets ≥ 50%  ◐ Close 45%–50%  "
        "○ Below < 45%"
    )
    assert tables.legend_text((), text_in("zh"), "zh") is None


def _cells(at: AppTest, key_part: str) -> pd.DataFrame:
    """The text of every cell of the table whose key contains `key_part`, as drawn."""
    (table,) = [d for d in at.dataframe if key_part in (d.key or "")]
    styler = table.proto.arrow_data.styler
    text = pa.ipc.open_stream(styler.display_values).read_all().to_pandas()
    return text


def _bars(at: AppTest, index: int = 0) -> dict[str, tuple[str, str]]:
    """name → (colour, text) of the bars of the page's `index`-th chart."""
    spec = json.loads(at.get("plotly_chart")[index].proto.spec)
    bars = spec["data"][0]
    return dict(
        zip(bars["y"], zip(bars["marker"]["color"], bars["text"], strict=True), strict=True)
    )


@pytest.fixture
def standard_14_6(monkeypatch):
    """A standard of 14.6 per 10,000: 甲区 of the small city (73 / 50,000) stands exactly on it,
    西街道 (50 / 36,000 = 13.9) is close (≥ 0.9 × 14.6 = 13.14), 东街道 (16.4) meets."""
    monkeypatch.setenv("DASHBOARD_STANDARD_PER_10K", "14.6")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.mark.slow
def test_the_same_value_has_the_same_light_on_every_page(
    small_city_url, monkeypatch, standard_14_6
):
    # The city's Overview: 甲区's bar and ranking cell, 14.6 on the standard of 14.6.
    city = run_app(small_city_url, monkeypatch, month="2025-06")
    assert not city.exception
    bars = _bars(city)
    assert bars["甲区"] == (palette.MEETS, "14.6 ●")
    assert bars["乙区"] == (palette.MEETS, "20.0 ●")
    ranking = _cells(city, "overview_ranking_table").set_index(ZH["col.name"])
    assert ranking.loc["甲区", ZH["col.per_10k"]] == "14.6 ●"
    legend = [c.value for c in city.caption]
    assert "● 达标：达到标准或目标" in legend  # under the cards it colours
    # 甲区's own Overview: the card of the same 14.6.
    district = run_app(small_city_url, monkeypatch, month="2025-06", district="990101")
    assert metric_lights(district)["每万人社区工作者"] == "meets"
    # 甲区's Staffing page: the card again, its streets' bars and table cells.
    staffing = run_app(
        small_city_url, monkeypatch, page="pages/staffing.py", month="2025-06", district="990101"
    )
    assert not staffing.exception
    cards = metric_lights(staffing)
    assert cards["每万人社区工作者"] == "meets"
    assert cards["缺额人数"] == "below"  # 28 of 92 required posts short: 70 % filled
    assert _bars(staffing) == {
        "西街道": (palette.CLOSE, "13.9 ◐"),
        "东街道": (palette.MEETS, "16.4 ●"),
    }
    units = _cells(staffing, "staffing_units").set_index(ZH["col.name"])
    assert units[ZH["col.per_10k"]].to_dict() == {"西街道": "13.9 ◐", "东街道": "16.4 ●"}
    # The table's legend under it, with the thresholds of the same rule (0.9 × 14.6 = 13.14).
    assert any(
        c.value.startswith(f"{ZH['col.per_10k']}：● 达标 ≥ 14.6  ◐ 接近 13.1–14.6  ○ 未达标 < 13.1")
        for c in staffing.caption
    )
