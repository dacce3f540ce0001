"""The three databases every test runs on: SQLite always, PostgreSQL and MariaDB when reachable.

Server URLs (admin users that may create databases) come from TEST_POSTGRES_URL and
TEST_MARIADB_URL, defaulting to the local servers. Without a server its tests skip with the
reason; with DASHBOARD_TEST_REQUIRE_DATABASES=1 (set by .ci/run) they fail instead.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from data_access.admin import admin_engine, copy_database, create_database, drop_database
from data_access.demo import DemoSummary

BACKENDS = ("sqlite", "postgresql", "mariadb")
# The local servers are reached over the loopback without TLS: PyMySQL's handshake and
# certificate loading cost about 28 ms per connection, and the tests open thousands.
ADMIN_URLS = {
    "postgresql": os.environ.get(
        "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres?sslmode=disable"
    ),
    "mariadb": os.environ.get(
        "TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/mysql?ssl_disabled=true"
    ),
}
RUN_ID = uuid.uuid4().hex[:8]


def databases_required() -> bool:
    return os.environ.get("DASHBOARD_TEST_REQUIRE_DATABASES") == "1"


@cache
def unavailable_reason(backend: str) -> str | None:
    """Why a backend cannot be used here, or None when its server answers."""
    if backend == "sqlite":
        return None
    engine = admin_engine(ADMIN_URLS[backend], connect_timeout=3)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return f"{backend} server not reachable at {engine.url.host}:{engine.url.port}: {exc.orig}"
    finally:
        engine.dispose()
    return None


def require(backend: str) -> None:
    """Skips (or, where databases are required, fails) a test whose server is missing."""
    reason = unavailable_reason(backend)
    if reason is None:
        return
    if databases_required():
        pytest.fail(f"{reason} (DASHBOARD_TEST_REQUIRE_DATABASES=1)")
    pytest.skip(reason)


class Databases:
    """Makes fresh, empty databases on a backend and drops them at the end of the session."""

    def __init__(self, backend: str, folder: Path) -> None:
        self.backend = backend
        self.folder = folder
        self.created: list[str] = []

    def new(self, label: str) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.folder / f'{label}.sqlite3'}"
        name = f"dashboard_test_{RUN_ID}_{label}"
        url = create_database(ADMIN_URLS[self.backend], name)
        self.created.append(name)
        return url

    def copy(self, source_url: str, label: str) -> str:
        """A new database holding what `source_url` holds; the source must have no open
        connections on PostgreSQL (keep it for copying only)."""
        if self.backend == "sqlite":
            target = self.folder / f"{label}.sqlite3"
            shutil.copy(make_url(source_url).database or "", target)
            return f"sqlite:///{target}"
        name = f"dashboard_test_{RUN_ID}_{label}"
        source = make_url(source_url).database or ""
        url = copy_database(ADMIN_URLS[self.backend], source, name)
        self.created.append(name)
        return url

    def drop_all(self) -> None:
        """Drops the databases in a thread of its own, while the session goes on with the next
        backend: PostgreSQL takes about 90 ms a database, some ten seconds for a worker's
        databases. The session waits for every drop at its end (`wait_for_drops`)."""
        names, self.created = self.created, []
        if not names:
            return
        dropping = _Dropping(self.backend, names)
        dropping.start()
        _DROPPING.append(dropping)


class _Dropping(threading.Thread):
    def __init__(self, backend: str, names: list[str]) -> None:
        super().__init__(name=f"drop {backend} test databases")
        self.backend, self.names = backend, names
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for name in self.names:
                drop_database(ADMIN_URLS[self.backend], name)
        except BaseException as exc:  # raised again by wait_for_drops
            self.error = exc


_DROPPING: list[_Dropping] = []


def wait_for_drops() -> None:
    """Waits until every database of the session has been dropped; raises a drop's error."""
    while _DROPPING:
        dropping = _DROPPING.pop()
        dropping.join()
        if dropping.error is not None:
            raise dropping.error


@dataclass(frozen=True)
class DemoBuild:
    """A demo city built by this session: where it is, what build_demo said, its progress calls."""

    url: str
    summary: DemoSummary
    progress: list[tuple[float, str]]


@contextmanager
def one_role_change_at_a_time() -> Iterator[None]:
    """Holds a lock shared by the run's workers around data_access.admin.create_users: roles belong
    to the whole server, and two sessions changing the same role at once fail on PostgreSQL
    ("tuple concurrently updated")."""
    with open(Path(tempfile.gettempdir()) / "dashboard-test-users.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        yield
