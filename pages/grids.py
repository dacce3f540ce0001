"""网格覆盖 Grid map: coverage KPIs, the map, and the lists that need action (docs/metrics.md §5)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard import cached, map_data
from dashboard.components import (
    Kpi,
    kpi_row,
    page_header,
    signed_points,
    status_legend,
    status_style,
    stop_if_empty,
)
from dashboard.context import PageContext, page_context
from dashboard.filters import drill_to
from dashboard.grid_map import MapOptions, deck_of, drill_target, map_drawing
from dashboard.i18n import current_language, fmt_decimal, fmt_int, fmt_pct, labeller, t
from dashboard.map_data import DETAIL_LEVELS
from dashboard.map_geometry import MAP_HEIGHT_PX
from dashboard.map_style import MAP_METRICS, grid_status
from dashboard.map_svg import svg_spec
from dashboard.map_view import clicked_code, svg_map
from dashboard.plain import t_plain
from dashboard.report import hint, sections
from dashboard.tables import table_with_downloads
from data_access.figures import grids as grid_figures
from data_access.figures import premises as premises_figures
from data_access.lights import light_of


def coverage_kpis(context: PageContext) -> list[Kpi]:
    scope, settings = context.scope, context.settings
    now = grid_figures.grid_coverage_total(context.engine, scope, settings)
    before = grid_figures.grid_counts_total(context.engine, scope.year_earlier(), settings)
    unstaffed, gap_km2 = now["unstaffed_grids"], now["blind_spot_km2"]
    return [
        Kpi("grids", t("kpi.grids"), now["grids"], fmt=fmt_int),
        Kpi("staffed_rate", t("kpi.staffed_rate"), now["staffed_rate"], before["staffed_rate"], fmt_pct, signed_points, help=t("kpi.staffed_rate_help", unstaffed=fmt_int(unstaffed)), status=light_of("staffed_rate", now["staffed_rate"], settings)),
        Kpi("fulltime_staffed_rate", t("grids.kpi.fulltime_rate"), now["fulltime_staffed_rate"], before["fulltime_staffed_rate"], fmt_pct, signed_points, help=t("grids.kpi.fulltime_rate_help", n=fmt_int(now["fulltime_staffed_grids"]))),
        Kpi("size_range_rate", t("grids.kpi.size_rate"), now["size_range_rate"], fmt=fmt_pct, help=t("grids.kpi.size_rate_help", low=settings.grid_households_min, high=settings.grid_households_max, over=fmt_int(now["oversized_grids"]), under=fmt_int(now["undersized_grids"]))),
        Kpi("household_coverage", t("grids.kpi.household_coverage"), now["household_coverage"], before["household_coverage"], fmt_pct, signed_points, help=t("grids.kpi.household_coverage_help", in_grids=fmt_int(now["households_in_grids"]), households=fmt_int(now["households"])), status=light_of("household_coverage", now["household_coverage"], settings)),
        Kpi("spatial_coverage", t("grids.kpi.spatial_coverage"), now.get("spatial_coverage"), fmt=fmt_pct, help=t("grids.kpi.spatial_coverage_help", gaps=fmt_int(now.get("blind_spots")), area=fmt_decimal(gap_km2, 2)), status=light_of("spatial_coverage", now.get("spatial_coverage"), settings)),
        Kpi("party_branch_rate", t("grids.kpi.party_branch_rate"), now["party_branch_rate"], fmt=fmt_pct, help=t("grids.kpi.party_branch_rate_help", n=fmt_int(now["party_branch_grids"]))),
        Kpi("service_reach", t("grids.kpi.service_reach"), now.get("service_reach"), fmt=fmt_pct, help=t("grids.kpi.service_reach_help", radius=fmt_int(settings.walk_radius_m))),
    ]  # fmt: skip


def unknown_note(context: PageContext) -> None:
    """How much of the scope has no boundary, its coverage unknown rather than uncovered."""
    now = grid_figures.grid_coverage_total(context.engine, context.scope, context.settings)
    grids, communities = now.get("grids_without_boundary"), now.get("communities_coverage_unknown")
    if grids and grids > 0:
        text = t("grids.unknown.grids", grids=fmt_int(grids), communities=fmt_int(communities))
    elif communities and communities > 0:
        text = t("grids.unknown.communities", communities=fmt_int(communities))
    else:
        return
    st.caption(text)


# --- the map ----------------------------------------------------------------------------------

SVG_MAP_KEY = "grids_map"


def map_section(context: PageContext) -> None:
    scope, settings = context.scope, context.settings
    st.subheader(t_plain("grids.map_title", scope=context.unit_name(scope.code)))
    shown_map = map_data.load_map_data(context.engine, scope, settings)
    if shown_map.bounds is None:
        st.info(t("grids.no_boundaries"), icon=":material/map:")
        return
    language = current_language()
    detail = scope.level in DETAIL_LEVELS
    # Tiles under the map (setting basemap) are drawn by deck.gl's map only.
    webgl = settings.basemap != "none"
    if detail:
        left, right = st.columns(2)
        with left:
            walk = st.toggle(t("map.walk_circles"), key="grids_walk_circles")
        if not webgl:
            with right:
                webgl = st.toggle(t("map.webgl"), key="grids_map_webgl", help=t("map.webgl_help"))
        drawn = map_drawing(
            shown_map, settings, t, language=language, options=MapOptions(walk_circles=walk)
        )
    else:
        metric = metric_selectbox()
        values = grid_figures.unit_metrics(context.engine, scope, settings, shown_map.unit_level)
        drawn = map_drawing(shown_map, settings, t, values, metric, language)
    if webgl:
        key = f"grids_map_{scope.code or 'city'}"
        st.pydeck_chart(
            deck_of(drawn, settings, language),
            height=MAP_HEIGHT_PX,
            on_select=lambda: drill_from_map(key, scope.level),
            selection_mode="single-object",
            key=key,
        )
    else:
        # One key for every scope: the component stays mounted and redraws from the new data.
        svg_map(svg_spec(drawn), SVG_MAP_KEY, lambda: drill_from_svg(SVG_MAP_KEY, scope.level))
    st.html(drawn.legend)
    level = t(f"level.{shown_map.unit_level}")
    hint(t("grids.map_hint.detail") if detail else t("grids.map_hint.choropleth", level=level))
    notes = []
    basemap = settings.basemap if settings.basemap in ("carto", "none", "tianditu") else "xyz"
    notes.append(t(f"grids.basemap.{basemap}"))
    if settings.coordinate_system == "gcj02":
        notes.append(t("grids.coordinates.gcj02"))
    st.caption(" ".join(notes))


def metric_selectbox() -> str:
    """The metric that colours the map; kept in the URL (metric=…) so that a link shows it."""
    return st.selectbox(
        t("grids.map_metric"), MAP_METRICS, format_func=labeller("grids.metric"), key="metric"
    )


def drill_from_svg(key: str, level: str, page: str = "grids") -> None:
    """Callback of the SVG map: one level down from `level`, to the unit holding the clicked one."""
    code = clicked_code(key)
    target = drill_target(code, level) if code else None
    if target:
        drill_to(target, page)


def drill_from_map(key: str, level: str, page: str = "grids") -> None:
    """Callback of a map: one level down from `level`, to the unit holding the chosen object."""
    objects = st.session_state[key].selection.objects
    for chosen in objects.values():
        for item in chosen:
            # A grid, gap or facility names its community; a community is its own code.
            code = item.get("drill") or item.get("code")
            target = drill_target(str(code), level) if code else None
            if target:
                drill_to(target, page)
                return


# --- tables -----------------------------------------------------------------------------------

UNIT_COLUMNS = [
    "code", "name", "communities", "grids", "staffed_grids", "staffed_rate", "fulltime_staffed_rate",
    "general_grids", "size_range_rate", "households", "households_in_grids", "household_coverage",
    "party_branch_rate", "spatial_coverage", "service_reach", "grids_without_boundary",
    "communities_coverage_unknown",
]  # fmt: skip
PER_COMMUNITY_COLUMNS = ("communities", "communities_coverage_unknown")  # not for one community


def units_section(context: PageContext, reads: LowerHalf) -> None:
    scope = context.scope
    child = scope.breakdown_level
    st.subheader(t("grids.units_title", level=t(f"level.{child}")))
    frame = reads["units"]()
    columns = [c for c in UNIT_COLUMNS if child != "community" or c not in PER_COMMUNITY_COLUMNS]
    table_key = f"grids_units_{scope.code or 'city'}"
    codes = list(frame["code"])
    table_with_downloads(
        frame[columns],
        key=table_key,
        sheet_title=t("grids.units_sheet"),
        file_stem=context.file_stem("grid_coverage"),
        filters=context.filters_used(),
        total=True,
        selectable=True,
        on_select=lambda: _drill_to_selected(table_key, codes),
    )
    hint(t("overview.drill_hint"))


def _drill_to_selected(table_key: str, codes: list[str]) -> None:
    rows = st.session_state[table_key].selection.rows
    if rows and rows[0] < len(codes):
        drill_to(codes[rows[0]])


def grids_of_community(context: PageContext) -> None:
    """At community scope: every grid with its status, size, branch, boundary and reach."""
    scope, settings = context.scope, context.settings
    st.subheader(t("grids.grid_table_title"))
    grids = grid_figures.grids_with_reach(context.engine, scope, settings)
    table = grids[["code", "name", "kind", "households"]].copy()
    table["status"] = [
        t(f"grids.status.{grid_status(s, f)}")
        for s, f in zip(grids["staffed"], grids["fulltime_staffed"], strict=True)
    ]
    for column in ("has_party_branch", "has_boundary"):
        table[column] = grids[column].map(lambda v: t("yes") if v else t("no"))
    table["reached"] = grids["reached"].map(lambda v: "—" if v is None else t("yes" if v else "no"))
    table["kind"] = table["kind"].map(lambda k: t(f"grid_kind.{k}"))
    _table(context, table, "grids")


def lists_section(context: PageContext, reads: LowerHalf) -> None:
    scope, settings = context.scope, context.settings
    st.subheader(t("grids.lists"))
    unstaffed = reads["unstaffed"]()
    outliers = reads["size"]()
    problems = reads["gaps"]()
    short = reads["premises"]()[premises_figures.EXPORT_COLUMNS]
    tabs = sections(
        [
            t("alert.unstaffed", n=fmt_int(len(unstaffed))),
            t("grids.list.size", n=fmt_int(len(outliers))),
            t("grids.list.gaps", n=fmt_int(len(problems))),
            t("grids.list.premises", level=t(f"level.{scope.breakdown_level}")),
        ]
    )
    with tabs[0]:
        table = unstaffed[["code", "name", "community_name", "kind", "households"]].copy()
        table["kind"] = table["kind"].map(lambda k: t(f"grid_kind.{k}"))
        _table(context, table, "unstaffed")
    with tabs[1]:
        st.caption(
            t(
                "grids.list.size_help",
                low=settings.grid_households_min,
                high=settings.grid_households_max,
            )
        )
        table = outliers[["code", "name", "community_name", "households", "size", "staffed"]].copy()
        table["size"] = table["size"].map(lambda s: t(f"grids.size.{s}"))
        table["staffed"] = table["staffed"].map(lambda v: t("yes") if v else t("no"))
        _table(context, table, "size")
    with tabs[2]:
        st.caption(t("grids.list.gaps_help", width=fmt_decimal(settings.sliver_width_m, 0)))
        _table(context, problems, "gaps")
    with tabs[3]:
        standard = settings.premises_standard_m2_per_100_households
        st.caption(t("grids.list.premises_help", standard=fmt_decimal(standard, 0)))
        _table(context, short, "premises")


# Lists of grids: in a report, counted per street in the body and listed whole in an appendix.
APPENDIX_LISTS = ("unstaffed", "size")


def _table(context: PageContext, table: pd.DataFrame, name: str) -> None:
    """A list whose rows (grids or communities) lead to their community when selected."""
    if table.empty:
        st.success(t("alert.none"))
        return
    key = f"grids_{name}_{context.scope.code or 'city'}"
    codes = list(table["code"])
    drill = context.scope.level != "community"
    table_with_downloads(
        table,
        key=key,
        sheet_title=t(f"grids.sheet.{name}"),
        file_stem=context.file_stem(f"grids_{name}"),
        filters=context.filters_used(),
        selectable=drill,
        on_select=lambda: _drill_to_selected(key, codes),
        long_list=True,  # the lists come sorted most urgent first
        appendix=name in APPENDIX_LISTS,
    )


# The figures of the page's lower half by name: the units' table and the four lists.
LowerHalf = dict[str, Callable[[], pd.DataFrame]]


def lower_half(context: PageContext) -> LowerHalf:
    """The reads of the page's lower half, the one list of them: the page reads them ahead
    (read_lists_ahead) and its sections take their frames from here, so the two cannot part."""
    engine, scope, settings = context.engine, context.scope, context.settings
    return {
        "units": lambda: grid_figures.grid_coverage_by_unit(
            engine, scope, settings, scope.breakdown_level
        ),
        "unstaffed": lambda: grid_figures.unstaffed_grids(engine, scope),
        "size": lambda: grid_figures.size_outliers(engine, scope, settings),
        "gaps": lambda: grid_figures.gap_communities(engine, scope, settings),
        "premises": lambda: premises_figures.premises_by_shortfall(engine, scope, settings),
    }


def read_lists_ahead(context: PageContext, reads: LowerHalf) -> threading.Thread | None:
    """The reads of the page's lower half, started beside its run (dashboard/cached.py); at a
    community the page shows its grids instead of a units' table, and reads nothing ahead."""
    if context.scope.level == "community":
        return None
    return cached.read_ahead(context.scope, *reads.values())


def render() -> None:
    context = page_context()
    page_header("page.grids", context.scope, context.units, context.is_demo)
    stop_if_empty(context.has_data)
    reads = lower_half(context)
    ahead = read_lists_ahead(context, reads)
    try:
        status_style()
        kpis = coverage_kpis(context)
        kpi_row(kpis[:4])
        kpi_row(kpis[4:])
        status_legend(context.settings.close_ratio)
        unknown_note(context)
        map_section(context)
        if context.scope.level == "community":
            grids_of_community(context)
        else:
            units_section(context, reads)
        lists_section(context, reads)
    finally:  # on every path, a failure or st.stop() included: nothing outlives the run
        if ahead is not None:
            ahead.join()


render()
