"""Figures of the admission page (docs/admission.md): pure functions of DataFrames."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from dashboard import palette
from data_access.catalog import Text

# The lists carry no verdict; the answers do: on time meets the limit, late and overdue miss it.
LIST_COLOURS = {
    "self_governance": palette.NEUTRAL,
    "assisting": palette.SERIES[3],
    "certificate_abolished": palette.MUTED,
}
TIMING_KEYS = {
    "decided_on_time": "admission.timing.on_time",
    "decided_late": "admission.timing.late",
    "waiting": "admission.timing.pending",
    "overdue": "admission.timing.overdue",
}
TIMING_COLOURS = {
    "decided_on_time": palette.MEETS,
    "decided_late": palette.BELOW,
    "waiting": palette.MUTED,
    "overdue": palette.BELOW,
}
# Overdue is hatched, to tell a wait past the limit from an answer that came late.
TIMING_PATTERNS = {"overdue": "/"}


def list_history_chart(
    history: pd.DataFrame, day_labels: Mapping[object, str], title: str, text: Text
) -> go.Figure:
    """Items on each list at every year end and on the as-of date, as grouped bars."""
    figure = go.Figure()
    for list_name, colour in LIST_COLOURS.items():
        rows = history[history["list"] == list_name]
        figure.add_trace(
            go.Bar(
                x=[day_labels[d] for d in rows["day"]],
                y=rows["items"],
                name=text(f"admission.list.{list_name}"),
                marker_color=colour,
                text=rows["items"],
                textposition="outside",
                cliponaxis=False,
            )
        )
    figure.update_layout(
        title=title, barmode="group", height=380, legend={"orientation": "h", "y": -0.15}
    )
    figure.update_yaxes(range=[0, max(history["items"].max(), 1) * 1.15])
    figure.update_xaxes(type="category")
    return figure


def department_timing_chart(departments: pd.DataFrame, title: str, text: Text) -> go.Figure:
    """Per department: decided on time, decided late, waiting within the limit and overdue."""
    data = departments.assign(waiting=departments["pending"] - departments["overdue"]).iloc[::-1]
    figure = go.Figure()
    for column, colour in TIMING_COLOURS.items():
        name = text(TIMING_KEYS[column])
        figure.add_trace(
            go.Bar(
                x=data[column],
                y=data["department"],
                orientation="h",
                name=name,
                marker={"color": colour, "pattern": {"shape": TIMING_PATTERNS.get(column, "")}},
                hovertemplate="%{y}: %{x}<extra>" + name + "</extra>",
            )
        )
    figure.update_layout(
        title=title,
        barmode="stack",
        height=max(320, 28 * len(data) + 140),
        legend={"orientation": "h", "y": -0.12, "traceorder": "normal"},
    )
    return figure
