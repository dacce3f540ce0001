"""大屏 Wall screen: the city or a district at a glance on a 1920×1080 display, refreshing itself.

The scope comes from the URL (district=…), the map's metric from metric=… (per 10,000 by
default), rotation through the districts from rotate=1 or the setting screen_rotate: the screen
has no control of its own. Figures reload every screen_refresh_seconds without losing the place.
"""

from __future__ import annotations

import time

import streamlit as st

from dashboard import cached, formatting, lights, map_data
from dashboard.auth import is_open_access
from dashboard.components import stop_if_empty
from dashboard.context import PageContext, page_context
from dashboard.grid_map import MapOptions, deck_of, map_drawing
from dashboard.headline import assessed_units
from dashboard.i18n import current_language, t
from dashboard.map_style import DARK, MAP_METRICS, metric_classes
from dashboard.map_svg import svg_spec
from dashboard.map_view import svg_map
from dashboard.refusals import fragment
from dashboard.screen import (
    LABEL_SCALE,
    MAP_HEIGHT_PX,
    MAP_WIDTH_PX,
    PANEL_HEIGHT_PX,
    SCREEN_CSS,
    Tile,
    header_html,
    panel_title_html,
    ranking_html,
    rotation_code,
    sparklines_html,
    street_alerts_html,
    tiles_html,
)
from data_access.demo.common import DEMO_CITY_NAME
from data_access.figures import burden as burden_figures
from data_access.figures import grids as grid_figures
from data_access.figures import screen as screen_figures
from data_access.figures import staffing as staffing_figures
from data_access.lights import LIGHTS, light_of
from data_access.scope import CODE_LENGTH, Scope


def screen_code(context: PageContext, rotate: bool) -> str | None:
    """The area on show: the URL's district (None: the city), or the turn of the rotation.

    An account narrower than a district sees its own area instead of its district (which it may
    not see), and turns through its own area and the units just below it (docs/accounts.md).
    """
    own = context.principal.scope_code
    if rotate:
        units = context.units_in_force
        if own is None:
            children = units.loc[units["level"] == "district", "code"]
        else:
            # A district is its own parent in the units table.
            below = (units["parent_code"] == own) & (units["code"] != own)
            children = units.loc[below, "code"]
        return rotation_code([own, *children], time.time(), context.settings.screen_rotate_seconds)
    code = context.scope.code
    if code is None:
        return None
    # The scope lies inside the account's area (app.py enforced it): the district, or the
    # account's own area when that is narrower.
    return code[: max(CODE_LENGTH["district"], len(own or ""))]


def rotating(context: PageContext) -> bool:
    wanted = st.session_state.get("rotate")
    return wanted == "1" if wanted in ("0", "1") else context.settings.screen_rotate


def tiles(context: PageContext, scope: Scope) -> list[Tile]:
    settings, language = context.settings, current_language()
    now = staffing_figures.staffing_total(context.engine, scope, settings)
    grids = grid_figures.grid_staffing_total(context.engine, scope)
    standard = formatting.decimal(settings.standard_per_10k)
    villages = int(now["villages"])
    units = assessed_units(int(now["urban_communities"]), villages, settings.villages_assessed)
    result = [
        Tile("per_10k", t("briefing.per_10k_urban" if villages else "kpi.per_10k"), formatting.decimal(now["per_10k"]), t("screen.standard", value=standard), light_of("per_10k", now["per_10k"], settings)),
        Tile("share_meeting", t(f"kpi.share_meeting{units}"), formatting.percent(now["share_meeting"]), t("screen.target", value=formatting.percent(settings.target_share_meeting, 0)), light_of("share_meeting", now["share_meeting"], settings)),
        Tile("gap", t("kpi.gap"), formatting.count(now["gap"], language), t("screen.required", value=formatting.count(now["required"], language)), light_of("filled_share", now["filled_share"], settings)),
        Tile("staffed_rate", t("kpi.staffed_rate"), formatting.percent(grids["staffed_rate"]), t("screen.target", value=formatting.percent(settings.target_staffed_rate, 0)), light_of("staffed_rate", grids["staffed_rate"], settings)),
    ]  # fmt: skip
    found = burden_figures.main_reductions(context.engine, scope, settings)
    target = t("screen.target", value=formatting.percent(settings.target_reduction, 0))
    for category in settings.main_categories[:2]:
        now_reduction = found[category][0].reduction
        status = light_of("reduction", now_reduction, settings)
        label = t("kpi.reduction", category=t(f"category.{category}"))
        result.append(
            Tile(f"reduction_{category}", label, formatting.percent(now_reduction), target, status)
        )
    return result


def screen_metric() -> str:
    """The map's and the ranking's metric: the URL's (checked by dashboard/filters.py), else per 10,000."""
    wanted = st.session_state.get("metric")
    return wanted if wanted in MAP_METRICS else "per_10k"


def screen_title(context: PageContext, code: str | None) -> str:
    """The unit's name; at city scope the city's (setting city_name, the demo city's, or 全市)."""
    if code is not None:
        return context.unit_name(code)
    if context.settings.city_name:
        return context.settings.city_name
    return DEMO_CITY_NAME if context.is_demo else t("scope.city")


def ranking(context: PageContext, scope: Scope, metric: str) -> None:
    level = t(f"level.{scope.breakdown_level}")
    st.html(panel_title_html(t("screen.ranking", level=level, metric=t(f"grids.metric.{metric}"))))
    settings = context.settings
    classes = metric_classes(metric, settings, dark=True)
    # A community (an account's own) ranks itself, not its grids.
    frame = grid_figures.unit_metrics(
        context.engine, scope, context.settings, scope.breakdown_level
    )
    st.html(ranking_html(frame, metric, classes, current_language(), PANEL_HEIGHT_PX - 50))


def centre_map(context: PageContext, scope: Scope, metric: str) -> None:
    settings = context.settings
    shown_map = map_data.load_map_data(context.engine, scope, settings)
    if shown_map.bounds is None:
        st.info(t("grids.no_boundaries"))
        return
    values = grid_figures.unit_metrics(context.engine, scope, settings, shown_map.unit_level)
    options = MapOptions(MAP_WIDTH_PX, MAP_HEIGHT_PX, DARK, label_scale=LABEL_SCALE)
    drawn = map_drawing(shown_map, settings, t, values, metric, current_language(), options)
    if settings.basemap == "none":
        svg_map(svg_spec(drawn), "screen_map")
    else:  # tiles under the map are drawn by deck.gl's map only
        st.pydeck_chart(deck_of(drawn, settings), height=MAP_HEIGHT_PX, key="screen_map_deck")
    st.html(f'<div class="screen-legend">{drawn.legend}</div>')


def burden_trend(context: PageContext, scope: Scope) -> None:
    settings = context.settings
    st.html(panel_title_html(t("screen.burden_trend")))
    categories = settings.main_categories
    series = burden_figures.monthly_series(context.engine, scope, categories)
    found = burden_figures.main_reductions(context.engine, scope, settings)
    titles = {}
    for category in categories:
        now_reduction = found[category][0].reduction
        titles[category] = t(
            "screen.spark",
            category=t(f"category.{category}"),
            pct=formatting.percent(now_reduction),
        )
    st.html(sparklines_html(series, titles))


def street_alerts(context: PageContext, scope: Scope) -> None:
    """The places with the most open alerts, a column per kind, the scope's totals on top."""
    settings = context.settings
    places = screen_figures.alerts_by_street(context.engine, scope, settings)
    totals = screen_figures.alert_totals(context.engine, scope, settings)
    level = t(f"level.{screen_figures.group_level(scope)}")
    title = t("screen.alerts_by", level=level, n=formatting.integer(sum(totals.values())))
    if not sum(totals.values()):
        st.html(panel_title_html(title))
        st.success(t("alert.none"))
        return
    kinds = {kind: t(f"screen.alert.kind.{kind}") for kind in screen_figures.ALERT_KINDS}
    with_district = scope.level == "city"
    st.html(street_alerts_html(title, places, totals, kinds, t("screen.total"), with_district))


def top_row(context: PageContext, code: str | None, as_of) -> None:
    """The title (the city's or the unit's name), data date, refresh time and the demo label."""
    language = current_language()
    refreshed = formatting.now(context.settings.time_zone).strftime("%H:%M")
    flags = []
    if context.is_demo:
        flags.append(t("screen.demo"))  # fictional data: nothing to protect, the label comes first
    elif is_open_access(context.settings):
        flags.append(t("screen.open_access"))
    st.html(
        header_html(
            screen_title(context, code),
            t("screen.data_date", month=formatting.month(as_of, language)),
            t("screen.refreshed", time=refreshed),
            flags,
        )
    )


def body() -> None:
    """The whole screen; run again every refresh (and every turn of the rotation)."""
    context = page_context()
    cached.follow_data_version(context.url, context.settings)
    code = screen_code(context, rotating(context))
    scope = Scope(code, context.scope.as_of)
    metric = screen_metric()
    top_row(context, code, scope.as_of)
    stop_if_empty(context.has_data)
    words: dict[str, str] = {state: lights.tag(state, t) for state in LIGHTS}
    st.html(tiles_html(tiles(context, scope), words))
    left, centre, right = st.columns([1.0, 1.9, 1.5], gap="medium")
    with left:
        ranking(context, scope, metric)
    with centre:
        centre_map(context, scope, metric)
    with right:
        street_alerts(context, scope)
        burden_trend(context, scope)


def render() -> None:
    context = page_context()
    title = screen_title(context, screen_code(context, rotating(context)))
    st.set_page_config(page_title=title, initial_sidebar_state="collapsed")
    st.html(SCREEN_CSS)
    settings = context.settings
    seconds = settings.screen_refresh_seconds
    if rotating(context):
        seconds = min(seconds, settings.screen_rotate_seconds)
    fragment(body, run_every=seconds)()


render()
