"""数据管理 Data: templates, upload with a validation report, import history, full export (docs/architecture.md §4).

Import shows only to importers and administrators, the audit and the accounts only to
administrators; the full export is of the account's own area (docs/accounts.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard.auth import audit_engine, current_principal
from dashboard.components import page_header
from dashboard.context import PageContext, page_context
from dashboard.database import writer_url
from dashboard.i18n import current_language, fmt_time, t
from dashboard.plain import escape_markdown, t_plain
from dashboard.tables import table_with_downloads
from data_access import access
from data_access.accounts import (
    MIN_PASSWORD,
    AccountError,
    add_account,
    audit_events,
    audit_kinds,
    checked_scope,
    disable_account,
    enable_account,
    list_accounts,
    map_identity,
    may_manage,
    principal_by_name,
    set_password,
    unlock_account,
)
from data_access.db import get_writer_engine
from data_access.figures import lookups
from data_access.importing import SPECS, ImportReport, Problem, Upload, message, run_import
from data_access.importing.export_all import export_all, export_workbook, export_zip
from data_access.importing.specs import KIND_ORDER, Column
from data_access.importing.templates import template_workbook, template_zip
from data_access.models import ACCOUNT_ROLES, CITY
from data_access.scope import CODE_LENGTH

logger = logging.getLogger(__name__)
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HISTORY_ROWS = 200
_REPORT = "data_report"
_UPLOADER_ROUND = "data_uploader_round"


def kind_label(kind: str) -> str:
    return t(f"data.kind.{kind}") if kind in (*SPECS, "demo") else kind


def format_label(column: Column) -> str:
    if column.kind == "code":
        return t("data.format.code", length=CODE_LENGTH[column.level or "grid"])
    if column.kind == "choice" and column.labels:
        return t("data.format.choice", allowed="、".join(column.labels.values()))
    return t(f"data.format.{column.kind}")


def reference_frame() -> pd.DataFrame:
    """Every template column: table, header, English name, required and format."""
    rows = [
        {
            "table": kind_label(kind),
            "header": column.header,
            "field": column.name,
            "mandatory": t("yes") if column.required else "",
            "format": format_label(column),
        }
        for kind in KIND_ORDER
        for column in SPECS[kind].template_columns
    ]
    return pd.DataFrame(rows)


def templates_section(context: PageContext) -> None:
    st.subheader(t("data.templates"))
    st.caption(t("data.templates_help"))
    row = st.container(horizontal=True)
    row.download_button(
        t("data.template_xlsx"),
        data=template_workbook,
        file_name="社区治理数据导入模板.xlsx",
        mime=XLSX_MIME,
        key="data_template_xlsx",
        icon=":material/table_view:",
        on_click="ignore",
    )
    row.download_button(
        t("data.template_zip"),
        data=template_zip,
        file_name="社区治理数据导入模板_csv.zip",
        mime="application/zip",
        key="data_template_zip",
        icon=":material/folder_zip:",
        on_click="ignore",
    )
    with st.expander(t("data.reference")):
        table_with_downloads(
            reference_frame(),
            key="data_reference",
            sheet_title=t("data.reference_sheet"),
            file_stem="import_columns",
            filters=context.filters_used(),
        )


def _progress_reporter(bar: object) -> object:
    shares = {"read": (0.0, 0.05), "validate": (0.05, 0.55), "write": (0.6, 0.4)}

    def report(phase: str, done: int, total: int) -> None:
        start, share = shares[phase]
        fraction = start + share * (done / total if total else 1.0)
        label = t(f"data.phase.{phase}", done=f"{done:,}", total=f"{total:,}")
        bar.progress(min(fraction, 1.0), text=label)  # type: ignore[attr-defined]

    return report


def _run(context: PageContext, files: list, dry_run: bool) -> ImportReport:
    principal = context.principal
    access.require_role(principal, "importer", "import", audit_engine())
    try:
        uploads = [Upload.of(f.name, f.getvalue()) for f in files]
    except Exception:  # the upload itself broke: logged with an incident id, like a failed import
        incident = secrets.token_hex(4)
        logger.exception("upload failed: incident %s", incident)
        problem = Problem("—", "unexpected", params={"incident": incident})
        return ImportReport("failed", [problem], incident=incident)
    bar = st.progress(0.0, text=t("data.phase.read"))
    report = run_import(
        get_writer_engine(writer_url()),
        uploads,
        max_bytes=context.settings.import_max_bytes,
        language=current_language(),
        dry_run=dry_run,
        progress=_progress_reporter(bar),  # type: ignore[arg-type]
        account=principal.name if context.settings.auth_mode != "none" else None,
        scope_code=principal.scope_code,
    )
    bar.empty()
    if not dry_run:
        files_named = ", ".join(u.name for u in uploads)
        access.record(
            audit_engine(),
            "import",
            principal.name,
            principal.scope_label,
            f"{report.status}: {files_named}",
        )
    return report


def upload_section(context: PageContext) -> None:
    st.subheader(t("data.upload"))
    round_ = st.session_state.get(_UPLOADER_ROUND, 0)
    files = st.file_uploader(
        t("data.upload_label"),
        type=["xlsx", "csv", "geojson", "json", "zip"],
        accept_multiple_files=True,
        key=f"data_upload_{round_}",
        help=t("data.upload_help"),
        max_upload_size=context.settings.import_max_mb,
    )
    # Streamlit draws the uploader's own texts in English; say what they mean in Chinese.
    explanation = t("data.uploader_english", mb=context.settings.import_max_mb)
    if explanation:
        st.caption(explanation)
    row = st.container(horizontal=True)
    check = row.button(
        t("data.check"), key="data_check", disabled=not files, icon=":material/rule:"
    )
    load = row.button(
        t("data.import"),
        key="data_import",
        type="primary",
        disabled=not files,
        icon=":material/upload:",
    )
    if files and (check or load):
        report = _run(context, files, dry_run=check)
        st.session_state[_REPORT] = report
        if report.accepted:
            st.cache_data.clear()  # every page shows the new numbers at once
            st.session_state[_UPLOADER_ROUND] = round_ + 1
            st.rerun()
    report = st.session_state.get(_REPORT)
    if report is not None:
        report_section(context, report)


def report_section(context: PageContext, report: ImportReport) -> None:
    rows = sum(part.rows for part in report.parts)
    if report.status == "failed":  # one sentence with the incident id; the server log has the rest
        st.error(
            "\n\n".join(escape_markdown(message(p, current_language())) for p in report.problems),
            icon=":material/error:",
        )
        return
    if report.problems:
        key = "data.refused" if report.status == "refused" else "data.problems_found"
        count = report.total_problems or len(report.problems)
        st.error(t(key, n=f"{count:,}"), icon=":material/error:")
        table_with_downloads(
            problem_frame(report),
            key="data_problems",
            sheet_title=t("data.report_sheet"),
            file_stem="import_problems",
            filters=context.filters_used(),
        )
    else:
        key = "data.accepted" if report.accepted else "data.checked"
        st.success(
            t(key, files=len(report.parts), rows=f"{rows:,}"), icon=":material/check_circle:"
        )
        table_with_downloads(
            parts_frame(report),
            key="data_parts",
            sheet_title=t("data.parts_sheet"),
            file_stem="import_result",
            filters=context.filters_used(),
        )
    if report.skipped:
        st.caption(t_plain("data.skipped", files=", ".join(report.skipped)))


def problem_frame(report: ImportReport) -> pd.DataFrame:
    """The validation report: file, row, column, value and the problem in the UI language."""
    language = current_language()
    frame = pd.DataFrame(
        [
            {
                "file": p.file,
                "row": p.row,
                "column": p.column or "",
                "value": p.value or "",
                "problem": message(p, language),
            }
            for p in report.problems
        ],
        columns=["file", "row", "column", "value", "problem"],
    )
    frame["row"] = frame["row"].astype("Int64")
    return frame


def parts_frame(report: ImportReport) -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            {
                "file": p.file,
                "table": kind_label(p.kind),
                "rows": p.rows,
                "inserted": p.inserted,
                "updated": p.updated,
                "unchanged": p.unchanged,
            }
            for p in report.parts
        ],
        columns=["file", "table", "rows", "inserted", "updated", "unchanged"],
    )
    if not report.accepted:
        frame = frame.drop(columns=["inserted", "updated", "unchanged"])
    return frame


def history_section(context: PageContext) -> None:
    st.subheader(t("data.history"))
    st.caption(t("data.history_help", n=HISTORY_ROWS))
    history = lookups.import_history(context.engine, HISTORY_ROWS)
    principal = context.principal
    if not principal.is_admin and "account" in history.columns:
        history = history[history["account"] == principal.name]  # an importer sees its own
    if history.empty:
        st.info(t("data.history_empty"))
        return
    table = history[
        ["imported_at", "kind", "file_name", "rows", "status", "message", "sha256", "account"]
    ].copy()
    table["account"] = table["account"].fillna("")
    # Stored in UTC; shown in the configured time zone (setting time_zone).
    table["imported_at"] = pd.to_datetime(table["imported_at"]).map(
        lambda moment: fmt_time(moment.to_pydatetime())
    )
    table["kind"] = table["kind"].map(kind_label)
    table["status"] = table["status"].map(lambda s: t(f"data.status.{s}"))
    table = table.rename(columns={"kind": "table"})
    table_with_downloads(
        table,
        key="data_history",
        sheet_title=t("data.history_sheet"),
        file_stem="import_history",
        filters=context.filters_used(),
    )


def export_section(context: PageContext) -> None:
    st.subheader(t("data.export"))
    scope = context.scope
    st.caption(t_plain("data.export_help", scope=context.unit_name(scope.code)))
    engine = context.engine
    stem = f"all_data_{scope.code or 'city'}"
    principal = context.principal

    def checked_export() -> object:
        # Checked when the button is pressed, against the account as it is then: one disabled
        # or narrowed since the page was drawn gets nothing.
        audit = audit_engine()
        signing = context.settings.auth_mode != "none"
        current = principal_by_name(audit, principal.name) if signing else principal
        if current is None:
            access.record(audit, "refused", principal.name, scope.code, "export: disabled")
            raise access.ScopeRefused(principal, scope.code)
        access.check(current, scope, audit, "export")
        access.record(audit, "export", current.name, scope.code or "city", stem)
        return export_all(engine, scope)

    row = st.container(horizontal=True)
    row.download_button(
        t("data.export_xlsx"),
        data=lambda: export_workbook(checked_export()),
        file_name=f"{stem}.xlsx",
        mime=XLSX_MIME,
        key="data_export_xlsx",
        icon=":material/table_view:",
        on_click="ignore",
    )
    row.download_button(
        t("data.export_zip"),
        data=lambda: export_zip(checked_export()),
        file_name=f"{stem}.zip",
        mime="application/zip",
        key="data_export_zip",
        icon=":material/folder_zip:",
        on_click="ignore",
    )


def render() -> None:
    context = page_context()
    page_header("page.data", context.scope, context.units, context.is_demo)
    if not context.has_data:
        # Import is how an empty database gets its data: say so, then show everything.
        st.info(t("db.empty") + " " + t("data.empty_continue"), icon=":material/inventory_2:")
    principal = context.principal
    if principal.can_import:
        templates_section(context)
        upload_section(context)
        history_section(context)
    export_section(context)
    if principal.is_admin and context.settings.auth_mode != "none":
        audit_section(context)
        accounts_section(context)


AUDIT_ROWS = 1000


def audit_section(context: PageContext) -> None:
    """Who signed in, failed, was locked or refused, imported and exported: filterable, exportable."""
    st.subheader(t("audit.title"))
    engine = audit_engine()
    row = st.container(horizontal=True)
    kinds = row.multiselect(
        t("audit.kinds"), audit_kinds(engine), format_func=_kind_label, key="audit_kinds"
    )
    account = row.text_input(t("audit.account"), key="audit_account", max_chars=64)
    since = row.date_input(
        t("audit.since"), value=dt.date.today() - dt.timedelta(days=30), key="audit_since"
    )
    events = audit_events(engine, tuple(kinds), account.strip() or None, since, limit=AUDIT_ROWS)
    st.caption(t("audit.help", n=AUDIT_ROWS))
    if events.empty:
        st.info(t("audit.empty"))
        return
    events["at"] = pd.to_datetime(events["at"]).map(lambda moment: fmt_time(moment.to_pydatetime()))
    events["kind"] = events["kind"].map(_kind_label)
    table_with_downloads(
        events.rename(
            columns={
                "at": "audit_at",
                "account": "audit_account",
                "kind": "audit_kind",
                "scope": "audit_scope",
                "detail": "audit_detail",
            }
        ),
        key="audit_table",
        sheet_title=t("audit.sheet"),
        file_stem="audit",
        filters=context.filters_used(),
    )


def _kind_label(kind: str) -> str:
    label = t(f"audit.kind.{kind}")
    return kind if label == f"audit.kind.{kind}" else label


_ACCOUNTS_NOTICE = "_accounts_notice"
_PASSWORD_KEYS = ("account_add_password", "account_add_again")
_RESET_KEYS = ("account_password_password", "account_password_again")


def accounts_section(context: PageContext) -> None:
    """The accounts inside the administrator's own scope, and what an administrator may do with
    them: add, reset a password, disable, enable, unlock, map a single sign-on identity. The
    changes run through data_access.accounts, which checks that the administrator may change the
    account the browser names, and writes each change and refusal to the audit; no password is
    shown, kept in the session after its form is sent, or stored but as its Argon2 hash
    (docs/accounts.md). Each change runs in its button's callback, before the page is drawn."""
    st.subheader(t("accounts.title"))
    st.caption(t("accounts.help"))
    notice = st.session_state.pop(_ACCOUNTS_NOTICE, None)
    if notice is not None:
        kind, text = notice
        if kind == "error":
            st.error(text, icon=":material/error:")
        else:
            st.success(text, icon=":material/check_circle:")
    managed = _managed_accounts(context)
    _accounts_table(context, managed)
    # The choice lists offer what the administrator may change; data_access.accounts checks
    # every change again on the server, whatever name the browser sends (docs/accounts.md).
    names = [
        name
        for name, scope, role in zip(
            managed["name"], managed["scope"], managed["role"], strict=True
        )
        if may_manage(context.principal, scope, role, own=name == context.principal.name)
    ]
    tabs = st.tabs([t(f"accounts.tab.{tab}") for tab in ("add", "password", "status", "identity")])
    with tabs[0]:
        _add_account_form(context)
    with tabs[1]:
        _password_form(names)
    with tabs[2]:
        _status_buttons(names)
    with tabs[3]:
        _identity_form(names)


def _managed_accounts(context: PageContext) -> pd.DataFrame:
    """The accounts whose scope lies inside the administrator's own."""
    frame = list_accounts(audit_engine())
    inside = [context.principal.allows_code(None if s == CITY else s) for s in frame["scope"]]
    return frame[inside].reset_index(drop=True)


def _accounts_table(context: PageContext, frame: pd.DataFrame) -> None:
    if frame.empty:
        st.info(t("accounts.none"))
        return
    moment = access.now()
    table = pd.DataFrame(
        {
            "account_name": frame["name"],
            "account_scope": frame["scope"],
            "account_unit": [
                context.unit_name(None if s == CITY else s) for s in frame["scope"].astype(str)
            ],
            "account_role": frame["role"].map(lambda role: t(f"auth.role.{role}")),
            "account_disabled": frame["disabled"].map(lambda off: t("yes") if off else ""),
            "account_locked": [
                _time(until) if until is not None and until > moment else ""
                for until in _moments(frame["locked_until"])
            ],
            "account_last_sign_in": [_time(m) for m in _moments(frame["last_sign_in"])],
            "account_created_at": [_time(m) for m in _moments(frame["created_at"])],
        }
    )
    table_with_downloads(
        table,
        key="accounts_table",
        sheet_title=t("accounts.sheet"),
        file_stem="accounts",
        filters=context.filters_used(),
    )


def _moments(column: pd.Series) -> list[dt.datetime | None]:
    """Stored UTC moments as datetimes, None where there is none."""
    return [None if pd.isna(m) else pd.Timestamp(m).to_pydatetime() for m in column]


def _time(moment: dt.datetime | None) -> str:
    return "" if moment is None else fmt_time(moment)


def _notice(kind: str, text: str) -> None:
    st.session_state[_ACCOUNTS_NOTICE] = (kind, text)


def _acting_admin() -> access.Principal | None:
    """The administrator pressing the button, as the database has it now: None (and recorded)
    when the account was disabled or lost its role since the page was drawn."""
    engine = audit_engine()
    principal = current_principal()
    fresh = principal_by_name(engine, principal.name)
    if fresh is None or not fresh.is_admin:
        access.record(engine, "refused", principal.name, principal.scope_label, "accounts")
        _notice("error", t("accounts.error.not_admin"))
        return None
    return fresh


def _forget(keys: tuple[str, ...]) -> None:
    """Empties password fields: a sent password is not kept in the session."""
    for key in keys:
        st.session_state[key] = ""


def _run_change(change: Callable[[access.Principal], str]) -> None:
    """Runs one change as the acting administrator; its result or error becomes the notice."""
    admin = _acting_admin()
    if admin is None:
        return
    try:
        _notice("success", change(admin))
    except AccountError as exc:
        _notice("error", t(f"accounts.error.{exc.code or 'unknown'}", n=MIN_PASSWORD))


def _add_account(units: frozenset[str]) -> None:
    state = st.session_state
    name, role = str(state.get("account_add_name", "")), str(state.get("account_add_role"))
    scope = str(state.get("account_add_scope", "")).strip()
    password, again = (str(state.get(key, "")) for key in _PASSWORD_KEYS)
    _forget(_PASSWORD_KEYS)

    def change(admin: access.Principal) -> str:
        if password != again:
            raise AccountError("the two passwords differ", "mismatch")
        area = CITY if scope.lower() == CITY else checked_scope(scope)
        code = None if area == CITY else area
        # A code outside the administrator's area is refused and recorded by add_account.
        if code is not None and code not in units and admin.allows_code(code):
            raise AccountError("no such unit", "no_unit")
        add_account(audit_engine(), name, area, role, password, actor=admin)
        return t_plain("accounts.added", name=name.strip())

    _run_change(change)


def _add_account_form(context: PageContext) -> None:
    with st.form("account_add", clear_on_submit=True):
        row = st.container(horizontal=True)
        row.text_input(t("accounts.name"), key="account_add_name", max_chars=64)
        row.text_input(
            t("accounts.scope"),
            value=context.principal.scope_label,
            key="account_add_scope",
            max_chars=12,
            help=t("accounts.scope_help"),
        )
        row.selectbox(
            t("accounts.role"),
            ACCOUNT_ROLES,
            format_func=lambda r: t(f"auth.role.{r}"),
            key="account_add_role",
        )
        _password_inputs(_PASSWORD_KEYS)
        st.form_submit_button(
            t("accounts.add"),
            type="primary",
            icon=":material/person_add:",
            on_click=_add_account,
            args=(frozenset(context.units["code"]),),
        )


def _password_inputs(keys: tuple[str, ...]) -> None:
    row = st.container(horizontal=True)
    first, second = keys
    row.text_input(
        t("accounts.password"),
        type="password",
        key=first,
        help=t("accounts.password_help", n=MIN_PASSWORD),
        autocomplete="new-password",
    )
    row.text_input(
        t("accounts.password_again"), type="password", key=second, autocomplete="new-password"
    )


def _reset_password() -> None:
    name = str(st.session_state.get("account_password_name"))
    password, again = (str(st.session_state.get(key, "")) for key in _RESET_KEYS)
    _forget(_RESET_KEYS)

    def change(admin: access.Principal) -> str:
        if password != again:
            raise AccountError("the two passwords differ", "mismatch")
        set_password(audit_engine(), name, password, actor=admin)
        return t_plain("accounts.password_set", name=name)

    _run_change(change)


def _password_form(names: list[str]) -> None:
    with st.form("account_password", clear_on_submit=True):
        st.selectbox(t("accounts.account"), names, key="account_password_name")
        _password_inputs(_RESET_KEYS)
        st.form_submit_button(
            t("accounts.set_password"),
            icon=":material/key:",
            on_click=_reset_password,
            disabled=not names,
        )


_STATUS = {
    "disable": (disable_account, ":material/person_off:", "accounts.disabled_done"),
    "enable": (enable_account, ":material/person_check:", "accounts.enabled_done"),
    "unlock": (unlock_account, ":material/lock_open:", "accounts.unlocked_done"),
}


def _set_status(action: str) -> None:
    name = str(st.session_state.get("account_status_name"))
    apply, _icon, done = _STATUS[action]

    def change(admin: access.Principal) -> str:
        apply(audit_engine(), name, actor=admin)
        return t_plain(done, name=name)

    _run_change(change)


def _status_buttons(names: list[str]) -> None:
    # A form: choosing the account does not rerun the page (which would show the first tab).
    with st.form("account_status", border=False):
        st.selectbox(t("accounts.account"), names, key="account_status_name")
        row = st.container(horizontal=True)
        for action, (_apply, icon, _done) in _STATUS.items():
            with row:
                st.form_submit_button(
                    t(f"accounts.{action}"),
                    key=f"account_{action}",
                    icon=icon,
                    on_click=_set_status,
                    args=(action,),
                    disabled=not names,
                )


def _map_identity() -> None:
    identity = str(st.session_state.get("account_identity_value", ""))
    name = str(st.session_state.get("account_identity_name"))

    def change(admin: access.Principal) -> str:
        map_identity(audit_engine(), identity, name, actor=admin)
        return t_plain("accounts.mapped", name=name)

    _run_change(change)


def _identity_form(names: list[str]) -> None:
    with st.form("account_identity", clear_on_submit=True):
        row = st.container(horizontal=True)
        row.text_input(t("accounts.identity"), key="account_identity_value", max_chars=255)
        row.selectbox(t("accounts.account"), names, key="account_identity_name")
        st.form_submit_button(
            t("accounts.map"), icon=":material/link:", on_click=_map_identity, disabled=not names
        )


render()
