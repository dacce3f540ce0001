"""The dashboard's colours, one meaning each, the same on every page, chart, card and map.

The traffic light (data_access/lights.py) has three colours that colour-blind readers also tell
apart (teal, orange, dark red: apart under deuteranopia, protanopia and tritanopia), and every
lit value carries its mark besides (dashboard/lights.py), so that no state is told by colour
alone. Blue and grey carry no judgement (a series, a count, the scope itself). Nothing else is
teal, orange or red.
"""

from __future__ import annotations

BELOW = "#a50f15"  # worse than the close share of the standard or target
CLOSE = "#e69f00"  # within the close ratio of it (setting close_ratio)
MEETS = "#0f8b8d"  # meets it
NEUTRAL = "#3d7ab8"  # a value without judgement
MUTED = "#90a4ae"  # the scope's own value, a baseline, a second series
LIGHT = "#cfd8dc"  # a background bar (e.g. the required headcount)
REFERENCE = "#37474f"  # a standard or reference line
STATUS = {"meets": MEETS, "close": CLOSE, "below": BELOW}
# The same states on the wall screen's dark background: brighter, as far apart.
STATUS_ON_DARK = {"meets": "#4dd0c8", "close": "#ffb020", "below": "#f25c54"}
# Traces without a meaning of their own: never a light's colour, so that no series reads as a verdict.
SERIES = [NEUTRAL, MUTED, "#6a51a3", "#b07aa1", "#8d6e63", "#5c6bc0"]
# A sequential ramp for a measure without a standard or target (light to dark blue, no verdict).
SEQUENTIAL = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"]


def rgba(colour: str, alpha: int = 255) -> list[int]:
    """A #rrggbb colour as the [r, g, b, a] list pydeck wants."""
    value = colour.lstrip("#")
    return [int(value[i : i + 2], 16) for i in (0, 2, 4)] + [alpha]
