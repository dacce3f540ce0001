"""The text a reader sees on a page under AppTest, in a PDF or an Excel title, and the slips of
number style that must not be in it (docs/formatting.md): an ISO date, a "-0.0"."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator

from google.protobuf.message import Message
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

# 2026-10 or 2026-10-31, but not inside a file name (队伍配备_东湖区_2026-10, burden_2025-06.csv)
# or a longer number.
ISO_DATE = re.compile(r"(?<![\w.\-/])\d{4}-\d{2}(?:-\d{2})?(?![\d])")
# -0, -0.0, −0.0 (plotly's minus), -0.0%: a value that rounds to nothing written as a fall.
MINUS_ZERO = re.compile(r"(?<![\w.])[-−]0(?:\.0+)?(?![\d.])")
# Proto fields that hold no text a reader sees: ids, keys, widget values, raw table data.
_HIDDEN_FIELDS = frozenset({"id", "key", "form_id", "raw_values", "default_values", "json"})
# Keys of a plotly figure whose values are data, not text (dates of a monthly axis among them).
_PLOTLY_DATA = frozenset({"x", "y", "z", "customdata", "ids", "lat", "lon", "locations"})


def slips(texts: Iterable[str]) -> list[str]:
    """Every ISO date and every minus zero in the texts, with a little context."""
    found = []
    for text in texts:
        for pattern in (ISO_DATE, MINUS_ZERO):
            for match in pattern.finditer(text):
                found.append(text[max(0, match.start() - 40) : match.end() + 20])
    return found


def page_texts(at: AppTest) -> list[str]:
    """Every text of a page AppTest ran: labels, values, captions, tabs, table cells as shown,
    chart titles and texts."""
    texts: list[str] = []
    for node in at._tree:
        proto = getattr(node, "proto", None)
        if isinstance(proto, Message):
            texts.extend(_message_texts(proto))
    return texts


def _message_texts(message: Message) -> Iterator[str]:
    for field, value in message.ListFields():
        if field.name in _HIDDEN_FIELDS or field.name.endswith("_id"):
            continue
        items = value if field.is_repeated else [value]
        if field.type == field.TYPE_MESSAGE:
            if not field.message_type.name.endswith("Entry"):
                for item in items:
                    yield from _message_texts(item)
        elif field.type == field.TYPE_BYTES and field.name == "display_values" and value:
            shown = dataframe_util.convert_arrow_bytes_to_pandas_df(value)
            yield from (str(cell) for cell in shown.to_numpy().ravel())
        elif field.type == field.TYPE_BYTES and field.name == "data" and value:
            yield from (str(column) for column in _columns(value))  # the headers
        elif field.type == field.TYPE_STRING and field.name == "spec":
            yield from _figure_texts(json.loads(value))
        elif field.type == field.TYPE_STRING:
            yield from items


def _columns(data: bytes) -> list[object]:
    try:
        return list(dataframe_util.convert_arrow_bytes_to_pandas_df(data).columns)
    except Exception:  # not a table (an image's bytes)
        return []


def _figure_texts(node: object, key: str = "") -> Iterator[str]:
    """The strings of a plotly figure but its data arrays; numbers given as text labels too."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name not in _PLOTLY_DATA:
                yield from _figure_texts(value, name)
    elif isinstance(node, list):
        for value in node:
            yield from _figure_texts(value, key)
    elif isinstance(node, str):
        yield node
    elif isinstance(node, int | float) and key == "text":
        yield str(node)
