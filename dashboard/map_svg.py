"""The grid map as an SVG drawing for the browser to draw without WebGL (pure, no Streamlit).

The same units, colours, outlines, names and legend as the deck of dashboard/grid_map.py, as
plain data for the map component of dashboard/map_view.py: pixel paths in a box of the map's
size, each with its fill, tooltip text and the code a click drills into. Without a graphics card
(virtual desktops, Chromium's software WebGL) deck.gl needs seconds to compile its shaders and
read its picture back; an SVG of a few hundred paths is drawn at once (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import numpy as np
import pydeck as pdk

from dashboard.grid_map import MapDrawing
from dashboard.map_geometry import screen_xy
from dashboard.map_style import FACILITY_COLOUR, GAP_COLOUR, GRID_LINE, OVERLAP_COLOUR, REACH_LINE

EARTH_CIRCUMFERENCE_M = 40_075_016.686
PIXEL_DECIMALS = 1  # a tenth of a pixel: finer than any screen draws


def svg_spec(drawing: MapDrawing) -> dict[str, object]:
    """The map component's data: width and height (px), groups of paths, circles and names.

    Every group is {"id", "fill", "stroke", "width", "pick", "shapes"}, each shape
    {"d", "fill"?, "stroke"?, "width"?, "tip"?, "drill"?}; colours are CSS rgba().
    """
    options, theme = drawing.options, drawing.options.theme
    w, h, view = options.width_px, options.height_px, drawing.view
    groups: list[dict[str, object]] = []
    circles: list[dict[str, object]] = []
    if drawing.detail:
        grids = [
            _shape(
                path,
                feature["tooltip"],
                feature["drill"],
                fill=css(feature["fill"]),
                stroke=css(feature["line"]) if feature["out_of_range"] else None,
                width=feature["line_width"] if feature["out_of_range"] else None,
            )
            for feature, path in zip(drawing.grids, _paths(drawing.grids, view, w, h), strict=True)
        ]
        groups.append(_group("grids", grids, stroke=css(GRID_LINE), width=1, pick=True))
        for name, colour, pieces in (
            ("gaps", GAP_COLOUR, drawing.gaps),
            ("overlaps", OVERLAP_COLOUR, drawing.overlaps),
        ):
            shapes = [
                _shape(path, feature["tooltip"], feature["drill"])
                for feature, path in zip(pieces, _paths(pieces, view, w, h), strict=True)
            ]
            groups.append(_group(name, shapes, fill=css(colour), pick=True))
        groups.append(_outline_group(drawing, w, h, 2.0))
        points = _points([f["position"] for f in drawing.facilities], view, w, h)
        if drawing.walk_radius_m is not None:
            radius = round(drawing.walk_radius_m / metres_per_pixel(view), PIXEL_DECIMALS)
            circles.append(
                {
                    "id": "walk_radius",
                    "stroke": css(REACH_LINE),
                    "width": 1,
                    "pick": False,
                    "items": [{"x": x, "y": y, "r": radius} for x, y in points],
                }
            )
        circles.append(
            {
                "id": "facilities",
                "fill": css(FACILITY_COLOUR),
                "stroke": "rgba(255,255,255,1.00)",
                "width": 1.5,
                "pick": True,
                "items": [
                    {"x": x, "y": y, "r": 5, "tip": f["tooltip"], "drill": f["drill"]}
                    for f, (x, y) in zip(drawing.facilities, points, strict=True)
                ],
            }
        )
    else:
        template = str((drawing.tooltip or {}).get("text", ""))
        units = [
            _shape(path, fill_template(template, f), f["code"], fill=css(f["fill"]))
            for f, path in zip(drawing.units, _paths(drawing.units, view, w, h), strict=True)
        ]
        groups.append(
            _group("units", units, stroke=css(theme.community_line), width=0.5, pick=True)
        )
        groups.append(_outline_group(drawing, w, h, 1.6))
    labels = [
        {"x": x, "y": y, "size": label["size"], "text": label["text"]}
        for label, (x, y) in zip(
            drawing.labels,
            _points([lab["position"] for lab in drawing.labels], view, w, h),
            strict=True,
        )
    ]
    return {
        "width": w,
        "height": h,
        "groups": groups,
        "circles": circles,
        "labels": labels,
        "label_colour": css(theme.label),
        "label_halo": css(theme.label_background),
        "font": theme.label_font,
    }


def still_markup(spec: dict[str, object]) -> str:
    """The map of `spec` as SVG markup: the first picture of the map, which the page shows under
    the map component until the component's script has drawn the same map over it
    (dashboard/map_view.py, docs/benchmarks.md). Paths, circles and names as the component draws
    them, without tooltips or clicks; every name and value is escaped, never markup."""
    width, height = spec["width"], spec["height"]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" preserveAspectRatio="xMidYMid meet" aria-hidden="true">'
    ]
    for group in _dicts(spec["groups"]):
        parts.append(_open_group(group, 'stroke-linejoin="round" fill-rule="evenodd"'))
        for shape in _dicts(group["shapes"]):
            attributes = _attributes(
                d=shape["d"], fill=shape.get("fill"), stroke=shape.get("stroke"),
                stroke_width=shape.get("width"), vector_effect="non-scaling-stroke",
            )  # fmt: skip
            parts.append(f"<path {attributes}/>")
        parts.append("</g>")
    for group in _dicts(spec["circles"]):
        parts.append(_open_group(group))
        for item in _dicts(group["items"]):
            attributes = _attributes(
                cx=item["x"], cy=item["y"], r=item["r"], vector_effect="non-scaling-stroke"
            )
            parts.append(f"<circle {attributes}/>")
        parts.append("</g>")
    names = _attributes(
        fill=spec["label_colour"], stroke=spec["label_halo"], font_weight=600,
        font_family=spec["font"], text_anchor="middle", dominant_baseline="central",
        paint_order="stroke", stroke_linejoin="round",
    )  # fmt: skip
    parts.append(f"<g {names}>")
    for label in _dicts(spec["labels"]):
        size = float(str(label["size"]))
        attributes = _attributes(
            x=label["x"], y=label["y"], font_size=_number(size), stroke_width=_number(size / 4)
        )
        parts.append(f"<text {attributes}>{escape(str(label['text']))}</text>")
    parts.append("</g></svg>")
    return "".join(parts)


def _dicts(value: object) -> list[dict]:
    return list(value) if isinstance(value, list) else []


def _open_group(group: dict, extra: str = "") -> str:
    attributes = _attributes(
        fill=group.get("fill") or "none",
        stroke=group.get("stroke") or "none",
        stroke_width=group.get("width") or 0,
    )
    return f"<g {attributes} {extra}>" if extra else f"<g {attributes}>"


def _attributes(**values: object) -> str:
    """SVG attributes (a_b written a-b), each value escaped; None left out."""
    return " ".join(
        f'{name.replace("_", "-")}="{escape(str(value), quote=True)}"'
        for name, value in values.items()
        if value is not None
    )


def fill_template(template: str, feature: dict) -> str:
    """The tooltip of one unit: deck.gl's {property} placeholders filled from its feature."""
    for key, value in feature.items():
        if isinstance(value, str):
            template = template.replace("{" + key + "}", value)
    return template


def css(colour: Sequence[int]) -> str:
    """RGBA (0–255, alpha too) as CSS rgba()."""
    alpha = colour[3] / 255 if len(colour) > 3 else 1.0
    return f"rgba({colour[0]},{colour[1]},{colour[2]},{alpha:.2f})"


def metres_per_pixel(view: pdk.ViewState) -> float:
    """Ground metres per screen pixel at the view's centre (Web Mercator, 512 px world at zoom 0)."""
    return EARTH_CIRCUMFERENCE_M * np.cos(np.radians(view.latitude)) / (512 * 2**view.zoom)


def path_data(polygon: list, view: pdk.ViewState, width_px: int, height_px: int) -> str:
    """One polygon (rings of [lon, lat]) as SVG path data in the map's pixels; rings closed."""
    return " ".join(_ring(ring, view, width_px, height_px) for ring in polygon if len(ring) >= 3)


def _ring(ring: list, view: pdk.ViewState, width_px: int, height_px: int) -> str:
    xy = np.asarray(ring, dtype=float)
    pixels = screen_xy(xy[:, 0], xy[:, 1], view) + np.array([width_px / 2, height_px / 2])
    pixels = np.round(pixels, PIXEL_DECIMALS)
    points = " ".join(f"{_number(x)},{_number(y)}" for x, y in pixels)
    return f"M{points}Z"


def _number(value: float) -> str:
    text = f"{value:.{PIXEL_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _paths(features: list[dict], view: pdk.ViewState, width_px: int, height_px: int) -> list[str]:
    return [path_data(f["polygon"], view, width_px, height_px) for f in features]


def _points(
    positions: list, view: pdk.ViewState, width_px: int, height_px: int
) -> list[tuple[float, float]]:
    if not positions:
        return []
    xy = np.asarray(positions, dtype=float)
    pixels = screen_xy(xy[:, 0], xy[:, 1], view) + np.array([width_px / 2, height_px / 2])
    return [(float(x), float(y)) for x, y in np.round(pixels, PIXEL_DECIMALS)]


def _shape(
    path: str,
    tip: str,
    drill: str | None,
    fill: str | None = None,
    stroke: str | None = None,
    width: float | None = None,
) -> dict[str, object]:
    shape: dict[str, object] = {"d": path, "tip": tip}
    if drill:
        shape["drill"] = drill
    for key, value in (("fill", fill), ("stroke", stroke), ("width", width)):
        if value is not None:
            shape[key] = value
    return shape


def _group(
    group_id: str,
    shapes: list[dict[str, object]],
    fill: str | None = None,
    stroke: str | None = None,
    width: float = 0,
    pick: bool = False,
) -> dict[str, object]:
    return {
        "id": group_id,
        "fill": fill,
        "stroke": stroke,
        "width": width,
        "pick": pick,
        "shapes": shapes,
    }


def _outline_group(drawing: MapDrawing, width_px: int, height_px: int, line_px: float) -> dict:
    shapes: list[dict[str, object]] = [
        {"d": path} for path in _paths(drawing.outlines, drawing.view, width_px, height_px) if path
    ]
    stroke = css(drawing.options.theme.outline)
    return _group("outlines", shapes, stroke=stroke, width=line_px)
