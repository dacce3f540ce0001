"""The one way to reach the database: an engine per URL and a single statement runner."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, Table, create_engine, event, insert, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import Executable

from data_access.settings import Settings, get_settings
from data_access.watchdog import watch


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _mysql_statement_timeout(seconds: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT VERSION()")
        is_mariadb = "mariadb" in str(cursor.fetchone()[0]).lower()
        # MariaDB counts seconds in max_statement_time, MySQL milliseconds in max_execution_time.
        if is_mariadb:
            cursor.execute(f"SET SESSION max_statement_time = {int(seconds)}")
            # MariaDB 10.11 returned wrong counts when it merged a derived table that is outer
            # joined (a community without population lost its grids); materialising is correct.
            cursor.execute("SET SESSION optimizer_switch = 'derived_merge=off'")
        else:
            cursor.execute(f"SET SESSION max_execution_time = {int(seconds) * 1000}")
        cursor.close()

    return on_connect


def _mysql_read_timeout(settings: Settings) -> Any:
    """Once connected, socket reads wait past the statement timeout: never cutting a query that
    the server still runs, yet ending one that a dead network left without an answer."""
    beyond = (
        settings.statement_timeout_seconds
        + settings.db_read_timeout_seconds
        + settings.connect_timeout_seconds
    )

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection._read_timeout = beyond  # PyMySQL reads these before every socket call
        dbapi_connection._write_timeout = beyond

    return on_connect


def engine_options(url: str, settings: Settings) -> tuple[URL, dict[str, Any]]:
    """The URL and create_engine options for one backend: the one place they differ."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and parsed.query.get("uri") != "true":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # sqlite3's timeout is the busy timeout: a reader waits for a running import's write
        # (which holds the whole file while it commits) instead of failing.
        return parsed, {"connect_args": {"timeout": settings.sqlite_busy_timeout_seconds}}
    options: dict[str, Any] = {
        "pool_pre_ping": True,  # a connection that died while idle is replaced, not reported
        "pool_recycle": 1800,  # servers and firewalls close connections idle for long
        "pool_size": settings.pool_size,
        "max_overflow": settings.pool_max_overflow,
        "pool_timeout": settings.connect_timeout_seconds * 2,
    }
    # A network that drops packets is noticed by the kernel: keepalive probes on an idle
    # connection, and unacknowledged data on a busy one, end the connection within these.
    silent = settings.db_read_timeout_seconds + settings.connect_timeout_seconds
    if backend == "postgresql":
        options["connect_args"] = {
            "connect_timeout": settings.connect_timeout_seconds,
            "options": f"-c statement_timeout={settings.statement_timeout_seconds * 1000}",
            "keepalives": 1,
            "keepalives_idle": settings.db_read_timeout_seconds,
            "keepalives_interval": 2,
            "keepalives_count": 3,
            "tcp_user_timeout": silent * 1000,
        }
    elif backend in ("mysql", "mariadb"):
        if "charset" not in parsed.query:
            parsed = parsed.update_query_dict({"charset": "utf8mb4"})
        # The handshake reads within the connect timeout; later reads get _mysql_read_timeout's.
        options["connect_args"] = {
            "connect_timeout": settings.connect_timeout_seconds,
            "read_timeout": settings.connect_timeout_seconds,
            "write_timeout": settings.connect_timeout_seconds,
        }
    return parsed, options


def make_engine(url: str, settings: Settings | None = None) -> Engine:
    """A new engine for url with the pool, timeouts and session settings of its backend."""
    settings = settings or get_settings()
    parsed, options = engine_options(url, settings)
    engine = create_engine(parsed, **options)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
    elif backend in ("mysql", "mariadb"):
        event.listen(
            engine, "connect", _mysql_statement_timeout(settings.statement_timeout_seconds)
        )
        event.listen(engine, "connect", _mysql_read_timeout(settings))
    if backend != "sqlite":
        watch(engine, settings.db_read_timeout_seconds, options.get("connect_args", {}))
    return engine


def bulk_insert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Writes many new rows at once: COPY on PostgreSQL (several times faster), else one
    multi-row INSERT per batch of the driver."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        if set(rows[0]) == set(table.c.keys()):
            _driver_insert(connection, table, rows)
        else:  # SQLAlchemy fills the columns left out with their defaults
            connection.execute(insert(table), rows)
        return
    from psycopg import sql

    columns = list(rows[0])
    command = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(command) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row([row[column] for column in columns])


def _driver_insert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Rows holding every column of the table, handed to the driver's executemany as tuples
    (converted by the columns' own SQLAlchemy bind processors): several times quicker than an
    insert() of dicts on a summary of a million rows; the MySQL driver sends multi-row INSERTs."""
    dialect = connection.dialect
    if dialect.paramstyle not in ("qmark", "format", "pyformat"):
        connection.execute(insert(table), rows)
        return
    columns = list(rows[0])
    quote = dialect.identifier_preparer.quote
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join([marker] * len(columns))})"
    )
    processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    values = [[row[c] for row in rows] for c in columns]
    for number, process in enumerate(processors):
        if process is not None:
            values[number] = [None if v is None else process(v) for v in values[number]]
    connection.exec_driver_sql(statement, list(zip(*values, strict=True)))


def make_writer_engine(url: str, settings: Settings | None = None) -> Engine:
    """An engine for the writers (import, demo, refresh), whose bulk statements may run for
    writer_statement_timeout_seconds instead of the readers' statement timeout."""
    settings = settings or get_settings()
    longer = dataclasses.replace(
        settings, statement_timeout_seconds=settings.writer_statement_timeout_seconds
    )
    return make_engine(url, longer)


@lru_cache(maxsize=4)
def get_writer_engine(url: str) -> Engine:
    """One writer engine per URL in this process (the Data page's imports)."""
    return make_writer_engine(url)


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """One engine (and so one pool) per URL in this process."""
    return make_engine(url)


def ping(engine: Engine) -> bool:
    """True when the database answers a trivial query now."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True


def read_frame(
    engine: Engine | Connection, statement: Executable, params: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Runs a read statement and returns its rows as a DataFrame with the statement's column names.

    Given a Connection, it reads inside that connection's transaction (a writer refreshing the
    summaries sees its own rows); given an Engine, on a connection of its own.
    """
    if isinstance(engine, Connection):
        return _frame_of(engine, statement, params)
    with engine.connect() as connection:
        return _frame_of(connection, statement, params)


def _frame_of(
    connection: Connection, statement: Executable, params: Mapping[str, Any] | None
) -> pd.DataFrame:
    result = connection.execute(statement, dict(params or {}))
    # Plain tuples: pandas probes every Row for namedtuple fields, which is slow on large reads.
    frame = pd.DataFrame([tuple(row) for row in result], columns=list(result.keys()))
    return _decimals_to_numbers(frame)


def read_row(
    engine: Engine | Connection, statement: Executable, params: Mapping[str, Any] | None = None
) -> tuple[Any, ...]:
    """The first row of a read statement that returns exactly one (a count, a min and max);
    given a Connection, read inside its transaction."""
    if isinstance(engine, Connection):
        return tuple(engine.execute(statement, dict(params or {})).one())
    with engine.connect() as connection:
        return tuple(connection.execute(statement, dict(params or {})).one())


def _decimals_to_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """MySQL returns SUM() as DECIMAL; the dashboard works in ints and floats."""
    for column in frame.columns:
        if frame[column].dtype != object:
            continue
        values = frame[column].dropna()
        if len(values) and isinstance(values.iloc[0], Decimal):
            frame[column] = pd.to_numeric(frame[column])
    return frame
