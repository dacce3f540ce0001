"""`burden_record` partitioned by month on PostgreSQL (docs/architecture.md, schema and
migrations): one partition per month holding data, made by the writers (the import and the demo
build) before they write a month's rows. There is no default partition, so a row of a month
without one is refused, never put aside. SQLite and MariaDB keep the plain table.

A partition is made as a table of its own and then attached: ATTACH PARTITION takes a lock on
burden_record that lets the app go on reading it during the writer's transaction, where CREATE
TABLE … PARTITION OF would hold every reader back until the import commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import Connection, select, text

from data_access.models import BurdenRecord
from data_access.scope import add_months

PARTITIONED_TABLE = "burden_record"


def partition_name(month: dt.date) -> str:
    """The partition of the month that `month` falls in: burden_record_2025_06."""
    return f"{PARTITIONED_TABLE}_{month.year:04d}_{month.month:02d}"


def is_partitioned(connection: Connection) -> bool:
    """True on PostgreSQL when burden_record is a partitioned table."""
    if connection.dialect.name != "postgresql":
        return False
    kind = connection.execute(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:name)"),
        {"name": PARTITIONED_TABLE},
    ).scalar_one_or_none()
    return kind == "p"


def month_partitions(connection: Connection) -> list[str]:
    """The names of burden_record's partitions, in name (and so month) order."""
    return list(
        connection.execute(
            text(
                "SELECT child.relname FROM pg_inherits"
                " JOIN pg_class AS child ON child.oid = pg_inherits.inhrelid"
                " WHERE pg_inherits.inhparent = to_regclass(:name) ORDER BY child.relname"
            ),
            {"name": PARTITIONED_TABLE},
        ).scalars()
    )


def new_months(connection: Connection, months: Iterable[dt.date]) -> list[dt.date]:
    """The months given (as their first days) that burden_record holds nothing of: on a
    partitioned PostgreSQL table those without a partition, elsewhere those without a row. An
    import may bring at most import_max_new_months of them (docs/architecture.md)."""
    wanted = sorted({dt.date(day.year, day.month, 1) for day in months})
    if not wanted:
        return []
    if is_partitioned(connection):
        existing = set(month_partitions(connection))
        return [month for month in wanted if partition_name(month) not in existing]
    held: set[dt.date] = set()
    period = BurdenRecord.__table__.c.period
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        statement = select(period).distinct().where(period.in_(chunk))
        held.update(connection.execute(statement).scalars())
    return [month for month in wanted if month not in held]


def ensure_month_partitions(connection: Connection, months: Iterable[dt.date]) -> list[dt.date]:
    """Makes the partitions of the months given that have none, in the caller's transaction; the
    months made. Nothing off PostgreSQL or while burden_record is a plain table.

    DDL takes no bound values, so the bounds are written into the statement: only from dates
    (any day of a month stands for the month), never from text, with identifiers quoted.
    """
    wanted = set()
    for day in months:
        if not isinstance(day, dt.date):
            raise TypeError(f"a month is a date, not {type(day).__name__}")
        wanted.add(dt.date(day.year, day.month, 1))
    if not wanted or not is_partitioned(connection):
        return []
    existing = set(month_partitions(connection))
    quote = connection.dialect.identifier_preparer.quote
    parent = quote(PARTITIONED_TABLE)
    made = []
    for month in sorted(wanted):
        name = partition_name(month)
        if name in existing:
            continue
        following = add_months(month, 1)
        connection.exec_driver_sql(f"CREATE TABLE {quote(name)} (LIKE {parent})")
        connection.exec_driver_sql(
            f"ALTER TABLE {parent} ATTACH PARTITION {quote(name)} "
            f"FOR VALUES FROM ('{month.isoformat()}') TO ('{following.isoformat()}')"
        )
        made.append(month)
    return made
