"""Report mode (a page drawn for a PNG or PDF) and the sidebar buttons that make one."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard import formatting
from dashboard.context import PageContext
from dashboard.filters import AREA_KEYS, PAGE_INPUT_KEYS, URL_KEYS, url_value
from dashboard.i18n import current_language, fmt_time, t
from dashboard.render_queue import render_queue
from dashboard.snapshot import chromium_path, render, view_url
from data_access.scope import CODE_LENGTH
from data_access.settings import get_settings
from data_access.tokens import TOKEN_PARAM, mint, view_key

_REPORT = "_report_mode"
BRIEFING_PATH = "briefing"
# Rows of a static report table beyond which the rest is left to the export (setting in pages).
ROWS_PER_PAGE = 30
# The first rows of a printed table stay on the page of its title (table_html).
KEEP_ROWS = 5
TABLE_RULES = """
table.report-table { border-collapse: collapse; width: 100%; font-size: 0.8rem; }
table.report-table th, table.report-table td { border-bottom: 1px solid #ddd; padding: 2px 6px; }
table.report-table th { background: #f2f4f6; text-align: left; font-weight: 600; }
table.report-table td { white-space: nowrap; }
table.report-table .number { text-align: right; font-variant-numeric: tabular-nums; }
"""
_CONTROLS = (
    "stDownloadButton", "stSelectbox", "stMultiSelect", "stCheckbox", "stRadio", "stButton",
    "stSlider", "stDateInput", "stTextInput", "stNumberInput", "stFileUploader",
    "stSegmentedControl", "stElementToolbar",
)  # fmt: skip
# Controls are hidden with the container around them, so that no empty gap stays behind.
_HIDDEN = ",\n".join(
    f'[data-testid="{name}"], [data-testid="stElementContainer"]:has(> [data-testid="{name}"])'
    for name in _CONTROLS
)
REPORT_CSS = (
    """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], .stDownloadButton, .modebar-container, .st-key-page_ready,
[data-testid="stExpander"]:has(details:not([open])),
"""
    + _HIDDEN
    + """
{ display: none !important; }
[data-testid="stMainBlockContainer"] { padding-top: 1.5rem; max-width: 100%; }
.report-header { font-size: 0.85rem; color: #555; }
"""
    + TABLE_RULES
    + """.report-note { font-size: 0.8rem; color: #555; margin: 0.2rem 0 0.6rem; }
.report-counts table.report-table td { white-space: normal; word-break: keep-all; }
.report-appendix { break-before: page; }
.report-appendix table.report-table { font-size: 0.72rem; }
.report-appendix table.report-table th, .report-appendix table.report-table td {
  padding: 0 4px; line-height: 1.2;
}
@media print {
  html, body, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {
    height: auto !important; overflow: visible !important; position: static !important;
  }
  /* Chromium breaks pages well only between blocks: the page's columns of elements are
     printed as blocks (their gap as a margin), so that a title keeps with what follows it. */
  [data-testid="stAppViewContainer"], [data-testid="stMain"],
  [data-testid="stVerticalBlock"] { display: block !important; }
  [data-testid="stVerticalBlock"] > * { margin-bottom: 0.6rem; }
  tbody.report-first { break-inside: avoid; }
  /* A little tighter than on screen, so that a page's title and its cards share the first sheet. */
  h1 { font-size: 1.9rem !important; padding: 0 0 0.25rem !important; }
  [data-testid="stMetric"] { padding: 0.3rem 0.7rem !important; }
  [data-testid="stMetricValue"] { font-size: 1.5rem !important; line-height: 1.3 !important; }
  [data-testid="stMetric"] p { font-size: 0.8rem; line-height: 1.3; }
  [data-testid="stElementContainer"]:has([data-testid="stCaptionContainer"]):has(
    + [data-testid="stElementContainer"] table.report-table) { break-after: avoid; }
  /* The legend of a table's lights stays with the table's last rows. */
  [data-testid="stElementContainer"]:has(table.report-table)
    + [data-testid="stElementContainer"]:has([data-testid="stCaptionContainer"]) {
    break-before: avoid;
  }
  [data-testid="stMainBlockContainer"] { padding: 0 !important; }
  [data-testid="stIconMaterial"] { display: none !important; }  /* its name would print as text */
  .report-header { display: none; }
  table.report-table thead { display: table-header-group; }
  table.report-table tr, [data-testid="stPlotlyChart"], [data-testid="stMetric"],
  [data-testid="stDeckGlJsonChart"], [data-testid="stAlert"], [data-testid="stHorizontalBlock"],
  [data-testid="stImage"] { break-inside: avoid; }
  [data-testid="stElementContainer"]:has(h2, h3, h4) { break-after: avoid; }
  [class*="st-key-keep-"] { break-inside: avoid; }
}
</style>
"""
)


def is_report() -> bool:
    """True for a view opened with ?report=1, as the snapshot renderer does."""
    if _REPORT not in st.session_state:
        st.session_state[_REPORT] = st.query_params.get("report") == "1"
    return bool(st.session_state[_REPORT])


def header_text(context: PageContext, page_title: str, moment: dt.datetime) -> str:
    """What every page of a report says about itself: page, scope, filters, data and time."""
    colon = "：" if current_language() == "zh" else ": "
    filters = " · ".join(f"{name}{colon}{value}" for name, value in context.filters_used().items())
    return t("report.header", page=page_title, filters=filters, time=fmt_time(moment))


def report_header(context: PageContext, page_title: str) -> None:
    """Hides the controls and prints the filters and the time of the report on it.

    The same text heads every page of a PDF: the renderer reads it from .report-header.
    """
    st.html(REPORT_CSS)
    st.session_state[_APPENDICES] = []  # the appendices of this run's report (draw_appendices)
    text = header_text(context, page_title, dt.datetime.now(dt.UTC))
    st.html(f'<div class="report-header">{html.escape(text)}</div>')


def hint(text: str) -> None:
    """A hint about using the screen (select, click, hover): not printed in a report."""
    if not is_report():
        st.caption(text)


def sections(labels: list[str]) -> list[DeltaGenerator]:
    """Tabs on screen; in a report, one section after another under its own heading."""
    if not is_report():
        return list(st.tabs(labels))
    containers = []
    for label in labels:
        container = st.container()
        container.html(f"<h4>{html.escape(label)}</h4>")
        containers.append(container)
    return containers


def static_table(
    shown: pd.DataFrame,
    formatters: Mapping[str, Callable[[object], str]],
    numeric: set[str],
    export_name: str,
    max_pages: int,
) -> None:
    """Every row of a table as a static HTML table (a report prints no scrolling grid).

    Past max_pages pages of rows, the rest is left out and a note says how many rows follow
    in the export of the same name.
    """
    st.html(static_table_html(shown, formatters, numeric, export_name, max_pages))


def static_table_html(
    shown: pd.DataFrame,
    formatters: Mapping[str, Callable[[object], str]],
    numeric: set[str],
    export_name: str,
    max_pages: int,
) -> str:
    """static_table's HTML: the table, and the note on rows left to the export."""
    limit = max(max_pages, 1) * ROWS_PER_PAGE
    drawn = table_html(shown.head(limit), formatters, numeric)
    if len(shown) > limit:
        note = t("report.rows_follow", n=len(shown) - limit, shown=limit, file=export_name)
        drawn += f'<p class="report-note">{html.escape(note)}</p>'
    return drawn


# A list of grids longer than this is counted per street in a report's body and listed whole,
# numbered, in an appendix at its end (docs/formatting.md, reports).
APPENDIX_FROM_ROWS = 20
_APPENDICES = "_report_appendices"
_CHINESE_NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class Appendix:
    """A long list printed whole after a report's body, numbered."""

    title: str
    shown: pd.DataFrame  # for_people's frame: translated headers
    formatters: Mapping[str, Callable[[object], str]]
    numeric: set[str]
    export_name: str


def appendix_label(number: int, language: str) -> str:
    """附录一, 附录二 … in Chinese; Appendix 1, 2 … in English."""
    if language == "zh":
        numeral = _CHINESE_NUMERALS[number - 1] if number <= 10 else str(number)
        return f"附录{numeral}"
    return f"Appendix {number}"


def counts_by_place(
    codes: pd.Series, names: Callable[[str], str], parent_level: str, child_level: str
) -> pd.DataFrame:
    """A long list counted per place: one row per parent (a district) with its count and the
    counts of its children (its streets), most first, as text: 桃湾街道 9 · 锦新街道 8."""
    text = codes.astype(str)
    child = text.str[: CODE_LENGTH[child_level]]
    counts = child.value_counts().rename_axis("child").reset_index(name="n")
    counts["parent"] = counts["child"].str[: CODE_LENGTH[parent_level]]
    counts = counts.sort_values(["parent", "n", "child"], ascending=[True, False, True])
    rows = []
    for parent, children in counts.groupby("parent", sort=True):
        # A no-break space: a name and its count never part at the end of a line.
        parts = [
            f"{names(str(c))}\u00a0{n:,}"
            for c, n in zip(children["child"], children["n"], strict=True)
        ]
        rows.append(
            {
                "name": names(str(parent)),
                "n": int(children["n"].sum()),
                "children": " · ".join(parts),
            }
        )
    return pd.DataFrame(rows, columns=["name", "n", "children"])


def appendix_instead(
    appendix: Appendix, codes: pd.Series, names: Callable[[str], str], scope_level: str
) -> None:
    """In a report's body, a long list's counts per street (per community within a street) and
    a note naming the appendix that lists it whole, drawn by draw_appendices."""
    appendices: list[Appendix] = st.session_state.setdefault(_APPENDICES, [])
    appendices.append(appendix)
    label = appendix_label(len(appendices), current_language())
    parent, child = ("street", "community") if scope_level == "street" else ("district", "street")
    counts = counts_by_place(codes, names, parent, child)
    shown = counts.rename(
        columns={
            "name": t(f"report.count_parent.{parent}"),
            "n": t("report.count"),
            "children": t(f"report.count_children.{child}"),
        }
    )
    note = t("report.in_appendix", n=f"{len(codes):,}", appendix=label)
    st.html(
        '<div class="report-counts">'
        + table_html(shown, {t("report.count"): formatting.integer}, {t("report.count")})
        + f'<p class="report-note">{html.escape(note)}</p></div>'
    )


def draw_appendices() -> None:
    """The appendices of this report, each on a page of its own, rows numbered (序号)."""
    language = current_language()
    max_pages = get_settings().report_table_max_pages
    for number, appendix in enumerate(st.session_state.get(_APPENDICES, []), start=1):
        shown = appendix.shown.copy()
        shown.insert(0, t("report.row_number"), range(1, len(shown) + 1))
        title = f"{appendix_label(number, language)}　{appendix.title}（{len(shown):,}）"
        if language != "zh":
            title = f"{appendix_label(number, language)} · {appendix.title} ({len(shown):,})"
        numeric = {*appendix.numeric, t("report.row_number")}
        drawn = static_table_html(
            shown, appendix.formatters, numeric, appendix.export_name, max_pages
        )
        st.html(f'<section class="report-appendix"><h4>{html.escape(title)}</h4>{drawn}</section>')


def table_html(
    shown: pd.DataFrame, formatters: Mapping[str, Callable[[object], str]], numeric: set[str]
) -> str:
    """A table with a header row repeated on every printed page; every value escaped.

    Its first KEEP_ROWS rows (all of a table of at most twice as many) are one group that a page
    break does not split, so that a table never starts on the last lines of a page, away from
    its title.
    """
    kinds = [' class="number"' if c in numeric else "" for c in shown.columns]
    head = "".join(
        f"<th{kind}>{html.escape(str(c))}</th>"
        for kind, c in zip(kinds, shown.columns, strict=True)
    )
    writers = [formatters.get(c, str) for c in shown.columns]
    rows = []
    for values in shown.itertuples(index=False):
        cells = "".join(
            f"<td{kind}>{html.escape(write(value))}</td>"
            for kind, write, value in zip(kinds, writers, values, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    kept = len(rows) if len(rows) <= 2 * KEEP_ROWS else KEEP_ROWS  # a short table stays whole
    first, rest = "".join(rows[:kept]), "".join(rows[kept:])
    return (
        f'<table class="report-table"><thead><tr>{head}</tr></thead>'
        f'<tbody class="report-first">{first}</tbody>'
        + (f"<tbody>{rest}</tbody>" if rest else "")
        + "</table>"
    )


def _own_base_url() -> str:
    port = st.get_option("server.port")
    base_path = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"http://127.0.0.1:{port}" + (f"/{base_path}" if base_path else "")


def report_buttons(url_path: str, file_stem: str, briefing_stem: str) -> None:
    """Sidebar buttons that return this view (page, filters, language) as a PNG and a PDF,
    and the one-page briefing of its scope."""
    st.sidebar.subheader(t("report.title"))
    if chromium_path() is None:
        st.sidebar.caption(t("report.no_chromium"))
        return
    params = view_params()
    running, waiting = render_queue(get_settings().report_max_renders).status()
    if running or waiting:  # a press now waits behind these; each render ends by the deadline
        st.sidebar.caption(t("report.queue", running=running, waiting=waiting))
    account = _account_name()
    row = st.sidebar.container(horizontal=True)
    for fmt, mime, icon in (
        ("png", "image/png", ":material/screenshot_monitor:"),
        ("pdf", "application/pdf", ":material/picture_as_pdf:"),
    ):
        row.download_button(
            t(f"report.{fmt}"),
            data=partial(_render, url_path, params, fmt, account),
            file_name=f"{file_stem}.{fmt}",
            mime=mime,
            key=f"report_{fmt}",
            icon=icon,
            on_click="ignore",
            help=t("report.help"),
        )
    # The one-page briefing of the same scope, from whichever page the reader is on.
    area = {key: value for key, value in params.items() if key in (*AREA_KEYS, "month", "lang")}
    st.sidebar.download_button(
        t("report.briefing"),
        data=partial(_render, BRIEFING_PATH, area, "pdf", account),
        file_name=f"{briefing_stem}.pdf",
        mime="application/pdf",
        key="report_briefing",
        icon=":material/summarize:",
        on_click="ignore",
        help=t("report.briefing_help"),
    )


def view_params() -> dict[str, str]:
    """The URL parameters of this view: filters, language and the page's inputs."""
    params = {key: str(st.session_state[key]) for key in URL_KEYS if st.session_state.get(key)}
    params.update(
        {
            key: url_value(st.session_state[key])
            for key in PAGE_INPUT_KEYS
            if key in st.session_state
        }
    )
    return params


def pdf_button(
    where: DeltaGenerator,
    url_path: str,
    extra: Mapping[str, str],
    *,
    label: str,
    file_stem: str,
    key: str,
    help: str,
) -> None:
    """A button that returns this view, with `extra` parameters, as a PDF (a page's own printed
    report, such as the planner's one-page briefing of its plan)."""
    if chromium_path() is None:
        where.caption(t("report.no_chromium"))
        return
    where.download_button(
        label,
        data=partial(_render, url_path, {**view_params(), **extra}, "pdf", _account_name()),
        file_name=f"{file_stem}.pdf",
        mime="application/pdf",
        key=key,
        icon=":material/summarize:",
        on_click="ignore",
        help=help,
    )


def _signed_url(url_path: str, params: dict[str, str], account: str | None) -> str:
    """The view's URL; with sign-in on, with a token for this account and view, made now."""
    base = _own_base_url()
    if account is None:
        return view_url(base, url_path, params)
    token = mint(account, view_key(url_path, params), get_settings().report_token_seconds)
    return view_url(base, url_path, {**params, TOKEN_PARAM: token})


def _account_name() -> str | None:
    """The signed-in account the report is drawn for; None when sign-in is off."""
    if get_settings().auth_mode == "none":
        return None
    from dashboard.auth import current_principal

    return current_principal().name


def _render(url_path: str, params: dict[str, str], fmt: str, account: str | None = None) -> bytes:
    """The view drawn for the account, with a failure's message kept free of the URL (it holds
    the one-time token, made only now that the button was pressed)."""
    try:
        return render(_signed_url(url_path, params, account), fmt)
    except Exception as exc:  # playwright's errors quote the URL they navigated to
        raise RuntimeError(f"the {fmt} report could not be drawn ({type(exc).__name__})") from None
