"""The grid map as pydeck layers and the deck: pure functions of prepared frames, no browser.

Every object handed to pydeck is a flat dict (deck.gl tooltips cannot read nested
properties) carrying its fill colour and a `tooltip` text in the UI language. Geometry comes
from dashboard/map_geometry.py, colours and legends from dashboard/map_style.py.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from dashboard import formatting, lights
from dashboard.basemap import basemap_options
from dashboard.map_geometry import (
    MAP_HEIGHT_PX,
    MAP_WIDTH_PX,
    screen_xy,
    text_width_px,
    uncluttered,
)
from dashboard.map_style import (
    FACILITY_COLOUR,
    GAP_COLOUR,
    GRID_LINE,
    LABEL_SIZES_PX,
    LIGHT,
    OUT_OF_RANGE_LINE,
    OVERLAP_COLOUR,
    REACH_LINE,
    STATUS_COLOURS,
    TOOLTIP,
    Classes,
    MapTheme,
    grid_status,
)
from data_access.catalog import Text
from data_access.settings import Settings


class CompactDeck(pdk.Deck):
    """A Deck whose JSON is compact: pydeck indents every number and escapes every Chinese character."""

    def to_json(self) -> str:
        return json.dumps(
            self,
            sort_keys=True,
            default=default_serialize,
            separators=(",", ":"),
            ensure_ascii=False,
        )


# --- feature lists ----------------------------------------------------------------------------


def community_features(
    polygons: pd.DataFrame,
    values: pd.DataFrame,
    metric: str,
    classes: Classes,
    language: str = "zh",
) -> list[dict]:
    """Units (communities, streets or districts) coloured by `metric`, with the texts of
    community_tooltip as flat properties.

    values: code and the metrics of each unit (missing ones are shown as —).
    """
    merged = polygons.merge(values, on="code", how="left", suffixes=("", "_value"))
    return [
        {
            "code": row["code"],
            "name": row["name"],
            "fill": classes.colour(row.get(metric)),
            "polygon": row["polygon"],
            "value_text": lights.marked(
                formatting.metric(metric, row.get(metric), language), classes.state(row.get(metric))
            ),
            "grids": formatting.count(row.get("grids"), language),
            "staffed": formatting.percent(row.get("staffed_rate")),
            "households": formatting.percent(row.get("household_coverage")),
            "spatial": formatting.percent(row.get("spatial_coverage")),
        }
        for row in merged.to_dict("records")
    ]


def community_tooltip(metric: str, text: Text) -> dict[str, object]:
    """One tooltip template in the UI language for every filled unit: sent once, filled by deck.gl."""
    lines = [
        text("grids.tip.title", name="{name}", code="{code}"),
        text("grids.tip.metric", metric=text(f"grids.metric.{metric}"), value="{value_text}"),
        text(
            "grids.tip.community",
            grids="{grids}",
            staffed="{staffed}",
            households="{households}",
            spatial="{spatial}",
        ),
    ]
    return {**TOOLTIP, "text": "\n".join(lines)}


def grid_features(
    polygons: pd.DataFrame, households_min: int, households_max: int, text: Text
) -> list[dict]:
    """Grids coloured by staffing status; general grids outside the household range outlined."""
    features = []
    for row in polygons.to_dict("records"):
        status = grid_status(row["staffed"], row["fulltime_staffed"])
        households: Any = row.get("households")  # a count, or None/NaN when unknown
        out_of_range = (
            row["kind"] == "general"
            and not formatting.is_missing(households)
            and not households_min <= households <= households_max
        )
        kind = text(f"grid_kind.{row['kind']}")
        branch = text("yes") if row["has_party_branch"] else text("no")
        lines = [
            text("grids.tip.title", name=row["name"], code=row["code"]),
            text("grids.tip.grid", kind=kind, households=formatting.integer(households)),
            text(f"grids.status.{status}"),
            text("grids.tip.party_branch", answer=branch),
        ]
        if out_of_range:
            lines.append(text("grids.tip.out_of_range", low=households_min, high=households_max))
        features.append(
            {
                "code": row["code"],
                "name": row["name"],
                "community_code": row["community_code"],
                "drill": row["community_code"],
                "kind": row["kind"],
                "households": None if formatting.is_missing(households) else int(households),
                "status": status,
                "out_of_range": bool(out_of_range),
                "fill": list(STATUS_COLOURS[status]),
                "line": list(OUT_OF_RANGE_LINE if out_of_range else GRID_LINE),
                "line_width": 4 if out_of_range else 1,
                "polygon": row["polygon"],
                "tooltip": "\n".join(lines),
            }
        )
    return features


def piece_features(
    polygons: pd.DataFrame, names: dict[str, str], kind: str, text: Text
) -> list[dict]:
    """Gaps (kind "gap") or overlaps ("overlap") of communities, with their area in m²."""
    features = []
    for row in polygons.to_dict("records"):
        community = row["community_code"]
        features.append(
            {
                "community_code": community,
                "drill": community,
                "area_m2": round(float(row["area_m2"]), 1),
                "polygon": row["polygon"],
                "tooltip": text(
                    f"grids.tip.{kind}",
                    community=names.get(community, community),
                    area=formatting.integer(row["area_m2"]),
                ),
            }
        )
    return features


def facility_features(facilities: pd.DataFrame, text: Text) -> list[dict]:
    """Facilities as points (lon/lat already in the basemap's coordinate system)."""
    return [
        {
            "code": row["code"],
            "name": row["name"],
            "kind": row["kind"],
            "drill": row["community_code"],
            "position": [round(float(row["lon"]), 6), round(float(row["lat"]), 6)],
            "tooltip": row["name"] + "\n" + text(f"facility.{row['kind']}"),
        }
        for row in facilities.to_dict("records")
    ]


def outline_features(polygons: pd.DataFrame) -> list[dict]:
    """Unit outlines (no fill): name and rings."""
    return [{"name": row["name"], "polygon": row["polygon"]} for row in polygons.to_dict("records")]


# --- layers and the deck ----------------------------------------------------------------------


def polygon_layer(layer_id: str, data: list[dict], **props: object) -> pdk.Layer:
    return pdk.Layer("PolygonLayer", data=data, id=layer_id, get_polygon="polygon", **props)


def choropleth_layers(
    units: list[dict], outlines: list[dict], theme: MapTheme = LIGHT
) -> list[pdk.Layer]:
    """City and district scope: units (streets, districts or communities) filled by class, the
    units of the level above them outlined."""
    return [
        polygon_layer(
            "units",
            units,
            get_fill_color="fill",
            get_line_color=list(theme.community_line),
            line_width_min_pixels=0.5,
            stroked=True,
            pickable=True,
            auto_highlight=True,
        ),
        polygon_layer(
            "outlines",
            outlines,
            filled=False,
            stroked=True,
            get_line_color=list(theme.outline),
            line_width_min_pixels=1.6,
        ),
    ]


def grid_layers(
    grids: list[dict],
    outlines: list[dict],
    gaps: list[dict],
    overlaps: list[dict],
    facilities: list[dict],
    walk_radius_m: float | None,
    theme: MapTheme = LIGHT,
) -> list[pdk.Layer]:
    """Street and community scope: grids by status, gaps, overlaps, facilities and, when
    walk_radius_m is given, the walking circle around each facility."""
    layers = [
        polygon_layer(
            "grids",
            grids,
            get_fill_color="fill",
            get_line_color="line",
            get_line_width="line_width",
            line_width_units=pdk.types.String("pixels"),
            stroked=True,
            pickable=True,
            auto_highlight=True,
        ),
        polygon_layer("gaps", gaps, get_fill_color=list(GAP_COLOUR), stroked=False, pickable=True),
        polygon_layer(
            "overlaps", overlaps, get_fill_color=list(OVERLAP_COLOUR), stroked=False, pickable=True
        ),
        polygon_layer(
            "outlines",
            outlines,
            filled=False,
            stroked=True,
            get_line_color=list(theme.outline),
            line_width_min_pixels=2,
        ),
    ]
    if walk_radius_m is not None:
        layers.append(
            pdk.Layer(
                "ScatterplotLayer",
                data=facilities,
                id="walk_radius",
                get_position="position",
                get_radius=float(walk_radius_m),
                radius_units=pdk.types.String("meters"),
                get_line_color=list(REACH_LINE),
                line_width_min_pixels=1,
                stroked=True,
                # Unfilled: a street's circles overlap many times and fills would hide the grids.
                filled=False,
            )
        )
    layers.append(
        pdk.Layer(
            "ScatterplotLayer",
            data=facilities,
            id="facilities",
            get_position="position",
            get_radius=5,
            radius_units=pdk.types.String("pixels"),
            get_fill_color=list(FACILITY_COLOUR),
            get_line_color=[255, 255, 255, 255],
            line_width_min_pixels=1.5,
            stroked=True,
            pickable=True,
        )
    )
    return layers


def label_features(
    labels: pd.DataFrame,
    view: pdk.ViewState,
    text: Text,
    width_px: int = MAP_WIDTH_PX,
    height_px: int = MAP_HEIGHT_PX,
    scale: float = 1.0,
) -> list[dict]:
    """The names to draw at the view: the scope's units first, largest first, then the level
    below where there is room; a name that would overlap one already placed is left out.

    labels: code, name, level, rank ("primary" or "secondary"), lon, lat, area.
    """
    if labels.empty:
        return []
    ordered = labels.assign(order=labels["rank"].map({"primary": 0, "secondary": 1})).sort_values(
        ["order", "area", "code"], ascending=[True, False, True]
    )
    texts = [_label_text(row, text) for row in ordered.to_dict("records")]
    sizes_px = [LABEL_SIZES_PX[rank] * scale for rank in ordered["rank"]]
    centres = screen_xy(ordered["lon"].to_numpy(), ordered["lat"].to_numpy(), view)
    boxes = [
        (text_width_px(label, size) + 6, size * 1.3)
        for label, size in zip(texts, sizes_px, strict=True)
    ]
    inside = (np.abs(centres[:, 0]) < width_px / 2) & (np.abs(centres[:, 1]) < height_px / 2)
    keep = uncluttered(centres, boxes)
    return [
        {
            "code": row["code"],
            "text": label,
            "rank": row["rank"],
            "size": round(size, 1),
            "position": [float(row["lon"]), float(row["lat"])],
        }
        for row, label, size, shown, visible in zip(
            ordered.to_dict("records"), texts, sizes_px, keep, inside, strict=True
        )
        if shown and visible
    ]


def _label_text(row: dict, text: Text) -> str:
    """A unit's own name; a grid by its number within the community, in the UI language."""
    if row["level"] == "grid":
        return text("map.label.grid", n=int(str(row["code"])[-3:]))
    return str(row["name"])


def label_layer(labels: list[dict], theme: MapTheme = LIGHT) -> pdk.Layer:
    """The names, in a system CJK font; deck.gl draws only the characters of its character set,
    so the set is exactly the characters used."""
    characters = "".join(sorted({char for label in labels for char in label["text"]}))
    return pdk.Layer(
        "TextLayer",
        data=labels,
        id="labels",
        get_position="position",
        get_text="text",
        get_size="size",
        size_units=pdk.types.String("pixels"),
        get_color=list(theme.label),
        font_family=pdk.types.String(theme.label_font),
        font_weight=600,
        character_set=pdk.types.String(characters),
        background=True,
        get_background_color=list(theme.label_background),
        background_padding=[3, 1, 3, 1],
        get_text_anchor=pdk.types.String("middle"),
        get_alignment_baseline=pdk.types.String("center"),
        pickable=False,
    )


def build_deck(
    layers: list[pdk.Layer],
    view: pdk.ViewState,
    settings: Settings,
    tooltip: dict[str, object] | None = None,
    language: str = "zh",
) -> CompactDeck:
    """The deck; the default tooltip shows each object's own `tooltip` text."""
    return CompactDeck(
        layers=layers,
        initial_view_state=view,
        tooltip=tooltip or TOOLTIP,
        **basemap_options(settings.basemap, settings.tianditu_key, language),
    )
