"""The grid map as pydeck layers: pure functions of prepared frames, testable without a browser.

Every object handed to pydeck is a flat dict (deck.gl tooltips cannot read nested
properties) carrying its fill colour and a `tooltip` text in the UI language.
"""

from __future__ import annotations

import html
import itertools
import json
import math
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
from pydeck.bindings.json_tools import default_serialize

from dashboard.coordinates import shift_xy
from data_access.settings import Settings

Text = Callable[..., str]  # t(key, **values) of dashboard.i18n, or translate bound to a language
Colour = list[int]

MISSING_COLOUR: Colour = [189, 195, 199, 200]
STATUS_COLOURS: dict[str, Colour] = {
    "fulltime": [39, 174, 96, 190],
    "parttime": [243, 156, 18, 190],
    "unstaffed": [192, 57, 43, 200],
}
OUT_OF_RANGE_LINE: Colour = [108, 52, 131, 255]
GRID_LINE: Colour = [255, 255, 255, 230]
GAP_COLOUR: Colour = [52, 73, 94, 210]
OVERLAP_COLOUR: Colour = [232, 67, 147, 210]
OUTLINE_COLOUR: Colour = [44, 62, 80, 255]
FACILITY_COLOUR: Colour = [41, 128, 185, 255]
REACH_LINE: Colour = [41, 128, 185, 110]
# Five classes from poor to good, red to green (ColorBrewer RdYlGn).
RAMP: list[Colour] = [
    [215, 48, 39, 210],
    [252, 141, 89, 210],
    [254, 224, 139, 210],
    [145, 207, 96, 210],
    [26, 152, 80, 210],
]
RATE_BREAKS = (0.8, 0.9, 0.95, 0.99)
PER_10K_FACTORS = (0.8, 1.0, 1.2)  # of the standard
MAP_METRICS = ("staffed_rate", "household_coverage", "per_10k", "spatial_coverage", "service_reach")
MAP_WIDTH_PX, MAP_HEIGHT_PX = 900, 560
TOOLTIP = {
    "text": "{tooltip}",
    "style": {
        "backgroundColor": "rgba(33, 47, 61, 0.92)",
        "color": "white",
        "fontSize": "13px",
        "lineHeight": "1.5",
        "whiteSpace": "pre-line",
    },
}


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


# --- geometry for drawing ---------------------------------------------------------------------


def simplify_tolerance(bounds: Sequence[float] | None) -> float:
    """Degrees below which detail is lost at the zoom that fits the extent (about half a pixel)."""
    if bounds is None:
        return 0.0
    extent = max(bounds[2] - bounds[0], bounds[3] - bounds[1])
    return extent / (2 * MAP_WIDTH_PX)


def coordinate_decimals(tolerance: float) -> int:
    """Decimals of a coordinate that keep a fifth of the tolerance: 4 (≈10 m) to 6 (≈0.1 m)."""
    if tolerance <= 0:
        return 6
    return int(min(6, max(4, math.ceil(-math.log10(tolerance / 5)))))


def polygon_rows(
    frame: pd.DataFrame, tolerance: float, coordinate_system: str, decimals: int
) -> pd.DataFrame:
    """frame's rows with a shapely `geometry`, one row per polygon part with `polygon` (rings of [lon, lat]).

    Geometry is simplified by tolerance (topology kept), shifted into the basemap's coordinate
    system and rounded; rows without geometry are dropped.
    """
    columns = [c for c in frame.columns if c != "geometry"]
    present = frame[~shapely.is_missing(frame["geometry"].to_numpy())]
    if present.empty:
        return pd.DataFrame(columns=[*columns, "polygon"])
    shapes = present["geometry"].to_numpy()
    if tolerance > 0:
        shapes = shapely.simplify(shapes, tolerance, preserve_topology=True)
    parts, owner = shapely.get_parts(shapes, return_index=True)
    keep = ~shapely.is_empty(parts) & (shapely.area(parts) > 0)
    parts, owner = parts[keep], owner[keep]
    rings, ring_owner = shapely.get_rings(parts, return_index=True)
    coords, coord_owner = shapely.get_coordinates(rings, return_index=True)
    coords = np.round(shift_xy(coords, coordinate_system), decimals)
    ring_coords = np.split(coords, np.flatnonzero(np.diff(coord_owner)) + 1) if len(coords) else []
    polygons: list[list] = [[] for _ in range(len(parts))]
    for part, ring in zip(ring_owner, ring_coords, strict=True):
        polygons[part].append(ring.tolist())
    rows = present.iloc[owner][columns].reset_index(drop=True)
    rows["polygon"] = pd.Series(polygons, dtype=object)
    return rows


def shifted_bounds(
    bounds: Sequence[float] | None, coordinate_system: str
) -> tuple[float, float, float, float] | None:
    if bounds is None:
        return None
    corners = shift_xy(
        np.array([[bounds[0], bounds[1]], [bounds[2], bounds[3]]], dtype=float), coordinate_system
    )
    return (
        float(corners[0, 0]),
        float(corners[0, 1]),
        float(corners[1, 0]),
        float(corners[1, 1]),
    )


def fit_view(
    bounds: Sequence[float] | None,
    width_px: int = MAP_WIDTH_PX,
    height_px: int = MAP_HEIGHT_PX,
    padding: float = 0.08,
) -> pdk.ViewState:
    """The centre and zoom that show the whole box (deck.gl: the world is 512 px wide at zoom 0)."""
    if bounds is None:
        return pdk.ViewState(longitude=114.3, latitude=30.6, zoom=9, pitch=0, bearing=0)
    min_lon, min_lat, max_lon, max_lat = bounds
    usable_w, usable_h = width_px * (1 - 2 * padding), height_px * (1 - 2 * padding)
    lon_span = max(max_lon - min_lon, 1e-6)
    y_span = max(abs(_mercator_y(max_lat) - _mercator_y(min_lat)), 1e-9)
    zoom_x = math.log2(usable_w * 360 / (512 * lon_span))
    zoom_y = math.log2(usable_h * 2 * math.pi / (512 * y_span))
    centre_lat = _mercator_lat((_mercator_y(min_lat) + _mercator_y(max_lat)) / 2)
    return pdk.ViewState(
        longitude=round((min_lon + max_lon) / 2, 6),
        latitude=round(centre_lat, 6),
        zoom=round(min(zoom_x, zoom_y, 18.0), 2),
        pitch=0,
        bearing=0,
    )


def _mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _mercator_lat(y: float) -> float:
    return math.degrees(2 * math.atan(math.exp(y)) - math.pi / 2)


# --- colours and legends ----------------------------------------------------------------------


@dataclass(frozen=True)
class Classes:
    """Class breaks of a metric, low to high, and the colour of each class."""

    breaks: tuple[float, ...]
    colours: tuple[tuple[int, ...], ...]
    percent: bool

    def colour(self, value: object) -> Colour:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return list(MISSING_COLOUR)
        return list(self.colours[int(np.searchsorted(self.breaks, float(value), side="right"))])

    def labels(self) -> list[str]:
        """< a, a–b, …, ≥ z in the metric's unit."""
        shown = [self._number(b) for b in self.breaks]
        return (
            [f"< {shown[0]}"]
            + [f"{low}–{high}" for low, high in itertools.pairwise(shown)]
            + [f"≥ {shown[-1]}"]
        )

    def _number(self, value: float) -> str:
        if self.percent:
            return f"{value * 100:g}%"
        return f"{value:.1f}".rstrip("0").rstrip(".")


def metric_classes(metric: str, standard_per_10k: float) -> Classes:
    """Rates in five classes (< 80 % … ≥ 99 %); per 10,000 in four around the standard."""
    if metric == "per_10k":
        breaks = tuple(round(f * standard_per_10k, 2) for f in PER_10K_FACTORS)
        colours = (RAMP[0], RAMP[1], RAMP[3], RAMP[4])
        return Classes(breaks, tuple(tuple(c) for c in colours), percent=False)
    return Classes(RATE_BREAKS, tuple(tuple(c) for c in RAMP), percent=True)


def grid_status(staffed: object, fulltime_staffed: object) -> str:
    """fulltime (a full-time grid worker), parttime (part-time only) or unstaffed."""
    if fulltime_staffed:
        return "fulltime"
    return "parttime" if staffed else "unstaffed"


@dataclass(frozen=True)
class LegendItem:
    label: str
    fill: Sequence[int] | None = None  # RGBA; None: no fill
    outline: Sequence[int] | None = None  # RGB(A) of a thick border; None: a thin grey one


def legend_html(title: str, items: Sequence[LegendItem]) -> str:
    """A legend line drawn by the page: a swatch per item and HTML-escaped labels."""
    cells = []
    for item in items:
        fill = "transparent" if item.fill is None else _css(item.fill)
        border = (
            "1px solid rgba(0,0,0,0.35)"
            if item.outline is None
            else f"3px solid {_css(item.outline)}"
        )
        cells.append(
            '<span style="display:inline-flex;align-items:center;margin-right:14px;white-space:nowrap">'
            f'<span style="display:inline-block;width:14px;height:14px;box-sizing:border-box;'
            f'background:{fill};border:{border};margin-right:5px;border-radius:2px"></span>'
            f"{html.escape(item.label)}</span>"
        )
    return (
        '<div style="font-size:0.9rem;line-height:1.9;margin:0.2rem 0">'
        f'<b style="margin-right:10px">{html.escape(title)}</b>{"".join(cells)}</div>'
    )


def _css(colour: Sequence[int]) -> str:
    alpha = colour[3] / 255 if len(colour) > 3 else 1.0
    return f"rgba({colour[0]},{colour[1]},{colour[2]},{alpha:.2f})"


# --- feature lists ----------------------------------------------------------------------------


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _pct(value: object) -> str:
    return "—" if _is_missing(value) else f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]


def _int(value: object) -> str:
    return "—" if _is_missing(value) else f"{round(float(value)):,}"  # type: ignore[arg-type]


def _dec(value: object) -> str:
    return "—" if _is_missing(value) else f"{float(value):.1f}"  # type: ignore[arg-type]


def format_metric(metric: str, value: object) -> str:
    return _dec(value) if metric == "per_10k" else _pct(value)


def community_features(
    polygons: pd.DataFrame, values: pd.DataFrame, metric: str, classes: Classes
) -> list[dict]:
    """Communities coloured by `metric`, with the texts of community_tooltip as flat properties.

    values: code and the metrics of each community (missing ones are shown as —).
    """
    merged = polygons.merge(values, on="code", how="left", suffixes=("", "_value"))
    return [
        {
            "code": row["code"],
            "name": row["name"],
            "fill": classes.colour(row.get(metric)),
            "polygon": row["polygon"],
            "value_text": format_metric(metric, row.get(metric)),
            "grids": _int(row.get("grids")),
            "staffed": _pct(row.get("staffed_rate")),
            "households": _pct(row.get("household_coverage")),
            "spatial": _pct(row.get("spatial_coverage")),
        }
        for row in merged.to_dict("records")
    ]


def community_tooltip(metric: str, text: Text) -> dict[str, object]:
    """One tooltip template in the UI language for every community: sent once, filled by deck.gl."""
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
        households = row.get("households")
        out_of_range = (
            row["kind"] == "general"
            and not _is_missing(households)
            and not households_min <= households <= households_max
        )
        kind = text(f"grid_kind.{row['kind']}")
        branch = text("yes") if row["has_party_branch"] else text("no")
        lines = [
            text("grids.tip.title", name=row["name"], code=row["code"]),
            text("grids.tip.grid", kind=kind, households=_int(households)),
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
                "households": None if _is_missing(households) else int(households),
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
                    area=_int(row["area_m2"]),
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


def choropleth_layers(communities: list[dict], outlines: list[dict]) -> list[pdk.Layer]:
    """City and district scope: communities filled by class, the child units outlined."""
    return [
        polygon_layer(
            "communities",
            communities,
            get_fill_color="fill",
            get_line_color=[255, 255, 255, 200],
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
            get_line_color=list(OUTLINE_COLOUR),
            line_width_min_pixels=1.6,
        ),
    ]


def grid_layers(
    grids: list[dict],
    outlines: list[dict],
    gaps: list[dict],
    overlaps: list[dict],
    facilities: list[dict],
    walk_radius_m: float,
) -> list[pdk.Layer]:
    """Street and community scope: grids by status, gaps, overlaps, facilities and their reach."""
    return [
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
            get_line_color=list(OUTLINE_COLOUR),
            line_width_min_pixels=2,
        ),
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
        ),
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
        ),
    ]


TIANDITU_TILES = (
    "https://t{server}.tianditu.gov.cn/DataServer?T={layer}_w&x={{x}}&y={{y}}&l={{z}}&tk={key}"
)
# 天地图's vector map, and its labels in the UI language (cva Chinese, eva English).
TIANDITU_LAYERS = {"zh": ("vec", "cva"), "en": ("vec", "eva")}


def xyz_style_url(*templates: str | list[str]) -> str:
    """A MapLibre style of raster XYZ sources drawn in order, as a data: URL (no style server needed).

    Each source is one URL template or a list of the same tiles on several servers.
    """
    sources, layers = {}, []
    for index, template in enumerate(templates):
        tiles = template if isinstance(template, list) else [template]
        sources[f"tiles{index}"] = {"type": "raster", "tiles": tiles, "tileSize": 256}
        layers.append({"id": f"tiles{index}", "type": "raster", "source": f"tiles{index}"})
    style = {"version": 8, "sources": sources, "layers": layers}
    return "data:application/json," + urllib.parse.quote(json.dumps(style, separators=(",", ":")))


def tianditu_tiles(layer: str, key: str) -> list[str]:
    """The XYZ templates of one 天地图 layer on its eight servers t0–t7."""
    quoted = urllib.parse.quote(key.strip(), safe="")
    return [TIANDITU_TILES.format(server=n, layer=layer, key=quoted) for n in range(8)]


def basemap_options(
    basemap: str, tianditu_key: str = "", language: str = "zh"
) -> dict[str, object]:
    """pydeck Deck arguments for the basemap setting: none, carto, tianditu or an XYZ URL template."""
    if basemap == "none":
        # No provider and pydeck's default style placeholder: Streamlit draws no basemap at all.
        return {"map_provider": None}
    if basemap == "carto":
        return {"map_provider": "carto", "map_style": "light"}
    if basemap == "tianditu":
        layers = TIANDITU_LAYERS.get(language, TIANDITU_LAYERS["zh"])
        style = xyz_style_url(*(tianditu_tiles(layer, tianditu_key) for layer in layers))
        return {"map_provider": "maplibre", "map_style": style}
    return {"map_provider": "maplibre", "map_style": xyz_style_url(basemap)}


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
        **basemap_options(settings.basemap, settings.tianditu_key, language),  # type: ignore[arg-type]
    )
