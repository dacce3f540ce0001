"""Reading import files into rows of cells: CSV (UTF-8, BOM or GB18030), XLSX values, GeoJSON, zip."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from openpyxl import load_workbook

from data_access.importing.messages import Problem
from data_access.importing.specs import EXAMPLE_MARKERS, SPECS, kind_of_name

# A boundary's GeoJSON can be longer than the csv module's default field limit of 128 KiB.
csv.field_size_limit(2**31 - 1)

TABLE_SUFFIXES = (".csv", ".xlsx")
GEOJSON_SUFFIXES = (".geojson", ".json")
SUFFIXES = (*TABLE_SUFFIXES, *GEOJSON_SUFFIXES, ".zip")


@dataclass(frozen=True)
class Upload:
    """One file as handed over: its name and bytes (None when it was too large to read)."""

    name: str
    data: bytes | None
    size: int

    @classmethod
    def of(cls, name: str, data: bytes) -> Upload:
        return cls(name, data, len(data))


@dataclass
class RawTable:
    """The rows of one kind from one file (or one sheet): cells as read, nothing checked yet."""

    file: str  # shown in problems: the file name, with the sheet for a workbook
    source: str  # the file as uploaded, for the audit trail
    sha256: str
    kind: str
    header: list[str]
    rows: list[tuple[int, list[object]]] = field(default_factory=list)  # (row number, cells)


@dataclass
class ReadResult:
    tables: list[RawTable] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files of a folder or zip that hold no kind


def uploads_from_paths(paths: Iterable[Path], max_bytes: int) -> tuple[list[Upload], list[str]]:
    """Files and folders (each known file directly in a folder) as uploads; missing paths listed."""
    uploads: list[Upload] = []
    missing: list[str] = []
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and not _ignored(p.name))
            uploads += [_upload_of(p, f"{path.name}/{p.name}", max_bytes) for p in files]
        elif path.is_file():
            uploads.append(_upload_of(path, path.name, max_bytes))
        else:
            missing.append(str(path))
    return uploads, missing


def _upload_of(path: Path, name: str, max_bytes: int) -> Upload:
    size = path.stat().st_size
    return Upload(name, path.read_bytes() if size <= max_bytes else None, size)


def _ignored(name: str) -> bool:
    """Hidden files and Excel's lock files (~$name.xlsx) are never data."""
    base = PurePosixPath(name).name
    return base.startswith((".", "~$", "__MACOSX")) or not base


def read_uploads(uploads: Iterable[Upload], max_bytes: int, explicit: bool = True) -> ReadResult:
    """Every table in the uploads; a named file of unknown kind is a problem, one in a folder is skipped."""
    result = ReadResult()
    for upload in uploads:
        # Files from a folder carry the folder in their name: they are not named one by one.
        _read_one(upload, max_bytes, explicit and "/" not in upload.name, result)
    return result


def _read_one(upload: Upload, max_bytes: int, explicit: bool, result: ReadResult) -> None:
    name = upload.name
    suffix = PurePosixPath(name).suffix.lower()
    stem = PurePosixPath(name).stem
    if suffix not in SUFFIXES or _ignored(name):
        _unknown(name, explicit, result, "unsupported_type")
        return
    if upload.data is None or upload.size > max_bytes:
        result.problems.append(
            Problem(
                name,
                "file_too_large",
                params={"size_mb": f"{upload.size / 2**20:.1f}", "limit_mb": max_bytes // 2**20},
            )
        )
        return
    data = upload.data
    if suffix == ".zip":
        _read_zip(upload, max_bytes, result)
        return
    if suffix in GEOJSON_SUFFIXES:
        if kind_of_name(stem) != "boundaries":
            _unknown(name, explicit, result, "unknown_kind")
            return
        table = _read_geojson(name, data, result.problems)
        if table is not None:
            result.tables.append(table)
        return
    if suffix == ".csv":
        kind = kind_of_name(stem)
        if kind is None:
            _unknown(name, explicit, result, "unknown_kind")
            return
        table = _read_csv(name, data, kind, result.problems)
        if table is not None:
            result.tables.append(table)
        return
    _read_xlsx(name, data, kind_of_name(stem), explicit, result)


def _unknown(name: str, explicit: bool, result: ReadResult, key: str) -> None:
    if explicit:
        kinds = ", ".join(f"{kind} ({spec.sheet})" for kind, spec in SPECS.items())
        result.problems.append(Problem(name, key, params={"kinds": kinds}))
    else:
        result.skipped.append(name)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _member_name(info: zipfile.ZipInfo) -> str:
    """Zip tools on Chinese Windows write GBK names without the UTF-8 flag."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437")
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _read_zip(upload: Upload, max_bytes: int, result: ReadResult) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(upload.data or b""))
    except zipfile.BadZipFile as exc:
        result.problems.append(Problem(upload.name, "unreadable", params={"error": str(exc)}))
        return
    with archive:
        for info in archive.infolist():
            inner = _member_name(info)
            if info.is_dir() or _ignored(inner):
                continue
            shown = f"{upload.name}/{inner}"
            if info.file_size > max_bytes:  # checked before inflating: no zip bombs
                member = Upload(shown, None, info.file_size)
            else:
                member = Upload.of(shown, archive.read(info))
            _read_one(member, max_bytes, False, result)


def decode_text(data: bytes) -> str | None:
    """UTF-8 with or without a BOM, else GB18030; None when it is neither."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
        encodings: tuple[str, ...] = ("utf-8",)
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _delimiter(text: str) -> str:
    """Comma, unless the header line has no comma but tabs or semicolons."""
    first = text.split("\n", 1)[0]
    if "," in first:
        return ","
    for candidate in ("\t", ";"):
        if candidate in first:
            return candidate
    return ","


def _read_csv(name: str, data: bytes, kind: str, problems: list[Problem]) -> RawTable | None:
    text = decode_text(data)
    if text is None:
        problems.append(Problem(name, "encoding"))
        return None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        records = list(reader)
    except csv.Error as exc:
        problems.append(Problem(name, "unreadable", params={"error": str(exc)}))
        return None
    return _table(name, name, _sha256(data), kind, enumerate(records, start=1), problems)


def _table(
    file: str,
    source: str,
    sha256: str,
    kind: str,
    numbered: Iterable[tuple[int, Iterable[object]]],
    problems: list[Problem],
) -> RawTable | None:
    """Header = the first non-empty row; empty rows and template example rows are left out."""
    table: RawTable | None = None
    for number, cells in numbered:
        values = _trimmed(cells)
        if not values:
            continue
        if table is None:
            header = ["" if v is None else str(v) for v in values]
            table = RawTable(file, source, sha256, kind, header)
            continue
        first = values[0]
        if isinstance(first, str) and first.strip().startswith(EXAMPLE_MARKERS):
            continue
        table.rows.append((number, values))
    if table is None:
        problems.append(Problem(file, "empty_file"))
    return table


def _trimmed(cells: Iterable[object]) -> list[object]:
    """The cells without trailing empties; [] for an empty row."""
    values = list(cells)
    while values and (
        values[-1] is None or (isinstance(values[-1], str) and not values[-1].strip())
    ):
        values.pop()
    return values


def _numbered_rows(sheet: object) -> Iterator[tuple[int, tuple[object, ...]]]:
    for row in sheet.iter_rows():  # type: ignore[attr-defined]
        numbers = [cell.row for cell in row if getattr(cell, "row", None)]
        if numbers:
            yield numbers[0], tuple(cell.value for cell in row)


def _read_xlsx(
    name: str, data: bytes, stem_kind: str | None, explicit: bool, result: ReadResult
) -> None:
    try:
        # Values as last calculated by the spreadsheet, never formulas; streamed, not loaded whole.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        result.problems.append(Problem(name, "unreadable", params={"error": type(exc).__name__}))
        return
    try:
        sheets = [(sheet.title, kind_of_name(sheet.title), sheet) for sheet in workbook.worksheets]
        named = [(title, kind, sheet) for title, kind, sheet in sheets if kind is not None]
        if not named and stem_kind is not None and sheets:
            title, _, sheet = sheets[0]
            named = [(title, stem_kind, sheet)]
        if not named:
            _unknown(name, explicit, result, "unknown_kind")
            return
        digest = _sha256(data)
        several = len(named) > 1 or stem_kind is None
        for title, kind, sheet in named:
            file = f"{name} › {title}" if several else name
            problems: list[Problem] = []
            table = _table(file, name, digest, kind, _numbered_rows(sheet), problems)
            # An unused sheet of a multi-table workbook (the template's, say) is not an error.
            if table is not None and (table.rows or not several):
                result.tables.append(table)
            elif not several:
                result.problems += problems
    finally:
        workbook.close()


def _read_geojson(name: str, data: bytes, problems: list[Problem]) -> RawTable | None:
    """A FeatureCollection as rows of (code, geometry); row n is the n-th feature."""
    text = decode_text(data)
    try:
        document = json.loads(text) if text is not None else None
    except json.JSONDecodeError as exc:
        problems.append(
            Problem(name, "geojson_parse", params={"line": exc.lineno, "error": exc.msg})
        )
        return None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        problems.append(Problem(name, "geojson_not_collection"))
        return None
    features = document.get("features")
    if not isinstance(features, list):
        problems.append(Problem(name, "geojson_not_collection"))
        return None
    table = RawTable(name, name, _sha256(data), "boundaries", ["properties.code", "geometry"])
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(Problem(name, "geojson_not_feature", row=number))
            continue
        properties = feature.get("properties") or {}
        code = properties.get("code") if isinstance(properties, dict) else None
        table.rows.append((number, [code, feature.get("geometry")]))
    return table
