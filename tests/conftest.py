"""Shared fixtures: every database fixture exists once per backend (SQLite, PostgreSQL, MariaDB)."""

from __future__ import annotations

import fcntl
import inspect
import os
import pickle
import zlib
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import Engine

from dashboard.compat import scan_components_once
from data_access import accounts
from data_access.db import make_engine
from data_access.schema import upgrade
from data_access.settings import Settings, get_settings, load_settings
from tests.backends import BACKENDS, Databases, DemoBuild, require, wait_for_drops
from tests.grid_city import build_grid_city
from tests.small_city import build_small_city
from tests.unknown_coverage_city import build_unknown_coverage_city

# No background warm-up threads in tests: they would hold connections to databases the
# fixtures drop. tests/test_cache.py turns it on where it is tested.
os.environ.setdefault("DASHBOARD_CACHE_WARM", "0")

# Passwords are hashed with argon2's cheapest profile in the tests' own processes: a check then
# takes microseconds, not a quarter of a second. The app's profile is tested where it matters
# (the `production_hasher` fixture, and the app and commands the tests start as processes).
_APP_HASHER, _APP_DUMMY_HASH = accounts._HASHER, accounts._DUMMY_HASH
accounts._HASHER = accounts.PasswordHasher.from_parameters(accounts.profiles.CHEAPEST)
accounts._DUMMY_HASH = accounts._HASHER.hash("not a password of anyone")

# Each AppTest would look through every installed package for components (dashboard/compat.py).
scan_components_once()

_labels = count(1)


@pytest.fixture
def production_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's own Argon2id profile, for tests that need a check to take its real time."""
    monkeypatch.setattr(accounts, "_HASHER", _APP_HASHER)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", _APP_DUMMY_HASH)


# Fixtures that build a demo city or start the app: a test using one is slow (pytest -m "not slow"),
# and so is a test that runs the app under AppTest.
SLOW_FIXTURES = {"demo_url", "sqlite_demo", "app_url", "demo_app"}
SLOW_CALLS = ("run_app(", "AppTest.")


def _runs_the_app(item: pytest.Item) -> bool:
    function = getattr(item, "function", None)
    try:
        source = inspect.getsource(function) if function is not None else ""
    except (OSError, TypeError):
        return False
    return any(call in source for call in SLOW_CALLS)


def _params(item: pytest.Item) -> dict[str, object]:
    callspec = getattr(item, "callspec", None)
    return dict(callspec.params) if callspec is not None else {}


def _listed(params: dict[str, object], cases: tuple[dict[str, object], ...]) -> bool:
    return any(all(params.get(name) == value for name, value in case.items()) for case in cases)


def _left_out(item: pytest.Item) -> bool:
    """True for a case a `servers`, `sample` or `full` marker leaves out of this run."""
    params = _params(item)
    full = item.get_closest_marker("full")
    if full and not full_run() and (not full.args or _listed(params, full.args)):
        return True
    servers = item.get_closest_marker("servers")
    on_server = params.get("backend", "sqlite") != "sqlite"
    if servers and on_server and not _listed(params, servers.args):
        return True
    sample = item.get_closest_marker("sample")
    return bool(sample) and not full_run() and not _listed(params, sample.args)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The session ends once the test databases dropped in the background are gone."""
    wait_for_drops()


def full_run() -> bool:
    """DASHBOARD_TEST_FULL=1 (set by .ci/run) runs every case of the browser matrix too."""
    return os.environ.get("DASHBOARD_TEST_FULL") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks tests on slow fixtures as slow; leaves out the cases `servers` and `sample` exclude.

    Tests on a server's demo city run only in the full run. Under pytest-xdist (`-n`, with
    `--dist loadgroup` as scripts/test.sh runs it) they all go to one worker per server, so that
    each server's demo is built once per run.
    """
    kept, left_out = [], []
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if SLOW_FIXTURES & fixtures or _runs_the_app(item):
            item.add_marker(pytest.mark.slow)
        backend = _params(item).get("backend", "sqlite")
        if "demo_url" in fixtures and backend != "sqlite":
            # The demo city on a server takes a minute to build: the full run only.
            item.add_marker(pytest.mark.full)
            item.add_marker(pytest.mark.xdist_group(f"demo_{backend}"))
        (left_out if _left_out(item) else kept).append(item)
    if not full_run():
        kept, alternated = _one_server_each(kept)
        left_out += alternated
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


SERVERS = ("postgresql", "mariadb")


def server_of(module: str) -> str:
    """The server a test module runs on outside the full run: PostgreSQL or MariaDB, alternating
    by the module's path (a checksum, the same in every worker and every run), so that a module's
    fixtures are built on one server only."""
    return SERVERS[zlib.crc32(module.encode()) % 2]


def _one_server_each(items: list[pytest.Item]) -> tuple[list[pytest.Item], list[pytest.Item]]:
    """Outside the full run a test that runs on both servers keeps the cases of its module's
    server (`server_of`); its SQLite cases all stay, and a test for one server only keeps its
    cases. About half the suite reads and writes through each server's dialect; .ci/run runs both."""
    servers_of: dict[str, set[str]] = {}
    for item in items:
        backend = _params(item).get("backend")
        if backend in SERVERS:
            servers_of.setdefault(_test_name(item), set()).add(str(backend))
    kept, left_out = [], []
    for item in items:
        backend = _params(item).get("backend")
        name = _test_name(item)
        module = name.split("::")[0]
        alternated = (
            backend in SERVERS and len(servers_of[name]) == 2 and backend != server_of(module)
        )
        (left_out if alternated else kept).append(item)
    return kept, left_out


def _test_name(item: pytest.Item) -> str:
    """module::function, without the parameters."""
    return f"{item.nodeid.split('::')[0]}::{getattr(item, 'originalname', item.name)}"


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
def head_template(databases: Databases) -> str:
    """An empty database at the newest revision, kept only to be copied (never opened by tests)."""
    return _migrated(databases.new("head_template"))


@pytest.fixture
def migrated_database(databases: Databases, head_template: str):
    """A function giving a fresh database with the schema and no data (a copy of head_template)."""
    return lambda label="migrated": databases.copy(head_template, f"{label}_{next(_labels)}")


@pytest.fixture(scope="session")
def small_city_template(databases: Databases) -> str:
    """The small city, kept only to be copied into private databases (`city_url`)."""
    url = _migrated(databases.new("small_template"))
    engine = make_engine(url)
    build_small_city(engine)
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


def _build_demo(url: str) -> DemoBuild:
    from data_access.demo import build_demo

    engine = make_engine(_migrated(url))
    progress: list[tuple[float, str]] = []
    summary = build_demo(
        engine, progress=lambda fraction, phase: progress.append((fraction, phase))
    )
    engine.dispose()
    return DemoBuild(url, summary, progress)


@pytest.fixture(scope="session")
def sqlite_demo(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> DemoBuild:
    """The default demo city on SQLite, built once per test run for every test that needs one:
    under pytest-xdist the first worker to ask builds it and the others wait for it, then read
    the same file (tests only read it)."""
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent  # the folder every worker of this run shares
    folder = root / "sqlite_demo"
    folder.mkdir(exist_ok=True)
    record = folder / "build.pickle"
    with open(folder / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if record.exists():
            return pickle.loads(record.read_bytes())
        built = _build_demo(f"sqlite:///{folder / 'demo.sqlite3'}")
        record.write_bytes(pickle.dumps(built))
        return built


# Map settings that would make the app ask for an online basemap (docs/operations.md).
MAP_VARIABLES = ("DASHBOARD_BASEMAP", "DASHBOARD_TIANDITU_KEY", "DASHBOARD_COORDINATE_SYSTEM")


@pytest.fixture(scope="session")
def demo_app(sqlite_demo: DemoBuild) -> Iterator[str]:
    """The app on the session's demo city, started once per worker for the browser tests that
    only read it (tests/test_e2e.py, tests/test_report_pdf.py); with the default map settings,
    so that no request leaves the app. Yields its base URL."""
    from dashboard.snapshot import running_app

    environ = {k: v for k, v in os.environ.items() if k not in MAP_VARIABLES}
    with running_app(dict(environ, DATABASE_URL=sqlite_demo.url)) as base:
        yield base


@pytest.fixture(scope="session")
def demo_url(request: pytest.FixtureRequest, databases: Databases) -> str:
    """The default demo city, built once per backend and test session (tests only read it)."""
    if databases.backend == "sqlite":
        return request.getfixturevalue("sqlite_demo").url
    return _build_demo(databases.new("demo")).url


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


@pytest.fixture(scope="session")
def unknown_coverage_url(databases: Databases) -> str:
    """The district of tests/unknown_coverage_city.py, where some grids have no boundary."""
    url = _migrated(databases.new("unknown_coverage"))
    engine = make_engine(url)
    build_unknown_coverage_city(engine)
    engine.dispose()
    return url


@pytest.fixture
def unknown_coverage(unknown_coverage_url: str) -> Iterator[Engine]:
    engine = make_engine(unknown_coverage_url)
    yield engine
    engine.dispose()


@pytest.fixture
def city_url(databases: Databases, small_city_template: str) -> str:
    """A private copy of the small city: imports write, and other tests read the shared one."""
    return databases.copy(small_city_template, f"city_{next(_labels)}")


@pytest.fixture
def city(city_url: str) -> Iterator[Engine]:
    engine = make_engine(city_url)
    yield engine
    engine.dispose()


@pytest.fixture
def signed_city(city_file: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The test module's `city_file` (a city with accounts) as the app's database, sign-in on."""
    monkeypatch.setenv("DATABASE_URL", city_file)
    monkeypatch.delenv("DATABASE_WRITER_URL", raising=False)
    monkeypatch.setenv("DASHBOARD_AUTH_MODE", "local")
    get_settings.cache_clear()
    yield city_file
    get_settings.cache_clear()
