"""Cached results live until the data change, and the main views are computed before anyone asks."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest
import streamlit as st
from sqlalchemy import event, insert

from dashboard import cached
from data_access.db import get_engine
from data_access.models import ImportBatch
from data_access.queries.imports import data_version
from data_access.scope import Scope, month_end


@pytest.fixture
def statements(small_city_url: str) -> Iterator[list[str]]:
    """The SQL statements sent to the small city's cached engine while the test runs."""
    seen: list[str] = []

    def remember(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        seen.append(statement)

    engine = get_engine(small_city_url)
    event.listen(engine, "before_cursor_execute", remember)
    st.cache_data.clear()
    cached._seen_versions.clear()
    yield seen
    event.remove(engine, "before_cursor_execute", remember)
    st.cache_data.clear()


def _accepted_import(url: str) -> None:
    with get_engine(url).begin() as connection:
        connection.execute(
            insert(ImportBatch).values(
                kind="population",
                file_name="population.csv",
                rows=1,
                imported_at=dt.datetime(2026, 1, 1),
                status="accepted",
                message="",
            )
        )


def test_results_stay_until_an_import_changes_the_data_version(
    small_city_url, settings, statements
):
    scope = Scope(None, dt.date(2025, 6, 30))
    quiet = dataclasses.replace(settings, cache_warm=False)
    before = data_version(get_engine(small_city_url))

    cached.follow_data_version(small_city_url, quiet)
    cached.staffing_total(small_city_url, scope, quiet)
    asked = len(statements)
    cached.follow_data_version(small_city_url, quiet)
    cached.staffing_total(small_city_url, scope, quiet)
    assert len(statements) == asked  # same version: the cached result, no SQL

    _accepted_import(small_city_url)
    assert data_version(get_engine(small_city_url)) > before
    cached.data_version.clear()  # as if the check interval had passed
    cached.follow_data_version(small_city_url, quiet)
    asked = len(statements)
    cached.staffing_total(small_city_url, scope, quiet)
    assert len(statements) > asked  # new version: the cache was emptied and SQL runs again


def test_warming_computes_the_city_and_every_district_of_the_latest_month(
    small_city_url, settings, statements
):
    _first, last = cached.data_months(small_city_url)
    table = cached.units(small_city_url)
    cached.warm(small_city_url, settings)
    asked = len(statements)
    assert asked > 0
    districts = table.loc[table["level"] == "district", "code"].tolist()
    assert districts
    for code in [None, *districts]:
        scope = Scope(code, month_end(last))
        cached.staffing_total(small_city_url, scope, settings)
        cached.staffing_by_unit(small_city_url, scope, settings)
        cached.community_rebounds(small_city_url, scope, settings)
        cached.burden_series(small_city_url, scope, settings.main_categories)
        filled = cached.grid_map_data(small_city_url, scope, settings).unit_level
        assert filled == ("street" if code is None else "community")
        cached.grid_coverage_by_level(small_city_url, scope, settings, filled)
        cached.staffing_by_level(small_city_url, scope, settings, filled)
    assert len(statements) == asked  # every one of them was already there


def test_every_cached_read_of_an_area_takes_a_scope_that_the_access_check_sees():
    import inspect

    for name in cached.GUARDED:
        parameters = inspect.signature(getattr(cached, name)).parameters
        assert "code" not in parameters, name  # a bare code would pass the check unseen
    figures = {"ranking", "burden_unit_table", "community_problems", "communities_with_gaps"}
    assert figures | {"community_population", "community_facilities"} <= set(cached.GUARDED)
    assert "scope" in inspect.signature(cached.community_population).parameters
