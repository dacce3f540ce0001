"""Data shown as text, never as markup (docs/security.md).

Unit names, codes, file names and values from the URL are data: a name such as
`![t](http://host/x.png)` must not make every viewer's browser (and the report's Chromium on the
server) fetch that address. Streamlit renders Markdown in titles, captions and alerts, and plotly
renders a subset of HTML (links among it) in chart texts, so data reaching either is escaped here.
"""

from __future__ import annotations

import html
import re

import numpy as np
import plotly.graph_objects as go

from dashboard.i18n import t

# Every ASCII punctuation mark may be backslash-escaped in CommonMark; these are the ones that
# start Markdown, HTML, Streamlit's :colour[…] and :material/icon: directives, LaTeX ($) and the
# autolinks of GitHub Markdown (http://…, name@host). Others only count at the start of a line.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()!|<>~$:@])")
_LINE_START = re.compile(r"^(\s*)([#+\-=]|\d+(?=[.)]))")
_AUTOLINK = re.compile(r"[a-z][a-z0-9+.-]*:|www|@", re.IGNORECASE)
WORD_JOINER = "\u2060"


def escape_markdown(value: object) -> str:
    """The text of value, shown literally by st.markdown, st.caption, st.title and alerts."""
    # Line breaks would end a heading or start a list; a space reads the same.
    text = re.sub(r"[\r\n]+", " ", str(value))
    # GitHub Markdown links bare addresses even when escaped: an invisible word joiner after
    # "http:", "www" and "@" keeps them text (what is copied reads the same).
    text = _AUTOLINK.sub(lambda m: m.group(0) + WORD_JOINER, text)
    text = _MARKDOWN.sub(r"\\\1", text)
    # "- x" and "# x" escape their mark; "1. x" the full stop after the number.
    return _LINE_START.sub(
        lambda m: (
            m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit() else "\\" + m.group(2))
        ),
        text,
    )


def t_plain(key: str, **values: object) -> str:
    """The catalog text of key with every value escaped: for Markdown elements."""
    return t(key, **{name: escape_markdown(value) for name, value in values.items()})


def _escaped(values: object) -> object:
    if isinstance(values, str):
        return html.escape(values, quote=False)
    if isinstance(values, np.ndarray) and values.dtype == object:
        return np.vectorize(_escaped, otypes=[object])(values) if values.size else values
    if isinstance(values, tuple | list):
        return type(values)(_escaped(v) for v in values)
    return values


def plain_figure(figure: go.Figure) -> go.Figure:
    """The figure with the texts of its data HTML-escaped (plotly would render <a>, <b> …)."""
    for trace in figure.data:
        for attribute in ("x", "y", "text", "hovertext", "customdata", "name", "labels", "ids"):
            if attribute in trace and trace[attribute] is not None:
                trace[attribute] = _escaped(trace[attribute])
    title = figure.layout.title.text
    if isinstance(title, str):
        figure.layout.title.text = html.escape(title, quote=False)
    return figure
