"""Figures of the Burden-reduction page: pure functions of DataFrames."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import dashboard.charts  # noqa: F401  (registers the template with the CJK font)
from dashboard import formatting, palette
from dashboard.formatting import month_tickformat
from data_access.catalog import Text
from data_access.models import BURDEN_CATEGORIES

LINE_COLOUR = palette.NEUTRAL
BASELINE_COLOUR = palette.MUTED
CURRENT_COLOUR = palette.REFERENCE  # the current month is a point in time, not a verdict
FACET_COLUMNS = 5


def burden_trend(
    total: pd.DataFrame,
    marks: pd.DataFrame,
    area: str,
    month: str,
    text: Text,
    language: str = "zh",
) -> go.Figure:
    """The monthly burden trend of one area, a panel per category with data (the page names the
    others in one line: data_access/figures/burden.py:categories_without_data), as the Burden
    page and the profile draw it.

    total: category, period, value of the area; marks: its figures per category
    (data_access/figures/burden.py:area_per_community or the community's unit_reductions rows);
    area and month: the area's name and the as-of month as written in the title.
    """
    title = text("burden.trend_title", scope=area, month=month)
    present = set(total["category"].tolist())
    categories = [category for category in BURDEN_CATEGORIES if category in present]
    return trend_facets(
        total, marks, categories=categories, title=title, text=text, language=language
    )


def trend_facets(
    total: pd.DataFrame,
    marks: pd.DataFrame,
    categories: Sequence[str],
    title: str,
    text: Text,
    language: str = "zh",
) -> go.Figure:
    """One small line chart per category (category, period, value) with its baseline and current month marked.

    marks holds one row per category: baseline_period, baseline, current_period, current, and
    where an area has them baseline_per_community and current_per_community, written under the
    category's name.
    """
    names = {category: text(f"category.{category}") for category in categories}
    baseline_label, current_label = text("burden.baseline_marker"), text("burden.current_marker")
    month = month_tickformat(language)  # hover texts name the month as the page does
    columns = min(FACET_COLUMNS, max(len(categories), 1))
    rows = max(-(-len(categories) // columns), 1)
    marked = {mark["category"]: mark for _, mark in marks.iterrows()}
    figure = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[_facet_title(names[c], marked.get(c), text) for c in categories],
        horizontal_spacing=0.045,
        vertical_spacing=0.16,
    )
    in_legend: set[str] = set()
    lines: list[dict[str, object]] = []
    for index, category in enumerate(categories):
        row, col = index // columns + 1, index % columns + 1
        one = total[total["category"] == category].sort_values("period")
        figure.add_trace(
            go.Scatter(
                x=one["period"],
                y=one["value"],
                mode="lines",
                line={"color": LINE_COLOUR, "width": 2},
                name=names[category],
                showlegend=False,
                hovertemplate=f"%{{x|{month}}}: %{{y:,}}<extra>{names[category]}</extra>",
            ),
            row=row,
            col=col,
        )
        if category in marked:
            mark = marked[category]
            labels = (baseline_label, current_label)
            _mark(figure, mark, row, col, in_legend, labels, month)
            if not pd.isna(mark["baseline_period"]):
                lines.append(_baseline_line(figure, mark["baseline_period"], row, col))
        figure.update_yaxes(rangemode="tozero", row=row, col=col)
    figure.update_xaxes(tickformat="%Y", dtick="M24", showgrid=False)
    figure.update_layout(
        shapes=lines,
        title=title,
        height=260 * rows + 120,
        # In the title's line, clear of the panels' two-line titles.
        legend={
            "orientation": "h",
            "yref": "container",
            "y": 1.0,
            "yanchor": "top",
            "x": 1,
            "xanchor": "right",
        },
        margin={"t": 110},
    )
    return figure


def _facet_title(name: str, mark: pd.Series | None, text: Text) -> str:
    """The category's name, and under it its average per community at the baseline and now
    (catalog text and numbers only, so the line break is the only markup)."""
    if mark is None or "baseline_per_community" not in mark:
        return name
    baseline, current = mark["baseline_per_community"], mark["current_per_community"]
    if pd.isna(baseline) and pd.isna(current):
        return name
    digits = formatting.METRIC_DECIMALS["per_community"]
    line = text(
        "burden.per_community",
        baseline=formatting.decimal(baseline, digits),
        current=formatting.decimal(current, digits),
    )
    return f"{name}<br><span style='font-size:11px'>{line}</span>"


def _mark(
    figure: go.Figure,
    mark: pd.Series,
    row: int,
    col: int,
    in_legend: set[str],
    labels: tuple[str, str],
    month: str,
) -> None:
    """The baseline (grey diamond) and the current month (red dot) of one facet; the baseline's
    dotted line is _baseline_line's."""
    baseline_label, current_label = labels
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
                hovertemplate=f"{label} %{{x|{month}}}: %{{y:,}}<extra></extra>",
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
