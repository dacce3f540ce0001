"""How numbers, months and times are written, in both languages (dashboard/formatting.py)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from dashboard import formatting as f
from data_access.settings import load_settings


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        (0, "0", "0"),
        (9_999, "9,999", "9,999"),
        (10_000, "10,000", "10,000"),
        (99_999, "99,999", "99,999"),
        (100_000, "10.0万", "100,000"),
        (3_849_008, "384.9万", "3,849,008"),
        (99_999_999, "1.0亿", "99,999,999"),
        (120_000_000, "1.2亿", "120,000,000"),
        (-250_000, "-25.0万", "-250,000"),
        (None, "—", "—"),
        (math.nan, "—", "—"),
        (pd.NA, "—", "—"),
    ],
)
def test_counts_in_wan_and_yi_for_chinese_readers(value, zh, en):
    assert f.count(value, "zh") == zh
    assert f.count(value, "en") == en


def test_the_exact_count_stays_available():
    assert f.integer(3_849_008) == "3,849,008"
    assert f.integer(None) == "—"


@pytest.mark.parametrize(
    ("name", "value", "zh", "en"),
    [
        ("per_10k", 18.25, "18.2", "18.2"),  # banker's rounding of a binary float: 18.25 → 18.2
        ("per_10k", 65, "65.0", "65.0"),  # never "65" beside "64.5"
        ("share_meeting", 0.645, "64.5%", "64.5%"),
        ("share_meeting", 1, "100.0%", "100.0%"),
        ("reduction", 0.3918, "39.2%", "39.2%"),
        ("area_km2", 1.5, "1.50", "1.50"),
        ("median_working_days", 9.0, "9", "9"),  # whole working days, never "9.0"
        ("median_working_days", 11.5, "12", "12"),  # halves to even, as every figure here
        ("median_working_days", 14.5, "14", "14"),
        ("resident_population", 3_849_008, "384.9万", "3,849,008"),
        ("gap", 12, "12", "12"),
        ("per_10k", None, "—", "—"),
        ("staffed_rate", math.nan, "—", "—"),
    ],
)
def test_each_metric_has_fixed_decimals(name, value, zh, en):
    assert f.metric(name, value, "zh") == zh
    assert f.metric(name, value, "en") == en


def test_signed_changes():
    assert f.signed(1234) == "+1,234"
    assert f.signed(-0.34, 1) == "-0.3"
    assert f.signed(-0.04, 1) == "+0.0"  # no change, not a fall
    assert f.signed(None) == "—"
    assert f.signed(-0.4) == "+0"
    assert f.signed(-0.0004 * 100, 1) == "+0.0"


@pytest.mark.parametrize(
    ("write", "value", "text"),
    [
        (lambda v: f.decimal(v), -0.04, "0.0"),
        (lambda v: f.decimal(v, 2), -0.004, "0.00"),
        (lambda v: f.decimal(v, 0), -0.4, "0"),
        (lambda v: f.decimal(v), -0.0, "0.0"),
        (lambda v: f.decimal(v), -0.05001, "-0.1"),  # a fall that shows stays a fall
        (lambda v: f.percent(v), -0.0004, "0.0%"),
        (lambda v: f.percent(v), -0.0006, "-0.1%"),
        (lambda v: f.metric("per_10k", v, "zh"), -0.01, "0.0"),
        (lambda v: f.metric("reduction", v, "en"), -0.0001, "0.0%"),
        (lambda v: f.integer(v), -0.4, "0"),
        (lambda v: f.count(v, "zh"), -0.4, "0"),
    ],
)
def test_a_value_that_rounds_to_zero_is_never_minus_zero(write, value, text):
    assert write(value) == text


def test_kpi_changes_are_never_minus_zero():
    from dashboard.components import signed_decimal, signed_int, signed_points

    assert signed_int(-0.4) == "+0"
    assert signed_decimal(-0.04) == "+0.0"
    assert signed_decimal(-0.06) == "-0.1"
    assert signed_points(-0.0004).startswith("+0.0")


def test_excel_writes_working_days_whole_and_keeps_the_value():
    from dashboard.export import number_format

    assert number_format("median_working_days", pd.Series([11.5])) == "#,##0"
    assert number_format("per_10k", pd.Series([18.25])) == "#,##0.0"


def test_a_year_axis_writes_2019_not_2_019():
    assert f.YEAR_AXIS == {
        "dtick": 1,
        "tickformat": "d",
        "hoverformat": "d",
        "separatethousands": False,
    }


def test_months_in_each_language():
    assert f.month(dt.date(2024, 1, 31), "zh") == "2024年1月"
    assert f.month(dt.date(2024, 1, 31), "en") == "Jan 2024"
    assert f.month(None, "zh") == "—"
    assert f.month_file_label(dt.date(2026, 10, 31), "zh") == "2026年10月"
    assert f.month_file_label(dt.date(2026, 10, 31), "en") == "2026-10"
    assert f.month_tickformat("zh") == "%Y年%-m月"
    assert f.month_tickformat("en") == "%b %Y"


def test_days_in_each_language():
    assert f.day(dt.date(2026, 10, 31), "zh") == "2026年10月31日"
    assert f.day(dt.date(2026, 10, 31), "en") == "31 Oct 2026"
    assert f.day(dt.date(2026, 2, 1), "en") == "1 Feb 2026"  # no leading zero
    assert f.day(None, "zh") == "—"


def test_timestamps_in_the_configured_time_zone():
    utc = dt.datetime(2026, 11, 29, 17, 5, tzinfo=dt.UTC)
    assert f.timestamp(utc, "zh", "Asia/Shanghai") == "2026年11月30日 01:05（UTC+8）"
    assert f.timestamp(utc, "en", "Asia/Shanghai") == "30 Nov 2026 01:05 (UTC+8)"
    assert f.timestamp(utc, "en", "Asia/Kolkata") == "29 Nov 2026 22:35 (UTC+5:30)"
    naive = dt.datetime(2026, 11, 29, 17, 5)  # the database keeps UTC without a zone
    assert f.timestamp(naive, "zh", "Asia/Shanghai") == "2026年11月30日 01:05（UTC+8）"
    assert f.now("Asia/Shanghai").utcoffset() == dt.timedelta(hours=8)


def test_time_zone_setting_defaults_to_shanghai_and_is_checked(tmp_path):
    missing = tmp_path / "none.toml"
    assert load_settings({}, missing).time_zone == "Asia/Shanghai"
    assert load_settings({"DASHBOARD_TIME_ZONE": "Asia/Urumqi"}, missing).time_zone == "Asia/Urumqi"
    with pytest.raises(ValueError, match="time_zone"):
        load_settings({"DASHBOARD_TIME_ZONE": "Mars/Olympus"}, missing)


def test_chart_axes_carry_no_si_suffix():
    import plotly.io as pio

    from dashboard.charts import ranking_bar

    frame = pd.DataFrame({"code": ["a", "b"], "name": ["甲", "乙"], "gap": [2_000, 50_000]})
    figure = ranking_bar(frame, "gap", title="t", value_label="缺额")
    template = pio.templates["dashboard"].layout
    assert template.xaxis.exponentformat == "none" and template.xaxis.separatethousands
    assert template.separators == ".,"
    assert list(figure.data[0].text) == ["2,000", "50,000"]  # low is worse: first


def test_reference_lines_are_named_in_the_legend_not_over_bars_or_each_other():
    """At the demo city's extremes the scope's value (18.2) lies next to the standard (18) and a
    reduction ranking starts at the baseline line: no label may be drawn on a line."""
    from dashboard import palette
    from dashboard.charts import ranking_bar
    from data_access.lights import LightRule

    frame = pd.DataFrame({"code": ["a", "b"], "name": ["甲", "乙"], "per_10k": [17.9, 18.3]})
    figure = ranking_bar(
        frame, "per_10k", "t", "每万人", reference=18.0, reference_label="标准 18",
        scope_value=18.2, scope_label="本级 18.2", rule=LightRule(18.0, 0.9),
    )  # fmt: skip
    assert not figure.layout.annotations
    assert [t.name for t in figure.data if t.showlegend] == ["标准 18", "本级 18.2"]
    assert [s.x0 for s in figure.layout.shapes] == [18.0, 18.2]
    assert list(figure.data[0].marker.color) == [palette.CLOSE, palette.MEETS]
    reductions = pd.DataFrame({"code": ["x"], "name": ["会议"], "reduction": [-0.05]})
    figure = ranking_bar(reductions, "reduction", "t", "%", 0.0, "与基期持平", percent=True)
    assert not figure.layout.annotations
    # A bar's text of a change that rounds to nothing: 0.0%, never -0.0%.
    tiny = pd.DataFrame({"code": ["x"], "name": ["会议"], "reduction": [-0.0004]})
    figure = ranking_bar(tiny, "reduction", "t", "%", 0.0, "与基期持平", percent=True)
    assert list(figure.data[0].text) == ["0.0%"]
    assert list(figure.data[0].marker.color) == [palette.NEUTRAL]  # no target given: no light


def test_every_figure_carries_plotly_white_with_the_dashboard_style_on_top():
    import plotly.graph_objects as go
    import plotly.io as pio

    from dashboard import palette
    from dashboard.charts import FONT_FAMILY

    template = go.Figure().layout.template.layout
    white = pio.templates["plotly_white"].layout
    assert template.plot_bgcolor == white.plot_bgcolor == "white"
    assert template.xaxis.gridcolor == white.xaxis.gridcolor
    assert template.font.family == FONT_FAMILY and template.separators == ".,"
    assert list(template.colorway) == list(palette.SERIES)
