"""Tables as shown and exported: English keys inside, translated headers and formats outside."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler
from pandas.util import hash_pandas_object

from dashboard import formatting, lights, palette
from dashboard.compat import set_styler_cells
from dashboard.context import page_context
from dashboard.export import download_table
from dashboard.filters import drill_to_row
from dashboard.i18n import Text, current_language, t
from dashboard.report import (
    APPENDIX_FROM_ROWS,
    Appendix,
    appendix_instead,
    is_report,
    static_table,
)
from data_access.lights import LIGHTS, Light, LightRule, judged_measures
from data_access.settings import get_settings

RATE_COLUMNS = formatting.RATE_METRICS
DECIMAL_COLUMNS = {
    **formatting.METRIC_DECIMALS,
    "per_10k_yoy": 1,
    "per_10k_mom": 1,
}
TEXT_COLUMNS = {"code", "community_code", "name", "community_name"}
# The rows a long list (alerts, problem lists, every community of a city) shows on the page, most
# urgent first; its CSV and Excel downloads hold every row (docs/formatting.md, tables).
LONG_LIST_ROWS = 500


def for_people(frame: pd.DataFrame, text: Text = t, *, csv: bool = False) -> pd.DataFrame:
    """Rates as percentages and ratios rounded, under headers in `text`'s language (for display
    and export; a download built after the page's run passes the language the run bound).

    For a CSV (csv=True), months and days are written 2026-10 and 2026-10-31, machine-readable,
    and a rate's header carries its unit, since its values carry none.
    """
    shown = frame.copy()
    for column in shown.columns:
        if column in RATE_COLUMNS:
            shown[column] = (shown[column].astype(float) * 100).round(formatting.RATE_DECIMALS)
        elif column in DECIMAL_COLUMNS:
            shown[column] = shown[column].astype(float).round(DECIMAL_COLUMNS[column])
        elif csv and column in formatting.MONTH_COLUMNS | formatting.DAY_COLUMNS:
            width = 7 if column in formatting.MONTH_COLUMNS else 10
            shown[column] = [_iso(value, width) for value in shown[column]]
    return shown.rename(columns={c: header(c, text, csv=csv) for c in shown.columns})


def header(column: str, text: Text = t, *, csv: bool = False) -> str:
    """A column's header; the unit of a rate only where its values do not carry it (a CSV)."""
    label = text(f"col.{column}")
    return label + text("col.percent_unit") if csv and column in RATE_COLUMNS else label


def _iso(value: object, width: int) -> str | None:
    """A date as ISO text: 2026-10 (width 7) or 2026-10-31 (width 10); text is kept as it is."""
    if formatting.is_missing(value):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()[:width]
    return str(value)


def cell_formatters(frame: pd.DataFrame) -> dict[str, Callable[[object], str]]:
    """How each column of for_people(frame) is written: fixed decimals, changes with their sign,
    months and days as words, "—" for missing."""
    language = current_language()
    formatters: dict[str, Callable[[object], str]] = {}
    for column in frame.columns:
        label = t(f"col.{column}")
        if column in RATE_COLUMNS:
            formatters[label] = _points
        elif formatting.is_change(column):
            formatters[label] = partial(formatting.signed, digits=DECIMAL_COLUMNS.get(column, 0))
        elif column in DECIMAL_COLUMNS:
            formatters[label] = partial(formatting.decimal, digits=DECIMAL_COLUMNS[column])
        elif column in formatting.MONTH_COLUMNS:
            formatters[label] = partial(_date_text, write=formatting.month, language=language)
        elif column in formatting.DAY_COLUMNS:
            formatters[label] = partial(_date_text, write=formatting.day, language=language)
        elif not _is_number(frame, column):
            formatters[label] = _text
        else:
            formatters[label] = formatting.integer
    return formatters


def _date_text(value: object, write: Callable[[dt.date, str], str], language: str) -> str:
    """A month or day as words; a value that is not a date (already text) as it is."""
    if isinstance(value, dt.date):
        return write(value, language)
    return _text(value)


def _is_number(frame: pd.DataFrame, column: str) -> bool:
    return column not in TEXT_COLUMNS and pd.api.types.is_numeric_dtype(frame[column])


def _points(value: Any) -> str:
    """A rate already multiplied by 100 (a table cell): 64.5%."""
    return formatting.percent(None if formatting.is_missing(value) else float(value) / 100)


def _text(value: object) -> str:
    return formatting.MISSING if formatting.is_missing(value) else str(value)


Rules = tuple[tuple[str, float, float], ...]  # (column, target, close ratio): hashable


def lit_columns(frame: pd.DataFrame) -> Rules:
    """The frame's columns judged by a light (data_access/lights.py) with their rules, from the
    page's settings."""
    judged = judged_measures(page_context().settings)
    return tuple((c, judged[c].target, judged[c].close_ratio) for c in frame.columns if c in judged)


def cell_lights(frame: pd.DataFrame, rules: Rules) -> dict[str, list[Light | None]]:
    """The light of every cell of each lit column, judged on the frame's own values (not on the
    rounded text), so that a cell agrees with the card and the bar of the same value."""
    return {
        column: [LightRule(target, ratio).of(v) for v in frame[column]]
        for column, target, ratio in rules
    }


def styled(frame: pd.DataFrame, rules: Rules = ()) -> tuple[pd.DataFrame, Styler]:
    """for_people(frame) and its Styler: each cell written as the reader expects, numbers kept
    sortable, a judged value with its light's mark and tint. The cells' text is written once
    per table content and language (docs/formatting.md, tables), not on every run.
    `rules`: the lit columns (lit_columns).
    """
    key = _content_key(frame)
    if key is None:  # a frame pandas cannot hash: written on this run
        shown, ids, texts, tints = _display_cells(frame, rules)
    else:
        shown, ids, texts, tints = _cached_display_cells(key, current_language(), rules, frame)
    styler = shown.style
    translated = {
        "body": [[{"id": i, "display_value": text} for i, text in zip(ids, texts, strict=True)]],
        "table_styles": [],
        "cellstyle": [
            {"props": [("background-color", _tint(state))], "selectors": cells}
            for state, cells in tints.items()
            if cells
        ],
    }
    # The cells' text written above, instead of every cell written again on each run.
    set_styler_cells(styler, translated)
    return shown, styler


def _tint(state: Light) -> str:
    """A light's colour as a pale cell background, so that the text stays readable."""
    red, green, blue, _alpha = palette.rgba(lights.colour(state))
    return f"rgba({red}, {green}, {blue}, 0.18)"


def _content_key(frame: pd.DataFrame) -> str | None:
    """A digest of every value, column name and type of the frame (no sampling)."""
    digest = hashlib.blake2b(digest_size=16)
    try:
        digest.update(hash_pandas_object(frame, index=True).to_numpy().tobytes())
    except TypeError:
        return None
    digest.update(repr([(str(name), str(dtype)) for name, dtype in frame.dtypes.items()]).encode())
    digest.update(repr(list(frame.index.names)).encode())
    return digest.hexdigest()


Cells = tuple[pd.DataFrame, list[str], list[str], dict[Light, list[str]]]


@st.cache_data(max_entries=256, show_spinner=False)
def _cached_display_cells(key: str, language: str, rules: Rules, _frame: pd.DataFrame) -> Cells:
    """_display_cells for the frame whose content key is `key`, in `language` (this session's)."""
    return _display_cells(_frame, rules)


def _display_cells(frame: pd.DataFrame, rules: Rules = ()) -> Cells:
    """for_people(frame), the id ("row3_col1") and text of each cell whose text is not already
    the value as Streamlit writes it (str), as pandas' Styler would give them to st.dataframe,
    and the ids of the lit cells by light."""
    shown = for_people(frame)
    formatters = cell_formatters(frame)
    lit = cell_lights(frame, rules)
    plain = shown.astype(str)
    ids: list[str] = []
    texts: list[str] = []
    tints: dict[Light, list[str]] = {state: [] for state in LIGHTS}
    for position, (column, label) in enumerate(zip(frame.columns, shown.columns, strict=True)):
        write = formatters[label]
        states = lit.get(column, [None] * len(frame))
        column_texts = [
            formatting.MISSING if formatting.is_missing(value) else lights.marked(write(value), s)
            for value, s in zip(shown.iloc[:, position], states, strict=True)
        ]
        for row, (text, default, state) in enumerate(
            zip(
                column_texts,
                plain.iloc[:, position].to_numpy(dtype=object),
                states,
                strict=True,
            )
        ):
            if text != default:
                ids.append(f"row{row}_col{position}")
                texts.append(text)
            if state is not None:
                tints[state].append(f"row{row}_col{position}")
    return shown, ids, texts, tints


def legend_text(rules: Rules, text: Callable[..., str], language: str) -> str | None:
    """The lights of a table's lit columns with their thresholds, e.g. 每万人：● 达标 ≥ 18.0 ◐ 接近
    16.2–18.0 ○ 未达标 < 16.2; None for a table without one."""
    parts = []
    for column, target, ratio in rules:
        entries = lights.rule_entries(
            LightRule(target, ratio), text, partial(lights.threshold, column, language=language)
        )
        joined = "  ".join(label for _state, label in entries)
        parts.append(text("status.table_legend", column=text(f"col.{column}"), entries=joined))
    return text("status.join").join(parts) if parts else None


def light_legend(frame: pd.DataFrame) -> None:
    """The legend of a table's lights, right under it."""
    line = legend_text(lit_columns(frame), t, current_language())
    if line is not None:
        st.caption(line)


def marked_for_print(
    frame: pd.DataFrame, rules: Rules
) -> tuple[pd.DataFrame, dict[str, Callable[[object], str]]]:
    """for_people(frame) and its cell writers for a printed table, the lit columns (`rules`)
    already written with their marks."""
    shown = for_people(frame)
    formatters = cell_formatters(frame)
    for column, states in cell_lights(frame, rules).items():
        label = t(f"col.{column}")
        write = formatters[label]
        shown[label] = [
            formatting.MISSING if formatting.is_missing(v) else lights.marked(write(v), s)
            for v, s in zip(shown[label], states, strict=True)
        ]
        formatters[label] = str
    return shown, formatters


def _column_config(frame: pd.DataFrame) -> dict[str, Any]:
    """Codes and names as wide as their longest value, so that the numbers beside them fit."""
    config: dict[str, Any] = {}
    for column in frame.columns:
        label = t(f"col.{column}")
        if column in TEXT_COLUMNS:
            config[label] = st.column_config.Column(label, width=text_width(frame[column], label))
    return config


# Pixels per character on the page's table font, a Chinese character counting two; the cell's
# padding; the widest a code or name column is drawn.
PX_PER_CHARACTER, CELL_PADDING_PX, WIDEST_TEXT_PX = 7.5, 24, 320


def text_width(values: pd.Series, label: str) -> int:
    """The width in pixels of a text column: its longest value or header, at most WIDEST_TEXT_PX."""
    texts = [label, *(str(v) for v in values.head(LONG_LIST_ROWS) if not formatting.is_missing(v))]
    longest = max(sum(2 if ord(char) > 0x2E80 else 1 for char in text) for text in texts)
    return min(round(longest * PX_PER_CHARACTER) + CELL_PADDING_PX, WIDEST_TEXT_PX)


# Columns a wide table leaves off the page (its downloads and its report hold them): the changes
# on a month earlier, the net gap and the counts under a rate, read less than what stands beside
# them.
SECONDARY_COLUMNS = frozenset(
    {
        "counted_workers_mom",
        "per_10k_mom",
        "net_gap",
        "staffed_grids",
        "general_grids",
        "households_in_grids",
    }
)
WIDE_TABLE_COLUMNS = 12


def screen_columns(frame: pd.DataFrame) -> list[str] | None:
    """The headers a table shows on the page, in order; None: every column."""
    if len(frame.columns) <= WIDE_TABLE_COLUMNS:
        return None
    return [t(f"col.{c}") for c in frame.columns if c not in SECONDARY_COLUMNS]


def table_with_downloads(
    frame: pd.DataFrame,
    *,
    key: str,
    sheet_title: str,
    file_stem: str,
    filters: Mapping[str, str],
    selectable: bool = False,
    on_select: object = "ignore",
    total: bool = False,
    drill_column: str | None = None,
    long_list: bool = False,
    appendix: bool = False,
) -> None:
    """One table with its CSV and Excel downloads; optionally a single row can be selected.

    With drill_column, choosing a row drills to the unit code in that column (filters.drill_to).
    A long_list (sorted most urgent first) shows its first LONG_LIST_ROWS rows on the page, and
    says so; the downloads always hold every row. In a report, an `appendix` list (of grids,
    with their codes in "code") longer than report.APPENDIX_FROM_ROWS is counted per street in
    the body and printed whole in a numbered appendix at the end (report.draw_appendices).
    """
    cut = long_list and len(frame) > LONG_LIST_ROWS and not is_report()
    on_page = frame.head(LONG_LIST_ROWS) if cut else frame
    if drill_column is not None:
        selectable = True
        on_select = partial(drill_to_row, key, list(on_page[drill_column].astype(str)))
    if is_report():
        shown, formatters = marked_for_print(frame, lit_columns(frame))
        numeric = {t(f"col.{c}") for c in frame.columns if _is_number(frame, c)}
        max_pages = get_settings().report_table_max_pages
        context = page_context()
        if appendix and len(frame) > APPENDIX_FROM_ROWS and context.scope.level != "community":
            listed = Appendix(sheet_title, shown, formatters, numeric, f"{file_stem}.xlsx")
            appendix_instead(listed, frame["code"], context.unit_name, context.scope.level)
            light_legend(frame)
            return
        static_table(shown, formatters, numeric, f"{file_stem}.xlsx", max_pages)
        light_legend(frame)
        return
    options: dict[str, Any] = {}
    if selectable:
        options = {"on_select": on_select, "selection_mode": "single-row"}
    shown, styler = styled(on_page, lit_columns(on_page))
    st.dataframe(
        styler,
        hide_index=True,
        key=key,
        column_config=_column_config(frame),
        column_order=screen_columns(frame),
        placeholder=formatting.MISSING,  # an empty cell reads "—", as in cards (docs/formatting.md)
        **options,
    )
    light_legend(frame)
    if cut:
        st.caption(
            t(
                "table.first_rows",
                shown=formatting.integer(LONG_LIST_ROWS),
                total=formatting.integer(len(frame)),
            )
        )
    download_table(
        frame,
        partial(for_people, frame, csv=True),
        sheet_title,
        file_stem,
        filters,
        key,
        title_line=export_title(sheet_title),
        total=total,
    )


def export_title(what: str) -> str:
    """The title row of an exported table: what, for which area, on which date."""
    context = page_context()
    title = t(
        "export.title",
        what=what,
        scope=context.unit_name(context.scope.code),
        date=formatting.day(context.scope.as_of, current_language()),
    )
    return title + (" · " + t("demo.short") if context.is_demo else "")
