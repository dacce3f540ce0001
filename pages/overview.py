"""总览 Overview: the leader's first screen (docs/architecture.md §2)."""

from __future__ import annotations

from typing import cast

import pandas as pd
import streamlit as st

from dashboard.charts import ranking_bar
from dashboard.components import (
    Kpi,
    kpi_row,
    page_header,
    per_10k_kpi,
    per_community_help,
    per_community_note,
    signed_decimal,
    signed_int,
    signed_points,
    status_legend,
    status_style,
    stop_if_empty,
)
from dashboard.context import PageContext, page_context
from dashboard.filters import drill_from_chart, drill_to
from dashboard.headline import (
    assessed_units,
    change_sentence,
    community_counts,
    far_below_units,
    headline_sentences,
    villages_note,
)
from dashboard.i18n import (
    current_language,
    fmt_day,
    fmt_decimal,
    fmt_exact,
    fmt_int,
    fmt_month,
    fmt_pct,
    labeller,
    t,
)
from dashboard.plain import plain_figure
from dashboard.report import hint, is_report, sections
from dashboard.tables import table_with_downloads
from data_access.figures import burden as burden_figures
from data_access.figures import grids as grid_figures
from data_access.figures import overview as overview_figures
from data_access.figures import premises as premises_figures
from data_access.figures import staffing as staffing_figures
from data_access.figures.overview import RANKING_COLUMNS
from data_access.lights import light_of, rule_of

RANKING_METRICS = {
    # metric: (percent, low is worse, show the standard)
    "per_10k": (False, True, True),
    "gap": (False, False, False),
    "share_meeting": (True, True, False),
    "licensed_rate": (True, True, False),
    "staffed_rate": (True, True, False),
}


def staffing_kpis(context: PageContext) -> list[Kpi]:
    scope, settings = context.scope, context.settings
    now = staffing_figures.staffing_total(context.engine, scope, settings)
    villages = int(now["villages"])
    units = assessed_units(int(now["urban_communities"]), villages, settings.villages_assessed)
    before = staffing_figures.staffing_total(context.engine, scope.year_earlier(), settings)
    grids_now = grid_figures.grid_staffing_total(context.engine, scope)
    grids_before = grid_figures.grid_staffing_total(context.engine, scope.year_earlier())
    standard = fmt_decimal(settings.standard_per_10k, 0)
    residents = Kpi(
        "residents",
        t("kpi.residents"),
        now["resident_population"],
        before["resident_population"],
        fmt_int,
        signed_int,
        higher_is_better=None,
        help=t("kpi.exact", value=fmt_exact(now["resident_population"])),
    )
    workers = Kpi(
        "workers",
        t("kpi.workers"),
        now["counted_workers"],
        before["counted_workers"],
        fmt_int,
        signed_int,
        help=t("kpi.workers_help", roles=_roles(settings)),
    )
    per_10k = per_10k_kpi(now, before, scope, settings)
    gap = Kpi(
        "gap",
        t("kpi.gap"),
        now["gap"],
        before["gap"],
        fmt_int,
        signed_int,
        higher_is_better=False,
        help=t("kpi.gap_help", net=fmt_int(now["net_gap"])),
        status=light_of("filled_share", now["filled_share"], settings),
    )
    staffed = Kpi(
        "staffed_rate",
        t("kpi.staffed_rate"),
        grids_now["staffed_rate"],
        grids_before["staffed_rate"],
        fmt_pct,
        signed_points,
        help=t("kpi.staffed_rate_help", unstaffed=fmt_int(grids_now["unstaffed_grids"])),
        status=light_of("staffed_rate", grids_now["staffed_rate"], settings),
    )
    grids = Kpi("grids", t("kpi.grids"), grids_now["grids"], fmt=fmt_int)
    if scope.level == "community":  # the community's own figures, not a count of one community
        households = Kpi(
            "households",
            t("kpi.households"),
            now["households"],
            before["households"],
            fmt_int,
            signed_int,
            higher_is_better=None,
        )
        needed = Kpi(
            "required",
            t("kpi.required"),
            now["required"],
            before["required"],
            fmt_int,
            signed_int,
            higher_is_better=None,
            help=t("kpi.required_help", minimum=settings.minimum_workers, standard=standard),
        )
        return [residents, households, grids, workers, per_10k, needed, gap, staffed]
    communities = Kpi("communities", t("kpi.communities"), now["communities"], fmt=fmt_int)
    if villages:  # 城市社区 N 个、村 M 个
        urban = int(now["urban_communities"])
        communities = Kpi(
            "communities",
            t("kpi.communities_split"),
            now["communities"],
            fmt=lambda _: f"{fmt_int(urban)} / {fmt_int(villages)}",
            help=t(
                "kpi.communities_split_help",
                counts=community_counts(urban, villages, t),
                n=fmt_int(now["communities"]),
            ),
        )
    share = Kpi(
        "share_meeting",
        t(f"kpi.share_meeting{units}"),
        now["share_meeting"],
        before["share_meeting"],
        fmt_pct,
        signed_points,
        help=t("kpi.share_meeting_help", minimum=settings.minimum_workers),
        status=light_of("share_meeting", now["share_meeting"], settings),
    )
    return [residents, communities, grids, workers, per_10k, share, gap, staffed]  # fmt: skip


def _roles(settings) -> str:
    return "、".join(t(f"role.{role}") for role in settings.counted_roles)


def burden_kpis(context: PageContext) -> list[Kpi]:
    """The main categories' reductions; above a community, each with its average per community
    at the baseline and now (data_access/figures/burden.py:area_per_community)."""
    scope, settings = context.scope, context.settings
    per_community = (
        pd.DataFrame(columns=["category"])
        if scope.level == "community"
        else burden_figures.area_per_community(context.engine, scope, settings)
    ).set_index("category")
    kpis = []
    for category, (now, before) in burden_figures.main_reductions(
        context.engine, scope, settings
    ).items():
        averages = (
            cast(pd.Series, per_community.loc[category])
            if category in per_community.index
            else None
        )
        help_text = (
            t(
                "kpi.reduction_help",
                baseline=fmt_int(now.baseline),
                baseline_month=fmt_month(now.baseline_period),
                current=fmt_int(now.current),
                current_month=fmt_month(now.current_period),
            )
            if now.current_period is not None and now.baseline_period is not None
            else None
        )
        kpis.append(
            Kpi(
                f"reduction_{category}",
                t("kpi.reduction", category=t(f"category.{category}")),
                now.reduction,
                before.reduction,
                fmt_pct,
                signed_points,
                help=" ".join(filter(None, [help_text, per_community_help(averages)])) or None,
                status=light_of("reduction", now.reduction, settings),
                note=per_community_note(averages),
            )
        )
    return kpis


def ranking_section(context: PageContext) -> None:
    scope = context.scope
    child = scope.breakdown_level
    st.subheader(t("overview.ranking", level=t(f"level.{child}")))
    frame = overview_figures.ranking(context.engine, scope, context.settings)
    # Labels fixed at run time: AppTest formats the value again outside the script run.
    metric = st.selectbox(
        t("overview.ranking_metric"),
        list(RANKING_METRICS),
        format_func=labeller("metric"),
        key="overview_ranking_metric",
    )
    percent, low_is_worse, with_standard = RANKING_METRICS[metric]
    standard = context.settings.standard_per_10k if with_standard else None
    judged = "filled_share" if metric == "gap" else metric  # the gap by the posts filled
    villages = staffing_figures.has_villages(frame)
    # Per 10,000 is of the urban communities: where villages exist, the title says so.
    metric_name = t("kpi.per_10k_urban") if metric == "per_10k" and villages else None
    figure = ranking_bar(
        frame,
        metric,
        title=t(
            "overview.ranking_title",
            metric=metric_name or t(f"metric.{metric}"),
            scope=context.unit_name(scope.code),
            date=fmt_day(scope.as_of),
        ),
        value_label=t(f"metric.{metric}"),
        reference=standard,
        reference_label=t("overview.standard_line", standard=fmt_decimal(standard, 0))
        if standard
        else None,
        percent=percent,
        low_is_worse=low_is_worse,
        language=current_language(),
        rule=rule_of(judged, context.settings),
        text=t,
        judged_column=judged,
    )
    chart_key = f"overview_ranking_chart_{scope.code or 'city'}"
    st.plotly_chart(plain_figure(figure), key=chart_key, **drill_from_chart(chart_key))
    hint(t("overview.drill_hint"))
    # One table per scope, so that a drill-down does not carry the old selection along.
    table_key = f"overview_ranking_table_{scope.code or 'city'}"
    # The urban communities and villages apart only where there are villages (docs/metrics.md §3).
    shown = [c for c in RANKING_COLUMNS if c in frame.columns]
    if not villages:
        shown = [c for c in shown if c not in staffing_figures.VILLAGE_COLUMNS]
    table_with_downloads(
        frame[shown],
        key=table_key,
        sheet_title=t("overview.ranking_sheet"),
        file_stem=context.file_stem("ranking"),
        filters=context.filters_used(),
        total=True,
        drill_column="code",
    )


def premises_kpis(context: PageContext) -> list[Kpi]:
    """Service premises per 100 households against the standard (docs/metrics.md §9)."""
    scope, settings = context.scope, context.settings
    now = premises_figures.premises_total(context.engine, scope, settings)
    before = premises_figures.premises_total(context.engine, scope.year_earlier(), settings)
    standard = settings.premises_standard_m2_per_100_households
    help_text = t(
        "kpi.premises_help",
        standard=fmt_decimal(standard, 0),
        shortfall=fmt_int(now["shortfall_m2"]),
        meeting=fmt_int(now["communities_meeting"]),
        assessed=fmt_int(now["communities_assessed"]),
        without=fmt_int(now["communities_without"]),
        unknown=fmt_int(now["facilities_without_area"]),
        elderly=fmt_decimal(now["elderly_per_100_households"]),
        elderly_standard=fmt_decimal(settings.elderly_premises_standard_m2_per_100_households, 0),
    )
    return [
        Kpi(
            "premises",
            t("kpi.premises"),
            now["per_100_households"],
            before["per_100_households"],
            fmt_decimal,
            signed_decimal,
            help=help_text,
            status=light_of("per_100_households", now["per_100_households"], settings),
        )
    ]


def premises_alert_tab(context: PageContext) -> None:
    """Communities without premises or below half the standard; facilities without an area."""
    scope, settings = context.scope, context.settings
    short = premises_figures.premises_alerts(context.engine, scope, settings)
    threshold = settings.premises_alert_ratio * settings.premises_standard_m2_per_100_households
    st.caption(t("alert.premises_help", threshold=fmt_decimal(threshold)))
    table = short.copy()
    table["reason"] = table["reason"].map(lambda r: t(f"alert.premises_reason.{r}"))
    for column in ("premises_m2", "per_100_households", "required_m2", "shortfall_m2"):
        table[column] = table[column].round(1)
    _alert_table(context, table, "premises", "code")
    unknown = premises_figures.unknown_area_facilities(context.engine, scope, settings)
    if len(unknown):
        st.caption(t("alert.unknown_area_help", n=fmt_int(len(unknown))))
        named = unknown.copy()
        named["kind"] = named["kind"].map(lambda k: t(f"facility.{k}"))
        _alert_table(context, named, "unknown_area")


def alerts_section(context: PageContext) -> None:
    scope, settings = context.scope, context.settings
    st.subheader(t("overview.alerts"))
    far = overview_figures.far_below_alerts(context.engine, scope, settings)
    rebounds = overview_figures.rebound_alerts(context.engine, scope, settings)
    unstaffed = overview_figures.unstaffed_alerts(context.engine, scope)
    short = premises_figures.premises_alerts(context.engine, scope, settings)
    threshold = fmt_decimal(settings.far_below_ratio * settings.standard_per_10k)
    rebounding = overview_figures.rebound_counts(rebounds)
    total = staffing_figures.staffing_total(context.engine, scope, settings)
    far_units = far_below_units(int(total["villages"]), settings)
    tabs = sections(
        [
            t(f"alert.far_below{far_units}", n=fmt_int(len(far))),
            t(
                "alert.rebounds",
                communities=fmt_int(rebounding.communities),
                series=fmt_int(rebounding.series),
            ),
            t("alert.unstaffed", n=fmt_int(len(unstaffed))),
            t("alert.premises", n=fmt_int(len(short))),
        ]
    )
    with tabs[0]:
        village_threshold = fmt_decimal(
            None
            if settings.village_standard_per_10k is None
            else settings.far_below_ratio * settings.village_standard_per_10k
        )
        st.caption(
            t(
                f"alert.far_below_help{far_units}",
                threshold=threshold,
                village_threshold=village_threshold,
            )
        )
        table = far.assign(per_10k=far["per_10k"].round(2))
        if "per_10k_all" in far.columns:
            table["per_10k_all"] = far["per_10k_all"].round(2)
        _alert_table(context, table, "far_below", "code")
    with tabs[1]:
        st.caption(
            t(
                "alert.rebounds_help",
                pct=fmt_decimal(settings.rebound_min_pct, 0),
                months=settings.rebound_window_months,
            )
        )
        table = rebounds.copy()
        table["category"] = table["category"].map(lambda c: t(f"category.{c}"))
        _alert_table(context, table, "rebounds", "community_code")
    with tabs[2]:
        table = unstaffed.copy()
        table["kind"] = table["kind"].map(lambda k: t(f"grid_kind.{k}"))
        _alert_table(context, table, "unstaffed", "code", appendix=True)
    with tabs[3]:
        premises_alert_tab(context)


def villages_caption(context: PageContext) -> None:
    """Where the area holds villages: 城市社区 N 个、村 M 个, and what the figures are taken over."""
    now = staffing_figures.staffing_total(context.engine, context.scope, context.settings)
    if context.scope.level == "community":
        return
    note = villages_note(
        int(now["urban_communities"]), int(now["villages"]), now["per_10k_all"], context.settings, t
    )
    if note is not None:
        st.caption(note)


def _alert_table(
    context: PageContext,
    table: pd.DataFrame,
    name: str,
    code_column: str | None = None,
    appendix: bool = False,
) -> None:
    """An alert list; with a code column, choosing a row drills to that unit. An `appendix`
    list is counted per street in a report and listed whole at its end (tables.py)."""
    if table.empty:
        st.success(t("alert.none"))
        return
    # One table per scope, so that a drill-down does not carry the old selection along.
    key = f"overview_{name}_{context.scope.code or 'city'}"
    table_with_downloads(
        table,
        key=key,
        sheet_title=t(f"alert.sheet.{name}"),
        file_stem=context.file_stem(name),
        filters=context.filters_used(),
        drill_column=code_column,
        long_list=True,  # most urgent first (data_access/figures/overview.py)
        appendix=appendix,
    )
    if code_column is not None:
        hint(t("overview.alert_drill_hint"))


def change_section(context: PageContext) -> None:
    """The line of what changed since the month before; nothing in the first month of data."""
    scope = context.scope
    change = overview_figures.month_change(context.engine, scope, context.settings)
    line = change_sentence(change, scope.breakdown_level, current_language())
    if line is not None:
        with st.container(key="month_change"):
            st.text(line)


def headline_section(context: PageContext) -> None:
    """One or two sentences on what matters here, from the same results as the cards."""
    scope = context.scope
    facts = overview_figures.headline_facts(context.engine, scope, context.settings)
    with st.container(key="headline", border=True):
        for sentence in headline_sentences(
            facts, context.unit_name(scope.code), current_language()
        ):
            st.text(sentence)


def grids_of_community(context: PageContext) -> None:
    st.subheader(t("overview.grids_of_community"))
    grids = grid_figures.grid_list(context.engine, context.scope)
    table = grids[["code", "name", "kind", "households", "staffed", "fulltime_staffed"]].copy()
    table["kind"] = table["kind"].map(lambda k: t(f"grid_kind.{k}"))
    table["households"] = pd.to_numeric(table["households"])  # unknown: empty, not "None"
    for column in ("staffed", "fulltime_staffed"):
        table[column] = table[column].map(lambda v: t("yes") if v else t("no"))
    _alert_table(context, table, "grids")


def render() -> None:
    context = page_context()
    page_header("page.overview", context.scope, context.units, context.is_demo)
    stop_if_empty(context.has_data)
    status_style()
    change_section(context)
    headline_section(context)
    kpi_row(staffing_kpis(context))
    villages_caption(context)
    # Printed on one sheet: the last row of cards and the legend of their colours under it.
    with st.container(key="keep-overview-cards"):
        kpi_row(burden_kpis(context) + premises_kpis(context))
        status_legend(context.settings.close_ratio)
    if context.scope.level == "community":
        alerts_section(context)
        st.button(
            t("overview.open_profile"),
            icon=":material/home_work:",
            on_click=drill_to,
            args=(context.scope.code, "profile"),
            key="overview_open_profile",
        )
        grids_of_community(context)
    elif is_report():  # a leader's report: the ranking, the message, before the lists
        ranking_section(context)
        alerts_section(context)
    else:
        alerts_section(context)
        ranking_section(context)


render()
