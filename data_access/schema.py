"""Creating and upgrading the schema, always through Alembic: the shared database is upgraded, never dropped."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, column, inspect, select, table, text

from data_access import read_path

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Creates the schema or upgrades it to revision; at head, in the same transaction, fills
    the summaries a migration left empty (docs/architecture.md, schema and migrations)."""
    from data_access.analyze import SUMMARY_TABLES, analyze_after_write

    config = alembic_config(engine)
    filled = 0
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        if revision == "head" or revision == head_revision():
            filled = fill_left_summaries(connection)
    read_path.forget()  # a migration may have emptied a summary, the fill refilled it
    analyze_after_write(engine, SUMMARY_TABLES, filled)


def fill_left_summaries(connection: Connection) -> int:
    """Fills every summary without a summary_state row from the raw tables with today's code,
    whose tables are the head schema's; rows written. Migrations never fill a summary: they
    leave it empty and its state row absent, and the queries read the raw tables meanwhile."""
    from data_access.outlines import OUTLINES, refresh_outlines
    from data_access.settings import get_settings
    from data_access.summaries import (
        BURDEN,
        COVERAGE,
        GRID_STAFFING,
        STAFFING,
        refresh_burden_summary,
        refresh_grid_staffing_summary,
        refresh_grid_summaries,
        refresh_staffing_summary,
    )

    if (
        connection.execute(select(column("code")).select_from(table("community")).limit(1)).first()
        is None
    ):
        return 0  # nothing to summarise; the first import or demo build fills them
    kept = set(connection.execute(text("SELECT name FROM summary_state")).scalars())
    settings = get_settings()
    written = 0
    if BURDEN not in kept:
        written += refresh_burden_summary(connection, settings)
    if COVERAGE not in kept:
        written += refresh_grid_summaries(connection, settings)
    if STAFFING not in kept:
        written += refresh_staffing_summary(connection, settings)
    if GRID_STAFFING not in kept:
        written += refresh_grid_staffing_summary(connection)
    if OUTLINES not in kept:
        written += refresh_outlines(connection)
    return written


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("community")
