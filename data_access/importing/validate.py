"""Every check of docs/metrics.md §6, run before anything is written; each failure becomes a Problem."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import cast
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.validation import explain_validity

from data_access.coverage import coordinate_arrays
from data_access.files import unguard
from data_access.importing.messages import Problem
from data_access.importing.readers import (
    NOT_A_FEATURE,
    DuplicateKey,
    GeometryText,
    RawTable,
    ReadProblem,
    unique_keys,
)
from data_access.importing.specs import (
    CITY_SCOPE_WORDS,
    LAT_RANGE,
    LON_RANGE,
    PERSONAL_HEADERS,
    SPECS,
    Column,
    TableSpec,
    allowed_text,
    header_map,
    normalise_header,
)
from data_access.scope import CODE_LENGTH, ancestors, month_start
from data_access.settings import get_settings

Progress = Callable[[str, int, int], None]
PROGRESS_EVERY = 5000

_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
# Excel's damage to numbers and codes typed into a column not formatted as text (docs/metrics.md
# §6): digits grouped by thousands (8,650) are the number they show; a code with `.0` appended
# is the code; a code in scientific notation (4.20115E+11) has lost the digits it does not show.
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_WHOLE_WITH_ZEROS = re.compile(r"^(\d+)\.0+$")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")
# A key in scientific notation as Excel writes it (3.71502E+17): a code of digits it damaged.
_SCIENTIFIC_KEY = re.compile(r"^\d+(\.\d+)?[eE]\+\d+$")
# Digits, signs, separators and the exponent typed with a Chinese input method in full width
# (４２０１, ８，６５０): read as the ASCII characters they are. NFKC is not used, since it would
# also turn ² or ① into digits.
_FULL_WIDTH = str.maketrans(
    {
        **{chr(0xFF10 + digit): str(digit) for digit in range(10)},
        "，": ",",
        "．": ".",
        "＋": "+",
        "－": "-",
        "Ｅ": "E",
        "ｅ": "e",
        "／": "/",
        "\u3000": " ",
    }
)
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_PERIOD = re.compile(r"^(\d{4})[-/.](\d{1,2})([-/.]0?1)?$")
# A pseudonymous staff code must not be an ID card number or a mobile phone number.
_PERSONAL_ID = re.compile(r"^(\d{17}[\dXx]|\d{15}|1[3-9]\d{9})$")
_TRUE = {"true", "1", "是", "yes", "y"}
# What every backend stores: 32-bit integers; floats far beyond any area or coordinate are typos.
INT_RANGE = (-(2**31), 2**31 - 1)
FLOAT_LIMIT = 1e12
# Dates and months the dashboard deals in; MySQL DATE starts at year 1000, PostgreSQL's much earlier.
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2100, 12, 31)
_FALSE = {"false", "0", "否", "no", "n"}


class CellError(ValueError):
    """A cell that cannot be read as its column's type: key and params of the message."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class RowSet:
    """Row numbers, one bit each: the rows of a table found with a problem. A bit per row keeps
    a file of 1.5 M refused rows in 190 KB, where a set of numbers would take 100 MB."""

    def __init__(self) -> None:
        self.bits = bytearray()
        self.count = 0

    def add(self, number: int) -> None:
        index, bit = number >> 3, 1 << (number & 7)
        if index >= len(self.bits):
            self.bits.extend(bytes(max(index + 1 - len(self.bits), len(self.bits))))
        if not self.bits[index] & bit:
            self.bits[index] |= bit
            self.count += 1

    def __contains__(self, number: object) -> bool:
        if not isinstance(number, int):
            return False
        index = number >> 3
        return index < len(self.bits) and bool(self.bits[index] & (1 << (number & 7)))


@dataclass
class CheckedTable:
    """A table whose header passed: how to turn its rows into database values, for the write."""

    raw: RawTable
    spec: TableSpec
    columns: list[str]  # the English names of the columns the file has
    positions: list[Column | None]  # the column of each cell of a row
    headers: dict[str, str]  # English name → header as written in the file
    # Per position, cell text → converted value or CellError: codes, categories and months
    # repeat row after row, and converting each once halves the time of a large file.
    cache: list[dict[object, object]] = field(default_factory=list)
    # The months of a burden table's sound rows, for the cap on new months (check_new_months).
    months: set[dt.date] = field(default_factory=set)
    # The rows found with a problem, and whether every row was read (a stop ends the reading).
    refused: RowSet = field(default_factory=RowSet)
    complete: bool = True

    def records(self) -> Iterator[tuple[int, dict[str, object]]]:
        """(row number, values) of every row, for the write once every check has passed."""
        for number, cells in self.raw.rows():
            record, problems = convert_row(self, number, cells)
            if problems:  # the file changed between the check and the write
                raise RuntimeError(f"{self.raw.file} row {number} changed after its check")
            yield number, record

    def sound_records(self) -> Iterator[tuple[int, dict[str, object]]]:
        """(row number, values) of the rows found without a problem, for the preview of an
        import that is only checked."""
        for number, cells in self.raw.rows():
            if number in self.refused:
                continue
            record, problems = convert_row(self, number, cells)
            if problems:  # the file changed since its check: the row is refused all the same
                self.refused.add(number)
                continue
            yield number, record


@dataclass(frozen=True)
class UnitEnd:
    """A unit's dissolution as stored or imported (docs/metrics.md §2, units that end)."""

    dissolved_on: dt.date | None
    successor_code: str | None
    name: str


@dataclass
class Known:
    """Unit codes by level, in the database or in this import: the parents a row may name; and
    the database's districts, streets and communities that have a dissolution date, by code."""

    codes: dict[str, set[str]] = field(
        default_factory=lambda: {level: set() for level in CODE_LENGTH}
    )
    ends: dict[str, UnitEnd] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Cells


def _text_of(value: object) -> str:
    """A cell as text: whole numbers from a spreadsheet lose their `.0`."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value)


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _numeric_text(value: object) -> str:
    """A cell meant as a number, code or date as text: trimmed, full-width digits made ASCII."""
    return _text_of(value).strip().translate(_FULL_WIDTH)


def _without_grouping(text: str) -> str:
    """8,650 as 8650: the thousands separators Excel shows, taken out where they group by three."""
    return text.replace(",", "") if _GROUPED.match(text) else text


def _code_text(value: object) -> str:
    """A code as its digits: full width, thousands separators and an exact `.0` undone; a code
    in scientific notation is refused, since Excel kept only the digits it showed."""
    text = _numeric_text(value)
    if _SCIENTIFIC.match(text):
        raise CellError("code_scientific")
    text = _without_grouping(text)
    whole = _WHOLE_WITH_ZEROS.match(text)
    return whole.group(1) if whole else text


def to_code(value: object, column: Column) -> str:
    text = _code_text(value)
    length = CODE_LENGTH[column.level or ""]
    if not (text.isascii() and text.isdigit() and len(text) == length):
        raise CellError("code_length", length=length)
    return text


def to_unit_code(value: object, column: Column) -> str:
    text = _code_text(value)
    if not (text.isascii() and text.isdigit() and len(text) in (12, 15)):
        raise CellError("unit_code")
    return text


def to_scope(value: object, column: Column) -> str | None:
    """A district code, or None for the whole city (written as a word or left empty)."""
    if _text_of(value).strip().lower() in CITY_SCOPE_WORDS:
        return None
    text = _code_text(value)
    if not (text.isascii() and text.isdigit() and len(text) == CODE_LENGTH["district"]):
        raise CellError("not_scope", words="、".join(CITY_SCOPE_WORDS))
    return text


def to_key(value: object, column: Column) -> str:
    text = unguard(_text_of(value).strip())
    if column.max_length and len(text) > column.max_length:
        raise CellError("too_long", max=column.max_length)
    if _SCIENTIFIC_KEY.match(text):
        raise CellError("code_scientific")
    return text


def looks_like_id(staff_code: str, community_code: object) -> bool:
    """True for a staff code that could be an ID card or mobile number. A code that begins with
    its own community's code (371502001001 + 001) is a pseudonymous code, never an ID number:
    no ID number holds a 12-digit community code at its start."""
    if not _PERSONAL_ID.match(staff_code):
        return False
    return not (isinstance(community_code, str) and staff_code.startswith(community_code))


def masked(identifier: str) -> str:
    """A value that may be an ID or phone number, as a problem shows it: its first four and
    last two characters, so that the audit trail never holds the number itself."""
    return identifier[:4] + "*" * max(len(identifier) - 6, 0) + identifier[-2:]


def to_text(value: object, column: Column) -> str:
    # Stored as given: no trimming, no neutralising; only the export's own guard is taken off.
    text = unguard(_text_of(value))
    if column.max_length and len(text) > column.max_length:
        raise CellError("too_long", max=column.max_length)
    return text


def to_int(value: object, column: Column) -> int:
    if isinstance(value, bool):
        raise CellError("not_integer")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        if abs(value) > 2**53:
            _out_of_range()
        number = int(value)
    elif isinstance(value, str):
        number = _integer_of(_without_grouping(_numeric_text(value)))
    else:
        raise CellError("not_integer")
    if not INT_RANGE[0] <= number <= INT_RANGE[1]:
        _out_of_range()
    _check_number(number, column)
    return number


def _integer_of(text: str) -> int:
    if _INTEGER.match(text):
        if len(text.lstrip("+-").lstrip("0")) > 12:  # before int(): no 5,000-digit number
            _out_of_range()
        return int(text)
    if _DECIMAL.match(text) and float(text).is_integer():
        if abs(float(text)) > 2**53:
            _out_of_range()
        return int(float(text))
    raise CellError("not_integer")


def to_float(value: object, column: Column) -> float:
    if isinstance(value, bool):
        raise CellError("not_number")
    text = _without_grouping(_numeric_text(value)) if isinstance(value, str) else ""
    if isinstance(value, int | float):
        number = float(value)
    elif _DECIMAL.match(text):
        number = float(text)
    else:
        raise CellError("not_number")
    if not math.isfinite(number):
        raise CellError("not_number")
    if abs(number) > FLOAT_LIMIT:
        raise CellError("out_of_range", low=f"{-FLOAT_LIMIT:g}", high=f"{FLOAT_LIMIT:g}")
    _check_number(number, column)
    return number


def _out_of_range() -> None:
    raise CellError("out_of_range", low=INT_RANGE[0], high=INT_RANGE[1])


def _check_date(day: dt.date) -> dt.date:
    if not FIRST_DATE <= day <= LAST_DATE:
        raise CellError("date_out_of_range", low=FIRST_DATE.isoformat(), high=LAST_DATE.isoformat())
    return day


def _check_number(number: float, column: Column) -> None:
    if column.positive and number <= 0:
        raise CellError("not_positive")
    if column.minimum is not None and number < column.minimum:
        if column.minimum == 0:
            raise CellError("negative")
        raise CellError("below_minimum", minimum=_text_of(float(column.minimum)))
    if column.name in ("year", "birth_year") and number > dt.date.today().year + 1:
        raise CellError("year_in_future")
    if column.coordinate == "lon" and not LON_RANGE[0] <= number <= LON_RANGE[1]:
        raise CellError("lon_outside_china", low=f"{LON_RANGE[0]:g}", high=f"{LON_RANGE[1]:g}")
    if column.coordinate == "lat" and not LAT_RANGE[0] <= number <= LAT_RANGE[1]:
        raise CellError("lat_outside_china", low=f"{LAT_RANGE[0]:g}", high=f"{LAT_RANGE[1]:g}")


def to_date(value: object, column: Column) -> dt.date:
    if isinstance(value, dt.datetime):
        return _check_date(value.date())
    if isinstance(value, dt.date):
        return _check_date(value)
    match = _DATE.match(_numeric_text(value))
    if not match:
        raise CellError("not_date")
    year = int(match.group(1))
    if not FIRST_DATE.year <= year <= LAST_DATE.year:
        _check_date(dt.date(max(year, 1), 1, 1))
    try:
        return dt.date(year, int(match.group(2)), int(match.group(3)))
    except ValueError as exc:
        raise CellError("no_such_date") from exc


def to_period(value: object, column: Column) -> dt.date:
    """A month: YYYY-MM or YYYY-MM-01 (or a spreadsheet date on the 1st)."""
    if isinstance(value, dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        if day.day != 1:
            raise CellError("not_period")
        return _check_recent(_check_date(day), column)
    match = _PERIOD.match(_numeric_text(value))
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise CellError("not_period")
    year = int(match.group(1))
    if not FIRST_DATE.year <= year <= LAST_DATE.year:  # 0000-07 is no month at all
        _check_date(dt.date(max(year, 1), 1, 1))
    return _check_recent(dt.date(year, int(match.group(2)), 1), column)


def recent_months() -> tuple[dt.date, dt.date]:
    """The first and last month a burden record may have: January of burden_first_year and the
    current month in the time_zone setting."""
    settings = get_settings()
    today = dt.datetime.now(ZoneInfo(settings.time_zone)).date()
    return dt.date(settings.burden_first_year, 1, 1), today.replace(day=1)


def _check_recent(month: dt.date, column: Column) -> dt.date:
    if not column.recent:
        return month
    first, last = recent_months()
    if month < first:
        raise CellError("month_before_first_year", first=first.strftime("%Y-%m"))
    if month > last:
        raise CellError("month_in_future", last=last.strftime("%Y-%m"))
    return month


def to_bool(value: object, column: Column) -> bool:
    if isinstance(value, bool):
        return value
    text = _text_of(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError("not_boolean")


def to_choice(value: object, column: Column) -> str:
    labels = column.labels or {}
    text = _text_of(value).strip()
    if text.lower() in labels:
        return text.lower()
    for choice, label in labels.items():
        if text == label:
            return choice
    raise CellError("not_allowed", allowed=allowed_text(labels))


# A boundary written into a cell of communities.csv or grids.csv: real outlines take a few
# hundred KB; a cell is parsed as a whole, so its memory is bounded by this (docs/security.md).
MAX_CELL_GEOMETRY_CHARS = 2 * 2**20


def to_geometry(value: object, column: Column) -> str:
    """A Polygon or MultiPolygon (GeoJSON, WGS-84), valid and inside China, as compact JSON."""
    if isinstance(value, GeometryText):
        # A GeoJSON feature's geometry, already compact JSON: read as numpy arrays when it
        # holds only its type and coordinates (docs/security.md, memory), else as a cell's text.
        read = coordinate_arrays(value.text)
        if read is not None:
            written, polygons = read
            coordinates = polygons[0] if written == "Polygon" else polygons
            _checked_shape({"type": written, "coordinates": coordinates})
            return value.text
        value = value.text
    geometry: object = value
    if isinstance(value, str) and len(value) > MAX_CELL_GEOMETRY_CHARS:
        # A cell is parsed whole: a larger outline comes as boundaries.geojson, under its cap.
        raise CellError("geometry_too_large", limit_mb=MAX_CELL_GEOMETRY_CHARS // 2**20)
    if isinstance(value, str):
        try:
            geometry = json.loads(value, parse_constant=_no_constant, object_pairs_hook=unique_keys)
        except json.JSONDecodeError as exc:
            raise CellError("geometry_parse", error=exc.msg) from exc
        except DuplicateKey as exc:
            raise CellError("geojson_duplicate_key", name=exc.key) from exc
        except (ValueError, RecursionError) as exc:  # NaN, a 5,000-digit number, deep nesting
            raise CellError("geometry_parse", error=type(exc).__name__) from exc
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if not isinstance(geometry, dict) or kind not in ("Polygon", "MultiPolygon"):
        raise CellError("geometry_type", type=kind or "—")
    _checked_shape(_with_arrays(geometry))
    try:
        return json.dumps(
            geometry, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str
        )
    except ValueError as exc:
        raise CellError("geometry_parse", error="NaN") from exc


def _checked_shape(geometry: dict[str, object]) -> None:
    """Refuses a geometry that shapely cannot build, empty, invalid or outside China."""
    try:
        polygon = shape(geometry)
    except (
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        KeyError,
        RecursionError,
        shapely.errors.ShapelyError,
    ) as exc:
        raise CellError("geometry_parse", error=str(exc)[:200]) from exc
    if polygon.is_empty or not polygon.is_valid:
        raise CellError("geometry_invalid", reason=explain_validity(polygon))
    west, south, east, north = polygon.bounds
    if west < LON_RANGE[0] or east > LON_RANGE[1] or south < LAT_RANGE[0] or north > LAT_RANGE[1]:
        raise CellError("geometry_outside_china")


def _with_arrays(geometry: dict[str, object]) -> dict[str, object]:
    """The geometry with each ring as one float array, for shape(): shapely copies a ring given
    as lists into a list of floats per vertex first, which doubled the memory of a boundary of a
    million vertices (docs/security.md). Anything odd is left as given, for shape() to refuse."""
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list):
        return geometry
    if geometry.get("type") == "Polygon":
        return {"type": "Polygon", "coordinates": [_ring(ring) for ring in coordinates]}
    polygons = [
        [_ring(ring) for ring in polygon] if isinstance(polygon, list) else polygon
        for polygon in coordinates
    ]
    return {"type": "MultiPolygon", "coordinates": polygons}


def _ring(ring: object) -> object:
    try:
        array = np.asarray(ring, dtype=float)
    except (ValueError, TypeError):
        return ring
    if array.ndim != 2 or array.shape[1] not in (2, 3) or not np.isfinite(array).all():
        return ring
    return array


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number")


CONVERTERS: dict[str, Callable[[object, Column], object]] = {
    "code": to_code,
    "unit_code": to_unit_code,
    "scope": to_scope,
    "key": to_key,
    "text": to_text,
    "int": to_int,
    "float": to_float,
    "date": to_date,
    "period": to_period,
    "bool": to_bool,
    "choice": to_choice,
    "geometry": to_geometry,
}


def shown(value: object) -> str:
    """A cell as shown in a problem: short, and GeoJSON cut down to its start."""
    if isinstance(value, (dict, GeometryText)):
        return "{…}"
    text = "" if value is None else _text_of(value)
    return text if len(text) <= 60 else text[:57] + "…"


# ---------------------------------------------------------------------------------------------
# Tables


class Problems:
    """The problems of one import: the first `cap` kept whole, beyond that a count per kind.

    Past the cap a problem is not even built: report() counts it under its kind and keeps only
    the first of each kind, for the line that says how many were left out (docs/security.md).
    """

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.kept: list[Problem] = []
        self.counts: dict[str, int] = {}  # kinds past the cap: how many of each
        self.firsts: dict[str, Problem] = {}  # and the first of each, for its message
        self.total = 0

    def state(self) -> tuple[list[Problem], dict[str, int], dict[str, Problem], int]:
        """What restore() needs to bring these problems back to this point."""
        return list(self.kept), dict(self.counts), dict(self.firsts), self.total

    def restore(self, state: tuple[list[Problem], dict[str, int], dict[str, Problem], int]) -> None:
        kept, counts, firsts, self.total = state
        self.kept, self.counts, self.firsts = list(kept), dict(counts), dict(firsts)

    def add(self, problem: Problem, always: bool = False) -> None:
        """Kept whole while under the cap, or always (a problem that ends a file's reading)."""
        self.total += 1
        if always or len(self.kept) < self.cap:
            self.kept.append(problem)
            return
        self.counts[problem.key] = self.counts.get(problem.key, 0) + 1
        self.firsts.setdefault(problem.key, problem)

    def report(
        self,
        file: str,
        key: str,
        row: int | None = None,
        column: str | None = None,
        value: str | None = None,
        params: dict[str, object] | None = None,
    ) -> None:
        """A problem given by its parts: built only when it is kept or the first of its kind."""
        self.total += 1
        if len(self.kept) < self.cap:
            self.kept.append(Problem(file, key, row, column, value, params or {}))
            return
        count = self.counts.get(key)
        if count is None:
            self.counts[key] = 1
            self.firsts[key] = Problem(file, key, row, column, value, params or {})
        else:
            self.counts[key] = count + 1

    def report_cell(
        self, file: str, key: str, row: int, column: str, cell: object, params: dict[str, object]
    ) -> None:
        """A cell's problem: the cell shown short (shown()) only when the problem is built."""
        if len(self.kept) < self.cap or key not in self.counts:
            self.report(file, key, row, column, shown(cell), params)
        else:
            self.total += 1
            self.counts[key] += 1

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.add(problem)

    def __bool__(self) -> bool:
        return self.total > 0

    @property
    def built(self) -> int:
        """Problems held as objects: at most the cap, one per kind beyond it, and the stops."""
        return len(self.kept) + len(self.firsts)

    def listed(self) -> list[Problem]:
        """The kept problems in file order, then one line per kind left out, with its count."""
        kept = sorted(self.kept, key=Problem.sort_key)
        more = [
            Problem(
                self.firsts[key].file,
                "more",
                params={"n": count, "key": key, "first": dict(self.firsts[key].params)},
            )
            for key, count in sorted(self.counts.items())
        ]
        return kept + more


class _Collected:
    """Every problem of a row as a list: what convert_row returns to its callers."""

    def __init__(self) -> None:
        self.found: list[Problem] = []

    @property
    def total(self) -> int:
        return len(self.found)

    def report(
        self,
        file: str,
        key: str,
        row: int | None = None,
        column: str | None = None,
        value: str | None = None,
        params: dict[str, object] | None = None,
    ) -> None:
        self.found.append(Problem(file, key, row, column, value, params or {}))

    def report_cell(
        self, file: str, key: str, row: int, column: str, cell: object, params: dict[str, object]
    ) -> None:
        self.report(file, key, row, column, shown(cell), params)


Sink = Problems | _Collected


def check_header(raw: RawTable, spec: TableSpec) -> tuple[list[Column | None], list[Problem]]:
    """The column of each header cell; unknown, repeated, personal or missing columns are problems."""
    accepted = header_map(spec)
    columns: list[Column | None] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for header in raw.header:
        normal = normalise_header(header)
        column = accepted.get(normal)
        if not normal:
            columns.append(None)
            continue
        if column is None:
            key = "personal_column" if normal in PERSONAL_HEADERS else "unknown_column"
            accepted_headers = "、".join(c.header for c in spec.columns)
            problems.append(
                Problem(raw.file, key, row=1, column=header, params={"accepted": accepted_headers})
            )
        elif column.name in seen:
            problems.append(Problem(raw.file, "duplicate_column", row=1, column=header))
            column = None
        else:
            seen.add(column.name)
        columns.append(column)
    for column in spec.columns:
        if column.required and column.name not in seen:
            problems.append(
                Problem(raw.file, "missing_column", row=1, column=column.header, params={})
            )
    return columns, problems


def prepare(raw: RawTable) -> tuple[CheckedTable | None, list[Problem]]:
    """The table's columns from its header, or the header's problems."""
    spec = SPECS[raw.kind]
    columns, problems = check_header(raw, spec)
    if problems:
        return None, problems
    present = [c for c in columns if c is not None]
    headers = {c.name: h for c, h in zip(columns, raw.header, strict=True) if c is not None}
    return CheckedTable(raw, spec, [c.name for c in present], columns, headers), []


def convert_row(
    table: CheckedTable, number: int, cells: list[object]
) -> tuple[dict[str, object], list[Problem]]:
    """Types, allowed values and the checks within a row; parents and duplicates come later."""
    collected = _Collected()
    record = check_row(table, number, cells, collected)
    return record, collected.found


def check_row(
    table: CheckedTable, number: int, cells: list[object], sink: Sink
) -> dict[str, object]:
    """convert_row's checks, each problem reported to sink (built only if the sink keeps it)."""
    file = table.raw.file
    headers = table.headers
    record: dict[str, object] = {}
    if cells and cells[0] is NOT_A_FEATURE:
        sink.report(file, "geojson_not_feature", number)
        return {name: None for name in table.columns}
    if not table.cache:
        table.cache = [{} for _ in table.positions]
    before = sink.total
    for position, column in enumerate(table.positions):
        if column is None:
            continue
        value = cells[position] if position < len(cells) else None
        if _is_empty(value):
            if column.required:
                sink.report(file, "required", number, headers[column.name])
            record[column.name] = column.default
            continue
        cache = table.cache[position]
        cacheable = type(value) is str and len(value) <= CACHED_LENGTH
        converted = cache.get(value, _MISSING) if cacheable else _MISSING
        if converted is _MISSING:
            try:
                converted = _convert(value, column)
            except CellError as error:
                # Kept without its traceback: a cached error is reported, never raised again,
                # so that it holds no frames (and their rows) alive.
                converted = error.with_traceback(None)
            if cacheable:
                if len(cache) >= CACHE_SIZE:
                    cache.clear()
                cache[value] = converted
        if isinstance(converted, CellError):
            sink.report_cell(
                file, converted.key, number, headers[column.name], value, converted.params
            )
            record[column.name] = None
        else:
            record[column.name] = converted
    if sink.total == before:
        _row_checks(file, number, record, table.spec, headers, sink)
    return record


CACHE_SIZE = 4096
CACHED_LENGTH = 40
_MISSING = object()


def _convert(value: object, column: Column) -> object:
    if isinstance(value, str) and "\x00" in value:  # PostgreSQL refuses NUL in text
        raise CellError("nul_character")
    return CONVERTERS[column.kind](value, column)


def _row_checks(
    file: str,
    number: int,
    record: dict[str, object],
    spec: TableSpec,
    headers: Mapping[str, str],
    sink: Sink,
) -> None:
    """Checks between the cells of one row: codes under their parent's code, end after start."""
    for child, parent in spec.prefixes:
        code, parent_code = record.get(child), record.get(parent)
        if code and parent_code and not str(code).startswith(str(parent_code)):
            key = "grid_other_community" if child == "grid_code" else "code_parent"
            sink.report(file, key, number, headers[child], str(code), {"parent": parent_code})
    for earlier, later, key in spec.date_orders:
        start, end = record.get(earlier), record.get(later)
        if not (isinstance(start, dt.date) and isinstance(end, dt.date)):
            continue
        # An answer may come the day it was asked for; a leaving or a withdrawal may not.
        if end < start or (end == start and key != "decided_before_submitted"):
            sink.report(
                file, key, number, headers[later], end.isoformat(), {"start": start.isoformat()}
            )
    staff_code = record.get("staff_code")
    if isinstance(staff_code, str) and looks_like_id(staff_code, record.get("community_code")):
        sink.report(file, "looks_like_id", number, headers["staff_code"], masked(staff_code))
    if spec.kind == "population":
        residents, households = record.get("resident_population"), record.get("households")
        if residents == 0 and households:
            sink.report(file, "households_without_residents", number, headers["households"])
        elif residents and households == 0:
            sink.report(file, "residents_without_households", number, headers["households"])
    successor = record.get("successor_code")
    if successor is not None and successor == record.get("code"):
        sink.report(file, "successor_self", number, headers["successor_code"], str(successor))
    elif successor is not None and "dissolved_on" in record and record["dissolved_on"] is None:
        sink.report(
            file, "successor_without_date", number, headers["successor_code"], str(successor)
        )
    decision, decided_on = record.get("decision"), record.get("decided_on")
    if spec.kind == "applications" and (decision == "pending") != (decided_on is None):
        key = "pending_with_date" if decision == "pending" else "decision_without_date"
        sink.report(file, key, number, headers.get("decided_on") or headers["decision"])
    if spec.kind == "work_items" and record.get("list") != "none" and not record.get("admitted_on"):
        sink.report(file, "listed_without_date", number, headers["list"], str(record["list"]))


def _plain(value: object) -> object:
    return value.strftime("%Y-%m") if isinstance(value, dt.date) else value


def _own_level(spec: TableSpec) -> str | None:
    """The level of the units a kind defines (districts → district …), if any."""
    code = spec.by_name.get("code")
    return code.level if code is not None and code.kind == "code" else None


class Links:
    """Parents that exist (in the database or earlier in this import) and keys seen once.

    Tables come in dependency order (KIND_ORDER), so a parent is known before its children.
    Keys are checked in two passes of validate() so that 1.5 M burden rows need about 12 MB
    rather than hundreds of megabytes of Python objects: the first pass (colliding None) keeps
    only each key's 64-bit hash in a compact array; only when two hashes are equal does a second
    pass run, which remembers the real keys of those hashes alone with the row where each was
    first seen, and reports every duplicate where and as the row-by-row check would. Equal
    hashes of different keys are never a duplicate.
    """

    def __init__(self, known: Known, colliding: set[int] | None = None) -> None:
        self.known = known
        self.colliding = colliding
        self.hashes = array("q")  # first pass: the hash of every key, in row order
        self.first_seen: dict[tuple[str, tuple[object, ...]], int] = {}  # second pass
        self.places: list[str] = []  # files, by index in the packed place
        self.added: dict[str, list[str]] = {level: [] for level in CODE_LENGTH}
        # Units that end: the rows of this import that write a unit's dissolution columns
        # (they replace the database's), the successors named (checked when their table ends)
        # and the day each community ends, worked out once per community.
        self.unit_ends: dict[str, UnitEnd] = {}
        self.successors: list[
            tuple[str, int, str, str, str]
        ] = []  # file, row, header, code, successor
        self.community_end: dict[str, tuple[dt.date, str, str] | None] = {}

    def check(
        self, table: CheckedTable, number: int, record: dict[str, object], sink: Sink
    ) -> None:
        spec, file, headers = table.spec, table.raw.file, table.headers
        level = _own_level(spec)
        if level and record.get("code"):
            own, codes = str(record["code"]), self.known.codes[level]
            if own not in codes:
                codes.add(own)
                self.added[level].append(own)
            if "dissolved_on" in table.columns or "successor_code" in table.columns:
                self._unit_end(table, number, record, sink)
        if spec.kind in DATED_KINDS and record.get("community_code"):
            self._dated_row(table, number, record, sink)
        for column, parent_level in spec.parents:
            code = record.get(column)
            if code and str(code) not in self.known.codes[parent_level]:
                sink.report(file, f"missing_{parent_level}", number, headers[column], str(code))
        if spec.kind == "boundaries" and record.get("code"):
            code = str(record["code"])
            unit_level = "community" if len(code) == CODE_LENGTH["community"] else "grid"
            if code not in self.known.codes[unit_level]:
                sink.report(file, "boundary_code_missing", number, headers["code"], code)
        key = tuple(record.get(name) for name in spec.key)
        if any(part is None for part in key):
            return
        identity = (spec.kind, key)
        if self.colliding is None:
            self.hashes.append(hash(identity))
            return
        if hash(identity) not in self.colliding:
            return
        if not self.places or self.places[-1] != file:
            self.places.append(file)
        place = (len(self.places) - 1) << 32 | number
        previous = self.first_seen.setdefault(identity, place)
        if previous != place:
            sink.report(
                file,
                "duplicate_key",
                number,
                headers[spec.key[0]],
                " / ".join(_text_of(_plain(part)) for part in key),
                {"file": self.places[previous >> 32], "row": previous & 0xFFFFFFFF},
            )

    def _unit_end(
        self, table: CheckedTable, number: int, record: dict[str, object], sink: Sink
    ) -> None:
        """A unit row that writes its end: the checks within the row; the successor's existence
        and the chain are checked when the table ends (finish_table)."""
        own = str(record["code"])
        stored = self.known.ends.get(own)
        day = record.get("dissolved_on") if "dissolved_on" in table.columns else None
        if "dissolved_on" not in table.columns and stored is not None:
            day = stored.dissolved_on
        successor = record.get("successor_code") if "successor_code" in table.columns else None
        if "successor_code" not in table.columns and stored is not None:
            successor = stored.successor_code
        self.unit_ends[own] = UnitEnd(
            cast("dt.date | None", day),
            None if successor is None else str(successor),
            str(record.get("name") or (stored.name if stored else own)),
        )
        self.community_end.clear()
        # A successor equal to the unit, or without a date, is refused by _row_checks.
        if successor is not None and str(successor) != own and day is not None:
            header = table.headers.get("successor_code", "successor_code")
            self.successors.append((table.raw.file, number, header, own, str(successor)))

    def end_of(self, code: str) -> UnitEnd | None:
        """A unit's dissolution: as this import writes it, else as the database holds it."""
        return self.unit_ends[code] if code in self.unit_ends else self.known.ends.get(code)

    def finish_table(self, table: CheckedTable, sink: Sink) -> None:
        """After a unit table: each successor named exists at the same level (in the database or
        the import), the merges go round in no circle, and a unit is merged into one that was
        still in force after it ended. A row found wrong here is refused like any other."""
        level = _own_level(table.spec)
        if level is None or not self.successors:
            return
        for place in self.successors:
            before = sink.total
            self._successor(level, place, sink)
            if sink.total > before:
                table.refused.add(place[1])
        self.successors.clear()

    def _successor(self, level: str, place: tuple[str, int, str, str, str], sink: Sink) -> None:
        """finish_table's checks of one successor named: place is file, row, header, the unit's
        code and its successor's."""
        file, number, header, own, successor = place
        if successor not in self.known.codes[level]:
            sink.report(file, "successor_missing", number, header, successor)
            return
        # A successor gone before the unit ended (which also closes any circle of merges in
        # time), then a circle of merges on one day, then one gone on the same day.
        mine, theirs = self.end_of(own), self.end_of(successor)
        own_day = None if mine is None else mine.dissolved_on
        their_day = None if theirs is None else theirs.dissolved_on
        if own_day is not None and their_day is not None and their_day < own_day:
            self._gone_first(sink, (file, number, header, successor), their_day, own_day)
            return
        chain, step = [own], successor
        while step not in chain:
            chain.append(step)
            after = self.end_of(step)
            if after is None or after.dissolved_on is None or after.successor_code is None:
                break
            step = after.successor_code
        else:
            shown = " → ".join([*chain[chain.index(step) :], step])
            sink.report(file, "successor_cycle", number, header, successor, {"chain": shown})
            return
        if own_day is not None and their_day is not None and their_day == own_day:
            self._gone_first(sink, (file, number, header, successor), their_day, own_day)

    @staticmethod
    def _gone_first(
        sink: Sink, place: tuple[str, int, str, str], their_day: dt.date, own_day: dt.date
    ) -> None:
        file, number, header, successor = place
        params: dict[str, object] = {"date": their_day.isoformat(), "own": own_day.isoformat()}
        sink.report(file, "successor_dissolved_first", number, header, successor, params)

    def _ending(self, community: str) -> tuple[dt.date, str, str] | None:
        """The day a community ends (its own dissolution, or its street's or district's,
        whichever comes first), with the code and name of the unit dissolved; None if none."""
        if community in self.community_end:
            return self.community_end[community]
        found: tuple[dt.date, str, str] | None = None
        for unit in ancestors(community).values():
            end = self.end_of(unit)
            day = None if end is None else end.dissolved_on
            if end is not None and day is not None and (found is None or day < found[0]):
                found = (day, unit, end.name)
        self.community_end[community] = found
        return found

    def _dated_row(
        self, table: CheckedTable, number: int, record: dict[str, object], sink: Sink
    ) -> None:
        """A row dated on or after the day its community ends is refused: a burden or items-found
        month from the month it ends in, a population year from the one starting after it, a
        person starting after it or still in post on it."""
        ending = self._ending(str(record["community_code"]))
        if ending is None:
            return
        end, unit, name = ending
        file, headers, kind = table.raw.file, table.headers, table.spec.kind
        params: dict[str, object] = {"name": name, "code": unit, "date": end.isoformat()}
        if kind in ("burden", "items_found"):
            period = record.get("period")
            if isinstance(period, dt.date) and period >= month_start(end):
                value = period.strftime("%Y-%m")
                sink.report(
                    file, "month_after_dissolution", number, headers["period"], value, params
                )
        elif kind == "population":
            year = record.get("year")
            if isinstance(year, int) and dt.date(year, 1, 1) >= end:
                sink.report(
                    file, "year_after_dissolution", number, headers["year"], str(year), params
                )
        elif kind == "staff":
            start, leaving = record.get("start_date"), record.get("end_date")
            if isinstance(start, dt.date) and start >= end:
                sink.report(
                    file,
                    "start_after_dissolution",
                    number,
                    headers["start_date"],
                    start.isoformat(),
                    params,
                )
            elif isinstance(start, dt.date) and (not isinstance(leaving, dt.date) or leaving > end):
                header = headers.get("end_date", headers["community_code"])
                left = leaving.isoformat() if isinstance(leaving, dt.date) else None
                sink.report(file, "in_post_after_dissolution", number, header, left, params)

    def colliding_hashes(self) -> set[int]:
        """The hashes the first pass saw more than once."""
        if not self.hashes:
            return set()
        values, counts = np.unique(np.frombuffer(self.hashes, dtype=np.int64), return_counts=True)
        return {int(value) for value in values[counts > 1]}

    def forget_codes(self) -> None:
        """Takes the unit codes this pass added out of `known` again, for a second pass."""
        for level, codes in self.added.items():
            self.known.codes[level].difference_update(codes)


# Rows dated by a month, a year or a person's dates, checked against the day their community ends.
DATED_KINDS = ("population", "staff", "burden", "items_found")


# A file whose rows end before their required columns this often is not the table its header
# says: its reading stops there, with a problem that says so (docs/security.md).
MAX_SHORT_ROWS = 1000


def _last_required(table: CheckedTable) -> int:
    """The position of the rightmost required column: a row with no cell there is short."""
    return max(
        (p for p, column in enumerate(table.positions) if column and column.required), default=-1
    )


def validate(
    raws: list[RawTable],
    known: Known,
    progress: Progress | None = None,
    *,
    problems: Problems | None = None,
    max_rows: int | None = None,
) -> tuple[list[CheckedTable], Problems]:
    """Every check of every table; the import may go ahead only when no problem is found.

    Tables must come in KIND_ORDER. Each table's `count` is set to the rows it holds. When two
    keys share a hash, every check runs a second time from the same start, now remembering the
    keys of those hashes (Links): the problems are those, and in the order, of one pass that
    remembered every key.
    """
    problems = problems if problems is not None else Problems(10**9)
    start = problems.state()
    links = Links(known)
    checked = _validate_pass(raws, links, progress, problems, max_rows)
    colliding = links.colliding_hashes()
    if not colliding:
        return checked, problems
    del links.hashes[:]
    links.forget_codes()
    problems.restore(start)
    for raw in raws:
        raw.count = 0
    checked = _validate_pass(raws, Links(known, colliding), progress, problems, max_rows)
    return checked, problems


def _validate_pass(
    raws: list[RawTable],
    links: Links,
    progress: Progress | None,
    problems: Problems,
    max_rows: int | None,
) -> list[CheckedTable]:
    """Every check of every row, streaming: validate()'s one pass."""
    total = sum(raw.estimate for raw in raws)
    checked: list[CheckedTable] = []
    done = 0
    for raw in raws:
        table, header_problems = prepare(raw)
        if table is None:
            problems.extend(header_problems)
            continue
        checked.append(table)
        period = table.spec.by_name.get("period")
        months = table.months if period is not None and period.recent else None
        last_required = _last_required(table)
        short = 0
        try:
            for number, cells in raw.rows():
                raw.count += 1
                done += 1
                if max_rows is not None and done > max_rows:
                    problems.add(
                        Problem(raw.file, "too_many_rows", number, params={"limit": max_rows}),
                        always=True,
                    )
                    table.complete = False
                    return checked
                if len(cells) <= last_required:
                    short += 1
                    if short > MAX_SHORT_ROWS:
                        problems.add(
                            Problem(
                                raw.file, "short_rows_stop", number, params={"n": MAX_SHORT_ROWS}
                            ),
                            always=True,
                        )
                        table.complete = False
                        break
                before = problems.total
                record = check_row(table, number, cells, problems)
                if months is not None and problems.total == before:
                    months.add(cast(dt.date, record["period"]))
                links.check(table, number, record, problems)
                if problems.total > before:
                    table.refused.add(number)
                if progress and done % PROGRESS_EVERY == 0:
                    progress("validate", done, max(total, done))
        except ReadProblem as error:
            problems.add(error.problem, always=True)
            table.complete = False
        links.finish_table(table, problems)
    if progress:
        progress("validate", done, done)
    return checked


def check_scope(tables: list[CheckedTable], scope_code: str | None, problems: Problems) -> None:
    """Rows outside the importing account's area (docs/accounts.md, Scope of an import).

    Each table's ScopeRule (data_access/importing/specs.py) names the column of the unit that
    owns a row: a row whose unit code does not start with scope_code is a problem, and so is a
    row of the whole city (an application to the city). A table whose rows name no owner (the
    admission list) is one problem for the whole file. Rows that failed their own checks are
    listed already and skipped here.
    """
    if scope_code is None:
        return
    for table in tables:
        rule = table.spec.scope
        if rule.column is None:
            problems.add(
                Problem(
                    table.raw.file,
                    "city_only_table",
                    params={
                        "kind": table.spec.kind,
                        "sheet": table.spec.sheet,
                        "scope": scope_code,
                    },
                ),
                always=True,
            )
            for number, _ in table.raw.rows():  # none of its rows may be written
                table.refused.add(number)
            continue
        column = rule.column
        header = table.headers.get(column, column)
        position = next(
            (n for n, c in enumerate(table.positions) if c is not None and c.name == column), None
        )
        for number, cells in table.raw.rows():
            record, row_problems = convert_row(table, number, cells)
            if row_problems:
                continue
            code = record.get(column)
            if code is None:  # an empty cell or a word for the city: the whole city's row
                table.refused.add(number)
                cell = cells[position] if position is not None and position < len(cells) else None
                problems.add(
                    Problem(
                        table.raw.file,
                        "outside_scope_city",
                        number,
                        header,
                        None if _is_empty(cell) else shown(cell),
                        {"scope": scope_code},
                    )
                )
            elif not str(code).startswith(scope_code):
                table.refused.add(number)
                problems.add(
                    Problem(
                        table.raw.file,
                        "outside_scope",
                        number,
                        header,
                        str(code),
                        {"scope": scope_code},
                    )
                )


def check_new_months(
    tables: list[CheckedTable], new: Iterable[dt.date], limit: int, problems: Problems
) -> None:
    """One problem when the import brings more new burden months than `limit`
    (import_max_new_months): `new` are the months of the import the database holds none of."""
    months = sorted(new)
    if len(months) <= limit:
        return
    files = ", ".join(table.raw.file for table in tables if table.months) or "—"
    problems.add(
        Problem(
            files,
            "too_many_new_months",
            params={
                "n": len(months),
                "limit": limit,
                "first": months[0].strftime("%Y-%m"),
                "last": months[-1].strftime("%Y-%m"),
            },
        ),
        always=True,
    )
