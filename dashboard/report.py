"""Report mode (a page drawn for a PNG or PDF) and the sidebar buttons that make one."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard.context import PageContext
from dashboard.filters import PAGE_INPUT_KEYS, URL_KEYS, url_value
from dashboard.i18n import current_language, t
from dashboard.snapshot import chromium_path, render, view_url

_REPORT = "_report_mode"
REPORT_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDownloadButton"], [data-testid="stElementToolbar"],
.stDownloadButton { display: none !important; }
[data-testid="stMainBlockContainer"] { padding-top: 1.5rem; max-width: 100%; }
@media print { [data-testid="stMain"] { overflow: visible !important; } }
</style>
"""


def is_report() -> bool:
    """True for a view opened with ?report=1, as the snapshot renderer does."""
    if _REPORT not in st.session_state:
        st.session_state[_REPORT] = st.query_params.get("report") == "1"
    return bool(st.session_state[_REPORT])


def report_header(context: PageContext) -> None:
    """Hides the controls and prints the filters and the time of the report on it."""
    st.markdown(REPORT_CSS, unsafe_allow_html=True)
    colon = "：" if current_language() == "zh" else ": "
    filters = " · ".join(f"{name}{colon}{value}" for name, value in context.filters_used().items())
    st.caption(
        t("report.header", filters=filters, time=dt.datetime.now().strftime("%Y-%m-%d %H:%M"))
    )


def ready_marker() -> None:
    """Marks the end of a run, for the renderer and the browser tests to wait for."""
    # A keyed container gets the CSS class st-key-<key>; it holds nothing visible.
    with st.container(key="page_ready", height=1, border=False):
        st.empty()


def _own_base_url() -> str:
    port = st.get_option("server.port")
    base_path = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"http://127.0.0.1:{port}" + (f"/{base_path}" if base_path else "")


def report_buttons(url_path: str, file_stem: str) -> None:
    """Sidebar buttons that return this view (page, filters, language) as a PNG and a PDF."""
    st.sidebar.subheader(t("report.title"))
    if chromium_path() is None:
        st.sidebar.caption(t("report.no_chromium"))
        return
    params = {key: str(st.session_state[key]) for key in URL_KEYS if st.session_state.get(key)}
    params.update(
        {
            key: url_value(st.session_state[key])
            for key in PAGE_INPUT_KEYS
            if key in st.session_state
        }
    )
    url = view_url(_own_base_url(), url_path, params)
    row = st.sidebar.container(horizontal=True)
    for fmt, mime, icon in (
        ("png", "image/png", ":material/screenshot_monitor:"),
        ("pdf", "application/pdf", ":material/picture_as_pdf:"),
    ):
        row.download_button(
            t(f"report.{fmt}"),
            data=lambda fmt=fmt: render(url, fmt),
            file_name=f"{file_stem}.{fmt}",
            mime=mime,
            key=f"report_{fmt}",
            icon=icon,
            on_click="ignore",
            help=t("report.help"),
        )
