"""How the map looks: colours, metric classes, label sizes, tooltip style and legends (no pydeck).

Every colour is RGBA as deck.gl takes it; numbers are written by dashboard/formatting.py.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import SupportsFloat, cast

import numpy as np

from dashboard import formatting, lights, palette
from data_access.lights import Light, LightRule, rule_of
from data_access.settings import Settings

Colour = list[int]

MISSING_COLOUR: Colour = [189, 195, 199, 200]
# The colours of the pages (dashboard/palette.py): green meets, amber close, red worse.
STATUS_COLOURS: dict[str, Colour] = {
    "fulltime": palette.rgba(palette.MEETS, 190),
    "parttime": palette.rgba(palette.CLOSE, 190),
    "unstaffed": palette.rgba(palette.BELOW, 200),
}
OUT_OF_RANGE_LINE: Colour = [108, 52, 131, 255]
GRID_LINE: Colour = [255, 255, 255, 230]
GAP_COLOUR: Colour = [52, 73, 94, 210]
OVERLAP_COLOUR: Colour = [232, 67, 147, 210]
FACILITY_COLOUR: Colour = [41, 128, 185, 255]
REACH_LINE: Colour = [41, 128, 185, 110]
# A measure without a standard or target: five classes of a blue ramp, which judges nothing.
RAMP: list[Colour] = [palette.rgba(colour, 210) for colour in palette.SEQUENTIAL]
RATE_BREAKS = (0.8, 0.9, 0.95, 0.99)
# A measure with one: the three lights (data_access/lights.py), worst first.
LIT_ORDER: tuple[Light, ...] = ("below", "close", "meets")
NUMBER_METRICS = ("per_10k", "premises")  # not rates
MAP_METRICS = (
    "staffed_rate",
    "household_coverage",
    "per_10k",
    "spatial_coverage",
    "service_reach",
    "premises",
)
# Names on the map: the units of the scope larger, the level below smaller.
LABEL_SIZES_PX = {"primary": 16, "secondary": 12}
# System fonts with CJK glyphs (nothing is downloaded): Linux, Windows, macOS.
LABEL_FONT = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
)


@dataclass(frozen=True)
class MapTheme:
    """The colours that depend on the page's background: lines and names."""

    outline: tuple[int, ...]
    community_line: tuple[int, ...]
    label: tuple[int, ...]
    label_background: tuple[int, ...]
    label_font: str = LABEL_FONT
    dark: bool = False  # a dark background: the lights' brighter colours


LIGHT = MapTheme(
    outline=(44, 62, 80, 255),
    community_line=(255, 255, 255, 200),
    label=(20, 30, 45, 255),
    label_background=(255, 255, 255, 190),
)
# The wall screen: light lines and names on a dark background.
DARK = MapTheme(
    outline=(230, 238, 245, 255),
    community_line=(11, 23, 38, 220),
    label=(245, 248, 250, 255),
    label_background=(11, 23, 38, 180),
    dark=True,
)
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


@dataclass(frozen=True)
class Classes:
    """Class breaks of a metric, low to high, and the colour of each class; with a `rule`, the
    classes are the three lights of data_access/lights.py (below, close, meets)."""

    breaks: tuple[float, ...]
    colours: tuple[tuple[int, ...], ...]
    percent: bool
    rule: LightRule | None = None

    def colour(self, value: object) -> Colour:
        if formatting.is_missing(value):
            return list(MISSING_COLOUR)
        state = self.state(value)
        if state is not None:  # the rule itself decides, as on every card, bar and cell
            return list(self.colours[LIT_ORDER.index(state)])
        number = float(cast(SupportsFloat, value))
        return list(
            self.colours[int(np.searchsorted(np.asarray(self.breaks), number, side="right"))]
        )

    def state(self, value: object) -> Light | None:
        """The value's light; None without a rule or a value."""
        return None if self.rule is None else self.rule.of(value)

    def labels(self) -> list[str]:
        """< a, a–b, …, ≥ z in the metric's unit."""
        shown = [self.number(b) for b in self.breaks]
        return (
            [f"< {shown[0]}"]
            + [f"{low}–{high}" for low, high in itertools.pairwise(shown)]
            + [f"≥ {shown[-1]}"]
        )

    def number(self, value: float) -> str:
        if self.percent:
            whole = abs(value * 100 - round(value * 100)) < 1e-9
            return formatting.percent(value, 0 if whole else 1)
        return formatting.decimal(value, formatting.METRIC_DECIMALS["per_10k"])


def metric_classes(metric: str, settings: Settings, dark: bool = False) -> Classes:
    """A metric with a standard or target (per 10,000, premises, the staffed-grid rate, household
    and spatial coverage) in the three lights against it; one without (service reach) in five
    blue classes (< 80 % … ≥ 99 %). `dark`: the wall screen's colours."""
    percent = metric not in NUMBER_METRICS
    rule = rule_of(metric, settings)
    if rule is None:
        return Classes(RATE_BREAKS, tuple(tuple(c) for c in RAMP), percent=percent)
    colours = tuple(tuple(palette.rgba(lights.colour(s, dark), 210)) for s in LIT_ORDER)
    return Classes((rule.close_from, rule.target), colours, percent=percent, rule=rule)


def legend_items(classes: Classes, text: Callable[..., str]) -> list[LegendItem]:
    """The map legend's classes, worst first; lit classes named with their mark and word."""
    if classes.rule is None:
        return [
            LegendItem(label, fill=colour)
            for colour, label in zip(classes.colours, classes.labels(), strict=True)
        ]
    named = dict(lights.rule_entries(classes.rule, text, classes.number))
    return [
        LegendItem(named[state], fill=colour)
        for state, colour in zip(LIT_ORDER, classes.colours, strict=True)
    ]


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
