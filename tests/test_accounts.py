"""Accounts, sign-in, lockout, scope checks, importer scope and the audit, on every backend."""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text, update

from data_access import access, accounts, tokens
from data_access.access import Principal, ScopeRefused
from data_access.accounts import OPERATOR
from data_access.db import make_engine
from data_access.importing import Upload, run_import
from data_access.models import Account, AuditEvent, Base, ImportBatch, UsedToken
from data_access.queries.staffing import staffing_total
from data_access.scope import Scope
from data_access.settings import load_settings
from tests.small_city import AS_OF

ROOT = Path(__file__).resolve().parent.parent
PASSWORDS = {
    "city_admin": "Stadt-Admin-pw-1",
    "east": "Ost-Strasse-pw-2",
    "district_a": "Bezirk-A-pw-3",
    "importer_east": "Import-Ost-pw-4",
}
WRONG = "Falsches-Passwort-9"
SCOPES = {
    "city_admin": ("city", "admin"),
    "east": ("990101001", "viewer"),
    "district_a": ("990101", "viewer"),
    "importer_east": ("990101001", "importer"),
}


@pytest.fixture(scope="module")
def accounts_template(databases, small_city_template: str) -> str:
    """The small city with one account per role and scope, built once to be copied."""
    url = databases.copy(small_city_template, "accounts_template")
    engine = make_engine(url)
    for name, (scope, role) in SCOPES.items():
        accounts.add_account(engine, name, scope, role, PASSWORDS[name], actor=OPERATOR)
    engine.dispose()
    return url


@pytest.fixture
def city(databases, accounts_template: str) -> Engine:
    """A private copy of the small city with its accounts."""
    engine = make_engine(databases.copy(accounts_template, f"accounts_{uuid.uuid4().hex[:8]}"))
    yield engine
    engine.dispose()


def audit(engine: Engine) -> list[tuple[str | None, str, str | None, str | None]]:
    table = AuditEvent.__table__
    statement = select(table.c.account, table.c.kind, table.c.scope, table.c.detail).order_by(
        table.c.id
    )
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(statement)]


def sign(engine: Engine, name: str, password: str) -> accounts.SignIn:
    return accounts.authenticate(engine, name, password, max_failures=5, lockout_minutes=15)


def test_right_password_signs_in_with_scope_and_role(city):
    outcome = sign(city, "east", PASSWORDS["east"])
    assert outcome.principal is not None
    assert (outcome.principal.name, outcome.principal.scope_code, outcome.principal.role) == (
        "east",
        "990101001",
        "viewer",
    )
    assert audit(city)[-1] == ("east", "sign_in", "990101001", "password")


def test_five_wrong_passwords_lock_the_account_until_a_new_password(city):
    for _ in range(4):
        assert sign(city, "east", WRONG).reason == "bad"
    fifth = sign(city, "east", WRONG)
    assert fifth.reason == "locked" and fifth.locked_until is not None
    # Locked: even the right password is refused now.
    assert sign(city, "east", PASSWORDS["east"]).reason == "locked"
    kinds = [(kind, detail) for name, kind, _, detail in audit(city) if name == "east"]
    assert kinds[1:] == [
        *[("sign_in_failed", "bad")] * 4,
        ("locked", "after 5 failures"),
        ("sign_in_failed", "locked"),
    ]
    accounts.set_password(city, "east", "Neues-Passwort-5", actor=OPERATOR)
    assert sign(city, "east", "Neues-Passwort-5").principal is not None


def test_a_lock_ends_after_its_minutes(city):
    for _ in range(5):
        sign(city, "east", WRONG)
    table = Account.__table__
    with city.begin() as connection:
        past = access.now() - dt.timedelta(minutes=1)
        connection.execute(update(table).where(table.c.name == "east").values(locked_until=past))
    assert sign(city, "east", PASSWORDS["east"]).principal is not None


def test_a_disabled_account_cannot_sign_in(city):
    accounts.disable_account(city, "east", actor=OPERATOR)
    assert sign(city, "east", PASSWORDS["east"]).reason == "disabled"
    assert accounts.principal_by_name(city, "east") is None
    assert audit(city)[-1] == ("east", "sign_in_failed", "990101001", "disabled")
    accounts.enable_account(city, "east", actor=OPERATOR)
    assert sign(city, "east", PASSWORDS["east"]).principal is not None


def test_an_unknown_name_is_not_written_down(city):
    assert sign(city, PASSWORDS["east"], WRONG).reason == "bad"
    assert audit(city)[-1] == (None, "sign_in_failed", None, "bad")


def test_account_commands_refuse_bad_input(city):
    with pytest.raises(accounts.AccountError, match="exists already"):
        accounts.add_account(city, "east", "990101001", "viewer", PASSWORDS["east"], actor=OPERATOR)
    with pytest.raises(accounts.AccountError, match="scope"):
        accounts.add_account(city, "x", "99010", "viewer", PASSWORDS["east"], actor=OPERATOR)
    with pytest.raises(accounts.AccountError, match="scope"):
        accounts.add_account(
            city, "x", "990101001001001", "viewer", PASSWORDS["east"], actor=OPERATOR
        )
    with pytest.raises(accounts.AccountError, match="role"):
        accounts.add_account(city, "x", "city", "owner", PASSWORDS["east"], actor=OPERATOR)
    with pytest.raises(accounts.AccountError, match="8 characters"):
        accounts.add_account(city, "x", "city", "viewer", "short", actor=OPERATOR)
    with pytest.raises(accounts.AccountError, match="no account"):
        accounts.set_password(city, "nobody", "Long-enough-1", actor=OPERATOR)
    assert list(accounts.list_accounts(city)["name"]) == sorted(SCOPES)


def test_scope_check_lets_an_account_see_only_its_area(city):
    east = Principal("east", "990101001", "viewer")
    district = Principal("district_a", "990101", "viewer")
    assert access.check(east, Scope("990101001", AS_OF), city) == Scope("990101001", AS_OF)
    assert access.check(east, Scope("990101001002", AS_OF), city).code == "990101001002"
    for asked in ("990101002", "990101", "990102001001", None):
        with pytest.raises(ScopeRefused):
            access.check(east, Scope(asked, AS_OF), city, "staffing_total")
    assert access.check(district, Scope("990101002", AS_OF), city).code == "990101002"
    with pytest.raises(ScopeRefused):
        access.check(district, Scope("990102", AS_OF), city)
    refusals = [row for row in audit(city) if row[1] == "refused"]
    assert refusals == [
        ("east", "refused", "990101002", "staffing_total"),
        ("east", "refused", "990101", "staffing_total"),
        ("east", "refused", "990102001001", "staffing_total"),
        ("east", "refused", "city", "staffing_total"),
        ("district_a", "refused", "990102", "scope"),
    ]


def test_a_checked_scope_gives_the_accounts_own_numbers(city, settings):
    east = Principal("east", "990101001", "viewer")
    district = Principal("district_a", "990101", "viewer")
    street = staffing_total(city, access.check(east, east.home(AS_OF)), settings)
    assert (street["counted_workers"], street["resident_population"]) == (23, 14000)
    whole = staffing_total(city, access.check(district, district.home(AS_OF)), settings)
    assert (whole["counted_workers"], whole["resident_population"]) == (73, 50000)


def test_roles_rank_viewer_importer_admin(city):
    viewer = Principal("east", "990101001", "viewer")
    with pytest.raises(access.RoleRefused):
        access.require_role(viewer, "importer", "import", city)
    access.require_role(Principal("importer_east", "990101001", "importer"), "importer", "import")
    assert not viewer.can_import and not viewer.is_admin
    assert audit(city)[-1] == ("east", "refused", "990101001", "import")


BURDEN = "社区代码,类别,月份,数量\n990101001001,报表,2025-07,5\n990102001001,报表,2025-07,7\n"


def test_an_importer_cannot_import_rows_outside_its_area(city):
    upload = Upload.of("burden.csv", BURDEN.encode())
    report = run_import(
        city, [upload], max_bytes=10**6, account="importer_east", scope_code="990101001"
    )
    assert report.status == "refused"
    assert [(p.key, p.row, p.value) for p in report.problems] == [
        ("outside_scope", 3, "990102001001")
    ]
    inside = Upload.of("burden.csv", "\n".join(BURDEN.splitlines()[:2]).encode())
    accepted = run_import(
        city, [inside], max_bytes=10**6, account="importer_east", scope_code="990101001"
    )
    assert accepted.status == "accepted"
    table = ImportBatch.__table__
    with city.connect() as connection:
        rows = connection.execute(
            select(table.c.status, table.c.account).order_by(table.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [("refused", "importer_east"), ("accepted", "importer_east")]


def test_single_sign_on_identities_map_to_accounts(city):
    accounts.map_identity(city, "East.Office@Example.org", "east", actor=OPERATOR)
    accounts.map_identity(city, "sub-4711", "district_a", actor=OPERATOR)
    found = accounts.principal_for_identity(city, ["", "east.office@example.org"])
    assert found is not None and (found.name, found.scope_code) == ("east", "990101001")
    found = accounts.principal_for_identity(city, ["sub-4711", "east.office@example.org"])
    assert found is not None and found.name == "district_a"
    assert accounts.principal_for_identity(city, ["sub-0", "nobody@example.org"]) is None
    accounts.disable_account(city, "east", actor=OPERATOR)
    assert accounts.principal_for_identity(city, ["east.office@example.org"]) is None
    with pytest.raises(accounts.AccountError):
        accounts.map_identity(city, "x@example.org", "nobody", actor=OPERATOR)


def test_no_password_or_hash_leaves_the_accounts(city, caplog):
    caplog.set_level(logging.DEBUG)
    for name, password in PASSWORDS.items():
        sign(city, name, password)
        sign(city, name, WRONG)
        sign(city, password, password)  # a password typed into the name field
    hashes = accounts.list_accounts(city)
    assert "password_hash" not in hashes.columns
    stored = database_text(city, skip_hashes=True)
    log = caplog.text
    for secret in (*PASSWORDS.values(), WRONG):
        assert secret not in stored
        assert secret not in log
    with city.connect() as connection:
        digests = connection.execute(select(Account.__table__.c.password_hash)).scalars().all()
    assert all(d.startswith("$argon2id$") for d in digests)
    assert not any(d in stored for d in digests)


def database_text(engine: Engine, skip_hashes: bool) -> str:
    """Every value of every table as one text (the hash column left out when asked)."""
    parts = []
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.c if not (skip_hashes and c.name == "password_hash")]
            for row in connection.execute(select(*columns)):
                parts.append(" ".join(str(v) for v in row))
    return "\n".join(parts)


def test_report_tokens_are_single_use_short_lived_and_bound_to_their_view(city):
    key = b"k" * 32
    view = tokens.view_key("overview", {"street": "990101001", "lang": "zh", "report": "1"})
    assert view == "overview?lang=zh&street=990101001"
    token = tokens.mint("east", view, 60, key)
    with pytest.raises(tokens.TokenRefused, match="another view"):
        tokens.redeem(city, token, "overview?lang=zh&street=990101002", key)
    assert tokens.redeem(city, token, view, key) == "east"
    with pytest.raises(tokens.TokenRefused, match="used before"):
        tokens.redeem(city, token, view, key)
    with pytest.raises(tokens.TokenRefused, match="bad signature"):
        tokens.redeem(city, tokens.mint("east", view, 60, b"x" * 32), view, key)
    # The claims as signed (itsdangerous compresses some payloads: a leading "." says so).
    serializer = tokens._serializer(key)
    payload, signature = tokens.mint("east", view, 60, key).rsplit(".", 1)
    claims = serializer.load_payload(payload.encode())
    assert claims["a"] == "east" and claims["v"] == view and len(claims["n"]) == 24
    altered = serializer.dump_payload({**claims, "a": "city_admin"}).decode()
    forged = altered + "." + signature
    with pytest.raises(tokens.TokenRefused, match="bad signature"):
        tokens.redeem(city, forged, view, key)
    with pytest.raises(tokens.TokenRefused, match="expired"):
        tokens.redeem(city, tokens.mint("east", view, -1, key), view, key)
    with pytest.raises(tokens.TokenRefused, match="malformed"):
        tokens.redeem(city, "nonsense", view, key)
    # The nonce used above is in the shared table with its expiry, not in this process.
    with city.connect() as connection:
        used = connection.execute(select(UsedToken.__table__.c.nonce)).scalars().all()
    assert used == [serializer.load_payload(token.rsplit(".", 1)[0].encode())["n"]]


def test_auth_settings_are_checked():
    none = Path("/nonexistent")
    assert load_settings({}, none).auth_mode == "none"
    assert load_settings({"DASHBOARD_AUTH_MODE": "local"}, none).auth_mode == "local"
    with pytest.raises(ValueError, match="auth_mode"):
        load_settings({"DASHBOARD_AUTH_MODE": "open"}, none)


@pytest.mark.full({"backend": "postgresql"}, {"backend": "mariadb"})  # subprocesses; queries: above
def test_accounts_command_takes_the_password_from_the_environment_only(city):
    url = city.url.render_as_string(hide_password=False)
    env = dict(os.environ, DATABASE_URL=url, DASHBOARD_ACCOUNT_PASSWORD="Kommando-pw-6")
    env.pop("DATABASE_WRITER_URL", None)
    command = [sys.executable, "-m", "data_access", "accounts"]
    added = subprocess.run(
        [*command, "add", "south", "--scope", "990102001", "--role", "importer"],
        env=env, cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "Kommando-pw-6" not in added.stdout + added.stderr
    table = Account.__table__
    with city.connect() as connection:
        stored = connection.execute(
            select(table.c.password_hash).where(table.c.name == "south")
        ).scalar_one()
    # The command hashes with the app's profile (the tests' own process uses the cheapest).
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert sign(city, "south", "Kommando-pw-6").principal is not None
    env.pop("DASHBOARD_ACCOUNT_PASSWORD")
    asked = subprocess.run(
        [*command, "passwd", "south"],
        env=env, cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert asked.returncode == 2 and "DASHBOARD_ACCOUNT_PASSWORD" in asked.stderr
    listed = subprocess.run([*command, "list"], env=env, cwd=ROOT, capture_output=True, text=True)
    assert "south" in listed.stdout and "$argon2" not in listed.stdout
    with city.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM account")).scalar_one() == 5


def test_the_command_line_exports_and_imports_only_inside_an_account(
    city, monkeypatch, capsys, tmp_path
):
    from data_access.__main__ import main

    url = city.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("DATABASE_WRITER_URL", raising=False)
    as_of = ["--as-of", AS_OF.isoformat()]
    assert main(["export", "staffing", "--level", "street", "--account", "district_a", *as_of]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert [row.split(",")[0].lstrip("\ufeff") for row in rows[1:]] == ["990101001", "990101002"]
    assert (
        main(["export", "staffing", "--level", "street", "--scope", "990102", "--account", "east"])
        == 2
    )
    assert "outside the scope 990101001" in capsys.readouterr().err
    assert audit(city)[-1] == ("east", "refused", "990102", "export staffing street")
    burden = tmp_path / "burden.csv"
    burden.write_text(BURDEN, encoding="utf-8")
    assert main(["import", "--account", "east", str(burden)]) == 2  # a viewer
    assert main(["import", "--account", "importer_east", str(burden)]) == 1
    assert "990102001001" in capsys.readouterr().err


def test_a_snapshot_gets_a_one_time_token_only_for_an_enabled_account_inside_its_area(city):
    from dashboard.snapshot import SnapshotRefused, account_for_view, signed_params

    east = account_for_view(city, "east", "staffing", None)
    assert east.scope_code == "990101001"
    params = {"lang": "zh", "district": "990101", "street": "990101001"}
    signed = signed_params("east", "staffing", params, 60, "snapshot-key")
    view = "staffing?district=990101&lang=zh&street=990101001"
    assert tokens.redeem(city, signed["token"], view, b"snapshot-key") == "east"
    with pytest.raises(tokens.TokenRefused, match="used before"):
        tokens.redeem(city, signed["token"], view, b"snapshot-key")
    # The menu's first page is served at the root: its token names the empty path.
    first = signed_params("east", "overview", params, 60, "snapshot-key")["token"]
    assert tokens.redeem(city, first, view.replace("staffing", ""), b"snapshot-key") == "east"
    with pytest.raises(SnapshotRefused, match="outside the scope 990101001"):
        account_for_view(city, "east", "staffing", "990101002")
    assert audit(city)[-1] == ("east", "refused", "990101002", "snapshot staffing")
    accounts.disable_account(city, "east", actor=OPERATOR)
    with pytest.raises(SnapshotRefused, match="no enabled account named east"):
        account_for_view(city, "east", "briefing", None)
    assert audit(city)[-1] == ("east", "refused", None, "snapshot briefing: no enabled account")
    with pytest.raises(SnapshotRefused, match="no enabled account named nobody"):
        account_for_view(city, "nobody", "briefing", "990101")
    assert audit(city)[-1] == (
        "nobody",
        "refused",
        "990101",
        "snapshot briefing: no enabled account",
    )


@pytest.mark.servers()  # the command's arguments: the queries run in the tests above
def test_the_snapshot_command_refuses_before_drawing_anything(city, monkeypatch, capsys, tmp_path):
    from dashboard import snapshot
    from data_access.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", city.url.render_as_string(hide_password=False))
    monkeypatch.delenv("DATABASE_WRITER_URL", raising=False)
    monkeypatch.delenv("DASHBOARD_REPORT_SECRET", raising=False)
    monkeypatch.setenv("DASHBOARD_AUTH_MODE", "local")
    monkeypatch.setattr(snapshot, "running_app", None)  # starting an app would fail the test
    monkeypatch.setattr(snapshot, "render", None)
    get_settings.cache_clear()
    out = str(tmp_path / "x.png")
    try:
        assert snapshot.main(["--out", out]) == 2
        assert "give --account NAME" in capsys.readouterr().err
        assert snapshot.main(["--account", "east", "--scope", "990102", "--out", out]) == 2
        assert "990102 lies outside the scope 990101001" in capsys.readouterr().err
        assert audit(city)[-1] == ("east", "refused", "990102", "snapshot overview")
        base = ["--account", "east", "--out", out]
        assert snapshot.main([*base, "--url", "http://127.0.0.1:9"]) == 2
        assert "DASHBOARD_REPORT_SECRET" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()
    assert not Path(out).exists()


def test_a_session_token_reopens_its_account_until_it_ends(city):
    east = accounts.principal_by_name(city, "east")
    token = accounts.open_session(city, east, minutes=60)
    resumed = accounts.resume_session(city, token)
    assert resumed is not None and resumed.principal == east
    assert abs((resumed.started - access.now()).total_seconds()) < 5
    # Only the token's SHA-256 is stored.
    with city.connect() as connection:
        stored = connection.execute(text("SELECT token_hash FROM account_session")).scalars().all()
    assert len(stored) == 1 and len(stored[0]) == 64 and token not in stored[0]
    assert accounts.resume_session(city, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert accounts.resume_session(city, None) is None
    accounts.end_session(city, token)
    assert accounts.resume_session(city, token) is None
    # Expired sessions open nothing; a new password or disabling ends every session.
    assert accounts.resume_session(city, accounts.open_session(city, east, minutes=-1)) is None
    first, second = (accounts.open_session(city, east, minutes=60) for _ in range(2))
    other = accounts.open_session(city, accounts.principal_by_name(city, "district_a"), 60)
    accounts.set_password(city, "east", "Neues-Ost-pw-5", actor=OPERATOR)
    assert accounts.resume_session(city, first) is None
    assert accounts.resume_session(city, second) is None
    assert accounts.resume_session(city, other) is not None
    third = accounts.open_session(city, accounts.principal_by_name(city, "east"), minutes=60)
    accounts.disable_account(city, "east", actor=OPERATOR)
    assert accounts.resume_session(city, third) is None
    accounts.enable_account(city, "east", actor=OPERATOR)
    assert accounts.resume_session(city, third) is None  # enabling again does not revive it


@pytest.mark.servers()  # the command's arguments: the queries run in the tests above
def test_the_unlock_command_lifts_a_lock_and_keeps_the_password(city, monkeypatch, capsys):
    from data_access.__main__ import main

    monkeypatch.setenv("DATABASE_URL", city.url.render_as_string(hide_password=False))
    monkeypatch.delenv("DATABASE_WRITER_URL", raising=False)
    for _ in range(5):
        sign(city, "east", WRONG)
    assert sign(city, "east", PASSWORDS["east"]).reason == "locked"
    assert main(["accounts", "unlock", "east"]) == 0
    assert capsys.readouterr().out == "account east unlocked\n"
    assert audit(city)[-1] == ("east", "account_unlocked", None, "")
    assert sign(city, "east", PASSWORDS["east"]).principal is not None
    assert main(["accounts", "unlock", "nobody"]) == 2
