"""Refreshes the README pictures in docs/: every page of the demo city, taken by the report renderer.

Usage: .venv/bin/python tools/readme_pictures.py   (needs Debian's chromium and fonts-noto-cjk)
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.navigation import PAGES, SCREEN_SECTION  # noqa: E402
from dashboard.snapshot import chromium_path, render, running_app, view_url  # noqa: E402
from data_access.db import make_engine  # noqa: E402
from data_access.demo import build_demo  # noqa: E402
from data_access.schema import upgrade  # noqa: E402

# Each page at the scope that shows it best, in Chinese; the Overview in English too.
# The wall screen is drawn for its own 1920 × 1080 display, not in a page-wide picture.
VIEWS = [
    (spec.url_path, {"lang": "zh", "district": "990101"})
    for spec in PAGES
    if spec.section != SCREEN_SECTION
]
VIEWS.insert(0, ("overview", {"lang": "zh"}))
VIEWS.append(("overview", {"lang": "en", "district": "990101"}))


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
                (ROOT / "docs" / name).write_bytes(render(view_url(base, url_path, params), "png"))
                print(f"docs/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
