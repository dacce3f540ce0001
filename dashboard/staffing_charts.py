"""Figures of the Staffing page: pure functions of the query frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import palette
from dashboard.charts import ABOVE_COLOUR, BELOW_COLOUR, LINE_LEGEND, SCOPE_COLOUR
from dashboard.formatting import decimal, month_tickformat
from data_access.catalog import Text

NOT_ASSESSED_COLOUR = palette.MUTED  # villages without a standard of their own: no verdict
CERTIFICATE_COLOURS = {
    "none": palette.LIGHT,
    "junior": "#9ecae1",
    "intermediate": palette.NEUTRAL,
    "senior": "#08306b",
}


def required_vs_counted(
    frame: pd.DataFrame, title: str, text: Text, counted: str = "counted_workers"
) -> go.Figure:
    """Counted and required headcount per unit, the largest shortfall at the top. `counted`: the
    column of the workers set against the required headcount (urban_counted_workers where
    villages are not assessed, docs/metrics.md §3)."""
    data = frame.dropna(subset=["required"]).sort_values(["gap", "code"], ascending=[False, True])
    gap_label = text("col.gap")
    figure = go.Figure(
        [
            go.Bar(
                name=text("col.required"),
                y=data["name"],
                x=data["required"],
                orientation="h",
                marker_color=palette.LIGHT,
            ),
            go.Bar(
                name=text(f"col.{counted}"),
                y=data["name"],
                x=data[counted],
                orientation="h",
                # Counted workers carry no verdict; the shortfall is what is written in red.
                marker_color=palette.NEUTRAL,
                text=[f"{gap_label} {gap:,.0f}" if gap > 0 else "" for gap in data["gap"]],
                textposition="outside",
                textfont={"color": BELOW_COLOUR},
            ),
        ]
    )
    figure.update_layout(
        title=title,
        barmode="overlay",
        height=max(280, 26 * len(data) + 130),
        yaxis={"autorange": "reversed", "title": None},
        xaxis_title=text("staffing.headcount"),
        legend={"orientation": "h", "y": -0.12},
    )
    return figure


def certificate_split(frame: pd.DataFrame, title: str, text: Text) -> go.Figure:
    """Counted workers by certificate level, one bar each with its share."""
    total = frame["workers"].sum()
    figure = go.Figure(
        go.Bar(
            x=frame["workers"],
            y=[text(f"certificate.{c}") for c in frame["certificate"]],
            orientation="h",
            marker_color=[CERTIFICATE_COLOURS.get(c, "#999") for c in frame["certificate"]],
            text=[f"{n:,}（{n / total:.0%}）" if total else "" for n in frame["workers"]],
            textposition="outside",
            cliponaxis=False,
        )
    )
    figure.update_layout(
        title=title,
        height=300,
        xaxis={
            "title": text("staffing.workers"),
            "range": [0, max(int(frame["workers"].max()), 1) * 1.35],
        },
        yaxis={"autorange": "reversed", "title": None},
        showlegend=False,
    )
    return figure


def age_bars(frame: pd.DataFrame, title: str, text: Text) -> go.Figure:
    """Counted workers by age band, split into certified and uncertified."""
    data = frame[(frame["age_band"] != "unknown") | (frame["workers"] > 0)]
    bands = [text(f"staffing.age.{band}") for band in data["age_band"]]
    figure = go.Figure(
        [
            go.Bar(
                name=text("staffing.certified"),
                x=bands,
                y=data["workers"] - data["uncertified"],
                marker_color=palette.NEUTRAL,
            ),
            go.Bar(
                name=text("staffing.uncertified"),
                x=bands,
                y=data["uncertified"],
                marker_color=palette.LIGHT,
            ),
        ]
    )
    figure.update_layout(
        title=title,
        barmode="stack",
        height=360,
        yaxis_title=text("staffing.workers"),
        legend={"orientation": "h", "y": -0.15},
    )
    return figure


def staffing_trend(
    frame: pd.DataFrame,
    standard: float | None,
    title: str,
    text: Text,
    language: str = "zh",
) -> go.Figure:
    """Per 10,000 against the standard (top) and counted workers (bottom) by month; without a
    standard (a village, docs/metrics.md §3) no standard line."""
    figure = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.6, 0.4],
        vertical_spacing=0.08,
        subplot_titles=(text("col.per_10k"), text("col.counted_workers")),
    )
    figure.add_trace(
        go.Scatter(
            name=text("col.per_10k"),
            x=frame["month_end"],
            y=frame["per_10k"],
            mode="lines",
            line={"color": palette.NEUTRAL, "width": 3},
            hovertemplate=f"%{{x|{month_tickformat(language)}}}: %{{y:.1f}}<extra></extra>",
            showlegend=False,
        ),
        row=1,
        col=1,
    )
    if standard is not None:
        # The standard is named in the legend, not on its line, where the series may cross it.
        figure.add_hline(y=standard, line_dash="dash", line_color=palette.REFERENCE, row=1, col=1)
        figure.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                name=text("overview.standard_line", standard=decimal(standard, 0)),
                line={"dash": "dash", "color": palette.REFERENCE},
                hoverinfo="skip",
            ),
            row=1,
            col=1,
        )
    figure.add_trace(
        go.Bar(
            name=text("col.counted_workers"),
            x=frame["month_end"],
            y=frame["counted_workers"],
            marker_color=SCOPE_COLOUR,
            hovertemplate=f"%{{x|{month_tickformat(language)}}}: %{{y:,}}<extra></extra>",
            showlegend=False,
        ),
        row=2,
        col=1,
    )
    per_10k = pd.to_numeric(frame["per_10k"]).dropna()
    values = [float(v) for v in per_10k] + ([] if standard is None else [standard])
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    figure.update_yaxes(range=[np.floor(low - 1), np.ceil(high + 1)], row=1, col=1)
    figure.update_xaxes(tickformat=month_tickformat(language))
    figure.update_layout(title=title, height=520, legend=LINE_LEGEND, margin={"t": 90})
    return figure


def population_scatter(
    frame: pd.DataFrame,
    standard: float,
    minimum: int,
    title: str,
    text: Text,
) -> go.Figure:
    """Residents against counted workers per community, with the required headcount as a line."""
    data = frame.dropna(subset=["resident_population"])
    assessed = data["required"].notna().to_numpy(dtype=bool)
    meets = assessed & (
        pd.to_numeric(data["counted_workers"]).to_numpy(dtype=float)
        >= pd.to_numeric(data["required"]).to_numpy(dtype=float, na_value=np.nan)
    )
    figure = go.Figure()
    for part_of, colour, name in (
        (meets, ABOVE_COLOUR, text("staffing.meets")),
        (assessed & ~meets, BELOW_COLOUR, text("staffing.below")),
        # Villages without a standard of their own (docs/metrics.md §3): shown, not judged.
        (~assessed, NOT_ASSESSED_COLOUR, text("staffing.not_assessed")),
    ):
        if name == text("staffing.not_assessed") and assessed.all():
            continue
        part = data[part_of]
        figure.add_trace(
            go.Scatter(
                name=name,
                x=part["resident_population"],
                y=part["counted_workers"],
                mode="markers",
                marker={"color": colour, "size": 8, "opacity": 0.75},
                customdata=np.stack([part["name"], part["required"]], axis=-1)
                if len(part)
                else None,
                hovertemplate="%{customdata[0]}<br>"
                + text("col.resident_population")
                + ": %{x:,}<br>"
                + text("col.counted_workers")
                + ": %{y}<br>"
                + text("col.required")
                + ": %{customdata[1]}<extra></extra>",
            )
        )
    top = float(data["resident_population"].max()) if len(data) else 10000.0
    xs = np.linspace(0, top * 1.05, 200)
    required = np.maximum(minimum, np.ceil(standard * xs / 10000))
    figure.add_trace(
        go.Scatter(
            name=text("staffing.required_line"),
            x=xs,
            y=required,
            mode="lines",
            line={"color": SCOPE_COLOUR, "dash": "dash", "shape": "hv"},
            hoverinfo="skip",
        )
    )
    figure.update_layout(
        title=title,
        height=420,
        xaxis_title=text("col.resident_population"),
        yaxis_title=text("col.counted_workers"),
        legend={"orientation": "h", "y": -0.18},
    )
    return figure
