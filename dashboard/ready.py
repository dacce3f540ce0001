"""The ready marker: the end of a run, for the report renderer and the browser tests to wait for.

Set on every path of a run: at its end (app.py), and before every st.stop(), after which
Streamlit draws nothing more. A renderer waiting for a page that stopped early would otherwise
wait for its whole deadline and fail.
"""

from __future__ import annotations

from typing import NoReturn

import streamlit as st
from streamlit.errors import StreamlitDuplicateElementKey

READY_KEY = "page_ready"


def ready_marker() -> None:
    """Marks the end of a run (once; a second call in the same run does nothing)."""
    # A keyed container gets the CSS class st-key-<key>; it holds nothing visible.
    try:
        with st.container(key=READY_KEY, height=1, border=False):
            st.empty()
    except StreamlitDuplicateElementKey:
        pass


def stop_page() -> NoReturn:
    """st.stop(), the ready marker set first."""
    ready_marker()
    st.stop()
