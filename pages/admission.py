"""准入清单 Admission list: the list and how it changed, how departments are answered, and what
reached communities without admission (docs/admission.md)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import formatting
from dashboard.admission_charts import department_timing_chart, list_history_chart
from dashboard.components import (
    Kpi,
    kpi_row,
    page_header,
    signed_int,
    signed_points,
    status_legend,
    status_style,
    stop_if_empty,
)
from dashboard.context import PageContext, page_context
from dashboard.export import show_chart
from dashboard.filters import drill_to
from dashboard.i18n import fmt_decimal, fmt_int, fmt_month, fmt_pct, t
from dashboard.ready import stop_page
from dashboard.tables import table_with_downloads
from data_access.admission import (
    SHOWN_LISTS,
    AdmissionData,
    admission_by_unit,
    by_department,
    for_account,
    list_changes,
    list_counts,
    list_history,
    listed_on,
    not_admitted,
    sees_applications,
    timing_summary,
    unfunded,
    without_application_columns,
)
from data_access.figures import admission as admission_figures
from data_access.lights import light_of


def kpi_section(context: PageContext, data: AdmissionData, before: AdmissionData) -> None:
    scope, limit = context.scope, context.settings.admission_limit_working_days
    now_lists = list_counts(data.items, scope.as_of)
    then_lists = list_counts(data.items, scope.year_earlier().as_of)
    now, then = timing_summary(data.applications), timing_summary(before.applications)
    missing_now, missing_then = len(not_admitted(data.found)), len(not_admitted(before.found))
    kpis = [
        Kpi(f"admission_{name}", t(f"admission.list.{name}"), int(now_lists[name]), int(then_lists[name]), fmt_int, signed_int, higher_is_better=None)
        for name in SHOWN_LISTS
    ]  # fmt: skip
    kpis += [
        Kpi("admission_unfunded", t("admission.kpi.unfunded"), len(unfunded(data.items, scope.as_of)), len(unfunded(data.items, scope.year_earlier().as_of)), fmt_int, signed_int, higher_is_better=False, help=t("admission.kpi.unfunded_help")),
    ]  # fmt: skip
    if _sees_applications(context):
        kpis += [
            Kpi("admission_on_time", t("admission.kpi.on_time_share"), now["on_time_share"], then["on_time_share"], fmt_pct, signed_points, help=t("admission.kpi.on_time_help", limit=limit, on_time=fmt_int(now["decided_on_time"]), late=fmt_int(now["decided_late"]), overdue=fmt_int(now["overdue"])), status=light_of("on_time_share", now["on_time_share"], context.settings)),
            Kpi("admission_median", t("admission.kpi.median_days"), now["median_working_days"], then["median_working_days"], lambda v: fmt_decimal(v, formatting.METRIC_DECIMALS["median_working_days"]), lambda c: formatting.signed(c, formatting.METRIC_DECIMALS["median_working_days"]), higher_is_better=False, help=t("admission.kpi.median_help", worst=fmt_int(now["worst_working_days"]))),
            Kpi("admission_pending", t("admission.kpi.pending"), now["pending"], fmt=fmt_int, help=t("admission.kpi.pending_help", overdue=fmt_int(now["overdue"]), limit=limit)),
        ]  # fmt: skip
    kpis += [
        Kpi("admission_not_admitted", t("admission.kpi.not_admitted"), missing_now, missing_then, fmt_int, signed_int, higher_is_better=False, help=t("admission.kpi.not_admitted_help", months=context.settings.admission_found_months)),
    ]  # fmt: skip
    kpi_row(kpis)
    if _sees_applications(context):
        status_legend(context.settings.close_ratio)


def list_section(context: PageContext, data: AdmissionData) -> None:
    scope = context.scope
    st.subheader(t("admission.list_title"))
    history = list_history(data.items, scope.as_of)
    if history.empty:
        st.info(t("admission.no_list"))
        return
    labels = {
        day: (fmt_month(day) if day == scope.as_of else str(day.year))
        for day in history["day"].unique()
    }
    figure = list_history_chart(
        history, labels, t("admission.list_chart_title", month=fmt_month(scope.as_of)), t
    )
    show_chart(figure, context.file_stem("admission_list"), "admission_list_chart")
    st.caption(t("admission.list_caption"))
    changes, current = st.tabs([t("admission.tab_changes"), t("admission.tab_current")])
    with changes:
        table = list_changes(data.items, scope.as_of)
        table_with_downloads(
            _labelled(table.sort_values(["year", "list"], ascending=[False, True])),
            key="admission_changes",
            sheet_title=t("admission.changes_sheet"),
            file_stem=context.file_stem("admission_list_changes"),
            filters=context.filters_used(),
        )
    with current:
        on_list = data.items[listed_on(data.items, scope.as_of)].sort_values(
            ["list", "code"], key=_list_order
        )
        columns = ["code", "name", "list", "department", "basis", "admitted_on", "funded"]
        table_with_downloads(
            _labelled(on_list[columns]),
            key="admission_current",
            sheet_title=t("admission.current_sheet"),
            file_stem=context.file_stem("admission_list_items"),
            filters=context.filters_used(),
        )


def _list_order(column: pd.Series) -> pd.Series:
    if column.name == "list":
        return column.map({name: i for i, name in enumerate(SHOWN_LISTS)})
    return column


def _sees_applications(context: PageContext) -> bool:
    """Applications are the districts' and the city's: a street or community account sees none."""
    return sees_applications(context.principal.scope_code)


def applications_section(context: PageContext, data: AdmissionData) -> None:
    scope, limit = context.scope, context.settings.admission_limit_working_days
    st.subheader(t("admission.applications_title"))
    if not _sees_applications(context):
        st.info(t("admission.applications_kept"), icon=":material/account_balance:")
        return
    applications = data.applications
    scope_note = (
        "admission.applications_city" if scope.code is None else "admission.applications_district"
    )
    st.caption(
        t(
            scope_note,
            limit=limit,
            district=context.unit_name(scope.code[:6] if scope.code else None),
        )
    )
    if applications.empty:
        st.info(t("admission.no_applications"))
        return
    departments = by_department(applications)
    figure = department_timing_chart(
        departments,
        t(
            "admission.department_chart_title",
            # Applications go to a district or the city, never to a street or community.
            scope=context.unit_name(scope.code[:6] if scope.code else None),
            month=fmt_month(scope.as_of),
        ),
        t,
    )
    show_chart(figure, context.file_stem("admission_departments"), "admission_department_chart")
    table_with_downloads(
        departments,
        key="admission_departments",
        sheet_title=t("admission.departments_sheet"),
        file_stem=context.file_stem("admission_departments"),
        filters=context.filters_used(),
    )
    waiting, everything = st.tabs(
        [
            t("admission.tab_waiting", n=fmt_int(timing_summary(applications)["pending"])),
            t("admission.tab_all", n=fmt_int(len(applications))),
        ]
    )
    columns = [
        "id",
        "item_name",
        "department",
        "scope",
        "submitted_on",
        "deadline",
        "decided_on",
        "state",
        "working_days",
        "timing",
    ]
    shown = applications.sort_values(["submitted_on", "id"], ascending=[False, True])
    with waiting:
        pending = shown[shown["state"] == "pending"]
        if pending.empty:
            st.success(t("admission.none_waiting"))
        else:
            # Waiting ones have no decision yet: its columns would be empty.
            waiting_columns = [c for c in columns if c not in ("decided_on", "state")]
            _applications_table(
                context, pending[waiting_columns], "admission_waiting", "admission.waiting_sheet"
            )
    with everything:
        _applications_table(
            context, shown[[*columns, "reason"]], "admission_all", "admission.all_sheet"
        )
    if (applications["timing"] == "unknown").any():
        st.caption(t("admission.unknown_days"))


def _applications_table(context: PageContext, frame: pd.DataFrame, key: str, sheet: str) -> None:
    shown = frame.assign(
        scope=[
            t("scope.city") if pd.isna(code) else context.unit_name(code) for code in frame["scope"]
        ]
    )
    table_with_downloads(
        _labelled(shown),
        key=key,
        sheet_title=t(sheet),
        file_stem=context.file_stem(key),
        filters=context.filters_used(),
    )


def found_section(context: PageContext, data: AdmissionData) -> None:
    scope = context.scope
    st.subheader(t("admission.found_title"))
    st.caption(
        t("admission.found_caption", first=fmt_month(data.found_since), last=fmt_month(scope.as_of))
    )
    if data.found.empty:
        st.info(t("admission.no_found"))
        return
    level = scope.breakdown_level
    units = admission_by_unit(data, context.units, level, scope)
    if not _sees_applications(context):
        units = without_application_columns(units)
    table_key = f"admission_units_{scope.code or 'city'}"
    codes = list(units["code"])
    st.markdown(f"**{t('admission.units_title', level=t(f'level.{level}'))}**")
    table_with_downloads(
        units,
        key=table_key,
        sheet_title=t("admission.units_sheet"),
        file_stem=context.file_stem("admission"),
        filters=context.filters_used(),
        selectable=scope.level != "community",
        on_select=lambda: _drill_to_selected(table_key, codes),
    )
    if scope.level != "community":
        st.caption(t("overview.drill_hint"))
    missing = not_admitted(data.found)
    st.markdown(f"**{t('admission.not_admitted_title', n=fmt_int(len(missing)))}**")
    if missing.empty:
        st.success(t("admission.all_admitted"))
        return
    names = dict(zip(context.units["code"].tolist(), context.units["name"].tolist(), strict=True))
    shown = missing.assign(community_name=missing["community_code"].map(names))
    columns = [
        "community_code",
        "community_name",
        "period",
        "item",
        "item_name",
        "why_not",
        "source",
    ]
    table_with_downloads(
        _labelled(shown[columns]),
        key="admission_not_admitted",
        sheet_title=t("admission.not_admitted_sheet"),
        file_stem=context.file_stem("admission_not_admitted"),
        filters=context.filters_used(),
    )


def _drill_to_selected(table_key: str, codes: list[str]) -> None:
    rows = st.session_state[table_key].selection.rows
    if rows and rows[0] < len(codes):
        drill_to(codes[rows[0]], page="admission")


def unfunded_section(context: PageContext, data: AdmissionData) -> None:
    st.subheader(t("admission.unfunded_title"))
    st.caption(t("admission.unfunded_caption"))
    items = unfunded(data.items, context.scope.as_of)
    if items.empty:
        st.success(t("admission.all_funded"))
        return
    table_with_downloads(
        _labelled(items[["code", "name", "list", "department", "admitted_on", "funded"]]),
        key="admission_unfunded",
        sheet_title=t("admission.unfunded_sheet"),
        file_stem=context.file_stem("admission_unfunded"),
        filters=context.filters_used(),
    )


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """Value codes as words of the UI language (dates and months are written by the table)."""
    shown = frame.copy()
    labels = {"list": "admission.list", "funded": "admission.funded", "state": "admission.decision", "timing": "admission.timing", "source": "admission.source", "why_not": "admission.why_not"}  # fmt: skip
    for column, prefix in labels.items():
        if column in shown:
            shown[column] = ["—" if pd.isna(v) else t(f"{prefix}.{v}") for v in shown[column]]
    if "year" in shown:
        shown["year"] = shown["year"].astype(str)
    return shown


def render() -> None:
    context = page_context()
    scope, settings = context.scope, context.settings
    page_header("page.admission", scope, context.units, context.is_demo)
    stop_if_empty(context.has_data)
    status_style()
    account = context.principal.scope_code
    data = for_account(admission_figures.admission_data(context.engine, scope, settings), account)
    if data.items.empty and data.applications.empty and data.found.empty:
        st.info(t("admission.no_data"), icon=":material/checklist:")
        stop_page()
    before = for_account(
        admission_figures.admission_data(context.engine, scope.year_earlier(), settings), account
    )
    kpi_section(context, data, before)
    list_section(context, data)
    applications_section(context, data)
    found_section(context, data)
    unfunded_section(context, data)


render()
