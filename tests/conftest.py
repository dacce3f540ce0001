"""Shared fixtures: a migrated SQLite database holding the small hand-checked city."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from data_access.db import make_engine
from data_access.schema import upgrade
from data_access.settings import Settings, load_settings
from tests.grid_city import build_grid_city
from tests.small_city import build_small_city


@pytest.fixture
def settings() -> Settings:
    return load_settings(environ={}, secrets_file=Path("/nonexistent"))


@pytest.fixture(scope="session")
def small_city_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("small") / "small.sqlite3"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    build_small_city(engine)
    engine.dispose()
    return url


@pytest.fixture
def small_city(small_city_url: str) -> Iterator[Engine]:
    engine = make_engine(small_city_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The default demo city in a SQLite file, built once per test session."""
    from data_access.demo import build_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    build_demo(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def grid_city_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The hand-made square district of tests/grid_city.py in a SQLite file."""
    url = f"sqlite:///{tmp_path_factory.mktemp('grid_city') / 'grid_city.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    build_grid_city(engine)
    engine.dispose()
    return url


@pytest.fixture
def grid_city(grid_city_url: str) -> Iterator[Engine]:
    engine = make_engine(grid_city_url)
    yield engine
    engine.dispose()
