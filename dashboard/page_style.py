"""The app's own CSS on every page: cards and labels that fit a narrow window (docs/formatting.md)."""

from __future__ import annotations

import streamlit as st

# The main column is a size container, so that the cards follow its width (the sidebar open or
# closed), not the window's: below NARROW_MAIN_REM, two cards a row instead of four, so that a
# value as long as 3,849,008 fits its card. On screen only: reports are laid out by report.py.
NARROW_MAIN_REM = 56
KPI_ROW = '[data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [class*="st-key-kpi-"])'
PAGE_CSS = (
    "<style>"
    '[data-testid="stMainBlockContainer"] {container-type: inline-size;}'
    # A card's label and comparison wrap instead of ending in "…"; its value is never cut.
    '[data-testid="stMetricLabel"] .stMarkdownEllipsis, [data-testid="stMetricLabel"] p,'
    '[data-testid="stMetricDeltaDescription"] .stMarkdownEllipsis,'
    '[data-testid="stMetricDeltaDescription"] p'
    " {white-space: normal; overflow: visible; text-overflow: clip;}"
    '[data-testid="stMetricValue"] p {white-space: nowrap; overflow: visible; text-overflow: clip;}'
    "@media screen {"
    f"@container (max-width: {NARROW_MAIN_REM}rem) {{"
    f"{KPI_ROW} {{flex-wrap: wrap;}}"
    f'{KPI_ROW} > [data-testid="stColumn"]'
    " {flex: 1 1 calc(50% - 1rem) !important; min-width: calc(50% - 1rem) !important;}"
    "}}"
    "</style>"
)


def page_style() -> None:
    """The app's CSS (fixed text, no data in it), drawn once per run by app.py."""
    st.html(PAGE_CSS)
