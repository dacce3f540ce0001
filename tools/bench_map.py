"""The Grids page's map as a leader sees it in Chromium without a graphics card.

    .venv/bin/python tools/bench_map.py --database sqlite:////tmp/bench-s1.sqlite3
    .venv/bin/python tools/bench_map.py --database URL --app before=/path/to/old/checkout --app after=.
    .venv/bin/python tools/bench_map.py --database URL --runs 5 --scope city --scope street

For each app (a checkout of this project; several for a paired comparison, measured in turns in
the same run) one Streamlit server is started on the database; Chromium runs headless with
--disable-gpu, so WebGL is Chromium's software renderer (SwiftShader), as on a virtual desktop,
and without the omnibox popup that headless Chromium loads in every new window (BENCH_FLAGS).
For the city, a district and a street it opens the Grids page and times, from the request:

- map: until the map's pixels (a screenshot of the map's box, taken every --poll seconds) hold
  the map's fill colours over at least 2 % of the box and the names' dark text: the first picture
  a leader can read, whatever draws it (deck.gl's canvas, an SVG, the map's first picture). The
  screenshot is Chromium's own (DevTools' Page.captureScreenshot of the page's surface):
  Playwright's screenshot first runs script in the page (fonts, animations), which waits until
  the page's main thread is free, so that a map painted before a long piece of work would be
  timed at the end of that work;
- idle: until Streamlit's running indicator is gone after the map was drawn.

A new browser is a new browser context (empty cache) for every visit; a returning browser is one
persistent profile (disk cache and V8's code cache kept) that has opened the page twice before.
Every server has seen each view once before the timed visits (its cache is warm). The 1-minute
load average is read at each visit and printed with the figures: on a shared machine compare the
apps within one run, not seconds across runs. Figures, not a test.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.map_style import (  # noqa: E402
    DARK,
    LIGHT,
    MAP_METRICS,
    MISSING_COLOUR,
    RAMP,
    STATUS_COLOURS,
    metric_classes,
)

# Where the map is: the SVG map's component, or deck.gl's chart (the app before the SVG map).
MAP_SELECTOR = ".st-key-grids_map, [data-testid=stDeckGlJsonChart]"
RUNNING_SELECTOR = '[data-testid="stStatusWidget"]'
VIEWPORT = {"width": 1600, "height": 1200}
# Headless Chromium loads its omnibox popup (a WebUI page, 2.5-6 s of CPU here) in every new
# window while the measured page loads; a leader's browser has it loaded long before.
BENCH_FLAGS = [
    "--disable-features=WebUIOmniboxPopup,WebUIOmniboxFullPopup,WebUIOmniboxAimPopup,"
    "PreloadTopChromeWebUI"
]
MIN_FILL_SHARE = 0.02  # of the map's box
MIN_NAME_SHARE = 0.0003  # pixels of the names' colour: a few names' strokes
TOLERANCE = 14  # per channel, for antialiasing and rounding


def blended(colour: Sequence[int], background: tuple[int, int, int]) -> np.ndarray:
    """An RGBA colour as drawn over an opaque background."""
    alpha = colour[3] / 255 if len(colour) > 3 else 1.0
    return np.array(
        [round(c * alpha + b * (1 - alpha)) for c, b in zip(colour[:3], background, strict=True)]
    )


def map_colours(level: str, dark: bool = False) -> tuple[list[np.ndarray], np.ndarray]:
    """The fill colours a map of `level` shows over the page (every class colour of every
    metric above street scope), and the colour of its names."""
    from data_access.settings import get_settings

    theme, page = (DARK, (11, 23, 38)) if dark else (LIGHT, (255, 255, 255))
    fills: list[Sequence[int]]
    if level == "street":
        fills = list(STATUS_COLOURS.values())
    else:
        settings = get_settings()
        classes = [metric_classes(metric, settings, dark).colours for metric in MAP_METRICS]
        fills = [*RAMP, MISSING_COLOUR, *(colour for colours in classes for colour in colours)]
    return [blended(c, page) for c in fills], np.array(theme.label[:3])


def drawn_shares(
    pixels: np.ndarray, fills: list[np.ndarray], name: np.ndarray, tolerance: int = TOLERANCE
) -> tuple[float, float]:
    """The share of pixels (an H × W × 3 picture) in one of the fill colours, and in the names'."""
    rgb = pixels[..., :3].astype(int)
    filled = np.zeros(rgb.shape[:2], dtype=bool)
    for colour in fills:
        filled |= (np.abs(rgb - colour) <= tolerance).all(axis=2)
    named = (np.abs(rgb - name) <= tolerance).all(axis=2)
    return float(filled.mean()), float(named.mean())


def map_is_drawn(pixels: np.ndarray, fills: list[np.ndarray], name: np.ndarray) -> bool:
    """True when the picture holds a readable map: coloured units and their names."""
    fill_share, name_share = drawn_shares(pixels, fills, name)
    return fill_share >= MIN_FILL_SHARE and name_share >= MIN_NAME_SHARE


@dataclass
class Visit:
    map_s: float | None
    idle_s: float | None
    load: float


@dataclass
class Figures:
    visits: dict[tuple[str, str, str], list[Visit]] = field(default_factory=dict)

    def add(self, app: str, browser: str, scope: str, visit: Visit) -> None:
        self.visits.setdefault((app, browser, scope), []).append(visit)


def visit(page: Any, url: str, level: str, timeout_s: float, poll_s: float) -> Visit:
    """Opens `url` in `page` and times the map's first readable picture and the end of the run."""
    from PIL import Image

    fills, name = map_colours(level)
    load = os.getloadavg()[0]
    devtools = page.context.new_cdp_session(page)
    started = time.perf_counter()
    page.goto(url, wait_until="commit")
    map_s = idle_s = None
    while time.perf_counter() - started < timeout_s:
        if map_s is None:
            box = _map_box(page)
            if box is not None:
                shot = devtools.send(
                    "Page.captureScreenshot",
                    {"format": "png", "clip": {**box, "scale": 1}, "fromSurface": True},
                )
                now = time.perf_counter() - started
                picture = Image.open(io.BytesIO(base64.b64decode(shot["data"])))
                pixels = np.asarray(picture.convert("RGB"))
                if map_is_drawn(pixels, fills, name):
                    map_s = now
        if map_s is not None and page.locator(RUNNING_SELECTOR).count() == 0:
            idle_s = time.perf_counter() - started
            break
        time.sleep(poll_s)
    return Visit(map_s, idle_s, load)


def _map_box(page: Any) -> dict[str, float] | None:
    """The map's box in the viewport, scrolled into view; None until it is laid out."""
    found = page.locator(MAP_SELECTOR)
    if found.count() == 0:
        return None
    element = found.first
    box = element.bounding_box()
    if box is None or box["width"] < 50 or box["height"] < 50:
        return None
    if box["y"] < 0 or box["y"] + box["height"] > VIEWPORT["height"]:
        element.evaluate("e => e.scrollIntoView({block: 'center'})")
        box = element.bounding_box()
    if box is None:
        return None
    top = max(box["y"], 0.0)
    bottom = min(box["y"] + box["height"], float(VIEWPORT["height"]))
    if bottom - top < 50:
        return None
    return {"x": box["x"], "y": top, "width": box["width"], "height": bottom - top}


class Server:
    """One app checkout served on a port, its caches not warmed in the background."""

    def __init__(self, app_dir: Path, database: str, port: int) -> None:
        from dashboard.snapshot import wait_until_up

        env = dict(os.environ, DATABASE_URL=database, DASHBOARD_CACHE_WARM="0")
        command = [sys.executable, "-m", "streamlit", "run", str(app_dir / "app.py")]
        command += [f"--server.port={port}", "--server.headless=true"]
        self.process = subprocess.Popen(
            command, cwd=app_dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.base = f"http://127.0.0.1:{port}"
        wait_until_up(self.base)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def scope_queries(database: str) -> dict[str, str]:
    """The query strings of the city, the first district and its first street."""
    from data_access.db import get_engine
    from data_access.queries.hierarchy import units

    table = units(get_engine(database))
    district = str(table.loc[table["level"] == "district", "code"].sort_values().iloc[0])
    streets = table.loc[table["parent_code"] == district]
    street = str(streets.loc[streets["level"] == "street", "code"].sort_values().iloc[0])
    return {
        "city": "lang=zh",
        "district": f"lang=zh&district={district}",
        "street": f"lang=zh&district={district}&street={street}",
    }


def measure(
    apps: dict[str, Path],
    database: str,
    scopes: list[str],
    runs: int,
    port: int,
    timeout_s: float,
    poll_s: float,
) -> Figures:
    from playwright.sync_api import sync_playwright

    from dashboard.snapshot import CHROMIUM_ARGS, chromium_path

    queries = scope_queries(database)
    servers = {
        name: Server(path, database, port + i) for i, (name, path) in enumerate(apps.items())
    }
    figures = Figures()
    profiles = {name: tempfile.mkdtemp(prefix=f"bench-map-{name}-") for name in apps}
    try:
        with sync_playwright() as playwright:
            args = CHROMIUM_ARGS + BENCH_FLAGS
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=args)
            returning = {
                name: playwright.chromium.launch_persistent_context(
                    profiles[name],
                    executable_path=chromium_path(),
                    args=args,
                    viewport=VIEWPORT,  # type: ignore[arg-type]
                )
                for name in apps
            }
            for name, server in servers.items():  # warm the servers and the returning profiles
                for scope in scopes:
                    for _ in range(2):
                        page = returning[name].new_page()
                        visit(page, f"{server.base}/grids?{queries[scope]}", scope, timeout_s, 0.5)
                        page.close()
            for run in range(runs):
                for scope in scopes:
                    for name, server in servers.items():
                        url = f"{server.base}/grids?{queries[scope]}"
                        context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
                        figures.add(
                            name,
                            "new",
                            scope,
                            visit(context.new_page(), url, scope, timeout_s, poll_s),
                        )
                        context.close()
                        page = returning[name].new_page()
                        figures.add(
                            name, "returning", scope, visit(page, url, scope, timeout_s, poll_s)
                        )
                        page.close()
                print(f"run {run + 1} of {runs} done", file=sys.stderr)
            for context in returning.values():
                context.close()
            browser.close()
    finally:
        for server in servers.values():
            server.stop()
    return figures


def _median(values: list[float | None]) -> str:
    found = [v for v in values if v is not None]
    if not found:
        return "—"
    missed = len(values) - len(found)
    text = f"{statistics.median(found):.2f}"
    return f"{text} ({missed} not drawn)" if missed else text


def report(figures: Figures, scale: str) -> str:
    lines = [
        "| scale | app | browser | scope | map readable s (median) | page idle s (median) | "
        "runs | load average min–max |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (app, browser, scope), visits in figures.visits.items():
        loads = [v.load for v in visits]
        lines.append(
            f"| {scale} | {app} | {browser} | {scope} | {_median([v.map_s for v in visits])} | "
            f"{_median([v.idle_s for v in visits])} | {len(visits)} | "
            f"{min(loads):.1f}–{max(loads):.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="DATABASE_URL of a built demo city")
    parser.add_argument(
        "--app",
        action="append",
        metavar="NAME=DIR",
        help="a checkout to serve (repeatable; default: this one, as 'app')",
    )
    parser.add_argument("--scope", action="append", choices=["city", "district", "street"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=8621, help="the first server's port")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per visit")
    parser.add_argument("--poll", type=float, default=0.1, help="seconds between pictures")
    parser.add_argument("--scale", default="?", help="the city's scale, for the table")
    args = parser.parse_args(argv)
    apps = {
        name: Path(path).resolve()
        for name, path in (item.split("=", 1) for item in args.app or [f"app={ROOT}"])
    }
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    figures = measure(
        apps,
        args.database,
        args.scope or ["city", "district", "street"],
        args.runs,
        args.port,
        args.timeout,
        args.poll,
    )
    print(report(figures, args.scale))
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
