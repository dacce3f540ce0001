"""Times the queries of the Burden-reduction page on a large demo city and prints the figures.

Not a test: it builds (or reuses) a demo city in a SQLite file, brings its schema to an Alembic
revision, and for the city, one district and one street prints the median time of a few runs,
the rows returned, the peak Python memory of one run (tracemalloc) and SQLite's query plans.

    .venv/bin/python tools/benchmark_burden.py /tmp/demo10.sqlite3 --scale 10
    .venv/bin/python tools/benchmark_burden.py /tmp/demo10.sqlite3 --revision 0001   # before the index
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from alembic import command
from sqlalchemy import Engine, event, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_access.db import make_engine, read_frame
from data_access.figures import burden as burden_figures
from data_access.models import BurdenRecord
from data_access.queries import burden
from data_access.queries.hierarchy import community_count, data_months, units
from data_access.schema import alembic_config, current_revision, upgrade
from data_access.scope import Scope, month_end
from data_access.settings import load_settings


def prepared_engine(path: Path, scale: int, revision: str) -> Engine:
    """The demo city in `path`, built on first use, its schema at `revision`."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    if community_count(engine) == 0:
        from data_access.demo import build_demo

        print(f"building the demo city at scale {scale} in {path} …", file=sys.stderr)
        summary = build_demo(engine, scale=scale)
        print(f"built in {summary.seconds:.0f} s", file=sys.stderr)
    if revision != "head":
        config = alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    return engine


def page_queries(engine: Engine, scope: Scope) -> dict[str, Callable[[], pd.DataFrame]]:
    """What the page asks the database for at this scope (and the Overview's scope series)."""
    settings = load_settings(environ={}, secrets_file=Path("/nonexistent"))
    level = scope.breakdown_level
    series = burden.unit_series(engine, scope, level)
    return {
        f"unit_series ({level})": lambda: burden.unit_series(engine, scope, level),
        "community_rebounds": lambda: burden.community_rebounds(engine, scope, settings),
        "monthly_series (Overview)": lambda: burden.monthly_series(engine, scope),
        "reductions (pandas only)": lambda: burden_figures.reductions(
            series, scope.as_of, settings
        ),
    }


def captured_sql(engine: Engine, run: Callable[[], object]) -> list[tuple[str, Any]]:
    """The statements and parameters `run` sends to the database."""
    seen: list[tuple[str, Any]] = []

    def remember(_conn, _cursor, statement, parameters, _context, _many) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    return seen


def query_plan(engine: Engine, statement: str, parameters: Any) -> list[str]:
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return [row[-1] for row in rows]


def measure(name: str, run: Callable[[], pd.DataFrame], runs: int) -> None:
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        frame = run()
        seconds.append(time.perf_counter() - start)
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"  {name:<28} {statistics.median(seconds) * 1000:9.0f} ms  {len(frame):>8,} rows"
        f"  {peak / 2**20:7.1f} MiB peak"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="SQLite file (built when missing or empty)")
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3, help="runs per query; the median is shown")
    parser.add_argument("--revision", default="head", help="Alembic revision to measure at")
    parser.add_argument("--plans", action="store_true", help="print SQLite's query plans")
    args = parser.parse_args(argv)

    engine = prepared_engine(args.path, args.scale, args.revision)
    first, last = data_months(engine)
    if first is None or last is None:
        raise SystemExit(f"{args.path} holds no data")
    as_of = month_end(last)
    table = units(engine)
    district = table.loc[table["level"] == "district", "code"].iloc[0]
    street = table.loc[table["parent_code"] == district, "code"].iloc[0]
    scopes = {
        "city": Scope(None, as_of),
        "district": Scope(district, as_of),
        "street": Scope(street, as_of),
    }
    records = read_frame(engine, select(func.count()).select_from(BurdenRecord))
    print(
        f"{args.path}: {int(records.to_numpy()[0, 0]):,} burden records, {first:%Y-%m}–{last:%Y-%m}, "
        f"schema revision {current_revision(engine)}, median of {args.runs} runs"
    )
    for label, scope in scopes.items():
        print(f"{label} ({scope.code or 'whole city'}):")
        for name, run in page_queries(engine, scope).items():
            measure(name, run, args.runs)
            if args.plans and "pandas" not in name:
                for statement, parameters in captured_sql(engine, run):
                    for step in query_plan(engine, statement, parameters):
                        print(f"      {step}")
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak_rss:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
