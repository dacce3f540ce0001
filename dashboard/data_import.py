"""The Data page's import and export: templates, upload with a validation report and a
preview confirmed before anything is written, import history and the full export
(docs/architecture.md §4).

What an account may do here is asked of data_access (docs/accounts.md): the import runs as the
account as it is when the button is pressed (`accounts.importing_account`), the history lists
the imports `access.visible_imports` allows, and the full export is checked when its button is
pressed (`accounts.exporting_account`) and holds the applications the account may see
(`export_all`). A refusal is one sentence in the UI language (dashboard/refusals.py).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any, Protocol

import pandas as pd
import streamlit as st

from dashboard.auth import audit_engine
from dashboard.context import PageContext
from dashboard.database import writer_url
from dashboard.i18n import current_language, fmt_time, t
from dashboard.plain import escape_markdown, t_plain
from dashboard.tables import table_with_downloads
from data_access import access
from data_access.accounts import exporting_account, importing_account
from data_access.db import get_writer_engine
from data_access.figures import lookups
from data_access.importing import SPECS, ImportReport, Problem, Upload, message, run_import
from data_access.importing.changes import CHANGED_LISTED, NEW_LISTED, changes_text
from data_access.importing.confirm import (
    CheckedImport,
    checked_import,
    confirm_import,
    uploads_digest,
)
from data_access.importing.export_all import FullExport, export_all, export_workbook, export_zip
from data_access.importing.specs import KIND_ORDER, Column
from data_access.importing.templates import template_workbook, template_zip
from data_access.scope import CODE_LENGTH

logger = logging.getLogger(__name__)
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HISTORY_ROWS = 200
_REPORT = "data_report"
_PENDING = "data_pending"  # the checked files, kept until their preview is confirmed
_ACTION = "data_action"  # the step a button asked for: check or confirm
_UPLOADER_ROUND = "data_uploader_round"


class _Uploaded(Protocol):
    """What the import reads of a file from st.file_uploader."""

    name: str

    def getvalue(self) -> bytes: ...


def signing(context: PageContext) -> bool:
    """True when sign-in is on: the accounts are then read again from the database."""
    return context.settings.auth_mode != "none"


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


def _progress_reporter(bar: Any) -> Callable[[str, int, int], None]:
    """Moves the progress bar `bar` (st.progress) through reading, checking and writing."""
    shares = {
        "read": (0.0, 0.05),
        "validate": (0.05, 0.55),
        "compare": (0.6, 0.4),
        "write": (0.6, 0.4),
    }

    def report(phase: str, done: int, total: int) -> None:
        start, share = shares[phase]
        fraction = start + share * (done / total if total else 1.0)
        label = t(f"data.phase.{phase}", done=f"{done:,}", total=f"{total:,}")
        bar.progress(min(fraction, 1.0), text=label)

    return report


def _uploads(files: list[_Uploaded]) -> list[Upload] | ImportReport:
    """The files of the uploader as uploads, or the report of an upload that broke (logged
    with an incident id, like a failed import)."""
    try:
        return [Upload.of(f.name, f.getvalue()) for f in files]
    except Exception:
        incident = secrets.token_hex(4)
        logger.exception("upload failed: incident %s", incident)
        problem = Problem("—", "unexpected", params={"incident": incident})
        return ImportReport("failed", [problem], incident=incident)


def _check(context: PageContext, files: list[_Uploaded]) -> tuple[ImportReport, object]:
    """The first step: every check and the preview, nothing written; with what a confirmation
    needs (CheckedImport) when the preview may be confirmed."""
    audit = audit_engine()
    # The account as it is now: one disabled, demoted or narrowed since the page was drawn
    # checks nothing, or only inside its new area (RoleRefused is shown as one sentence).
    account = importing_account(audit, context.principal, signing=signing(context))
    uploads = _uploads(files)
    if isinstance(uploads, ImportReport):
        return uploads, None
    bar = st.progress(0.0, text=t("data.phase.read"))
    report = run_import(
        get_writer_engine(writer_url()),
        uploads,
        max_bytes=context.settings.import_max_bytes,
        language=current_language(),
        dry_run=True,
        progress=_progress_reporter(bar),
        account=account.name if signing(context) else None,
        scope_code=account.scope_code,
    )
    bar.empty()
    return report, checked_import(uploads, account.name, account.scope_code, report)


def _confirm(context: PageContext, pending: CheckedImport, files: list[_Uploaded]) -> ImportReport:
    """The second step: the checked files written, when they are still those in the uploader
    and the account and its area are as they were (decided by confirm_import)."""
    audit = audit_engine()
    account = importing_account(audit, context.principal, signing=signing(context))
    uploads = _uploads(files)
    if isinstance(uploads, ImportReport):
        return uploads
    bar = st.progress(0.0, text=t("data.phase.read"))
    report = confirm_import(
        get_writer_engine(writer_url()),
        pending,
        uploads,
        account=account.name,
        scope_code=account.scope_code,
        audited_as=account.name if signing(context) else None,
        max_bytes=context.settings.import_max_bytes,
        language=current_language(),
        progress=_progress_reporter(bar),
    )
    bar.empty()
    files_named = ", ".join(u.name for u in pending.uploads)
    access.record(
        audit, "import", account.name, account.scope_label, f"{report.status}: {files_named}"
    )
    return report


def _request(action: str) -> None:
    """A button's callback: the step asked for, taken by the run that follows (a callback
    runs before the page, and a request kept in the session survives a rerun on the way)."""
    st.session_state[_ACTION] = action


def css_string(text: str) -> str:
    """Text as a CSS string literal: quotes, backslashes and line ends escaped."""
    escaped = "".join(f"\\{ord(char):x} " if char in '"\\<>\n\r' else char for char in text)
    return f'"{escaped}"'


def uploader_css(button: str, limit: str) -> str:
    """CSS that writes the upload box's button and its line of limits in the UI language."""
    box = '.st-key-data_uploader [data-testid="stFileUploaderDropzone"]'
    rules = []
    if button:
        target = f"{box} button [data-testid='stMarkdownContainer'] p"
        rules.append(f"{target} {{font-size: 0;}}")
        rules.append(f"{target}::after {{content: {css_string(button)}; font-size: 0.875rem;}}")
    if limit:
        target = f"{box} [data-testid='stFileUploaderDropzoneInstructions'] span"
        rules.append(f"{target} {{font-size: 0;}}")
        rules.append(f"{target}::after {{content: {css_string(limit)}; font-size: 0.875rem;}}")
    return f"<style>{' '.join(rules)}</style>" if rules else ""


def upload_section(context: PageContext) -> None:
    """Upload, check and preview, then the confirmation that writes: two steps, with the files
    kept in the session between them (data_access/importing/confirm.py)."""
    st.subheader(t("data.upload"))
    round_ = st.session_state.get(_UPLOADER_ROUND, 0)
    mb = context.settings.import_max_mb
    # Streamlit writes the upload box's own words in English (it has no locale); in Chinese they
    # are written over by CSS, from the catalog (empty: Streamlit's own words are kept).
    css = uploader_css(t("data.uploader_button"), t("data.uploader_limit", mb=mb))
    if css:
        st.html(css)
    with st.container(key="data_uploader"):
        files = st.file_uploader(
            t("data.upload_label"),
            type=["xlsx", "csv", "geojson", "json", "zip"],
            accept_multiple_files=True,
            key=f"data_upload_{round_}",
            help=t("data.upload_help"),
            max_upload_size=mb,
        )
    st.button(
        t("data.check"),
        key="data_check",
        disabled=not files,
        icon=":material/rule:",
        on_click=_request,
        args=("check",),
    )
    action = st.session_state.pop(_ACTION, None)
    if action == "check" and files:
        report, pending = _check(context, list(files))
        st.session_state[_REPORT] = report
        st.session_state[_PENDING] = pending
    elif action == "confirm" and isinstance(st.session_state.get(_PENDING), CheckedImport):
        report = _confirm(context, st.session_state.pop(_PENDING), list(files or []))
        st.session_state[_REPORT] = report
        if report.accepted:
            st.cache_data.clear()  # every page shows the new numbers at once
            st.session_state[_UPLOADER_ROUND] = round_ + 1
            st.rerun()  # an uploader emptied for the next import
    kept = st.session_state.get(_REPORT)
    if isinstance(kept, ImportReport):
        report_section(context, kept)
    pending = st.session_state.get(_PENDING)
    if isinstance(pending, CheckedImport):
        confirm_section(pending, list(files or []))


def confirm_section(pending: CheckedImport, files: list[_Uploaded]) -> None:
    """The button that writes the preview above; nothing is written before it is pressed."""
    uploads = _uploads(files)
    if isinstance(uploads, list) and uploads_digest(uploads) != pending.digest:
        st.warning(t("data.files_changed"), icon=":material/warning:")
    st.caption(t("data.confirm_help"))
    st.button(
        t("data.confirm"),
        key="data_confirm",
        type="primary",
        icon=":material/upload:",
        on_click=_request,
        args=("confirm",),
    )


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
    elif report.accepted:
        st.success(
            t("data.accepted", files=len(report.parts), rows=f"{rows:,}"),
            icon=":material/check_circle:",
        )
    elif report.may_confirm:
        st.info(
            t("data.checked", files=len(report.parts), rows=f"{rows:,}"), icon=":material/rule:"
        )
    else:
        st.success(
            t("data.checked_nothing", files=len(report.parts), rows=f"{rows:,}"),
            icon=":material/check_circle:",
        )
    if report.parts and (report.accepted or report.status == "checked"):
        table_with_downloads(
            parts_frame(report),
            key="data_parts",
            sheet_title=t("data.parts_sheet"),
            file_stem="import_result",
            filters=context.filters_used(),
        )
        changes = changes_frame(report)
        if not changes.empty:
            st.caption(t("data.changes_help", changed=CHANGED_LISTED, new=NEW_LISTED))
            table_with_downloads(
                changes,
                key="data_changes",
                sheet_title=t("data.changes_sheet"),
                file_stem="import_changes",
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
    """Per file: rows read, and how many are (or would be) new, changed or unchanged, and how
    many have a problem; empty counts where the rows were not compared with the database."""
    columns = ["file", "table", "rows", "inserted", "updated", "unchanged", "problem_rows"]
    frame = pd.DataFrame(
        [
            {
                "file": p.file,
                "table": kind_label(p.kind),
                "rows": p.rows,
                "inserted": p.inserted if p.compared else None,
                "updated": p.updated if p.compared else None,
                "unchanged": p.unchanged if p.compared else None,
                "problem_rows": p.refused if p.compared else None,
            }
            for p in report.parts
        ],
        columns=columns,
    )
    for column in columns[2:]:
        frame[column] = frame[column].astype("Int64")
    if report.accepted:
        frame = frame.drop(columns=["problem_rows"])
    return frame


def changes_frame(report: ImportReport) -> pd.DataFrame:
    """The first changed rows of each file (before → after) and its first new rows."""
    language = current_language()
    rows = []
    for part in report.parts:
        spec = SPECS[part.kind]
        for row in part.changed_rows:
            change = changes_text(spec, row, language)
            rows.append(_change_row(part.file, part.kind, row.row, row.key, "updated", change))
        for row in part.new_rows:
            rows.append(_change_row(part.file, part.kind, row.row, row.key, "inserted", ""))
    frame = pd.DataFrame(rows, columns=["file", "table", "row", "row_key", "status", "change"])
    frame["row"] = frame["row"].astype("Int64")
    return frame


def _change_row(
    file: str, kind: str, row: int, key: str, status: str, change: str
) -> dict[str, object]:
    return {
        "file": file,
        "table": kind_label(kind),
        "row": row,
        "row_key": key,
        "status": t(f"col.{status}"),
        "change": change,
    }


def history_section(context: PageContext) -> None:
    """The latest imports this account may see (access.visible_imports)."""
    st.subheader(t("data.history"))
    st.caption(t("data.history_help", n=HISTORY_ROWS))
    history = lookups.import_history(context.engine, HISTORY_ROWS, context.principal)
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

    def checked_export() -> FullExport:
        # Checked when the button is pressed, against the account as it is then: one disabled
        # or narrowed since the page was drawn gets nothing (ScopeRefused, recorded).
        audit = audit_engine()
        account = exporting_account(audit, principal, scope, signing=signing(context))
        made = export_all(engine, scope, viewer=account)
        access.record(audit, "export", account.name, scope.code or "city", stem)
        return made

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


def dissolved_section(context: PageContext) -> None:
    """The data left in the dissolved units of the scope, which no figure counts
    (figures/lookups.py:left_in_dissolved): what a clerk moves or ends. Nothing when none."""
    left = lookups.left_in_dissolved(context.engine, context.scope)
    if left.empty:
        return
    st.subheader(t("data.dissolved_title"))
    st.warning(t("data.dissolved_help"), icon=":material/event_busy:")
    table = left.assign(left_over=left["left_over"].map(lambda kind: t(f"data.dissolved.{kind}")))
    table["successor_code"] = table["successor_code"].fillna("")
    table_with_downloads(
        table,
        key="data_dissolved",
        sheet_title=t("data.dissolved_sheet"),
        file_stem="left_in_dissolved_units",
        filters=context.filters_used(),
    )
