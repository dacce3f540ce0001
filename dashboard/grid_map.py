"""The grid map of one scope: its layers, view and legend from prepared data (pure, no Streamlit).

City and district scope: communities coloured by a metric, child units outlined. Street and
community scope: grids by staffing status, blind spots, overlaps, facilities and their reach.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.map_data import DETAIL_LEVELS, MapData
from dashboard.map_layers import (
    FACILITY_COLOUR,
    GAP_COLOUR,
    MISSING_COLOUR,
    OUT_OF_RANGE_LINE,
    OVERLAP_COLOUR,
    STATUS_COLOURS,
    CompactDeck,
    LegendItem,
    Text,
    build_deck,
    choropleth_layers,
    community_features,
    community_tooltip,
    facility_features,
    fit_view,
    grid_features,
    grid_layers,
    legend_html,
    metric_classes,
    outline_features,
    piece_features,
)
from data_access.settings import Settings


@dataclass(frozen=True)
class GridMap:
    deck: CompactDeck
    legend: str  # HTML drawn by the page under the map


def community_values(coverage: pd.DataFrame, staffing: pd.DataFrame) -> pd.DataFrame:
    """The metrics a community can be coloured by: grid coverage per community and per 10,000."""
    return coverage.drop(columns=["name"]).merge(
        staffing[["code", "per_10k"]], on="code", how="outer"
    )


def grid_map(
    map_data: MapData,
    settings: Settings,
    text: Text,
    values: pd.DataFrame | None = None,
    metric: str = "staffed_rate",
    language: str = "zh",
) -> GridMap:
    """The deck and legend of the scope; values and metric colour communities above street scope."""
    tooltip = None
    if map_data.level in DETAIL_LEVELS:
        layers, legend = _detail(map_data, settings, text)
    else:
        layers, legend = _choropleth(map_data, settings, text, values, metric)
        tooltip = community_tooltip(metric, text)
    view = fit_view(map_data.bounds)
    return GridMap(build_deck(layers, view, settings, tooltip, language), legend)


def _choropleth(
    map_data: MapData,
    settings: Settings,
    text: Text,
    values: pd.DataFrame | None,
    metric: str,
) -> tuple[list, str]:
    classes = metric_classes(metric, settings.standard_per_10k)
    if values is None:
        values = pd.DataFrame({"code": pd.Series(dtype=object)})
    communities = community_features(map_data.communities, values, metric, classes)
    layers = choropleth_layers(communities, outline_features(map_data.outlines))
    items = [
        LegendItem(label, fill=colour)
        for colour, label in zip(classes.colours, classes.labels(), strict=True)
    ]
    items.append(LegendItem(text("grids.legend.missing"), fill=MISSING_COLOUR))
    return layers, legend_html(text(f"grids.metric.{metric}"), items)


def _detail(map_data: MapData, settings: Settings, text: Text) -> tuple[list, str]:
    low, high = settings.grid_households_min, settings.grid_households_max
    names = dict(zip(map_data.communities["code"], map_data.communities["name"], strict=False))
    layers = grid_layers(
        grid_features(map_data.grids, low, high, text),
        outline_features(map_data.outlines),
        piece_features(map_data.gaps, names, "gap", text),
        piece_features(map_data.overlaps, names, "overlap", text),
        facility_features(map_data.facilities, text),
        settings.walk_radius_m,
    )
    radius = f"{settings.walk_radius_m:,.0f}"
    items = [LegendItem(text(f"grids.status.{s}"), fill=c) for s, c in STATUS_COLOURS.items()]
    items += [
        LegendItem(
            text("grids.legend.out_of_range", low=low, high=high), outline=OUT_OF_RANGE_LINE
        ),
        LegendItem(text("grids.legend.gap"), fill=GAP_COLOUR),
        LegendItem(text("grids.legend.overlap"), fill=OVERLAP_COLOUR),
        LegendItem(text("grids.legend.facility", radius=radius), fill=FACILITY_COLOUR),
    ]
    return layers, legend_html(text("grids.legend.status"), items)
