"""The Data page's account management: the accounts inside the administrator's own area, and
what an administrator may do with them: add, reset a password, disable, enable, unlock, map a
single sign-on identity (docs/accounts.md, "Managing accounts in the app").

Who may change which account is decided in data_access.accounts, whatever name the browser
sends: the choice lists here offer only what `managed_accounts` marks as manageable, and every
change runs in its button's callback, before the page is drawn, as the administrator the
database has now (`acting_admin`). No password is shown, kept in the session after its form is
sent, or stored but as its Argon2 hash.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard.auth import audit_engine, current_principal
from dashboard.context import PageContext
from dashboard.i18n import fmt_time, t
from dashboard.plain import t_plain
from dashboard.tables import table_with_downloads
from data_access import access
from data_access.accounts import (
    MIN_PASSWORD,
    AccountError,
    acting_admin,
    add_account,
    disable_account,
    enable_account,
    managed_accounts,
    map_identity,
    set_password,
    unlock_account,
)
from data_access.models import ACCOUNT_ROLES, CITY

_ACCOUNTS_NOTICE = "_accounts_notice"
_PASSWORD_KEYS = ("account_add_password", "account_add_again")
_RESET_KEYS = ("account_password_password", "account_password_again")


def accounts_section(context: PageContext) -> None:
    """The notice of the last change, the table of accounts and the four tabs of changes."""
    st.subheader(t("accounts.title"))
    st.caption(t("accounts.help"))
    notice = st.session_state.pop(_ACCOUNTS_NOTICE, None)
    if notice is not None:
        kind, text = notice
        if kind == "error":
            st.error(text, icon=":material/error:")
        else:
            st.success(text, icon=":material/check_circle:")
    managed = managed_accounts(audit_engine(), context.principal)
    _accounts_table(context, managed)
    # A convenience: data_access.accounts checks every change again on the server.
    names = [str(name) for name in managed.loc[managed["manageable"], "name"]]
    tabs = st.tabs([t(f"accounts.tab.{tab}") for tab in ("add", "password", "status", "identity")])
    with tabs[0]:
        _add_account_form(context)
    with tabs[1]:
        _password_form(names)
    with tabs[2]:
        _status_buttons(names)
    with tabs[3]:
        _identity_form(names)


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


def _forget(keys: tuple[str, ...]) -> None:
    """Empties password fields: a sent password is not kept in the session."""
    for key in keys:
        st.session_state[key] = ""


def _run_change(change: Callable[[access.Principal], str]) -> None:
    """Runs one change as the administrator the database has now; its result or error becomes
    the notice. An administrator disabled or demoted since the page was drawn changes nothing."""
    admin = acting_admin(audit_engine(), current_principal())
    if admin is None:
        _notice("error", t("accounts.error.not_admin"))
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
        area = CITY if scope.lower() == CITY else scope
        # A scope outside the administrator's area is refused and recorded by add_account.
        add_account(audit_engine(), name, area, role, password, actor=admin, known_units=units)
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
