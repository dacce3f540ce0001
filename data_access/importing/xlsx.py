"""XLSX read by the cells present, as a stream (README, Security).

openpyxl's read-only mode walks the range a sheet declares and pads every row to its width, so
that a 2 KB file claiming A1:XFD1048576 runs for minutes. Here the sheet XML is parsed as a
stream: only rows and cells that hold a value cost anything, every part is inflated through
SafeZip's caps, and values are those last calculated by the spreadsheet, never formulas.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from data_access.importing.safezip import SafeZip, ZipRefused

# Import tables have at most nine columns; a value further right than this is not a table.
MAX_COLUMNS = 256
# workbook.xml, its relations and styles.xml are small in any real workbook.
SMALL_PART = 8 << 20
_CELL = re.compile(r"^([A-Z]{1,3})(\d+)$")
_INTEGER = re.compile(r"^-?\d{1,15}$")
# Built-in number formats that are dates (ids 27–36 and 50–58 are the East Asian ones).
_DATE_FORMAT_IDS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)}


class SheetError(Exception):
    """A sheet that cannot be read further: key and params of the problem, and the row."""

    def __init__(self, key: str, row: int | None = None, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.row = row
        self.params = params


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [child for child in element if _local(child.tag) == name]


def _attribute(element: ElementTree.Element, name: str) -> str | None:
    """An attribute by local name, whatever its namespace (r:id in either OOXML flavour)."""
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index


@dataclass
class Workbook:
    data: bytes
    member_cap: int
    total_cap: int
    sheets: list[tuple[str, str]] = field(default_factory=list)  # (title, part path)
    shared: list[str] = field(default_factory=list)
    date_styles: set[int] = field(default_factory=set)
    epoch: dt.datetime = CALENDAR_WINDOWS_1900

    def rows(self, path: str) -> Iterator[tuple[int, list[object]]]:
        """(row number, cells) of every row holding a value, cells up to the last value."""
        with SafeZip(self.data, self.total_cap) as archive:
            info = archive.find(path)
            if info is None:
                raise SheetError("unreadable", error=f"missing part {path}")
            stream = archive.stream(info, self.member_cap)
            number = 0
            container: ElementTree.Element | None = None
            try:
                for event, element in ElementTree.iterparse(stream, events=("start", "end")):
                    name = _local(element.tag)
                    if event == "start":
                        if name == "sheetData":
                            container = element
                        continue
                    if name != "row":
                        continue
                    given = element.get("r")
                    number = int(given) if given and given.isdigit() else number + 1
                    cells = self._cells(element, number)
                    if container is not None:
                        container.clear()
                    else:
                        element.clear()
                    if cells:
                        yield number, cells
            except ElementTree.ParseError as exc:
                raise SheetError("unreadable", number + 1, error=f"XML: {exc}") from exc

    def _cells(self, row: ElementTree.Element, number: int) -> list[object]:
        values: dict[int, object] = {}
        column = 0
        for cell in row:
            if _local(cell.tag) != "c":
                continue
            reference = cell.get("r")
            match = _CELL.match(reference or "")
            column = _column_index(match.group(1)) if match else column + 1
            value = self._value(cell, number)
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if column > MAX_COLUMNS:
                raise SheetError("too_many_columns", number, limit=MAX_COLUMNS)
            values[column] = value
        if not values:
            return []
        cells: list[object] = [None] * max(values)
        for index, value in values.items():
            cells[index - 1] = value
        return cells

    def _value(self, cell: ElementTree.Element, number: int) -> object:
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            return "".join(
                t.text or "" for t in cell.iter() if _local(t.tag) == "t" and t is not cell
            )
        raw = next((child.text for child in cell if _local(child.tag) == "v"), None)
        if raw is None:
            return None
        if kind == "s":
            try:
                return self.shared[int(raw)]
            except (ValueError, IndexError) as exc:
                raise SheetError("unreadable", number, error="shared string") from exc
        if kind in ("str", "e"):
            return raw
        if kind == "b":
            return raw.strip() == "1"
        if kind == "d":
            try:
                return dt.datetime.fromisoformat(raw.strip())
            except ValueError:
                return raw
        return self._number(raw.strip(), cell.get("s"))

    def _number(self, raw: str, style: str | None) -> object:
        try:
            number: int | float = int(raw) if _INTEGER.match(raw) else float(raw)
        except ValueError:
            return raw
        if style and style.isdigit() and int(style) in self.date_styles:
            try:
                return from_excel(number, self.epoch)
            except (ValueError, OverflowError, TypeError):
                return number
        return number


def open_workbook(data: bytes, member_cap: int, total_cap: int) -> Workbook:
    """The sheets, shared strings and date styles of a workbook; SheetError or ZipRefused."""
    book = Workbook(data, member_cap, total_cap)
    with SafeZip(data, total_cap) as archive:
        workbook_path = _office_document(archive)
        root = _small_part(archive, workbook_path)
        if root is None:
            raise SheetError("unreadable", error="no workbook part")
        base = PurePosixPath(workbook_path).parent
        rels_path = str(base / "_rels" / f"{PurePosixPath(workbook_path).name}.rels")
        targets = _relations(archive, rels_path, base)
        for properties in root.iter():
            if _local(properties.tag) == "workbookPr" and properties.get("date1904") in (
                "1",
                "true",
            ):
                book.epoch = CALENDAR_MAC_1904
        for sheet in root.iter():
            if _local(sheet.tag) != "sheet":
                continue
            target = targets.get(_attribute(sheet, "id") or "")
            if target:
                book.sheets.append((sheet.get("name") or "", target))
        shared_path = next(
            (path for kind, path in targets.values_by_type() if kind.endswith("/sharedStrings")),
            None,
        )
        styles_path = next(
            (path for kind, path in targets.values_by_type() if kind.endswith("/styles")), None
        )
        if shared_path:
            book.shared = _shared_strings(archive, shared_path, member_cap)
        if styles_path:
            book.date_styles = _date_styles(archive, styles_path)
    return book


class _Targets(dict[str, str]):
    """Relation id → part path, with the relation types kept alongside."""

    def __init__(self) -> None:
        super().__init__()
        self.types: dict[str, str] = {}

    def values_by_type(self) -> list[tuple[str, str]]:
        return [(self.types[key], path) for key, path in self.items()]


def _office_document(archive: SafeZip) -> str:
    root = _small_part(archive, "_rels/.rels")
    if root is not None:
        for relation in root:
            if (relation.get("Type") or "").endswith("/officeDocument"):
                return (relation.get("Target") or "xl/workbook.xml").lstrip("/")
    return "xl/workbook.xml"


def _relations(archive: SafeZip, path: str, base: PurePosixPath) -> _Targets:
    targets = _Targets()
    root = _small_part(archive, path)
    if root is None:
        return targets
    for relation in root:
        target, key = relation.get("Target") or "", relation.get("Id") or ""
        resolved = target.lstrip("/") if target.startswith("/") else str(base / target)
        targets[key] = resolved
        targets.types[key] = relation.get("Type") or ""
    return targets


def _small_part(archive: SafeZip, path: str) -> ElementTree.Element | None:
    info = archive.find(path)
    if info is None:
        return None
    try:
        return ElementTree.fromstring(archive.read(info, SMALL_PART))
    except ElementTree.ParseError as exc:
        raise SheetError("unreadable", error=f"{path}: {exc}") from exc


def _shared_strings(archive: SafeZip, path: str, cap: int) -> list[str]:
    info = archive.find(path)
    if info is None:
        return []
    strings: list[str] = []
    try:
        for _, element in ElementTree.iterparse(archive.stream(info, cap), events=("end",)):
            if _local(element.tag) == "si":
                # Rich text keeps its runs in <r><t>; phonetic hints (<rPh>) are not the value.
                parts = [
                    t.text or ""
                    for child in element
                    if _local(child.tag) in ("t", "r")
                    for t in ([child] if _local(child.tag) == "t" else _children(child, "t"))
                ]
                strings.append("".join(parts))
                element.clear()
    except ElementTree.ParseError as exc:
        raise SheetError("unreadable", error=f"{path}: {exc}") from exc
    return strings


def _date_styles(archive: SafeZip, path: str) -> set[int]:
    root = _small_part(archive, path)
    if root is None:
        return set()
    custom = {
        int(fmt.get("numFmtId") or -1): fmt.get("formatCode") or ""
        for fmt in root.iter()
        if _local(fmt.tag) == "numFmt"
    }
    dates: set[int] = set()
    for block in root:
        if _local(block.tag) != "cellXfs":
            continue
        for index, xf in enumerate(_children(block, "xf")):
            number_format = int(xf.get("numFmtId") or 0)
            code = custom.get(number_format, BUILTIN_FORMATS.get(number_format, ""))
            if number_format in _DATE_FORMAT_IDS or (code and is_date_format(code)):
                dates.add(index)
    return dates


__all__ = ["SheetError", "Workbook", "ZipRefused", "open_workbook"]
