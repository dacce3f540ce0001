"""The dashboard's colours, one meaning each, the same on every page, chart, card and map.

Red is worse than the standard or target, amber close to it, green meets it; blue and grey
carry no judgement (a series, a count, the scope itself). Nothing else is red or green.
"""

from __future__ import annotations

BELOW = "#c62828"  # worse than the standard or target
CLOSE = "#ef8f00"  # within the close ratio of it (setting close_ratio)
MEETS = "#2e7d32"  # meets it
NEUTRAL = "#3d7ab8"  # a value without judgement
MUTED = "#90a4ae"  # the scope's own value, a baseline, a second series
LIGHT = "#cfd8dc"  # a background bar (e.g. the required headcount)
REFERENCE = "#37474f"  # a standard or reference line
STATUS = {"meets": MEETS, "close": CLOSE, "below": BELOW}
# Traces without a meaning of their own: never red or green, so that no series reads as a verdict.
SERIES = [NEUTRAL, MUTED, "#6a51a3", "#00838f", "#8d6e63", "#5c6bc0"]


def rgba(colour: str, alpha: int = 255) -> list[int]:
    """A #rrggbb colour as the [r, g, b, a] list pydeck wants."""
    value = colour.lstrip("#")
    return [int(value[i : i + 2], 16) for i in (0, 2, 4)] + [alpha]
