"""The one export helper of the pages: CSV and Excel download buttons built on data_access.files."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.i18n import t
from dashboard.plain import plain_figure
from dashboard.snapshot import chromium_path
from data_access.files import csv_bytes, excel_bytes


def download_table(
    frame: pd.DataFrame,
    title: str,
    file_stem: str,
    filters: Mapping[str, str],
    key: str,
) -> None:
    """CSV and Excel download buttons for one table; the files are built only when clicked."""
    row = st.container(horizontal=True)
    row.download_button(
        t("export.csv"),
        data=lambda: csv_bytes(frame),
        file_name=f"{file_stem}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
        on_click="ignore",
    )
    row.download_button(
        t("export.xlsx"),
        data=lambda: excel_bytes(
            {title: frame},
            filters,
            t("export.filters_sheet"),
            (t("export.filter"), t("export.value")),
        ),
        file_name=f"{file_stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        icon=":material/table_view:",
        on_click="ignore",
    )


def chromium_available() -> bool:
    """Server-side images need a Chromium on the server (Debian's `chromium` package)."""
    return chromium_path() is not None


def figure_png(figure: go.Figure) -> bytes:
    """The figure as a PNG drawn on the server, at twice the screen resolution."""
    height = figure.layout.height or 450
    return figure.to_image(format="png", width=1200, height=int(height), scale=2)


def show_chart(figure: go.Figure, file_stem: str, key: str) -> None:
    """A chart with a PNG download (the chart toolbar's camera saves the same view client-side)."""
    st.plotly_chart(
        plain_figure(figure),
        key=key,
        config={"toImageButtonOptions": {"format": "png", "filename": file_stem, "scale": 2}},
    )
    if not chromium_available():
        st.caption(t("export.png_unavailable"))
        return
    st.download_button(
        t("export.png"),
        data=lambda: figure_png(figure),
        file_name=f"{file_stem}.png",
        mime="image/png",
        key=f"{key}_png",
        icon=":material/image:",
        on_click="ignore",
    )
