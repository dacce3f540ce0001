"""The app's database: which one, making the embedded demo on first start, and clear failures."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from dashboard.i18n import t
from dashboard.ready import stop_page
from data_access.config import DatabaseTarget, resolve_database, resolve_writer
from data_access.db import get_engine, ping
from data_access.queries.hierarchy import community_count, holds_demo
from data_access.schema import has_schema, upgrade
from data_access.settings import get_settings

_log = logging.getLogger(__name__)
PROGRESS_SECONDS = 0.5  # how often a waiting page shows the demo build's progress


@dataclass(frozen=True)
class DatabaseState:
    url: str
    is_demo: bool
    has_data: bool


def app_target() -> DatabaseTarget:
    return resolve_database()


def writer_url() -> str:
    """Where imports write: DATABASE_WRITER_URL when the dashboard itself only reads."""
    return resolve_writer().url


class DemoBuild:
    """The embedded demo city being built in a thread of the server's own, so that a viewer who
    closes or reloads the page during the minutes it takes does not stop it (each session only
    shows its progress)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.fraction = 0.0
        self.phase = ""
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="demo-build", daemon=True)

    def _run(self) -> None:
        from data_access.demo import build_demo  # numpy and shapely load only for a demo

        def progress(fraction: float, phase: str) -> None:
            self.fraction, self.phase = min(max(fraction, 0.0), 1.0), phase

        try:
            build_demo(get_engine(self.url), progress=progress)
        except BaseException as exc:  # shown to every waiting session, then tried anew
            _log.exception("building the demo city failed")
            self.error = exc
        finally:
            self.done.set()


_builds: dict[str, DemoBuild] = {}
_builds_lock = threading.Lock()
_ready: set[str] = set()  # embedded files known to hold the demo city, in this process


def _prepare_embedded(url: str) -> None:
    """Creates the embedded file and fills it with the demo city, once per process; the page
    shows the build's progress until it is done."""
    if url in _ready:
        return
    engine = get_engine(url)
    with _builds_lock:
        build = _builds.get(url)
        if build is None or build.error is not None:
            upgrade(engine)
            if community_count(engine) > 0:
                _ready.add(url)
                return
            build = _builds[url] = DemoBuild(url)
            build.thread.start()
    bar = st.progress(0.0, text=t("demo.creating"))
    while not build.done.wait(PROGRESS_SECONDS):
        phase = t(f"demo.phase.{build.phase}") if build.phase else ""
        bar.progress(build.fraction, text=" · ".join(filter(None, [t("demo.creating"), phase])))
    bar.empty()
    if build.error is not None:
        raise build.error
    _ready.add(url)


def open_database() -> DatabaseState:
    """The database in force, created with the demo city on a first embedded start.

    Raises SQLAlchemyError when the database cannot be read; app.py turns it into a message.
    """
    target = app_target()
    if target.is_embedded:
        _prepare_embedded(target.url)
    try:
        return _checked_state(target.url)
    except _NoSchema:
        st.error(t("db.no_schema"))
        stop_page()


class _NoSchema(Exception):
    """The database has no tables yet (raised, so that the answer is not kept)."""


@st.cache_data(ttl=get_settings().data_check_seconds, show_spinner=False)
def _checked_state(url: str) -> DatabaseState:
    """The database's three checks, kept for `data_check_seconds` like the data version and
    emptied with the other cached results when the data change (docs/architecture.md, caching).
    A missing schema and a failure are not kept: the next run asks again."""
    engine: Engine = get_engine(url)
    if not has_schema(engine):
        raise _NoSchema
    return DatabaseState(url=url, is_demo=holds_demo(engine), has_data=community_count(engine) > 0)


def short_error(exc: SQLAlchemyError) -> str:
    """The driver's own words, shortened: enough for whoever runs the server to act on."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {detail[0][:300] if detail else ''}"


def database_failed(exc: SQLAlchemyError, wait: bool = True) -> None:
    """Explains a database failure in the UI language and waits for the database to return
    (`wait`; a fragment, which reruns by itself, does not wait).

    Viewers read that the database cannot be reached or did not answer; the driver's words,
    with the host and port they name, go to the server log only.
    """
    target = app_target()
    engine = get_engine(target.url)
    _log.warning(
        "database error on %s (%s): %s",
        engine.url.render_as_string(hide_password=True),
        target.source,
        short_error(exc),
    )
    if ping(engine):
        st.error(t("db.query_failed"), icon=":material/hourglass_disabled:")
        return
    st.error(
        t("db.unreachable", source=t(f"db.source.{target.source}")), icon=":material/cloud_off:"
    )
    if wait:
        _wait_for_database(target.url)


@st.fragment(run_every=10)
def _wait_for_database(url: str) -> None:
    """Checks every 10 seconds whether the database is back, and then reloads the page."""
    if ping(get_engine(url)):
        st.rerun(scope="app")
    st.caption(t("db.waiting"))
