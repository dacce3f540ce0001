"""Every check of docs/metrics.md §6, run before anything is written; each failure becomes a Problem."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import shapely
from shapely.geometry import shape
from shapely.validation import explain_validity

from data_access.importing.messages import Problem
from data_access.importing.readers import RawTable
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
from data_access.scope import CODE_LENGTH

Progress = Callable[[str, int, int], None]
PROGRESS_EVERY = 5000

_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_PERIOD = re.compile(r"^(\d{4})[-/.](\d{1,2})([-/.]0?1)?$")
# A pseudonymous staff code must not be an ID card number or a mobile phone number.
_PERSONAL_ID = re.compile(r"^(\d{17}[\dXx]|\d{15}|1[3-9]\d{9})$")
_TRUE = {"true", "1", "是", "yes", "y"}
_FALSE = {"false", "0", "否", "no", "n"}


class CellError(ValueError):
    """A cell that cannot be read as its column's type: key and params of the message."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass
class CheckedTable:
    """A table whose rows passed their own checks, as database values, for the write."""

    raw: RawTable
    spec: TableSpec
    columns: list[str]  # the English names of the columns the file has
    records: list[dict[str, object]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)


@dataclass
class Known:
    """Unit codes by level, in the database or in this import: the parents a row may name."""

    codes: dict[str, set[str]] = field(
        default_factory=lambda: {level: set() for level in CODE_LENGTH}
    )


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


def to_code(value: object, column: Column) -> str:
    text = _text_of(value).strip()
    length = CODE_LENGTH[column.level or ""]
    if not (text.isascii() and text.isdigit() and len(text) == length):
        raise CellError("code_length", length=length)
    return text


def to_unit_code(value: object, column: Column) -> str:
    text = _text_of(value).strip()
    if not (text.isascii() and text.isdigit() and len(text) in (12, 15)):
        raise CellError("unit_code")
    return text


def to_scope(value: object, column: Column) -> str | None:
    """A district code, or None for the whole city (written as a word or left empty)."""
    text = _text_of(value).strip()
    if text.lower() in CITY_SCOPE_WORDS:
        return None
    if not (text.isascii() and text.isdigit() and len(text) == CODE_LENGTH["district"]):
        raise CellError("not_scope", words="、".join(CITY_SCOPE_WORDS))
    return text


def to_key(value: object, column: Column) -> str:
    text = _text_of(value).strip()
    if column.max_length and len(text) > column.max_length:
        raise CellError("too_long", max=column.max_length)
    if column.name == "staff_code" and _PERSONAL_ID.match(text):
        raise CellError("looks_like_id")
    return text


def to_text(value: object, column: Column) -> str:
    text = _text_of(value)  # stored as given: no trimming, no formula neutralising
    if column.max_length and len(text) > column.max_length:
        raise CellError("too_long", max=column.max_length)
    return text


def to_int(value: object, column: Column) -> int:
    if isinstance(value, bool):
        raise CellError("not_integer")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INTEGER.match(value.strip()):
        number = int(value.strip())
    elif isinstance(value, str) and _DECIMAL.match(value.strip()) and float(value).is_integer():
        number = int(float(value))
    else:
        raise CellError("not_integer")
    _check_number(number, column)
    return number


def to_float(value: object, column: Column) -> float:
    if isinstance(value, bool):
        raise CellError("not_number")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and _DECIMAL.match(value.strip()):
        number = float(value.strip())
    else:
        raise CellError("not_number")
    if not math.isfinite(number):
        raise CellError("not_number")
    _check_number(number, column)
    return number


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
        return value.date()
    if isinstance(value, dt.date):
        return value
    match = _DATE.match(_text_of(value).strip())
    if not match:
        raise CellError("not_date")
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError as exc:
        raise CellError("no_such_date") from exc


def to_period(value: object, column: Column) -> dt.date:
    """A month: YYYY-MM or YYYY-MM-01 (or a spreadsheet date on the 1st)."""
    if isinstance(value, dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        if day.day != 1:
            raise CellError("not_period")
        return day
    match = _PERIOD.match(_text_of(value).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise CellError("not_period")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


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


def to_geometry(value: object, column: Column) -> str:
    """A Polygon or MultiPolygon (GeoJSON, WGS-84), valid and inside China, as compact JSON."""
    geometry = value
    if isinstance(value, str):
        try:
            geometry = json.loads(value)
        except json.JSONDecodeError as exc:
            raise CellError("geometry_parse", error=exc.msg) from exc
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        raise CellError("geometry_type", type=kind or "—")
    try:
        polygon = shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.ShapelyError) as exc:
        raise CellError("geometry_parse", error=str(exc)[:200]) from exc
    if polygon.is_empty or not polygon.is_valid:
        raise CellError("geometry_invalid", reason=explain_validity(polygon))
    west, south, east, north = polygon.bounds
    if west < LON_RANGE[0] or east > LON_RANGE[1] or south < LAT_RANGE[0] or north > LAT_RANGE[1]:
        raise CellError("geometry_outside_china")
    return json.dumps(geometry, ensure_ascii=False, separators=(",", ":"))


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
    text = "" if value is None else _text_of(value) if not isinstance(value, dict) else "{…}"
    return text if len(text) <= 60 else text[:57] + "…"


# ---------------------------------------------------------------------------------------------
# Tables


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
        else:
            seen.add(column.name)
        columns.append(column)
    for column in spec.columns:
        if column.required and column.name not in seen:
            problems.append(
                Problem(raw.file, "missing_column", row=1, column=column.header, params={})
            )
    return columns, problems


def check_rows(
    raw: RawTable, progress: Progress | None = None, done: int = 0, total: int = 0
) -> tuple[CheckedTable | None, list[Problem]]:
    """Types, allowed values and the checks within a row; parents and duplicates come later."""
    spec = SPECS[raw.kind]
    columns, problems = check_header(raw, spec)
    if problems:
        return None, problems
    present = [c for c in columns if c is not None]
    checked = CheckedTable(raw, spec, [c.name for c in present])
    headers = {c.name: h for c, h in zip(columns, raw.header, strict=True) if c is not None}
    for index, (number, cells) in enumerate(raw.rows, start=1):
        record: dict[str, object] = {}
        row_problems: list[Problem] = []
        for position, column in enumerate(columns):
            if column is None:
                continue
            value = cells[position] if position < len(cells) else None
            if _is_empty(value):
                if column.required:
                    row_problems.append(Problem(raw.file, "required", number, headers[column.name]))
                record[column.name] = column.default
                continue
            try:
                record[column.name] = CONVERTERS[column.kind](value, column)
            except CellError as error:
                row_problems.append(
                    Problem(
                        raw.file,
                        error.key,
                        number,
                        headers[column.name],
                        shown(value),
                        error.params,
                    )
                )
                record[column.name] = None
        if not row_problems:
            row_problems = _row_checks(raw.file, number, record, spec, headers)
        problems += row_problems
        checked.records.append(record)
        checked.row_numbers.append(number)
        if progress and (done + index) % PROGRESS_EVERY == 0:
            progress("validate", done + index, total)
    return checked, problems


def _row_checks(
    file: str, number: int, record: dict[str, object], spec: TableSpec, headers: Mapping[str, str]
) -> list[Problem]:
    """Checks between the cells of one row: codes under their parent's code, end after start."""
    problems = []
    for child, parent in spec.prefixes:
        code, parent_code = record.get(child), record.get(parent)
        if code and parent_code and not str(code).startswith(str(parent_code)):
            key = "grid_other_community" if child == "grid_code" else "code_parent"
            problems.append(
                Problem(file, key, number, headers[child], str(code), {"parent": parent_code})
            )
    for earlier, later, key in spec.date_orders:
        start, end = record.get(earlier), record.get(later)
        if not (isinstance(start, dt.date) and isinstance(end, dt.date)):
            continue
        # An answer may come the day it was asked for; a leaving or a withdrawal may not.
        if end < start or (end == start and key != "decided_before_submitted"):
            problems.append(
                Problem(
                    file, key, number, headers[later], end.isoformat(), {"start": start.isoformat()}
                )
            )
    decision, decided_on = record.get("decision"), record.get("decided_on")
    if spec.kind == "applications" and (decision == "pending") != (decided_on is None):
        key = "pending_with_date" if decision == "pending" else "decision_without_date"
        problems.append(
            Problem(file, key, number, headers.get("decided_on") or headers["decision"], None)
        )
    if spec.kind == "work_items" and record.get("list") != "none" and not record.get("admitted_on"):
        problems.append(
            Problem(file, "listed_without_date", number, headers["list"], str(record["list"]))
        )
    return problems


def check_links(tables: list[CheckedTable], known: Known) -> list[Problem]:
    """Parents that exist (in the database or this import) and keys that occur once in the import."""
    for table in tables:
        level = _own_level(table.spec)
        if level:
            known.codes[level].update(str(r["code"]) for r in table.records if r.get("code"))
    problems: list[Problem] = []
    first_seen: dict[tuple[str, tuple[object, ...]], tuple[str, int]] = {}
    for table in tables:
        spec = table.spec
        headers = _headers_of(table)
        for number, record in zip(table.row_numbers, table.records, strict=True):
            for column, level in spec.parents:
                code = record.get(column)
                if code and str(code) not in known.codes[level]:
                    problems.append(
                        Problem(table.raw.file, f"missing_{level}", number, headers[column], code)
                    )
            if spec.kind == "boundaries" and record.get("code"):
                code = str(record["code"])
                level = "community" if len(code) == CODE_LENGTH["community"] else "grid"
                if code not in known.codes[level]:
                    problems.append(
                        Problem(
                            table.raw.file, "boundary_code_missing", number, headers["code"], code
                        )
                    )
            key = tuple(record.get(name) for name in spec.key)
            if any(part is None for part in key):
                continue
            previous = first_seen.setdefault((spec.kind, key), (table.raw.file, number))
            if previous != (table.raw.file, number):
                problems.append(
                    Problem(
                        table.raw.file,
                        "duplicate_key",
                        number,
                        headers[spec.key[0]],
                        " / ".join(_text_of(_plain(part)) for part in key),
                        {"file": previous[0], "row": previous[1]},
                    )
                )
    return problems


def _plain(value: object) -> object:
    return value.strftime("%Y-%m") if isinstance(value, dt.date) else value


def _own_level(spec: TableSpec) -> str | None:
    """The level of the units a kind defines (districts → district …), if any."""
    code = spec.by_name.get("code")
    return code.level if code is not None and code.kind == "code" else None


def _headers_of(table: CheckedTable) -> dict[str, str]:
    accepted = header_map(table.spec)
    headers = {}
    for header in table.raw.header:
        column = accepted.get(normalise_header(header))
        if column is not None:
            headers.setdefault(column.name, header)
    return headers


def validate(
    raws: list[RawTable], known: Known, progress: Progress | None = None
) -> tuple[list[CheckedTable], list[Problem]]:
    """All checks of all tables; the import may go ahead only when the problem list is empty."""
    total = sum(len(raw.rows) for raw in raws)
    checked: list[CheckedTable] = []
    problems: list[Problem] = []
    done = 0
    for raw in raws:
        table, table_problems = check_rows(raw, progress, done, total)
        done += len(raw.rows)
        problems += table_problems
        if table is not None:
            checked.append(table)
    problems += check_links(checked, known)
    if progress:
        progress("validate", total, total)
    return checked, problems
