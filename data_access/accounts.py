"""Accounts: creating and changing them, signing in with lockout, single sign-on identities.

Passwords are hashed with Argon2id (argon2-cffi); neither a password nor its hash leaves this
module in a message, a log line or an audit row (docs/accounts.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import lru_cache
from typing import NoReturn

import pandas as pd
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Engine, false, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from data_access.access import (
    ROLE_RANK,
    Principal,
    RoleRefused,
    ScopeRefused,
    accounts_within,
    check,
    inside,
    now,
    record,
    require_role,
)
from data_access.db import read_frame
from data_access.models import ACCOUNT_ROLES, CITY, Account, Base
from data_access.scope import Scope, level_of_code
from data_access.settings import Settings
from data_access.tokens import configured_secret

# RFC 9106's second recommended profile: 64 MiB, 3 passes, 4 lanes (docs/accounts.md, memory).
# The tests swap in argon2's cheapest profile in their own process (docs/testing.md).
HASH_PROFILE = profiles.RFC_9106_LOW_MEMORY
_HASHER = PasswordHasher.from_parameters(HASH_PROFILE)
MIN_PASSWORD = 8
# Verified against when a name is unknown, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


class AccountError(ValueError):
    """A request the accounts cannot carry out, in words fit for the operator; `code` names the
    reason for the app's translated message (assets/i18n, keys accounts.error.CODE)."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


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


def _account_of_identity(connection: Connection, identity: str) -> dict | None:
    """The account a single sign-on identity is mapped to, as a row, or None."""
    accounts, mapping = _TABLES["account"], _TABLES["identity_map"]
    found = (
        connection.execute(
            select(accounts)
            .join(mapping, mapping.c.account_id == accounts.c.id)
            .where(mapping.c.identity == identity)
        )
        .mappings()
        .first()
    )
    return dict(found) if found is not None else None


def _row(connection: Connection, name: str) -> dict | None:
    table = _TABLES["account"]
    found = connection.execute(select(table).where(table.c.name == name)).mappings().first()
    return dict(found) if found else None


# ---------------------------------------------------------------------------------------------
# Who may change which account (docs/accounts.md, "Who manages which account")

# The server's operator, on the command line (python -m data_access accounts): acts on every
# account. It is no account: the app always passes the administrator it has signed in.
OPERATOR = Principal("operator", None, "admin")


class AccountRefused(AccountError):
    """An administrator asked for a change to an account it may not manage. A name that is no
    account gets the same refusal as an account outside the administrator's reach, so that it
    learns nothing of the names outside its area."""

    def __init__(self, actor: Principal, action: str, target: str, code: str = "refused") -> None:
        super().__init__(f"{actor.name} may not {action} the account {target[:64]}", code)
        self.actor, self.action, self.target = actor, action, target


def may_manage(actor: Principal, scope: str, role: str, own: bool = False) -> bool:
    """True when `actor` may change, or create, an account of `scope` (a code or city) and `role`:
    it is an administrator, its area contains the account's area, its role is not below the
    account's, and the account is not its peer (the same area and the same role) unless it is
    its own account."""
    code = None if scope == CITY else scope
    if not actor.is_admin or not actor.allows_code(code):
        return False
    if ROLE_RANK.get(role, len(ROLE_RANK)) > ROLE_RANK[actor.role]:
        return False
    return own or not (code == actor.scope_code and role == actor.role)


def _current(connection: Connection, actor: Principal) -> Principal | None:
    """The acting account as the database has it now; None when it is no enabled account, or not
    the account that signed in (another id under the same name)."""
    if actor is OPERATOR:
        return actor
    found = _row(connection, actor.name)
    if found is None or found["disabled"]:
        return None
    if actor.account_id is not None and found["id"] != actor.account_id:
        return None
    return _principal(found)


def _permits(actor: Principal, current: Principal | None, scope: str, role: str, own: bool) -> bool:
    """The rule of may_manage, for the principal the caller passed and for the account as it is
    now: a narrowed or demoted administrator is held to its new area and role at once."""
    if actor is OPERATOR:
        return True
    return (
        current is not None
        and may_manage(actor, scope, role, own)
        and may_manage(current, scope, role, own)
    )


def _is_own(current: Principal | None, target: dict | None) -> bool:
    return (
        current is not None
        and target is not None
        and current.account_id is not None
        and current.account_id == target["id"]
    )


def _refuse(
    engine: Engine,
    actor: Principal,
    action: str,
    target: str,
    scope: str | None = None,
    code: str = "refused",
) -> NoReturn:
    """Records who asked for which change to which account, and raises AccountRefused."""
    record(engine, "refused", actor.name, scope, f"account {action} {target[:64]}")
    raise AccountRefused(actor, action, target, code)


def _by(actor: Principal) -> str:
    """The audit detail naming who made a change: the administrator, or nothing for the operator."""
    return "" if actor is OPERATOR else f"by {actor.name}"


def add_account(
    engine: Engine,
    name: str,
    scope: str,
    role: str,
    password: str | None,
    *,
    actor: Principal,
    known_units: Collection[str] | None = None,
) -> None:
    """Creates an account; password None makes one that signs in through single sign-on only.
    `actor` may create only accounts it may manage (may_manage); OPERATOR any. With
    `known_units` (the codes of the units in the database), a scope inside the actor's area that
    is no known unit is refused as such; one outside it is refused as out of reach."""
    name = name.strip()
    if not name or len(name) > 64:
        raise AccountError("an account name has 1 to 64 characters", "name")
    if role not in ACCOUNT_ROLES:
        raise AccountError(f"role must be one of {', '.join(ACCOUNT_ROLES)}", "role")
    scope = checked_scope(scope)
    code = None if scope == CITY else scope
    if (
        known_units is not None
        and code is not None
        and code not in known_units
        and actor.allows_code(code)
    ):
        raise AccountError("no such unit", "no_unit")
    values = {
        "name": name,
        "password_hash": None if password is None else hash_password(password),
        "scope": scope,
        "role": role,
        "disabled": False,
        "failed_attempts": 0,
        "locked_until": None,
        "created_at": now(),
    }
    with engine.begin() as connection:
        allowed = _permits(actor, _current(connection, actor), scope, role, own=False)
        if allowed:
            if _row(connection, name) is not None:
                raise AccountError(f"the account {name} exists already", "exists")
            connection.execute(_TABLES["account"].insert(), [values])
    if not allowed:
        outside = not actor.allows_code(None if scope == CITY else scope)
        _refuse(engine, actor, "add", name, scope, "outside" if outside else "above")
    detail = f"role={role} {_by(actor)}".strip()
    record(engine, "account_added", name, scope, detail)


def _change(
    engine: Engine, actor: Principal, action: str, name: str, own_allowed: bool, **values: object
) -> dict:
    """Sets `values` on the account `name` when `actor` may manage it; returns the account's row.
    Refused (and recorded) alike for a name that is no account and for one out of reach."""
    table = _TABLES["account"]
    with engine.begin() as connection:
        target = _row(connection, name)
        current = _current(connection, actor)
        own = _is_own(current, target)
        if own and not own_allowed:
            raise AccountError(f"an administrator cannot {action} its own account", "self")
        allowed = target is not None and _permits(
            actor, current, target["scope"], target["role"], own
        )
        if target is not None and allowed:
            connection.execute(update(table).where(table.c.id == target["id"]).values(**values))
    if target is None and actor is OPERATOR:
        raise AccountError(f"no account named {name}", "unknown")
    if target is None or not allowed:
        _refuse(engine, actor, action, name)
    return target


def set_password(engine: Engine, name: str, password: str, *, actor: Principal) -> None:
    """A new password; it also lifts a lockout."""
    hashed = hash_password(password)
    target = _change(
        engine,
        actor,
        "password",
        name,
        own_allowed=True,
        password_hash=hashed,
        failed_attempts=0,
        locked_until=None,
    )
    end_sessions(engine, target["name"])  # a new password signs every browser of the account out
    _name_cleared(engine, _subject(target["name"]))
    record(engine, "password_changed", target["name"], None, _by(actor))


def disable_account(engine: Engine, name: str, *, actor: Principal) -> None:
    """The account can no longer sign in; its sessions end. An administrator cannot disable
    its own account."""
    target = _change(engine, actor, "disable", name, own_allowed=False, disabled=True)
    end_sessions(engine, target["name"])
    record(engine, "account_disabled", target["name"], None, _by(actor))


def enable_account(engine: Engine, name: str, *, actor: Principal) -> None:
    target = _change(
        engine,
        actor,
        "enable",
        name,
        own_allowed=True,
        disabled=False,
        failed_attempts=0,
        locked_until=None,
    )
    _name_cleared(engine, _subject(target["name"]))
    record(engine, "account_enabled", target["name"], None, _by(actor))


def unlock_account(engine: Engine, name: str, *, actor: Principal) -> None:
    """Lifts a lockout and the name's sign-in delay now, without a new password."""
    target = _change(
        engine, actor, "unlock", name, own_allowed=True, failed_attempts=0, locked_until=None
    )
    _name_cleared(engine, _subject(target["name"]))
    record(engine, "account_unlocked", target["name"], None, _by(actor))


def managed_accounts(engine: Engine, actor: Principal) -> pd.DataFrame:
    """The accounts whose area lies inside the administrator's own (a city administrator: all),
    with list_accounts' columns and `manageable`: whether `actor` may change it (may_manage).
    RoleRefused, recorded, for an account that is no administrator."""
    require_role(actor, "admin", "accounts", engine)
    frame = list_accounts(engine)
    frame = frame[[actor.allows_code(None if s == CITY else s) for s in frame["scope"]]]
    frame = frame.reset_index(drop=True)
    frame["manageable"] = [
        may_manage(actor, scope, role, own=name == actor.name)
        for name, scope, role in zip(frame["name"], frame["scope"], frame["role"], strict=True)
    ]
    return frame


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


def map_identity(engine: Engine, identity: str, name: str, *, actor: Principal) -> None:
    """Lets a single sign-on identity (subject or e-mail) act as the account `name`. An identity
    mapped to another account now is taken from it, so `actor` must manage both accounts."""
    identity = identity.strip().lower()
    if not identity or len(identity) > 255:
        raise AccountError("an identity is a subject or an e-mail address", "identity")
    table = _TABLES["identity_map"]
    with engine.begin() as connection:
        target = _row(connection, name)
        current = _current(connection, actor)
        allowed = target is not None and _permits(
            actor, current, target["scope"], target["role"], _is_own(current, target)
        )
        if target is not None and allowed:
            previous = _account_of_identity(connection, identity)
            if previous is not None and previous["id"] != target["id"]:
                allowed = _permits(
                    actor, current, previous["scope"], previous["role"], _is_own(current, previous)
                )
        if target is not None and allowed:
            connection.execute(table.delete().where(table.c.identity == identity))
            connection.execute(table.insert(), [{"identity": identity, "account_id": target["id"]}])
    if target is None and actor is OPERATOR:
        raise AccountError(f"no account named {name}", "unknown")
    if target is None or not allowed:
        _refuse(engine, actor, "map", name)
    record(engine, "identity_mapped", target["name"], target["scope"], _by(actor))


# ---------------------------------------------------------------------------------------------
# Signing in, with the limits of docs/accounts.md (sign-in limits): the failures of an account
# are counted by one UPDATE in the database and the lock decided from the counted value; every
# account name, known or not, waits a growing delay after a few failures (kept in the database,
# shared by the app processes); so does every client address (kept in this process); and at
# most `max_checks` Argon2 checks run at once in this process.


@dataclass(frozen=True)
class SignIn:
    """The outcome: the principal when it worked, else why not. reason: "", "bad" (a wrong
    password or an unknown name), "locked", "disabled" or "wait" (an attempt inside a delay, or
    no free password check: nothing was checked). password_ok: the password was right, the only
    case in which a lock or a disabled account may be told."""

    principal: Principal | None
    reason: str = ""
    locked_until: dt.datetime | None = None
    password_ok: bool = False
    newly_locked: bool = False


@dataclass(frozen=True)
class SignInLimits:
    """The sign-in limits (settings sign_in_*; docs/accounts.md). delays=False leaves the
    growing delays out (the command line and tests of the lock alone); the cap on password
    checks applies always."""

    free_failures: int = 3
    address_free_failures: int = 10
    delay_seconds: float = 1.0
    delay_max_seconds: float = 300.0
    forget_minutes: int = 60
    max_checks: int = 2
    check_wait_seconds: float = 3.0
    delays: bool = True

    @classmethod
    def of(cls, settings: Settings) -> SignInLimits:
        return cls(
            free_failures=settings.sign_in_free_failures,
            address_free_failures=settings.sign_in_address_free_failures,
            delay_seconds=settings.sign_in_delay_seconds,
            delay_max_seconds=settings.sign_in_delay_max_seconds,
            forget_minutes=settings.sign_in_forget_minutes,
            max_checks=settings.sign_in_max_checks,
            check_wait_seconds=settings.sign_in_check_wait_seconds,
        )

    def delay(self, failures: int, free: int) -> float:
        """Seconds the next attempt waits after `failures` failures: none before `free`, then
        delay_seconds, doubling with each further failure, at most delay_max_seconds."""
        if failures < free:
            return 0.0
        return min(self.delay_seconds * 2 ** min(failures - free, 40), self.delay_max_seconds)


_NO_DELAYS = SignInLimits(delays=False)


class _Busy(Exception):
    """No password check became free within check_wait_seconds."""


_GATES: dict[int, threading.BoundedSemaphore] = {}
_GATES_LOCK = threading.Lock()


def _gate(at_once: int) -> threading.BoundedSemaphore:
    """The process's semaphore around the Argon2 checks, one per configured size."""
    at_once = max(1, at_once)
    with _GATES_LOCK:
        gate = _GATES.get(at_once)
        if gate is None:
            gate = _GATES[at_once] = threading.BoundedSemaphore(at_once)
        return gate


def _argon2(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _verify(hashed: str, password: str, limits: SignInLimits = _NO_DELAYS) -> bool:
    """The Argon2 check, at most limits.max_checks at once in this process; _Busy when none
    becomes free within limits.check_wait_seconds."""
    gate = _gate(limits.max_checks)
    if not gate.acquire(timeout=max(0.0, limits.check_wait_seconds)):
        raise _Busy
    try:
        return _argon2(hashed, password)
    finally:
        gate.release()


class _AddressDelays:
    """Failures per client address in this process: {address: (failures, not before, forget
    at)}, in time.monotonic() seconds; at most MAX_ADDRESSES are kept (the oldest go first)."""

    MAX_ADDRESSES = 10_000

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[int, float, float]] = {}
        self.clock = clock

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()

    def admit(self, address: str, limits: SignInLimits) -> bool:
        """True when an attempt from address may be checked now; it then holds the address's
        next slot, so that of many attempts at once after a delay only one is checked."""
        moment = self.clock()
        free = limits.address_free_failures
        with self._lock:
            failures, not_before, forget_at = self._seen.get(address, (0, 0.0, 0.0))
            if forget_at <= moment or failures < free:
                return True
            if not_before > moment:
                return False
            self._seen[address] = (failures, moment + limits.delay(failures, free), forget_at)
            return True

    def failed(self, address: str, limits: SignInLimits) -> None:
        moment = self.clock()
        free = limits.address_free_failures
        with self._lock:
            failures, _, forget_at = self._seen.pop(address, (0, 0.0, 0.0))
            failures = failures + 1 if forget_at > moment else 1
            if len(self._seen) >= self.MAX_ADDRESSES:
                for stale in [a for a, kept in self._seen.items() if kept[2] <= moment]:
                    del self._seen[stale]
                while len(self._seen) >= self.MAX_ADDRESSES:  # the oldest first (dict order)
                    del self._seen[next(iter(self._seen))]
            self._seen[address] = (
                failures,
                moment + limits.delay(failures, free),
                moment + limits.forget_minutes * 60,
            )


_ADDRESSES = _AddressDelays()


@lru_cache(maxsize=1)
def _subject_key() -> bytes:
    """The key of the name hashes in sign_in_delay: the shared report secret when one is set,
    so that a password typed as a name is not stored as its plain hash."""
    return (configured_secret() or "dashboard sign-in delay").encode()


def _subject(name: str) -> str:
    """The row of sign_in_delay for a typed name, known or not: a keyed hash, never the name."""
    return hmac.new(_subject_key(), name.casefold().encode(), hashlib.sha256).hexdigest()


def _name_admitted(engine: Engine, subject: str, limits: SignInLimits, moment: dt.datetime) -> bool:
    """True when an attempt on this name may be checked now; it then claims the name's next
    slot with a conditional UPDATE, so that every process together checks one attempt per
    delay."""
    table, free = _TABLES["sign_in_delay"], limits.free_failures
    where = table.c.subject == subject
    with engine.begin() as connection:
        row = connection.execute(
            select(table.c.failures, table.c.not_before, table.c.expires_at).where(where)
        ).first()
        if row is None or row.expires_at <= moment or row.failures < free:
            return True
        if row.not_before > moment:
            return False
        until = moment + _seconds(limits.delay(row.failures, free))
        claimed = connection.execute(
            update(table).where(where, table.c.not_before <= moment).values(not_before=until)
        )
        return claimed.rowcount == 1


def _seconds(seconds: float) -> dt.timedelta:
    """A delay in the database's whole seconds, rounded up."""
    return dt.timedelta(seconds=math.ceil(seconds))


def _name_failed(engine: Engine, subject: str, limits: SignInLimits, moment: dt.datetime) -> None:
    """Counts a failure on the name (one UPDATE ... + 1) and sets its next delay from the count;
    rows forgotten by now are deleted on the way."""
    table, free = _TABLES["sign_in_delay"], limits.free_failures
    where = table.c.subject == subject
    forget = moment + dt.timedelta(minutes=limits.forget_minutes)
    with engine.begin() as connection:
        connection.execute(table.delete().where(table.c.expires_at <= moment))
    try:
        with engine.begin() as connection:
            first = {"subject": subject, "failures": 0, "not_before": moment, "expires_at": forget}
            connection.execute(table.insert(), [first])
    except IntegrityError:
        pass  # counted before: the row is there
    with engine.begin() as connection:
        connection.execute(
            update(table).where(where).values(failures=table.c.failures + 1, expires_at=forget)
        )
        failures = connection.execute(select(table.c.failures).where(where)).scalar() or 0
        if failures >= free:
            until = moment + _seconds(limits.delay(failures, free))
            connection.execute(update(table).where(where).values(not_before=until))


def _name_cleared(engine: Engine, subject: str) -> None:
    table = _TABLES["sign_in_delay"]
    with engine.begin() as connection:
        connection.execute(table.delete().where(table.c.subject == subject))


def authenticate(
    engine: Engine,
    name: str,
    password: str,
    max_failures: int,
    lockout_minutes: int,
    *,
    limits: SignInLimits = _NO_DELAYS,
    address: str | None = None,
) -> SignIn:
    """Checks a name and a password within the limits; counts failures and locks the account
    after max_failures. An unknown name costs the same check and the same writes as a known one
    and is answered alike; a lock or a disabled account is told only with the right password."""
    name = name.strip()[:64]
    moment = now()
    subject = _subject(name)
    with engine.connect() as connection:
        account = _row(connection, name) if name else None
    # An unknown name is not recorded as typed: people type their password there by mistake.
    who = name if account is not None else None
    scope = account["scope"] if account is not None else None
    if limits.delays and address and not _ADDRESSES.admit(address, limits):
        record(engine, "sign_in_failed", who, scope, "wait: address")
        return SignIn(None, "wait")
    if limits.delays and not _name_admitted(engine, subject, limits, moment):
        record(engine, "sign_in_failed", who, scope, "wait: account")
        return SignIn(None, "wait")
    hashed = account["password_hash"] if account is not None else None
    try:
        right = _verify(hashed or _DUMMY_HASH, password, limits) and hashed is not None
    except _Busy:
        record(engine, "sign_in_failed", who, scope, "wait: busy")
        return SignIn(None, "wait")
    if right and account is not None:
        outcome = _signed_in(engine, account, password, moment)
    else:
        outcome = _failed(engine, account, max_failures, lockout_minutes, moment)
        if limits.delays:
            _name_failed(engine, subject, limits, moment)
            if address:
                _ADDRESSES.failed(address, limits)
    if outcome.principal is not None:
        if limits.delays:
            _name_cleared(engine, subject)
        record(engine, "sign_in", who, scope, "password")
    elif outcome.newly_locked:
        record(engine, "locked", who, scope, f"after {max_failures} failures")
    else:
        record(engine, "sign_in_failed", who, scope, outcome.reason)
    return outcome


def _signed_in(engine: Engine, account: dict, password: str, moment: dt.datetime) -> SignIn:
    """The right password: signs in unless the account is disabled or locked at this moment
    (decided by the UPDATE's condition, so that a lock set meanwhile by another attempt wins)."""
    if account["disabled"]:
        return SignIn(None, "disabled", password_ok=True)
    table = _TABLES["account"]
    where = table.c.id == account["id"]
    values: dict[str, object] = {"failed_attempts": 0, "locked_until": None}
    if _HASHER.check_needs_rehash(account["password_hash"]):
        values["password_hash"] = _HASHER.hash(password)
    open_now = or_(table.c.locked_until.is_(None), table.c.locked_until <= moment)
    with engine.begin() as connection:
        done = connection.execute(
            update(table).where(where, table.c.disabled == false(), open_now).values(**values)
        )
        if done.rowcount == 1:
            return SignIn(_principal(account), password_ok=True)
        state = connection.execute(select(table.c.disabled, table.c.locked_until).where(where))
        found = state.first()
    if found is None or found.disabled:
        return SignIn(None, "disabled", password_ok=True)
    return SignIn(None, "locked", found.locked_until, password_ok=True)


def _failed(
    engine: Engine,
    account: dict | None,
    max_failures: int,
    lockout_minutes: int,
    moment: dt.datetime,
) -> SignIn:
    """A wrong password (or an unknown name): one UPDATE adds the failure in the database unless
    the account is locked or disabled, and the lock is decided from the value read back in the
    same transaction. An unknown name runs the same statements on no row."""
    table = _TABLES["account"]
    where = table.c.id == (account["id"] if account is not None else -1)
    open_now = or_(table.c.locked_until.is_(None), table.c.locked_until <= moment)
    with engine.begin() as connection:
        counted = connection.execute(
            update(table)
            .where(where, table.c.disabled == false(), open_now)
            .values(failed_attempts=table.c.failed_attempts + 1)
        ).rowcount
        found = connection.execute(
            select(table.c.failed_attempts, table.c.locked_until, table.c.disabled).where(where)
        ).first()
        if account is None or found is None:
            return SignIn(None, "bad")
        if found.disabled:
            return SignIn(None, "disabled")
        if not counted:  # locked already, by an earlier attempt or one at the same time
            return SignIn(None, "locked", found.locked_until)
        if (found.failed_attempts or 0) >= max_failures:
            until = moment + dt.timedelta(minutes=lockout_minutes)
            connection.execute(
                update(table).where(where).values(failed_attempts=0, locked_until=until)
            )
            return SignIn(None, "locked", until, newly_locked=True)
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
    wanted = [i.strip().lower() for i in identities if i and i.strip()]
    with engine.connect() as connection:
        for identity in wanted:
            found = _account_of_identity(connection, identity)
            if found is not None:
                return None if found["disabled"] else _principal(found)
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
# An action asked for by a page drawn earlier: checked against the account as it is now
# (docs/accounts.md, "Roles" and "Scope").


def account_now(
    engine: Engine, principal: Principal, action: str, scope: str | None = None
) -> Principal | None:
    """The signed-in account as the database has it now (its area and role as they are now), or
    None when it was disabled, is gone or is another account under the same name; None is
    recorded as `refused`, detail `ACTION: disabled`, with `scope` (default the account's area)."""
    with engine.connect() as connection:
        current = _current(connection, principal)
    if current is None:
        record(
            engine, "refused", principal.name, scope or principal.scope_label, f"{action}: disabled"
        )
    return current


def acting_admin(engine: Engine, principal: Principal) -> Principal | None:
    """The administrator pressing a button of the account management, as it is now; None, and
    recorded, when it was disabled or is no longer an administrator."""
    current = account_now(engine, principal, "accounts")
    if current is None:
        return None
    try:
        require_role(current, "admin", "accounts", engine)
    except RoleRefused:
        return None
    return current


def importing_account(engine: Engine, principal: Principal, *, signing: bool) -> Principal:
    """The account an import runs as: the signed-in one as it is now (with sign-in off, the open
    account), when it is an importer or an administrator. Else records the refusal and raises
    RoleRefused."""
    current = account_now(engine, principal, "import") if signing else principal
    if current is None:
        raise RoleRefused(principal, "importer", "import")
    require_role(current, "importer", "import", engine)
    return current


def exporting_account(
    engine: Engine, principal: Principal, scope: Scope, *, signing: bool
) -> Principal:
    """The account a full export of `scope` runs as: the signed-in one as it is now, when the
    scope lies inside its area now. Else records the refusal and raises ScopeRefused; the export
    itself is recorded by the caller once it is made."""
    current = account_now(engine, principal, "export", scope.code) if signing else principal
    if current is None:
        raise ScopeRefused(principal, scope.code)
    check(current, scope, engine, "export")
    return current


# ---------------------------------------------------------------------------------------------
# The audit


def audit_events(
    engine: Engine,
    kinds: tuple[str, ...] = (),
    account: str | None = None,
    since: dt.date | None = None,
    limit: int = 1000,
    *,
    actor: Principal,
) -> pd.DataFrame:
    """The latest audit events `actor` may see, newest first, filtered by kind, account and
    first day. Only an administrator sees the audit (RoleRefused, recorded, for any other); a
    city administrator (and OPERATOR) sees every event, any other the events of the accounts
    inside its area and the events about units inside it (docs/accounts.md, "Audit")."""
    require_role(actor, "admin", "audit", engine)
    table = _TABLES["audit_event"]
    statement = select(
        table.c.at, table.c.account, table.c.kind, table.c.scope, table.c.detail
    ).order_by(table.c.id.desc())
    if actor.scope_code is not None:
        statement = statement.where(
            or_(
                table.c.account.in_(accounts_within(actor)),
                inside(table.c.scope, actor.scope_code),
            )
        )
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
