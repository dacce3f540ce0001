"""Sign-in and scope in the app (AppTest on SQLite): the form, a street account that cannot
reach another street by URL or session state, a district account's streets, roles on the Data
page, one-time report links and the open-access warning."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from dashboard import navigation
from dashboard.navigation import PAGES
from data_access import access, accounts
from data_access.access import Principal
from data_access.accounts import OPERATOR
from data_access.db import make_engine
from data_access.models import AuditEvent
from data_access.schema import upgrade
from data_access.scope import Scope
from data_access.settings import get_settings
from data_access.tokens import mint, view_key
from tests.small_city import build_small_city

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PASSWORD = "Strasse-Ost-pw-1"
WRONG = "Falsch-pw-0000"
ACCOUNTS = {
    "east": ("990101001", "viewer"),
    "district_a": ("990101", "viewer"),
    "importer_east": ("990101001", "importer"),
    "chief": ("city", "admin"),
    "admin_a": ("990101", "admin"),
}


@pytest.fixture(scope="module")
def city_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('accounts_app') / 'city.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    build_small_city(engine)
    for name, (scope, role) in ACCOUNTS.items():
        accounts.add_account(engine, name, scope, role, PASSWORD, actor=OPERATOR)
    engine.dispose()
    return url


def app(page: str | None = None, monkeypatch: pytest.MonkeyPatch | None = None) -> AppTest:
    if page is not None and monkeypatch is not None:
        chosen = next(spec for spec in PAGES if spec.path == page)
        reordered = (chosen, *(spec for spec in PAGES if spec is not chosen))
        monkeypatch.setattr(navigation, "PAGES", reordered)
    return AppTest.from_file(APP, default_timeout=120)


def signed_in_as(at: AppTest, name: str) -> AppTest:
    scope, role = ACCOUNTS[name]
    at.session_state["_principal"] = Principal(name, None if scope == "city" else scope, role)
    at.session_state["_signed_in_at"] = time.time()
    return at


def workers(at: AppTest) -> str:
    return next(m.value for m in at.metric if m.label == "社区工作者")


def last_audit(url: str, n: int = 1) -> list[tuple]:
    table = AuditEvent.__table__
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(table.c.account, table.c.kind, table.c.scope, table.c.detail)
            .order_by(table.c.id.desc())
            .limit(n)
        ).all()
    engine.dispose()
    return [tuple(row) for row in reversed(rows)]


def test_the_sign_in_form_comes_first(signed_city):
    at = app()
    at.run()
    assert not at.exception
    assert at.title[0].value == "社区治理领导驾驶舱 · 登录"
    assert [t.label for t in at.text_input] == ["账号", "密码"]
    assert not at.metric
    english = app()
    english.session_state["lang"] = "en"
    english.run()
    assert english.title[0].value == "Community governance dashboard · sign in"
    assert [t.label for t in english.text_input] == ["Account", "Password"]


def _form_script() -> None:
    """The sign-in form alone (AppTest loses a click in a run that app.py's navigation reruns)."""
    import streamlit as st

    from dashboard.auth import _password_form, audit_engine
    from data_access.settings import get_settings

    if "_principal" in st.session_state:
        st.success(st.session_state["_principal"].scope_code)
    else:
        _password_form(audit_engine(), get_settings())


def test_the_sign_in_form_lets_only_the_right_password_in(signed_city):
    at = AppTest.from_function(_form_script, default_timeout=60)
    at.run()
    at.text_input(key="sign_in_name").input("east")
    at.text_input(key="sign_in_password").input(WRONG)
    at.button[0].click().run()
    assert at.error[0].value == "账号或密码不正确。"
    assert last_audit(signed_city)[0] == ("east", "sign_in_failed", "990101001", "bad")
    at.text_input(key="sign_in_name").input("east")
    at.text_input(key="sign_in_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert at.success[0].value == "990101001"
    assert last_audit(signed_city)[0] == ("east", "sign_in", "990101001", "password")


def test_a_street_account_cannot_reach_another_street_by_session_state(signed_city):
    at = signed_in_as(app(), "east")
    at.session_state["district"] = "990101"
    at.session_state["street"] = "990101002"
    at.run()
    assert not at.exception
    assert "street=990101002" in at.error[0].value
    assert "超出本账号的权限范围" in at.error[0].value
    assert workers(at) == "23"  # its own street, not the 50 of street 990101002
    assert last_audit(signed_city)[0] == ("east", "refused", "990101001", "street=990101002")


def test_a_street_account_cannot_reach_another_district_by_url(signed_city):
    at = signed_in_as(app(), "east")
    at.query_params["district"] = "990102"
    at.query_params["street"] = "990102001"
    at.run()
    assert not at.exception
    assert "district=990102, street=990102001" in at.error[0].value
    assert workers(at) == "23"
    assert last_audit(signed_city)[0][1:] == (
        "refused",
        "990101001",
        "district=990102 street=990102001",
    )


def test_the_sidebar_offers_an_account_only_its_own_units(signed_city):
    at = signed_in_as(app(), "district_a")
    at.run()
    assert not at.exception
    district = at.sidebar.selectbox(key="district")
    assert district.options == ["甲区"] and district.disabled
    assert at.sidebar.selectbox(key="street").options == ["全区（全部街道）", "东街道", "西街道"]
    assert workers(at) == "73"
    at = signed_in_as(app(), "east")
    at.run()
    assert at.sidebar.selectbox(key="street").options == ["东街道"]
    assert at.sidebar.selectbox(key="community").options == [
        "全街道（全部社区）",
        "一社区",
        "二社区",
    ]


def test_only_importers_see_the_import_and_only_admins_the_audit(signed_city, monkeypatch):
    # A refusal of its own, so the audit the admin sees holds one whatever ran before.
    engine = make_engine(signed_city)
    with pytest.raises(access.ScopeRefused):
        access.check(
            Principal("east", "990101001", "viewer"), Scope("990102", dt.date(2025, 6, 30)), engine
        )
    engine.dispose()
    viewer = signed_in_as(app("pages/data.py", monkeypatch), "east")
    viewer.run()
    assert not viewer.exception
    assert not viewer.get("file_uploader")
    assert "审计记录" not in [s.value for s in viewer.subheader]
    importer = signed_in_as(app("pages/data.py", monkeypatch), "importer_east")
    importer.run()
    assert importer.get("file_uploader")
    assert "审计记录" not in [s.value for s in importer.subheader]
    admin = signed_in_as(app("pages/data.py", monkeypatch), "chief")
    admin.run()
    assert not admin.exception
    assert {"审计记录", "账号"} <= {s.value for s in admin.subheader}
    audit_table = next(d.value for d in admin.dataframe if "请求内容" in d.value.columns)
    assert "越权拒绝" in set(audit_table["类型"])
    assert "$argon2" not in audit_table.to_csv()
    accounts_table = next(d.value for d in admin.dataframe if "权限范围" in d.value.columns)
    assert set(ACCOUNTS) <= set(accounts_table["账号"])


def test_a_disabled_account_is_signed_out_on_its_next_run(signed_city):
    engine = make_engine(signed_city)
    accounts.add_account(engine, "leaver", "990101002", "viewer", PASSWORD, actor=OPERATOR)
    at = app()
    at.session_state["_principal"] = Principal("leaver", "990101002", "viewer")
    at.session_state["_signed_in_at"] = time.time()
    accounts.disable_account(engine, "leaver", actor=OPERATOR)
    engine.dispose()
    at.run()
    assert not at.metric
    assert at.info[0].value == "该账号已被停用，请联系管理员。"


def test_a_report_link_works_once_for_its_account_and_view(signed_city):
    params = {"district": "990101", "street": "990101001", "lang": "zh"}
    token = mint("east", view_key("", params), 60)
    at = app()
    at.query_params.update({**params, "report": "1", "token": token})
    at.run()
    assert not at.exception
    assert workers(at) == "23"
    assert last_audit(signed_city)[0][:2] == ("east", "report")
    again = app()
    again.query_params.update({**params, "report": "1", "token": token})
    again.run()
    assert not again.metric and again.title[0].value == "社区治理领导驾驶舱 · 登录"
    assert last_audit(signed_city)[0][1:] == ("refused", None, "report link: used before")
    other = app()
    other.query_params.update(
        {
            **params,
            "street": "990101002",
            "report": "1",
            "token": mint("east", view_key("", params), 60),
        }
    )
    other.run()
    assert not other.metric
    assert last_audit(signed_city)[0][3] == "report link: another view"


def test_sign_in_off_on_a_shared_database_warns_on_every_page(city_file, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", city_file)
    monkeypatch.setenv("DASHBOARD_AUTH_MODE", "none")
    get_settings.cache_clear()
    try:
        at = app()
        at.run()
    finally:
        get_settings.cache_clear()
    assert any("未启用登录" in w.value for w in at.warning)


NEW_PASSWORD = "Neues-Konto-pw-8"


def _press(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


def _fill_add_form(at: AppTest, name: str, scope: str, role: str, password: str, again: str):
    at.text_input(key="account_add_name").input(name)
    at.text_input(key="account_add_scope").input(scope)
    at.selectbox(key="account_add_role").set_value(role)
    at.text_input(key="account_add_password").input(password)
    at.text_input(key="account_add_again").input(again)
    return _press(at, "新建")


def _sqlite_bytes(url: str) -> bytes:
    path = Path(url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_an_admin_adds_resets_disables_and_unlocks_accounts_on_the_data_page(
    signed_city, monkeypatch
):
    at = signed_in_as(app("pages/data.py", monkeypatch), "chief")
    at.run()
    assert not at.exception
    _fill_add_form(at, "north", "990102001", "importer", NEW_PASSWORD, NEW_PASSWORD + "x")
    assert at.error[0].value == "两次输入的密码不一致。"
    engine = make_engine(signed_city)
    assert accounts.principal_by_name(engine, "north") is None
    _fill_add_form(at, "north", "990102001", "importer", NEW_PASSWORD, NEW_PASSWORD)
    assert not at.exception
    assert at.success[0].value == "已新建账号 north。"
    assert at.session_state["account_add_password"] == ""  # the form forgets it
    assert accounts.principal_by_name(engine, "north") == Principal(
        "north", "990102001", "importer", accounts.principal_by_name(engine, "north").account_id
    )
    assert last_audit(signed_city)[0] == (
        "north",
        "account_added",
        "990102001",
        "role=importer by chief",
    )
    table = next(d.value for d in at.dataframe if "最近登录" in d.value.columns)
    north = table[table["账号"] == "north"].iloc[0]
    assert (north["辖区"], north["角色"], north["已停用"]) == ("南街道", "数据导入员", "")
    # Five wrong passwords lock it; the administrator unlocks it.
    for _ in range(5):
        accounts.authenticate(engine, "north", WRONG, 5, 15)
    at.selectbox(key="account_status_name").set_value("north")
    _press(at, "解锁")
    assert at.success[0].value == "已解锁 north。"
    assert last_audit(signed_city)[0] == ("north", "account_unlocked", None, "by chief")
    assert accounts.authenticate(engine, "north", NEW_PASSWORD, 5, 15).principal is not None
    at.selectbox(key="account_password_name").set_value("north")
    at.text_input(key="account_password_password").input("Zweites-pw-9")
    at.text_input(key="account_password_again").input("Zweites-pw-9")
    _press(at, "设置新密码")
    assert at.success[0].value == "已为 north 设置新密码，锁定同时解除。"
    assert last_audit(signed_city)[0] == ("north", "password_changed", None, "by chief")
    assert accounts.authenticate(engine, "north", "Zweites-pw-9", 5, 15).principal is not None
    at.selectbox(key="account_status_name").set_value("north")
    _press(at, "停用")
    assert at.success[0].value.startswith("已停用 north")
    assert accounts.principal_by_name(engine, "north") is None
    assert last_audit(signed_city)[0] == ("north", "account_disabled", None, "by chief")
    table = next(d.value for d in at.dataframe if "最近登录" in d.value.columns)
    assert table[table["账号"] == "north"].iloc[0]["已停用"] == "是"
    at.selectbox(key="account_status_name").set_value("chief")
    _press(at, "停用")
    assert at.error[0].value == "不能停用自己正在使用的账号。"
    assert accounts.principal_by_name(engine, "chief") is not None
    at.text_input(key="account_identity_value").input("North@Example.org")
    at.selectbox(key="account_identity_name").set_value("east")
    _press(at, "绑定")
    assert accounts.principal_for_identity(engine, ["north@example.org"]).name == "east"
    assert last_audit(signed_city)[0] == ("east", "identity_mapped", "990101001", "by chief")
    engine.dispose()
    # No password in clear anywhere in the database file.
    stored = _sqlite_bytes(signed_city)
    for password in (NEW_PASSWORD, "Zweites-pw-9", PASSWORD):
        assert password.encode() not in stored


def test_a_district_admin_manages_only_accounts_of_its_district(signed_city, monkeypatch):
    at = signed_in_as(app("pages/data.py", monkeypatch), "admin_a")
    at.run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "最近登录" in d.value.columns)
    assert {"east", "district_a", "importer_east", "admin_a"} <= set(table["账号"])
    assert {scope[:6] for scope in table["权限范围"]} == {"990101"}  # no chief, no north
    assert "chief" not in at.selectbox(key="account_status_name").options
    _fill_add_form(at, "south_x", "990102001", "viewer", NEW_PASSWORD, NEW_PASSWORD)
    assert at.error[0].value == "该范围超出您自己的权限范围。"
    assert last_audit(signed_city)[0] == ("admin_a", "refused", "990102001", "account add south_x")
    engine = make_engine(signed_city)
    assert accounts.principal_by_name(engine, "south_x") is None
    engine.dispose()


def test_a_district_admin_sees_only_its_districts_audit_on_the_data_page(signed_city, monkeypatch):
    engine = make_engine(signed_city)
    access.record(engine, "export", "chief", "city", "mark city")
    access.record(engine, "export", "chief", "990101", "mark chief in a")
    access.record(engine, "refused", "east", "990102", "mark east outside")
    access.record(engine, "sign_in", "chief", "city", "mark chief sign-in")
    engine.dispose()

    def marks(name: str) -> list[str]:
        at = signed_in_as(app("pages/data.py", monkeypatch), name)
        at.run()
        assert not at.exception
        table = next(d.value for d in at.dataframe if "请求内容" in d.value.columns)
        return [str(d) for d in table["请求内容"] if str(d).startswith("mark ")]

    assert marks("admin_a") == ["mark east outside", "mark chief in a"]
    assert marks("chief") == [
        "mark chief sign-in",
        "mark east outside",
        "mark chief in a",
        "mark city",
    ]


def test_viewers_and_importers_have_no_account_management(signed_city, monkeypatch):
    for name in ("east", "importer_east"):
        at = signed_in_as(app("pages/data.py", monkeypatch), name)
        at.run()
        assert not at.exception
        assert "账号" not in [s.value for s in at.subheader]
        assert not [w for w in at.text_input if str(w.key).startswith("account_")]
        assert not [b for b in at.button if b.label in ("新建", "停用", "解锁")]


def test_a_reload_keeps_a_password_sign_in_until_it_is_revoked(signed_city, monkeypatch):
    """A new tab or a reload brings the session cookie; Streamlit reads it as st.context.cookies."""
    from dashboard import auth

    engine = make_engine(signed_city)
    token = accounts.open_session(engine, accounts.principal_by_name(engine, "east"), 60)
    monkeypatch.setattr(auth, "session_cookie", lambda: token)
    at = app()
    at.run()
    assert not at.exception
    assert workers(at) == "23"
    assert last_audit(signed_city)[0] == ("east", "session_resumed", "990101001", "cookie")
    accounts.end_session(engine, token)  # a sign-out in another tab of the same browser
    at.run()
    assert not at.metric
    assert at.info[0].value == "此登录已在别处退出，或密码已更改，请重新登录。"
    assert last_audit(signed_city)[0] == ("east", "session_ended", "990101001", "revoked")
    fresh = app()
    fresh.run()
    assert not fresh.metric and fresh.title[0].value == "社区治理领导驾驶舱 · 登录"
    engine.dispose()
