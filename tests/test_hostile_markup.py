"""No data rendered as markup (issue 11): unit names full of Markdown and HTML are imported, and
every page shows them as text: no link, image or tag from them in AppTest's elements or in the
browser, and no request to the address they name."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from dashboard.navigation import PAGES
from dashboard.snapshot import CHROMIUM_ARGS, chromium_path, running_app, wait_until_still
from data_access.db import make_engine
from data_access.importing import Upload, run_import
from tests.test_pages import run_app

TRAP = "127.0.0.1:9"
NAMES = {
    "district": f"![t](http://{TRAP}/x.png)",
    "street": f"<img src=http://{TRAP}/y.png>",
    "community": f"**粗体** [链接](http://{TRAP}/z) :red[红] $x$",
}
SCOPE = {"district": "990101", "street": "990101001", "community": "990101001001"}


@pytest.fixture(scope="module")
def hostile_city(small_city_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The small city (SQLite) with its first district, street and community renamed."""
    if make_url(small_city_url).get_backend_name() != "sqlite":
        pytest.skip("the markup is the same on every backend; SQLite is enough")
    target = tmp_path_factory.mktemp("markup") / "city.sqlite3"
    shutil.copy(make_url(small_city_url).database or "", target)
    url = f"sqlite:///{target}"
    files = {
        "districts.csv": f'区代码,区名称\n990101,"{NAMES["district"]}"\n',
        "streets.csv": f'街道代码,街道名称,所属区代码\n990101001,"{NAMES["street"]}",990101\n',
        "communities.csv": f'社区代码,社区名称,所属街道代码\n990101001001,"{NAMES["community"]}",990101001\n',
    }
    engine = make_engine(url)
    report = run_import(
        engine, [Upload.of(name, text.encode()) for name, text in files.items()], max_bytes=2**20
    )
    engine.dispose()
    assert report.accepted, report.problems
    return url


def _markdown_values(at) -> list[str]:
    elements = [*at.title, *at.header, *at.subheader, *at.caption, *at.markdown]
    elements += [*at.error, *at.warning, *at.info, *at.success]
    values = [str(e.value) for e in elements]
    values += [str(b.label) for b in at.button]
    return values


@pytest.mark.parametrize("spec", PAGES, ids=lambda spec: spec.url_path)
def test_names_are_escaped_in_every_markdown_element(spec, hostile_city, monkeypatch):
    at = run_app(hostile_city, monkeypatch, page=spec.path, month="2025-06", **SCOPE)
    assert not at.exception
    shown = _markdown_values(at)
    for value in shown:
        # Markdown that would make a link or an image is always backslash-escaped.
        assert "](" not in value.replace("\\](", ""), value
        assert "![" not in value.replace("\\!\\[", ""), value
        assert "<img" not in value.replace("\\<img", ""), value
        assert ":red[" not in value.replace("\\:red\\[", ""), value


@pytest.fixture(scope="module")
def app_base(hostile_city: str) -> Iterator[str]:
    if chromium_path() is None:
        pytest.skip("no Chromium on this machine")
    with running_app(dict(os.environ, DATABASE_URL=hostile_city)) as base:
        yield base


@pytest.mark.sample({"url_path": "overview"})
@pytest.mark.parametrize("url_path", ["overview", "grids", "staffing", "burden", "profile"])
def test_the_browser_gets_no_link_image_or_request_from_a_name(url_path, app_base):
    from playwright.sync_api import sync_playwright

    if url_path not in {spec.url_path for spec in PAGES}:
        pytest.skip(f"no {url_path} page")
    query = "&".join(f"{key}={value}" for key, value in {**SCOPE, "month": "2025-06"}.items())
    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("request", lambda request: requested.append(request.url))
            page.goto(f"{app_base}/{url_path}?{query}")
            page.wait_for_selector(".st-key-page_ready", state="attached", timeout=120_000)
            wait_until_still(page)
            found = page.evaluate(
                """(trap) => Array.from(document.querySelectorAll('img, a, image, link, script'))
                    .map(e => e.getAttribute('src') || e.getAttribute('href') || '')
                    .filter(v => v.includes(trap))""",
                TRAP,
            )
            text = page.locator('[data-testid="stMain"]').inner_text().replace("\u2060", "")
        finally:
            browser.close()
    assert found == []
    assert not [url for url in requested if TRAP in url]
    # The names are there, as text.
    assert any(name in text for name in NAMES.values()) or url_path == "burden", text[:500]


def test_names_go_through_the_importer_unchanged(hostile_city):
    from sqlalchemy import text

    engine = make_engine(hostile_city)
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT name FROM community WHERE code = '990101001001'")
        ).scalar()
    engine.dispose()
    assert stored == NAMES["community"]
