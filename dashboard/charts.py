"""Figure builders: pure functions of DataFrames, testable without a browser."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dashboard import formatting, palette

# Named so that server-side PNG export finds a CJK font instead of drawing boxes.
FONT_FAMILY = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, sans-serif"
_OWN_TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font={"family": FONT_FAMILY, "size": 13},
        colorway=palette.SERIES,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        separators=formatting.SEPARATORS,
        xaxis=formatting.AXIS_STYLE,
        yaxis=formatting.AXIS_STYLE,
    )
)
# plotly_white with ours on top, merged once: a default of "plotly_white+dashboard" would merge
# the two for every new figure (about 20 ms each, several per page and run).
pio.templates["dashboard"] = pio.templates.merge_templates("plotly_white", _OWN_TEMPLATE)
pio.templates.default = "dashboard"

BELOW_COLOUR = palette.BELOW
ABOVE_COLOUR = palette.MEETS  # meets the reference
VALUE_COLOUR = palette.NEUTRAL  # no reference to judge by
SCOPE_COLOUR = palette.MUTED


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
        else VALUE_COLOUR
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
            showlegend=False,
        )
    )
    lines = [
        (reference, reference_label, "dash", palette.REFERENCE),
        (scope_value, scope_label, "dot", palette.MUTED),
    ]
    for value, label, dash, colour in lines:
        if value is not None:
            reference_line(figure, value * (100 if percent else 1), label, dash, colour)
    figure.update_layout(
        title=title,
        height=max(260, 26 * len(data) + 110),
        xaxis_title=value_label,
        yaxis={"autorange": "reversed", "title": None},
        showlegend=any(value is not None for value, *_ in lines),
        legend=LINE_LEGEND,
        margin={"t": 90},  # the title, then the legend of the lines under it
    )
    return figure


# Reference lines are named in a legend above the plot, never by a label on the line, so
# that two close lines (本级 18.2 and 标准 18) or a line beside a bar never print over each other.
LINE_LEGEND = {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 1, "xanchor": "right"}


def reference_line(figure: go.Figure, x: float, label: str | None, dash: str, colour: str) -> None:
    """A vertical line at x, named in the legend."""
    figure.add_vline(x=x, line_dash=dash, line_color=colour, line_width=1.5)
    figure.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="lines",
            line={"dash": dash, "color": colour, "width": 1.5},
            name=label or "",
            showlegend=bool(label),
            hoverinfo="skip",
        )
    )
