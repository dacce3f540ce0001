"""Figure builders of the staffing planner: pure functions of the plan's frames."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import ABOVE_COLOUR, BELOW_COLOUR
from dashboard.formatting import integer
from data_access.catalog import Text

BEYOND_COLOUR = "#27ae60"
LABEL_COLOUR = "#263238"
# Room to the right of the longest bar for its label, as a share of the longest bar.
LABEL_ROOM = 0.32


def gap_closure_bars(units: pd.DataFrame, title: str, text: Text) -> go.Figure:
    """Per unit, the gap the new posts close, the gap left and posts beyond it; largest gap on top.

    `units` has code, name, gap_before, added, closed, gap_after and beyond
    (data_access.planner.plan_by_unit). The parts carry horizontal labels where they fit; every
    bar ends in a label with the unit's posts and the gap left, so that where the posts go is
    read without adding parts up.
    """
    data = units.sort_values(["gap_before", "code"], ascending=[False, True])
    parts = (
        ("closed", ABOVE_COLOUR, text("planner.chart.closed")),
        ("gap_after", BELOW_COLOUR, text("planner.chart.gap_after")),
        ("beyond", BEYOND_COLOUR, text("planner.chart.beyond")),
    )
    bars: list[go.Bar | go.Scatter] = [
        go.Bar(
            name=label,
            y=data["name"],
            x=data[column],
            orientation="h",
            marker_color=colour,
            text=[integer(v) if v else "" for v in data[column]],
            textposition="inside",
            textangle=0,
            insidetextanchor="middle",
            hovertemplate="%{y}<br>" + label + ": %{x:,}<extra></extra>",
        )
        for column, colour, label in parts
        if column != "beyond" or data[column].sum() > 0
    ]
    ends = data["gap_before"] + data["beyond"]
    bars.append(
        go.Scatter(
            y=data["name"],
            x=ends,
            mode="text",
            text=[
                " " + text("planner.chart.bar_label", posts=integer(posts), left=integer(left))
                for posts, left in zip(data["added"], data["gap_after"], strict=True)
            ],
            textposition="middle right",
            textfont={"color": LABEL_COLOUR},
            showlegend=False,
            hoverinfo="skip",
            cliponaxis=False,
        )
    )
    longest = float(ends.max()) if len(ends) else 0.0
    figure = go.Figure(bars)
    figure.update_layout(
        title=title,
        barmode="stack",
        height=max(280, 26 * len(data) + 140),
        yaxis={"autorange": "reversed", "title": None},
        xaxis={
            "title": text("planner.chart.headcount"),
            "range": [0, max(longest * (1 + LABEL_ROOM), 1.0)],
        },
        legend={"orientation": "h", "y": -0.12, "traceorder": "normal"},
        uniformtext={"minsize": 10, "mode": "hide"},
    )
    return figure
