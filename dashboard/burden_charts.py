"""Figures of the Burden-reduction page: pure functions of DataFrames."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import dashboard.charts  # noqa: F401  (registers the template with the CJK font)
from dashboard import palette
from data_access.catalog import Text
from data_access.models import BURDEN_CATEGORIES

LINE_COLOUR = palette.NEUTRAL
BASELINE_COLOUR = palette.MUTED
CURRENT_COLOUR = palette.REFERENCE  # the current month is a point in time, not a verdict
FACET_COLUMNS = 5


def burden_trend(
    total: pd.DataFrame, marks: pd.DataFrame, area: str, month: str, text: Text
) -> go.Figure:
    """The monthly burden trend of one area, every category, as the Burden page and the profile draw it.

    total: category, period, value of the area; marks: its figures per category
    (data_access/figures/burden.py:by_category or the community's unit_reductions rows);
    area and month: the area's name and the as-of month as written in the title.
    """
    title = text("burden.trend_title", scope=area, month=month)
    return trend_facets(total, marks, categories=BURDEN_CATEGORIES, title=title, text=text)


def trend_facets(
    total: pd.DataFrame,
    marks: pd.DataFrame,
    categories: Sequence[str],
    title: str,
    text: Text,
) -> go.Figure:
    """One small line chart per category (category, period, value) with its baseline and current month marked.

    marks holds one row per category: baseline_period, baseline, current_period, current.
    """
    names = {category: text(f"category.{category}") for category in categories}
    baseline_label, current_label = text("burden.baseline_marker"), text("burden.current_marker")
    rows = -(-len(categories) // FACET_COLUMNS)
    figure = make_subplots(
        rows=rows,
        cols=FACET_COLUMNS,
        subplot_titles=[names[c] for c in categories],
        horizontal_spacing=0.045,
        vertical_spacing=0.16,
    )
    marked = {mark["category"]: mark for _, mark in marks.iterrows()}
    in_legend: set[str] = set()
    lines: list[dict[str, object]] = []
    for index, category in enumerate(categories):
        row, col = index // FACET_COLUMNS + 1, index % FACET_COLUMNS + 1
        one = total[total["category"] == category].sort_values("period")
        figure.add_trace(
            go.Scatter(
                x=one["period"],
                y=one["value"],
                mode="lines",
                line={"color": LINE_COLOUR, "width": 2},
                name=names[category],
                showlegend=False,
                hovertemplate="%{x|%Y-%m}: %{y:,}<extra>" + names[category] + "</extra>",
            ),
            row=row,
            col=col,
        )
        if category in marked:
            mark = marked[category]
            _mark(figure, mark, row, col, in_legend, baseline_label, current_label)
            if not pd.isna(mark["baseline_period"]):
                lines.append(_baseline_line(figure, mark["baseline_period"], row, col))
        figure.update_yaxes(rangemode="tozero", row=row, col=col)
    figure.update_xaxes(tickformat="%Y", dtick="M24", showgrid=False)
    figure.update_layout(
        shapes=lines,
        title=title,
        height=260 * rows + 120,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.06, "x": 1, "xanchor": "right"},
        margin={"t": 110},
    )
    return figure


def _mark(
    figure: go.Figure,
    mark: pd.Series,
    row: int,
    col: int,
    in_legend: set[str],
    baseline_label: str,
    current_label: str,
) -> None:
    """The baseline (grey diamond) and the current month (red dot) of one facet; the baseline's
    dotted line is _baseline_line's."""
    points = (
        ("baseline_period", "baseline", baseline_label, BASELINE_COLOUR, "diamond"),
        ("current_period", "current", current_label, CURRENT_COLOUR, "circle"),
    )
    for period_column, value_column, label, colour, symbol in points:
        if pd.isna(mark[period_column]) or pd.isna(mark[value_column]):
            continue
        figure.add_trace(
            go.Scatter(
                x=[mark[period_column]],
                y=[mark[value_column]],
                mode="markers",
                marker={"color": colour, "size": 9, "symbol": symbol},
                name=label,
                legendgroup=label,
                showlegend=label not in in_legend,
                hovertemplate=label + " %{x|%Y-%m}: %{y:,}<extra></extra>",
            ),
            row=row,
            col=col,
        )
        in_legend.add(label)


def _baseline_line(figure: go.Figure, period: dt.date, row: int, col: int) -> dict[str, object]:
    """The dotted line at the baseline month of one facet: what figure.add_vline(row=, col=)
    draws, given to the layout with the others at once (add_vline copies the layout each time,
    a third of the Burden page's run at province scale)."""
    axes = figure.get_subplot(row, col)
    x, y = axes.xaxis.plotly_name.replace("axis", ""), axes.yaxis.plotly_name.replace("axis", "")
    at = pd.Timestamp(period).timestamp() * 1000
    return {
        "type": "line",
        "x0": at,
        "x1": at,
        "xref": x,
        "y0": 0,
        "y1": 1,
        "yref": f"{y} domain",
        "line": {"color": BASELINE_COLOUR, "dash": "dot"},
    }
