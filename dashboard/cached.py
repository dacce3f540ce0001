"""The app's cache behind every figure function, and the account check in front of it.

Pages call the figure functions of data_access/figures (and dashboard/map_data.py) directly,
with the page's engine. The app installs `read` behind all of them (data_access/figures/
registry.py): in a page's run it checks every Scope argument against the signed-in account
(data_access.access.check, docs/accounts.md), then answers from one Streamlit cache keyed by the
figure, the database and the arguments. Results are kept until the data change: every run asks
(at most every `data_check_seconds`) for the latest accepted import, and a new one empties the
cache of this process and warms the main views again in the background (docs/architecture.md,
caching).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import streamlit as st
from sqlalchemy import Engine

from dashboard.compat import in_script_run
from dashboard.map_data import load_map_data
from data_access import access, read_path
from data_access.db import get_engine
from data_access.dissolution import units_on
from data_access.figures import admission, burden, grids, lookups, overview, staffing
from data_access.figures.registry import compute, install_reader
from data_access.queries import imports
from data_access.scope import Scope, month_end
from data_access.settings import Settings, get_settings

CHECK_SECONDS = get_settings().data_check_seconds
KEPT = 10_000  # results kept in all; the oldest go first
_log = logging.getLogger(__name__)
_warming = threading.local()  # .active in the warm-up thread, which fills the cache too


# A Settings is keyed by its text: Streamlit's own hashing walks the dataclass field by field,
# about 1.2 ms for each figure read, where its repr takes a few microseconds.
@st.cache_data(max_entries=KEPT, show_spinner=False, hash_funcs={Settings: repr})
def _cached(
    name: str, url: str, args: tuple[Any, ...], kwargs: dict[str, Any], _engine: Engine
) -> Any:
    return compute(name, _engine, args, kwargs)


def read(name: str, engine: Engine, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """A figure as a page may see it: its scopes checked, its result from the cache.

    Outside a page's run and the warm-up (the command line, an export, a test) it computes."""
    if in_script_run():
        for value in (*args, *kwargs.values()):
            if isinstance(value, Scope):
                check_scope(value, name.rsplit(":", 1)[-1])
    elif not getattr(_warming, "active", False):
        return compute(name, engine, args, kwargs)
    url = engine.url.render_as_string(hide_password=False)
    return _cached(name, url, args, kwargs, engine)


def install() -> None:
    """Puts the cache behind every figure function of this process (app.py, at each run)."""
    install_reader(read)


@st.cache_data(ttl=CHECK_SECONDS, show_spinner=False)
def data_version(url: str) -> int:
    return imports.data_version(get_engine(url))


_seen_versions: dict[str, int] = {}
_seen_lock = threading.Lock()


def follow_data_version(url: str, settings: Settings) -> bool:
    """Empties the cache when an import, in any process, changed the data; then warms it.

    True when it emptied the cache (what this run read before may be out of date)."""
    version = data_version(url)
    with _seen_lock:
        previous = _seen_versions.get(url)
        _seen_versions[url] = version
    if previous == version:
        return False
    read_path.forget()  # another process changed the data: which summaries fit may too
    if previous is not None:
        st.cache_data.clear()
    if settings.cache_warm:
        threading.Thread(target=warm, args=(url, settings), name="cache-warm", daemon=True).start()
    return previous is not None


def warm(url: str, settings: Settings) -> None:
    """Computes the views a leader opens first: the city and each district, latest month."""
    _warming.active = True
    try:
        engine = get_engine(url)
        _first, last = lookups.data_months(engine)
        if last is None:
            return
        table = units_on(lookups.units(engine), month_end(last))
        codes = [None, *table.loc[table["level"] == "district", "code"]]
        for code in codes:
            scope = Scope(code, month_end(last))
            warm_scope(engine, scope, settings)
    except Exception:  # a warm-up must never take the app down; the page computes it anyway
        _log.exception("warming the cache failed")
    finally:
        _warming.active = False


def warm_scope(engine: Engine, scope: Scope, settings: Settings) -> None:
    """The Overview's figures and the grid map of one scope (docs/architecture.md, caching)."""
    for at in (scope, scope.year_earlier()):
        staffing.staffing_total(engine, at, settings)
        grids.grid_staffing_total(engine, at)
    overview.headline_facts(engine, scope, settings)
    overview.ranking(engine, scope, settings)
    overview.far_below_alerts(engine, scope, settings)
    overview.rebound_alerts(engine, scope, settings)
    overview.unstaffed_alerts(engine, scope)
    burden.main_reductions(engine, scope, settings)
    admission.admission_data(engine, scope, settings)
    # The grids page's map: stored outlines, coloured by the level it fills.
    filled = load_map_data(engine, scope, settings).unit_level
    grids.grid_coverage_by_unit(engine, scope, settings, filled)
    staffing.staffing_by_unit(engine, scope, settings, filled)


def read_ahead(scope: Scope, *reads: Callable[[], object]) -> threading.Thread | None:
    """Starts figure reads a page asks for later in its run in a thread beside it, so that their
    database time overlaps the page's own work; the page's own calls then find them in the cache
    or wait for the one being computed (Streamlit computes a key once at a time). The reads must
    be of `scope`, which is checked against the account here, in the run. A read that fails is
    left to the page's own call, which shows the error. The page joins the thread before its
    run ends. None outside a page's run (nothing to overlap)."""
    if not in_script_run():
        return None
    check_scope(scope)

    def run() -> None:
        _warming.active = True
        try:
            for read in reads:
                try:
                    read()
                except Exception:  # the page's own call computes it again and says why
                    _log.debug("a read ahead failed", exc_info=True)
        finally:
            _warming.active = False

    thread = threading.Thread(target=run, name="read-ahead", daemon=True)
    thread.start()
    return thread


def check_scope(scope: Scope, what: str = "page") -> Scope:
    """The scope when the session's account may see it; records and raises ScopeRefused if not."""
    from dashboard.auth import audit_engine, current_principal

    principal = current_principal()
    if principal.allows_code(scope.code):
        return scope
    return access.check(principal, scope, audit_engine(), what)
