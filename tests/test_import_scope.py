"""An importer imports only inside its area (docs/accounts.md, Scope of an import): every table's
scope rule, from the command line and through run_import (what the Data page calls); burden
months bounded and new months capped, on SQLite and PostgreSQL; unique GeoJSON keys; SQLite
readers that wait for a running import."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import OperationalError

from data_access import accounts
from data_access.db import make_engine, read_frame
from data_access.importing import Upload, line, run_import
from data_access.importing.readers import read_uploads
from data_access.importing.specs import SPECS, Column, ScopeRule, TableSpec
from data_access.importing.validate import Known, recent_months, validate
from data_access.models import Base, BurdenRecord
from data_access.partitions import is_partitioned, month_partitions, new_months
from data_access.schema import upgrade
from data_access.scope import add_months
from data_access.settings import get_settings, load_settings

PASSWORD = "Import-Scope-pw-7"
# name → scope; every one an importer
IMPORTERS = {
    "city_importer": "city",
    "district_importer": "990101",
    "street_importer": "990101001",
}


# ---------------------------------------------------------------------------------------------
# The rules themselves

RULES = {
    "districts": "code",
    "streets": "code",
    "communities": "code",
    "population": "community_code",
    "grids": "community_code",
    "staff": "community_code",
    "facilities": "community_code",
    "burden": "community_code",
    "work_items": None,  # no district column (data_access/models.py WorkItem): the city's list
    "applications": "scope",
    "items_found": "community_code",
    "boundaries": "code",
}


def test_every_table_declares_the_column_of_the_unit_that_owns_a_row():
    assert {kind: spec.scope.column for kind, spec in SPECS.items()} == RULES
    for spec in SPECS.values():
        assert isinstance(spec.scope, ScopeRule)
        column = spec.scope.column
        assert column is None or spec.by_name[column].kind in ("code", "unit_code", "scope")
    assert [kind for kind, spec in SPECS.items() if spec.scope.city_only] == ["work_items"]


def test_a_table_without_a_scope_rule_cannot_be_declared():
    columns = (Column("code", "代码", "key", required=True),)
    with pytest.raises(TypeError, match="scope"):
        # Without its scope rule: refused at run time, whatever a type checker says.
        untyped: Any = TableSpec
        untyped("things", "thing", "事物", columns, key=("code",))
    with pytest.raises(ValueError, match="no column"):
        TableSpec("things", "thing", "事物", columns, key=("code",), scope=ScopeRule("owner"))


# ---------------------------------------------------------------------------------------------
# Every table, from the command line and through run_import


@dataclass(frozen=True)
class ScopeCase:
    kind: str
    account: str
    file: str
    content: str
    refused: list[tuple[str, int | None, str | None, str | None]]  # key, row, column, value
    inside: str | None  # the file without its outside rows: accepted for the same account


def _csv(header: str, *rows: str) -> str:
    return "\n".join([header, *rows]) + "\n"


def _feature(code: str, west: float) -> dict[str, object]:
    ring = [[west, 39.9], [west + 0.01, 39.9], [west + 0.01, 39.91], [west, 39.91], [west, 39.9]]
    return {
        "type": "Feature",
        "properties": {"code": code},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def _geojson(*features: dict[str, object]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


C1, C3, C5 = (
    "990101001001",
    "990101002001",
    "990102001001",
)  # street 990101001, 990101002, 990102001
BURDEN = "community_code,category,period,count"
POPULATION = "community_code,year,resident_population,households"
GRIDS = "code,name,community_code"
STAFF = "staff_code,community_code,role,start_date"
FACILITIES = "code,name,community_code,kind,lon,lat"
ITEMS = "community_code,period,item,source"
APPLICATIONS = "id,item_name,department,scope,submitted_on,decision"
APPLIED = "事项,城管局"

CASES = [
    ScopeCase(
        "districts",
        "district_importer",
        "districts.csv",
        _csv("code,name", "990101,甲区", "990102,乙区"),
        [("outside_scope", 3, "code", "990102")],
        _csv("code,name", "990101,甲区改"),
    ),
    ScopeCase(
        "streets",
        "street_importer",
        "streets.csv",
        _csv("code,name,district_code", "990101001,东街道改,990101", "990101002,西街道,990101"),
        [("outside_scope", 3, "code", "990101002")],
        _csv("code,name,district_code", "990101001,东街道改,990101"),
    ),
    ScopeCase(
        "communities",
        "street_importer",
        "communities.csv",
        _csv("code,name,street_code", f"{C1},一社区改,990101001", f"{C3},三社区,990101002"),
        [("outside_scope", 3, "code", C3)],
        _csv("code,name,street_code", f"{C1},一社区改,990101001"),
    ),
    ScopeCase(
        "population",
        "street_importer",
        "population.csv",
        _csv(POPULATION, f"{C1},2023,9000,3000", f"{C5},2023,5000,1800"),
        [("outside_scope", 3, "community_code", C5)],
        _csv(POPULATION, f"{C1},2023,9000,3000"),
    ),
    ScopeCase(
        "grids",
        "street_importer",
        "grids.csv",
        _csv(GRIDS, f"{C1}009,九网格,{C1}", f"{C5}009,外网格,{C5}"),
        [("outside_scope", 3, "community_code", C5)],
        _csv(GRIDS, f"{C1}009,九网格,{C1}"),
    ),
    ScopeCase(
        "staff",
        "street_importer",
        "staff.csv",
        _csv(STAFF, f"P9001,{C1},staff,2024-01-01", f"P9002,{C3},staff,2024-01-01"),
        [("outside_scope", 3, "community_code", C3)],
        _csv(STAFF, f"P9001,{C1},staff,2024-01-01"),
    ),
    ScopeCase(
        "facilities",
        "district_importer",
        "facilities.csv",
        _csv(FACILITIES, f"F9001,站,{C3},clinic,116.4,39.9", f"F9002,站,{C5},clinic,116.4,39.9"),
        [("outside_scope", 3, "community_code", C5)],
        _csv(FACILITIES, f"F9001,站,{C3},clinic,116.4,39.9"),
    ),
    ScopeCase(
        "burden",
        "street_importer",
        "burden.csv",
        _csv(BURDEN, f"{C1},forms,2025-06,3", f"{C5},forms,2025-06,4"),
        [("outside_scope", 3, "community_code", C5)],
        _csv(BURDEN, f"{C1},forms,2025-06,3"),
    ),
    ScopeCase(
        "work_items",
        "district_importer",
        "work_items.csv",
        _csv("code,name,list,department", "XZ-91,某事项,none,某局"),
        [("city_only_table", None, None, None)],
        None,
    ),
    ScopeCase(
        "work_items",
        "street_importer",
        "work_items.csv",
        _csv("code,name,list,department", "XZ-91,某事项,none,某局"),
        [("city_only_table", None, None, None)],
        None,
    ),
    ScopeCase(
        "applications",
        "district_importer",
        "applications.csv",
        _csv(
            APPLICATIONS,
            f"SQ-1,{APPLIED},990101,2025-03-03,pending",
            f"SQ-2,{APPLIED},,2025-03-03,pending",
            f"SQ-3,{APPLIED},全市,2025-03-03,pending",
            f"SQ-4,{APPLIED},990102,2025-03-03,pending",
        ),
        [
            ("outside_scope_city", 3, "scope", None),
            ("outside_scope_city", 4, "scope", "全市"),
            ("outside_scope", 5, "scope", "990102"),
        ],
        _csv(APPLICATIONS, f"SQ-1,{APPLIED},990101,2025-03-03,pending"),
    ),
    ScopeCase(  # an application to the district is not the street's to import
        "applications",
        "street_importer",
        "applications.csv",
        _csv(APPLICATIONS, f"SQ-1,{APPLIED},990101,2025-03-03,pending"),
        [("outside_scope", 2, "scope", "990101")],
        None,
    ),
    ScopeCase(
        "items_found",
        "street_importer",
        "items_found.csv",
        _csv(ITEMS, f"{C1},2025-06,创建示范小区,inspection", f"{C5},2025-06,创建,self_report"),
        [("outside_scope", 3, "community_code", C5)],
        _csv(ITEMS, f"{C1},2025-06,创建示范小区,inspection"),
    ),
    ScopeCase(
        "boundaries",
        "street_importer",
        "boundaries.geojson",
        _geojson(_feature(C1, 116.4), _feature(f"{C1}001", 116.4), _feature(C5, 116.5)),
        [("outside_scope", 3, "properties.code", C5)],
        _geojson(_feature(C1, 116.4), _feature(f"{C1}001", 116.4)),
    ),
]


@pytest.fixture(scope="module")
def importers_template(databases, small_city_template: str) -> str:
    url = databases.copy(small_city_template, "importers_template")
    engine = make_engine(url)
    for name, scope in IMPORTERS.items():
        accounts.add_account(engine, name, scope, "importer", PASSWORD, actor=accounts.OPERATOR)
    engine.dispose()
    return url


@pytest.fixture
def importers_city(databases, importers_template: str) -> Iterator[Engine]:
    engine = make_engine(databases.copy(importers_template, f"scope_{uuid.uuid4().hex[:8]}"))
    yield engine
    engine.dispose()


def data_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in Base.metadata.tables.items()
            if name not in ("import_batch", "audit_event", "account")
        }


@pytest.mark.servers()  # the rule is the same Python on every backend
@pytest.mark.parametrize("case", CASES, ids=[f"{c.kind}-{c.account.split('_')[0]}" for c in CASES])
def test_rows_outside_the_importers_area_are_refused_from_the_page_and_the_command_line(
    case: ScopeCase, importers_city: Engine, monkeypatch, capsys, tmp_path: Path
):
    from data_access.__main__ import main

    scope = IMPORTERS[case.account]
    upload = Upload.of(case.file, case.content.encode())
    before = data_counts(importers_city)
    # What the Data page calls, for the signed-in account's area.
    report = run_import(
        importers_city, [upload], max_bytes=10**6, account=case.account, scope_code=scope
    )
    assert report.status == "refused"
    assert [(p.key, p.row, p.column, p.value) for p in report.problems] == case.refused
    for problem in report.problems:
        assert problem.params["scope"] == scope
    # The command line, as the same account.
    monkeypatch.setenv("DATABASE_URL", importers_city.url.render_as_string(hide_password=False))
    monkeypatch.delenv("DATABASE_WRITER_URL", raising=False)
    path = tmp_path / case.file
    path.write_text(case.content, encoding="utf-8")
    capsys.readouterr()
    assert main(["import", "--account", case.account, str(path)]) == 1
    errors = capsys.readouterr().err
    for problem in report.problems:
        assert line(problem, "zh") in errors
    assert data_counts(importers_city) == before
    # The rows inside the area alone go in, and a city-wide account imports the whole file.
    if case.inside is not None:
        path.write_text(case.inside, encoding="utf-8")
        assert main(["import", "--account", case.account, str(path)]) == 0, capsys.readouterr()
    city = run_import(
        importers_city, [upload], max_bytes=10**6, account="city_importer", scope_code=None
    )
    assert city.accepted, [line(p, "en") for p in city.problems]


@pytest.mark.servers()
def test_the_new_problems_read_in_both_languages(importers_city):
    work_items = Upload.of("work_items.csv", CASES[8].content.encode())
    report = run_import(importers_city, [work_items], max_bytes=10**6, scope_code="990101")
    (problem,) = report.problems
    assert line(problem, "zh") == (
        "work_items.csv：表 work_items（工作事项清单）属于全市：其数据行不指明所属的区、街道或社区，"
        "只有全市范围的账号能导入；本账号的权限范围是 990101。"
    )
    assert line(problem, "en") == (
        "work_items.csv: The table work_items (工作事项清单) belongs to the whole city: no row names "
        "a district, street or community that owns it, so only a city-wide account may import it; "
        "this account's area is 990101."
    )
    applications = Upload.of("applications.csv", CASES[10].content.encode())
    report = run_import(importers_city, [applications], max_bytes=10**6, scope_code="990101")
    assert line(report.problems[0], "en") == (
        "applications.csv, row 3, column “scope”: This row belongs to the whole city (an empty "
        "scope or a word for the city); only a city-wide account may import it, and this "
        "account's area is 990101."
    )


# ---------------------------------------------------------------------------------------------
# Burden months: bounded, and at most import_max_new_months new ones per import


def _burden_upload(months: list[dt.date], community: str = C1) -> Upload:
    rows = [f"{community},forms,{month:%Y-%m},1" for month in months]
    return Upload.of("burden.csv", _csv(BURDEN, *rows).encode())


def _months(first: dt.date, n: int) -> list[dt.date]:
    return [add_months(first, k) for k in range(n)]


def test_burden_months_before_the_first_year_or_after_this_month_are_refused():
    first, current = recent_months()
    assert first == dt.date(get_settings().burden_first_year, 1, 1) == dt.date(2015, 1, 1)
    zone = ZoneInfo(get_settings().time_zone)
    assert current == dt.datetime.now(zone).date().replace(day=1)
    months = [add_months(first, -1), first, current, add_months(current, 1), dt.date(2099, 1, 1)]
    read = read_uploads([_burden_upload(months)], 10**6)
    known = Known()
    known.codes["community"].add(C1)
    checked, problems = validate(read.tables, known)
    assert [(p.key, p.row, p.column, p.value, p.params) for p in problems.listed()] == [
        ("month_before_first_year", 2, "period", f"{add_months(first, -1):%Y-%m}",
         {"first": "2015-01"}),
        ("month_in_future", 5, "period", f"{add_months(current, 1):%Y-%m}",
         {"last": f"{current:%Y-%m}"}),
        ("month_in_future", 6, "period", "2099-01", {"last": f"{current:%Y-%m}"}),
    ]  # fmt: skip
    assert checked[0].months == {first, current}  # the sound rows' months, for the cap


@pytest.mark.servers({"backend": "postgresql"})
def test_an_import_adds_at_most_the_settings_number_of_new_months(
    backend: str, importers_city: Engine
):
    limit = get_settings().import_max_new_months
    assert limit == 24
    start = dt.date(2016, 1, 1)  # the small city's burden lies in 2024 and 2025
    with importers_city.connect() as connection:
        partitions_before = month_partitions(connection) if is_partitioned(connection) else []
        assert new_months(connection, [dt.date(2025, 6, 17), start]) == [start]
    assert (backend == "postgresql") == bool(partitions_before)
    before = data_counts(importers_city)
    report = run_import(
        importers_city, [_burden_upload(_months(start, limit + 1))], max_bytes=10**6
    )
    assert report.status == "refused"
    assert [(p.key, p.file, p.params) for p in report.problems] == [
        (
            "too_many_new_months",
            "burden.csv",
            {"n": limit + 1, "limit": limit, "first": "2016-01", "last": "2018-01"},
        )
    ]
    assert "import_max_new_months" in line(report.problems[0], "en")
    # Months outside the bounds are refused row by row, on every backend.
    current = recent_months()[1]
    bounds = _burden_upload([dt.date(2014, 12, 1), add_months(current, 1), current])
    report = run_import(importers_city, [bounds], max_bytes=10**6)
    assert [(p.key, p.row) for p in report.problems] == [
        ("month_before_first_year", 2),
        ("month_in_future", 3),
    ]
    assert data_counts(importers_city) == before
    with importers_city.connect() as connection:
        after = month_partitions(connection) if is_partitioned(connection) else []
    assert after == partitions_before  # nothing made
    # Months already held do not count: 24 new ones and a held one pass.
    held = dt.date(2025, 6, 1)
    report = run_import(
        importers_city, [_burden_upload([*_months(start, limit), held])], max_bytes=10**6
    )
    assert report.accepted, report.problems
    with importers_city.connect() as connection:
        if is_partitioned(connection):
            assert len(month_partitions(connection)) == len(partitions_before) + limit
        periods = connection.execute(
            select(func.count(BurdenRecord.period.distinct())).where(
                BurdenRecord.period < dt.date(2019, 1, 1)
            )
        ).scalar_one()
    assert periods == limit
    # The next import's months are new again, the earlier ones not.
    report = run_import(
        importers_city,
        [_burden_upload([*_months(start, limit), *_months(dt.date(2019, 1, 1), limit)])],
        max_bytes=10**6,
    )
    assert report.accepted, report.problems


# ---------------------------------------------------------------------------------------------
# GeoJSON: a key twice in one object


@pytest.mark.servers()
def test_a_geojson_object_with_a_key_twice_is_refused_at_any_depth(importers_city):
    feature = json.dumps(_feature(C1, 116.4))
    twice_code = feature.replace('"code": "', f'"code": "{C5}", "code": "')
    twice_type = feature.replace('"type": "Polygon"', '"type": "Point", "type": "Polygon"')
    for document, key in (
        ('{"type": "FeatureCollection", "type": "x", "features": []}', "type"),
        ('{"type": "FeatureCollection", "features": [' + twice_code + "]}", "code"),
        ('{"type": "FeatureCollection", "features": [' + twice_type + "]}", "type"),
    ):
        upload = Upload.of("boundaries.geojson", document.encode())
        report = run_import(importers_city, [upload], max_bytes=10**6)
        assert [(p.key, p.params) for p in report.problems] == [
            ("geojson_duplicate_key", {"name": key})
        ]
    assert line(report.problems[0], "zh") == (
        "boundaries.geojson：GeoJSON 的同一个对象中键“type”出现了两次；每个键只能出现一次。"
    )
    # A boundary written into a cell of communities.csv is held to the same rule.
    geometry = json.dumps(_feature(C1, 116.4)["geometry"])
    cell = geometry.replace('"type": "Polygon"', '"type": "Polygon", "type": "Polygon"')
    quoted = cell.replace('"', '""')
    content = _csv("code,name,street_code,boundary", f'{C1},一社区,990101001,"{quoted}"')
    report = run_import(
        importers_city, [Upload.of("communities.csv", content.encode())], max_bytes=10**6
    )
    assert [(p.key, p.row, p.column, p.params) for p in report.problems] == [
        ("geojson_duplicate_key", 2, "boundary", {"name": "type"})
    ]


# ---------------------------------------------------------------------------------------------
# SQLite: a reader waits for the writer


def _hold_the_database(path: Path, seconds: float, started: threading.Event) -> None:
    """A writer with the whole file locked, as an import is while it writes and commits."""
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    writer.execute("INSERT INTO district (code, name) VALUES ('990109', '丙区')")
    started.set()
    time.sleep(seconds)
    writer.execute("COMMIT")
    writer.close()


@pytest.mark.parametrize(("busy_seconds", "waits"), [(30, True), (0, False)])
def test_a_sqlite_reader_waits_for_a_running_import(tmp_path, busy_seconds, waits):
    path = tmp_path / "busy.sqlite3"
    settings = load_settings(
        environ={"DASHBOARD_SQLITE_BUSY_TIMEOUT_SECONDS": str(busy_seconds)},
        secrets_file=Path("/nonexistent"),
    )
    engine = make_engine(f"sqlite:///{path}", settings)
    upgrade(engine)
    started = threading.Event()
    writer = threading.Thread(target=_hold_the_database, args=(path, 1.5, started))
    writer.start()
    assert started.wait(10)
    began = time.monotonic()
    try:
        if waits:
            frame = read_frame(engine, text("SELECT code FROM district ORDER BY code"))
            assert frame["code"].tolist() == ["990109"]  # the writer's row, once committed
            assert time.monotonic() - began > 1.0
        else:
            with pytest.raises(OperationalError, match="database is locked"):
                read_frame(engine, text("SELECT code FROM district"))
    finally:
        writer.join()
        engine.dispose()
