"""The whole database for a scope, in the template format, so that the files import again unchanged.

Applications follow the Admission page (docs/admission.md): an account of a street or a
community gets none, a district account those addressed to its district (docs/accounts.md).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass
from typing import SupportsFloat, SupportsInt, cast

import xlsxwriter
from sqlalchemy import ColumnElement, Engine, or_, select

from data_access.access import Principal
from data_access.admission import sees_applications
from data_access.db import read_frame
from data_access.files import plain_csv_bytes
from data_access.importing.specs import BOOLEAN_LABELS, KIND_ORDER, SPECS, Column, TableSpec
from data_access.importing.templates import ZIP_TIME
from data_access.models import Base
from data_access.scope import Scope
from data_access.scope import ancestors as scope_ancestors
from data_access.sql import in_range

# Excel keeps at most this many characters in a cell; longer boundaries go in the zip only.
EXCEL_CELL_LIMIT = 32_767
TABLE_KINDS = tuple(kind for kind in KIND_ORDER if kind != "boundaries")
# The column that places a row of each kind inside a scope.
SCOPE_COLUMN = {
    "districts": "code",
    "streets": "code",
    "communities": "code",
    "population": "community_code",
    "grids": "code",
    "staff": "community_code",
    "facilities": "community_code",
    "burden": "community_code",
    "work_items": None,  # one list for the whole city
    "applications": "scope",  # a district, or NULL for the city: shown in every scope
    "items_found": "community_code",
}


@dataclass(frozen=True)
class FullExport:
    """Every table of the scope as template rows, and the boundaries as (code, GeoJSON text)."""

    tables: dict[str, list[list[object]]]
    boundaries: list[tuple[str, str]]

    @property
    def rows(self) -> int:
        return sum(len(rows) for rows in self.tables.values()) + len(self.boundaries)

    def boundaries_too_long_for_excel(self) -> int:
        return sum(len(text) > EXCEL_CELL_LIMIT for _, text in self.boundaries)


def _scope_filter(column: ColumnElement[str], scope: Scope) -> ColumnElement[bool]:
    """Rows inside the scope, and the scope's own ancestors, so that a fresh database accepts them."""
    ancestors = list(scope_ancestors(scope.code).values()) if scope.code else []
    return (
        or_(in_range(column, scope), column.in_(ancestors))
        if ancestors
        else in_range(column, scope)
    )


def table_rows(
    engine: Engine, spec: TableSpec, scope: Scope, viewer: Principal | None = None
) -> list[list[object]]:
    """One kind's rows inside the scope, in template column order and format, sorted by key;
    the applications as the account `viewer` may see them (None: no account, all of the scope)."""
    table = Base.metadata.tables[spec.table]
    columns = spec.template_columns
    statement = select(*(table.c[c.name] for c in columns))
    scope_column = SCOPE_COLUMN[spec.kind]
    if scope_column is not None and scope.code is not None:
        where = _scope_filter(table.c[scope_column], scope)
        if scope_column == "scope":
            where = or_(where, table.c.scope.is_(None))
        statement = statement.where(where)
    if spec.kind == "applications" and viewer is not None and viewer.scope_code is not None:
        if not sees_applications(viewer.scope_code):
            return []
        statement = statement.where(table.c.scope == viewer.scope_code)
    frame = read_frame(engine, statement)
    records = frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None)
    keys = [columns.index(spec.by_name[k]) for k in spec.key]
    rows = sorted(records, key=lambda row: tuple(str(_as_date(row[i])) for i in keys))
    return [
        [_formatted(value, column) for value, column in zip(row, columns, strict=True)]
        for row in rows
    ]


def _as_date(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _formatted(value: object, column: Column) -> object:
    """A stored value as the template writes it: Chinese labels, 是/否, ISO dates, months YYYY-MM."""
    if value is None:
        return None
    value = _as_date(value)
    if column.kind == "choice" and column.labels:
        return column.labels.get(str(value), value)
    if column.kind == "bool":
        return BOOLEAN_LABELS[bool(value)]
    if column.kind == "period" and isinstance(value, dt.date):
        return value.strftime("%Y-%m")
    if column.kind == "date" and isinstance(value, dt.date):
        return value.isoformat()
    if column.kind == "int":
        return int(cast(SupportsInt, value))
    if column.kind == "float":
        return float(cast(SupportsFloat, value))
    return value


def boundary_rows(engine: Engine, scope: Scope) -> list[tuple[str, str]]:
    """(code, GeoJSON) of every community and grid inside the scope that has a boundary."""
    found: list[tuple[str, str]] = []
    for name in ("community", "grid"):
        table = Base.metadata.tables[name]
        statement = select(table.c.code, table.c.boundary).where(
            in_range(table.c.code, scope), table.c.boundary.is_not(None)
        )
        found += [
            (str(c), str(b)) for c, b in read_frame(engine, statement).itertuples(index=False)
        ]
    return sorted(found)


def export_all(engine: Engine, scope: Scope, *, viewer: Principal | None) -> FullExport:
    """Everything the database holds for the scope (its ancestors' rows included), as the account
    `viewer` may have it: applications only for a city or district account, and for a district
    account only those addressed to its district (None: the command line, no account)."""
    tables = {kind: table_rows(engine, SPECS[kind], scope, viewer) for kind in TABLE_KINDS}
    return FullExport(tables, boundary_rows(engine, scope))


def _headers(kind: str) -> list[str]:
    return [c.header for c in SPECS[kind].template_columns]


def export_zip(export: FullExport) -> bytes:
    """A CSV per table in the template format and boundaries.geojson; same data, same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for kind, rows in export.tables.items():
            _add(archive, f"{kind}.csv", plain_csv_bytes(_headers(kind), rows))
        collection = {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"code": code}, "geometry": json.loads(text)}
                for code, text in export.boundaries
            ],
        }
        geojson = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
        _add(archive, "boundaries.geojson", geojson.encode("utf-8"))
    return buffer.getvalue()


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def export_workbook(export: FullExport) -> bytes:
    """One workbook, a sheet per table named as in the template, text kept as text (no formulas)."""
    buffer = io.BytesIO()
    options = {
        "in_memory": True,
        "constant_memory": True,  # rows are streamed out: a city's burden records fit in little memory
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
    }
    workbook = xlsxwriter.Workbook(buffer, options)
    bold = workbook.add_format({"bold": True})
    sheets = [(SPECS[kind].sheet, _headers(kind), rows) for kind, rows in export.tables.items()]
    boundaries: list[list[object]] = [
        [c, b] for c, b in export.boundaries if len(b) <= EXCEL_CELL_LIMIT
    ]
    sheets.append((SPECS["boundaries"].sheet, _headers("boundaries"), boundaries))
    for name, headers, rows in sheets:
        sheet = workbook.add_worksheet(name)
        sheet.set_column(0, len(headers) - 1, 18)
        sheet.write_row(0, 0, headers, bold)
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                if isinstance(value, str):
                    sheet.write_string(number, column, value)
                elif value is not None:
                    sheet.write_number(number, column, value)
    workbook.close()
    return buffer.getvalue()
