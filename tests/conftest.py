"""Shared fixtures: every database fixture exists once per backend (SQLite, PostgreSQL, MariaDB)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import Engine

from data_access.db import make_engine
from data_access.schema import upgrade
from data_access.settings import Settings, load_settings
from tests.backends import BACKENDS, Databases, require
from tests.grid_city import build_grid_city
from tests.small_city import build_small_city

# No background warm-up threads in tests: they would hold connections to databases the
# fixtures drop. tests/test_cache.py turns it on where it is tested.
os.environ.setdefault("DASHBOARD_CACHE_WARM", "0")

_labels = count(1)


@pytest.fixture
def settings() -> Settings:
    return load_settings(environ={}, secrets_file=Path("/nonexistent"))


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    require(request.param)
    return request.param


@pytest.fixture(scope="session")
def databases(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    made = Databases(backend, tmp_path_factory.mktemp(backend))
    yield made
    made.drop_all()


@pytest.fixture
def new_database(databases: Databases):
    """A function giving a fresh, empty database (no schema) on the backend under test."""
    return lambda label="scratch": databases.new(f"{label}_{next(_labels)}")


def _migrated(url: str) -> str:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def small_city_url(databases: Databases) -> str:
    url = _migrated(databases.new("small"))
    engine = make_engine(url)
    build_small_city(engine)
    engine.dispose()
    return url


@pytest.fixture
def small_city(small_city_url: str) -> Iterator[Engine]:
    engine = make_engine(small_city_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def empty_url(databases: Databases) -> str:
    """A database with the schema and no data."""
    return _migrated(databases.new("empty"))


@pytest.fixture(scope="session")
def demo_url(databases: Databases) -> str:
    """The default demo city, built once per backend and test session."""
    from data_access.demo import build_demo

    url = _migrated(databases.new("demo"))
    engine = make_engine(url)
    build_demo(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def grid_city_url(databases: Databases) -> str:
    """The hand-made square district of tests/grid_city.py, once per backend."""
    url = _migrated(databases.new("grid_city"))
    engine = make_engine(url)
    build_grid_city(engine)
    engine.dispose()
    return url


@pytest.fixture
def grid_city(grid_city_url: str) -> Iterator[Engine]:
    engine = make_engine(grid_city_url)
    yield engine
    engine.dispose()
