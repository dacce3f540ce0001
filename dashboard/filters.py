"""Sidebar filters of docs/architecture.md §6: district → street → community and as-of month, kept in the URL."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pandas as pd
import streamlit as st

from dashboard.i18n import LANGUAGE_NAMES, LANGUAGES, current_language, fmt_month, t
from data_access.scope import (
    AREA_LEVELS,
    PARENT_LEVEL,
    Scope,
    add_months,
    ancestors,
    consistent_area,
    month_end,
)

AREA_KEYS = AREA_LEVELS
URL_KEYS = (*AREA_KEYS, "month", "lang")
_URL_READ = "_url_read"
_URL_NOTICES = "_url_notices"


def month_options(first: dt.date | None, last: dt.date | None) -> list[str]:
    """Every month from last back to first as YYYY-MM, newest first."""
    if first is None or last is None:
        return []
    months, month = [], last.replace(day=1)
    while month >= first.replace(day=1):
        months.append(month.strftime("%Y-%m"))
        month = add_months(month, -1)
    return months


def _unit_levels(units: pd.DataFrame) -> dict[str, str]:
    return dict(zip(units["code"], units["level"], strict=True))


def filter_state_for(code: str | None, units: pd.DataFrame) -> dict[str, str | None]:
    """The district, street and community selection that shows the unit `code` (a grid shows
    its community)."""
    state: dict[str, str | None] = dict.fromkeys(AREA_KEYS)
    if code is None:
        return state
    chain = ancestors(code)
    if chain[list(chain)[-1]] not in set(units["code"]):
        raise ValueError(f"unknown unit: {code}")
    state.update(chain)
    return state


def validated_url_state(
    params: dict[str, str], units: pd.DataFrame, months: list[str]
) -> tuple[dict[str, str], list[str]]:
    """The filter values of a URL that name real units in a consistent chain (a street or
    community without its parents brings them), and notices for the rest."""
    state, rejected = consistent_area(params, _unit_levels(units))
    for key, allowed in (("month", months), ("lang", LANGUAGES)):
        value = params.get(key)
        if value and value in allowed:
            state[key] = value
        elif value:
            rejected.append(f"{key}={value}")
    return state, rejected


def read_url_once(units: pd.DataFrame, months: list[str]) -> None:
    """On a session's first run, takes the filters from the URL; unknown values become a notice."""
    if st.session_state.get(_URL_READ):
        return
    st.session_state[_URL_READ] = True
    params = {key: st.query_params.get(key, "") for key in URL_KEYS}
    state, rejected = validated_url_state(params, units, months)
    state.pop("lang", None)  # taken earlier by read_language_from_url, before the switch is drawn
    for key, value in state.items():
        st.session_state[key] = value
    st.session_state[_URL_NOTICES] = rejected


def read_language_from_url() -> None:
    """The language must be known before anything is drawn, so it is read from the URL first."""
    if "lang" not in st.session_state and st.query_params.get("lang") in LANGUAGES:
        st.session_state["lang"] = st.query_params["lang"]


def language_switch(default: str) -> None:
    if st.session_state.get("lang") not in LANGUAGES:
        st.session_state["lang"] = default if default in LANGUAGES else LANGUAGES[0]
    st.sidebar.radio(
        "语言 / Language",
        LANGUAGES,
        format_func=LANGUAGE_NAMES.get,
        key="lang",
        horizontal=True,
    )


def _clear_below(level: str) -> None:
    for key in AREA_KEYS[AREA_KEYS.index(level) + 1 :]:
        _unset(key)


def _unset(key: str) -> None:
    """Forgets a filter; a selectbox whose key holds None would show an empty placeholder."""
    if key in st.session_state:
        del st.session_state[key]


def _drop_inconsistent(units: pd.DataFrame) -> None:
    """A street that is not in the chosen district (or a community not in the street) is dropped;
    a street or community chosen without its parents gets them."""
    chain, _ = consistent_area(
        {key: st.session_state.get(key) for key in AREA_KEYS}, _unit_levels(units)
    )
    for key in AREA_KEYS:
        if key in chain:
            if st.session_state.get(key) != chain[key]:
                st.session_state[key] = chain[key]
        else:
            _unset(key)


def area_filters(units: pd.DataFrame, months: list[str]) -> Scope:
    """Draws the cascading filters in the sidebar and returns the chosen scope."""
    names = dict(zip(units["code"], units["name"], strict=True))
    _drop_inconsistent(units)
    everything = {key: t(f"filter.all.{key}") for key in AREA_KEYS}
    for key in AREA_KEYS:
        parent_key = PARENT_LEVEL[key] if key != AREA_KEYS[0] else None
        parent = st.session_state.get(parent_key) if parent_key else None
        if parent_key and parent is None:
            continue
        level_units = units[units["level"] == key]
        if parent is not None:
            level_units = level_units[level_units["parent_code"] == parent]
        # Labels fixed at run time: AppTest formats a value again outside the script run.
        st.sidebar.selectbox(
            t(f"filter.{key}"),
            [None, *level_units["code"]],
            format_func=lambda code, key=key: everything[key] if code is None else names[code],
            key=key,
            on_change=_clear_below,
            args=(key,),
        )
    if months and st.session_state.get("month") not in months:
        st.session_state["month"] = months[0]
    month = st.sidebar.selectbox(
        t("filter.month"),
        months,
        format_func=partial(_month_label, language=current_language()),
        key="month",
    )
    code = next(
        (st.session_state.get(k) for k in reversed(AREA_KEYS) if st.session_state.get(k)), None
    )
    as_of = month_end(dt.date.fromisoformat(f"{month}-01")) if month else dt.date.today()
    return Scope(code, as_of)


def _month_label(month: str, language: str) -> str:
    return fmt_month(dt.date.fromisoformat(f"{month}-01"), language)


def show_url_notices() -> None:
    """Tells once that some values of the URL were unknown and ignored."""
    rejected = st.session_state.pop(_URL_NOTICES, None)
    if rejected:
        st.warning(t("filter.url_ignored", values=", ".join(rejected)), icon="⚠️")


def write_url() -> None:
    """Puts the current filters into the URL so that a link reproduces the view."""
    wanted = {
        key: str(st.session_state[key]) for key in URL_KEYS if st.session_state.get(key) is not None
    }
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)


def drill_down(code: str) -> None:
    """Sets the filters to the unit `code` (called from a widget callback, before the rerun)."""
    from dashboard.context import page_context

    for key, value in filter_state_for(code, page_context().units).items():
        if value is None:
            _unset(key)
        else:
            st.session_state[key] = value
