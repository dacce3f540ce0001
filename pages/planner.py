"""配备测算 Staffing planner: where new posts go and what they buy (docs/metrics.md §3)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard.components import (
    Kpi,
    kpi_row,
    page_header,
    signed_decimal,
    signed_int,
    stop_if_empty,
)
from dashboard.context import PageContext, page_context
from dashboard.export import show_chart
from dashboard.filters import url_inputs
from dashboard.i18n import fmt_decimal, fmt_int, labeller, t
from dashboard.planner_charts import gap_closure_bars
from dashboard.ready import stop_page
from dashboard.report import is_report, table_html
from dashboard.tables import table_with_downloads
from data_access.figures import staffing as staffing_figures
from data_access.planner import (
    RULES,
    SURPLUS_USES,
    Figures,
    Plan,
    PlanOptions,
    counted_workers,
    make_plan,
    plan_by_unit,
    unassessed,
)
from data_access.scope import CODE_LENGTH

MAX_POSTS = 1_000_000
DEFAULTS: dict[str, object] = {
    "plan_posts": 200,
    "plan_rule": RULES[0],
    "plan_departures": 0,
    "plan_growth": False,
    "plan_surplus": SURPLUS_USES[0],
}


def _count(text: str) -> int | None:
    return int(text) if text.isdigit() and int(text) <= MAX_POSTS else None


URL_PARSERS: dict[str, Callable[[str], object]] = {
    "plan_posts": _count,
    "plan_departures": _count,
    "plan_rule": lambda text: text if text in RULES else None,
    "plan_growth": {"1": True, "0": False}.get,
    "plan_surplus": lambda text: text if text in SURPLUS_USES else None,
}


def seed_inputs(workers: int) -> None:
    """The inputs of a report's URL, else what the session has, else the defaults."""
    given = url_inputs()
    for key, default in DEFAULTS.items():
        value = URL_PARSERS[key](given[key]) if key in given else None
        if value is not None:
            st.session_state[key] = value
        elif key not in st.session_state:
            st.session_state[key] = default
    st.session_state["plan_departures"] = min(int(st.session_state["plan_departures"]), workers)


def current_options() -> PlanOptions:
    return PlanOptions(
        posts=int(st.session_state["plan_posts"]),
        rule=st.session_state["plan_rule"],
        departures=int(st.session_state["plan_departures"]),
        growth=bool(st.session_state["plan_growth"]),
        surplus=st.session_state["plan_surplus"],
    )


def inputs(workers: int) -> PlanOptions:
    seed_inputs(workers)
    if is_report():  # a printout shows the assumptions as text: widgets do not print
        options = current_options()
        st.subheader(t("planner.inputs"))
        shown = pd.DataFrame(list(assumptions(options).items()), columns=["a", "b"])
        shown.columns = [t("export.filter"), t("export.value")]
        st.html(table_html(shown, {}, set()))
        st.caption(t(f"planner.rule.{options.rule}.explain"))
        return options
    with st.container(border=True):
        st.subheader(t("planner.inputs"))
        left, middle, right = st.columns([1, 2, 1.4])
        left.number_input(
            t("planner.posts"), min_value=0, max_value=MAX_POSTS, step=10, key="plan_posts",
            help=t("planner.posts_help"),
        )  # fmt: skip
        left.number_input(
            t("planner.departures"), min_value=0, max_value=workers, step=1,
            key="plan_departures", help=t("planner.departures_help"),
        )  # fmt: skip
        middle.radio(
            t("planner.rule"),
            RULES,
            format_func=labeller("planner.rule"),
            captions=[t(f"planner.rule.{rule}.explain") for rule in RULES],
            key="plan_rule",
        )
        right.toggle(t("planner.growth"), key="plan_growth", help=t("planner.growth_help"))
        right.radio(
            t("planner.surplus"),
            SURPLUS_USES,
            format_func=labeller("planner.surplus"),
            key="plan_surplus",
            help=t("planner.surplus_help"),
        )
    return current_options()


def options_used(context: PageContext, options: PlanOptions) -> dict[str, str]:
    """The filters and the plan's assumptions, for the filters sheet of the export."""
    return {**context.filters_used(), **assumptions(options)}


def assumptions(options: PlanOptions) -> dict[str, str]:
    return {
        t("planner.posts"): fmt_int(options.posts),
        t("planner.rule"): t(f"planner.rule.{options.rule}"),
        t("planner.departures"): fmt_int(options.departures),
        t("planner.growth"): t("yes" if options.growth else "no"),
        t("planner.surplus"): t(f"planner.surplus.{options.surplus}"),
    }


def summary(plan: Plan, minimum: int, standard: float) -> None:
    now, after = plan.now, plan.after
    st.info(
        t(
            "planner.summary",
            posts=fmt_int(plan.posts),
            allocated=fmt_int(plan.allocated),
            communities=fmt_int(plan.receiving),
            per_10k_now=fmt_decimal(now.per_10k),
            per_10k_after=fmt_decimal(after.per_10k),
            standard=fmt_decimal(standard, 0),
            meeting_now=fmt_int(now.communities_meeting),
            meeting_after=fmt_int(after.communities_meeting),
            assessed=fmt_int(after.communities_assessed),
            gap_now=fmt_int(now.gap),
            gap_after=fmt_int(after.gap),
            minimum=minimum,
            below_now=fmt_int(now.below_minimum),
            below_after=fmt_int(after.below_minimum),
        ),
        icon=":material/calculate:",
    )
    if plan.surplus:
        key = "planner.surplus_left" if plan.unallocated else "planner.surplus_spread"
        st.warning(t(key, n=fmt_int(plan.surplus)), icon=":material/info:")


def kpis(plan: Plan, minimum: int) -> None:
    now, after, vs_now = plan.now, plan.after, t("planner.vs_now")
    kpi_row(
        [
            Kpi("per_10k", t("planner.kpi.per_10k"), after.per_10k, now.per_10k, fmt_decimal, signed_decimal, compared_with=vs_now),
            Kpi("meeting", t("planner.kpi.meeting"), after.communities_meeting, now.communities_meeting, lambda v: f"{fmt_int(v)} / {fmt_int(after.communities_assessed)}", signed_int, compared_with=vs_now),
            Kpi("gap", t("planner.kpi.gap"), after.gap, now.gap, fmt_int, signed_int, higher_is_better=False, compared_with=vs_now),
            Kpi("below_minimum", t("planner.kpi.below_minimum", minimum=minimum), after.below_minimum, now.below_minimum, fmt_int, signed_int, higher_is_better=False, help=t("planner.kpi.below_minimum_help", minimum=minimum), compared_with=vs_now),
            Kpi("allocated", t("planner.kpi.allocated"), plan.allocated, fmt=lambda v: f"{fmt_int(v)} / {fmt_int(plan.posts)}", help=t("planner.kpi.allocated_help", n=fmt_int(plan.unallocated))),
        ],
        columns=5,
    )  # fmt: skip


def effect_table(plan: Plan, options: PlanOptions, minimum: int) -> None:
    """Now, the plan year without new posts and with the plan, side by side."""
    st.subheader(t("planner.section.effect"))
    st.caption(
        t(
            "planner.plan_year",
            growth=t("planner.plan_year_growth") if options.growth else "",
        )
    )
    rows: list[tuple[str, Callable[[Figures], str]]] = [
        (t("planner.effect.per_10k"), lambda f: fmt_decimal(f.per_10k)),
        (t("planner.effect.counted"), lambda f: fmt_int(f.counted_workers)),
        (t("planner.effect.required"), lambda f: fmt_int(f.required)),
        (t("planner.effect.gap"), lambda f: fmt_int(f.gap)),
        (
            t("planner.effect.meeting"),
            lambda f: f"{fmt_int(f.communities_meeting)} / {fmt_int(f.communities_assessed)}",
        ),
        (t("planner.effect.below_minimum", minimum=minimum), lambda f: fmt_int(f.below_minimum)),
        (t("planner.effect.population"), lambda f: fmt_int(f.resident_population)),
    ]
    states: list[tuple[str, Figures]] = [
        (t("planner.effect.now"), plan.now),
        (t("planner.effect.without"), plan.without_posts),
        (t("planner.effect.with"), plan.after),
    ]
    frame = pd.DataFrame(
        {
            t("planner.effect.metric"): [label for label, _ in rows],
            **{name: [shown(figures) for _, shown in rows] for name, figures in states},
        }
    )
    small_table(frame, "planner_effect")


def small_table(frame: pd.DataFrame, key: str) -> None:
    """A few rows of text already written for people; a printed report gets a static table."""
    if is_report():
        st.html(table_html(frame, {}, set()))
    else:
        st.dataframe(frame, hide_index=True, key=key)


def needed_table(plan: Plan, options: PlanOptions, standard: float) -> None:
    st.subheader(t("planner.section.needed"))
    columns = {t("planner.needed.now"): plan.needed}
    if plan.needed_with_growth is not None:
        columns[t("planner.needed.growth")] = plan.needed_with_growth
    frame = pd.DataFrame(
        {
            t("planner.needed.what"): [
                t("planner.needed.every"),
                t("planner.needed.area", standard=fmt_decimal(standard, 0)),
            ],
            **{
                name: [fmt_int(needed.every_community), fmt_int(needed.area)]
                for name, needed in columns.items()
            },
        }
    )
    small_table(frame, "planner_needed")
    st.caption(t("planner.needed.note", departures=fmt_int(options.departures)))


def chart(context: PageContext, plan: Plan) -> None:
    scope = context.scope
    level = "community" if scope.level in ("street", "community") else scope.child_level
    units = plan_by_unit(plan.communities, CODE_LENGTH[level])
    units["name"] = units["code"].map(context.unit_name)
    st.subheader(t("planner.section.chart"))
    title = t(
        "planner.chart.title",
        scope=context.unit_name(scope.code),
        date=scope.as_of.isoformat(),
    )
    show_chart(gap_closure_bars(units, title, t), context.file_stem("planner"), "planner_chart")


def allocation_table(context: PageContext, plan: Plan, options: PlanOptions) -> None:
    rows = plan.communities.rename(columns={"counted_workers": "counted_before"})
    rows.insert(2, "district_name", rows["code"].str[:6].map(context.unit_name))
    rows.insert(3, "street_name", rows["code"].str[:9].map(context.unit_name))
    # Where the posts go first; the code last, for whoever matches the table to other lists.
    columns = [
        "name", "district_name", "street_name", "added", "counted_before", "departures",
        "counted_after", "required", "gap_before", "gap_after", "resident_population",
        "population_plan", "code",
    ]  # fmt: skip
    if not options.growth:
        columns.remove("population_plan")
    if not options.departures:
        columns.remove("departures")
    ordered = rows.sort_values(["added", "gap_after", "code"], ascending=[False, False, True])
    st.subheader(t("planner.section.table"))
    table_with_downloads(
        ordered[columns],
        key="planner_table",
        sheet_title=t("planner.sheet"),
        file_stem=context.file_stem("planner"),
        filters=options_used(context, options),
        total=True,
    )


def render() -> None:
    context = page_context()
    scope, settings = context.scope, context.settings
    page_header("page.planner", scope, context.units, context.is_demo)
    stop_if_empty(context.has_data)
    communities = staffing_figures.staffing_by_unit(context.engine, scope, settings, "community")
    history = staffing_figures.population_by_year(context.engine, scope)
    options = inputs(counted_workers(communities))
    if communities["resident_population"].isna().all():
        st.info(t("planner.no_population"), icon=":material/info:")
        stop_page()
    if scope.level == "community":
        st.caption(t("planner.community_scope"))
    plan = make_plan(communities, options, settings, history, scope.as_of.year)
    left_out = unassessed(communities)
    if left_out:
        st.caption(t("planner.unassessed", n=fmt_int(left_out)))
    minimum = settings.minimum_workers
    summary(plan, minimum, settings.standard_per_10k)
    kpis(plan, minimum)
    effect_table(plan, options, minimum)
    needed_table(plan, options, settings.standard_per_10k)
    if scope.level != "community":  # one community: the table says it all
        chart(context, plan)
    allocation_table(context, plan, options)


render()
