"""Two app processes on one PostgreSQL: the same numbers, and an import through one reaches the
other within the data check interval (issue 7). Runs in Debian's Chromium."""

from __future__ import annotations

import os
import time

import pytest

from dashboard.snapshot import CHROMIUM_ARGS, chromium_path, running_app
from data_access.db import make_engine
from data_access.schema import upgrade
from tests.backends import Databases, require
from tests.small_city import build_small_city
from tests.test_e2e import READY, _no_browser, kpi_value

# Two app processes and a browser: CI runs it (DASHBOARD_TEST_FULL=1), the README command does not.
pytestmark = [pytest.mark.slow, pytest.mark.full]

CHECK_SECONDS = 3


@pytest.fixture(scope="module")
def shared_url(tmp_path_factory: pytest.TempPathFactory):
    require("postgresql")
    databases = Databases("postgresql", tmp_path_factory.mktemp("shared"))
    url = databases.new("shared")
    engine = make_engine(url)
    upgrade(engine)
    build_small_city(engine)
    engine.dispose()
    yield url
    databases.drop_all()


def test_two_processes_agree_and_see_an_import_after_the_cache_lifetime(shared_url, tmp_path):
    if chromium_path() is None:
        _no_browser()
    from playwright.sync_api import sync_playwright

    env = dict(os.environ, DATABASE_URL=shared_url, DASHBOARD_DATA_CHECK_SECONDS=str(CHECK_SECONDS))
    population = tmp_path / "population.csv"
    population.write_text(
        "community_code,year,resident_population,households\n990102001001,2025,10002,3600\n",
        encoding="utf-8",
    )
    view = "/?lang=zh&month=2025-06"
    with running_app(env) as first, running_app(env) as second, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        one, two = browser.new_page(), browser.new_page()
        for page, base in ((one, first), (two, second)):
            page.goto(base + view)
            page.wait_for_selector(READY, state="attached", timeout=120_000)
        assert kpi_value(one, "常住人口") == kpi_value(two, "常住人口") == "55,001"

        one.goto(first + "/data?lang=zh")
        one.wait_for_selector(READY, state="attached", timeout=120_000)
        one.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(population))
        one.get_by_role("button", name="检查", exact=True).click()
        one.get_by_role("button", name="确认导入", exact=True).click(timeout=60_000)
        one.get_by_text("导入成功").wait_for(timeout=60_000)

        time.sleep(CHECK_SECONDS + 1)
        two.reload()
        two.wait_for_selector(READY, state="attached", timeout=120_000)
        assert kpi_value(two, "常住人口") == "60,002"  # C5 went from 5,001 to 10,002
        browser.close()


def test_a_report_link_used_on_one_process_is_refused_on_the_other(shared_url):
    """The used nonce is in the shared database: the second process refuses the same link."""
    if chromium_path() is None:
        _no_browser()
    from playwright.sync_api import sync_playwright

    from data_access import accounts
    from data_access.tokens import mint, view_key

    engine = make_engine(shared_url)
    accounts.add_account(
        engine, "east_report", "990101001", "viewer", "Zwei-Prozesse-pw-1", actor=accounts.OPERATOR
    )
    engine.dispose()
    secret = "a-report-secret-of-two-processes"
    env = dict(
        os.environ,
        DATABASE_URL=shared_url,
        DASHBOARD_AUTH_MODE="local",
        DASHBOARD_REPORT_SECRET=secret,
        DASHBOARD_DEFAULT_LANGUAGE="zh",
    )
    env.pop("DATABASE_WRITER_URL", None)
    params = {"district": "990101", "street": "990101001", "lang": "zh"}
    token = mint("east_report", view_key("", params), 300, secret.encode())
    link = f"/?district=990101&street=990101001&lang=zh&report=1&token={token}"
    with running_app(env) as first, running_app(env) as second, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        one, two = browser.new_page(), browser.new_page()
        one.goto(first + link)
        one.wait_for_selector('[data-testid="stMetric"]', timeout=120_000)
        assert "登录" not in one.locator("h1").first.inner_text()
        two.goto(second + link)
        two.wait_for_selector(READY, state="attached", timeout=120_000)
        two.wait_for_selector("h1", timeout=60_000)
        assert "登录" in two.locator("h1").first.inner_text()
        assert two.locator('[data-testid="stMetric"]').count() == 0
        browser.close()
