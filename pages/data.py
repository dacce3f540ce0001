"""数据管理 Data: templates, upload with a validation report, import history, full export, the
audit and the accounts (docs/architecture.md §4).

The page only lays the sections out, in this order; they are drawn by dashboard/data_import.py,
dashboard/audit_view.py and dashboard/accounts_view.py, and what each account may see or do is
asked of data_access (docs/accounts.md).
"""

from __future__ import annotations

import streamlit as st

from dashboard.accounts_view import accounts_section
from dashboard.audit_view import audit_section
from dashboard.components import page_header
from dashboard.context import page_context
from dashboard.data_import import (
    dissolved_section,
    export_section,
    history_section,
    signing,
    templates_section,
    upload_section,
)
from dashboard.i18n import t
from data_access.access import may_administer, may_import


def render() -> None:
    context = page_context()
    page_header("page.data", context.scope, context.units, context.is_demo)
    if not context.has_data:
        # Import is how an empty database gets its data: say so, then show everything.
        st.info(t("db.empty") + " " + t("data.empty_continue"), icon=":material/inventory_2:")
    principal = context.principal
    if may_import(principal):
        templates_section(context)
        upload_section(context)
        history_section(context)
        dissolved_section(context)
    export_section(context)
    if may_administer(principal, signing(context)):
        audit_section(context)
        accounts_section(context)


render()
