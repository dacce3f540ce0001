"""A district administrator who rewrites the browser's websocket messages on the Data page: every
account action names an account outside its reach (the city's administrator, another district's
account) or creates one wider than itself. Nothing changes in the database, each refusal is one
sentence on the page and a row of the audit (docs/accounts.md, "Who manages which account").
Debian's Chromium, like tests/test_accounts_e2e.py; skips without it."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import Engine, select, update
from streamlit.proto.BackMsg_pb2 import BackMsg

from dashboard.snapshot import CHROMIUM_ARGS, chromium_path, running_app
from data_access import accounts
from data_access.access import now
from data_access.accounts import OPERATOR
from data_access.db import make_engine
from data_access.models import Account, AuditEvent, Base
from data_access.schema import upgrade
from tests.small_city import build_small_city
from tests.test_e2e import READY, _no_browser

PASSWORD = "Bezirk-Admin-pw-8"
NEW = "Uebernommen-pw-9"
REFUSED = "没有您可以管理的这个账号，未作任何更改。"
OUTSIDE = "该范围超出您自己的权限范围。"
ABOVE = "与您同一范围、同一角色或更高的账号，只能由更大范围的管理员或在服务器命令行上新建。"
ACCOUNTS = {
    "city_admin": ("city", "admin"),
    "d1_admin": ("990101", "admin"),
    "east": ("990101001", "viewer"),
    "south": ("990102001", "viewer"),
}


class Tamper:
    """Rewrites the widget values of the next BackMsg that carries them: {widget key: value}."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.done: list[str] = []

    def rewrite(self, message: bytes) -> bytes:
        back = BackMsg()
        back.ParseFromString(message)
        if not self.values or back.WhichOneof("type") != "rerun_script":
            return message
        for widget in back.rerun_script.widget_states.widgets:
            for key, value in self.values.items():
                # Streamlit's widget ids end with the widget's key.
                if widget.id.endswith(f"-{key}") and widget.WhichOneof("value") == "string_value":
                    widget.string_value = value
                    self.done.append(key)
        return back.SerializeToString()


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    if chromium_path() is None:
        _no_browser()
    url = f"sqlite:///{tmp_path_factory.mktemp('accounts_tamper') / 'city.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    build_small_city(engine)
    for name, (scope, role) in ACCOUNTS.items():
        accounts.add_account(engine, name, scope, role, PASSWORD, actor=OPERATOR)
    # Out of reach and in a state each action would change: the city's administrator locked,
    # the other district's account disabled.
    accounts.disable_account(engine, "south", actor=OPERATOR)
    table = Account.__table__
    with engine.begin() as connection:
        later = now() + dt.timedelta(minutes=15)
        connection.execute(
            update(table).where(table.c.name == "city_admin").values(locked_until=later)
        )
    env = dict(os.environ, DATABASE_URL=url, DASHBOARD_AUTH_MODE="local")
    env["DASHBOARD_DEFAULT_LANGUAGE"] = "zh"
    env.pop("DATABASE_WRITER_URL", None)
    with running_app(env) as base:
        yield base, engine
    engine.dispose()


def state(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of the accounts (hashes included), their identities and sessions."""
    with engine.connect() as connection:
        return {
            name: sorted(
                tuple(row) for row in connection.execute(select(Base.metadata.tables[name]))
            )
            for name in ("account", "identity_map", "account_session")
        }


def refusals(engine: Engine) -> list[tuple]:
    table = AuditEvent.__table__
    statement = select(table.c.account, table.c.scope, table.c.detail).where(
        table.c.kind == "refused"
    )
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(statement.order_by(table.c.id))]


def wait_drawn(page) -> None:
    page.wait_for_selector(READY, state="attached", timeout=120_000)
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_load_state("networkidle", timeout=3000)
    page.wait_for_timeout(500)


@pytest.mark.full
def test_a_district_admin_rewriting_the_websocket_changes_no_account_out_of_reach(city):
    from playwright.sync_api import expect, sync_playwright

    base, engine = city
    tamper = Tamper()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1400})

        def route(socket) -> None:
            server = socket.connect_to_server()
            socket.on_message(
                lambda m: server.send(tamper.rewrite(m) if isinstance(m, bytes) else m)
            )

        page.route_web_socket("**/_stcore/stream", route)
        page.goto(f"{base}/?lang=zh")
        wait_drawn(page)
        page.get_by_label("账号").fill("d1_admin")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_selector('[data-testid="stMetric"]', timeout=120_000)
        page.goto(f"{base}/data?lang=zh")
        wait_drawn(page)
        page.wait_for_selector(".st-key-account_status_name", state="attached", timeout=120_000)
        before = state(engine)

        def send(values: dict[str, str], tab: str, button: str, expected: str) -> None:
            tamper.values, tamper.done = values, []
            recorded = len(refusals(engine))
            page.get_by_role("tab", name=tab).click()
            page.get_by_role("button", name=button, exact=True).click()
            for _ in range(300):  # the refusal is in the audit once the callback ran
                if len(refusals(engine)) > recorded:
                    break
                page.wait_for_timeout(200)
            assert sorted(tamper.done) == sorted(values), "the message was not rewritten"
            tamper.values = {}
            error = page.locator('[data-testid="stAlertContentError"]')
            expect(error).to_contain_text(expected, timeout=60_000)
            # One sentence after the alert's icon (a ligature, read as its name).
            assert [text.splitlines()[-1] for text in error.all_inner_texts()] == [expected]
            assert page.locator('[data-testid="stException"]').count() == 0
            wait_drawn(page)

        page.get_by_role("tab", name="重置密码").click()
        page.locator(".st-key-account_password_password input").fill(NEW)
        page.locator(".st-key-account_password_again input").fill(NEW)
        send({"account_password_name": "city_admin"}, "重置密码", "设置新密码", REFUSED)
        for button, target in (("停用", "city_admin"), ("启用", "south"), ("解锁", "city_admin")):
            send({"account_status_name": target}, "停用、启用、解锁", button, REFUSED)
        page.get_by_role("tab", name="绑定统一身份").click()
        page.locator(".st-key-account_identity_value input").fill("tamper@example.org")
        send({"account_identity_name": "city_admin"}, "绑定统一身份", "绑定", REFUSED)
        for scope, role, expected in (("city", "admin", OUTSIDE), ("990101", "admin", ABOVE)):
            page.get_by_role("tab", name="新建账号").click()
            page.locator(".st-key-account_add_name input").fill("tamper_new")
            page.locator(".st-key-account_add_scope input").fill("990101001")
            page.locator(".st-key-account_add_password input").fill(NEW)
            page.locator(".st-key-account_add_again input").fill(NEW)
            values = {"account_add_scope": scope, "account_add_role": role}
            send(values, "新建账号", "新建", expected)
        browser.close()
    assert state(engine) == before
    assert refusals(engine) == [
        ("d1_admin", None, "account password city_admin"),
        ("d1_admin", None, "account disable city_admin"),
        ("d1_admin", None, "account enable south"),
        ("d1_admin", None, "account unlock city_admin"),
        ("d1_admin", None, "account map city_admin"),
        ("d1_admin", "city", "account add tamper_new"),
        ("d1_admin", "990101", "account add tamper_new"),
    ]
    signed = accounts.authenticate(engine, "city_admin", NEW, 5, 15)
    assert signed.principal is None and signed.reason == "locked"
