"""Writing: one transaction, chunked executemany, progress per phase and chunk."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np
from sqlalchemy import Connection, Engine, insert, inspect, select

from data_access import read_path
from data_access.db import bulk_insert
from data_access.demo.admission import plan_admission
from data_access.demo.burden import burden_rows, plan_burden
from data_access.demo.common import (
    CHUNK_ROWS,
    DATA_TABLES,
    DEMO_CITY_NAME,
    PERIODS,
    PHASE_SPANS,
    DemoSummary,
    ProgressFn,
)
from data_access.demo.facilities import plan_facilities
from data_access.demo.grids import plan_grids
from data_access.demo.places import geometry_rows, plan_city
from data_access.demo.population import plan_population, population_rows
from data_access.demo.staff import plan_staff
from data_access.models import BURDEN_CATEGORIES, Base
from data_access.partitions import ensure_month_partitions
from data_access.queries.hierarchy import DEMO_KIND
from data_access.settings import get_settings
from data_access.summaries import refresh_summaries


class _Progress:
    """Maps a phase and the fraction done within it onto the whole build."""

    def __init__(self, callback: ProgressFn | None) -> None:
        self._callback = callback

    def __call__(self, phase: str, within: float = 0.0) -> None:
        if self._callback is not None:
            low, high = PHASE_SPANS[phase]
            self._callback(low + (high - low) * min(max(within, 0.0), 1.0), phase)

    def within(self, phase: str, low: float = 0.0, high: float = 1.0) -> Callable[[float], None]:
        return lambda done: self(phase, low + (high - low) * done)


def _chunks(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert(
    conn: Connection,
    table_name: str,
    rows: Iterable[dict],
    total: int,
    on_progress: Callable[[float], None] | None = None,
) -> int:
    """Inserts rows in chunks of CHUNK_ROWS; returns how many were written."""
    table = Base.metadata.tables[table_name]
    written = 0
    for chunk in _chunks(rows, CHUNK_ROWS):
        bulk_insert(conn, table, chunk)
        written += len(chunk)
        if on_progress is not None:
            on_progress(written / max(total, 1))
    return written


def _require_empty(conn: Connection) -> None:
    inspector = inspect(conn)
    if not inspector.has_table("community"):
        raise ValueError("the database has no schema yet: run `python -m data_access init` first")
    for name in DATA_TABLES:
        table = Base.metadata.tables[name]
        if conn.execute(select(table).limit(1)).first() is not None:
            raise ValueError(f"the database is not empty: table {name} has rows")


def _record_batch(conn: Connection, scale: int, seed: int, written: dict[str, int]) -> None:
    message = (
        f"{DEMO_CITY_NAME} demo city: {written['district']} districts, {written['street']} streets, "
        f"{written['community']} communities, {written['grid']} grids, "
        f"{written['staff_member']} staff, {written['facility']} facilities, "
        f"{written['burden_record']} burden records"
    )
    conn.execute(
        insert(Base.metadata.tables["import_batch"]),
        {
            "kind": DEMO_KIND,
            "file_name": f"demo:scale={scale},seed={seed}",
            "sha256": None,
            "rows": sum(written.values()),
            "imported_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
            "status": "accepted",
            "message": message,
        },
    )


def _write_city(
    conn: Connection, scale: int, streams: Sequence[np.random.Generator], notify: _Progress
) -> dict[str, int]:
    geometry_rng, population_rng, grid_rng, staff_rng, facility_rng, burden_rng = streams[:6]
    admission_rng = streams[6]
    written: dict[str, int] = {}
    notify("geometry")
    plan = plan_city(scale, geometry_rng)
    for name, rows in geometry_rows(plan).items():
        written[name] = _insert(conn, name, rows, len(rows))
    notify("population")
    population = plan_population(plan, population_rng)
    rows = population_rows(plan, population)
    written["community_population"] = _insert(conn, "community_population", rows, len(rows))
    notify("grids")
    grids = plan_grids(plan, population, grid_rng, notify.within("grids", 0.0, 0.7))
    written["grid"] = _insert(
        conn, "grid", grids.rows, len(grids.rows), notify.within("grids", 0.7)
    )
    notify("staff")
    staff = plan_staff(plan, population, grids, staff_rng)
    written["staff_member"] = _insert(
        conn, "staff_member", staff, len(staff), notify.within("staff", 0.5)
    )
    notify("facilities")
    facilities = plan_facilities(plan, facility_rng, population)
    written["facility"] = _insert(conn, "facility", facilities, len(facilities))
    notify("burden")
    counts, present = plan_burden(plan, burden_rng)
    total = int(present.sum()) * len(BURDEN_CATEGORIES)
    rows_iter = burden_rows(plan.community_codes, counts, present)
    ensure_month_partitions(conn, [PERIODS[t] for t in np.flatnonzero(present.any(axis=0))])
    written["burden_record"] = _insert(
        conn, "burden_record", rows_iter, total, notify.within("burden", 0.05)
    )
    notify("admission")
    for name, rows in plan_admission(plan, admission_rng).items():
        written[name] = _insert(conn, name, rows, len(rows))
    return written


def build_demo(
    engine: Engine,
    scale: int = 1,
    seed: int = 2024,
    progress: ProgressFn | None = None,
) -> DemoSummary:
    """Fills an empty, migrated database with the demo city; raises ValueError if it is not empty."""
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be a whole number of at least 1, not {scale!r}")
    started = time.perf_counter()
    notify = _Progress(progress)
    # One independent stream per phase, so each phase's draws do not shift the others.
    streams = np.random.default_rng(seed).spawn(7)
    with engine.begin() as conn:
        _require_empty(conn)
        written = _write_city(conn, scale, streams, notify)
        refresh_summaries(conn, get_settings())
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")  # the planner's statistics of a freshly filled city
        _record_batch(conn, scale, seed, written)
    read_path.forget()  # committed: the summaries now hold the demo city
    notify("done", 1.0)
    return DemoSummary(
        districts=written["district"],
        streets=written["street"],
        communities=written["community"],
        grids=written["grid"],
        staff=written["staff_member"],
        facilities=written["facility"],
        burden_records=written["burden_record"],
        seconds=time.perf_counter() - started,
    )
