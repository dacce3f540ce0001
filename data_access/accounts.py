"""Accounts: creating and changing them, signing in with lockout, single sign-on identities.

Passwords are hashed with Argon2id (argon2-cffi); neither a password nor its hash leaves this
module in a message, a log line or an audit row (docs/accounts.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Engine, func, select, update

from data_access.access import Principal, now, record
from data_access.db import read_frame
from data_access.models import ACCOUNT_ROLES, CITY, Account, Base
from data_access.scope import level_of_code

_HASHER = PasswordHasher()
MIN_PASSWORD = 8
# Verified against when a name is unknown, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


class AccountError(ValueError):
    """A request the accounts cannot carry out, in words fit for the operator; `code` names the
    reason for the app's translated message (assets/i18n, keys accounts.error.CODE)."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


def _by(by: str | None) -> str:
    """The audit detail naming who made a change (an administrator in the app)."""
    return f" by {by}" if by else ""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters", "short")
    return _HASHER.hash(password)


def checked_scope(scope: str) -> str:
    """A district, street or community code, or city; AccountError otherwise."""
    if scope == CITY:
        return scope
    try:
        level = level_of_code(scope)
    except ValueError as exc:
        raise AccountError(f"scope must be city or a unit code, not {scope!r}", "scope") from exc
    if level == "grid":
        raise AccountError("scope must be city, a district, a street or a community", "scope")
    return scope


# The tables as Table objects (a model's __table__ is typed as a plain FromClause).
_TABLES = Base.metadata.tables


def _principal(account: Account | dict) -> Principal:
    get = account.get if isinstance(account, dict) else lambda key: getattr(account, key)
    scope = get("scope")
    return Principal(
        str(get("name")), None if scope == CITY else scope, str(get("role")), get("id")
    )


def _row(connection: Connection, name: str) -> dict | None:
    table = _TABLES["account"]
    found = connection.execute(select(table).where(table.c.name == name)).mappings().first()
    return dict(found) if found else None


def add_account(
    engine: Engine,
    name: str,
    scope: str,
    role: str,
    password: str | None,
    by: str | None = None,
) -> None:
    """Creates an account; password None makes one that signs in through single sign-on only."""
    name = name.strip()
    if not name or len(name) > 64:
        raise AccountError("an account name has 1 to 64 characters", "name")
    if role not in ACCOUNT_ROLES:
        raise AccountError(f"role must be one of {', '.join(ACCOUNT_ROLES)}", "role")
    values = {
        "name": name,
        "password_hash": None if password is None else hash_password(password),
        "scope": checked_scope(scope),
        "role": role,
        "disabled": False,
        "failed_attempts": 0,
        "locked_until": None,
        "created_at": now(),
    }
    with engine.begin() as connection:
        if _row(connection, name) is not None:
            raise AccountError(f"the account {name} exists already", "exists")
        connection.execute(_TABLES["account"].insert(), [values])
    record(engine, "account_added", name, str(values["scope"]), f"role={role}{_by(by)}")


def set_password(engine: Engine, name: str, password: str, by: str | None = None) -> None:
    """A new password; it also lifts a lockout."""
    hashed = hash_password(password)
    _update(engine, name, password_hash=hashed, failed_attempts=0, locked_until=None)
    end_sessions(engine, name)  # a new password signs every browser of the account out
    record(engine, "password_changed", name, None, _by(by).strip())


def disable_account(engine: Engine, name: str, by: str | None = None) -> None:
    _update(engine, name, disabled=True)
    end_sessions(engine, name)
    record(engine, "account_disabled", name, None, _by(by).strip())


def enable_account(engine: Engine, name: str, by: str | None = None) -> None:
    _update(engine, name, disabled=False, failed_attempts=0, locked_until=None)
    record(engine, "account_enabled", name, None, _by(by).strip())


def unlock_account(engine: Engine, name: str, by: str | None = None) -> None:
    """Lifts a lockout now, without a new password."""
    _update(engine, name, failed_attempts=0, locked_until=None)
    record(engine, "account_unlocked", name, None, _by(by).strip())


def _update(engine: Engine, name: str, **values: object) -> None:
    table = _TABLES["account"]
    with engine.begin() as connection:
        done = connection.execute(update(table).where(table.c.name == name).values(**values))
        if done.rowcount == 0:
            raise AccountError(f"no account named {name}", "unknown")


def list_accounts(engine: Engine) -> pd.DataFrame:
    """Every account without its hash: name, scope, role, disabled, failures, locked until,
    created, whether it has a password, and its last sign-in (from the audit)."""
    table, audit = _TABLES["account"], _TABLES["audit_event"]
    last = (
        select(audit.c.account, func.max(audit.c.at).label("last_sign_in"))
        .where(audit.c.kind == "sign_in")
        .group_by(audit.c.account)
        .subquery()
    )
    statement = (
        select(
            table.c.name,
            table.c.scope,
            table.c.role,
            table.c.disabled,
            table.c.failed_attempts,
            table.c.locked_until,
            table.c.created_at,
            (table.c.password_hash.is_not(None)).label("has_password"),
            last.c.last_sign_in,
        )
        .select_from(table.outerjoin(last, last.c.account == table.c.name))
        .order_by(table.c.name)
    )
    return read_frame(engine, statement)


def map_identity(engine: Engine, identity: str, name: str, by: str | None = None) -> None:
    """Lets a single sign-on identity (subject or e-mail) act as the account `name`."""
    identity = identity.strip().lower()
    if not identity or len(identity) > 255:
        raise AccountError("an identity is a subject or an e-mail address", "identity")
    table = _TABLES["identity_map"]
    with engine.begin() as connection:
        account = _row(connection, name)
        if account is None:
            raise AccountError(f"no account named {name}", "unknown")
        connection.execute(table.delete().where(table.c.identity == identity))
        connection.execute(table.insert(), [{"identity": identity, "account_id": account["id"]}])
    record(engine, "identity_mapped", name, account["scope"], _by(by).strip())


# ---------------------------------------------------------------------------------------------
# Signing in


@dataclass(frozen=True)
class SignIn:
    """The outcome: the principal when it worked, else why not (bad, locked or disabled)."""

    principal: Principal | None
    reason: str = ""  # "", "bad", "locked", "disabled", "unmapped"
    locked_until: dt.datetime | None = None


def authenticate(
    engine: Engine, name: str, password: str, max_failures: int, lockout_minutes: int
) -> SignIn:
    """Checks a name and a password; counts failures and locks the account after max_failures."""
    name = name.strip()[:64]
    with engine.begin() as connection:
        account = _row(connection, name) if name else None
        if account is None or account["password_hash"] is None:
            _verify(_DUMMY_HASH, password)
            outcome = SignIn(None, "bad")
        else:
            outcome = _check_account(connection, account, password, max_failures, lockout_minutes)
    # An unknown name is not recorded as typed: people type their password there by mistake.
    who = name if account is not None else None
    scope = account["scope"] if account is not None else None
    if outcome.principal is not None:
        record(engine, "sign_in", who, scope, "password")
    elif (
        outcome.reason == "locked"
        and account is not None
        and outcome.locked_until
        and (account["locked_until"] is None or account["locked_until"] < now())
    ):
        record(engine, "locked", who, scope, f"after {max_failures} failures")
    else:
        record(engine, "sign_in_failed", who, scope, outcome.reason)
    return outcome


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _check_account(
    connection: Connection, account: dict, password: str, max_failures: int, lockout_minutes: int
) -> SignIn:
    table = _TABLES["account"]
    where = table.c.id == account["id"]
    moment = now()
    if account["disabled"]:
        _verify(_DUMMY_HASH, password)
        return SignIn(None, "disabled")
    if account["locked_until"] is not None and account["locked_until"] > moment:
        _verify(_DUMMY_HASH, password)
        return SignIn(None, "locked", account["locked_until"])
    if _verify(account["password_hash"], password):
        values: dict[str, object] = {"failed_attempts": 0, "locked_until": None}
        if _HASHER.check_needs_rehash(account["password_hash"]):
            values["password_hash"] = _HASHER.hash(password)
        connection.execute(update(table).where(where).values(**values))
        return SignIn(_principal(account))
    failures = (account["failed_attempts"] or 0) + 1
    if failures >= max_failures:
        until = moment + dt.timedelta(minutes=lockout_minutes)
        connection.execute(update(table).where(where).values(failed_attempts=0, locked_until=until))
        return SignIn(None, "locked", until)
    connection.execute(update(table).where(where).values(failed_attempts=failures))
    return SignIn(None, "bad")


def principal_by_name(engine: Engine, name: str) -> Principal | None:
    """The account `name` as it is now, or None when it is unknown or disabled."""
    with engine.connect() as connection:
        found = _row(connection, name)
    if found is None or found["disabled"]:
        return None
    return _principal(found)


def principal_for_identity(engine: Engine, identities: list[str]) -> Principal | None:
    """The account a single sign-on identity is mapped to (by subject first, then e-mail)."""
    accounts, mapping = _TABLES["account"], _TABLES["identity_map"]
    wanted = [i.strip().lower() for i in identities if i and i.strip()]
    with engine.connect() as connection:
        for identity in wanted:
            found = (
                connection.execute(
                    select(accounts)
                    .join(mapping, mapping.c.account_id == accounts.c.id)
                    .where(mapping.c.identity == identity)
                )
                .mappings()
                .first()
            )
            if found is not None:
                return None if found["disabled"] else _principal(dict(found))
    return None


# ---------------------------------------------------------------------------------------------
# Sessions that outlive a page reload (docs/accounts.md): a random token in the browser's
# cookie, its SHA-256 in the table account_session.

SESSION_TOKEN_BYTES = 32


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Resumed:
    """A session found by its token: the account as it is now and when the sign-in was."""

    principal: Principal
    started: dt.datetime  # UTC, naive


def open_session(engine: Engine, principal: Principal, minutes: int) -> str:
    """A new session for a signed-in account, valid `minutes` from now; returns its token,
    which only the browser keeps."""
    if principal.account_id is None:
        raise AccountError(f"no account named {principal.name}", "unknown")
    token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
    moment = now()
    table = _TABLES["account_session"]
    with engine.begin() as connection:
        connection.execute(table.delete().where(table.c.expires_at <= moment))
        connection.execute(
            table.insert(),
            [
                {
                    "token_hash": _digest(token),
                    "account_id": principal.account_id,
                    "created_at": moment,
                    "expires_at": moment + dt.timedelta(minutes=minutes),
                }
            ],
        )
    return token


def resume_session(engine: Engine, token: str | None) -> Resumed | None:
    """The account of an unexpired session token, when the account is still enabled."""
    if not isinstance(token, str) or not token or len(token) > 128:
        return None
    sessions, table = _TABLES["account_session"], _TABLES["account"]
    with engine.connect() as connection:
        found = (
            connection.execute(
                select(table, sessions.c.created_at.label("session_started"))
                .join(sessions, sessions.c.account_id == table.c.id)
                .where(sessions.c.token_hash == _digest(token), sessions.c.expires_at > now())
            )
            .mappings()
            .first()
        )
    if found is None or found["disabled"]:
        return None
    return Resumed(_principal(dict(found)), found["session_started"])


def end_session(engine: Engine, token: str) -> None:
    """Ends one session (sign-out, expiry): its token opens nothing from now on."""
    table = _TABLES["account_session"]
    with engine.begin() as connection:
        connection.execute(table.delete().where(table.c.token_hash == _digest(token)))


def end_sessions(engine: Engine, name: str) -> int:
    """Ends every session of the account `name`; returns how many there were."""
    sessions, table = _TABLES["account_session"], _TABLES["account"]
    with engine.begin() as connection:
        ids = select(table.c.id).where(table.c.name == name).scalar_subquery()
        done = connection.execute(sessions.delete().where(sessions.c.account_id == ids))
        return int(done.rowcount or 0)


# ---------------------------------------------------------------------------------------------
# The audit


def audit_events(
    engine: Engine,
    kinds: tuple[str, ...] = (),
    account: str | None = None,
    since: dt.date | None = None,
    limit: int = 1000,
) -> pd.DataFrame:
    """The latest audit events, newest first, filtered by kind, account and first day."""
    table = _TABLES["audit_event"]
    statement = select(
        table.c.at, table.c.account, table.c.kind, table.c.scope, table.c.detail
    ).order_by(table.c.id.desc())
    if kinds:
        statement = statement.where(table.c.kind.in_(kinds))
    if account:
        statement = statement.where(table.c.account == account)
    if since is not None:
        statement = statement.where(table.c.at >= dt.datetime.combine(since, dt.time()))
    return read_frame(engine, statement.limit(limit))


def audit_kinds(engine: Engine) -> list[str]:
    table = _TABLES["audit_event"]
    with engine.connect() as connection:
        return sorted(
            connection.execute(select(table.c.kind).group_by(table.c.kind)).scalars().all()
        )


def account_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(_TABLES["account"])).scalar_one()
        )
