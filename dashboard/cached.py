"""Cached reads for the pages: each wrapper takes the database URL and plain values, never globals.

Results are kept until the data change: every run asks (at most every `data_check_seconds`) for
the latest accepted import, and a new one empties the cache of this process and warms the main
views again in the background (docs/architecture.md, caching).

Every wrapper that takes a Scope checks it against the signed-in account before the cache is
asked (data_access.access.check), so a page cannot read outside the account's area by using
them; the loop at the end guards each wrapper defined here, new ones included (docs/accounts.md).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.compat import in_script_run
from dashboard.map_data import MapData, load_map_data
from data_access import access, admission, read_path
from data_access.db import get_engine
from data_access.figures import burden as burden_figures
from data_access.figures import grids as grid_figures
from data_access.figures import overview
from data_access.figures import profile as profile_figures
from data_access.figures import staffing as staffing_figures
from data_access.queries import burden, grids, hierarchy, imports, profile, staffing
from data_access.scope import CODE_LENGTH, Scope, month_end
from data_access.settings import Settings, get_settings

CHECK_SECONDS = get_settings().data_check_seconds
KEPT = 256  # results per function; the oldest go first
_log = logging.getLogger(__name__)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def units(url: str) -> pd.DataFrame:
    return hierarchy.units(get_engine(url))


@st.cache_data(max_entries=KEPT, show_spinner=False)
def data_months(url: str) -> tuple[dt.date | None, dt.date | None]:
    return hierarchy.data_months(get_engine(url))


@st.cache_data(max_entries=KEPT, show_spinner=False)
def staffing_total(url: str, scope: Scope, settings: Settings) -> pd.Series:
    return staffing.staffing_total(get_engine(url), scope, settings)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def staffing_by_unit(url: str, scope: Scope, settings: Settings) -> pd.DataFrame:
    return staffing.staffing_by_unit(get_engine(url), scope, settings)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def communities_far_below(url: str, scope: Scope, settings: Settings) -> pd.DataFrame:
    return staffing.communities_far_below(get_engine(url), scope, settings)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def grid_staffing_total(url: str, scope: Scope) -> pd.Series:
    return grids.grid_staffing_total(get_engine(url), scope)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def grid_staffing_by_unit(url: str, scope: Scope) -> pd.DataFrame:
    return grids.grid_staffing_by_unit(get_engine(url), scope)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def unstaffed_grids(url: str, scope: Scope) -> pd.DataFrame:
    return grids.unstaffed_grids(get_engine(url), scope)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def burden_series(url: str, scope: Scope, categories: tuple[str, ...]) -> pd.DataFrame:
    return burden.monthly_series(get_engine(url), scope, categories)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def community_rebounds(url: str, scope: Scope, settings: Settings) -> pd.DataFrame:
    return burden.community_rebounds(get_engine(url), scope, settings)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def ranking(url: str, scope: Scope, settings: Settings) -> pd.DataFrame:
    return overview.ranking(
        staffing_by_unit(url, scope, settings),
        grid_staffing_by_unit(url, scope),
        staffing_by_unit(url, scope.year_earlier(), settings),
        staffing_by_unit(url, overview.month_earlier(scope), settings),
    )


@st.cache_data(max_entries=KEPT, show_spinner=False)
def main_reductions(
    url: str, scope: Scope, settings: Settings, categories: tuple[str, ...] | None = None
) -> dict[str, tuple[burden_figures.Reduction, burden_figures.Reduction]]:
    categories = settings.main_categories if categories is None else categories
    series = burden_series(url, scope, categories)
    return overview.main_reductions(series, scope, settings, categories)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def far_below_list(url: str, scope: Scope, settings: Settings) -> pd.DataFrame:
    return overview.far_below_list(communities_far_below(url, scope, settings), units(url))


@st.cache_data(max_entries=KEPT, show_spinner=False)
def rebound_list(url: str, scope: Scope, settings: Settings) -> pd.DataFrame:
    return overview.rebound_list(community_rebounds(url, scope, settings), units(url))


@st.cache_data(max_entries=KEPT, show_spinner=False)
def unstaffed_list(url: str, scope: Scope) -> pd.DataFrame:
    return overview.unstaffed_list(unstaffed_grids(url, scope), units(url))


@st.cache_data(max_entries=KEPT, show_spinner=False)
def grid_list(url: str, scope: Scope) -> pd.DataFrame:
    return grids.grid_list(get_engine(url), scope)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def certificate_counts(url: str, scope: Scope, settings: Settings) -> pd.DataFrame:
    return staffing.certificate_counts(get_engine(url), scope, settings)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def licensed_by_certificate(url: str, scope: Scope, settings: Settings) -> dict[str, int]:
    return staffing_figures.licensed_by_certificate(certificate_counts(url, scope, settings))


@st.cache_data(max_entries=KEPT, show_spinner=False)
def staffing_by_gap(url: str, scope: Scope, settings: Settings, level: str) -> pd.DataFrame:
    """The units at `level` in the scope by gap; the breakdown level from staffing_by_unit's entry."""
    if level == scope.breakdown_level:
        units = staffing_by_unit(url, scope, settings)
    else:
        units = staffing_by_level(url, scope, settings, level)
    return staffing_figures.largest_gap_first(units)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def age_structure(url: str, scope: Scope, settings: Settings) -> pd.DataFrame:
    return staffing.age_structure(get_engine(url), scope, settings)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def uncertified_under_40(url: str, scope: Scope, settings: Settings) -> int:
    return staffing.uncertified_under_40(get_engine(url), scope, settings)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def staffing_trend(url: str, scope: Scope, settings: Settings) -> pd.DataFrame:
    return staffing.monthly_trend(get_engine(url), scope, settings)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def import_history(url: str, limit: int) -> pd.DataFrame:
    return imports.import_history(get_engine(url), limit)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def grid_counts_total(url: str, scope: Scope, settings: Settings) -> pd.Series:
    return grids.grid_counts_total(get_engine(url), scope, settings)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def community_spatial_coverage(url: str, scope: Scope, settings: Settings) -> pd.DataFrame:
    return grids.community_spatial_coverage(get_engine(url), scope, settings)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def grid_service_reach(url: str, scope: Scope, settings: Settings) -> pd.DataFrame:
    return grids.grid_service_reach(get_engine(url), scope, settings)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def grid_coverage_by_level(url: str, scope: Scope, settings: Settings, level: str) -> pd.DataFrame:
    counts = grids.grid_counts_by_unit(get_engine(url), scope, settings, level)
    spatial = community_spatial_coverage(url, scope, settings)
    reach = grid_service_reach(url, scope, settings)
    return grids.grid_coverage(counts, spatial, reach, CODE_LENGTH[level])


@st.cache_data(max_entries=KEPT, show_spinner=False)
def grid_coverage_total(url: str, scope: Scope, settings: Settings) -> pd.Series:
    counts = grid_counts_total(url, scope, settings)
    spatial = community_spatial_coverage(url, scope, settings)
    reach = grid_service_reach(url, scope, settings)
    return grid_figures.coverage_total(counts, spatial, reach)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def communities_with_gaps(url: str, scope: Scope, settings: Settings) -> pd.DataFrame:
    spatial = community_spatial_coverage(url, scope, settings)
    return grid_figures.communities_with_gaps(spatial, units(url))


@st.cache_data(max_entries=KEPT, show_spinner=False)
def community_grids(url: str, scope: Scope, settings: Settings) -> pd.DataFrame:
    reach = grid_service_reach(url, scope, settings)
    return grid_figures.community_grids(grid_list(url, scope), reach)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def size_outliers(url: str, scope: Scope, settings: Settings) -> pd.DataFrame:
    return grids.size_outliers(get_engine(url), scope, settings)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def staffing_by_level(url: str, scope: Scope, settings: Settings, level: str) -> pd.DataFrame:
    return staffing.staffing_by_unit(get_engine(url), scope, settings, level=level)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def grid_map_data(url: str, scope: Scope, settings: Settings) -> MapData:
    return load_map_data(get_engine(url), scope, settings)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def population_history(url: str, scope: Scope) -> pd.DataFrame:
    return staffing.population_by_year(get_engine(url), scope)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def unit_reductions(url: str, scope: Scope, level: str, settings: Settings) -> pd.DataFrame:
    return burden.unit_reductions(get_engine(url), scope, level, settings)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def burden_total(url: str, scope: Scope) -> pd.DataFrame:
    """category, period, value: the scope's own series (its units' series summed)."""
    return burden.monthly_series(get_engine(url), scope)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def burden_by_category(
    url: str,
    scope: Scope,
    level: str,
    settings: Settings,
    baseline: dt.date | None,
    as_of: dt.date,
) -> pd.DataFrame:
    """The scope's figures per category as of `as_of` (its date, or a year earlier)."""
    return burden_figures.by_category(burden_total(url, scope), as_of, settings, baseline)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def burden_by_unit(
    url: str, scope: Scope, level: str, settings: Settings, baseline: dt.date | None
) -> pd.DataFrame:
    found = burden.unit_reductions(get_engine(url), scope, level, settings, baseline)
    return burden_figures.named(found, units(url))


@st.cache_data(max_entries=KEPT, show_spinner=False)
def burden_category_table(
    url: str, scope: Scope, level: str, settings: Settings, baseline: dt.date | None
) -> pd.DataFrame:
    rows = burden_by_category(url, scope, level, settings, baseline, scope.as_of)
    return burden_figures.category_table(rows)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def burden_unit_rebounds(
    url: str, scope: Scope, level: str, settings: Settings, baseline: dt.date | None
) -> pd.DataFrame:
    return burden_figures.unit_rebounds(burden_by_unit(url, scope, level, settings, baseline))


@st.cache_data(max_entries=KEPT, show_spinner=False)
def burden_not_ranked(
    url: str,
    scope: Scope,
    level: str,
    settings: Settings,
    baseline: dt.date | None,
    category: str,
) -> int:
    table = burden_unit_table(url, scope, level, settings, baseline)
    return burden_figures.not_ranked(table, category)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def burden_unit_table(
    url: str, scope: Scope, level: str, settings: Settings, baseline: dt.date | None
) -> pd.DataFrame:
    found = burden_by_unit(url, scope, level, settings, baseline)
    return burden_figures.unit_category_table(units(url), found, scope, level)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def community_population(url: str, scope: Scope) -> pd.DataFrame:
    # A Scope, not a code: the access check below looks at every Scope a wrapper is given.
    return profile.population_history(get_engine(url), scope.code or "")


@st.cache_data(max_entries=KEPT, show_spinner=False)
def role_counts(url: str, scope: Scope) -> pd.DataFrame:
    return profile.role_counts(get_engine(url), scope)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def hires_and_departures(url: str, scope: Scope, settings: Settings) -> tuple[int, int]:
    return profile.hires_and_departures(get_engine(url), scope, settings)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def community_problems(url: str, scope: Scope, settings: Settings) -> list[profile.Problem]:
    return profile_figures.what_is_wrong(
        staffing_by_level(url, scope, settings, "community"),
        unit_reductions(url, scope, "community", settings),
        grid_staffing_total(url, scope),
        community_rebounds(url, scope, settings),
    )


@st.cache_data(max_entries=KEPT, show_spinner=False)
def hiring_projection(url: str, scope: Scope, settings: Settings) -> profile.Projection:
    hires, departures = hires_and_departures(url, scope, settings)
    staffing = staffing_by_level(url, scope, settings, "community")
    return profile_figures.projection(staffing, hires, departures, scope.as_of)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def profile_chooser(url: str, scope: Scope, settings: Settings) -> pd.DataFrame:
    communities = staffing_by_level(url, scope, settings, "community")
    return profile_figures.farthest_below_first(communities)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def community_facilities(url: str, scope: Scope) -> pd.DataFrame:
    return profile.facilities(get_engine(url), scope.code or "")


@st.cache_data(max_entries=KEPT, show_spinner=False)
def community_ranks(url: str, scope: Scope, settings: Settings) -> pd.DataFrame:
    return profile.rank_table(get_engine(url), scope, settings)


@st.cache_data(max_entries=KEPT, show_spinner=False)
def admission_data(url: str, scope: Scope, settings: Settings) -> admission.AdmissionData:
    return admission.load(get_engine(url), scope, settings)


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
    try:
        _first, last = data_months(url)
        if last is None:
            return
        table = units(url)
        codes = [None, *table.loc[table["level"] == "district", "code"]]
        for code in codes:
            scope = Scope(code, month_end(last))
            for at in (scope, scope.year_earlier()):
                staffing_total(url, at, settings)
                grid_staffing_total(url, at)
            staffing_by_unit(url, scope, settings)
            grid_staffing_by_unit(url, scope)
            burden_series(url, scope, settings.main_categories)
            communities_far_below(url, scope, settings)
            community_rebounds(url, scope, settings)
            unstaffed_grids(url, scope)
            admission_data(url, scope, settings)
            # The Overview's ranking (with a month and a year earlier) and reductions.
            ranking(url, scope, settings)
            main_reductions(url, scope, settings)
            # The grids page's map: stored outlines, coloured by the level it fills.
            filled = grid_map_data(url, scope, settings).unit_level
            grid_coverage_by_level(url, scope, settings, filled)
            staffing_by_level(url, scope, settings, filled)
    except Exception:  # a warm-up must never take the app down; the page computes it anyway
        _log.exception("warming the cache failed")


def check_scope(scope: Scope, what: str = "page") -> Scope:
    """The scope when the session's account may see it; records and raises ScopeRefused if not."""
    from dashboard.auth import audit_engine, current_principal

    principal = current_principal()
    if principal.allows_code(scope.code):
        return scope
    return access.check(principal, scope, audit_engine(), what)


def _guarded(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        # A thread of the server's own (the warm-up) has no session and shows nothing to anyone.
        if in_script_run():
            for value in (*args, *kwargs.values()):
                if isinstance(value, Scope):
                    check_scope(value, function.__name__)
        return function(*args, **kwargs)

    guarded.clear = function.clear  # type: ignore[attr-defined]
    return guarded


GUARDED = tuple(
    name
    for name, value in list(globals().items())
    if callable(value) and not isinstance(value, type) and callable(getattr(value, "clear", None))
)
for _name in GUARDED:
    globals()[_name] = _guarded(globals()[_name])
