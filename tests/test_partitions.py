"""burden_record partitioned by month on PostgreSQL (data_access/partitions.py and migration
0014_burden_partitions): the upgrade keeps every row, the import makes a new month's partition
and gives SQLite's figures, the downgrade restores the plain table, and the reader reads through
the parent. SQLite and MariaDB keep the plain table."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pandas as pd
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from data_access import read_path
from data_access.admin import create_users
from data_access.db import make_engine, read_frame
from data_access.importing.readers import Upload
from data_access.importing.runner import run_import
from data_access.models import Base, BurdenSummary
from data_access.partitions import (
    ensure_month_partitions,
    is_partitioned,
    month_partitions,
    partition_name,
)
from data_access.queries import burden
from data_access.schema import MIGRATIONS_DIR, alembic_config, upgrade
from data_access.scope import Scope
from data_access.settings import Settings
from tests.backends import ADMIN_URLS, one_role_change_at_a_time
from tests.burden_city import AS_OF, A, B, C, D, build_burden_city

pytestmark = pytest.mark.servers({"backend": "postgresql"})

PARTITIONING = "0014_burden_partitions"
BEFORE = ScriptDirectory(str(MIGRATIONS_DIR)).get_revision(PARTITIONING).down_revision
# Roles of their own: tests/test_databases.py gives its reader another password.
READER, WRITER = "dashboard_test_partition_reader", "dashboard_test_partition_writer"
NEW_MONTH = [  # 2025-08: a month the burden city has no partition for
    (A, "work_items", "2025-08", 31),
    (B, "work_items", "2025-08", 44),
    (C, "forms", "2025-08", 2),
    (D, "meetings", "2025-08", 7),
]


@pytest.fixture
def postgres(backend: str) -> str:
    if backend != "postgresql":
        pytest.skip("SQLite keeps the plain burden_record; the other tests cover it")
    return backend


def _rows(engine: Engine) -> tuple[int, str]:
    """Every burden row: how many, and a checksum of all of them in key order."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT community_code, category, period, count FROM burden_record "
                "ORDER BY community_code, category, period"
            )
        ).all()
    digest = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()
    return len(rows), digest


def _months(engine: Engine) -> list[dt.date]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                text("SELECT DISTINCT period FROM burden_record ORDER BY 1")
            ).scalars()
        )


def _misplaced(engine: Engine) -> int:
    """Rows whose partition is not their month's."""
    with engine.connect() as connection:
        placed = connection.execute(
            text("SELECT tableoid::regclass::text, period FROM burden_record")
        ).all()
    return sum(name != partition_name(period) for name, period in placed)


def _schema_differences(engine: Engine, only: str | None = None) -> list[object]:
    """What differs between the database and the models, partitions left out (they are the
    table's storage, not tables of the models); `only`: of that table alone."""
    with engine.connect() as connection:
        partitions = set(month_partitions(connection)) if is_partitioned(connection) else set()

        def named(name: str | None, _kind: str, _parents: object) -> bool:
            return name not in partitions

        def kept(item: object, name: str | None, kind: str, *_rest: object) -> bool:
            table = name if kind == "table" else getattr(getattr(item, "table", None), "name", None)
            return only is None or table == only

        context = MigrationContext.configure(
            connection, opts={"include_name": named, "include_object": kept}
        )
        return list(compare_metadata(context, Base.metadata))


def _downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _user_engine(url: str, user: str, password: str) -> Engine:
    return create_engine(make_url(url).set(username=user, password=password))


def _burden_csv(rows: list[tuple[str, str, str, int]]) -> Upload:
    lines = ["community_code,category,period,count"]
    lines += [f"{code},{category},{period},{count}" for code, category, period, count in rows]
    return Upload.of("burden.csv", ("\n".join(lines) + "\n").encode())


@pytest.fixture
def old_city(postgres, new_database) -> Iterator[Engine]:
    """The burden city written at the revision before the partitioning, with reader and writer."""
    url = new_database("partition_old")
    engine = make_engine(url)
    upgrade(engine, BEFORE)
    build_burden_city(engine, refresh=False)
    with one_role_change_at_a_time():
        create_users(
            ADMIN_URLS["postgresql"], make_url(url).database or "", READER, "r", WRITER, "w"
        )
    yield engine
    engine.dispose()


def test_upgrade_partitions_every_month_and_keeps_every_row(old_city):
    before = _rows(old_city)
    months = _months(old_city)
    # tests/burden_city.py: 18 + 19 + 5 work_items, 2 forms, 18 meetings; 2024-01 … 2025-07
    assert before[0] == 62 and len(months) == 19
    upgrade(old_city)
    with old_city.connect() as connection:
        assert is_partitioned(connection)
        assert month_partitions(connection) == [partition_name(m) for m in months]
        owner = connection.execute(
            text("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'burden_record'")
        ).scalar()
    assert owner == WRITER  # the owner stays the one who may add partitions
    assert _rows(old_city) == before
    assert _misplaced(old_city) == 0
    assert _schema_differences(old_city) == []
    reader = _user_engine(str(old_city.url.render_as_string(False)), READER, "r")
    try:
        assert _rows(reader) == before  # its grant moved to the new table
    finally:
        reader.dispose()


def test_downgrade_restores_the_plain_table_with_every_row(old_city):
    upgrade(old_city)
    after = _rows(old_city)
    _downgrade(old_city, BEFORE)
    with old_city.connect() as connection:
        assert not is_partitioned(connection)
        kind = connection.execute(
            text("SELECT relkind FROM pg_class WHERE relname = 'burden_record'")
        ).scalar()
        tables = connection.execute(
            text(
                "SELECT COUNT(*) FROM pg_class WHERE relname LIKE 'burden_record_%' AND relkind = 'r'"
            )
        ).scalar()
    assert (kind, tables) == ("r", 0)
    assert _rows(old_city) == after
    # Later revisions' tables are gone too; burden_record is as its model says.
    assert _schema_differences(old_city, only="burden_record") == []
    reader = _user_engine(str(old_city.url.render_as_string(False)), READER, "r")
    try:
        assert _rows(reader) == after
    finally:
        reader.dispose()


def _figures(engine: Engine, settings: Settings) -> dict[str, pd.DataFrame]:
    """The burden figures the pages read, through the summary and from burden_record itself."""
    figures = {}
    for code in (None, "990101", "990101001", "990102", A):
        scope = Scope(code, dt.date(2025, 8, 31))
        figures[f"monthly_series {code}"] = burden.monthly_series(engine, scope)
        figures[f"rebounds {code}"] = burden.community_rebounds(engine, scope, settings)
        if scope.child_level is not None:
            figures[f"unit_series {code}"] = burden.unit_series(engine, scope, scope.child_level)
    return figures


def _figures_both_ways(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> dict[str, pd.DataFrame]:
    figures = _figures(engine, settings)
    with read_path.reading_raw():
        figures |= {f"raw {name}": frame for name, frame in _figures(engine, settings).items()}
    summary = read_frame(engine, select(BurdenSummary))
    for column in ("period", "next_period"):
        summary[column] = pd.to_datetime(summary[column]).dt.date
    summary = summary.sort_values(["level", "code", "category", "period"], ignore_index=True)
    return figures | {"burden_summary": summary}


def _assert_equal(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame]) -> None:
    assert left.keys() == right.keys()
    for name, frame in left.items():
        pd.testing.assert_frame_equal(
            frame.reset_index(drop=True), right[name].reset_index(drop=True), obj=name
        )


def test_import_of_a_new_month_makes_its_partition_and_gives_sqlites_figures(
    postgres, migrated_database, tmp_path: Path, settings, monkeypatch
):
    server = make_engine(migrated_database("partition_import"))
    embedded = make_engine(f"sqlite:///{tmp_path / 'burden.sqlite3'}")
    upgrade(embedded)
    for engine in (server, embedded):
        build_burden_city(engine)
        report = run_import(engine, [_burden_csv(NEW_MONTH)], max_bytes=10**6)
        assert report.accepted, report.problems
    with server.connect() as connection:
        assert partition_name(dt.date(2025, 8, 1)) in month_partitions(connection)
        assert len(month_partitions(connection)) == len(_months(server)) == 20
    assert _misplaced(server) == 0
    figures = _figures_both_ways(server, settings, monkeypatch)
    _assert_equal(figures, _figures_both_ways(embedded, settings, monkeypatch))
    month = figures["monthly_series None"].set_index(["category", "period"])["value"]
    assert month[("work_items", dt.date(2025, 8, 1))] == 31 + 44
    # A re-import of an existing month replaces its rows, in the partition it has.
    changed = [(A, "work_items", "2025-06", 61), (B, "work_items", "2025-06", 0)]
    for engine in (server, embedded):
        report = run_import(engine, [_burden_csv(changed)], max_bytes=10**6)
        assert report.accepted, report.problems
        assert [(p.inserted, p.updated) for p in report.parts] == [(0, 2)]
    with server.connect() as connection:
        june = connection.execute(
            text(
                "SELECT community_code, count FROM burden_record_2025_06 "
                "WHERE category = 'work_items' ORDER BY community_code"
            )
        ).all()
    assert [tuple(row) for row in june] == [(A, 61), (B, 0)]  # C reported no June
    figures = _figures_both_ways(server, settings, monkeypatch)
    _assert_equal(figures, _figures_both_ways(embedded, settings, monkeypatch))
    server.dispose()
    embedded.dispose()


def test_the_writer_adds_a_month_and_the_reader_reads_it_through_the_parent(postgres, city_url):
    database = make_url(city_url).database or ""
    with one_role_change_at_a_time():
        create_users(ADMIN_URLS["postgresql"], database, READER, "r", WRITER, "w")
    writer = _user_engine(city_url, WRITER, "w")
    reader = _user_engine(city_url, READER, "r")
    try:
        report = run_import(writer, [_burden_csv(NEW_MONTH)], max_bytes=10**6)
        assert report.accepted, report.problems
        with reader.connect() as connection:
            assert is_partitioned(connection)
            august = connection.execute(
                text("SELECT SUM(count) FROM burden_record WHERE period = :month"),
                {"month": dt.date(2025, 8, 1)},
            ).scalar()
            total = connection.execute(text("SELECT COUNT(*) FROM burden_record")).scalar()
        assert (august, total) == (31 + 44 + 2 + 7, 9 + 4)  # tests/small_city.py: 9 rows
        assert burden.monthly_series(reader, Scope(None, AS_OF)).shape[0] > 0
    finally:
        writer.dispose()
        reader.dispose()


def test_a_month_is_a_date_and_the_plain_table_is_left_alone(backend, migrated_database):
    engine = make_engine(migrated_database("partition_plain"))
    with engine.begin() as connection:
        with pytest.raises(TypeError):
            # A string where a date belongs: refused at run time, whatever a type checker says.
            ensure_month_partitions(connection, cast(Any, ["2025-08-01') TO ('2099-01-01"]))
        made = ensure_month_partitions(connection, [dt.date(2025, 8, 17), dt.date(2025, 8, 1)])
        assert made == ([dt.date(2025, 8, 1)] if backend == "postgresql" else [])
        assert ensure_month_partitions(connection, [dt.date(2025, 8, 31)]) == []
        assert is_partitioned(connection) == (backend == "postgresql")
    if backend == "postgresql":  # no default partition: a month without one is refused
        with pytest.raises(DBAPIError, match="no partition"), engine.begin() as connection:
            connection.execute(
                text("INSERT INTO burden_record VALUES ('990101001001', 'forms', :month, 1)"),
                {"month": dt.date(2025, 9, 1)},
            )
    engine.dispose()
