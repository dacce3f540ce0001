"""配备测算 Staffing planner: where new posts go and what they buy (docs/metrics.md §3)."""

from __future__ import annotations

import html
from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard import formatting
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
from dashboard.i18n import current_language, fmt_day, fmt_decimal, fmt_int, labeller, t, text_in
from dashboard.planner_charts import gap_closure_bars
from dashboard.planner_export import (
    BRIEF_PARAM,
    columns_for,
    comparison_headers,
    plan_csv,
    plan_workbook,
)
from dashboard.ready import stop_page
from dashboard.report import TABLE_RULES, is_report, pdf_button, table_html
from dashboard.tables import table_with_downloads
from data_access.figures import staffing as staffing_figures
from data_access.planner import (
    RULES,
    SURPLUS_USES,
    Figures,
    Plan,
    PlanOptions,
    RuleComparison,
    allocation,
    compare_rules,
    counted_workers,
    plan_by_unit,
    unassessed,
)
from data_access.scope import CODE_LENGTH, LEVELS

MAX_POSTS = 1_000_000
# The leader's own choice of rule, kept apart from the radio's value: without one, the radio
# shows the recommended rule of the inputs of this run, and a report's URL carries no rule.
RULE_CHOICE = "plan_rule"
RULE_WIDGET = "plan_rule_shown"
RECOMMENDED = "_plan_recommended"
PRINTING_BRIEF = "_plan_brief"  # this report session prints the one-page briefing of the plan
BRIEF_ROWS = 15  # units listed in the one-page briefing; the workbook holds them all
DEFAULTS: dict[str, object] = {
    "plan_posts": 200,
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


def seed_inputs(given: dict[str, str], workers: int) -> None:
    """The inputs of a report's URL, else what the session has, else the defaults."""
    for key, parse in URL_PARSERS.items():
        value = parse(given[key]) if key in given else None
        if value is not None:
            st.session_state[key] = value
        elif key not in st.session_state and key in DEFAULTS:
            st.session_state[key] = DEFAULTS[key]
    if st.session_state.get(RULE_CHOICE) not in RULES:
        st.session_state.pop(RULE_CHOICE, None)
    st.session_state["plan_departures"] = min(int(st.session_state["plan_departures"]), workers)


def current_options(rule: str) -> PlanOptions:
    return PlanOptions(
        posts=int(st.session_state["plan_posts"]),
        rule=rule,
        departures=int(st.session_state["plan_departures"]),
        growth=bool(st.session_state["plan_growth"]),
        surplus=st.session_state["plan_surplus"],
    )


def chosen_rule(recommended: str) -> str:
    """The rule the leader chose, else the recommended one."""
    return str(st.session_state.get(RULE_CHOICE, recommended))


def _rule_picked() -> None:
    """Picking the recommended rule goes back to following the recommendation."""
    picked = st.session_state[RULE_WIDGET]
    if picked == st.session_state.get(RECOMMENDED):
        st.session_state.pop(RULE_CHOICE, None)
    else:
        st.session_state[RULE_CHOICE] = picked


def rule_label(recommended: str | None) -> Callable[[object], str]:
    """The rule's name, marked when it is the recommended one."""
    name = labeller("planner.rule")
    mark = t("planner.recommended_mark")
    return lambda rule: name(rule) + (mark if rule == recommended else "")


def inputs(workers: int, recommended: str | None) -> PlanOptions:
    """The assumptions as widgets (as text in a report); the rule shown is the leader's choice,
    else the recommended one."""
    rule = chosen_rule(recommended or RULES[0])
    if is_report():  # a printout shows the assumptions as text: widgets do not print
        options = current_options(rule)
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
        st.session_state[RECOMMENDED] = recommended
        st.session_state[RULE_WIDGET] = rule
        middle.radio(
            t("planner.rule"),
            RULES,
            format_func=rule_label(recommended),
            captions=[t(f"planner.rule.{rule}.explain") for rule in RULES],
            key=RULE_WIDGET,
            on_change=_rule_picked,
        )
        right.toggle(t("planner.growth"), key="plan_growth", help=t("planner.growth_help"))
        right.radio(
            t("planner.surplus"),
            SURPLUS_USES,
            format_func=labeller("planner.surplus"),
            key="plan_surplus",
            help=t("planner.surplus_help"),
        )
    return current_options(rule)


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
        st.dataframe(frame, hide_index=True, key=key, placeholder=formatting.MISSING)


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


def opening(comparison: RuleComparison, rule: str, posts: int) -> str:
    """The plan's conclusion in one sentence: the posts, the rule and what they reach."""
    outcome = comparison.outcome(rule)
    return t(
        "planner.opening",
        posts=fmt_int(posts),
        rule=t(f"planner.rule.{rule}"),
        meeting=fmt_int(outcome.communities_meeting),
        assessed=fmt_int(outcome.communities_assessed),
        gap=fmt_int(outcome.gap_after),
        per_10k=fmt_decimal(outcome.per_10k),
    )


def reason(comparison: RuleComparison) -> str:
    """Why the recommended rule is recommended, in one sentence (docs/metrics.md, staffing plan)."""
    best, other = comparison.outcomes[0], comparison.runner_up
    return t(
        f"planner.reason.{comparison.decided_by}",
        rule=t(f"planner.rule.{best.rule}"),
        other=t(f"planner.rule.{other.rule}"),
        more=fmt_int(best.communities_meeting - other.communities_meeting),
        meeting=fmt_int(best.communities_meeting),
        one_short=fmt_int(best.one_short),
        other_one_short=fmt_int(other.one_short),
    )


def chosen_other(comparison: RuleComparison, rule: str) -> str | None:
    """What the chosen rule gives, when it is not the recommended one (and gives other posts)."""
    if rule == comparison.recommended or comparison.decided_by == "same":
        return None
    outcome = comparison.outcome(rule)
    return t(
        "planner.chosen_other",
        rule=t(f"planner.rule.{rule}"),
        meeting=fmt_int(outcome.communities_meeting),
        assessed=fmt_int(outcome.communities_assessed),
        one_short=fmt_int(outcome.one_short),
    )


def comparison_shown(comparison: RuleComparison, rule: str) -> pd.DataFrame:
    """The rules side by side as text, the recommended first and marked, the chosen one named."""
    frame = comparison.frame()
    mark, chosen = t("planner.recommended_mark"), t("planner.chosen_mark")
    names = [
        t(f"planner.rule.{name}")
        + (mark if recommended else "")
        + (chosen if name == rule and not recommended else "")
        for name, recommended in zip(frame["rule"], frame["recommended"], strict=True)
    ]
    headers = comparison_headers(t)
    return pd.DataFrame(
        {
            headers["rule"]: names,
            headers["communities_meeting"]: [
                f"{fmt_int(meeting)} / {fmt_int(assessed)}"
                for meeting, assessed in zip(
                    frame["communities_meeting"], frame["communities_assessed"], strict=True
                )
            ],
            headers["one_short"]: frame["one_short"].map(fmt_int),
            headers["gap_after"]: frame["gap_after"].map(fmt_int),
            headers["per_10k"]: frame["per_10k"].map(fmt_decimal),
            headers["receiving"]: frame["receiving"].map(fmt_int),
        }
    )


def decision(comparison: RuleComparison, rule: str, posts: int) -> None:
    """The conclusion, the recommendation and its reason, and the rules side by side."""
    st.subheader(t("planner.compare.title"))
    st.success(
        f"{opening(comparison, rule, posts)} {reason(comparison)}", icon=":material/recommend:"
    )
    other = chosen_other(comparison, rule)
    if other is not None:
        st.warning(other, icon=":material/info:")
    small_table(comparison_shown(comparison, rule), "planner_compare")
    st.caption(t("planner.compare.note"))


def chart_level(context: PageContext) -> str:
    """The level the chart and the allocation table show first: the scope's children."""
    scope = context.scope
    return "community" if scope.level in ("street", "community") else scope.child_level


def chart(context: PageContext, plan: Plan) -> None:
    scope = context.scope
    units = plan_by_unit(plan.communities, CODE_LENGTH[chart_level(context)])
    units["name"] = units["code"].map(context.unit_name)
    st.subheader(t("planner.section.chart"))
    title = t(
        "planner.chart.title",
        scope=context.unit_name(scope.code),
        date=fmt_day(scope.as_of),
    )
    show_chart(gap_closure_bars(units, title, t), context.file_stem("planner"), "planner_chart")


def unit_names(context: PageContext) -> dict[str, str]:
    return dict(zip(context.units["code"].tolist(), context.units["name"].tolist(), strict=True))


def table_levels(context: PageContext) -> list[str]:
    """The levels below the scope, down to the community."""
    if context.scope.level == "community":
        return ["community"]
    return list(LEVELS[LEVELS.index(context.scope.child_level) : LEVELS.index("community") + 1])


def total_sentence(rows: pd.DataFrame, level: str) -> str:
    """The totals of an allocation table: the same at every level, and the chart's."""
    return t(
        "planner.table.total",
        units=fmt_int(len(rows)),
        level=t(f"level.{level}"),
        gap_before=fmt_int(int(rows["gap_before"].sum())),
        added=fmt_int(int(rows["added"].sum())),
        gap_after=fmt_int(int(rows["gap_after"].sum())),
    )


def allocation_table(context: PageContext, plan: Plan, options: PlanOptions) -> None:
    """Where the posts go, per unit at a level the reader picks (the chart's first); a printed
    report has the chart's level and every community."""
    st.subheader(t("planner.section.table"))
    levels = table_levels(context)
    shown = [levels[0]]
    if is_report():
        shown = list(dict.fromkeys([levels[0], "community"]))
    elif len(levels) > 1:
        picked = st.segmented_control(
            t("planner.table.level"),
            levels,
            default=levels[0],
            format_func=labeller("level"),
            key="planner_level",
        )
        shown = [picked or levels[0]]
    for level in shown:
        rows = allocation(plan.communities, level, unit_names(context), CODE_LENGTH)
        table_with_downloads(
            columns_for(rows, options, context.scope.level),
            key=f"planner_table_{level}",
            sheet_title=t("planner.sheet.by", level=t(f"level.{level}")),
            file_stem=context.file_stem("planner") + "_" + t(f"level.{level}"),
            filters=options_used(context, options),
            total=True,
        )
        st.caption(total_sentence(rows, level))


def plan_files(
    context: PageContext, comparison: RuleComparison, plan: Plan, options: PlanOptions
) -> None:
    """The plan as a CSV of every community, a workbook and the one-page briefing."""
    st.subheader(t("planner.export.title"))
    names = unit_names(context)
    level = chart_level(context)
    communities = columns_for(
        allocation(plan.communities, "community", names, CODE_LENGTH), options
    )
    units = allocation(plan.communities, level, names, CODE_LENGTH)
    stem = context.file_stem("planner")
    title = t(
        "export.title",
        what=t("planner.sheet"),
        scope=context.unit_name(context.scope.code),
        date=fmt_day(context.scope.as_of),
    )
    text = text_in(current_language())  # the files are written after this run
    filters = options_used(context, options)
    row = st.container(horizontal=True)
    row.download_button(
        t("planner.export.csv"),
        data=lambda: plan_csv(communities, text),
        file_name=f"{stem}.csv",
        mime="text/csv",
        key="planner_plan_csv",
        icon=":material/download:",
        on_click="ignore",
    )
    row.download_button(
        t("planner.export.xlsx"),
        data=lambda: plan_workbook(comparison, units, level, communities, title, filters, text),
        file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="planner_plan_xlsx",
        icon=":material/table_view:",
        on_click="ignore",
    )
    pdf_button(
        row,
        "planner",
        {BRIEF_PARAM: "1"},
        label=t("planner.brief.pdf"),
        file_stem=context.file_stem("plan_brief"),
        key="planner_plan_pdf",
        help=t("planner.brief.pdf_help"),
    )


BRIEF_CSS = (
    "<style>"
    + TABLE_RULES
    + """
.plan-brief-headline p { font-size: 1.1rem; font-weight: 600; margin: 0 0 6px; }
.plan-brief p { margin: 0 0 6px; }
.plan-brief h4 { margin: 10px 0 4px; }
"""
    + "</style>"
)


def brief(
    context: PageContext, comparison: RuleComparison, plan: Plan, options: PlanOptions
) -> None:
    """The plan on one A4 page: the conclusion and its reason, the assumptions, the rules side by
    side and where the posts go at the chart's level (its first BRIEF_ROWS units)."""
    st.html(BRIEF_CSS)
    st.html('<div class="report-one-page"></div>')  # the renderer fits this page on one sheet
    sentences = [opening(comparison, options.rule, options.posts), reason(comparison)]
    other = chosen_other(comparison, options.rule)
    if other is not None:
        sentences.append(other)
    st.html(
        '<div class="plan-brief-headline">'
        + "".join(f"<p>{html.escape(sentence)}</p>" for sentence in sentences)
        + "</div>"
    )
    colon = "：" if current_language() == "zh" else ": "
    shown = " · ".join(f"{name}{colon}{value}" for name, value in assumptions(options).items())
    level = chart_level(context)
    rows = allocation(plan.communities, level, unit_names(context), CODE_LENGTH)
    listed = columns_for(rows.head(BRIEF_ROWS), options, context.scope.level)
    headers = {
        column: t(f"col.{column}")
        for column in (
            "district_name",
            "street_name",
            "name",
            "code",
            "gap_before",
            "added",
            "gap_after",
        )
    }
    table = listed[[column for column in headers if column in listed.columns]].rename(
        columns=headers
    )
    numeric = {headers["gap_before"], headers["added"], headers["gap_after"]}
    total = total_sentence(rows, level)
    compared = comparison_shown(comparison, options.rule)
    parts = [
        f"<p>{html.escape(t('planner.inputs'))}{html.escape(colon)}{html.escape(shown)}</p>",
        f"<h4>{html.escape(t('planner.compare.title'))}</h4>",
        table_html(compared, {}, set(compared.columns[1:])),
        f"<p>{html.escape(t('planner.compare.note'))}</p>",
        f"<h4>{html.escape(t('planner.brief.where', level=t(f'level.{level}')))}</h4>",
        table_html(table, {column: fmt_int for column in numeric}, numeric),
        f"<p>{html.escape(total)}</p>",
    ]
    if len(rows) > BRIEF_ROWS:
        more = t(
            "planner.brief.more_units", n=fmt_int(len(rows) - BRIEF_ROWS), level=t(f"level.{level}")
        )
        parts.append(f"<p>{html.escape(more)}</p>")
    st.html('<div class="plan-brief">' + "".join(parts) + "</div>")


def render() -> None:
    context = page_context()
    scope, settings = context.scope, context.settings
    given = url_inputs()
    if is_report() and given.get(BRIEF_PARAM) == "1":  # a report session draws one view
        st.session_state[PRINTING_BRIEF] = True
    printing_brief = bool(st.session_state.get(PRINTING_BRIEF))
    title = "planner.brief.title" if printing_brief else "page.planner"
    page_header(title, scope, context.units, context.is_demo)
    stop_if_empty(context.has_data)
    communities = staffing_figures.staffing_by_unit(context.engine, scope, settings, "community")
    history = staffing_figures.population_by_year(context.engine, scope)
    workers = counted_workers(communities)
    seed_inputs(given, workers)
    if communities["resident_population"].isna().all():
        inputs(workers, None)
        st.info(t("planner.no_population"), icon=":material/info:")
        stop_page()
    comparison = compare_rules(
        communities, current_options(RULES[0]), settings, history, scope.as_of.year
    )
    if printing_brief:
        rule = chosen_rule(comparison.recommended)
        brief(context, comparison, comparison.plans[rule], current_options(rule))
        return
    options = inputs(workers, comparison.recommended)
    plan = comparison.plans[options.rule]
    if scope.level == "community":
        st.caption(t("planner.community_scope"))
    left_out = unassessed(communities)
    if left_out:
        st.caption(t("planner.unassessed", n=fmt_int(left_out)))
    if scope.level != "community":  # one community: every rule gives it the same posts
        decision(comparison, options.rule, options.posts)
    minimum = settings.minimum_workers
    summary(plan, minimum, settings.standard_per_10k)
    kpis(plan, minimum)
    effect_table(plan, options, minimum)
    needed_table(plan, options, settings.standard_per_10k)
    if scope.level != "community":  # one community: the table says it all
        chart(context, plan)
    allocation_table(context, plan, options)
    if not is_report():
        plan_files(context, comparison, plan, options)


render()
