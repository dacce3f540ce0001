"""Tables as shown and exported: English keys inside, translated headers and formats outside."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from dashboard.export import download_table
from dashboard.i18n import t

RATE_COLUMNS = {"share_meeting", "licensed_rate", "staffed_rate", "fulltime_staffed_rate"}
RATE_COLUMNS |= {
    "size_range_rate",
    "household_coverage",
    "party_branch_rate",
    "spatial_coverage",
    "service_reach",
}
DECIMAL_COLUMNS = {"per_10k": 2, "area_km2": 3}
TEXT_COLUMNS = {"code", "community_code", "name", "community_name"}


def for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """Rates as percentages and ratios rounded, under translated headers (for display and export)."""
    shown = frame.copy()
    for column in shown.columns:
        if column in RATE_COLUMNS:
            shown[column] = (shown[column].astype(float) * 100).round(1)
        elif column in DECIMAL_COLUMNS:
            shown[column] = shown[column].astype(float).round(DECIMAL_COLUMNS[column])
    return shown.rename(columns={c: t(f"col.{c}") for c in shown.columns})


def _column_config(frame: pd.DataFrame) -> dict[str, object]:
    config: dict[str, object] = {}
    for column in frame.columns:
        label = t(f"col.{column}")
        if column in TEXT_COLUMNS or not pd.api.types.is_numeric_dtype(frame[column]):
            config[label] = st.column_config.TextColumn(
                label, width="medium" if column in TEXT_COLUMNS else None
            )
        elif column in RATE_COLUMNS:
            config[label] = st.column_config.NumberColumn(label, format="%.1f%%")
        elif column in DECIMAL_COLUMNS:
            config[label] = st.column_config.NumberColumn(label, format="%.2f")
        else:
            config[label] = st.column_config.NumberColumn(label, format="localized")
    return config


def table_with_downloads(
    frame: pd.DataFrame,
    *,
    key: str,
    sheet_title: str,
    file_stem: str,
    filters: Mapping[str, str],
    selectable: bool = False,
    on_select: object = "ignore",
) -> None:
    """One table with its CSV and Excel downloads; optionally a single row can be selected."""
    shown = for_people(frame)
    options: dict[str, object] = {}
    if selectable:
        options = {"on_select": on_select, "selection_mode": "single-row"}
    st.dataframe(shown, hide_index=True, key=key, column_config=_column_config(frame), **options)
    download_table(shown, sheet_title, file_stem, filters, key)
