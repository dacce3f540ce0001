"""File formats shared by the app and the command line: CSV that Excel on Chinese Windows opens,
and workbooks with a sheet listing the filters used. No Streamlit here."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

BOM = "\ufeff"
# OWASP CSV injection: a cell starting with one of these may run as a formula in a spreadsheet,
# also after leading blanks (spaces, NBSP, U+3000, line breaks) and in their full-width forms,
# which Excel and WPS read as the ASCII ones.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_LEADING_BLANKS = re.compile(r"^[\s\u200b-\u200d\u2060\ufeff]+")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
GUARD = "'"


def needs_guard(text: str) -> bool:
    """Whether a spreadsheet could read text as a formula (or text is a guarded value itself)."""
    if text.startswith(FORMULA_TRIGGERS) or _LEADING_BLANKS.sub("", text).startswith(
        FORMULA_TRIGGERS
    ):
        return True
    # A value that already starts with the guard before a formula is guarded once more, so that
    # unguard(neutralise(v)) == v for every v: the full export imports back exactly.
    return text.startswith(GUARD) and needs_guard(text[1:])


_FILE_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')
_WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\..*)?$", re.IGNORECASE)


def safe_file_stem(text: str, max_length: int = 80) -> str:
    """A file name without extension that Windows, macOS and Linux all accept.

    Characters Windows forbids become "_", trailing dots and spaces go, reserved device
    names (CON, NUL, COM1 …) get a leading "_", and the name is cut to max_length.
    """
    stem = _FILE_FORBIDDEN.sub("_", text).strip().rstrip(". ")[:max_length].rstrip(". ")
    if not stem:
        return "export"
    return "_" + stem if _WINDOWS_RESERVED.match(stem) else stem


def neutralise(value: object) -> object:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe; other values pass."""
    if isinstance(value, str) and needs_guard(value):
        return GUARD + value
    return value


def unguard(text: str) -> str:
    """The value a guarded cell stands for: the import reads back what the export wrote."""
    if text.startswith(GUARD) and needs_guard(text[1:]):
        return text[1:]
    return text


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of frame whose text cells and headers cannot start a formula."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    safe.columns = [neutralise(str(column)) for column in safe.columns]
    return safe


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a BOM (so Excel detects the encoding), CRLF line ends, formulas neutralised."""
    text = neutralised(frame).to_csv(index=False, lineterminator="\r\n")
    return (BOM + text).encode("utf-8")


def sheet_name(title: str, taken: set[str]) -> str:
    """A valid, unique Excel sheet name (at most 31 characters, none of []:*?/\\)."""
    base = _SHEET_FORBIDDEN.sub("_", title).strip("'") or "Sheet"
    name, number = base[:31], 2
    while name in taken:
        suffix = f" ({number})"
        name, number = base[: 31 - len(suffix)] + suffix, number + 1
    taken.add(name)
    return name


def excel_bytes(
    tables: Mapping[str, pd.DataFrame],
    filters: Mapping[str, str],
    filters_title: str = "filters",
    filter_headers: tuple[str, str] = ("filter", "value"),
) -> bytes:
    """A workbook with one sheet per table and a last sheet listing the filters used."""
    buffer = io.BytesIO()
    taken: set[str] = set()
    # Text stays text: no string is turned into a formula or a link.
    options = {"strings_to_formulas": False, "strings_to_urls": False}
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        for title, frame in tables.items():
            name = sheet_name(title, taken)
            frame.to_excel(writer, sheet_name=name, index=False)
            writer.sheets[name].set_column(0, max(len(frame.columns) - 1, 0), 16)
        filter_frame = pd.DataFrame(list(filters.items()), columns=list(filter_headers))
        name = sheet_name(filters_title, taken)
        filter_frame.to_excel(writer, sheet_name=name, index=False)
        writer.sheets[name].set_column(0, 1, 28)
    return buffer.getvalue()


def plain_csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with a BOM and CRLF like csv_bytes, from plain rows, for files meant to be imported
    again: formulas are guarded as everywhere, and the import removes exactly that guard."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return (BOM + buffer.getvalue()).encode("utf-8")
