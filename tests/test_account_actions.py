"""Who may change which account, checked in data_access whatever the page offered: every account
action for an account of the administrator's own area, a wider one, one of another district, by
an account whose role is too low, on a peer and on a name that is no account (docs/accounts.md,
"Who manages which account"); and which audit events and imports an administrator, an importer
and a viewer see ("Audit"); on every backend."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import Engine, select, update

from data_access import accounts
from data_access.access import Principal, RoleRefused, now, record
from data_access.accounts import OPERATOR, AccountError, AccountRefused
from data_access.db import make_engine
from data_access.importing import Upload, run_import
from data_access.models import Account, AuditEvent, Base
from data_access.queries.imports import import_history

PASSWORD = "Konten-Probe-pw-1"
NEW = "Neues-Konto-pw-2"
ACTIONS = ("password", "disable", "enable", "unlock", "map")
ACCOUNTS = {
    "city_admin": ("city", "admin"),
    "city_viewer": ("city", "viewer"),
    "d1_admin": ("990101", "admin"),
    "d1_peer": ("990101", "admin"),
    "d1_importer": ("990101", "importer"),
    "s1_admin": ("990101001", "admin"),
    "south": ("990102001", "viewer"),
    "d2_admin": ("990102", "admin"),
    **{f"{action}_east": ("990101001", "viewer") for action in ACTIONS},
    "spare_east": ("990101001", "viewer"),
}
# Who asks, and which account it names, for each case that must be refused.
REFUSED = {
    "wider": ("d1_admin", "city_viewer"),
    "city_admin": ("d1_admin", "city_admin"),
    "foreign": ("d1_admin", "south"),
    "foreign_admin": ("d1_admin", "d2_admin"),
    "role_too_low": ("d1_importer", "spare_east"),
    "peer": ("d1_admin", "d1_peer"),
    "narrower_admin_upwards": ("s1_admin", "d1_admin"),
    "unknown": ("d1_admin", "nobody_at_all"),
}


@pytest.fixture(scope="module")
def engine(databases, head_template: str) -> Iterator[Engine]:
    """One database for the module: refusals change nothing, and each allowed action has an
    account of its own (enable's starts disabled, unlock's locked)."""
    engine = make_engine(databases.copy(head_template, f"rights_{uuid.uuid4().hex[:8]}"))
    for name, (scope, role) in ACCOUNTS.items():
        accounts.add_account(engine, name, scope, role, PASSWORD, actor=OPERATOR)
    accounts.disable_account(engine, "enable_east", actor=OPERATOR)
    table = Account.__table__
    with engine.begin() as connection:
        later = now() + dt.timedelta(minutes=15)
        connection.execute(
            update(table).where(table.c.name == "unlock_east").values(locked_until=later)
        )
    accounts.map_identity(engine, "chief@example.org", "city_admin", actor=OPERATOR)
    yield engine
    engine.dispose()


def who(engine: Engine, name: str) -> Principal:
    found = accounts.principal_by_name(engine, name)
    assert found is not None
    return found


def act(engine: Engine, action: str, actor: Principal, target: str) -> None:
    if action == "password":
        accounts.set_password(engine, target, NEW, actor=actor)
    elif action == "map":
        accounts.map_identity(engine, f"{target}@example.org", target, actor=actor)
    else:
        change = {
            "disable": accounts.disable_account,
            "enable": accounts.enable_account,
            "unlock": accounts.unlock_account,
        }[action]
        change(engine, target, actor=actor)


def state(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of the accounts, their identities and sessions, hashes included."""
    with engine.connect() as connection:
        return {
            name: sorted(
                tuple(row) for row in connection.execute(select(Base.metadata.tables[name]))
            )
            for name in ("account", "identity_map", "account_session")
        }


def last_audit(engine: Engine) -> tuple:
    table = AuditEvent.__table__
    statement = select(table.c.account, table.c.kind, table.c.scope, table.c.detail)
    with engine.connect() as connection:
        return tuple(connection.execute(statement.order_by(table.c.id.desc()).limit(1)).one())


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("case", REFUSED)
def test_an_action_out_of_reach_changes_nothing_and_is_recorded(engine, case, action):
    actor_name, target = REFUSED[case]
    actor = who(engine, actor_name)
    before = state(engine)
    with pytest.raises(AccountRefused) as refused:
        act(engine, action, actor, target)
    # The same code and sentence for a name that is no account as for one out of reach.
    assert refused.value.code == "refused"
    assert str(refused.value) == f"{actor_name} may not {action} the account {target}"
    assert state(engine) == before
    assert last_audit(engine) == (actor_name, "refused", None, f"account {action} {target}")


@pytest.mark.parametrize("action", ACTIONS)
def test_a_district_admin_changes_an_account_of_its_own_area(engine, action):
    target = f"{action}_east"
    act(engine, action, who(engine, "d1_admin"), target)
    kind = {
        "password": "password_changed",
        "disable": "account_disabled",
        "enable": "account_enabled",
        "unlock": "account_unlocked",
        "map": "identity_mapped",
    }[action]
    scope = "990101001" if action == "map" else None
    assert last_audit(engine) == (target, kind, scope, "by d1_admin")
    signed = accounts.authenticate(engine, target, NEW if action == "password" else PASSWORD, 5, 15)
    assert (signed.principal is None) == (action == "disable")
    if action == "map":
        mapped = accounts.principal_for_identity(engine, [f"{target}@example.org"])
        assert mapped is not None and mapped.name == target


def test_a_street_admin_of_the_district_is_managed_by_the_district_admin(engine):
    accounts.unlock_account(engine, "s1_admin", actor=who(engine, "d1_admin"))
    assert last_audit(engine) == ("s1_admin", "account_unlocked", None, "by d1_admin")


@pytest.mark.parametrize(
    ("actor_name", "scope", "role", "code"),
    [
        ("d1_admin", "city", "viewer", "outside"),  # wider
        ("d1_admin", "990102001", "viewer", "outside"),  # another district
        ("d1_admin", "990101", "admin", "above"),  # a peer
        ("s1_admin", "990101", "viewer", "outside"),  # wider than the street
        ("d1_importer", "990101001", "viewer", "above"),  # not an administrator
        ("d1_admin", "990101", "owner", "role"),  # no role at all
    ],
)
def test_an_account_out_of_reach_is_not_created(engine, actor_name, scope, role, code):
    before = state(engine)
    with pytest.raises(AccountError) as refused:
        accounts.add_account(
            engine, "made_up", scope, role, PASSWORD, actor=who(engine, actor_name)
        )
    assert refused.value.code == code
    assert state(engine) == before
    if code != "role":  # a role that does not exist is bad input, not a refusal
        assert last_audit(engine) == (actor_name, "refused", scope, "account add made_up")


def test_a_district_admin_creates_accounts_below_itself(engine):
    d1 = who(engine, "d1_admin")
    accounts.add_account(engine, "new_street_admin", "990101002", "admin", PASSWORD, actor=d1)
    assert last_audit(engine) == (
        "new_street_admin",
        "account_added",
        "990101002",
        "role=admin by d1_admin",
    )
    accounts.add_account(engine, "new_district_viewer", "990101", "viewer", PASSWORD, actor=d1)
    assert who(engine, "new_district_viewer").scope_code == "990101"
    # A name taken outside the area is said to exist only for an account the admin may create.
    with pytest.raises(AccountError) as taken:
        accounts.add_account(engine, "south", "990101001", "viewer", PASSWORD, actor=d1)
    assert taken.value.code == "exists"


def test_an_admin_gives_itself_a_password_but_does_not_disable_itself(engine):
    me = who(engine, "d2_admin")
    accounts.set_password(engine, "d2_admin", NEW, actor=me)
    assert last_audit(engine) == ("d2_admin", "password_changed", None, "by d2_admin")
    before = state(engine)
    with pytest.raises(AccountError) as refused:
        accounts.disable_account(engine, "d2_admin", actor=me)
    assert refused.value.code == "self"
    assert state(engine) == before


def test_the_actor_is_held_to_its_account_as_it_is_now(engine):
    # A principal that claims more than its account (stale, or made up) gets no more.
    claimed = Principal("d1_admin", None, "admin", who(engine, "d1_admin").account_id)
    before = state(engine)
    with pytest.raises(AccountRefused):
        accounts.set_password(engine, "city_viewer", NEW, actor=claimed)
    with pytest.raises(AccountRefused):  # no such account
        accounts.unlock_account(engine, "spare_east", actor=Principal("ghost", None, "admin"))
    with pytest.raises(AccountRefused):  # another account under the name that signed in
        accounts.unlock_account(
            engine, "spare_east", actor=Principal("d1_admin", "990101", "admin", 10**6)
        )
    assert state(engine) == before
    assert last_audit(engine) == ("d1_admin", "refused", None, "account unlock spare_east")


def test_an_identity_of_an_account_out_of_reach_is_not_taken_from_it(engine):
    before = state(engine)
    with pytest.raises(AccountRefused):
        accounts.map_identity(
            engine, "Chief@Example.org", "spare_east", actor=who(engine, "d1_admin")
        )
    assert state(engine) == before
    assert last_audit(engine) == ("d1_admin", "refused", None, "account map spare_east")
    chief = accounts.principal_for_identity(engine, ["chief@example.org"])
    assert chief is not None and chief.name == "city_admin"


def test_a_name_spelt_otherwise_reaches_no_account_out_of_reach(engine):
    """MySQL and MariaDB compare names without case and trailing blanks: the check is made on the
    account found, not on the name sent."""
    d1 = who(engine, "d1_admin")
    before = state(engine)
    for spelt in ("CITY_ADMIN", "city_admin ", "City_Admin"):
        with pytest.raises(AccountRefused):
            accounts.set_password(engine, spelt, NEW, actor=d1)
    assert state(engine) == before


def test_the_operator_manages_every_account_and_names_unknown_ones(engine):
    accounts.unlock_account(engine, "city_admin", actor=OPERATOR)
    assert last_audit(engine) == ("city_admin", "account_unlocked", None, "")
    with pytest.raises(AccountError, match="no account named nobody") as unknown:
        accounts.unlock_account(engine, "nobody", actor=OPERATOR)
    assert unknown.value.code == "unknown"


# ---------------------------------------------------------------------------------------------
# Which audit events an administrator sees (docs/accounts.md, "Audit")

AUDIT_ACCOUNTS = {
    "city_admin": ("city", "admin"),
    "d1_admin": ("990101", "admin"),
    "east": ("990101001", "viewer"),
    "d2_admin": ("990102", "admin"),
    "south": ("990102001", "viewer"),
}


def test_an_administrator_sees_the_audit_of_its_own_area_only(migrated_database):
    engine = make_engine(migrated_database("audit_area"))
    for name, (scope, role) in AUDIT_ACCOUNTS.items():
        accounts.add_account(engine, name, scope, role, PASSWORD, actor=OPERATOR)
    for name in AUDIT_ACCOUNTS:
        assert accounts.authenticate(engine, name, PASSWORD, 5, 15).principal is not None
    assert accounts.authenticate(engine, "nobody_at_all", PASSWORD, 5, 15).principal is None
    record(engine, "refused", "south", "990101001", "street=990101001")
    record(engine, "export", "city_admin", "990101", "all_data_990101")
    record(engine, "export", "city_admin", "city", "all_data_city")
    record(engine, "export", "d2_admin", "990102", "all_data_990102")
    accounts.set_password(engine, "east", NEW, actor=who(engine, "d1_admin"))

    def seen(actor: Principal, **filters: object) -> list[tuple]:
        frame = accounts.audit_events(engine, actor=actor, **filters)  # type: ignore[arg-type]
        frame = frame.astype(object).where(frame.notna(), None)
        return list(
            frame[["account", "kind", "scope", "detail"]].itertuples(index=False, name=None)
        )

    everything = seen(OPERATOR)
    assert len(everything) == 5 + 5 + 1 + 4 + 1
    assert seen(who(engine, "city_admin")) == everything
    assert seen(who(engine, "d1_admin")) == [
        ("east", "password_changed", None, "by d1_admin"),
        ("city_admin", "export", "990101", "all_data_990101"),  # about its district
        ("south", "refused", "990101001", "street=990101001"),  # about its street
        ("east", "sign_in", "990101001", "password"),
        ("d1_admin", "sign_in", "990101", "password"),
        ("east", "account_added", "990101001", "role=viewer"),
        ("d1_admin", "account_added", "990101", "role=admin"),
    ]
    assert seen(who(engine, "d2_admin")) == [
        ("d2_admin", "export", "990102", "all_data_990102"),
        ("south", "refused", "990101001", "street=990101001"),  # its own account's refusal
        ("south", "sign_in", "990102001", "password"),
        ("d2_admin", "sign_in", "990102", "password"),
        ("south", "account_added", "990102001", "role=viewer"),
        ("d2_admin", "account_added", "990102", "role=admin"),
    ]
    # The filters narrow what the area allows, never widen it.
    d1 = who(engine, "d1_admin")
    assert seen(d1, account="city_admin") == [("city_admin", "export", "990101", "all_data_990101")]
    assert seen(d1, account="d2_admin") == []
    assert seen(d1, kinds=("sign_in",)) == [
        ("east", "sign_in", "990101001", "password"),
        ("d1_admin", "sign_in", "990101", "password"),
    ]
    # A street administrator: its street's accounts and units.
    street_admin = Principal("s1_admin", "990101001", "admin")
    assert [row[:2] for row in seen(street_admin)] == [
        ("east", "password_changed"),
        ("south", "refused"),
        ("east", "sign_in"),
        ("east", "account_added"),
    ]
    # Only administrators see the audit; a viewer's request is refused and recorded.
    with pytest.raises(RoleRefused):
        accounts.audit_events(engine, actor=who(engine, "east"))
    assert last_audit(engine) == ("east", "refused", "990101001", "audit")
    engine.dispose()


def test_the_import_history_shows_an_importer_its_own_and_an_administrator_its_area(
    migrated_database,
):
    engine = make_engine(migrated_database("history_area"))
    for name, (scope, role) in AUDIT_ACCOUNTS.items():
        accounts.add_account(engine, name, scope, role, PASSWORD, actor=OPERATOR)
    bad = Upload.of("districts.csv", "区代码,区名称\r\nabc,无效\r\n".encode())
    importers = ("east", "south", "d1_admin", "city_admin", None)  # None: the command line
    for name in importers:
        report = run_import(engine, [bad], max_bytes=2**20, account=name)
        assert report.status == "refused"

    def history(viewer: Principal | None) -> list[str | None]:
        frame = import_history(engine, 100, viewer)
        return [None if pd.isna(a) else a for a in frame["account"]]

    assert history(None) == [None, "city_admin", "d1_admin", "south", "east"]
    assert history(who(engine, "city_admin")) == history(None)
    assert history(who(engine, "d1_admin")) == ["d1_admin", "east"]
    assert history(who(engine, "d2_admin")) == ["south"]
    assert history(who(engine, "east")) == ["east"]
    assert history(Principal("east", "990101001", "importer")) == ["east"]
    assert history(Principal("s1_admin", "990101001", "admin")) == ["east"]
    engine.dispose()
