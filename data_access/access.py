"""Who may see what: the signed-in account and the one check every scoped read goes through.

A street account sees its street and its communities, a district account its district, a city
account everything (docs/accounts.md). `check` is the single place that compares a requested
scope with the account's: the app's cached reads, the exports, the map and the command line
all call it, and a refusal is written to the audit before it is raised.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Engine, Select, and_, select
from sqlalchemy.exc import SQLAlchemyError

from data_access.models import ACCOUNT_ROLES, CITY, Base
from data_access.scope import Scope, level_of_code

ROLE_RANK = {role: rank for rank, role in enumerate(ACCOUNT_ROLES)}
DETAIL_LIMIT = 2000


@dataclass(frozen=True)
class Principal:
    """A signed-in account as the app and the checks see it: never its password or hash."""

    name: str
    scope_code: str | None  # None: the whole city
    role: str
    account_id: int | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLE_RANK:
            raise ValueError(f"unknown role: {self.role!r}")
        if self.scope_code is not None:
            level_of_code(self.scope_code)

    @property
    def scope_label(self) -> str:
        return self.scope_code or CITY

    def may(self, role: str) -> bool:
        """True when the account's role is `role` or above it (viewer < importer < admin)."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    @property
    def can_import(self) -> bool:
        return self.may("importer")

    @property
    def is_admin(self) -> bool:
        return self.may("admin")

    def allows_code(self, code: str | None) -> bool:
        """True when the unit `code` (None: the city) lies inside the account's scope."""
        if self.scope_code is None:
            return True
        return code is not None and code.startswith(self.scope_code)

    def sees_unit(self, code: str) -> bool:
        """True for a unit inside the scope and for the scope's own parents (named in the path)."""
        return self.allows_code(code) or (
            self.scope_code is not None and self.scope_code.startswith(code)
        )

    def home(self, as_of: dt.date) -> Scope:
        return Scope(self.scope_code, as_of)


# With sign-in switched off (the embedded demo), everyone is this.
OPEN_ACCESS = Principal("—", None, "admin")


class ScopeRefused(PermissionError):
    """A request for data outside the account's scope; the message names no data of it."""

    def __init__(self, principal: Principal, asked: str | None) -> None:
        self.principal = principal
        self.asked = asked
        super().__init__(
            f"{asked or CITY} lies outside the scope {principal.scope_label} of this account"
        )


class RoleRefused(PermissionError):
    def __init__(self, principal: Principal, needed: str, action: str) -> None:
        self.principal = principal
        self.needed = needed
        self.action = action
        super().__init__(f"{action} needs the role {needed}; this account is {principal.role}")


def now() -> dt.datetime:
    """The audit's clock: UTC, naive, whole seconds (every backend stores it alike)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def record(
    engine: Engine | None,
    kind: str,
    account: str | None,
    scope: str | None = None,
    detail: str = "",
) -> None:
    """Writes one audit event; an audit that cannot be written never hides the refusal itself."""
    if engine is None:
        return
    row = {
        "at": now(),
        "account": (account or None) and account[:64],
        "kind": kind[:24],
        "scope": scope,
        "detail": detail[:DETAIL_LIMIT],
    }
    try:
        with engine.begin() as connection:
            connection.execute(Base.metadata.tables["audit_event"].insert(), [row])
    except SQLAlchemyError:
        pass


def check(principal: Principal, scope: Scope, audit: Engine | None = None, what: str = "") -> Scope:
    """The scope itself when the account may see it; else records a refusal and raises ScopeRefused."""
    if principal.allows_code(scope.code):
        return scope
    record(audit, "refused", principal.name, scope.code or CITY, what or "scope")
    raise ScopeRefused(principal, scope.code)


def check_code(
    principal: Principal, code: str | None, audit: Engine | None = None, what: str = ""
) -> None:
    """The same check for a unit code (a grid, a map click, an export's --scope)."""
    if not principal.allows_code(code):
        record(audit, "refused", principal.name, code or CITY, what or "unit")
        raise ScopeRefused(principal, code)


def require_role(principal: Principal, role: str, action: str, audit: Engine | None = None) -> None:
    if not principal.may(role):
        record(audit, "refused", principal.name, principal.scope_label, action)
        raise RoleRefused(principal, role, action)


# ---------------------------------------------------------------------------------------------
# What the Data page offers to whom (docs/accounts.md, "Roles"): the page asks these and draws
# what they allow; the functions that act (import, export, the audit, account changes) check
# again when they run.


def may_import(principal: Principal) -> bool:
    """Templates, upload and import history: importers and administrators."""
    return principal.may("importer")


def may_administer(principal: Principal, signing: bool) -> bool:
    """The audit and the account management: administrators, with sign-in on (with it off every
    visitor is the open account and there are no accounts)."""
    return signing and principal.is_admin


def inside(column: ColumnElement[str], code: str) -> ColumnElement[bool]:
    """The rows whose code `column` starts with `code`, as an index-friendly range (':' sorts
    right after '9'); 'city' and NULL are never inside a unit."""
    return and_(column >= code, column < code + ":")


def accounts_within(principal: Principal) -> Select[tuple[str]]:
    """The names of the accounts whose area lies inside the principal's (a city principal: all)."""
    table = Base.metadata.tables["account"]
    statement = select(table.c.name)
    if principal.scope_code is not None:
        statement = statement.where(inside(table.c.scope, principal.scope_code))
    return statement


def visible_imports(principal: Principal) -> ColumnElement[bool] | None:
    """Which rows of import_batch the import history shows the principal: an administrator the
    imports of the accounts inside its area (a city administrator: all, those made without an
    account too), anyone else its own. None: no condition."""
    table = Base.metadata.tables["import_batch"]
    if not principal.is_admin:
        return table.c.account == principal.name
    if principal.scope_code is None:
        return None
    return table.c.account.in_(accounts_within(principal))
