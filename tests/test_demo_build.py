"""The embedded demo city is built once per process in a thread of the server's own: a viewer who
closes or reloads the page while it is built neither stops it nor starts a second one, and every
waiting page sees it finish (dashboard/database.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

import data_access.demo
from dashboard import database
from data_access.db import get_engine
from data_access.queries.hierarchy import community_count
from tests.small_city import build_small_city


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch) -> str:
    monkeypatch.setattr(database, "_builds", {})
    monkeypatch.setattr(database, "_ready", set())
    monkeypatch.setattr(database, "PROGRESS_SECONDS", 0.01)
    return f"sqlite:///{tmp_path / 'dashboard.sqlite3'}"


def fake_build(release: threading.Event, calls: list[str], fail: bool = False) -> Callable:
    def build_demo(engine: Engine, progress: Callable[[float, str], None]) -> None:
        calls.append("build")
        progress(0.5, "places")
        assert release.wait(10)
        if fail:
            raise RuntimeError("disk full")
        build_small_city(engine)

    return build_demo


def test_one_build_for_every_waiting_page_and_none_after(embedded, monkeypatch):
    release, calls = threading.Event(), []
    monkeypatch.setattr(data_access.demo, "build_demo", fake_build(release, calls))
    pages = [
        threading.Thread(target=database._prepare_embedded, args=(embedded,)) for _ in range(3)
    ]
    for page in pages:
        page.start()
    for _ in range(500):  # the first page has started the build
        build = database._builds.get(embedded)
        if build is not None and build.phase == "places":
            break
        threading.Event().wait(0.01)
    assert build is not None and (build.fraction, build.phase) == (0.5, "places")
    release.set()
    for page in pages:
        page.join(10)
    assert calls == ["build"]  # one build, however many pages waited
    assert community_count(get_engine(embedded)) > 0
    database._prepare_embedded(embedded)  # a later page: no build, nothing waited for
    assert calls == ["build"] and embedded in database._ready


def test_a_page_that_goes_away_leaves_the_build_running(embedded, monkeypatch):
    release, calls = threading.Event(), []
    monkeypatch.setattr(data_access.demo, "build_demo", fake_build(release, calls))
    gone = threading.Thread(target=database._prepare_embedded, args=(embedded,), daemon=True)
    gone.start()  # the viewer closes the tab: nobody waits on this page any more
    for _ in range(500):
        if embedded in database._builds:
            break
        threading.Event().wait(0.01)
    release.set()
    database._builds[embedded].done.wait(10)
    assert community_count(get_engine(embedded)) > 0  # finished without the page
    database._prepare_embedded(embedded)
    assert calls == ["build"]


def test_a_failed_build_is_shown_and_tried_again(embedded, monkeypatch):
    release, calls = threading.Event(), []
    release.set()
    monkeypatch.setattr(data_access.demo, "build_demo", fake_build(release, calls, fail=True))
    with pytest.raises(RuntimeError, match="disk full"):
        database._prepare_embedded(embedded)
    monkeypatch.setattr(data_access.demo, "build_demo", fake_build(release, calls))
    database._prepare_embedded(embedded)
    assert calls == ["build", "build"]
    assert community_count(get_engine(embedded)) > 0
