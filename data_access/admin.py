"""Server administration for PostgreSQL and MySQL/MariaDB: databases and least-privilege users.

Used by `python -m data_access users` and by the tests, which make a database of their own.
Names are checked against a strict pattern because DDL cannot take bound parameters.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _checked(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not a safe database or user name: {name!r}")
    return name


def _quoted_password(password: str) -> str:
    if "'" in password or "\\" in password:
        raise ValueError("the password may not contain quotes or backslashes")
    return f"'{password}'"


def admin_engine(admin_url: str, connect_timeout: int = 10) -> Engine:
    return create_engine(
        make_url(admin_url),
        isolation_level="AUTOCOMMIT",
        pool_pre_ping=True,
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
    """Creates (or updates) a SELECT-only reader and a writer for `database`; returns the statements."""
    database, reader, writer = _checked(database), _checked(reader), _checked(writer)
    engine = admin_engine(admin_url)
    if engine.url.get_backend_name() == "postgresql":
        statements = _postgres_users(database, reader, reader_password, writer, writer_password)
        # Grants on a schema are made inside the database itself.
        engine = admin_engine(
            engine.url.set(database=database).render_as_string(hide_password=False)
        )
    else:
        statements = _mysql_users(database, reader, reader_password, writer, writer_password)
    with engine.connect() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()
    return statements


def _postgres_users(
    database: str, reader: str, reader_password: str, writer: str, writer_password: str
) -> list[str]:
    statements = []
    for user, password in ((reader, reader_password), (writer, writer_password)):
        statements.append(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{user}') "
            f"THEN CREATE ROLE {user} LOGIN; END IF; END $$"
        )
        statements.append(f"ALTER ROLE {user} WITH LOGIN PASSWORD {_quoted_password(password)}")
        statements.append(f'GRANT CONNECT ON DATABASE "{database}" TO {user}')
    return [
        *statements,
        f"GRANT USAGE ON SCHEMA public TO {reader}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {reader}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {writer} IN SCHEMA public GRANT SELECT ON TABLES TO {reader}",
        f"GRANT USAGE, CREATE ON SCHEMA public TO {writer}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE, REFERENCES ON ALL TABLES IN SCHEMA public TO {writer}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {writer}",
    ]


def _mysql_users(
    database: str, reader: str, reader_password: str, writer: str, writer_password: str
) -> list[str]:
    statements = []
    for user, password in ((reader, reader_password), (writer, writer_password)):
        statements.append(
            f"CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY {_quoted_password(password)}"
        )
        statements.append(f"ALTER USER '{user}'@'%' IDENTIFIED BY {_quoted_password(password)}")
    return [
        *statements,
        f"GRANT SELECT ON `{database}`.* TO '{reader}'@'%'",
        f"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, REFERENCES "
        f"ON `{database}`.* TO '{writer}'@'%'",
    ]
