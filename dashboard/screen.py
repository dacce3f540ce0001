"""The wall screen (大屏): its tiles, alerts by street, ranking and sparklines (pure, no Streamlit).

Made for 1920×1080 seen from five metres: large type, light on dark, nothing to scroll. Every
data value that goes into HTML is escaped here.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from dashboard import formatting, lights, palette
from dashboard.map_style import LABEL_SIZES_PX, Classes

SCREEN_WIDTH_PX, SCREEN_HEIGHT_PX = 1920, 1080
# The smallest text on the wall, read from five metres (docs/operations.md, the wall screen).
MIN_TEXT_PX = 24
# The map's names scaled so that the smaller of its two sizes is MIN_TEXT_PX.
LABEL_SCALE = MIN_TEXT_PX / min(LABEL_SIZES_PX.values())
MAP_WIDTH_PX, MAP_HEIGHT_PX = 800, 660
PANEL_HEIGHT_PX = 720
BACKGROUND = "#0b1726"
PANEL = "#13243a"
TEXT = "#e8eef5"
MUTED = "#9fb3c8"
# The lights' colours for a dark wall (dashboard/palette.py), brighter than the other pages'.
STATUS_COLOURS = palette.STATUS_ON_DARK


@dataclass(frozen=True)
class Tile:
    """One headline figure: its label, value, the standard it is held to and how it stands."""

    key: str
    label: str
    value: str
    standard: str  # e.g. "标准 18.0" or "目标 100.0%"
    status: str | None  # meets, close, below; None: not judged


def rotation_code(codes: Sequence[str | None], now_s: float, seconds: int) -> str | None:
    """The unit shown at time now_s when the screen turns through codes every `seconds`.

    Taken from the clock, not from a counter, so a refresh or a second screen never loses its place.
    """
    if not codes:
        return None
    return codes[int(now_s // max(seconds, 1)) % len(codes)]


def tiles_html(tiles: Sequence[Tile], status_words: Mapping[str, str]) -> str:
    """The headline figures; status_words: each light's mark and word (dashboard/lights.py:tag)."""
    cells = []
    for tile in tiles:
        colour = STATUS_COLOURS.get(tile.status or "", MUTED)
        word = status_words.get(tile.status or "", "")
        cells.append(
            f'<div class="screen-tile" style="border-top-color:{colour}">'
            f'<div class="screen-tile-label">{html.escape(tile.label)}</div>'
            f'<div class="screen-tile-value" style="color:{colour}">{html.escape(tile.value)}</div>'
            f'<div class="screen-tile-standard">{html.escape(tile.standard)}'
            f'<span style="color:{colour}">{html.escape(word)}</span></div></div>'
        )
    return f'<div class="screen-tiles">{"".join(cells)}</div>'


def header_html(title: str, date_line: str, refreshed: str, flags: Sequence[str] = ()) -> str:
    """The title (the city's or the unit's name), the data date, the refresh time and short
    flags such as the demo label, in one line."""
    marks = "".join(f'<span class="screen-flag">{html.escape(flag)}</span>' for flag in flags)
    return (
        '<div class="screen-header">'
        f'<span class="screen-scope">{html.escape(title)}</span>'
        f'<span class="screen-date">{html.escape(date_line)}</span>'
        f'<span class="screen-refreshed">{html.escape(refreshed)}</span>{marks}'
        "</div>"
    )


def street_alerts_html(
    title: str,
    places: pd.DataFrame,
    totals: dict[str, int],
    kinds: dict[str, str],
    total_label: str,
    with_district: bool,
) -> str:
    """A table of the places with the most open alerts, a column per kind, the scope's totals on
    top. places: data_access/figures/screen.py:alerts_by_street; kinds: kind → its short label;
    with_district: put each street's district before it (the city's screen)."""
    head = "".join(
        f'<th class="screen-alert-count screen-alert-{html.escape(k)}">{html.escape(label)}</th>'
        for k, label in kinds.items()
    )
    total_cells = "".join(
        f'<td class="screen-alert-total screen-alert-total-{html.escape(k)}">'
        f"{formatting.integer(totals.get(k, 0))}</td>"
        for k in kinds
    )
    rows = []
    for row in places.to_dict("records"):
        place = str(row["name"])
        if with_district and row["district_name"]:
            place = f"{row['district_name']} {place}"
        cells = "".join(
            f'<td class="screen-alert-count">{formatting.integer(row[k]) if row[k] else "·"}</td>'
            for k in kinds
        )
        rows.append(
            f'<tr class="screen-alert"><td class="screen-alert-place">{html.escape(place)}</td>'
            f"{cells}</tr>"
        )
    return (
        f'<div class="screen-panel-title">{html.escape(title)}</div>'
        '<table class="screen-alerts">'
        f"<thead><tr><th></th>{head}</tr></thead>"
        f'<tbody><tr class="screen-alert-totals"><td class="screen-alert-place">'
        f"{html.escape(total_label)}</td>{total_cells}</tr>{''.join(rows)}</tbody></table>"
    )


def panel_title_html(title: str) -> str:
    return f'<div class="screen-panel-title">{html.escape(title)}</div>'


def ranking_html(
    frame: pd.DataFrame, metric: str, classes: Classes, language: str, height_px: int
) -> str:
    """The child units best first, each bar in its class colour and labelled with its value
    (and its light's mark, for a metric with a standard or target).

    frame: name and the metric's column. Plain HTML, so that a 4K wall's scaling draws it sharp.
    """
    ranked = frame.dropna(subset=[metric]).sort_values(metric, ascending=False)
    top = float(ranked[metric].max()) if len(ranked) else 1.0
    rows = []
    for name, value in zip(ranked["name"], ranked[metric], strict=True):
        written = lights.marked(formatting.metric(metric, value, language), classes.state(value))
        width = 0.0 if top <= 0 else max(float(value) / top * 100, 2.0)
        rows.append(
            '<div class="screen-rank">'
            f'<span class="screen-rank-name">{html.escape(str(name))}</span>'
            f'<span class="screen-rank-track"><span class="screen-rank-bar" style="width:{width:.1f}%;'
            f'background:{_rgba(classes.colour(value))}"></span></span>'
            f'<span class="screen-rank-value">{html.escape(written)}</span>'
            "</div>"
        )
    return f'<div class="screen-ranking" style="height:{height_px}px">{"".join(rows)}</div>'


def sparkline_svg(values: Sequence[float]) -> str:
    """A line and the area under it, stretched to its box (no axes: the title carries the figure)."""
    numbers = [float(v) for v in values if not formatting.is_missing(v)]
    if len(numbers) < 2:
        return '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 30"></svg>'
    low, high = min(0.0, min(numbers)), max(numbers)
    span = high - low or 1.0
    step = 100 / (len(numbers) - 1)
    points = " ".join(
        f"{n * step:.2f},{30 - (v - low) / span * 28:.2f}" for n, v in enumerate(numbers)
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 30" preserveAspectRatio="none">'
        f'<polygon points="0,30 {points} 100,30" fill="rgba(95,179,255,0.18)"/>'
        f'<polyline points="{points}" fill="none" stroke="#5fb3ff" stroke-width="2.5" '
        'vector-effect="non-scaling-stroke"/></svg>'
    )


def sparkline_img(values: Sequence[float]) -> str:
    """The sparkline as an image of inline SVG: st.html keeps images, not raw SVG elements."""
    encoded = base64.b64encode(sparkline_svg(values).encode()).decode()
    return f'<img class="screen-spark" alt="" src="data:image/svg+xml;base64,{encoded}"/>'


def sparklines_html(series: pd.DataFrame, titles: dict[str, str], months: int = 36) -> str:
    """One small line per burden category over the last `months` months, its title above it.

    series: category, period, value; titles: category → the line's title (with its reduction).
    """
    blocks = []
    for category, title in titles.items():
        one = series[series["category"] == category].sort_values("period").tail(months)
        blocks.append(
            f'<div class="screen-spark-title">{html.escape(title)}</div>'
            + sparkline_img(one["value"].tolist())
        )
    return f'<div class="screen-sparks">{"".join(blocks)}</div>'


def _rgba(colour: Sequence[int]) -> str:
    return f"rgba({colour[0]},{colour[1]},{colour[2]},1)"


# Every text at least MIN_TEXT_PX (1.5rem); Streamlit's own header, toolbar and sidebar handle
# are hidden: the wall shows no control (scope and metric come from the URL).
SCREEN_CSS = f"""
<style>
.stApp, [data-testid="stMain"] {{ background: {BACKGROUND}; }}
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stSidebar"],
[data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stDecoration"], [data-testid="stStatusWidget"],
[data-testid="stElementToolbar"] {{ display: none !important; }}
[data-testid="stMainBlockContainer"] {{ padding: 0.6rem 2.2rem 0 2.2rem; max-width: 100%; }}
[data-testid="stMain"] [data-testid="stVerticalBlock"] {{ gap: 0.5rem; }}
[data-testid="stMain"] [data-testid="stAlertContainer"] p {{ font-size: 1.5rem; }}
.screen-header {{ display: flex; gap: 2.2rem; align-items: baseline; color: {MUTED};
  font-size: 1.6rem; white-space: nowrap; overflow: hidden; }}
.screen-scope {{ color: {TEXT}; font-weight: 700; font-size: 2.6rem; }}
.screen-flag {{ margin-left: auto; color: {STATUS_COLOURS["close"]}; font-weight: 700; }}
.screen-flag ~ .screen-flag {{ margin-left: 0; }}
.screen-tiles {{ display: grid; grid-template-columns: repeat(6, 1fr); gap: 0.9rem; }}
.screen-tile {{ background: {PANEL}; border-top: 6px solid; border-radius: 6px;
  padding: 0.35rem 0.9rem 0.45rem 0.9rem; }}
.screen-tile-label {{ color: {MUTED}; font-size: 1.5rem; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }}
.screen-tile-value {{ font-size: 3.2rem; font-weight: 700; line-height: 1.1; }}
.screen-tile-standard {{ color: {MUTED}; font-size: 1.5rem; display: flex;
  justify-content: space-between; white-space: nowrap; }}
.screen-tile-standard span {{ font-weight: 700; }}
.screen-panel-title {{ color: {TEXT}; font-size: 1.6rem; font-weight: 700; line-height: 1.3; }}
.screen-alerts {{ width: 100%; border-collapse: separate; border-spacing: 0 0.25rem;
  font-size: 1.5rem; color: {TEXT}; table-layout: auto; margin: 0; }}
.screen-alerts th {{ color: {MUTED}; font-weight: 400; text-align: right; padding: 0 0.4rem;
  white-space: nowrap; border: none; }}
.screen-alerts td {{ background: {PANEL}; padding: 0.05rem 0.4rem; border: none;
  white-space: nowrap; text-align: right; line-height: 1.35; }}
.screen-alerts td.screen-alert-place {{ text-align: left; max-width: 15rem; overflow: hidden;
  text-overflow: ellipsis; border-left: 6px solid {STATUS_COLOURS["below"]}; }}
.screen-alert-totals td {{ font-weight: 700; background: transparent; }}
.screen-alert-totals td.screen-alert-place {{ border-left-color: transparent; }}
th.screen-alert-far_below {{ color: {STATUS_COLOURS["below"]}; }}
th.screen-alert-rebound {{ color: {STATUS_COLOURS["close"]}; }}
th.screen-alert-unstaffed {{ color: #5fb3ff; }}
th.screen-alert-premises {{ color: #c79bff; }}
.screen-legend div {{ color: {TEXT}; font-size: 1.5rem !important; line-height: 1.5 !important; }}
.screen-ranking {{ display: flex; flex-direction: column; justify-content: space-around; }}
.screen-rank {{ display: grid; grid-template-columns: 6.8rem 1fr 6.4rem; gap: 0.5rem;
  align-items: center; font-size: 1.5rem; color: {TEXT}; }}
.screen-rank-name {{ text-align: right; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }}
.screen-rank-track {{ height: 1.7rem; }}
.screen-rank-bar {{ display: block; height: 100%; border-radius: 3px; }}
.screen-rank-value {{ font-weight: 700; text-align: right; }}
.screen-sparks {{ display: flex; flex-direction: column; gap: 0.2rem; }}
.screen-spark-title {{ color: {TEXT}; font-size: 1.5rem; }}
.screen-spark {{ display: block; width: 100%; height: 40px; background: {PANEL}; border-radius: 4px; }}
/* A 4K wall shows the 1920-pixel layout twice as large. */
@media (min-width: 3000px) {{ [data-testid="stMain"] {{ zoom: 2; }} }}
@media (min-width: 2400px) and (max-width: 2999px) {{ [data-testid="stMain"] {{ zoom: 1.3333; }} }}
</style>
"""
