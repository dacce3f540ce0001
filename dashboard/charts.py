"""Figure builders: pure functions of DataFrames, testable without a browser."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dashboard import formatting, lights, palette
from data_access.catalog import Text
from data_access.lights import LightRule

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
VALUE_COLOUR = palette.NEUTRAL  # no standard or target to judge by
SCOPE_COLOUR = palette.MUTED
# A bar's light told by its fill pattern too (close dotted, below hatched), not by colour alone.
LIGHT_PATTERNS = {"meets": "", "close": ".", "below": "/"}


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
    rule: LightRule | None = None,
    text: Text | None = None,
    judged_column: str | None = None,
) -> go.Figure:
    """Horizontal bars of units by one value, worst at the top, with optional reference lines.

    With a `rule` (data_access/lights.py) each bar takes its light: colour, fill pattern and
    mark after its value, judged on `judged_column` (default the value itself; the staff gap is
    judged on filled_share), and with `text` the legend names the three states with their
    thresholds. Without one the bars carry no judgement.
    """
    data = frame.dropna(subset=[value_column]).sort_values(value_column, ascending=low_is_worse)
    values = data[value_column] * (100 if percent else 1)
    states = (
        [rule.of(v) for v in data[judged_column or value_column]]
        if rule is not None
        else [None] * len(data)
    )
    figure = go.Figure(
        go.Bar(
            x=values,
            y=data["name"],
            orientation="h",
            marker_color=[VALUE_COLOUR if s is None else palette.STATUS[s] for s in states],
            marker_pattern_shape=[LIGHT_PATTERNS.get(s or "", "") for s in states],
            text=[
                lights.marked(formatting.metric(value_column, v, language), s)
                for v, s in zip(data[value_column], states, strict=True)
            ],
            textposition="outside",
            customdata=data["code"],
            # The value as its label writes it (18.2, 94.8%, 1,234), not as plotly would.
            hovertemplate="%{y}<br>" + value_label + ": %{text}<extra></extra>",
            showlegend=False,
        )
    )
    if rule is not None and text is not None:
        judged = judged_column or value_column
        add_light_legend(figure, rule, text, lambda v: lights.threshold(judged, v, language))
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
        showlegend=any(value is not None for value, *_ in lines)
        or (rule is not None and text is not None),
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


def add_light_legend(
    figure: go.Figure, rule: LightRule, text: Text, write: Callable[[float], str]
) -> None:
    """The three lights of `rule` in the figure's legend, each with its thresholds."""
    for state, label in lights.rule_entries(rule, text, write):
        figure.add_trace(
            go.Bar(
                x=[None],
                y=[None],
                orientation="h",
                marker_color=palette.STATUS[state],
                marker_pattern_shape=LIGHT_PATTERNS[state],
                name=label,
                showlegend=True,
                hoverinfo="skip",
            )
        )
