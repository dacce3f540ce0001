"""The one export helper of the pages: CSV and Excel download buttons built on data_access.files."""

from __future__ import annotations

import datetime as dt
import io
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
import xlsxwriter

from dashboard import formatting
from dashboard.i18n import Text, current_language, t, text_in
from dashboard.plain import plain_figure
from dashboard.snapshot import chromium_path
from data_access.files import csv_bytes, neutralise, sheet_name

# A total row: these columns add up; these rates are the ratio of two summed columns
# (numerator, denominator, factor), never the mean of the units' rates (docs/metrics.md §2).
SUM_COLUMNS = frozenset(
    {
        "communities", "resident_population", "households", "counted_workers", "required",
        "gap", "net_gap", "communities_meeting", "communities_assessed", "licensed_workers",
        "grids", "staffed_grids", "fulltime_staffed_grids", "general_grids",
        "general_grids_in_size_range", "households_in_grids", "party_branch_grids",
        "population_plan", "counted_before", "departures", "added", "counted_after",
        "gap_before", "gap_after", "receiving", "urban_communities", "villages",
        "urban_population", "urban_counted_workers",
    }
)  # fmt: skip
# Per 10,000 is of the urban communities (docs/metrics.md §3): its total is taken over the urban
# columns. A table of communities and villages (a community_kind column) without them has no
# total per 10,000; a table with neither holds no village (the pages show those columns wherever
# villages exist), and its per 10,000 is that of all its rows.
RATIO_TOTALS: dict[str, tuple[str, str, float]] = {
    "per_10k": ("urban_counted_workers", "urban_population", 10_000),
    "per_10k_all": ("counted_workers", "resident_population", 10_000),
    "share_meeting": ("communities_meeting", "communities_assessed", 1),
    "licensed_rate": ("licensed_workers", "counted_workers", 1),
    "staffed_rate": ("staffed_grids", "grids", 1),
    "fulltime_staffed_rate": ("fulltime_staffed_grids", "grids", 1),
    "size_range_rate": ("general_grids_in_size_range", "general_grids", 1),
    "household_coverage": ("households_in_grids", "households", 1),
    "party_branch_rate": ("party_branch_grids", "grids", 1),
}
TEXT_KEYS = frozenset({"code", "community_code", "name", "community_name"})


@dataclass(frozen=True)
class SheetTable:
    """One table of a workbook for people: English column keys and unrounded values inside,
    headers in the UI language; rates are 0–1 fractions shown as percentages."""

    name: str
    title: str  # the title row: what, scope and data date
    frame: pd.DataFrame
    headers: Mapping[str, str]
    total_label: str | None = None  # a 合计 row, for tables of units that add up to the scope
    language: str = "zh"  # how months and days are written in the cells


# Months and days are Excel dates (they sort and filter as dates), written as the pages write them.
DATE_FORMATS = {
    ("month", "zh"): 'yyyy"年"m"月"',
    ("month", "en"): "mmm yyyy",
    ("day", "zh"): 'yyyy"年"m"月"d"日"',
    ("day", "en"): "d mmm yyyy",
}


def number_format(key: str, values: pd.Series, language: str = "zh") -> str | None:
    """The Excel number format of a column; None for text."""
    if key in formatting.MONTH_COLUMNS | formatting.DAY_COLUMNS:
        kind = "month" if key in formatting.MONTH_COLUMNS else "day"
        return DATE_FORMATS[kind, "zh" if language == "zh" else "en"]
    if key in TEXT_KEYS or not pd.api.types.is_numeric_dtype(values):
        return None
    if formatting.is_change(key):  # +12, -3 and +0: every change with its sign
        digits = formatting.METRIC_DECIMALS.get(key.rsplit("_", 1)[0], 0)
        number = "#,##0" + ("." + "0" * digits if digits else "")
        return f"+{number};-{number};+{number}"
    if key in formatting.RATE_METRICS:
        return "0." + "0" * formatting.RATE_DECIMALS + "%"
    if key in formatting.METRIC_DECIMALS:
        digits = formatting.METRIC_DECIMALS[key]
        return "#,##0" + ("." + "0" * digits if digits else "")
    whole = values.dropna()
    if whole.empty or (whole == whole.round()).all():
        return "#,##0"
    return "#,##0.0"


def total_row(frame: pd.DataFrame) -> dict[str, float | None]:
    """The totals of a table of units: sums, and rates as ratios of sums (None when undefined)."""
    totals: dict[str, float | None] = {}
    for key in frame.columns:
        if key in SUM_COLUMNS and pd.api.types.is_numeric_dtype(frame[key]):
            totals[key] = float(frame[key].sum())
    for key, (top, bottom, factor) in RATIO_TOTALS.items():
        if key == "per_10k" and not {top, bottom} <= set(frame.columns):
            if "community_kind" in frame.columns:
                continue
            top, bottom = RATIO_TOTALS["per_10k_all"][:2]
        if key in frame.columns and top in frame.columns and bottom in frame.columns:
            denominator = float(frame[bottom].sum())
            totals[key] = float(frame[top].sum()) / denominator * factor if denominator else None
    return totals


def _display_width(text: str) -> int:
    """Characters as wide as Excel draws them: a Chinese character takes two columns."""
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def workbook_bytes(
    tables: list[SheetTable],
    filters: Mapping[str, str],
    filters_title: str,
    filter_headers: tuple[str, str],
) -> bytes:
    """A workbook to read and print: a title row, a frozen header, column widths, number formats
    per column, a total row where one means something, and the sheet of the filters used."""
    buffer = io.BytesIO()
    options = {"strings_to_formulas": False, "strings_to_urls": False, "in_memory": True}
    book = xlsxwriter.Workbook(buffer, options)
    title_format = book.add_format({"bold": True, "font_size": 13})
    header_format = book.add_format(
        {"bold": True, "bg_color": "#F2F4F6", "text_wrap": True, "valign": "top", "border": 1}
    )
    total_text = book.add_format({"bold": True, "top": 1})
    taken: set[str] = set()
    for table in tables:
        sheet = book.add_worksheet(sheet_name(table.name, taken))
        keys = list(table.frame.columns)
        sheet.write_string(0, 0, table.title, title_format)
        formats = {key: number_format(key, table.frame[key], table.language) for key in keys}
        cell_formats = {
            key: book.add_format({"num_format": f}) if f else None for key, f in formats.items()
        }
        bold_formats = {
            key: book.add_format({"num_format": f, "bold": True, "top": 1}) if f else total_text
            for key, f in formats.items()
        }
        for col, key in enumerate(keys):
            header = str(table.headers.get(key, key))
            sheet.write_string(2, col, str(neutralise(header)), header_format)
            values = table.frame[key]
            if formatting.is_change(key) and pd.api.types.is_numeric_dtype(values):
                # At the precision shown, so that a change that rounds to nothing reads +0.0.
                digits = formatting.METRIC_DECIMALS.get(key.rsplit("_", 1)[0], 0)
                values = values.astype(float).round(digits) + 0.0
            for row, value in enumerate(values, start=3):
                _write(sheet, row, col, value, cell_formats[key])
            texts = [header, *(str(v) for v in values.head(200) if not formatting.is_missing(v))]
            width = max(_display_width(text) for text in texts) + 2
            sheet.set_column(col, col, min(max(width, 8), 40))
        last = 3 + len(table.frame)
        if table.total_label is not None and len(table.frame):
            totals = total_row(table.frame)
            label_col = keys.index("name") if "name" in keys else 0
            for col, key in enumerate(keys):
                if col == label_col:
                    sheet.write_string(last, col, table.total_label, total_text)
                else:
                    _write(sheet, last, col, totals.get(key), bold_formats[key])
        sheet.freeze_panes(3, 0)
        sheet.repeat_rows(2)  # the header row on every printed page
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
    filter_sheet = book.add_worksheet(sheet_name(filters_title, taken))
    for col, header in enumerate(filter_headers):
        filter_sheet.write_string(0, col, header, header_format)
    for row, (name, value) in enumerate(filters.items(), start=1):
        filter_sheet.write_string(row, 0, str(neutralise(name)))
        filter_sheet.write_string(row, 1, str(neutralise(value)))
    filter_sheet.set_column(0, 1, 28)
    book.close()
    return buffer.getvalue()


def _write(sheet: Any, row: int, col: int, value: object, cell_format: object) -> None:
    """One cell of an xlsxwriter sheet (xlsxwriter has no types, hence Any)."""
    if formatting.is_missing(value):
        sheet.write_blank(row, col, None, cell_format)
    elif isinstance(value, dt.date):  # a datetime (pandas' Timestamp included) or a day
        moment = value if isinstance(value, dt.datetime) else dt.datetime(*value.timetuple()[:3])
        sheet.write_datetime(row, col, moment.replace(tzinfo=None), cell_format)
    elif isinstance(value, bool | np.bool_):
        sheet.write_boolean(row, col, bool(value), cell_format)
    elif isinstance(value, int | float | np.integer | np.floating):
        sheet.write_number(row, col, float(value), cell_format)
    else:
        sheet.write_string(row, col, str(neutralise(str(value))), cell_format)


def download_table(
    frame: pd.DataFrame,
    shown: pd.DataFrame | Callable[[Text], pd.DataFrame],
    title: str,
    file_stem: str,
    filters: Mapping[str, str],
    key: str,
    *,
    title_line: str | None = None,
    total: bool = False,
) -> None:
    """CSV (of the table as shown, or as `shown(text)` gives it) and Excel (for people) download
    buttons for one table; the files are built only when clicked. frame has the English column
    keys.

    A click builds its file outside the page's run, where the session and so its language are
    not known (`t` would answer in the default language): every word the files hold is taken
    from `text`, the catalog of this run's language, bound here once for both buttons.
    """
    language = current_language()
    text = text_in(language)
    row = st.container(horizontal=True)
    row.download_button(
        t("export.csv"),
        data=lambda: csv_bytes(shown(text) if callable(shown) else shown),
        file_name=f"{file_stem}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
        on_click="ignore",
    )
    table = SheetTable(
        title,
        title_line or title,
        frame,
        {column: text(f"col.{column}") for column in frame.columns},
        text("export.total") if total else None,
        language,
    )
    filters_sheet = text("export.filters_sheet")
    filter_headers = (text("export.filter"), text("export.value"))
    row.download_button(
        t("export.xlsx"),
        data=lambda: workbook_bytes([table], filters, filters_sheet, filter_headers),
        file_name=f"{file_stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        icon=":material/table_view:",
        on_click="ignore",
    )


# Server-side chart pictures (figure_png). kaleido starts a Chromium for every render and, when
# the machine is slow, can call its page's script before the page has loaded it (a JavaScript
# ReferenceError): such a render is made once more, in a new Chromium. Renders in one process
# wait for each other, so that simultaneous clicks do not start a Chromium each on a small server;
# a render kept waiting RENDER_WAIT_SECONDS (one before it is stuck) is drawn beside it.
RENDER_WAIT_SECONDS = 120.0
_RENDER_LOCK = threading.Lock()
_log = logging.getLogger(__name__)


def chromium_available() -> bool:
    """Server-side images need a Chromium on the server (Debian's `chromium` package)."""
    return chromium_path() is not None


def figure_png(figure: go.Figure) -> bytes:
    """The figure as a PNG drawn on the server, at twice the screen resolution.

    One render at a time in a process, and a render that met kaleido's page before its scripts
    had run is made once more (docs/architecture.md §3, charts).
    """
    # Imported here: kaleido is only needed when someone asks for a picture.
    from choreographer.errors import DevtoolsProtocolError
    from kaleido.errors import JavascriptError

    height = int(figure.layout.height or 450)
    acquired = _RENDER_LOCK.acquire(timeout=RENDER_WAIT_SECONDS)
    if not acquired:
        _log.warning(
            "a chart render has run for %s s; drawing this one beside it", RENDER_WAIT_SECONDS
        )
    try:
        try:
            return _render_png(figure, height)
        except (JavascriptError, DevtoolsProtocolError) as error:
            _log.warning("a chart render failed, drawing it once more: %s", error)
        return _render_png(figure, height)
    finally:
        if acquired:
            _RENDER_LOCK.release()


def _render_png(figure: go.Figure, height: int) -> bytes:
    """One PNG by kaleido, with plotly.js from the plotly package and without MathJax, which
    kaleido would otherwise load from a public CDN for every picture (the charts hold no TeX)."""
    import kaleido

    options = {"format": "png", "width": 1200, "height": height, "scale": 2}
    return bytes(kaleido.calc_fig_sync(figure.to_dict(), opts=options, kopts={"mathjax": False}))


def show_chart(
    figure: go.Figure, file_stem: str, key: str, options: Mapping[str, Any] | None = None
) -> None:
    """A chart with a PNG download (the chart toolbar's camera saves the same view client-side);
    options go to st.plotly_chart, e.g. dashboard.filters.drill_from_chart(key)."""
    st.plotly_chart(
        plain_figure(figure),
        key=key,
        config={"toImageButtonOptions": {"format": "png", "filename": file_stem, "scale": 2}},
        **(options or {}),
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
