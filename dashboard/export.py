"""The one export helper of the pages: CSV and Excel download buttons built on data_access.files."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from dashboard.i18n import t
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
