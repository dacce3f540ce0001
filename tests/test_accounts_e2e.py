"""Sign-in in Debian's Chromium: a street account that asks for another district by URL, and a
one-time report link (docs/accounts.md). Skips without Chromium, like tests/test_e2e.py."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from dashboard.snapshot import CHROMIUM_ARGS, chromium_path, running_app
from data_access import accounts
from data_access.accounts import OPERATOR
from data_access.db import make_engine
from data_access.schema import upgrade
from data_access.tokens import mint, view_key
from tests.small_city import build_small_city
from tests.test_e2e import READY, _no_browser

PASSWORD = "Browser-Ost-pw-7"
SECRET = "a-report-secret-of-this-test-only"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if chromium_path() is None:
        _no_browser()
    url = f"sqlite:///{tmp_path_factory.mktemp('accounts_e2e') / 'city.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    build_small_city(engine)
    accounts.add_account(engine, "east", "990101001", "viewer", PASSWORD, actor=OPERATOR)
    engine.dispose()
    env = dict(
        os.environ,
        DATABASE_URL=url,
        DASHBOARD_AUTH_MODE="local",
        DASHBOARD_REPORT_SECRET=SECRET,
        DASHBOARD_DEFAULT_LANGUAGE="zh",
    )
    env.pop("DATABASE_WRITER_URL", None)
    with running_app(env) as base:
        yield base


@pytest.fixture(scope="module")
def browser(app_url: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    yield opened
    context.close()


def wait_drawn(page) -> None:
    page.wait_for_selector(READY, state="attached", timeout=120_000)
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_load_state("networkidle", timeout=3000)
    page.wait_for_timeout(800)


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


@pytest.mark.full  # AppTest refuses the same URL in every run (tests/test_accounts_app.py)
def test_a_street_account_asking_for_another_district_by_url_is_refused(app_url, page):
    page.goto(f"{app_url}/?district=990102&street=990102001")
    wait_drawn(page)
    assert "登录" in page.locator("h1").first.inner_text()
    page.get_by_label("账号").fill("east")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector('[data-testid="stMetric"]', timeout=120_000)
    wait_drawn(page)
    text = main_text(page)
    assert "district=990102, street=990102001" in text
    assert "超出本账号的权限范围" in text
    metrics = page.locator('[data-testid="stMetric"]').all_inner_texts()
    workers = next(m for m in metrics if m.startswith("社区工作者"))
    assert "\n23" in workers  # street 990101001, not 南街道's 10
    assert "990102" not in page.url and "street=990101001" in page.url
    assert PASSWORD not in page.url


@pytest.mark.full
def test_a_report_link_opens_its_view_once(app_url, page):
    params = {"district": "990101", "street": "990101001", "lang": "zh"}
    view = view_key("", params)
    token = mint("east", view, 60, SECRET.encode())
    link = f"{app_url}/?district=990101&street=990101001&lang=zh&report=1&token={token}"
    page.goto(link)
    wait_drawn(page)
    page.wait_for_selector('[data-testid="stMetric"]', timeout=120_000)
    assert "token" not in page.url  # dropped from the address once used
    metrics = page.locator('[data-testid="stMetric"]').all_inner_texts()
    assert any(m.startswith("社区工作者") and "\n23" in m for m in metrics)
    page.goto(link)  # the same link again
    wait_drawn(page)
    assert "登录" in page.locator("h1").first.inner_text()
    assert page.locator('[data-testid="stMetric"]').count() == 0


@pytest.mark.full
@pytest.mark.slow
def test_a_scheduled_snapshot_draws_an_accounts_view_without_a_password(
    tmp_path, monkeypatch, capsys
):
    """python -m dashboard.snapshot --account: the app it starts accepts its one-time token."""
    if chromium_path() is None or shutil.which("pdftotext") is None:
        _no_browser()
    from sqlalchemy import select

    from dashboard import snapshot
    from data_access.models import AuditEvent
    from data_access.settings import get_settings

    url = f"sqlite:///{tmp_path / 'city.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    build_small_city(engine)
    accounts.add_account(engine, "east", "990101001", "viewer", PASSWORD, actor=OPERATOR)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("DATABASE_WRITER_URL", raising=False)
    monkeypatch.delenv("DASHBOARD_REPORT_SECRET", raising=False)  # a key made for this run
    monkeypatch.setenv("DASHBOARD_AUTH_MODE", "local")
    get_settings.cache_clear()
    out = tmp_path / "staffing.pdf"
    try:
        # Off this thread: the module's browser holds a Playwright loop on it.
        with ThreadPoolExecutor(1) as pool:
            command = ["--page", "staffing", "--account", "east", "--out", str(out)]
            assert pool.submit(snapshot.main, command).result() == 0
    finally:
        get_settings.cache_clear()
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "东街道" in text and "登录" not in text  # the street's page, not the sign-in form
    table = AuditEvent.__table__
    with engine.connect() as connection:
        rows = connection.execute(
            select(table.c.account, table.c.kind, table.c.scope, table.c.detail)
        ).all()
    engine.dispose()
    view = "staffing?district=990101&lang=zh&street=990101001"
    assert ("east", "report", "990101001", view) in [tuple(row) for row in rows]
    assert not [row for row in rows if row[1] in ("refused", "sign_in_failed")]
    assert "token" not in capsys.readouterr().out


@pytest.mark.full
def test_a_reload_keeps_the_sign_in_and_sign_out_ends_it(app_url, page):
    page.goto(f"{app_url}/?lang=zh")
    wait_drawn(page)
    page.get_by_label("账号").fill("east")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector('[data-testid="stMetric"]', timeout=120_000)
    wait_drawn(page)
    cookie = next(c for c in page.context.cookies() if c["name"] == "dashboard_session")
    assert cookie["sameSite"] == "Strict" and PASSWORD not in cookie["value"]
    page.reload()
    wait_drawn(page)
    page.wait_for_selector('[data-testid="stMetric"]', timeout=120_000)
    assert page.locator("input[type=password]").count() == 0
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_selector("input[type=password]", timeout=120_000)
    for _ in range(50):  # the sign-in screen's script clears it as it is drawn
        if "dashboard_session" not in [c["name"] for c in page.context.cookies()]:
            break
        page.wait_for_timeout(200)
    assert "dashboard_session" not in [c["name"] for c in page.context.cookies()]
    # Even the old cookie, sent again, opens nothing: the session is gone from the database.
    page.context.add_cookies([cookie])
    page.reload()
    wait_drawn(page)
    assert page.locator("input[type=password]").count() == 1
    assert page.locator('[data-testid="stMetric"]').count() == 0
