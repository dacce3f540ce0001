"""The map's background from the basemap setting: none (the default), XYZ tiles, 天地图 or CARTO.

See docs/operations.md, Basemap; with none, the map asks no host but the app for anything.
"""

from __future__ import annotations

import json
import urllib.parse

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
