"""Figure builders: pure functions of DataFrames, testable without a browser."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dashboard import formatting

# Named so that server-side PNG export finds a CJK font instead of drawing boxes.
FONT_FAMILY = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, sans-serif"
pio.templates["dashboard"] = go.layout.Template(
    layout=go.Layout(
        font={"family": FONT_FAMILY, "size": 13},
        colorway=["#c0392b", "#2e86de", "#27ae60", "#f39c12", "#8e44ad", "#16a085"],
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        separators=formatting.SEPARATORS,
        xaxis=formatting.AXIS_STYLE,
        yaxis=formatting.AXIS_STYLE,
    )
)
pio.templates.default = "plotly_white+dashboard"

BELOW_COLOUR = "#c0392b"
ABOVE_COLOUR = "#2e86de"
SCOPE_COLOUR = "#7f8c8d"


def ranking_bar(
    frame: pd.DataFrame,
    value_column: str,
    title: str,
    value_label: str,
    reference: float | None = None,
    reference_label: str | None = None,
    percent: bool = False,
    low_is_worse: bool = True,
    scope_value: float | None = None,
    scope_label: str | None = None,
    language: str = "zh",
) -> go.Figure:
    """Horizontal bars of units by one value, worst at the top, with an optional reference line."""
    data = frame.dropna(subset=[value_column]).sort_values(value_column, ascending=low_is_worse)
    values = data[value_column] * (100 if percent else 1)
    colours = (
        [BELOW_COLOUR if v < reference else ABOVE_COLOUR for v in data[value_column]]
        if reference is not None
        else ABOVE_COLOUR
    )
    figure = go.Figure(
        go.Bar(
            x=values,
            y=data["name"],
            orientation="h",
            marker_color=colours,
            text=[formatting.metric(value_column, v, language) for v in data[value_column]],
            textposition="outside",
            customdata=data["code"],
            hovertemplate="%{y}<br>" + value_label + ": %{x:.1f}<extra></extra>",
        )
    )
    if reference is not None:
        figure.add_vline(
            x=reference * (100 if percent else 1),
            line_dash="dash",
            line_color="#555",
            annotation_text=reference_label,
            annotation_position="top right",
        )
    if scope_value is not None:
        figure.add_vline(
            x=scope_value * (100 if percent else 1),
            line_dash="dot",
            line_color=SCOPE_COLOUR,
            annotation_text=scope_label,
            annotation_position="top left",
            annotation_font_color=SCOPE_COLOUR,
        )
    figure.update_layout(
        title=title,
        height=max(260, 26 * len(data) + 110),
        xaxis_title=value_label,
        yaxis={"autorange": "reversed", "title": None},
        showlegend=False,
    )
    return figure
