"""The app's database: which one, making the embedded demo on first start, and clear failures."""

from __future__ import annotations

import logging
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


@st.cache_resource(show_spinner=False)
def _prepare_embedded(url: str) -> None:
    """Creates the embedded file and fills it with the demo city, once per process."""
    from data_access.demo import build_demo  # numpy and shapely load only when a demo is built

    engine = get_engine(url)
    upgrade(engine)
    if community_count(engine) > 0:
        return
    bar = st.progress(0.0, text=t("demo.creating"))

    def show_progress(fraction: float, phase: str) -> None:
        bar.progress(
            min(max(fraction, 0.0), 1.0), text=t("demo.creating") + " · " + t(f"demo.phase.{phase}")
        )

    build_demo(engine, progress=show_progress)
    bar.empty()


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
