"""Signing in (none, local or oidc), the session's account, sign-out and the open-access warning.

The account lives in session state under a key no widget uses, so the browser cannot set it;
every scoped read of dashboard/cached.py checks it (docs/accounts.md). A password sign-in also
outlives a reload of the page: a random token in a cookie names a session kept, hashed, in the
database (data_access.accounts.open_session), until it expires or is revoked.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import replace

import streamlit as st
from sqlalchemy import Engine

from dashboard.database import app_target, writer_url
from dashboard.i18n import t
from dashboard.ready import stop_page
from data_access import accounts
from data_access.access import OPEN_ACCESS, Principal, record
from data_access.db import get_engine
from data_access.settings import Settings, get_settings
from data_access.tokens import TOKEN_PARAM, TokenRefused, redeem, view_key

_PRINCIPAL = "_principal"
_SIGNED_AT = "_signed_in_at"
_NOTICE = "_auth_notice"
_REPORT_SESSION = "_report_session"
_SESSION_TOKEN = "_session_token"  # this tab's session token, to end it at sign-out
_COOKIE_WRITE = "_session_cookie_write"  # the token to set in the next run, or "" to clear
SESSION_COOKIE = "dashboard_session"


class NotSignedIn(PermissionError):
    """A scoped read in a session that has no account."""


def audit_engine() -> Engine:
    """Where the audit is written: the writer, since the dashboard's reader may only SELECT."""
    return get_engine(writer_url())


def has_session() -> bool:
    return get_settings().auth_mode == "none" or _PRINCIPAL in st.session_state


def current_principal() -> Principal:
    """The account of this session: everyone is the open account when sign-in is off."""
    if get_settings().auth_mode == "none":
        return OPEN_ACCESS
    principal = st.session_state.get(_PRINCIPAL)
    if not isinstance(principal, Principal):
        raise NotSignedIn("not signed in")
    return principal


def _start_session(principal: Principal, signed_at: float | None = None) -> None:
    st.session_state[_PRINCIPAL] = principal
    st.session_state[_SIGNED_AT] = time.time() if signed_at is None else signed_at


def _end_session(notice: str | None = None) -> None:
    for key in (_PRINCIPAL, _SIGNED_AT):
        st.session_state.pop(key, None)
    token = st.session_state.pop(_SESSION_TOKEN, None)
    if token:
        accounts.end_session(audit_engine(), token)
        st.session_state[_COOKIE_WRITE] = ""  # the next run clears the browser's cookie
    if notice:
        st.session_state[_NOTICE] = notice


def session_cookie() -> str | None:
    """The session token the browser sent when this tab connected (st.context.cookies)."""
    value = st.context.cookies.get(SESSION_COOKIE)
    return value if isinstance(value, str) else None  # AppTest has no browser and no cookies


def _write_cookie(token: str, max_age: int) -> None:
    """Sets (token) or clears ("") the session cookie in the browser with a script: Streamlit
    has no other way to set one. SameSite=Strict, Secure on HTTPS, only under the app's path."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    cookie = f"{SESSION_COOKIE}={token}; Max-Age={max_age if token else 0}; Path=/{base}"
    script = (
        "<script>document.cookie = "
        f"{json.dumps(cookie + '; SameSite=Strict')}"
        " + (location.protocol === 'https:' ? '; Secure' : '');</script>"
    )
    st.html(script, unsafe_allow_javascript=True)


def _cookie_to_write(settings: Settings) -> None:
    pending = st.session_state.pop(_COOKIE_WRITE, None)
    if pending is not None:
        _write_cookie(pending, settings.session_minutes * 60)


def _resume(engine: Engine, settings: Settings) -> Principal | None:
    """The account of the browser's session cookie, when that session is still open."""
    token = session_cookie()
    resumed = accounts.resume_session(engine, token) if token else None
    if resumed is None or token is None:
        return None
    started = resumed.started.replace(tzinfo=dt.UTC).timestamp()
    if time.time() - started > settings.session_minutes * 60:
        accounts.end_session(engine, token)
        return None
    principal = resumed.principal
    _start_session(principal, started)
    st.session_state[_SESSION_TOKEN] = token
    record(engine, "session_resumed", principal.name, principal.scope_label, "cookie")
    return principal


def sign_out() -> None:
    principal = st.session_state.get(_PRINCIPAL)
    if isinstance(principal, Principal):
        record(audit_engine(), "sign_out", principal.name, principal.scope_label)
    _end_session("auth.signed_out")
    if get_settings().auth_mode == "oidc":
        st.logout()


def signed_in(settings: Settings, url_path: str) -> Principal:
    """The account of this run; draws the sign-in screen and stops the run when there is none."""
    if settings.auth_mode == "none":
        return OPEN_ACCESS
    engine = audit_engine()
    token = st.query_params.get(TOKEN_PARAM)
    if token:
        _redeem_report_token(engine, token, url_path)
    principal = st.session_state.get(_PRINCIPAL)
    if isinstance(principal, Principal):
        age = time.time() - float(st.session_state.get(_SIGNED_AT, 0))
        fresh = _account_now(engine, principal)
        if age > settings.session_minutes * 60:
            record(engine, "session_ended", principal.name, principal.scope_label, "expired")
            _end_session("auth.expired")
        elif fresh is None:
            record(engine, "session_ended", principal.name, principal.scope_label, "disabled")
            _end_session("auth.disabled_now")
        elif fresh is _REVOKED:
            record(engine, "session_ended", principal.name, principal.scope_label, "revoked")
            _end_session("auth.revoked")
        else:
            # A role or scope changed by an administrator takes effect on the next run.
            if st.session_state.get(_REPORT_SESSION):
                fresh = replace(fresh, role="viewer")
            st.session_state[_PRINCIPAL] = fresh
            _cookie_to_write(settings)
            return fresh
    if settings.auth_mode == "oidc":
        return _oidc(engine, settings)
    if not token:  # a report link's session never takes a browser's cookie
        resumed = _resume(engine, settings)
        if resumed is not None:
            return resumed
    _password_form(engine, settings)
    _cookie_to_write(settings)
    stop_page()


# The account is enabled, but this browser's session was ended elsewhere (a sign-out in another
# tab, a new password).
_REVOKED = Principal("", None, "viewer")


def _account_now(engine: Engine, principal: Principal) -> Principal | None:
    """The session's account as the database has it now: None when disabled, _REVOKED when its
    browser session was ended; one query per run either way."""
    token = st.session_state.get(_SESSION_TOKEN)
    if not token:
        return accounts.principal_by_name(engine, principal.name)
    resumed = accounts.resume_session(engine, token)
    if resumed is not None:
        return resumed.principal
    return None if accounts.principal_by_name(engine, principal.name) is None else _REVOKED


def _redeem_report_token(engine: Engine, token: str, url_path: str) -> None:
    """A report link signs this session in as its account, read-only, for its one view."""
    params = {k: st.query_params.get(k, "") for k in st.query_params if k != TOKEN_PARAM}
    try:
        name = redeem(engine, token, view_key(url_path, params))
    except TokenRefused as exc:
        record(engine, "refused", None, None, f"report link: {exc}")
        return
    principal = accounts.principal_by_name(engine, name)
    if principal is None:
        record(engine, "refused", name, None, "report link: account disabled")
        return
    _start_session(replace(principal, role="viewer"))
    st.session_state[_REPORT_SESSION] = True
    record(engine, "report", name, principal.scope_label, view_key(url_path, params))


def _password_form(engine: Engine, settings: Settings) -> None:
    st.title(t("auth.title"))
    notice = st.session_state.pop(_NOTICE, None)
    if notice:
        st.info(t(notice))
    with st.form("sign_in", clear_on_submit=True):
        name = st.text_input(t("auth.name"), key="sign_in_name", max_chars=64)
        password = st.text_input(t("auth.password"), type="password", key="sign_in_password")
        submitted = st.form_submit_button(t("auth.submit"), type="primary")
    if not submitted:
        return
    outcome = accounts.authenticate(
        engine,
        name,
        password,
        settings.lockout_failures,
        settings.lockout_minutes,
        limits=accounts.SignInLimits.of(settings),
        address=client_address(settings),
    )
    if outcome.principal is not None:
        _start_session(outcome.principal)
        session = accounts.open_session(engine, outcome.principal, settings.session_minutes)
        st.session_state[_SESSION_TOKEN] = session
        st.session_state[_COOKIE_WRITE] = session  # set by the next run, once signed in
        st.rerun()
    answer = sign_in_answer(outcome)
    if answer == "auth.wait":
        st.warning(t(answer), icon=":material/hourglass_top:")
    else:
        st.error(t(answer, minutes=settings.lockout_minutes), icon=":material/error:")


def sign_in_answer(outcome: accounts.SignIn) -> str:
    """The message (i18n key) of a refused sign-in: one for an unknown name, a wrong password
    and a locked or disabled account; the lock and the disabling are told only to whoever typed
    the right password (docs/accounts.md)."""
    if outcome.reason == "wait":
        return "auth.wait"
    if outcome.password_ok and outcome.reason == "locked":
        return "auth.locked"
    if outcome.password_ok and outcome.reason == "disabled":
        return "auth.disabled_now"
    return "auth.bad"


def client_address(settings: Settings) -> str:
    """The address sign-in limits count per client: the connection's, or with
    trusted_proxy_hops = N the N-th X-Forwarded-For entry from the right (the one the nearest
    trusted proxy appended); a header sent by the client itself is never trusted otherwise."""
    direct = st.context.ip_address or "local"
    hops = settings.trusted_proxy_hops
    if hops <= 0:
        return direct
    try:
        sent = st.context.headers.get_all("X-Forwarded-For")
    except (AttributeError, RuntimeError):  # AppTest has no request headers
        return direct
    entries = [entry.strip() for line in sent for entry in line.split(",") if entry.strip()]
    return entries[-hops][:64] if len(entries) >= hops else direct


def _oidc(engine: Engine, settings: Settings) -> Principal:
    """Single sign-on through st.login; the account comes from the identity mapping table."""
    if not st.user.is_logged_in:
        st.title(t("auth.title"))
        notice = st.session_state.pop(_NOTICE, None)
        if notice:
            st.info(t(notice))
        provider = settings.oidc_provider or None
        st.button(
            t("auth.sso"),
            type="primary",
            on_click=st.login,
            args=(provider,) if provider else (),
            icon=":material/login:",
        )
        stop_page()
    identities = [str(st.user.get("sub") or ""), str(st.user.get("email") or "")]
    principal = accounts.principal_for_identity(engine, identities)
    if principal is None:
        record(engine, "sign_in_failed", None, None, "single sign-on identity not mapped")
        st.error(t("auth.unmapped"), icon=":material/no_accounts:")
        st.button(t("auth.sign_out"), on_click=st.logout)
        stop_page()
    record(engine, "sign_in", principal.name, principal.scope_label, "single sign-on")
    _start_session(principal)
    return principal


def account_box(principal: Principal, settings: Settings, unit_name: str) -> None:
    """The sidebar's account line and sign-out button (nothing when sign-in is off)."""
    if settings.auth_mode == "none":
        return
    st.sidebar.caption(
        t("auth.who", name=principal.name, role=t(f"auth.role.{principal.role}"), scope=unit_name)
    )
    st.sidebar.button(
        t("auth.sign_out"), on_click=sign_out, icon=":material/logout:", key="sign_out"
    )


def is_open_access(settings: Settings) -> bool:
    """Sign-in is off on a shared database: anyone who reaches the app sees everything."""
    return settings.auth_mode == "none" and not app_target().is_embedded


def open_access_warning(settings: Settings) -> None:
    """The warning every page shows while is_open_access (the wall screen keeps its own)."""
    if is_open_access(settings):
        st.warning(t("auth.open_warning"), icon=":material/lock_open:")
