"""Geometry for drawing: simplified and shifted polygons, the view that fits them, label places.

Pure functions of coordinates (no Streamlit, no pydeck layers): dashboard/map_data.py uses them
to prepare a scope's shapes, dashboard/map_layers.py to place names without overlaps.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely

from dashboard.coordinates import shift_xy

# Shared with the outlines stored at write time (data_access/outlines.py); re-exported.
from data_access.outlines import MAP_WIDTH_PX as MAP_WIDTH_PX
from data_access.outlines import coordinate_decimals as coordinate_decimals
from data_access.outlines import simplify_tolerance as simplify_tolerance

MAP_HEIGHT_PX = 560  # MAP_WIDTH_PX: 900, the width the stored outlines are simplified for
# The profile's map beside its grid list: as tall as this, and as wide as its column, which is
# about 330 px in a 1024-pixel window with the sidebar open. Its view is fitted to the narrowest
# column, so that the community's outline is whole at every width (wider shows more around it).
PROFILE_MAP_HEIGHT_PX = MAP_HEIGHT_PX * 2 // 3
PROFILE_MAP_NARROWEST_PX = 320


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


def stored_polygon_rows(
    frame: pd.DataFrame, coordinate_system: str, columns: Sequence[str] = ("code", "name")
) -> pd.DataFrame:
    """Rows of stored outlines (decimals, outline: the coordinates of a MultiPolygon as JSON,
    data_access/outlines.py) as `columns` and one row per polygon with `polygon` (rings of
    [lon, lat]), shifted into the basemap's coordinate system."""
    owners, polygons = [], []
    for index, (decimals, outline) in enumerate(
        zip(frame["decimals"], frame["outline"], strict=True)
    ):
        for polygon in json.loads(outline):
            if coordinate_system != "wgs84":
                polygon = [
                    np.round(
                        shift_xy(np.asarray(ring, dtype=float), coordinate_system), int(decimals)
                    ).tolist()
                    for ring in polygon
                ]
            owners.append(index)
            polygons.append(polygon)
    rows = frame.iloc[owners][list(columns)].reset_index(drop=True)
    rows["polygon"] = pd.Series(polygons, dtype=object)
    return rows


def stored_label_points(frame: pd.DataFrame, coordinate_system: str) -> pd.DataFrame:
    """code, name, lon, lat, area of the label places of stored outlines (label_lon, label_lat)."""
    if frame.empty:
        return pd.DataFrame(columns=["code", "name", "lon", "lat", "area"])
    points = frame[["label_lon", "label_lat"]].to_numpy(dtype=float)
    points = np.round(shift_xy(points, coordinate_system), 6)
    return pd.DataFrame(
        {
            "code": frame["code"].to_numpy(),
            "name": frame["name"].to_numpy(),
            "lon": points[:, 0],
            "lat": points[:, 1],
            "area": frame["area"].to_numpy(dtype=float),
        }
    )


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


# --- label places -----------------------------------------------------------------------------


def label_points(frame: pd.DataFrame, coordinate_system: str) -> pd.DataFrame:
    """code, name, lon, lat of a point inside each shape of frame (code, name, geometry), and its area.

    The point is on the surface, so that a crescent-shaped unit is not named outside itself; the
    area (square degrees) orders labels from the largest unit down.
    """
    present = frame[~shapely.is_missing(frame["geometry"].to_numpy())]
    if present.empty:
        return pd.DataFrame(columns=["code", "name", "lon", "lat", "area"])
    shapes = present["geometry"].to_numpy()
    points = shapely.get_coordinates(shapely.point_on_surface(shapes))
    points = np.round(shift_xy(points, coordinate_system), 6)
    return pd.DataFrame(
        {
            "code": present["code"].to_numpy(),
            "name": present["name"].to_numpy(),
            "lon": points[:, 0],
            "lat": points[:, 1],
            "area": shapely.area(shapes),
        }
    )


def text_width_px(text: str, size_px: float) -> float:
    """Width of a line of text: CJK characters are square, others about 0.6 of the size."""
    return sum(size_px if ord(char) >= 0x2E80 else 0.6 * size_px for char in text)


def screen_xy(lon: np.ndarray, lat: np.ndarray, view: pdk.ViewState) -> np.ndarray:
    """Pixel offsets of points from the view's centre (x right, y down), at the view's zoom."""
    world = 512 * 2**view.zoom
    x = (np.asarray(lon, dtype=float) - view.longitude) / 360 * world
    merc = np.log(np.tan(np.pi / 4 + np.radians(np.asarray(lat, dtype=float)) / 2))
    y = -(merc - _mercator_y(view.latitude)) / (2 * np.pi) * world
    return np.column_stack([x, y])


def uncluttered(
    centres: np.ndarray, sizes: Sequence[tuple[float, float]], margin_px: float = 4.0
) -> list[bool]:
    """Which labels to draw: each in order unless its box (centre, width × height) overlaps one kept."""
    kept: list[tuple[float, float, float, float]] = []
    keep = []
    for (x, y), (width, height) in zip(centres, sizes, strict=True):
        box = (x - width / 2, y - height / 2, x + width / 2, y + height / 2)
        clear = all(
            box[0] - margin_px >= other[2]
            or other[0] - margin_px >= box[2]
            or box[1] - margin_px >= other[3]
            or other[1] - margin_px >= box[3]
            for other in kept
        )
        if clear:
            kept.append(box)
        keep.append(clear)
    return keep
