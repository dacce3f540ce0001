"""减负增效 Burden reduction: trend per category, baseline vs current, ranking, rebounds (docs/metrics.md §4)."""

from __future__ import annotations

import datetime as dt
from typing import cast

import pandas as pd
import streamlit as st

from dashboard import formatting
from dashboard.burden_charts import burden_trend
from dashboard.charts import ranking_bar
from dashboard.components import (
    Kpi,
    categories_without_data,
    kpi_row,
    page_header,
    per_community_help,
    per_community_note,
    signed_points,
    status_legend,
    status_style,
    stop_if_empty,
)
from dashboard.context import PageContext, page_context
from dashboard.filters import drill_from_chart
from dashboard.i18n import current_language, fmt_decimal, fmt_int, fmt_month, fmt_pct, labeller, t
from dashboard.plain import plain_figure, t_plain
from dashboard.ready import stop_page
from dashboard.report import sections
from dashboard.tables import table_with_downloads
from data_access.figures import burden as burden_figures
from data_access.figures import overview as overview_figures
from data_access.lights import light_of, rule_of
from data_access.models import BURDEN_CATEGORIES

BASELINE_KEY = "burden_baseline"
# Reduction and rebound first: tables are wide and these are what a leader reads first.
FIGURE_COLUMNS = [
    "reduction", "rebound", "baseline_period", "baseline", "current_period", "current",
    "window_min",
]  # fmt: skip
PER_COMMUNITY_COLUMNS = [
    "baseline_per_community", "current_per_community", "baseline_communities",
    "current_communities",
]  # fmt: skip


def unit_level(context: PageContext) -> str:
    """The level of the units the page lists: the scope's children, or the community itself."""
    scope = context.scope
    return scope.breakdown_level


def baseline_picker(total: pd.DataFrame) -> dt.date | None:
    """The baseline month chosen on the page; None = each series' earliest month with data."""
    months: list[dt.date | None] = [None, *sorted(total["period"].unique())]
    if st.session_state.get(BASELINE_KEY) not in months:
        st.session_state[BASELINE_KEY] = None  # a month of another scope or as-of date
    column, _ = st.columns([1, 2])
    earliest, language = t("burden.baseline_earliest"), current_language()
    return column.selectbox(
        t("burden.baseline_month"),
        months,
        format_func=lambda m: earliest if m is None else fmt_month(m, language),
        key=BASELINE_KEY,
        help=t("burden.baseline_help"),
    )


def kpi_section(context: PageContext, scope_rows: pd.DataFrame, year_before: pd.DataFrame) -> None:
    """A card per category with data: its reduction, and above a community its average per
    community at the baseline and now (scope_rows: figures/burden.py:area_per_community)."""
    st.subheader(t("burden.kpis"))
    now = scope_rows.set_index("category")
    before = year_before.set_index("category")
    one_community = context.scope.level == "community"
    kpis = []
    for category in [c for c in BURDEN_CATEGORIES if c in now.index]:
        row = now.loc[category]
        per_community = None if one_community else cast(pd.Series, row)
        help_text = t(
            "kpi.reduction_help",
            baseline=fmt_int(row["baseline"]),
            baseline_month=_month_text(row["baseline_period"]),
            current=fmt_int(row["current"]),
            current_month=_month_text(row["current_period"]),
        )
        if row["rebound"]:
            help_text += " " + t(
                "burden.kpi_rebound",
                months=context.settings.rebound_window_months,
                low=fmt_int(row["window_min"]),
                rise=fmt_int(row["rise"]),
            )
        if per_community is not None:
            help_text += " " + per_community_help(per_community)
        earlier = before.loc[category, "reduction"] if category in before.index else None
        kpis.append(
            Kpi(
                f"burden_{category}",
                t("kpi.reduction", category=t(f"category.{category}")),
                row["reduction"],
                earlier,
                fmt_pct,
                signed_points,
                help=help_text,
                status=light_of("reduction", row["reduction"], context.settings),
                note=per_community_note(per_community),
            )
        )
    kpi_row(kpis)
    status_legend(context.settings.close_ratio)


def _month_text(period: object) -> str:
    # pandas' NaT is a datetime too, so the missing test comes first.
    if formatting.is_missing(period) or not isinstance(period, dt.date):
        return formatting.MISSING
    return fmt_month(period)


def trend_section(context: PageContext, total: pd.DataFrame, scope_rows: pd.DataFrame) -> None:
    """A panel per category with data, the others named in one line."""
    st.subheader(t("burden.trend"))
    figure = burden_trend(
        total,
        scope_rows,
        context.unit_name(context.scope.code),
        fmt_month(context.scope.as_of),
        t,
        current_language(),
    )
    st.plotly_chart(plain_figure(figure), key="burden_trend_chart")
    categories_without_data(burden_figures.categories_without_data(total), context.scope.as_of)


def category_section(context: PageContext, scope_rows: pd.DataFrame, table: pd.DataFrame) -> None:
    st.subheader(t("burden.by_category"))
    shown = scope_rows.assign(
        code=scope_rows["category"], name=scope_rows["category"].map(lambda c: t(f"category.{c}"))
    )
    figure = ranking_bar(
        shown,
        "reduction",
        title=t(
            "burden.category_title",
            scope=context.unit_name(context.scope.code),
            month=fmt_month(context.scope.as_of),
        ),
        value_label=t("axis.reduction_percent"),
        percent=True,
        reference=0.0,
        reference_label=t("burden.baseline_level"),
        language=current_language(),
        rule=rule_of("reduction", context.settings),
        text=t,
    )
    st.plotly_chart(plain_figure(figure), key="burden_category_chart")
    # Above a community, the average per community beside the sums (docs/metrics.md §4).
    per_community = [] if context.scope.level == "community" else PER_COMMUNITY_COLUMNS
    table_with_downloads(
        _for_table(table[["category", *FIGURE_COLUMNS, *per_community]]),
        key="burden_category_table",
        sheet_title=t("burden.category_sheet"),
        file_stem=context.file_stem("burden_by_category"),
        filters=context.filters_used(),
    )


def ranking_section(
    context: PageContext, unit_rows: pd.DataFrame, level: str, baseline: dt.date | None
) -> None:
    st.subheader(t("burden.ranking", level=t(f"level.{level}")))
    column, _ = st.columns([1, 2])
    category = column.selectbox(
        t("burden.ranking_category"),
        BURDEN_CATEGORIES,
        format_func=labeller("category"),
        key="burden_ranking_category",
    )
    one = unit_rows[unit_rows["category"] == category]
    figure = ranking_bar(
        one,
        "reduction",
        title=t(
            "burden.ranking_title",
            scope=context.unit_name(context.scope.code),
            level=t(f"level.{level}"),
            category=t(f"category.{category}"),
            month=fmt_month(context.scope.as_of),
        ),
        value_label=t("axis.reduction_percent"),
        percent=True,
        reference=0.0,
        reference_label=t("burden.baseline_level"),
        language=current_language(),
        rule=rule_of("reduction", context.settings),
        text=t,
    )
    chart_key = f"burden_ranking_chart_{context.scope.code or 'city'}"
    st.plotly_chart(plain_figure(figure), key=chart_key, **drill_from_chart(chart_key))
    scope, settings = context.scope, context.settings
    unranked = burden_figures.units_not_ranked(
        context.engine, scope, level, settings, baseline, category
    )
    note = t("burden.ranking_hint")
    if unranked:
        note += " " + t("burden.not_ranked", n=unranked)
    st.caption(note)


def rebounds_section(context: PageContext, rebounding: pd.DataFrame, level: str) -> None:
    settings = context.settings
    st.subheader(t("burden.rebounds"))
    st.caption(
        t(
            "burden.rebounds_help",
            months=settings.rebound_window_months,
            pct=fmt_decimal(settings.rebound_min_pct, 0),
            minimum=settings.rebound_min_abs,
        )
    )
    lists = {level: rebounding}
    if level != "community":
        communities = burden_figures.community_rebounds(context.engine, context.scope, settings)
        lists["community"] = communities.rename(
            columns={"community_code": "code", "period": "current_period"}
        )

    def label(name: str, frame: pd.DataFrame) -> str:
        if name != "community":
            return t("burden.rebounds_units", level=t(f"level.{name}"), n=fmt_int(len(frame)))
        # Communities and community × category series named apart, as on the Overview.
        counts = overview_figures.rebound_counts(frame, "code")
        return t(
            "burden.rebounds_communities",
            communities=fmt_int(counts.communities),
            series=fmt_int(counts.series),
        )

    labels = [label(name, frame) for name, frame in lists.items()]
    for tab, (name, frame) in zip(sections(labels), lists.items(), strict=True):
        with tab:
            _rebound_table(context, frame, name)


def _rebound_table(context: PageContext, frame: pd.DataFrame, level: str) -> None:
    if frame.empty:
        st.success(t("alert.none"))
        return
    columns = ["code", "name", "category", "current_period", "window_min", "current"]
    table_with_downloads(
        _for_table(frame[columns]),  # largest rise first (data_access/figures/burden.py)
        key=f"burden_rebounds_{level}_{context.scope.code or 'city'}",
        sheet_title=t("burden.rebounds_sheet"),
        file_stem=context.file_stem(f"burden_rebounds_{level}"),
        filters=context.filters_used(),
        drill_column="code",
        long_list=True,
    )


def units_table(context: PageContext, table: pd.DataFrame) -> None:
    """Every unit of the level × every category, units without records included (as in the export)."""
    st.subheader(t("burden.table"))
    table_with_downloads(
        _for_table(table[["code", "name", "category", *FIGURE_COLUMNS]]),
        key=f"burden_units_table_{context.scope.code or 'city'}",
        sheet_title=t("burden.table_sheet"),
        file_stem=context.file_stem("burden_by_unit"),
        filters=context.filters_used(),
        drill_column="code",
    )


def _for_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Categories by name and rebound as yes/no (months are written by the table)."""
    shown = frame.copy()
    shown["category"] = shown["category"].map(lambda c: t(f"category.{c}"))
    for column in (
        "baseline",
        "current",
        "window_min",
        "baseline_communities",
        "current_communities",
    ):
        if column in shown:
            shown[column] = pd.to_numeric(shown[column]).round().astype("Int64")
    if "rebound" in shown:
        shown["rebound"] = shown["rebound"].map(
            lambda r: t("yes") if pd.notna(r) and r else t("no")
        )
    return shown


def render() -> None:
    context = page_context()
    scope, settings = context.scope, context.settings
    page_header("page.burden", scope, context.units, context.is_demo)
    stop_if_empty(context.has_data)
    status_style()
    level = unit_level(context)
    engine = context.engine
    total = burden_figures.monthly_series(engine, scope)
    if total.empty:
        st.info(
            t_plain(
                "burden.no_data", scope=context.unit_name(scope.code), month=fmt_month(scope.as_of)
            )
        )
        stop_page()
    if scope.level == "community":
        st.info(t("burden.community_only"), icon=":material/info:")
    baseline = baseline_picker(total)
    scope_rows = burden_figures.area_per_community(engine, scope, settings, baseline)
    year_earlier = scope.year_earlier().as_of
    year_before = burden_figures.area_by_category(engine, scope, settings, baseline, year_earlier)
    kpi_section(context, scope_rows, year_before)
    trend_section(context, total, scope_rows)
    category_table = burden_figures.area_category_table(engine, scope, settings, baseline)
    category_section(context, scope_rows, category_table)
    unit_rows = burden_figures.units_by_category(engine, scope, level, settings, baseline)
    if scope.level != "community":
        ranking_section(context, unit_rows, level, baseline)
    rebounding = burden_figures.rebounding_units(engine, scope, level, settings, baseline)
    rebounds_section(context, rebounding, level)
    if scope.level != "community":  # a community's own table is the one by category above
        units_table(context, burden_figures.unit_table(engine, scope, level, settings, baseline))


render()
