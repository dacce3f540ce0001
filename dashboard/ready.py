"""The ready marker: the end of a run, for the report renderer and the browser tests to wait for.

Set on every path of a run: at its end (app.py), and before every st.stop(), after which
Streamlit draws nothing more. A renderer waiting for a page that stopped early would otherwise
wait for its whole deadline and fail.
"""

from __future__ import annotations

from typing import NoReturn

import streamlit as st
from streamlit.errors import StreamlitDuplicateElementKey

from dashboard.snapshot import DRAWN_CLASS, READY_KEY


def ready_marker() -> None:
    """Marks the end of a run (once; a second call in the same run does nothing)."""
    # A keyed container gets the CSS class st-key-<key>; it holds nothing visible. Its mark is
    # drawn by st.html, whose part of the page the browser may load after the rest: a renderer
    # that waits for the mark (DRAWN) finds the report's header, styles and tables drawn too.
    try:
        with st.container(key=READY_KEY, height=1, border=False):
            st.html(f'<div class="{DRAWN_CLASS}"></div>')
    except StreamlitDuplicateElementKey:
        pass


def stop_page() -> NoReturn:
    """st.stop(), the ready marker set first."""
    ready_marker()
    st.stop()
