"""Figures read in a page go through the account check and one cache; results live until the data
change, and the main views are computed before anyone asks (dashboard/cached.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest
import streamlit as st
from sqlalchemy import event, insert

from dashboard import cached
from dashboard.map_data import load_map_data
from data_access.db import get_engine
from data_access.figures import burden, grids, lookups, overview, registry, staffing
from data_access.models import ImportBatch
from data_access.queries.imports import data_version
from data_access.scope import Scope, month_end


@pytest.fixture
def in_a_page(monkeypatch) -> Iterator[list[tuple[str, Scope]]]:
    """Figures read as in a page's run: the app's reader installed, every checked scope listed."""
    checked: list[tuple[str, Scope]] = []

    def check(scope: Scope, what: str = "page") -> Scope:
        checked.append((what, scope))
        return scope

    monkeypatch.setattr(cached, "in_script_run", lambda: True)
    monkeypatch.setattr(cached, "check_scope", check)
    cached.install()
    yield checked
    registry.install_reader(None)


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
    small_city_url, settings, statements, in_a_page
):
    scope = Scope(None, dt.date(2025, 6, 30))
    quiet = dataclasses.replace(settings, cache_warm=False)
    engine = get_engine(small_city_url)
    before = data_version(engine)

    cached.follow_data_version(small_city_url, quiet)
    first = staffing.staffing_total(engine, scope, quiet)
    asked = len(statements)
    cached.follow_data_version(small_city_url, quiet)
    assert staffing.staffing_total(engine, scope, quiet).equals(first)
    assert len(statements) == asked  # same version: the cached result, no SQL

    _accepted_import(small_city_url)
    assert data_version(engine) > before
    cached.data_version.clear()  # as if the check interval had passed
    cached.follow_data_version(small_city_url, quiet)
    asked = len(statements)
    staffing.staffing_total(engine, scope, quiet)
    assert len(statements) > asked  # new version: the cache was emptied and SQL runs again


def test_outside_a_page_a_figure_is_computed_each_time(small_city_url, settings, statements):
    cached.install()
    try:
        engine, scope = get_engine(small_city_url), Scope(None, dt.date(2025, 6, 30))
        staffing.staffing_total(engine, scope, settings)
        asked = len(statements)
        staffing.staffing_total(engine, scope, settings)
        assert len(statements) > asked  # the command line and the tests read the database
    finally:
        registry.install_reader(None)


def test_every_scope_a_page_asks_for_is_checked_before_the_cache(
    small_city_url, settings, statements, in_a_page
):
    engine, scope = get_engine(small_city_url), Scope("990101", dt.date(2025, 6, 30))
    overview.ranking(engine, scope, settings)
    # The figure and the figures it reads, each with the scope it was given.
    assert ("ranking", scope) in in_a_page
    assert ("staffing_by_unit", scope.year_earlier()) in in_a_page
    assert {what for what, _ in in_a_page} >= {
        "ranking",
        "staffing_by_unit",
        "grid_staffing_by_unit",
    }


def test_warming_computes_the_city_and_every_district_of_the_latest_month(
    small_city_url, settings, statements, in_a_page
):
    engine = get_engine(small_city_url)
    _first, last = lookups.data_months(engine)
    table = lookups.units(engine)
    cached.warm(small_city_url, settings)
    asked = len(statements)
    assert asked > 0
    districts = table.loc[table["level"] == "district", "code"].tolist()
    assert districts
    for code in [None, *districts]:
        scope = Scope(code, month_end(last))
        staffing.staffing_total(engine, scope, settings)
        staffing.staffing_by_unit(engine, scope, settings)
        overview.headline_facts(engine, scope, settings)
        overview.ranking(engine, scope, settings)
        burden.main_reductions(engine, scope, settings)
        filled = load_map_data(engine, scope, settings).unit_level
        assert filled == ("street" if code is None else "community")
        grids.grid_coverage_by_unit(engine, scope, settings, filled)
        staffing.staffing_by_unit(engine, scope, settings, filled)
    assert len(statements) == asked  # every one of them was already there


def test_every_figure_of_an_area_takes_a_scope_that_the_access_check_sees():
    import importlib
    import inspect
    import pkgutil

    import data_access.figures

    for module in pkgutil.iter_modules(data_access.figures.__path__):  # each registers its figures
        importlib.import_module(f"data_access.figures.{module.name}")
    assert len(registry.FIGURES) >= 45
    for name, function in registry.FIGURES.items():
        parameters = list(inspect.signature(function).parameters)
        assert parameters[0] == "engine", name
        assert "code" not in parameters, name  # a bare code would pass the check unseen
        if not name.startswith("data_access.figures.lookups:"):
            assert "scope" in parameters, name
    wanted = {
        "data_access.figures.overview:ranking",
        "data_access.figures.burden:unit_table",
        "data_access.figures.profile:community_problems",
        "data_access.figures.profile:population_history",
        "data_access.figures.profile:facilities",
        "data_access.figures.grids:gap_communities",
        "dashboard.map_data:load_map_data",
    }
    assert wanted <= set(registry.FIGURES)


def test_one_figure_asked_in_three_spellings_is_read_once(
    small_city_url, settings, statements, in_a_page
):
    engine = get_engine(small_city_url)
    scope = Scope("990101", month_end(dt.date(2025, 6, 1)))
    first = staffing.staffing_by_unit(engine, scope, settings)
    asked = len(statements)
    assert asked > 0
    same = [
        staffing.staffing_by_unit(engine, scope, settings, None),
        staffing.staffing_by_unit(engine, scope, settings, "street"),
        staffing.staffing_by_unit(engine, scope, settings, level="street"),
        staffing.staffing_by_unit(engine, scope=scope, settings=settings),
    ]
    assert len(statements) == asked  # the other spellings were answered by the first read
    for frame in same:
        assert frame.equals(first)
    staffing.staffing_by_unit(engine, scope, settings, "community")  # another level: read
    assert len(statements) > asked


def test_a_level_of_none_is_the_scopes_children_in_every_figure_with_a_level(
    small_city_url, settings
):
    """The registry writes a `level` of None as the scope's children (canonical_arguments);
    every figure with a level must mean exactly that by None."""
    import inspect

    engine = get_engine(small_city_url)
    as_of = month_end(dt.date(2025, 6, 1))
    with_level = [
        (name, function)
        for name, function in registry.FIGURES.items()
        if inspect.signature(function).parameters.get("level") is not None
        and inspect.signature(function).parameters["level"].default is None
    ]
    assert len(with_level) >= 6
    for name, function in with_level:
        takes_settings = "settings" in inspect.signature(function).parameters
        for code in (None, "990101", "990101001"):
            scope = Scope(code, as_of)
            extra = (settings,) if takes_settings else ()
            default = function(engine, scope, *extra)
            explicit = function(engine, scope, *extra, scope.breakdown_level)
            assert default.equals(explicit), (name, code)


def test_reads_ahead_are_checked_in_the_run_and_fill_the_cache_for_the_page(
    small_city_url, settings, statements, in_a_page
):
    engine = get_engine(small_city_url)
    scope = Scope("990101", month_end(dt.date(2025, 6, 1)))

    def fails() -> None:
        raise RuntimeError("left to the page's own call")

    thread = cached.read_ahead(
        scope,
        fails,
        lambda: grids.grid_coverage_by_unit(engine, scope, settings, "street"),
    )
    assert thread is not None
    thread.join()
    assert ("page", scope) in in_a_page  # checked in the run, before the thread started
    asked = len(statements)
    assert asked > 0  # the read after the failing one was made
    grids.grid_coverage_by_unit(engine, scope, settings)  # the page's own call, spelled its way
    assert len(statements) == asked  # found in the cache


def test_a_refused_scope_is_never_read_ahead(small_city_url, settings, statements, monkeypatch):
    from data_access.access import Principal, ScopeRefused

    def refuse(scope: Scope, what: str = "page") -> Scope:
        raise ScopeRefused(Principal("east", "990101", "viewer"), scope.code)

    monkeypatch.setattr(cached, "in_script_run", lambda: True)
    monkeypatch.setattr(cached, "check_scope", refuse)
    engine = get_engine(small_city_url)
    scope = Scope("990102", month_end(dt.date(2025, 6, 1)))
    with pytest.raises(ScopeRefused):
        cached.read_ahead(scope, lambda: grids.grid_coverage_by_unit(engine, scope, settings))
    assert statements == []


def test_outside_a_page_nothing_is_read_ahead(small_city_url, settings, statements):
    engine = get_engine(small_city_url)
    scope = Scope("990101", month_end(dt.date(2025, 6, 1)))
    assert (
        cached.read_ahead(scope, lambda: staffing.staffing_total(engine, scope, settings)) is None
    )
    assert statements == []
