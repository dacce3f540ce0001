"""The grid map of one scope: its layers, view, names and legend from prepared data (pure, no Streamlit).

City scope: streets (or districts) coloured by a metric, districts outlined; district scope:
communities coloured, streets outlined; the units and the level above them named.
Street and community scope: grids by staffing status, blind spots, overlaps, facilities and,
on request, their walking circles.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pydeck as pdk

from dashboard import formatting
from dashboard.headline import community_counts
from dashboard.map_data import DETAIL_LEVELS, MapData
from dashboard.map_geometry import MAP_HEIGHT_PX, MAP_WIDTH_PX, fit_view
from dashboard.map_layers import (
    CompactDeck,
    build_deck,
    choropleth_layers,
    community_features,
    community_tooltip,
    facility_features,
    grid_features,
    grid_layers,
    label_features,
    label_layer,
    outline_features,
    piece_features,
)
from dashboard.map_style import (
    FACILITY_COLOUR,
    GAP_COLOUR,
    LIGHT,
    MISSING_COLOUR,
    OUT_OF_RANGE_LINE,
    OVERLAP_COLOUR,
    REACH_LINE,
    STATUS_COLOURS,
    Classes,
    LegendItem,
    MapTheme,
    legend_html,
    legend_items,
    metric_classes,
)
from data_access.catalog import Text
from data_access.scope import CHILD_LEVEL, CODE_LENGTH
from data_access.settings import Settings


@dataclass(frozen=True)
class GridMap:
    deck: CompactDeck
    legend: str  # HTML drawn by the page under the map


@dataclass(frozen=True)
class MapOptions:
    """How the page wants the map: its size in pixels, colours, and the walking circles."""

    width_px: int = MAP_WIDTH_PX
    height_px: int = MAP_HEIGHT_PX
    theme: MapTheme = LIGHT
    walk_circles: bool = False
    label_scale: float = 1.0


@dataclass(frozen=True)
class MapDrawing:
    """What the map of one scope draws, before deck.gl (grid_map) or SVG (dashboard/map_svg.py)
    draws it: feature lists of dashboard/map_layers.py, the names that fit, the view and legend."""

    detail: bool  # street or community scope: grids; else units filled by a metric
    units: list[dict]  # filled units (above street scope)
    outlines: list[dict]
    grids: list[dict]
    gaps: list[dict]
    overlaps: list[dict]
    facilities: list[dict]
    walk_radius_m: float | None
    labels: list[dict]
    view: pdk.ViewState
    tooltip: dict[str, object] | None  # one template for every filled unit (above street scope)
    legend: str
    options: MapOptions


def map_drawing(
    map_data: MapData,
    settings: Settings,
    text: Text,
    values: pd.DataFrame | None = None,
    metric: str = "staffed_rate",
    language: str = "zh",
    options: MapOptions = MapOptions(),  # frozen: one shared default is safe
) -> MapDrawing:
    """The features, names, view and legend of the scope; values and metric colour the units
    above street scope."""
    view = fit_view(map_data.bounds, options.width_px, options.height_px)
    labels = label_features(
        map_data.labels, view, text, options.width_px, options.height_px, options.label_scale
    )
    outlines = outline_features(map_data.outlines)
    if map_data.level in DETAIL_LEVELS:
        low, high = settings.grid_households_min, settings.grid_households_max
        names = dict(
            zip(map_data.units["code"].tolist(), map_data.units["name"].tolist(), strict=False)
        )
        radius_m = settings.walk_radius_m if options.walk_circles else None
        return MapDrawing(
            True,
            [],
            outlines,
            grid_features(map_data.grids, low, high, text),
            piece_features(map_data.gaps, names, "gap", text),
            piece_features(map_data.overlaps, names, "overlap", text),
            facility_features(map_data.facilities, text),
            radius_m,
            labels,
            view,
            None,
            _detail_legend(settings, text, options, radius_m),
            options,
        )
    classes = metric_classes(metric, settings, options.theme.dark)
    if values is None:
        values = pd.DataFrame({"code": pd.Series(dtype=object)})
    units = community_features(map_data.units, values, metric, classes, language)
    child = CHILD_LEVEL[map_data.level]
    return MapDrawing(
        False,
        units,
        outlines,
        [],
        [],
        [],
        [],
        None,
        labels,
        view,
        community_tooltip(metric, text),
        _choropleth_legend(classes, values, metric, child, text, options),
        options,
    )


def grid_map(
    map_data: MapData,
    settings: Settings,
    text: Text,
    values: pd.DataFrame | None = None,
    metric: str = "staffed_rate",
    language: str = "zh",
    options: MapOptions = MapOptions(),  # frozen: one shared default is safe
) -> GridMap:
    """The deck and legend of the scope; values and metric colour the units above street scope."""
    drawing = map_drawing(map_data, settings, text, values, metric, language, options)
    return GridMap(deck_of(drawing, settings, language), drawing.legend)


def deck_of(drawing: MapDrawing, settings: Settings, language: str = "zh") -> CompactDeck:
    """The drawing as deck.gl layers: filled units and outlines, or grids, gaps, overlaps,
    outlines, walking circles and facilities; the names on top."""
    theme = drawing.options.theme
    if drawing.detail:
        layers = grid_layers(
            drawing.grids,
            drawing.outlines,
            drawing.gaps,
            drawing.overlaps,
            drawing.facilities,
            drawing.walk_radius_m,
            theme,
        )
    else:
        layers = choropleth_layers(drawing.units, drawing.outlines, theme)
    layers.append(label_layer(drawing.labels, theme))
    return build_deck(layers, drawing.view, settings, drawing.tooltip, language)


def drill_target(code: str, level: str) -> str | None:
    """The unit one level below `level` that contains the unit or grid `code` (None at the
    bottom); at city scope a street, drawn there when the city has few, is its own target."""
    child = CHILD_LEVEL.get(level)
    if child is None or child == "grid":
        return None
    if level == "city" and len(code) == CODE_LENGTH["street"]:
        return code
    length = CODE_LENGTH[child]
    return code[:length] if len(code) >= length else None


def _choropleth_legend(
    classes: Classes,
    values: pd.DataFrame,
    metric: str,
    child: str,
    text: Text,
    options: MapOptions,
) -> str:
    items = legend_items(classes, text)
    title = text(f"grids.metric.{metric}")
    villages = _sum(values, "villages")
    if metric == "per_10k" and villages:
        # Per 10,000 is of the urban communities: a unit of villages alone has none to show.
        counts = community_counts(_sum(values, "urban_communities"), villages, text)
        title = text("map.legend.per_10k_urban", metric=title, counts=counts)
        items.append(LegendItem(text("map.legend.missing_or_villages"), fill=MISSING_COLOUR))
    else:
        items.append(LegendItem(text("grids.legend.missing"), fill=MISSING_COLOUR))
    items.append(
        LegendItem(
            text("map.legend.outline", level=text(f"level.{child}")), outline=options.theme.outline
        )
    )
    return legend_html(title, items)


def _sum(values: pd.DataFrame, column: str) -> int:
    """The sum of a count column of the units' values (0 without the column)."""
    if column not in values.columns:
        return 0
    return int(pd.to_numeric(values[column]).fillna(0).sum())


def _detail_legend(
    settings: Settings, text: Text, options: MapOptions, radius_m: float | None
) -> str:
    low, high = settings.grid_households_min, settings.grid_households_max
    items = [LegendItem(text(f"grids.status.{s}"), fill=c) for s, c in STATUS_COLOURS.items()]
    items += [
        LegendItem(
            text("grids.legend.out_of_range", low=low, high=high), outline=OUT_OF_RANGE_LINE
        ),
        LegendItem(text("grids.legend.gap"), fill=GAP_COLOUR),
        LegendItem(text("grids.legend.overlap"), fill=OVERLAP_COLOUR),
        LegendItem(
            text("map.legend.outline", level=text("level.community")), outline=options.theme.outline
        ),
        LegendItem(text("map.legend.facility"), fill=FACILITY_COLOUR),
    ]
    if radius_m is not None:
        radius = formatting.integer(radius_m)
        items.append(LegendItem(text("map.legend.walk_circle", radius=radius), outline=REACH_LINE))
    return legend_html(text("grids.legend.status"), items)
