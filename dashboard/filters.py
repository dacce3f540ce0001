"""Sidebar filters of docs/architecture.md §6: district → street → community and as-of month, kept in the URL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from functools import partial
from typing import Literal, TypedDict

import pandas as pd
import streamlit as st
from streamlit.navigation.page import Page

from dashboard import formatting
from dashboard.context import PageContext
from dashboard.i18n import LANGUAGE_NAMES, LANGUAGES, current_language, fmt_month, t
from dashboard.map_style import MAP_METRICS
from dashboard.navigation import HISTORY_SCRIPT
from dashboard.plain import escape_markdown, t_plain
from data_access.access import Principal
from data_access.dissolution import Ending, ending_of, units_on
from data_access.scope import (
    AREA_LEVELS,
    PARENT_LEVEL,
    Scope,
    add_months,
    ancestors,
    consistent_area,
    level_of_code,
    month_end,
)

AREA_KEYS = AREA_LEVELS
# Choices of a page's view that a link keeps too: the map's metric, the wall screen's rotation.
VIEW_KEYS: dict[str, tuple[str, ...]] = {"metric": MAP_METRICS, "rotate": ("0", "1")}
URL_KEYS = (*AREA_KEYS, "month", "lang", *VIEW_KEYS)
# Inputs of a page that its printed report repeats in the URL; the page checks them itself.
PAGE_INPUT_KEYS = (
    "plan_posts", "plan_rule", "plan_departures", "plan_growth", "plan_surplus", "plan_brief",
)  # fmt: skip
_URL_READ = "_url_read"
_URL_INPUTS = "_url_inputs"
_URL_NOTICES = "_url_notices"
_URL_WRITTEN = "_url_written"
_PENDING_PAGE = "_pending_page"
_SCOPE_NOTICES = "_scope_notices"
_DISSOLVED_NOTICE = "_dissolved_notice"
CODE_LENGTHS = {"district": 6, "street": 9, "community": 12}


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
    # Lists first: iterating an Arrow-backed column goes value by value (13 ms against 2 ms at 11,266 units).
    return dict(zip(units["code"].tolist(), units["level"].tolist(), strict=True))


def filter_state_for(code: str | None, units: pd.DataFrame) -> dict[str, str | None]:
    """The district, street and community selection that shows the unit `code` (a grid shows
    its community)."""
    state: dict[str, str | None] = dict.fromkeys(AREA_KEYS)
    if code is None:
        return state
    chain = ancestors(code)
    if chain[list(chain)[-1]] not in set(units["code"].tolist()):
        raise ValueError(f"unknown unit: {code}")
    state.update(chain)
    return state


def validated_url_state(
    params: dict[str, str], units: pd.DataFrame, months: list[str]
) -> tuple[dict[str, str], list[str]]:
    """The filter values of a URL that name real units in a consistent chain (a street or
    community without its parents brings them), and notices for the rest."""
    state, rejected = consistent_area(params, _unit_levels(units))
    for key, allowed in (("month", months), ("lang", LANGUAGES), *VIEW_KEYS.items()):
        value = params.get(key)
        if value and value in allowed:
            state[key] = value
        elif value:
            rejected.append(f"{key}={value}")
    return state, rejected


def _url_changed_outside() -> bool:
    """True when the URL holds filters this session did not write: a first visit by link, the
    browser's back or forward button, or an edited address. A switch between pages in the menu
    arrives with no filters at all and keeps the session's."""
    params = st.query_params.to_dict()
    return bool(params) and params != st.session_state.get(_URL_WRITTEN)


def read_url(units: pd.DataFrame, months: list[str]) -> None:
    """Takes the filters from the URL on a session's first run and whenever the URL changed
    outside the app (browser back, a pasted link); unknown values become a notice."""
    first = not st.session_state.get(_URL_READ)
    if not first and not _url_changed_outside():
        return
    st.session_state[_URL_READ] = True
    params = {key: st.query_params.get(key, "") for key in URL_KEYS}
    state, rejected = validated_url_state(params, units, months)
    state.pop("lang", None)  # taken earlier by read_language_from_url, before the switch is drawn
    if not first:  # going back to a wider scope forgets the narrower filters
        for key in AREA_KEYS:
            if key not in state:
                _unset(key)
    for key, value in state.items():
        st.session_state[key] = value
    st.session_state[_URL_NOTICES] = rejected
    st.session_state[_URL_INPUTS] = {
        key: st.query_params[key] for key in PAGE_INPUT_KEYS if st.query_params.get(key)
    }


def url_inputs() -> dict[str, str]:
    """The page inputs the session's first URL held (unchecked text), given out once."""
    return st.session_state.pop(_URL_INPUTS, None) or {}


def url_value(value: object) -> str:
    """A page input as URL text: booleans as 1 or 0."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def read_language_from_url() -> None:
    """The language must be known before anything is drawn, so it is read from the URL first."""
    wanted = st.query_params.get("lang")
    if wanted in LANGUAGES and ("lang" not in st.session_state or _url_changed_outside()):
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


def visible_units(units: pd.DataFrame, principal: Principal) -> pd.DataFrame:
    """The units an account may pick or name: its own area, what lies in it and its parents."""
    if principal.scope_code is None:
        return units
    keep = units["code"].map(principal.sees_unit)
    return units[keep.astype(bool)].reset_index(drop=True)


def enforce_account_scope(
    principal: Principal, on_refused: Callable[[list[str]], None] | None = None
) -> None:
    """Filter values (from the URL, a drill-down or crafted session state) outside the account's
    scope are dropped and reported to on_refused; the levels down to the account's are fixed."""
    floor = principal.scope_code
    if floor is None:
        return
    refused = [
        f"{key}={st.session_state[key]}"
        for key in AREA_KEYS
        if st.session_state.get(key) and not principal.sees_unit(str(st.session_state[key]))
    ]
    for key in AREA_KEYS:
        value = st.session_state.get(key)
        if CODE_LENGTHS[key] <= len(floor):
            st.session_state[key] = floor[: CODE_LENGTHS[key]]
        elif value and not principal.allows_code(str(value)):
            _unset(key)
    if refused:
        st.session_state[_SCOPE_NOTICES] = refused
        if on_refused is not None:
            on_refused(refused)


def area_filters(
    units: pd.DataFrame, months: list[str], principal: Principal | None = None
) -> Scope:
    """Draws the cascading filters in the sidebar and returns the chosen scope.

    The levels down to the account's own area are fixed and shown disabled; below it the
    account chooses among its own units only (units holds only those, see visible_units).
    """
    names = dict(zip(units["code"].tolist(), units["name"].tolist(), strict=True))
    floor = principal.scope_code if principal is not None else None
    if months and st.session_state.get("month") not in months:
        st.session_state["month"] = months[0]
    chosen_month = st.session_state.get("month") if months else None
    as_of = month_end(dt.date.fromisoformat(f"{chosen_month}-01")) if chosen_month else None
    if as_of is not None:
        # The units in force on the month chosen (data_access/dissolution.py): a unit dissolved
        # by then is no choice, and a selection of one goes up to what is left, with a notice.
        in_force = units_on(units, as_of)
        _note_dissolved(units, in_force, as_of)
        units = in_force
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
        fixed = floor is not None and CODE_LENGTHS[key] <= len(floor)
        choices: list[str | None] = (
            [floor[: CODE_LENGTHS[key]]] if fixed and floor else [None, *level_units["code"]]
        )
        # Labels fixed at run time: AppTest formats a value again outside the script run.
        st.sidebar.selectbox(
            t(f"filter.{key}"),
            choices,
            format_func=partial(_unit_label, everything=everything[key], names=names),
            key=key,
            on_change=_clear_below,
            args=(key,),
            disabled=fixed,
        )
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


def _note_dissolved(units: pd.DataFrame, in_force: pd.DataFrame, as_of: dt.date) -> None:
    """Remembers, for show_url_notices, the deepest unit chosen that is no longer in force on
    `as_of` (its own dissolution or its street's or district's)."""
    # Lists first: iterating an Arrow-backed column goes value by value (about 15 ms a run at
    # scale 25, on every page, against 4 ms).
    known, kept = set(units["code"].tolist()), set(in_force["code"].tolist())
    for key in reversed(AREA_KEYS):
        code = st.session_state.get(key)
        if code in known and code not in kept:
            ending = ending_of(units, str(code))
            if ending is not None:
                st.session_state[_DISSOLVED_NOTICE] = (ending, as_of)
            return


def dissolution_text(ending: Ending, asked: str | None = None) -> str:
    """该村已于2025年3月1日撤销，并入二村（990101001002）。 — told on the page of the unit
    `asked` ("该村" when it is the one dissolved, "所在的…" when its street or district is), or
    naming the dissolved unit when None."""
    named = t("dissolved.named", name=ending.name, code=ending.code)
    if asked is None:
        unit = named
    elif asked == ending.code:
        unit = this_unit(ending)
    else:
        unit = t("dissolved.this.parent", unit=named)
    day = formatting.day(ending.dissolved_on, current_language())
    if ending.successor_code is None:
        return t("dissolved.ended", unit=unit, date=day)
    successor = ending.successor_name or ending.successor_code
    return t(
        "dissolved.merged", unit=unit, date=day, successor=successor, code=ending.successor_code
    )


def this_unit(ending: Ending) -> str:
    """该村 / 该社区 / 该街道 / 该区: the dissolved unit as its own page names it."""
    word = ending.kind if ending.level == "community" and ending.kind else ending.level
    return t(f"dissolved.this.{word}")


def _month_label(month: str, language: str) -> str:
    return fmt_month(dt.date.fromisoformat(f"{month}-01"), language)


def _unit_label(code: str | None, everything: str, names: dict[str, str]) -> str:
    return everything if code is None else names[code]


def show_url_notices() -> None:
    """Tells once that some values of the URL were unknown and ignored, or outside the account."""
    rejected = st.session_state.pop(_URL_NOTICES, None)
    if rejected:
        st.warning(t_plain("filter.url_ignored", values=", ".join(rejected)), icon="⚠️")
    dissolved = st.session_state.pop(_DISSOLVED_NOTICE, None)
    if dissolved:
        ending, as_of = dissolved
        text = dissolution_text(ending) + t("filter.dissolved", month=fmt_month(as_of))
        st.warning(escape_markdown(text), icon=":material/event_busy:")
    refused = st.session_state.pop(_SCOPE_NOTICES, None)
    if refused:
        st.error(t_plain("auth.outside_scope", values=", ".join(refused)), icon=":material/block:")


def _url_state() -> dict[str, str]:
    return {
        key: str(st.session_state[key]) for key in URL_KEYS if st.session_state.get(key) is not None
    }


def write_url() -> None:
    """Puts the current filters into the URL so that a link reproduces the view."""
    wanted = _url_state()
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)
    st.session_state[_URL_WRITTEN] = wanted


def drill_to(code: str | None, page: str | None = None) -> None:
    """Makes the unit `code` the scope (None: the whole city), from a widget callback before
    the rerun. A community, or a grid, opens the community's profile unless `page` names another
    page (a url_path); the URL follows on the rerun, so the browser's back button returns.

    Every drill-down of the app goes through here: ranking rows, chart bars, alert rows, map
    features and the breadcrumb.
    """
    # No page context here: callbacks run before app.py, and the sidebar checks the codes.
    chain = ancestors(code) if code else {}
    for key in AREA_KEYS:
        value = chain.get(key)
        if value is None:
            _unset(key)
        else:
            st.session_state[key] = value
    if page is None and code is not None and level_of_code(code) in ("community", "grid"):
        page = "profile"
    if page is not None:
        st.session_state[_PENDING_PAGE] = page


def one_history_entry_per_step() -> None:
    """Makes each drill step one entry of the browser's history (navigation.HISTORY_SCRIPT), so
    that Back from a profile returns to the view the drill started from."""
    st.html(HISTORY_SCRIPT, unsafe_allow_javascript=True)


def go_to_pending_page(pages: Mapping[str, Page], current: str) -> None:
    """Switches to the page a drill-down asked for (st.switch_page does not work in callbacks)."""
    wanted = st.session_state.pop(_PENDING_PAGE, None)
    if wanted in pages and wanted != current:
        # The new page's URL carries the new filters at once, so that the browser's history
        # holds no step with the new page and the old filters.
        params = _url_state()
        st.session_state[_URL_WRITTEN] = params
        st.switch_page(pages[wanted], query_params=params)


def breadcrumb(context: PageContext, url_path: str) -> None:
    """全市 › 东湖区 › 晨新街道 › 紫薇坊社区: each step up is one click on this page; on the
    profile, every step leads to the Overview at that scope."""
    scope = context.scope
    chain = [None, *ancestors(scope.code).values()] if scope.code else [None]
    on_profile = url_path == "profile"
    target = "overview" if on_profile else None
    row = st.container(horizontal=True, gap="small", vertical_alignment="center", key="breadcrumb")
    for index, code in enumerate(chain):
        last = index == len(chain) - 1 and not on_profile
        if index:
            row.text("›")
        row.button(
            escape_markdown(context.unit_name(code)),  # a button label renders Markdown
            key=f"breadcrumb_{index}",
            type="tertiary",
            disabled=last,
            on_click=drill_to,
            args=(code, target or url_path),
        )


class ChartDrill(TypedDict):
    """The st.plotly_chart options of a chart whose bars drill down."""

    on_select: Callable[[], None]
    selection_mode: Literal["points"]


def drill_from_chart(key: str) -> ChartDrill:
    """st.plotly_chart options that drill to the unit of a clicked bar (its customdata code)."""
    return {"on_select": partial(_drill_to_point, key), "selection_mode": "points"}


def _drill_to_point(key: str) -> None:
    points = st.session_state[key].selection.get("points", [])
    if not points:
        return
    code = points[0].get("customdata")
    if isinstance(code, list | tuple):
        code = code[0] if code else None
    if code:
        drill_to(str(code))


def drill_to_row(key: str, codes: list[str]) -> None:
    """Callback of a table: the unit of the chosen row becomes the scope (see drill_to)."""
    rows = st.session_state[key].selection.rows
    if rows and rows[0] < len(codes):
        drill_to(codes[rows[0]])
