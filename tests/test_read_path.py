"""Whether a query reads a summary or the raw tables is decided in one place,
data_access/read_path.py, from one SELECT of summary_state per database and data version
(docs/architecture.md, "The read path")."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event

from data_access import read_path
from data_access.figures import staffing as staffing_figures
from data_access.queries import burden, grids, staffing
from data_access.read_path import RAW, SummaryCoverage
from data_access.scope import Scope
from data_access.summaries import refresh_staffing_summary
from tests.small_city import AS_OF


@pytest.fixture
def state_reads(small_city: Engine) -> Iterator[list[str]]:
    """The reads of the whole of summary_state (the read path's), as they run."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        if statement.startswith("SELECT summary_state.name, summary_state.window_months"):
            seen.append(statement)

    read_path.forget()
    event.listen(small_city, "before_cursor_execute", note)
    yield seen
    event.remove(small_city, "before_cursor_execute", note)


def _figures(engine: Engine, settings) -> None:
    scope = Scope(None, AS_OF)
    staffing.staffing_total(engine, scope, settings)
    staffing_figures.monthly_trend(engine, scope, settings)
    grids.grid_staffing_total(engine, scope)
    grids.community_spatial_coverage(engine, scope, settings)
    burden.monthly_series(engine, scope)
    burden.community_rebounds(engine, scope, settings)


def test_the_queries_ask_summary_state_once_per_data_version(small_city, settings, state_reads):
    _figures(small_city, settings)
    _figures(small_city, settings)
    assert len(state_reads) == 1
    read = read_path.summary_coverage(small_city)
    assert read.reads_staffing(Scope(None, AS_OF), settings, read_path.TREND_MONTHS)
    assert read.reads_grid_staffing(Scope(None, AS_OF))
    assert read.reads_coverage(settings) and read.reads_burden_flags(settings)
    read_path.forget()  # as an import, a refresh or the app's data-version check do
    _figures(small_city, settings)
    assert len(state_reads) == 2


def test_a_refresh_is_read_at_once(small_city, settings, state_reads):
    without_grid = dataclasses.replace(settings, count_grid_fulltime=False)
    assert read_path.summary_coverage(small_city).reads_staffing(Scope(None, AS_OF), settings)
    with small_city.begin() as connection:
        refresh_staffing_summary(connection, without_grid)
    try:
        read = read_path.summary_coverage(small_city)
        assert not read.reads_staffing(Scope(None, AS_OF), settings)
        assert read.reads_staffing(Scope(None, AS_OF), without_grid)
        assert len(state_reads) == 2
    finally:
        with small_city.begin() as connection:
            refresh_staffing_summary(connection, settings)


def test_reading_raw_reads_no_summary(small_city, settings, state_reads):
    with read_path.reading_raw():
        assert read_path.summary_coverage(small_city) == RAW
        _figures(small_city, settings)
    assert state_reads == []
    assert read_path.summary_coverage(small_city) != RAW


def test_each_rule_compares_with_todays_settings(settings):
    at = Scope(None, dt.date(2025, 6, 30))
    stored = SummaryCoverage.of(
        {
            read_path.STAFFING: (
                0,
                read_path.staffing_params(settings, dt.date(2020, 7, 31), at.as_of),
            ),
            read_path.GRID_STAFFING: (0, "months=2025-01-31..2025-06-30"),
            read_path.BURDEN: (settings.rebound_window_months, read_path.rebound_params(settings)),
            read_path.COVERAGE: (0, read_path.coverage_params(settings)),
        }
    )
    assert stored.reads_staffing(at, settings, 60)
    assert not stored.reads_staffing(at, settings, 61)  # the trend's first month is not held
    assert not stored.reads_staffing(Scope(None, dt.date(2025, 6, 29)), settings)  # no month end
    assert not stored.reads_staffing(at, dataclasses.replace(settings, count_grid_fulltime=False))
    assert stored.reads_grid_staffing(at)
    assert not stored.reads_grid_staffing(Scope(None, dt.date(2024, 12, 31)))
    longer = dataclasses.replace(settings, rebound_window_months=settings.rebound_window_months + 1)
    assert stored.reads_burden_series() and not stored.reads_burden_window(longer)
    stricter = dataclasses.replace(settings, rebound_min_abs=settings.rebound_min_abs + 1)
    assert stored.reads_burden_window(stricter) and not stored.reads_burden_flags(stricter)
    wider = dataclasses.replace(settings, walk_radius_m=settings.walk_radius_m + 1)
    assert stored.reads_coverage(settings) and not stored.reads_coverage(wider)
    nothing = SummaryCoverage.none()
    assert not nothing.reads_staffing(at, settings) and not nothing.reads_grid_staffing(at)
    assert not nothing.reads_burden_series() and not nothing.reads_coverage(settings)
