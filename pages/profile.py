"""社区画像 Community profile: one community on one page (docs/metrics.md for every figure).

Computation lives in data_access/queries/profile.py and the pages' own queries, so each figure
here equals the same community's figure on the other pages and in the command-line export.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import formatting, map_data
from dashboard.burden_charts import burden_trend
from dashboard.components import (
    Kpi,
    categories_without_data,
    kpi_row,
    page_header,
    signed_decimal,
    signed_int,
    signed_points,
    status_legend,
    status_style,
    stop_if_empty,
)
from dashboard.context import PageContext, page_context
from dashboard.export import show_chart
from dashboard.filters import dissolution_text, drill_to
from dashboard.grid_map import MapOptions, grid_map
from dashboard.i18n import current_language, fmt_decimal, fmt_int, fmt_month, fmt_pct, t
from dashboard.map_geometry import PROFILE_MAP_HEIGHT_PX, PROFILE_MAP_NARROWEST_PX
from dashboard.map_layers import grid_status
from dashboard.plain import escape_markdown, plain_figure
from dashboard.staffing_charts import age_bars, certificate_split, staffing_trend
from dashboard.tables import table_with_downloads
from data_access.dissolution import ending_of
from data_access.figures import burden as burden_figures
from data_access.figures import grids as grid_figures
from data_access.figures import premises as premises_figures
from data_access.figures import profile as profile_figures
from data_access.figures import staffing as staffing_figures
from data_access.lights import light_of

PROFILE_PAGE = "profile"


def chooser(context: PageContext) -> None:
    """Above community scope: the communities of the scope, the farthest below standard first."""
    st.info(t("profile.choose"), icon=":material/home_work:")
    frame = profile_figures.profile_chooser(context.engine, context.scope, context.settings)
    columns = ["code", "name", "resident_population", "counted_workers", "per_10k", "gap"]
    if staffing_figures.has_villages(frame):  # each row's kind, and a village's own per 10,000
        kinds = staffing_figures.community_kind(frame)
        frame = frame.assign(community_kind=kinds.map(lambda kind: t(f"community_kind.{kind}")))
        columns = [*columns[:2], "community_kind", *columns[2:5], "per_10k_all", "gap"]
    key = f"profile_chooser_{context.scope.code or 'city'}"
    table_with_downloads(
        frame[columns],
        key=key,
        sheet_title=t("profile.chooser_sheet"),
        file_stem=context.file_stem("communities"),
        filters=context.filters_used(),
        drill_column="code",
    )


def dissolution_note(context: PageContext) -> None:
    """When the unit shown (or its street or district) is dissolved on a later day: when, and
    into what, with a button to the successor (data_access/dissolution.py:ending_of)."""
    code = context.scope.code
    ending = ending_of(context.units, code) if code else None
    if ending is None:
        return
    text = dissolution_text(ending, asked=code) + t("dissolved.after")
    st.info(escape_markdown(text), icon=":material/event_busy:")
    successor = ending.successor_code
    if successor is not None and successor in set(context.units["code"]):
        st.button(
            escape_markdown(t("dissolved.go", name=context.unit_name(successor))),
            key="profile_successor",
            icon=":material/arrow_forward:",
            on_click=drill_to,
            args=(successor,),
        )


class Figures:
    """Everything the profile shows of one community, read once per run."""

    def __init__(self, context: PageContext) -> None:
        engine, scope, settings = context.engine, context.scope, context.settings
        staffing = staffing_figures.staffing_by_unit(engine, scope, settings, "community")
        self.staffing = None if staffing.empty else staffing.iloc[0]
        before = staffing_figures.staffing_by_unit(
            engine, scope.year_earlier(), settings, "community"
        )
        self.staffing_before = None if before.empty else before.iloc[0]
        self.grids = grid_figures.grid_staffing_total(engine, scope)
        self.grids_before = grid_figures.grid_staffing_total(engine, scope.year_earlier())
        self.grid_list = grid_figures.grid_list(engine, scope)
        self.burden = burden_figures.unit_reductions(engine, scope, "community", settings)
        self.burden_before = burden_figures.unit_reductions(
            engine, scope.year_earlier(), "community", settings
        )
        self.burden_total = burden_figures.monthly_series(engine, scope)
        self.population = profile_figures.population_history(engine, scope)
        self.roles = profile_figures.role_counts(engine, scope)
        self.projection = profile_figures.community_projection(engine, scope, settings)
        self.problems = profile_figures.community_problems(engine, scope, settings)
        self.facilities = profile_figures.facilities(engine, scope)
        self.premises = premises_figures.premises_total(engine, scope, settings)


def problem_section(context: PageContext, figures: Figures) -> None:
    """What is wrong here, in plain sentences, and when the team is complete at its pace."""
    found = figures.problems
    lines = []
    for problem in found:
        values = dict(problem.values)
        if "category" in values:
            values["category"] = t(f"category.{values['category']}")
        if "pct" in values:
            values["pct"] = fmt_decimal(values["pct"], 0)
        if "n" in values:
            values["n"] = fmt_int(values["n"])
        lines.append(t(f"profile.problem.{problem.key}", **values))
    projection = figures.projection
    if figures.staffing is not None:
        lines.append(
            t(
                f"profile.projection.{projection.status}",
                hires=fmt_int(projection.hires),
                departures=fmt_int(projection.departures),
                gap=fmt_int(projection.gap),
                months=fmt_int(projection.months),
                month=fmt_month(projection.reached) if projection.reached else "",
            )
        )
    with st.container(key="headline", border=True):
        st.text(t("profile.problems_title"))
        if not found:
            st.text(t("profile.no_problems"))
        for line in lines:
            st.text("· " + line)


def kpi_section(context: PageContext, figures: Figures) -> None:
    settings = context.settings
    now, before = figures.staffing, figures.staffing_before
    if now is None:
        return

    def old(column: str) -> object:
        return None if before is None else before[column]

    standard = fmt_decimal(settings.standard_per_10k, 0)
    per_10k = Kpi(
        "per_10k",
        t("kpi.per_10k"),
        now["per_10k"],
        old("per_10k"),
        fmt_decimal,
        signed_decimal,
        status=light_of("per_10k", now["per_10k"], settings),
    )
    if int(now["villages"]):  # a village: its own figure, not judged by the urban standard
        per_10k = Kpi(
            "per_10k",
            t("kpi.per_10k_village"),
            now["per_10k_all"],
            old("per_10k_all"),
            fmt_decimal,
            signed_decimal,
            help=t("kpi.per_10k_village_help", standard=standard),
        )
    kpis = [
        Kpi("residents", t("kpi.residents"), now["resident_population"], old("resident_population"), fmt_int, signed_int, higher_is_better=None),
        Kpi("households", t("kpi.households"), now["households"], old("households"), fmt_int, signed_int, higher_is_better=None),
        Kpi("workers", t("kpi.workers"), now["counted_workers"], old("counted_workers"), fmt_int, signed_int),
        per_10k,
        Kpi("required", t("kpi.required"), now["required"], old("required"), fmt_int, signed_int, higher_is_better=None),
        Kpi("gap", t("kpi.gap"), now["gap"], old("gap"), fmt_int, signed_int, higher_is_better=False, status=light_of("filled_share", now["filled_share"], settings)),
        Kpi("grids", t("kpi.grids"), figures.grids["grids"], fmt=fmt_int),
        Kpi("staffed_rate", t("kpi.staffed_rate"), figures.grids["staffed_rate"], figures.grids_before["staffed_rate"], fmt_pct, signed_points, status=light_of("staffed_rate", figures.grids["staffed_rate"], settings)),
    ]  # fmt: skip
    kpi_row(kpis)
    now_burden = figures.burden.set_index("category")
    then_burden = figures.burden_before.set_index("category")
    burden_kpis = []
    for category in settings.main_categories:
        if category not in now_burden.index:
            continue
        reduction = now_burden.loc[category, "reduction"]
        burden_kpis.append(
            Kpi(
                f"reduction_{category}",
                t("kpi.reduction", category=t(f"category.{category}")),
                reduction,
                then_burden["reduction"].get(category),
                fmt_pct,
                signed_points,
                status=light_of("reduction", reduction, settings),
            )
        )
    if burden_kpis:
        kpi_row(burden_kpis)
    status_legend(settings.close_ratio)


def population_section(context: PageContext, figures: Figures) -> None:
    st.subheader(t("profile.population"))
    frame = figures.population
    if frame.empty:
        st.info(t("profile.no_population"))
        return
    figure = go.Figure(
        [
            go.Scatter(
                x=frame["year"],
                y=frame[column],
                name=t(f"col.{column}"),
                mode="lines+markers",
                yaxis=axis,
            )
            for column, axis in (("resident_population", "y"), ("households", "y2"))
        ]
    )
    figure.update_layout(
        title=t("profile.population_title", scope=context.unit_name(context.scope.code)),
        yaxis={"title": t("col.resident_population"), **formatting.AXIS_STYLE},
        yaxis2={
            "title": t("col.households"),
            "overlaying": "y",
            "side": "right",
            **formatting.AXIS_STYLE,
        },
        xaxis=formatting.YEAR_AXIS,
        legend={"orientation": "h", "y": -0.2},
        separators=formatting.SEPARATORS,
        height=340,
        margin={"t": 60, "b": 40},
    )
    show_chart(figure, context.file_stem("profile_population"), "profile_population")


def staff_section(context: PageContext, figures: Figures) -> None:
    st.subheader(t("profile.staff"))
    scope, settings = context.scope, context.settings
    if figures.roles.empty:
        st.info(t("profile.no_staff"))
        return
    title = context.unit_name(scope.code)
    trend = staffing_figures.staffing_trend(context.engine, scope, settings)
    standard: float | None = settings.standard_per_10k
    if figures.staffing is not None and int(figures.staffing["villages"]):  # a village
        trend, standard = trend.assign(per_10k=trend["per_10k_all"]), None
    show_chart(
        staffing_trend(
            trend,
            standard,
            t("profile.staff_trend_title", scope=title),
            t,
            current_language(),
        ),
        context.file_stem("profile_staff_trend"),
        "profile_staff_trend",
    )  # fmt: skip
    roles, certificates, ages = st.columns(3)
    with roles:
        table = figures.roles.assign(role=figures.roles["role"].map(lambda r: t(f"role.{r}")))
        st.dataframe(
            table.rename(columns={"role": t("col.role"), "workers": t("col.workers")}),
            hide_index=True,
            key="profile_roles",
            placeholder=formatting.MISSING,
        )
    with certificates:
        counts = staffing_figures.certificate_counts(context.engine, scope, settings)
        if counts["workers"].sum():
            show_chart(
                certificate_split(counts, t("profile.certificates_title", scope=title), t),
                context.file_stem("profile_certificates"),
                "profile_certificates",
            )
    with ages:
        bands = staffing_figures.age_structure(context.engine, scope, settings)
        if bands["workers"].sum():
            show_chart(
                age_bars(bands, t("profile.ages_title", scope=title), t),
                context.file_stem("profile_ages"),
                "profile_ages",
            )


def burden_section(context: PageContext, figures: Figures) -> None:
    st.subheader(t("profile.burden"))
    if figures.burden_total.empty:
        st.info(t("profile.no_burden"))
        return
    marks = figures.burden
    figure = burden_trend(
        figures.burden_total,
        marks,
        context.unit_name(context.scope.code),
        fmt_month(context.scope.as_of),
        t,
        current_language(),
    )
    st.plotly_chart(plain_figure(figure), key="profile_burden_chart")
    categories_without_data(
        burden_figures.categories_without_data(figures.burden_total), context.scope.as_of
    )
    table = marks[
        ["category", "reduction", "rebound", "baseline_period", "baseline", "current_period", "current", "window_min"]
    ].copy()  # fmt: skip
    table["category"] = table["category"].map(lambda c: t(f"category.{c}"))
    table["rebound"] = table["rebound"].map(lambda r: t("yes") if r else t("no"))
    table_with_downloads(
        table,
        key="profile_burden_table",
        sheet_title=t("profile.burden"),
        file_stem=context.file_stem("profile_burden"),
        filters=context.filters_used(),
    )


def grid_section(context: PageContext, figures: Figures) -> None:
    st.subheader(t("profile.grids"))
    if figures.grid_list.empty:
        st.info(t("profile.no_grids"))
        return
    map_column, list_column = st.columns([3, 2])
    with map_column:
        shown_map = map_data.load_map_data(context.engine, context.scope, context.settings)
        if shown_map.bounds is None:
            st.info(t("grids.no_boundaries"), icon=":material/map:")
        else:
            # The view fits the community into the narrowest the column gets, with a margin.
            size = MapOptions(width_px=PROFILE_MAP_NARROWEST_PX, height_px=PROFILE_MAP_HEIGHT_PX)
            language = current_language()
            drawn = grid_map(shown_map, context.settings, t, language=language, options=size)
            st.pydeck_chart(drawn.deck, height=PROFILE_MAP_HEIGHT_PX, key="profile_map")
            st.html(drawn.legend)
    with list_column:
        grids = figures.grid_list
        table = grids[["code", "name", "kind", "households"]].copy()
        table["kind"] = table["kind"].map(lambda k: t(f"grid_kind.{k}"))
        table["status"] = [
            t(f"grids.status.{grid_status(s, f)}")
            for s, f in zip(grids["staffed"], grids["fulltime_staffed"], strict=True)
        ]
        table_with_downloads(
            table,
            key="profile_grid_table",
            sheet_title=t("profile.grids"),
            file_stem=context.file_stem("profile_grids"),
            filters=context.filters_used(),
        )


def premises_sentence(context: PageContext, figures: Figures) -> str:
    """The community's premises, the standard and the shortfall in one sentence (metrics §9)."""
    total, settings = figures.premises, context.settings
    status = premises_figures.premises_status(total)
    return t(
        f"profile.premises.{status}",
        area=fmt_decimal(total["premises_m2"], 0),
        per_100=fmt_decimal(total["per_100_households"]),
        standard=fmt_decimal(settings.premises_standard_m2_per_100_households, 0),
        required=fmt_decimal(total["required_m2"], 0),
        shortfall=fmt_decimal(total["shortfall_m2"], 0),
        unknown=fmt_int(total["facilities_without_area"]),
    )


def facility_section(context: PageContext, figures: Figures) -> None:
    st.subheader(t("profile.facilities"))
    st.text(premises_sentence(context, figures))
    if figures.facilities.empty:
        st.info(t("profile.no_facilities"))
        return
    table = figures.facilities.copy()
    table["kind"] = table["kind"].map(lambda k: t(f"facility.{k}"))
    table_with_downloads(
        table,
        key="profile_facilities",
        sheet_title=t("profile.facilities"),
        file_stem=context.file_stem("profile_facilities"),
        filters=context.filters_used(),
    )


def rank_section(context: PageContext) -> None:
    st.subheader(t("profile.ranks"))
    ranks = profile_figures.rank_table(context.engine, context.scope, context.settings)
    language = current_language()

    def place(rank: object, units: object) -> str:
        if formatting.is_missing(rank):
            return formatting.MISSING
        return t("profile.rank_of", rank=formatting.integer(rank), units=formatting.integer(units))

    def value(metric: str, number: object) -> str:
        return formatting.metric(metric, number, language)

    pairs = list(zip(ranks["metric"], ranks["value"], strict=True))
    street = zip(ranks["street_rank"], ranks["street_units"], strict=True)
    district = zip(ranks["district_rank"], ranks["district_units"], strict=True)
    shown = pd.DataFrame(
        {
            t("profile.metric"): [_metric_label(context, m) for m, _ in pairs],
            t("profile.value"): [value(m, v) for m, v in pairs],
            t("profile.in_street"): [place(r, u) for r, u in street],
            t("profile.in_district"): [place(r, u) for r, u in district],
        }
    )
    st.dataframe(shown, hide_index=True, key="profile_ranks", placeholder=formatting.MISSING)
    st.caption(t("profile.rank_note"))


def _metric_label(context: PageContext, metric: str) -> str:
    if metric == "reduction":
        category = context.settings.main_categories[0]
        return t("kpi.reduction", category=t(f"category.{category}"))
    return t(f"metric.{metric}")


def summary_frame(context: PageContext, figures: Figures) -> pd.DataFrame:
    """The profile's figures as one table (metric, value), each written as on the page."""
    language = current_language()
    rows: list[tuple[str, str]] = []
    if figures.staffing is not None:
        village = bool(int(figures.staffing["villages"]))
        if village:
            rows.append((t("col.community_kind"), t("community_kind.village")))
        for column in (
            "resident_population",
            "households",
            "counted_workers",
            "per_10k_all" if village else "per_10k",
            "required",
            "gap",
            "licensed_rate",
        ):
            value = figures.staffing[column]
            rows.append((t(f"col.{column}"), formatting.metric(column, value, language)))
    for column in ("grids", "staffed_grids", "staffed_rate"):
        value = figures.grids[column]
        rows.append((t(f"col.{column}"), formatting.metric(column, value, language)))
    for row in figures.burden.itertuples():
        label = t("kpi.reduction", category=t(f"category.{row.category}"))
        rows.append((label, formatting.percent(row.reduction)))
    rows.append((t("profile.hires_12m"), formatting.integer(figures.projection.hires)))
    rows.append((t("profile.departures_12m"), formatting.integer(figures.projection.departures)))
    return pd.DataFrame(rows, columns=["metric", "value"])


def render() -> None:
    context = page_context()
    scope = context.scope
    page_header("page.profile", scope, context.units, context.is_demo)
    stop_if_empty(context.has_data)
    dissolution_note(context)
    if scope.level != "community":
        chooser(context)
        return
    status_style()
    figures = Figures(context)
    problem_section(context, figures)
    kpi_section(context, figures)
    population_section(context, figures)
    staff_section(context, figures)
    burden_section(context, figures)
    grid_section(context, figures)
    facility_section(context, figures)
    rank_section(context)
    st.subheader(t("profile.download"))
    table_with_downloads(
        summary_frame(context, figures),
        key="profile_summary",
        sheet_title=t("page.profile"),
        file_stem=context.file_stem("profile"),
        filters=context.filters_used(),
    )


render()
