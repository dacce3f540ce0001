"""队伍配备 Staffing: workers per 10,000 against the standard, gaps, certificates, age, trend (docs/metrics.md §3)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.charts import ranking_bar
from dashboard.components import (
    Kpi,
    kpi_row,
    page_header,
    per_10k_kpi,
    signed_int,
    signed_points,
    status_legend,
    status_style,
    stop_if_empty,
)
from dashboard.context import PageContext, page_context
from dashboard.export import show_chart
from dashboard.filters import drill_from_chart
from dashboard.headline import assessed_units, villages_note
from dashboard.i18n import current_language, fmt_day, fmt_decimal, fmt_int, fmt_pct, t
from dashboard.report import is_report
from dashboard.staffing_charts import (
    age_bars,
    certificate_split,
    population_scatter,
    required_vs_counted,
    staffing_trend,
)
from dashboard.tables import table_with_downloads
from data_access.figures import staffing as staffing_figures
from data_access.lights import light_of, rule_of

UNIT_COLUMNS = [
    "code", "name", "communities", "resident_population", "households", "counted_workers",
    "per_10k", "required", "gap", "net_gap", "communities_meeting", "communities_assessed",
    "share_meeting", "licensed_workers", "licensed_rate",
]  # fmt: skip
COMMUNITY_COLUMNS = [
    "code", "name", "resident_population", "counted_workers", "per_10k", "required", "gap",
    "licensed_rate",
]  # fmt: skip


def chart_title(context: PageContext, key: str) -> str:
    """Every title says what is shown, for which area and on which date."""
    return t(key, scope=context.unit_name(context.scope.code), date=fmt_day(context.scope.as_of))


def counted_roles_note(context: PageContext) -> None:
    settings = context.settings
    counted = "、".join(t(f"role.{role}") for role in settings.counted_roles)
    st.caption(
        t(
            "staffing.roles_note",
            roles=counted,
            grid=t(
                "staffing.grid_counted"
                if settings.count_grid_fulltime
                else "staffing.grid_not_counted"
            ),
        )
    )


def kpis(context: PageContext) -> None:
    scope, settings = context.scope, context.settings
    now = staffing_figures.staffing_total(context.engine, scope, settings)
    before = staffing_figures.staffing_total(context.engine, scope.year_earlier(), settings)
    young = staffing_figures.uncertified_under_40(context.engine, scope, settings)
    young_before = staffing_figures.uncertified_under_40(
        context.engine, scope.year_earlier(), settings
    )
    villages = int(now["villages"])
    units = assessed_units(int(now["urban_communities"]), villages, settings.villages_assessed)
    per_10k = per_10k_kpi(now, before, scope, settings)
    kpi_row(
        [
            per_10k,
            Kpi("workers", t("kpi.workers"), now["counted_workers"], before["counted_workers"], fmt_int, signed_int),
            Kpi("required", t("staffing.kpi.required"), now["required"], before["required"], fmt_int, signed_int, higher_is_better=None),
            Kpi("gap", t("kpi.gap"), now["gap"], before["gap"], fmt_int, signed_int, higher_is_better=False, help=t("kpi.gap_help", net=fmt_int(now["net_gap"])), status=light_of("filled_share", now["filled_share"], settings)),
            Kpi("share_meeting", t(f"kpi.share_meeting{units}"), now["share_meeting"], before["share_meeting"], fmt_pct, signed_points, help=t("kpi.share_meeting_help", minimum=settings.minimum_workers), status=light_of("share_meeting", now["share_meeting"], settings)),
            Kpi("licensed_rate", t("staffing.kpi.licensed_rate"), now["licensed_rate"], before["licensed_rate"], fmt_pct, signed_points, help=t("staffing.kpi.licensed_help", licensed=fmt_int(now["licensed_workers"]))),
            Kpi("young_uncertified", t("staffing.kpi.young_uncertified"), young, young_before, fmt_int, signed_int, higher_is_better=False, help=t("staffing.kpi.young_uncertified_help")),
            Kpi("communities_meeting", t(f"staffing.kpi.communities_meeting{units}"), now["communities_meeting"], before["communities_meeting"], lambda v: f"{fmt_int(v)} / {fmt_int(now['communities_assessed'])}", signed_int),
        ]
    )  # fmt: skip
    status_legend(settings.close_ratio)
    if scope.level != "community":
        note = villages_note(
            int(now["urban_communities"]), villages, now["per_10k_all"], settings, t
        )
        if note is not None:
            st.caption(note)


def unit_charts(context: PageContext, units: pd.DataFrame) -> None:
    scope, settings = context.scope, context.settings
    total = staffing_figures.staffing_total(context.engine, scope, settings)
    stem = context.file_stem
    show_chart(
        ranking_bar(
            units,
            "per_10k",
            title=chart_title(
                context,
                "staffing.chart.per_10k_urban"
                if int(total["villages"])
                else "staffing.chart.per_10k",
            ),
            value_label=t("metric.per_10k"),
            reference=settings.standard_per_10k,
            reference_label=t(
                "overview.standard_line", standard=fmt_decimal(settings.standard_per_10k, 0)
            ),
            scope_value=total["per_10k"],
            scope_label=t("staffing.scope_line", value=fmt_decimal(total["per_10k"])),
            language=current_language(),
            rule=rule_of("per_10k", settings),
            text=t,
        ),
        stem("staffing_per_10k"),
        f"staffing_chart_per_10k_{scope.code or 'city'}",
        drill_from_chart(f"staffing_chart_per_10k_{scope.code or 'city'}"),
    )
    show_chart(
        required_vs_counted(
            units,
            chart_title(context, "staffing.chart.required"),
            t,
            # Where villages are not assessed, the required headcount is the urban communities'.
            "urban_counted_workers"
            if int(total["villages"]) and not settings.villages_assessed
            else "counted_workers",
        ),
        stem("staffing_required"),
        "staffing_chart_required",
    )


def people_charts(context: PageContext) -> None:
    scope, settings = context.scope, context.settings
    certificates = staffing_figures.certificate_counts(context.engine, scope, settings)
    ages = staffing_figures.age_structure(context.engine, scope, settings)
    left, right = st.columns(2)
    with left:
        if certificates["workers"].sum():
            show_chart(
                certificate_split(
                    certificates,
                    chart_title(context, "staffing.chart.certificates"),
                    t,
                ),
                context.file_stem("staffing_certificates"),
                "staffing_chart_certificates",
            )
            licensed = staffing_figures.licensed_counts(context.engine, scope, settings)
            st.caption(
                t(
                    "staffing.certificate_counts",
                    **{level: fmt_int(workers) for level, workers in licensed.items()},
                )
            )
        else:
            st.info(t("staffing.no_workers"))
    with right:
        if ages["workers"].sum():
            show_chart(
                age_bars(ages, chart_title(context, "staffing.chart.age"), t),
                context.file_stem("staffing_age"),
                "staffing_chart_age",
            )
        else:
            st.info(t("staffing.no_workers"))


def trend_chart(context: PageContext, villages: int) -> None:
    trend = staffing_figures.staffing_trend(context.engine, context.scope, context.settings)
    title = "staffing.chart.trend_urban" if villages else "staffing.chart.trend"
    standard: float | None = context.settings.standard_per_10k
    if context.scope.level == "community" and villages:  # a village: its own figure, not judged
        trend, standard = trend.assign(per_10k=trend["per_10k_all"]), None
        title = "staffing.chart.trend"
    show_chart(
        staffing_trend(
            trend,
            standard,
            chart_title(context, title),
            t,
            current_language(),
        ),
        context.file_stem("staffing_trend"),
        "staffing_chart_trend",
    )


def community_scatter(context: PageContext) -> None:
    communities = staffing_figures.staffing_by_unit(
        context.engine, context.scope, context.settings, "community"
    )
    show_chart(
        population_scatter(
            communities,
            context.settings.standard_per_10k,
            context.settings.minimum_workers,
            chart_title(context, "staffing.chart.scatter"),
            t,
        ),
        context.file_stem("staffing_scatter"),
        "staffing_chart_scatter",
    )


def community_table(communities: pd.DataFrame, villages: int) -> pd.DataFrame:
    """The communities' rows as the page lists them; where villages exist, each row's kind
    (城市社区 or 村) and its per 10,000 with the villages counted (per_10k_all)."""
    if not villages:
        return communities[COMMUNITY_COLUMNS]
    table = communities.assign(
        community_kind=staffing_figures.community_kind(communities).map(
            lambda kind: t(f"community_kind.{kind}")
        )
    )
    columns = [*COMMUNITY_COLUMNS[:2], "community_kind", *COMMUNITY_COLUMNS[2:]]
    columns.insert(columns.index("per_10k") + 1, "per_10k_all")
    return table[columns]


def render() -> None:
    context = page_context()
    scope = context.scope
    page_header("page.staffing", scope, context.units, context.is_demo)
    stop_if_empty(context.has_data)
    counted_roles_note(context)
    status_style()
    kpis(context)
    units = staffing_figures.staffing_by_unit(context.engine, scope, context.settings)
    total = staffing_figures.staffing_total(context.engine, scope, context.settings)
    villages = int(total["villages"])
    if scope.level != "community":
        st.subheader(t("staffing.section.units", level=t(f"level.{scope.child_level}")))
        unit_charts(context, units)
    st.subheader(t("staffing.section.people"))
    people_charts(context)
    st.subheader(t("staffing.section.trend"))
    trend_chart(context, villages)
    if scope.level != "community":
        st.subheader(t("staffing.section.communities"))
        community_scatter(context)
        with st.expander(t("staffing.community_table"), expanded=is_report()):
            communities = staffing_figures.staffing_by_gap(
                context.engine, scope, context.settings, "community"
            )
            table_with_downloads(
                community_table(communities, villages),
                key=f"staffing_communities_{scope.code or 'city'}",
                sheet_title=t("staffing.sheet.communities"),
                file_stem=context.file_stem("staffing_communities"),
                filters=context.filters_used(),
                total=True,
                drill_column="code",
                long_list=True,  # the largest gaps first
            )
    st.subheader(t("staffing.section.table"))
    shown = UNIT_COLUMNS + (staffing_figures.VILLAGE_COLUMNS if villages else [])
    table_with_downloads(
        staffing_figures.staffing_by_gap(
            context.engine, scope, context.settings, scope.breakdown_level
        )[shown],
        key=f"staffing_units_{scope.code or 'city'}",
        sheet_title=t("staffing.sheet.units"),
        file_stem=context.file_stem("staffing_units"),
        filters=context.filters_used(),
        total=True,
        drill_column="code" if scope.level != "community" else None,
    )


render()
