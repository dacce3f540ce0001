"""End to end in Debian's Chromium: the app on a demo database, every page, filters, URLs, files.

Needs the system `chromium` (installed by scripts/test.sh); without it these tests skip, and
with DASHBOARD_TEST_REQUIRE_BROWSER=1 (set by .ci/run) they fail instead.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from dashboard.i18n import fmt_decimal, load_catalog
from dashboard.navigation import PAGES
from dashboard.snapshot import CHROMIUM_ARGS, ROOT, chromium_path, wait_until_still
from data_access.db import make_engine
from data_access.demo.common import DEMO_CITY_NAME
from data_access.queries.hierarchy import data_months
from data_access.queries.staffing import staffing_total
from data_access.scope import Scope, month_end
from data_access.settings import get_settings
from tests.backends import DemoBuild

pytestmark = pytest.mark.slow  # the app in a real browser

READY = ".st-key-page_ready"
SCOPES = {
    "city": {},
    "district": {"district": "990102"},
    "street": {"district": "990102", "street": "990102001"},
    "community": {"district": "990102", "street": "990102001", "community": "990102001001"},
}


def _no_browser() -> None:
    reason = "no Chromium on this machine (apt-get install chromium fonts-noto-cjk)"
    if os.environ.get("DASHBOARD_TEST_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + " (DASHBOARD_TEST_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def demo_file(sqlite_demo: DemoBuild) -> str:
    """The session's demo city on SQLite (tests/conftest.py); the app only reads it."""
    return sqlite_demo.url


@pytest.fixture(scope="module")
def app_url(request: pytest.FixtureRequest) -> str:
    """The app on the demo city (tests/conftest.py:demo_app), default map settings."""
    if chromium_path() is None:
        _no_browser()
    return request.getfixturevalue("demo_app")


@pytest.fixture(scope="module")
def browser(app_url: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    opened = context.new_page()
    yield opened
    context.close()


def open_view(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(READY, state="attached", timeout=120_000)
    # An online basemap (not the default) cannot load here, so the network would never go idle.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_load_state("networkidle", timeout=5000)
    wait_until_still(page)


def record_outside_requests(page, base: str) -> list[str]:
    """A list that fills with every URL the page asks for from a host other than the app."""
    outside: list[str] = []

    def note(request) -> None:
        if not request.url.startswith((base + "/", "data:", "blob:")):
            outside.append(request.url)

    page.on("request", note)
    return outside


def query(params: dict[str, str]) -> str:
    return "&".join(f"{key}={value}" for key, value in params.items())


# Every page in both languages at every scope with DASHBOARD_TEST_FULL=1; otherwise the pages
# whose drawing is most the browser's own (the map, the Overview's charts, the Data page's
# uploader) in Chinese at city scope. AppTest runs every page at every scope either way.
BROWSER_SAMPLE = ("overview", "grids", "data")


@pytest.mark.sample({"lang": "zh", "level": "city"})
@pytest.mark.parametrize("level", SCOPES)
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(
    "spec",
    [
        pytest.param(
            spec,
            id=spec.url_path,
            marks=() if spec.url_path in BROWSER_SAMPLE else [pytest.mark.full],
        )
        for spec in PAGES
    ],
)
def test_every_page_draws_without_errors_or_outside_requests(spec, lang, level, app_url, page):
    outside = record_outside_requests(page, app_url)
    open_view(page, f"{app_url}/{spec.url_path}?{query({'lang': lang, **SCOPES[level]})}")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert outside == [], "an intranet server would wait for these"
    if spec.url_path == "screen":  # titled with the area it shows (docs/operations.md)
        title = DEMO_CITY_NAME if level == "city" else "滨江区"
        assert page.locator(".screen-scope").inner_text().strip() == title
    else:
        title = load_catalog(lang)[spec.title_key]
        assert page.locator("h1").first.inner_text().strip() == title
    charts = page.evaluate(
        """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(el =>
            (el.data || []).some(t => ['x', 'y', 'values', 'lat', 'z']
                .some(k => t[k] && (t[k].length > 0 || (t[k].bdata && t[k].bdata.length > 0)))))"""
    )
    assert all(charts), f"an empty chart on {spec.url_path} at {level} scope"
    if lang == "zh":
        assert re.search(r"[\u4e00-\u9fff]", page.locator('[data-testid="stMain"]').inner_text())


def test_chinese_text_has_a_cjk_font():
    matched = subprocess.run(
        ["fc-match", "-f", "%{family}", "sans-serif:lang=zh-cn"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert "CJK" in matched or "Han" in matched, matched


def kpi_value(page, label: str) -> str:
    card = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return card.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_district_filter_in_the_sidebar_changes_the_kpi(app_url, page, demo_file):
    open_view(page, f"{app_url}/?lang=zh")
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="滨江区").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stMain\"]').innerText.includes('滨江区（区级）')"
    )
    engine = make_engine(demo_file)
    last = data_months(engine)[1]
    expected = staffing_total(engine, Scope("990102", month_end(last)), get_settings())["per_10k"]
    # The card is read again until the new run has drawn it (a busy machine draws it later).
    card = page.locator('[data-testid="stMetric"]').filter(has_text="每万人社区工作者").first
    expect(card.locator('[data-testid="stMetricValue"]')).to_have_text(
        fmt_decimal(expected), timeout=60_000
    )
    assert "district=990102" in page.evaluate("() => window.location.search")


@pytest.mark.full
def test_a_url_with_filters_reproduces_the_view_after_reload(app_url, page):
    url = f"{app_url}/staffing?district=990102&street=990102001&month=2025-06&lang=en"
    open_view(page, url)
    caption = page.locator('[data-testid="stCaptionContainer"]').first.inner_text()
    value = kpi_value(page, "Workers per 10,000")
    page.reload()
    page.wait_for_selector(READY, state="attached")
    wait_until_still(page)
    assert "Jun 2025" in caption
    assert page.locator('[data-testid="stCaptionContainer"]').first.inner_text() == caption
    assert kpi_value(page, "Workers per 10,000") == value


def download(page, name: str) -> bytes:
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name=name).first.click()
    return Path(info.value.path()).read_bytes()


@pytest.mark.full
def test_downloads_open_as_what_they_claim(app_url, page):
    open_view(page, f"{app_url}/staffing?lang=zh&district=990102")
    raw = download(page, "下载 CSV")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:2] == ["代码", "名称"] and len(rows) > 1
    book = openpyxl.load_workbook(io.BytesIO(download(page, "下载 Excel")))
    assert book.sheetnames[-1] == "筛选条件"
    assert download(page, "下载图片 PNG").startswith(b"\x89PNG")
    assert download(page, "截图 PNG").startswith(b"\x89PNG")
    assert download(page, "PDF 报告").startswith(b"%PDF")


@pytest.mark.full
def test_snapshot_command_writes_a_pdf_for_briefings(app_url, tmp_path):
    out = tmp_path / "briefing.pdf"
    command = [
        sys.executable, "-m", "dashboard.snapshot", "--url", app_url, "--page", "staffing",
        "--scope", "990102001", "--lang", "zh", "--out", str(out),
    ]  # fmt: skip
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=180)
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert int(re.search(rb"/Count (\d+)", pdf).group(1)) >= 2


SCREEN_SCOPES = {"city": {}, "district": {"district": "990102"}}


@pytest.mark.full
@pytest.mark.parametrize("level", SCREEN_SCOPES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_wall_screen_fits_1920_by_1080_without_scrolling(lang, level, app_url, browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    outside = record_outside_requests(page, app_url)
    try:
        open_view(page, f"{app_url}/screen?{query({'lang': lang, **SCREEN_SCOPES[level]})}")
        assert page.locator('[data-testid="stException"]').count() == 0
        main = page.evaluate(
            """() => { const m = document.querySelector('[data-testid="stMain"]');
                       return [m.scrollHeight, m.clientHeight]; }"""
        )
        assert main[0] <= main[1], f"the screen scrolls: {main}"
        assert page.locator(".screen-tile").count() == 6
        scope = page.locator(".screen-scope").inner_text()
        assert scope == (DEMO_CITY_NAME if level == "city" else "滨江区")
        page.wait_for_selector(".st-key-screen_map svg path", timeout=30_000)
        assert outside == []
    finally:
        context.close()


# Every element that draws text of its own, visible on the screen, with its computed font size;
# and every visible control. The map's names are in its component's shadow root, out of this walk:
# tests/test_screen.py checks their sizes.
SCREEN_TEXTS = """() => {
  const shown = (e) => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'
      && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth; };
  const texts = [];
  for (const e of document.querySelectorAll('body *')) {
    const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (own && shown(e)) texts.push([e.textContent.trim().slice(0, 30), parseFloat(getComputedStyle(e).fontSize)]);
  }
  const controls = [...document.querySelectorAll(
    'input, select, textarea, button, [role=button], [role=combobox], [role=listbox]')]
    .filter(shown).map((e) => e.outerHTML.slice(0, 80));
  return {texts, controls};
}"""


@pytest.mark.sample({"lang": "zh", "level": "city"})
@pytest.mark.parametrize("level", SCREEN_SCOPES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_wall_screen_text_is_readable_and_nothing_on_it_is_a_control(lang, level, app_url, browser):
    """From five metres (docs/operations.md): no text under 24 px at 1920×1080, no control."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    try:
        open_view(page, f"{app_url}/screen?{query({'lang': lang, **SCREEN_SCOPES[level]})}")
        page.wait_for_selector(".screen-alerts", timeout=60_000)
        found = page.evaluate(SCREEN_TEXTS)
        texts = found["texts"]
        assert len(texts) > 40  # tiles, ranking, alerts, legend, trend
        small = [(text, size) for text, size in texts if size < 24]
        assert small == []
        assert found["controls"] == []
        assert page.locator(".screen-alerts tr.screen-alert").count() == (
            10 if level == "city" else 5  # the ten streets with most alerts; 滨江区 has five
        )
        main = page.evaluate(
            """() => { const m = document.querySelector('[data-testid="stMain"]');
                       return [m.scrollHeight, m.clientHeight]; }"""
        )
        assert main[0] <= main[1], f"the screen scrolls: {main}"
    finally:
        context.close()


def click_middle_of_map_until(page, expected: str, attempts: int = 6) -> None:
    """Clicks the middle of the map until the URL holds `expected`.

    The map is an SVG drawn in the page (dashboard/map_view.py): a click before it is drawn
    finds nothing, and a busy machine may take a moment. The drill itself is what is checked:
    the URL must change within the tries.
    """
    chart = page.locator(".st-key-grids_map svg").first
    chart.wait_for(timeout=60_000)
    chart.scroll_into_view_if_needed()
    for _ in range(attempts):
        page.wait_for_timeout(1500)
        box = chart.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        try:
            page.wait_for_function(
                "(part) => window.location.search.includes(part)", arg=expected, timeout=10_000
            )
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"a click on the map never led to {expected}: {page.url}")


@pytest.mark.full
@pytest.mark.parametrize(
    ("view", "key"), [("grids?lang=zh", "grids_map"), ("screen?lang=en", "screen_map")]
)
def test_the_maps_first_picture_lies_under_the_map_and_is_hidden_once_it_is_drawn(
    app_url, page, view, key
):
    """The still picture of the map (dashboard/map_view.py) fills the map's box until the
    component has drawn the same map over it, then it is hidden; the frame holding both is as
    tall as the map, whatever gap the page's style sets (the wall screen sets its own)."""
    open_view(page, f"{app_url}/{view}")
    page.locator(f".st-key-{key} svg").first.wait_for(timeout=60_000)
    boxes = page.evaluate(
        """(key) => [key, key + "_still img", key + "_frame"].map((name) => {
             const r = document.querySelector(".st-key-" + name).getBoundingClientRect();
             return [r.x, r.y, r.width, r.height]; })""",
        key,
    )
    assert boxes[0] == boxes[1] == boxes[2] and boxes[0][3] > 500
    page.wait_for_function(
        """(key) => getComputedStyle(document.querySelector(".st-key-" + key + "_still"))
                      .visibility === "hidden" """,
        arg=key,
        timeout=10_000,
    )


@pytest.mark.full
def test_a_click_on_the_map_drills_one_level_down(app_url, page):
    open_view(page, f"{app_url}/grids?lang=zh&district=990102")
    # The middle of 滨江区 lies inside one of its communities.
    click_middle_of_map_until(page, "street=990102")
    page.wait_for_selector(READY, state="attached")
    search = page.evaluate("() => window.location.search")
    assert "community=" not in search  # one level: district → street, not to a community
    assert page.url.split("?")[0].endswith("/grids")


@pytest.mark.full
def test_a_click_on_the_city_map_opens_a_street(app_url, page):
    """At city scope the map fills streets: a click on one makes it the scope."""
    open_view(page, f"{app_url}/grids?lang=zh")
    # The middle of the city lies inside one of its streets.
    click_middle_of_map_until(page, "street=")
    page.wait_for_selector(READY, state="attached")
    search = page.evaluate("() => window.location.search")
    street = re.search(r"street=(\d+)", search)
    assert street and len(street.group(1)) == 9, search
    assert f"district={street.group(1)[:6]}" in search  # its district follows
    assert "community=" not in search
    assert page.url.split("?")[0].endswith("/grids")


@pytest.mark.full
def test_drill_from_a_bar_to_the_profile_and_back(app_url, page):
    """Overview at a street → a community's bar → its profile; the breadcrumb goes back up in
    one click; the browser's back and forward buttons retrace the way, one step per drill (no
    view in between that nobody saw)."""
    open_view(page, f"{app_url}/?lang=zh&district=990101&street=990101001")
    start_url = page.url
    steps_before = page.evaluate("() => history.length")
    bar = page.locator(".st-key-overview_ranking_chart_990101001 .plotly .bars path").first
    bar.wait_for(timeout=60_000)
    bar.scroll_into_view_if_needed()
    bar.click(force=True)
    page.wait_for_url(re.compile(r"/profile\?.*community=990101001\d{3}"), timeout=120_000)
    page.wait_for_selector(READY, state="attached")
    page.wait_for_function(
        "() => document.querySelector('h1') && document.querySelector('h1').innerText === '社区画像'"
    )
    wait_until_still(page)
    assert page.evaluate("() => history.length") == steps_before + 1  # one entry for one step
    profile_url = page.url
    crumbs = page.locator(".st-key-breadcrumb button").all_inner_texts()
    assert crumbs[:3] == [
        "全市",
        "东湖区",
        page.locator(".st-key-breadcrumb_2 button").inner_text(),
    ]
    page.locator(".st-key-breadcrumb_2 button").click()  # the street
    page.wait_for_function(
        "() => document.querySelector('h1') && document.querySelector('h1').innerText === '总览'"
    )
    assert "community=" not in page.url and "street=990101001" in page.url
    page.go_back()
    page.wait_for_url(profile_url, timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('h1') && document.querySelector('h1').innerText === '社区画像'"
    )
    page.wait_for_selector(READY, state="attached")
    wait_until_still(page)
    assert page.url == profile_url
    assert page.locator(".st-key-breadcrumb button").count() == 4
    # Back once more: the Overview of the street the drill started from, not that Overview
    # with the community in its address.
    page.go_back()
    page.wait_for_url(start_url, timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('h1') && document.querySelector('h1').innerText === '总览'"
    )
    assert "community=" not in page.url


@pytest.mark.full
def test_wall_screen_picture_is_one_1920_by_1080_screen(app_url):
    from PIL import Image

    from dashboard.snapshot import render, view_url

    url = view_url(app_url, "screen", {"district": "990102", "lang": "zh"})
    # In a thread of its own: this module's browser fixture keeps Playwright's sync loop
    # running in the test thread, and a second sync Playwright may not start inside it.
    with ThreadPoolExecutor(max_workers=1) as pool:
        image = pool.submit(render, url, "png").result()
    assert Image.open(io.BytesIO(image)).size == (1920, 1080)
