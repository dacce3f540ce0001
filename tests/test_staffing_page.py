"""Staffing page figures (issue 3) on the small hand-checked city (see tests/small_city.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from dashboard.i18n import text_in
from dashboard.staffing_charts import population_scatter, required_vs_counted, staffing_trend
from data_access.figures.staffing import monthly_trend
from data_access.queries.staffing import (
    age_structure,
    certificate_counts,
    staffing_total,
    uncertified_under_40,
)
from data_access.scope import Scope
from tests.small_city import AS_OF


def test_certificate_split(small_city, settings):
    frame = certificate_counts(small_city, Scope(None, AS_OF), settings)
    assert frame.to_dict("records") == [
        {"certificate": "none", "workers": 54},
        {"certificate": "junior", "workers": 29},
    ]


def test_age_structure_and_young_without_certificate(small_city, settings):
    frame = age_structure(small_city, Scope(None, AS_OF), settings).set_index("age_band")
    assert list(frame["workers"]) == [22, 22, 20, 19, 0]
    assert frame.loc["under_35", "uncertified"] == 13
    # 40-year-olds (i % 4 == 1) holding a certificate (i % 3 == 0): i = 9 in C1, C4 and C5,
    # i = 9 and 21 in C3, none in C2: 5 of 22.
    assert frame.loc["35_44", "uncertified"] == 22 - 5
    assert uncertified_under_40(small_city, Scope(None, AS_OF), settings) == 13
    assert uncertified_under_40(small_city, Scope("990101002001", AS_OF), settings) == 5


def test_workers_of_roles_not_counted_are_left_out_of_people_figures(small_city, settings):
    c1 = Scope("990101001001", AS_OF)
    assert certificate_counts(small_city, c1, settings)["workers"].sum() == 15
    without_grid = dataclasses.replace(settings, count_grid_fulltime=False)
    assert age_structure(small_city, c1, without_grid)["workers"].sum() == 14


def test_monthly_trend_ends_on_the_as_of_date_and_agrees_with_the_total(small_city, settings):
    trend = monthly_trend(small_city, Scope(None, AS_OF), settings, months=3)
    assert list(trend["month_end"]) == [dt.date(2025, 4, 30), dt.date(2025, 5, 31), AS_OF]
    # On 30 April the newcomer of 30 June is not there yet and the leaver of 30 June still is.
    assert list(trend["counted_workers"]) == [83, 83, 83]
    assert list(trend["resident_population"]) == [55001, 55001, 55001]
    total = staffing_total(small_city, Scope(None, AS_OF), settings)
    assert trend["per_10k"].iloc[-1] == pytest.approx(total["per_10k"])


def test_trend_uses_only_communities_with_a_population_that_year(small_city, settings):
    trend = monthly_trend(small_city, Scope(None, dt.date(2024, 12, 31)), settings, months=1)
    # In 2024 only C1 (9,000) and C2 (4,000) have a population; their 15 + 8 workers count.
    assert trend.iloc[0]["counted_workers"] == 83
    assert trend.iloc[0]["resident_population"] == 13000
    assert trend.iloc[0]["per_10k"] == pytest.approx(23 / 13000 * 10000)
    total = staffing_total(small_city, Scope(None, dt.date(2024, 12, 31)), settings)
    assert total["per_10k"] == pytest.approx(23 / 13000 * 10000)


ZH = text_in("zh")


def test_required_vs_counted_puts_the_largest_gap_first(small_city, settings):
    from data_access.queries.staffing import staffing_by_unit

    units = staffing_by_unit(small_city, Scope(None, AS_OF), settings, level="community")
    figure = required_vs_counted(units, "title", ZH)
    assert list(figure.data[1].y) == ["三社区", "一社区", "二社区", "四社区", "五社区"]
    assert list(figure.data[1].x) == [30, 15, 8, 20, 10]
    assert list(figure.data[0].x) == [54, 18, 9, 11, 10]


def test_scatter_splits_communities_by_standard_and_draws_the_required_step(small_city, settings):
    from data_access.queries.staffing import staffing_by_unit

    units = staffing_by_unit(small_city, Scope(None, AS_OF), settings, level="community")
    figure = population_scatter(units, 18.0, 9, "title", ZH)
    meets, below, line = figure.data
    assert sorted(meets.x) == [5001, 6000]
    assert sorted(below.x) == [4000, 10000, 30000]
    assert line.y[0] == 9 and line.y[-1] == 57  # ceil(18 × 31,500 / 10,000)


def test_trend_figure_marks_the_standard(small_city, settings):
    trend = monthly_trend(small_city, Scope(None, AS_OF), settings, months=3)
    figure = staffing_trend(trend, 18.0, "title", ZH)
    assert [(shape.y0, shape.yref) for shape in figure.layout.shapes] == [(18.0, "y")]
    per_10k, standard, workers = figure.data
    assert (standard.name, standard.showlegend is not False) == (
        ZH("overview.standard_line", standard="18"),
        True,
    )
    # Named in the legend, never on its line where the series may cross it.
    assert [a.text for a in figure.layout.annotations] == [
        ZH("col.per_10k"),
        ZH("col.counted_workers"),
    ]
    assert list(workers.y) == [83, 83, 83]
    assert per_10k.y[-1] == pytest.approx(83 / 55001 * 10000)
