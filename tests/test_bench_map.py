"""The map benchmark's pixel detector (tools/bench_map.py) on pictures drawn here."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

from bench_map import blended, drawn_shares, map_colours, map_is_drawn

from dashboard.map_style import RAMP, STATUS_COLOURS


def _picture(fill: tuple[int, ...] | None, fill_share: float, name_px: int) -> np.ndarray:
    """A 200 × 100 white picture: a block of `fill` over `fill_share` of it, `name_px` pixels
    of the names' colour, and a dark outline of another colour around the block."""
    image = Image.new("RGB", (200, 100), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    if fill is not None:
        width = round(200 * fill_share)
        draw.rectangle([0, 0, width - 1, 99], fill=fill)
        draw.line([(width, 0), (width, 99)], fill=(44, 62, 80), width=2)  # the outline
    pixels = np.asarray(image).copy()
    pixels.reshape(-1, 3)[-name_px:] = (20, 30, 45) if name_px else pixels.reshape(-1, 3)[-1:]
    return pixels


def test_blending_over_the_page():
    assert blended([26, 150, 65, 210], (255, 255, 255)).tolist() == [
        66,
        169,
        99,
    ]  # 150 × 210/255 + 255 × 45/255 = 168.5
    assert blended([10, 20, 30], (255, 255, 255)).tolist() == [10, 20, 30]


def test_a_coloured_and_named_map_is_drawn_and_a_blank_or_unnamed_one_is_not():
    fills, name = map_colours("city")
    yellow = tuple(blended(RAMP[2], (255, 255, 255)).tolist())
    drawn = _picture(yellow, 0.25, 40)  # 25 % filled, 40 of 20,000 pixels of names
    assert drawn_shares(drawn, fills, name) == (0.25, 0.002)
    assert map_is_drawn(drawn, fills, name)
    assert not map_is_drawn(_picture(None, 0, 0), fills, name)  # the empty box before drawing
    assert not map_is_drawn(_picture(yellow, 0.25, 0), fills, name)  # colours, names not yet
    assert not map_is_drawn(_picture(yellow, 0.01, 40), fills, name)  # a sliver only
    # Close colours count (antialiasing), other colours do not: the outline's dark blue-grey
    # is not the names' colour.
    near = tuple(c + 10 for c in yellow)
    assert map_is_drawn(_picture(near, 0.25, 40), fills, name)
    assert not map_is_drawn(_picture((0, 0, 255), 0.5, 40), fills, name)


def test_the_street_map_is_recognised_by_the_grid_status_colours():
    fills, name = map_colours("street")
    unstaffed = tuple(blended(STATUS_COLOURS["unstaffed"], (255, 255, 255)).tolist())
    assert map_is_drawn(_picture(unstaffed, 0.3, 40), fills, name)
    city_fills, _ = map_colours("city")
    green = tuple(blended(STATUS_COLOURS["fulltime"], (255, 255, 255)).tolist())
    assert map_is_drawn(_picture(green, 0.3, 40), fills, name)
    assert drawn_shares(_picture(green, 0.3, 40), city_fills, name)[0] == 0.0  # 190 ≠ 210 alpha
