"""The shared database for real: least privilege, outages and statement timeouts (issue 7)."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from dashboard.i18n import load_catalog
from dashboard.navigation import PAGES
from data_access.admin import create_users
from data_access.db import make_engine, ping
from data_access.models import District
from tests.backends import ADMIN_URLS, one_role_change_at_a_time
from tests.tcp_proxy import TcpProxy
from tests.test_pages import assert_title, metric_values, run_app


def _user_url(url: str, user: str, password: str) -> str:
    return make_url(url).set(username=user, password=password).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def reader_url(backend, small_city_url) -> str:
    """A URL of a user that may only SELECT from the small city."""
    if backend == "sqlite":
        path = make_url(small_city_url).database
        return f"sqlite:///file:{path}?mode=ro&uri=true"
    database = make_url(small_city_url).database
    with one_role_change_at_a_time():
        create_users(
            ADMIN_URLS[backend], database, "dashboard_test_reader", "reader-pw",
            "dashboard_test_writer", "writer-pw",
        )  # fmt: skip
    return _user_url(small_city_url, "dashboard_test_reader", "reader-pw")


# Pages that draw KPI cards at district scope (the profile asks for a community there; the
# admission page, the briefing and the wall screen draw their figures as tables, text and HTML).
KPI_PAGES = {"overview", "staffing", "planner", "burden", "grids"}


@pytest.mark.slow
@pytest.mark.parametrize("spec", PAGES, ids=lambda spec: spec.url_path)
def test_read_only_user_runs_every_page(spec, reader_url, monkeypatch):
    at = run_app(reader_url, monkeypatch, page=spec.path, month="2025-06", district="990101")
    assert not at.exception
    assert not at.error
    assert_title(at, spec, "zh", "甲区")  # the wall screen's title is the district's name
    if spec.url_path in KPI_PAGES:
        assert metric_values(at)  # the page shows its figures


def test_read_only_user_cannot_write(reader_url):
    engine = make_engine(reader_url)
    with pytest.raises(SQLAlchemyError), engine.begin() as connection:
        connection.execute(insert(District).values(code="990199", name="写入测试"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM district")).scalar() == 2
    engine.dispose()


@pytest.fixture
def proxied_url(backend, small_city_url):
    """The small city reached through a proxy that the test can take down and bring back."""
    if backend == "sqlite":
        pytest.skip("an embedded SQLite file has no server to lose")
    url = make_url(small_city_url)
    proxy = TcpProxy((url.host, url.port))
    yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    proxy.stop()


@pytest.mark.slow
def test_database_down_at_start_then_back(proxied_url, monkeypatch):
    proxy, url = proxied_url
    down = run_app(url, monkeypatch, month="2025-06")
    assert not down.exception
    assert "无法连接数据库" in down.error[0].value
    assert "DATABASE_URL" in down.error[0].value
    proxy.start()
    back = run_app(url, monkeypatch, month="2025-06")  # the next run, as a reload would be
    assert not back.exception
    assert metric_values(back)["常住人口"] == "55,001"


@pytest.mark.slow
def test_database_lost_mid_session_gives_a_message(proxied_url, monkeypatch):
    proxy, url = proxied_url
    proxy.start()
    first = run_app(url, monkeypatch, month="2025-06", lang="en")
    assert metric_values(first)["Residents"] == "55,001"
    proxy.stop()
    # A view not in the cache needs the database, which has gone away.
    lost = run_app(url, monkeypatch, month="2025-05", lang="en", district="990102")
    assert not lost.exception
    assert "cannot be reached" in lost.error[0].value
    proxy.start()
    assert ping(make_engine(url))


def test_statement_timeout_cancels_a_slow_query(backend, small_city_url, settings):
    if backend == "sqlite":
        pytest.skip("SQLite runs in the app's own process; there is no server-side timeout")
    import dataclasses

    engine = make_engine(small_city_url, dataclasses.replace(settings, statement_timeout_seconds=1))
    sleep = "SELECT pg_sleep(3)" if backend == "postgresql" else "SELECT SLEEP(3)"
    cancelled = "statement timeout" if backend == "postgresql" else "max_statement_time exceeded"
    with engine.connect() as connection, pytest.raises(SQLAlchemyError, match=cancelled):
        connection.execute(text(sleep))
    engine.dispose()


@pytest.mark.slow
def test_a_rerun_does_not_check_the_database_again(small_city_url, monkeypatch):
    """The schema, demo and community checks are kept between runs until the data change."""
    from dashboard import cached, database

    checks: list[str] = []
    for name in ("has_schema", "holds_demo", "community_count"):
        original = getattr(database, name)
        monkeypatch.setattr(
            database,
            name,
            lambda engine, name=name, original=original: checks.append(name) or original(engine),
        )
    database._checked_state.clear()
    monkeypatch.setattr(cached, "_seen_versions", {})
    at = run_app(small_city_url, monkeypatch, month="2025-06")
    assert sorted(checks) == ["community_count", "has_schema", "holds_demo"]
    at.run()
    at.run()
    assert not at.exception
    assert metric_values(at)["常住人口"] == "55,001"
    assert sorted(checks) == ["community_count", "has_schema", "holds_demo"]
    # A change of the data empties the kept checks with the other cached results.
    monkeypatch.setattr(cached, "data_version", lambda url: -1)
    at.run()
    assert not at.exception
    assert sorted(checks) == sorted(["community_count", "has_schema", "holds_demo"] * 2)


@pytest.mark.slow
def test_a_database_without_tables_says_so_until_it_has_them(new_database, monkeypatch):
    from dashboard import database
    from data_access.schema import upgrade

    url = new_database("no_schema")
    database._checked_state.clear()
    empty = run_app(url, monkeypatch, lang="en")
    assert not empty.exception
    assert [error.value for error in empty.error] == [load_catalog("en")["db.no_schema"]]
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    migrated = run_app(url, monkeypatch, lang="en")  # the missing schema was not kept
    assert not migrated.exception
    assert not migrated.error
