"""Figure builders of the staffing planner: pure functions of the plan's frames."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import ABOVE_COLOUR, BELOW_COLOUR
from data_access.catalog import Text

BEYOND_COLOUR = "#27ae60"


def gap_closure_bars(units: pd.DataFrame, title: str, text: Text) -> go.Figure:
    """Per unit, the gap the new posts close, the gap left and posts beyond it; largest gap on top.

    `units` has name, gap_before, closed, gap_after and beyond (data_access.planner.plan_by_unit).
    """
    data = units.sort_values(["gap_before", "code"], ascending=[False, True])
    parts = (
        ("closed", ABOVE_COLOUR, text("planner.chart.closed")),
        ("gap_after", BELOW_COLOUR, text("planner.chart.gap_after")),
        ("beyond", BEYOND_COLOUR, text("planner.chart.beyond")),
    )
    figure = go.Figure(
        [
            go.Bar(
                name=label,
                y=data["name"],
                x=data[column],
                orientation="h",
                marker_color=colour,
                text=[f"{v:,}" if v else "" for v in data[column]],
                textposition="inside",
                hovertemplate="%{y}<br>" + label + ": %{x:,}<extra></extra>",
            )
            for column, colour, label in parts
            if column != "beyond" or data[column].sum() > 0
        ]
    )
    figure.update_layout(
        title=title,
        barmode="stack",
        height=max(280, 26 * len(data) + 140),
        yaxis={"autorange": "reversed", "title": None},
        xaxis_title=text("planner.chart.headcount"),
        legend={"orientation": "h", "y": -0.12, "traceorder": "normal"},
    )
    return figure
