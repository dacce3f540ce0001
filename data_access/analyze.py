"""The planner's statistics after large writes (docs/architecture.md, summaries kept at write
time): the import, `refresh` and the upgrade that fills the summaries call `analyze_after_write`
after their transaction has committed, so that the next reads are planned on the new rows
instead of waiting for the server's own sampling. It never raises: statistics that could not be
gathered cost speed, never the written data."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import Engine

logger = logging.getLogger(__name__)

ANALYZE_MIN_ROWS = 10_000  # rows written (inserted or updated) above which the tables are analysed
SUMMARY_TABLES = (
    "burden_summary",
    "community_coverage",
    "grid_reach",
    "grid_staffing_summary",
    "map_piece",
    "staffing_summary",
    "summary_state",
    "unit_outline",
)


def analyze_after_write(engine: Engine, tables: Iterable[str], rows: int) -> bool:
    """Runs ANALYZE on `tables` when more than ANALYZE_MIN_ROWS rows were written; True when it ran.

    PostgreSQL: one VACUUM (ANALYZE) of the tables, outside any transaction: a sample of each
    for the planner, and the space of the rows a refresh deleted made free at once, so that
    reads do not wade through them until the autovacuum comes by. MariaDB and MySQL: ANALYZE TABLE,
    which on InnoDB re-samples the index statistics only. SQLite: nothing — its planner has no
    statistics unless ANALYZE ran once, and the queries are written for the planner without them.
    """
    names = sorted({name for name in tables if name})
    backend = engine.dialect.name
    if rows <= ANALYZE_MIN_ROWS or not names or backend not in ("postgresql", "mysql", "mariadb"):
        return False
    quote = engine.dialect.identifier_preparer.quote
    listed = ", ".join(quote(name) for name in names)
    try:
        if backend == "postgresql":
            with engine.connect() as connection:
                autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
                autocommit.exec_driver_sql(f"VACUUM (ANALYZE) {listed}")
            return True
        with engine.begin() as connection:
            result = connection.exec_driver_sql(f"ANALYZE TABLE {listed}")
            failed = [row for row in result if str(row[2]).lower() == "error"]
        if failed:
            logger.warning("ANALYZE TABLE reported %s", failed)
            return False
    except Exception:  # the write is committed; a statistics failure must not undo or hide it
        logger.warning("ANALYZE after a write of %d rows failed", rows, exc_info=True)
        return False
    return True
