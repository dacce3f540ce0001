"""Server administration for PostgreSQL and MySQL/MariaDB: databases and least-privilege users.

Used by `python -m data_access users` and by the tests, which make a database of their own.
Names are checked against a strict pattern because DDL cannot take bound parameters.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _checked(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not a safe database or user name: {name!r}")
    return name


def admin_engine(admin_url: str, connect_timeout: int = 10) -> Engine:
    return create_engine(
        make_url(admin_url),
        isolation_level="AUTOCOMMIT",
        pool_pre_ping=True,
        hide_parameters=True,
        connect_args={"connect_timeout": connect_timeout},
    )


def create_database(admin_url: str, name: str) -> str:
    """Creates an empty database and returns its URL (same server and user as admin_url)."""
    name = _checked(name)
    engine = admin_engine(admin_url)
    backend = engine.url.get_backend_name()
    with engine.connect() as connection:
        if backend == "postgresql":
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(
                text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
            )
        else:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
            connection.execute(
                text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            )
    engine.dispose()
    return engine.url.set(database=name).render_as_string(hide_password=False)


def copy_database(admin_url: str, source: str, name: str) -> str:
    """Creates `name` as a copy of `source` (tables, keys and rows) and returns its URL.

    PostgreSQL copies the source as a template, which needs the source to have no open
    connections; MySQL/MariaDB recreates each table from SHOW CREATE TABLE and copies its rows.
    The tests use it to give each test a private copy of a city built once.
    """
    source, name = _checked(source), _checked(name)
    engine = admin_engine(admin_url)
    with engine.connect() as connection:
        if engine.url.get_backend_name() == "postgresql":
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
        else:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
            connection.execute(
                text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            )
            tables = connection.execute(text(f"SHOW FULL TABLES FROM `{source}`")).all()
            connection.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
            connection.execute(text(f"USE `{name}`"))
            for table, kind in tables:
                if kind != "BASE TABLE":
                    continue
                table = _checked(str(table))
                ddl = connection.exec_driver_sql(f"SHOW CREATE TABLE `{source}`.`{table}`").one()[1]
                connection.exec_driver_sql(ddl)  # as the server wrote it: no bind markers
                connection.exec_driver_sql(
                    f"INSERT INTO `{table}` SELECT * FROM `{source}`.`{table}`"
                )
            connection.execute(text("SET FOREIGN_KEY_CHECKS = 1"))
    engine.dispose()
    return engine.url.set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    name = _checked(name)
    engine = admin_engine(admin_url)
    with engine.connect() as connection:
        if engine.url.get_backend_name() == "postgresql":
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    engine.dispose()


def create_users(
    admin_url: str,
    database: str,
    reader: str,
    reader_password: str,
    writer: str,
    writer_password: str,
) -> list[str]:
    """Creates (or updates) a SELECT-only reader and a writer for `database`; on PostgreSQL the
    writer owns burden_record, so that it may add a month's partition.

    Passwords may hold any character: they reach the server as quoted literals built by the
    driver (PostgreSQL) or as bound values (MySQL), never spliced into SQL text, and neither
    they nor the statements carrying them are printed or logged. Returns the statements with
    the passwords left out.
    """
    database, reader, writer = _checked(database), _checked(reader), _checked(writer)
    engine = admin_engine(admin_url)
    passwords = {reader: reader_password, writer: writer_password}
    if engine.url.get_backend_name() == "postgresql":
        statements = _postgres_users(database, reader, writer)
        # Grants on a schema are made inside the database itself.
        url = engine.url.set(database=database)
        engine.dispose()
        engine = create_engine(
            url,
            isolation_level="AUTOCOMMIT",
            hide_parameters=True,
            connect_args={"connect_timeout": 10},
        )
    else:
        statements = _mysql_users(database, reader, writer)
    try:
        with engine.connect() as connection:
            for statement in statements:
                _run_with_passwords(connection, statement, passwords)
    finally:
        engine.dispose()
    return statements


_PASSWORD_OF = re.compile(r"\{password:([a-z_][a-z0-9_]*)\}")


def _run_with_passwords(connection: Connection, statement: str, passwords: dict[str, str]) -> None:
    """Runs statement, its {password:user} placeholder filled safely for the backend."""
    match = _PASSWORD_OF.search(statement)
    if connection.dialect.name == "postgresql":
        if match is not None:
            from psycopg import sql

            raw = connection.connection.dbapi_connection
            # SQLAlchemy types the driver connection as any DB-API one; here it is psycopg's.
            literal = sql.Literal(passwords[match.group(1)]).as_string(raw)  # type: ignore[arg-type]
            statement = statement[: match.start()] + literal + statement[match.end() :]
        # No parameters: the driver sends the text as it is, % and : included.
        connection.exec_driver_sql(statement)
        return
    # PyMySQL formats the text with the bound values (quoting them itself): % is doubled.
    if match is None:
        connection.exec_driver_sql(statement.replace("%", "%%"), ())
        return
    text_part = statement[: match.start()].replace("%", "%%") + "%s"
    text_part += statement[match.end() :].replace("%", "%%")
    connection.exec_driver_sql(text_part, (passwords[match.group(1)],))


def _postgres_users(database: str, reader: str, writer: str) -> list[str]:
    statements = [
        # Nobody but the granted users may connect or make TEMP tables; nobody may create in public.
        f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC',
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
    ]
    for user in (reader, writer):
        statements.append(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{user}') "
            f"THEN CREATE ROLE {user} LOGIN; END IF; END $$"
        )
        statements.append(f"ALTER ROLE {user} WITH LOGIN PASSWORD {{password:{user}}}")
        statements.append(f'GRANT CONNECT ON DATABASE "{database}" TO {user}')
    return [
        *statements,
        f'REVOKE TEMPORARY ON DATABASE "{database}" FROM {reader}',
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {reader}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {reader}",
        f"GRANT USAGE ON SCHEMA public TO {reader}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {reader}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {writer} IN SCHEMA public GRANT SELECT ON TABLES TO {reader}",
        f"GRANT USAGE, CREATE ON SCHEMA public TO {writer}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE, REFERENCES ON ALL TABLES IN SCHEMA public TO {writer}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {writer}",
        # Only burden_record's owner may add a month's partition (data_access/partitions.py):
        # the writer owns it and its partitions, whoever ran the migrations.
        "DO $$ DECLARE part regclass; BEGIN "
        "IF to_regclass('public.burden_record') IS NOT NULL THEN "
        f"ALTER TABLE public.burden_record OWNER TO {writer}; "
        "FOR part IN SELECT inhrelid::regclass FROM pg_inherits "
        "WHERE inhparent = to_regclass('public.burden_record') LOOP "
        f"EXECUTE 'ALTER TABLE ' || part::text || ' OWNER TO {writer}'; "
        "END LOOP; END IF; END $$",
    ]


def _mysql_users(database: str, reader: str, writer: str) -> list[str]:
    statements = []
    for user in (reader, writer):
        statements.append(
            f"CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY {{password:{user}}}"
        )
        statements.append(f"ALTER USER '{user}'@'%' IDENTIFIED BY {{password:{user}}}")
    return [
        *statements,
        f"GRANT SELECT ON `{database}`.* TO '{reader}'@'%'",
        f"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, REFERENCES "
        f"ON `{database}`.* TO '{writer}'@'%'",
    ]
