"""Reading import files into rows of cells, as streams: CSV, XLSX, GeoJSON, zip (docs/security.md).

Nothing here holds all rows of a file: a table knows its header and how to walk its rows again
(the import reads each table twice, once to check and once to write). Every cap is counted on
what is actually read, never on what a header or a zip directory declares.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, SupportsInt, cast

from data_access.importing.messages import Problem
from data_access.importing.safezip import SafeZip, ZipRefused
from data_access.importing.specs import EXAMPLE_MARKERS, SPECS, kind_of_name
from data_access.importing.xlsx import MAX_COLUMNS, SheetError, Workbook, open_workbook

# A boundary's GeoJSON can be longer than the csv module's default field limit of 128 KiB.
csv.field_size_limit(2**31 - 1)

TABLE_SUFFIXES = (".csv", ".xlsx")
GEOJSON_SUFFIXES = (".geojson", ".json")
SUFFIXES = (*TABLE_SUFFIXES, *GEOJSON_SUFFIXES, ".zip")
# A line longer than this is checked for a flood of separators before the csv module splits it.
LONG_LINE = 1 << 16
_QUOTED = re.compile(r'"[^"]*"')
# A Chinese character in UTF-8: three bytes that no GB18030 text forms line after line.
_UTF8_WIDE = re.compile(rb"[\xe0-\xef][\x80-\xbf]{2}")

Rows = Iterator[tuple[int, list[object]]]


class ReadProblem(Exception):
    """Raised while walking a table's rows: the file cannot be read further."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.key)
        self.problem = problem


@dataclass(frozen=True)
class Limits:
    """Caps of one import: bytes per file, bytes inflated from one zip or workbook, bytes of a
    boundaries file (GeoJSON, whose outlines cost the most memory per byte)."""

    max_bytes: int
    max_unzipped: int
    max_geojson: int

    @classmethod
    def of(
        cls, max_bytes: int, max_unzipped: int | None = None, max_geojson: int | None = None
    ) -> Limits:
        return cls(
            max_bytes,
            max_unzipped if max_unzipped is not None else 3 * max_bytes,
            min(max_bytes, max_geojson) if max_geojson is not None else max_bytes,
        )


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
    """The rows of one kind from one file (or sheet): a header, and a way to walk the rows."""

    file: str  # shown in problems: the file name, with the sheet for a workbook
    source: str  # the file as uploaded, for the audit trail
    sha256: str
    kind: str
    header: list[str]
    walk: Callable[[], Rows] = field(repr=False)  # every row after the header, numbered
    estimate: int = 0  # rows expected, for progress only
    count: int = 0  # data rows, known once the rows were walked

    def rows(self) -> Rows:
        """Data rows: empty rows and template example rows left out."""
        for number, cells in self.walk():
            first = cells[0] if cells else None
            if isinstance(first, str) and first.strip().startswith(EXAMPLE_MARKERS):
                continue
            yield number, cells


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


def read_uploads(
    uploads: Iterable[Upload], max_bytes: int | Limits, explicit: bool = True
) -> ReadResult:
    """Every table in the uploads; a named file of unknown kind is a problem, one in a folder is skipped."""
    limits = max_bytes if isinstance(max_bytes, Limits) else Limits.of(max_bytes)
    result = ReadResult()
    for upload in uploads:
        # Files from a folder carry the folder in their name: they are not named one by one.
        _read_one(upload, limits, explicit and "/" not in upload.name, result, in_zip=False)
    return result


def _read_one(
    upload: Upload, limits: Limits, explicit: bool, result: ReadResult, in_zip: bool
) -> None:
    name = upload.name
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in SUFFIXES or _ignored(name):
        _unknown(name, explicit, result, "unsupported_type")
        return
    if upload.data is None or upload.size > limits.max_bytes:
        result.problems.append(_too_large(name, upload.size, limits.max_bytes))
        return
    if suffix == ".zip":
        if in_zip:  # one level only: a zip in a zip is how bombs are nested
            result.problems.append(Problem(name, "zip_nested"))
        else:
            _read_zip(upload, limits, result)
        return
    _read_member(name, upload.data, limits, explicit, result)


def _read_member(
    name: str, data: bytes, limits: Limits, explicit: bool, result: ReadResult
) -> None:
    suffix = PurePosixPath(name).suffix.lower()
    stem = PurePosixPath(name).stem
    if suffix in GEOJSON_SUFFIXES:
        if kind_of_name(stem) != "boundaries":
            _unknown(name, explicit, result, "unknown_kind")
            return
        if len(data) > limits.max_geojson:
            result.problems.append(_too_large(name, len(data), limits.max_geojson))
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
    _read_xlsx(name, data, kind_of_name(stem), explicit, limits, result)


def _too_large(name: str, size: int, limit: int) -> Problem:
    return Problem(
        name,
        "file_too_large",
        params={"size_mb": f"{size / 2**20:.1f}", "limit_mb": limit // 2**20},
    )


def _unknown(name: str, explicit: bool, result: ReadResult, key: str) -> None:
    if explicit:
        kinds = ", ".join(f"{kind} ({spec.sheet})" for kind, spec in SPECS.items())
        result.problems.append(Problem(name, key, params={"kinds": kinds}))
    else:
        result.skipped.append(name)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _wanted(inner: str) -> bool:
    """Members the import reads: only these are inflated."""
    path = PurePosixPath(inner)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".zip"):
        return True
    if suffix in GEOJSON_SUFFIXES:
        return kind_of_name(path.stem) == "boundaries"
    return suffix == ".csv" and kind_of_name(path.stem) is not None


def _read_zip(upload: Upload, limits: Limits, result: ReadResult) -> None:
    try:
        archive = SafeZip(upload.data or b"", limits.max_unzipped)
    except ZipRefused as refused:
        result.problems.append(_zip_problem(upload.name, refused, limits))
        return
    with archive:
        for inner, info in archive.members():
            if info.is_dir() or _ignored(inner):
                continue
            shown = f"{upload.name}/{inner}"
            if not _wanted(inner):
                result.skipped.append(shown)
                continue
            if PurePosixPath(inner).suffix.lower() == ".zip":
                result.problems.append(Problem(shown, "zip_nested"))
                continue
            if info.file_size > limits.max_bytes:  # declared too large: refused unread
                result.problems.append(_too_large(shown, info.file_size, limits.max_bytes))
                continue
            try:
                data = archive.read(info, limits.max_bytes)
            except ZipRefused as refused:
                result.problems.append(_zip_problem(shown, refused, limits))
                if refused.key == "zip_bomb":
                    return  # the archive's budget is spent: nothing after it is read
                continue
            _read_member(shown, data, limits, False, result)


def _zip_problem(shown: str, refused: ZipRefused, limits: Limits) -> Problem:
    if refused.key == "file_too_large":
        return _too_large(
            shown, int(cast(SupportsInt, refused.params.get("size", 0))), limits.max_bytes
        )
    params = dict(refused.params)
    if refused.key == "zip_bomb":
        params["limit_mb"] = limits.max_unzipped // 2**20
    return Problem(shown, refused.key, params=params)


# ---------------------------------------------------------------------------------------------
# CSV


def choose_encoding(data: bytes) -> tuple[str | None, int | None]:
    """The one encoding of a file: (codec, None), or (None, first bad line) when it mixes them.

    Strict UTF-8 (with or without a BOM) first; a file that has lines of UTF-8 Chinese and
    still fails UTF-8 elsewhere mixes encodings and is refused at its first bad line, rather
    than read as GB18030, which would turn its UTF-8 lines into mojibake without an error.
    """
    bom = data.startswith(codecs.BOM_UTF8)
    first_bad: int | None = None
    wide_utf8 = bom
    for number, line in enumerate(io.BytesIO(data), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            if first_bad is None:
                first_bad = number
            continue
        if not wide_utf8 and _UTF8_WIDE.search(line):
            wide_utf8 = True
        if first_bad is not None and wide_utf8:
            break
    if first_bad is None:
        return ("utf-8-sig" if bom else "utf-8"), None
    if wide_utf8:
        return None, first_bad
    decoder = codecs.getincrementaldecoder("gb18030")("strict")
    try:
        for start in range(0, len(data), 1 << 20):
            decoder.decode(data[start : start + (1 << 20)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None, None
    return "gb18030", None


def _delimiter(first_line: str) -> str:
    """Comma, unless the header line has no comma but tabs or semicolons."""
    if "," in first_line:
        return ","
    for candidate in ("\t", ";"):
        if candidate in first_line:
            return candidate
    return ","


def _read_csv(name: str, data: bytes, kind: str, problems: list[Problem]) -> RawTable | None:
    encoding, bad_line = choose_encoding(data)
    if encoding is None:
        if bad_line is not None:
            problems.append(Problem(name, "mixed_encoding", row=bad_line))
        else:
            problems.append(Problem(name, "encoding"))
        return None
    first_line = io.BytesIO(data).readline(LONG_LINE).decode(encoding, errors="replace")
    delimiter = _delimiter(first_line)

    def records() -> Rows:
        text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
        reader = csv.reader(_guarded(text, delimiter, name), delimiter=delimiter)
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):
                values = _trimmed(cells)
                if values:
                    yield number, values
        except csv.Error as exc:
            raise ReadProblem(
                Problem(name, "unreadable", row=number + 1, params={"error": str(exc)})
            ) from exc
        except UnicodeDecodeError as exc:
            raise ReadProblem(Problem(name, "encoding")) from exc

    return _table(name, name, _sha256(data), kind, records, data.count(b"\n"), problems)


def _guarded(lines: Iterable[str], delimiter: str, name: str) -> Iterator[str]:
    """Lines for the csv module; a long one that would split into a flood of cells is refused."""
    for number, line in enumerate(lines, start=1):
        if len(line) > LONG_LINE and _QUOTED.sub("", line).count(delimiter) > MAX_COLUMNS:
            raise ReadProblem(
                Problem(name, "too_many_columns", row=number, params={"limit": MAX_COLUMNS})
            )
        yield line


def _table(
    file: str,
    source: str,
    sha256: str,
    kind: str,
    walk: Callable[[], Rows],
    estimate: int,
    problems: list[Problem],
) -> RawTable | None:
    """Header = the first non-empty row; the rows after it are walked later, as often as needed."""
    try:
        first = next(walk(), None)
    except ReadProblem as error:
        problems.append(error.problem)
        return None
    if first is None:
        problems.append(Problem(file, "empty_file"))
        return None
    header_number, header_cells = first
    header = ["" if v is None else str(v) for v in header_cells]

    def after_header() -> Rows:
        for number, cells in walk():
            if number > header_number:
                yield number, cells

    return RawTable(file, source, sha256, kind, header, after_header, estimate)


def _trimmed(cells: Sequence[object]) -> list[object]:
    """The cells without trailing empties; [] for an empty row."""
    end = len(cells)
    while end and (
        cells[end - 1] is None
        or (isinstance(cells[end - 1], str) and not str(cells[end - 1]).strip())
    ):
        end -= 1
    return list(cells[:end])


# ---------------------------------------------------------------------------------------------
# XLSX


def _read_xlsx(
    name: str,
    data: bytes,
    stem_kind: str | None,
    explicit: bool,
    limits: Limits,
    result: ReadResult,
) -> None:
    try:
        workbook = open_workbook(data, limits.max_unzipped, limits.max_unzipped)
    except ZipRefused as refused:
        key = "unreadable" if refused.key == "unreadable" else refused.key
        params: dict[str, Any] = dict(refused.params)
        if key == "unreadable":
            params.setdefault("error", "not a workbook")
        shown = f"{name}/{refused.member}" if refused.member else name
        result.problems.append(_zip_problem(shown, ZipRefused(key, **params), limits))
        return
    except SheetError as error:
        result.problems.append(Problem(name, error.key, error.row, params=error.params))
        return
    sheets = [(title, kind_of_name(title), path) for title, path in workbook.sheets]
    named = [(title, kind, path) for title, kind, path in sheets if kind is not None]
    if not named and stem_kind is not None and sheets:
        title, _, path = sheets[0]
        named = [(title, stem_kind, path)]
    if not named:
        _unknown(name, explicit, result, "unknown_kind")
        return
    digest = _sha256(data)
    several = len(named) > 1 or stem_kind is None
    for title, kind, path in named:
        file = f"{name} › {title}" if several else name
        problems: list[Problem] = []
        table = _table(
            file, name, digest, kind, _sheet_walk(workbook, path, file, limits), 0, problems
        )
        # An unused sheet of a multi-table workbook (the template's, say) is not an error.
        if table is not None and (not several or _has_rows(table, problems)):
            result.tables.append(table)
        elif not several:
            result.problems += problems
        else:
            result.problems += [p for p in problems if p.key != "empty_file"]


def _has_rows(table: RawTable, problems: list[Problem]) -> bool:
    try:
        return next(table.rows(), None) is not None
    except ReadProblem as error:
        problems.append(error.problem)
        return False


def _sheet_walk(workbook: Workbook, path: str, file: str, limits: Limits) -> Callable[[], Rows]:
    def walk() -> Rows:
        try:
            yield from workbook.rows(path)
        except SheetError as error:
            raise ReadProblem(Problem(file, error.key, error.row, params=error.params)) from error
        except ZipRefused as refused:
            raise ReadProblem(_zip_problem(file, refused, limits)) from refused

    return walk


# ---------------------------------------------------------------------------------------------
# GeoJSON


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number")


class DuplicateKey(ValueError):
    """A JSON object names one key twice: json.loads would keep the last value unnoticed."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key if len(key) <= 60 else key[:57] + "…"


def unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """json.loads' object_pairs_hook: every object, at any depth, with each key once."""
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return document


def _read_geojson(name: str, data: bytes, problems: list[Problem]) -> RawTable | None:
    """A FeatureCollection as rows of (code, geometry); row n is the n-th feature."""
    encoding, _ = choose_encoding(data)
    if encoding is None:
        problems.append(Problem(name, "encoding"))
        return None
    try:
        document = json.loads(
            data.decode(encoding), parse_constant=_no_constant, object_pairs_hook=unique_keys
        )
    except json.JSONDecodeError as exc:
        problems.append(
            Problem(name, "geojson_parse", params={"line": exc.lineno, "error": exc.msg})
        )
        return None
    except DuplicateKey as exc:
        problems.append(Problem(name, "geojson_duplicate_key", params={"name": exc.key}))
        return None
    except (ValueError, RecursionError) as exc:  # NaN, a 5,000-digit number, deep nesting
        error = "nesting too deep" if isinstance(exc, RecursionError) else str(exc)[:100]
        problems.append(Problem(name, "geojson_parse", params={"line": "—", "error": error}))
        return None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        problems.append(Problem(name, "geojson_not_collection"))
        return None
    features = document.get("features")
    if not isinstance(features, list):
        problems.append(Problem(name, "geojson_not_collection"))
        return None
    # Only each feature's code and geometry text are kept: the parsed document of a boundary of
    # a million vertices takes about 160 MB (docs/security.md, memory).
    rows = [_feature_row(feature) for feature in features]
    count = len(features)
    del document, features

    def walk() -> Rows:
        for number, cells in enumerate(rows, start=1):
            yield number, list(cells)

    return RawTable(
        name, name, _sha256(data), "boundaries", ["properties.code", "geometry"], walk, count
    )


@dataclass(frozen=True)
class GeometryText:
    """A feature's geometry object as the compact JSON that the import stores (to_geometry)."""

    text: str


def _feature_row(feature: object) -> list[object]:
    """A feature's cells: its code and its geometry, an object as GeometryText."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return [NOT_A_FEATURE, None]
    properties = feature.get("properties") or {}
    code = properties.get("code") if isinstance(properties, dict) else None
    geometry = feature.get("geometry")
    # An infinite number, or nesting too deep to write again, is kept as parsed: to_geometry
    # refuses it as it always did.
    if isinstance(geometry, dict):
        with contextlib.suppress(ValueError, RecursionError):
            geometry = GeometryText(
                json.dumps(geometry, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
            )
    return [code, geometry]


class _NotAFeature:
    """Stands in a row for an item of `features` that is not a Feature: a problem when checked."""


NOT_A_FEATURE = _NotAFeature()
