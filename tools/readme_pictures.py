"""Refreshes the README pictures in docs/: every page of the demo city as a browser shows it (the
sidebar and the page's first screen at 1440 × 900), and the wall screen at its 1920 × 1080.

Usage: .venv/bin/python tools/readme_pictures.py   (needs Debian's chromium and fonts-noto-cjk)
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import urllib.parse  # noqa: E402

from dashboard.navigation import PAGES, SCREEN_SECTION  # noqa: E402
from dashboard.snapshot import (  # noqa: E402
    CHROMIUM_ARGS,
    READY,
    chromium_path,
    running_app,
    wait_until_still,
)
from data_access.db import make_engine  # noqa: E402
from data_access.demo import build_demo  # noqa: E402
from data_access.schema import upgrade  # noqa: E402

# Each page at the scope that shows it best, in Chinese; the Overview in English too; the wall
# screen of the whole city on its own display.
VIEWS = [
    (spec.url_path, {"lang": "zh", "district": "990101"})
    for spec in PAGES
    if spec.section != SCREEN_SECTION
]
VIEWS.insert(0, ("overview", {"lang": "zh"}))
VIEWS.append(("overview", {"lang": "en", "district": "990101"}))
VIEWS.append(("screen", {"lang": "zh"}))
WINDOW = (1440, 900)
WALL = (1920, 1080)


def picture_name(url_path: str, params: dict[str, str]) -> str:
    suffix = "" if params.get("lang") == "zh" else "_" + params["lang"]
    scope = "_city" if url_path == "overview" and "district" not in params else ""
    return f"{url_path}{scope}{suffix}.png"


def main() -> int:
    if chromium_path() is None:
        print(
            "chromium is not installed (apt-get install chromium fonts-noto-cjk)", file=sys.stderr
        )
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/demo.sqlite3"
        engine = make_engine(url)
        upgrade(engine)
        build_demo(engine)
        engine.dispose()
        with running_app(dict(os.environ, DATABASE_URL=url)) as base:
            for url_path, params in VIEWS:
                name = picture_name(url_path, params)
                (ROOT / "docs" / name).write_bytes(picture(base, url_path, params))
                print(f"docs/{name}")
    return 0


def picture(base: str, url_path: str, params: dict[str, str]) -> bytes:
    """The page's first screen as a new browser shows it, once its run has ended."""
    from playwright.sync_api import sync_playwright

    path = "" if url_path == PAGES[0].url_path else url_path
    url = f"{base.rstrip('/')}/{path}?{urllib.parse.urlencode(params)}"
    width, height = WALL if url_path == "screen" else WINDOW
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(url, timeout=120_000)
            page.wait_for_selector(READY, state="attached", timeout=120_000)
            wait_until_still(page)  # charts and maps draw after their data arrives
            return page.screenshot(type="png")
        finally:
            browser.close()


if __name__ == "__main__":
    sys.exit(main())
