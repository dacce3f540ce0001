"""The wall screen (大屏): its tiles, alert pages, ranking and sparklines (pure, no Streamlit).

Made for 1920×1080 seen from five metres: large type, light on dark, nothing to scroll. Every
data value that goes into HTML is escaped here.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from dashboard import formatting
from dashboard.map_style import Classes

SCREEN_WIDTH_PX, SCREEN_HEIGHT_PX = 1920, 1080
MAP_WIDTH_PX, MAP_HEIGHT_PX = 880, 720
PANEL_HEIGHT_PX = 790
BACKGROUND = "#0b1726"
PANEL = "#13243a"
TEXT = "#e8eef5"
MUTED = "#9fb3c8"
# Brighter than the cards' colours of the other pages: they must carry on a dark wall.
STATUS_COLOURS = {"meets": "#3ccf6e", "close": "#ffb020", "below": "#ff5a4f"}
ALERTS_PER_PAGE = 9


@dataclass(frozen=True)
class Tile:
    """One headline figure: its label, value, the standard it is held to and how it stands."""

    key: str
    label: str
    value: str
    standard: str  # e.g. "标准 18.0" or "目标 100.0%"
    status: str | None  # meets, close, below; None: not judged


@dataclass(frozen=True)
class Alert:
    kind: str  # far_below, rebound, unstaffed
    place: str  # the unit's name
    detail: str  # what is wrong, in the UI language


def rotation_code(codes: Sequence[str | None], now_s: float, seconds: int) -> str | None:
    """The unit shown at time now_s when the screen turns through codes every `seconds`.

    Taken from the clock, not from a counter, so a refresh or a second screen never loses its place.
    """
    if not codes:
        return None
    return codes[int(now_s // max(seconds, 1)) % len(codes)]


def alert_page(
    alerts: Sequence[Alert], now_s: float, seconds: int, per_page: int = ALERTS_PER_PAGE
) -> tuple[list[Alert], int, int]:
    """The page of alerts to show at now_s, its number (from 1) and the number of pages."""
    pages = max(1, -(-len(alerts) // per_page))
    index = int(now_s // max(seconds, 1)) % pages
    return list(alerts[index * per_page : (index + 1) * per_page]), index + 1, pages


def tiles_html(tiles: Sequence[Tile], status_words: dict[str, str]) -> str:
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


def header_html(scope: str, date_line: str, refreshed: str) -> str:
    return (
        '<div class="screen-header">'
        f'<span class="screen-scope">{html.escape(scope)}</span>'
        f'<span class="screen-date">{html.escape(date_line)}</span>'
        f'<span class="screen-refreshed">{html.escape(refreshed)}</span>'
        "</div>"
    )


def alerts_html(title: str, alerts: Sequence[Alert], kinds: dict[str, str], page: str) -> str:
    rows = "".join(
        f'<div class="screen-alert screen-alert-{html.escape(a.kind)}">'
        f'<span class="screen-alert-kind">{html.escape(kinds[a.kind])}</span>'
        f'<span class="screen-alert-place">{html.escape(a.place)}</span>'
        f'<span class="screen-alert-detail">{html.escape(a.detail)}</span></div>'
        for a in alerts
    )
    return (
        f'<div class="screen-panel-title">{html.escape(title)}'
        f'<span class="screen-page">{html.escape(page)}</span></div>'
        f'<div class="screen-alerts">{rows}</div>'
    )


def panel_title_html(title: str) -> str:
    return f'<div class="screen-panel-title">{html.escape(title)}</div>'


def ranking_html(
    frame: pd.DataFrame, metric: str, classes: Classes, language: str, height_px: int
) -> str:
    """The child units best first, each bar in its class colour and labelled with its value.

    frame: name and the metric's column. Plain HTML, so that a 4K wall's scaling draws it sharp.
    """
    ranked = frame.dropna(subset=[metric]).sort_values(metric, ascending=False)
    top = float(ranked[metric].max()) if len(ranked) else 1.0
    rows = []
    for name, value in zip(ranked["name"], ranked[metric], strict=True):
        width = 0.0 if top <= 0 else max(float(value) / top * 100, 2.0)
        rows.append(
            '<div class="screen-rank">'
            f'<span class="screen-rank-name">{html.escape(str(name))}</span>'
            f'<span class="screen-rank-track"><span class="screen-rank-bar" style="width:{width:.1f}%;'
            f'background:{_rgba(classes.colour(value))}"></span></span>'
            f'<span class="screen-rank-value">{html.escape(formatting.metric(metric, value, language))}</span>'
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


SCREEN_CSS = f"""
<style>
.stApp, [data-testid="stMain"] {{ background: {BACKGROUND}; }}
[data-testid="stHeader"] {{ background: transparent; }}
[data-testid="stMainBlockContainer"] {{ padding: 0.5rem 2.6rem 0 3rem; max-width: 100%; }}
[data-testid="stMain"] [data-testid="stVerticalBlock"] {{ gap: 0.5rem; }}
[data-testid="stMain"] h1 {{ color: {TEXT}; font-size: 2rem; padding: 0; margin: 0;
  white-space: nowrap; }}
[data-testid="stMain"] [data-testid="stAlertContainer"] {{ padding: 0.3rem 0.7rem; }}
[data-testid="stMain"] [data-testid="stAlertContainer"] p {{ font-size: 1rem; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }}
[data-testid="stMain"] [data-testid="stCaptionContainer"] p {{ color: {MUTED}; }}
.screen-header {{ display: flex; gap: 2rem; align-items: baseline; color: {MUTED};
  font-size: 1.45rem; white-space: nowrap; overflow: hidden; }}
.screen-scope {{ color: {TEXT}; font-weight: 700; font-size: 2rem; }}
.screen-tiles {{ display: grid; grid-template-columns: repeat(6, 1fr); gap: 0.9rem; }}
.screen-tile {{ background: {PANEL}; border-top: 6px solid; border-radius: 6px;
  padding: 0.45rem 0.9rem 0.55rem 0.9rem; }}
.screen-tile-label {{ color: {MUTED}; font-size: 1.35rem; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }}
.screen-tile-value {{ font-size: 3.2rem; font-weight: 700; line-height: 1.15; }}
.screen-tile-standard {{ color: {MUTED}; font-size: 1.2rem; display: flex;
  justify-content: space-between; }}
.screen-tile-standard span {{ font-weight: 700; }}
.screen-panel-title {{ color: {TEXT}; font-size: 1.5rem; font-weight: 700;
  display: flex; justify-content: space-between; white-space: nowrap; }}
.screen-page {{ color: {MUTED}; font-weight: 400; font-size: 1.2rem; }}
.screen-alerts {{ display: flex; flex-direction: column; gap: 0.3rem; }}
.screen-alert {{ background: {PANEL}; border-left: 6px solid {STATUS_COLOURS["below"]};
  border-radius: 4px; padding: 0.2rem 0.6rem; display: grid;
  grid-template-columns: 7.2rem 1fr auto; gap: 0.6rem; font-size: 1.25rem; color: {TEXT};
  white-space: nowrap; overflow: hidden; }}
.screen-alert-rebound {{ border-left-color: {STATUS_COLOURS["close"]}; }}
.screen-alert-unstaffed {{ border-left-color: #5fb3ff; }}
.screen-alert-kind {{ color: {MUTED}; }}
.screen-alert-place {{ overflow: hidden; text-overflow: ellipsis; }}
.screen-legend div {{ color: {TEXT}; font-size: 1.05rem !important; }}
.screen-ranking {{ display: flex; flex-direction: column; justify-content: space-around; }}
.screen-rank {{ display: grid; grid-template-columns: 6.5rem 1fr 4.6rem; gap: 0.5rem;
  align-items: center; font-size: 1.3rem; color: {TEXT}; }}
.screen-rank-name {{ text-align: right; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }}
.screen-rank-track {{ height: 1.7rem; }}
.screen-rank-bar {{ display: block; height: 100%; border-radius: 3px; }}
.screen-rank-value {{ font-weight: 700; text-align: right; }}
.screen-sparks {{ display: flex; flex-direction: column; gap: 0.2rem; }}
.screen-spark-title {{ color: {TEXT}; font-size: 1.2rem; }}
.screen-spark {{ display: block; width: 100%; height: 78px; background: {PANEL}; border-radius: 4px; }}
/* A 4K wall shows the 1920-pixel layout twice as large. */
@media (min-width: 3000px) {{ [data-testid="stMain"] {{ zoom: 2; }} }}
@media (min-width: 2400px) and (max-width: 2999px) {{ [data-testid="stMain"] {{ zoom: 1.3333; }} }}
</style>
"""
