"""XLSX read by the cells present, as a stream (docs/security.md).

openpyxl's read-only mode walks the range a sheet declares and pads every row to its width, so
that a 2 KB file claiming A1:XFD1048576 runs for minutes. Here the sheet XML is parsed as a
stream: only rows and cells that hold a value cost anything, every part is inflated through
SafeZip's caps, and values are those last calculated by the spreadsheet, never formulas.

Sheets and shared strings go through expat's handlers, not a tree: nothing is held but the row
being read, so memory does not grow with the elements a part holds. What is held is capped by
count and characters before it grows (docs/security.md): the shared strings, the text of one
cell, and the elements that are not rows, whose count bounds the time a sheet of junk costs.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from data_access.importing.safezip import SafeZip, ZipRefused

# Import tables have at most nine columns; a value further right than this is not a table.
MAX_COLUMNS = 256
# workbook.xml, its relations and styles.xml are small in any real workbook.
SMALL_PART = 8 << 20
# Shared strings: a workbook of the largest import holds far fewer distinct texts than this.
MAX_SHARED_STRINGS = 1_000_000
MAX_SHARED_CHARS = 32 << 20
# Excel keeps at most 32,767 characters in a cell.
MAX_CELL_CHARS = 32_767
# Elements of a sheet that are neither rows nor parts of a cell (column widths, merged cells,
# formats, …): a few thousand in a real sheet.
MAX_OTHER_ELEMENTS = 100_000
# Inflated bytes handed to expat at a time.
_FEED = 1 << 16
_CELL_PARTS = frozenset({"c", "v", "f", "is", "t", "r", "rPr", "rPh", "phoneticPr"})
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
            reader = _SheetReader(self)
            parser = _parser(reader.start, reader.end, reader.text)
            try:
                for chunk in _pieces(archive.chunks(info, self.member_cap)):
                    parser.Parse(chunk, False)
                    yield from reader.take()
                parser.Parse(b"", True)
                yield from reader.take()
            except expat.ExpatError as exc:
                raise SheetError("unreadable", reader.number + 1, error=f"XML: {exc}") from exc

    def value(self, kind: str, raw: str | None, style: str | None, number: int) -> object:
        """A cell's value from its type (t), its text (v, or the inline string) and its style."""
        if raw is None:
            return None
        if kind == "inlineStr":
            return raw
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
        return self._number(raw.strip(), style)

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
    """The shared strings, refused (SheetError) as soon as they pass their count or characters."""
    info = archive.find(path)
    if info is None:
        return []
    reader = _SharedReader()
    parser = _parser(reader.start, reader.end, reader.text)
    try:
        for chunk in _pieces(archive.chunks(info, cap)):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise SheetError("unreadable", error=f"{path}: {exc}") from exc
    return reader.strings


def _pieces(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Inflated bytes in pieces of at most _FEED: one piece's rows are all a reader holds."""
    for chunk in chunks:
        for start in range(0, len(chunk), _FEED):
            yield chunk[start : start + _FEED]


def _parser(start: Any, end: Any, text: Any) -> Any:
    """An expat parser with local names (namespace}name) and no document type: OOXML has none,
    and a DTD is how entity bombs come in."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.buffer_text = True

    def no_doctype(*args: object) -> None:
        raise SheetError("unreadable", error="XML with a document type")

    parser.StartDoctypeDeclHandler = no_doctype
    parser.EntityDeclHandler = no_doctype
    return parser


class _SharedReader:
    """<si> items of sharedStrings.xml: the text of their <t>, rich runs' <r><t> included,
    phonetic hints (<rPh>) left out."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self.parts: list[str] | None = None  # the texts of the <si> being read
        self.collect = False
        self.phonetic = 0
        self.chars = 0

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        name = _local(tag)
        if name == "si":
            if len(self.strings) >= MAX_SHARED_STRINGS:
                raise SheetError("xlsx_shared_strings", limit=MAX_SHARED_STRINGS)
            self.parts = []
        elif name == "rPh":
            self.phonetic += 1
        elif name == "t" and self.parts is not None and not self.phonetic:
            self.collect = True

    def end(self, tag: str) -> None:
        name = _local(tag)
        if name == "t":
            self.collect = False
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "si" and self.parts is not None:
            self.strings.append("".join(self.parts))
            self.parts = None

    def text(self, data: str) -> None:
        if self.collect and self.parts is not None:
            self.chars += len(data)
            if self.chars > MAX_SHARED_CHARS:
                raise SheetError("xlsx_shared_strings", limit=MAX_SHARED_STRINGS)
            self.parts.append(data)


class _SheetReader:
    """A sheet's rows as expat reports its elements; the rows read since take() are pending."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.pending: list[tuple[int, list[object]]] = []
        self.number = 0  # the row being read, or the last one
        self.in_data = False  # inside <sheetData>
        self.in_row = False
        self.values: dict[int, object] = {}
        self.column = 0
        self.cell: tuple[str, str | None] | None = None  # (type, style) of the cell being read
        self.raw: list[str] | None = None  # the text of its <v> or inline string
        self.chars = 0
        self.collect = False
        self.phonetic = 0
        self.others = 0

    def take(self) -> list[tuple[int, list[object]]]:
        rows, self.pending = self.pending, []
        return rows

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        name = _local(tag)
        if self.in_row and name in _CELL_PARTS:
            if name == "c":
                reference = attributes.get("r")
                match = _CELL.match(reference or "")
                self.column = _column_index(match.group(1)) if match else self.column + 1
                self.cell = (attributes.get("t", "n"), attributes.get("s"))
                self.raw, self.chars = None, 0
            elif name == "rPh":
                self.phonetic += 1
            elif self.cell is not None and not self.phonetic:
                inline = self.cell[0] == "inlineStr"
                if (name == "v" and not inline) or (name == "t" and inline):
                    self.collect = True
                    if self.raw is None:
                        self.raw = []
            return
        if name == "row" and self.in_data:
            given = attributes.get("r")
            self.number = int(given) if given and given.isdigit() else self.number + 1
            self.in_row, self.values, self.column = True, {}, 0
            return
        if name == "sheetData":
            self.in_data = True
            return
        if name == "worksheet":
            return
        self.others += 1
        if self.others > MAX_OTHER_ELEMENTS:
            raise SheetError("xlsx_elements", self.number or None, limit=MAX_OTHER_ELEMENTS)

    def end(self, tag: str) -> None:
        name = _local(tag)
        if not self.in_row:
            if name == "sheetData":
                self.in_data = False
            return
        if name in ("v", "t"):
            self.collect = False
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "c" and self.cell is not None:
            kind, style = self.cell
            raw = None if self.raw is None else "".join(self.raw)
            value = self.book.value(kind, raw, style, self.number)
            self.cell, self.raw = None, None
            if value is None or (isinstance(value, str) and not value.strip()):
                return
            if self.column > MAX_COLUMNS:
                raise SheetError("too_many_columns", self.number, limit=MAX_COLUMNS)
            self.values[self.column] = value
        elif name == "row":
            self.in_row = False
            if self.values:
                cells: list[object] = [None] * max(self.values)
                for index, value in self.values.items():
                    cells[index - 1] = value
                self.pending.append((self.number, cells))
            self.values = {}

    def text(self, data: str) -> None:
        if self.collect and self.raw is not None:
            self.chars += len(data)
            if self.chars > MAX_CELL_CHARS:
                raise SheetError("xlsx_cell_too_long", self.number, limit=MAX_CELL_CHARS)
            self.raw.append(data)


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
