"""The Data page's audit: who signed in, failed, was locked or refused, imported, exported and
changed accounts, filterable and exportable (docs/accounts.md, "Audit").

Which events an administrator sees is decided by data_access.accounts.audit_events: a city
administrator all, any other those of the accounts and units inside its area.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard.auth import audit_engine
from dashboard.context import PageContext
from dashboard.i18n import fmt_time, t
from dashboard.tables import table_with_downloads
from data_access.accounts import audit_events, audit_kinds

AUDIT_ROWS = 1000


def kind_label(kind: str) -> str:
    """An audit kind in the UI language; a kind without a translation as it is stored."""
    label = t(f"audit.kind.{kind}")
    return kind if label == f"audit.kind.{kind}" else label


def audit_section(context: PageContext) -> None:
    """The filters, then the latest AUDIT_ROWS events the account may see, newest first."""
    st.subheader(t("audit.title"))
    engine = audit_engine()
    row = st.container(horizontal=True)
    kinds = row.multiselect(
        t("audit.kinds"), audit_kinds(engine), format_func=kind_label, key="audit_kinds"
    )
    account = row.text_input(t("audit.account"), key="audit_account", max_chars=64)
    since = row.date_input(
        t("audit.since"), value=dt.date.today() - dt.timedelta(days=30), key="audit_since"
    )
    events = audit_events(
        engine,
        tuple(kinds),
        account.strip() or None,
        since if isinstance(since, dt.date) else None,
        limit=AUDIT_ROWS,
        actor=context.principal,
    )
    st.caption(t("audit.help", n=AUDIT_ROWS))
    if events.empty:
        st.info(t("audit.empty"))
        return
    events["at"] = pd.to_datetime(events["at"]).map(lambda moment: fmt_time(moment.to_pydatetime()))
    events["kind"] = events["kind"].map(kind_label)
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
