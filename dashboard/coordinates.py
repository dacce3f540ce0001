"""WGS-84 → GCJ-02, the offset coordinates that AMap and Tencent tiles are drawn in (docs/architecture.md §5).

The published GCJ-02 algorithm on the Krasovsky 1940 ellipsoid; points outside China's
bounding box are left as they are, as the Chinese providers do.
"""

from __future__ import annotations

import math

import numpy as np

KRASOVSKY_A = 6378245.0
KRASOVSKY_EE = 0.00669342162296594323
CHINA_LON = (72.004, 137.8347)
CHINA_LAT = (0.8293, 55.8271)


def _offset_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    pi = math.pi
    result = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    result += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    result += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    result += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    return result


def _offset_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    pi = math.pi
    result = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    result += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    result += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    result += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    return result


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 longitude and latitude of WGS-84 points (degrees; unchanged outside China)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    d_lat = _offset_lat(lon - 105.0, lat - 35.0)
    d_lon = _offset_lon(lon - 105.0, lat - 35.0)
    rad_lat = np.radians(lat)
    magic = 1 - KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = d_lat * 180.0 / ((KRASOVSKY_A * (1 - KRASOVSKY_EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = d_lon * 180.0 / (KRASOVSKY_A / sqrt_magic * np.cos(rad_lat) * math.pi)
    inside = (
        (lon >= CHINA_LON[0])
        & (lon <= CHINA_LON[1])
        & (lat >= CHINA_LAT[0])
        & (lat <= CHINA_LAT[1])
    )
    return np.where(inside, lon + d_lon, lon), np.where(inside, lat + d_lat, lat)


def shift_xy(xy: np.ndarray, coordinate_system: str) -> np.ndarray:
    """An (n, 2) array of WGS-84 lon/lat in the coordinate system of the basemap tiles."""
    if coordinate_system == "wgs84":
        return xy
    if coordinate_system != "gcj02":
        raise ValueError(f"unknown coordinate system: {coordinate_system!r}")
    lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])
