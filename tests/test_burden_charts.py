"""The Burden page's trend facets (dashboard/burden_charts.py)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from dashboard.burden_charts import FACET_COLUMNS, trend_facets
from dashboard.i18n import load_catalog
from data_access.models import BURDEN_CATEGORIES

CATEGORIES = BURDEN_CATEGORIES[:7]  # two rows of facets, the second not full


def _series() -> tuple[pd.DataFrame, pd.DataFrame]:
    months = [dt.date(2024, month, 1) for month in range(1, 13)]
    total = pd.DataFrame(
        [
            {"category": category, "period": month, "value": 100 - number * 3 + index}
            for number, category in enumerate(CATEGORIES)
            for index, month in enumerate(months)
        ]
    )
    marks = pd.DataFrame(
        [
            {
                "category": category,
                # One category without a baseline: no line in its facet.
                "baseline_period": None if number == 4 else months[number % 4],
                "baseline": None if number == 4 else 90.0,
                "current_period": months[-1],
                "current": 80.0,
            }
            for number, category in enumerate(CATEGORIES)
        ]
    )
    return total, marks


def test_each_facet_has_its_baseline_line_where_add_vline_would_draw_it():
    catalog = load_catalog("zh")
    total, marks = _series()
    figure = trend_facets(total, marks, CATEGORIES, "t", lambda key, **kw: catalog[key])
    # The same lines drawn one by one with plotly's own add_vline, on a copy without them.
    expected = go.Figure(figure)
    expected.layout.shapes = ()
    for index, mark in marks.iterrows():
        if pd.isna(mark["baseline_period"]):
            continue
        expected.add_vline(
            x=pd.Timestamp(mark["baseline_period"]).timestamp() * 1000,
            line_dash="dot",
            line_color=figure.layout.shapes[0].line.color,
            row=index // FACET_COLUMNS + 1,
            col=index % FACET_COLUMNS + 1,
        )
    assert len(figure.layout.shapes) == len(CATEGORIES) - 1
    assert [s.to_plotly_json() for s in figure.layout.shapes] == [
        s.to_plotly_json() for s in expected.layout.shapes
    ]
    assert {s.xref for s in figure.layout.shapes} == {
        f"x{n if n > 1 else ''}" for n in range(1, len(CATEGORIES) + 1) if n != 5
    }
