"""The app's database: which one, making the embedded demo on first start, and clear failures."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from dashboard.i18n import t
from data_access.config import DatabaseTarget, resolve_database
from data_access.db import get_engine
from data_access.queries.hierarchy import community_count, holds_demo
from data_access.schema import has_schema, upgrade


@dataclass(frozen=True)
class DatabaseState:
    url: str
    is_demo: bool
    has_data: bool


def app_target() -> DatabaseTarget:
    return resolve_database()


@st.cache_resource(show_spinner=False)
def _prepare_embedded(url: str) -> None:
    """Creates the embedded file and fills it with the demo city, once per process."""
    from data_access.demo import build_demo  # numpy and shapely load only when a demo is built

    engine = get_engine(url)
    upgrade(engine)
    if community_count(engine) > 0:
        return
    bar = st.progress(0.0, text=t("demo.creating"))

    def report(fraction: float, phase: str) -> None:
        bar.progress(
            min(max(fraction, 0.0), 1.0), text=t("demo.creating") + " · " + t(f"demo.phase.{phase}")
        )

    build_demo(engine, progress=report)
    bar.empty()


def open_database() -> DatabaseState:
    """The state of the database in force; stops the page with a clear message when it cannot be read."""
    target = app_target()
    try:
        if target.is_embedded:
            _prepare_embedded(target.url)
        engine: Engine = get_engine(target.url)
        if not has_schema(engine):
            st.error(t("db.no_schema"))
            st.stop()
        return DatabaseState(
            url=target.url, is_demo=holds_demo(engine), has_data=community_count(engine) > 0
        )
    except SQLAlchemyError as exc:
        st.error(t("db.unreachable", source=t(f"db.source.{target.source}")))
        st.caption(type(exc).__name__ + ": " + str(exc.orig if hasattr(exc, "orig") else exc)[:300])
        st.stop()
        raise  # st.stop() raises; this keeps type checkers aware
