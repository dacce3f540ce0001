"""Pictures of pages: a full-page PNG or a PDF of a view, drawn by headless Chromium.

Used by the report buttons of the app, by `python -m dashboard.snapshot` for scheduled
briefings and by tools/readme_pictures.py. No Streamlit import: it drives a running app
through a browser, or starts one of its own.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path

from data_access.scope import ancestors

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTH = 1400
READY = ".st-key-page_ready"


def chromium_path() -> str | None:
    """The system Chromium (Debian's package); None when the server has none."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def view_url(base: str, url_path: str, params: Mapping[str, str]) -> str:
    """The URL of a page in report mode with the given filters."""
    query = urllib.parse.urlencode({**{k: v for k, v in params.items() if v}, "report": "1"})
    return f"{base.rstrip('/')}/{url_path.strip('/')}?{query}"


def _wait_until_drawn(page: object, timeout_ms: int) -> None:
    page.wait_for_selector(READY, state="attached", timeout=timeout_ms)  # type: ignore[attr-defined]
    # An online basemap that cannot be reached (an intranet) never lets the network go idle,
    # so idleness is waited for briefly, then the map is taken as it is.
    with contextlib.suppress(Exception):
        page.wait_for_load_state("networkidle", timeout=5000)  # type: ignore[attr-defined]
    # Charts draw after their data arrives; give plotly and deck.gl a moment to finish.
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]


def render(url: str, fmt: str, timeout_s: float = 120) -> bytes:
    """The page at url as PNG (the whole page, not just the window) or PDF (A4 pages) bytes."""
    if fmt not in ("png", "pdf"):
        raise ValueError(f"format must be png or pdf, not {fmt!r}")
    executable = chromium_path()
    if executable is None:
        raise RuntimeError("Chromium is not installed on this server")
    from playwright.sync_api import sync_playwright

    timeout_ms = int(timeout_s * 1000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
            page.goto(url, timeout=timeout_ms)
            _wait_until_drawn(page, timeout_ms)
            # Streamlit scrolls inside stMain, so the window is made as tall as the content.
            height = page.evaluate(
                "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight"
            )
            page.set_viewport_size({"width": WIDTH, "height": min(int(height) + 40, MAX_HEIGHT)})
            page.wait_for_timeout(800)
            image = page.screenshot(full_page=True, type="png")
            breaks = page.evaluate(_BLOCK_TOPS) if fmt == "pdf" else []
        finally:
            browser.close()
    return image if fmt == "png" else png_to_pdf(image, breaks)


MAX_HEIGHT = 16000
# Tops of the page's top-level blocks: the places where a PDF page may end without cutting a chart.
_BLOCK_TOPS = """() => {
  const block = document.querySelector('[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"]');
  if (!block) return [];
  const children = Array.from(block.children);
  // Never right after a heading, which belongs with what follows it.
  return children
    .filter((c, i) => i === 0 || !children[i - 1].querySelector('h1, h2, h3'))
    .map(c => c.getBoundingClientRect().top + window.scrollY);
}"""


def page_breaks(height: int, page_height: int, block_tops: list[float]) -> list[int]:
    """Where to cut a tall picture into pages: at a block's top when one lies in the lower half."""
    cuts, start = [0], 0
    tops = sorted(int(top) for top in block_tops)
    while start + page_height < height:
        limit = start + page_height
        fitting = [top for top in tops if start + page_height // 2 < top <= limit]
        start = fitting[-1] if fitting else limit
        cuts.append(start)
    return [*cuts, height]


def png_to_pdf(image: bytes, block_tops: list[float]) -> bytes:
    """A4 portrait pages cut from a full-page picture, each as wide as the page."""
    import io

    from PIL import Image

    picture = Image.open(io.BytesIO(image)).convert("RGB")
    width, height = picture.size
    page_height = int(width * 297 / 210)
    cuts = page_breaks(height, page_height, block_tops)
    pages = []
    for top, bottom in pairwise(cuts):
        sheet = Image.new("RGB", (width, page_height), "white")
        sheet.paste(picture.crop((0, top, width, bottom)), (0, 0))
        pages.append(sheet)
    buffer = io.BytesIO()
    # 1400 px across 210 mm is about 170 dpi.
    pages[0].save(buffer, "PDF", save_all=True, append_images=pages[1:], resolution=width / 8.27)
    return buffer.getvalue()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(base: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the app did not start at {base}")


@contextmanager
def running_app(env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Starts the app on a free loopback port for the duration; yields its base URL."""
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
    ]  # fmt: skip
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env=dict(env if env is not None else os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def scope_params(scope: str | None, month: str | None, language: str) -> dict[str, str]:
    """URL filters for a scope code (district, street or community) and a YYYY-MM month."""
    params = {"lang": language}
    if month:
        params["month"] = month
    if scope:
        params.update(ancestors(scope))
    return params


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.snapshot",
        description="Save a page of the dashboard as PNG or PDF, e.g. for a scheduled briefing.",
    )
    parser.add_argument(
        "--page", default="overview", help="overview, staffing, burden, grids, data"
    )
    parser.add_argument("--scope", help="district, street or community code (default: whole city)")
    parser.add_argument("--as-of", dest="month", help="month YYYY-MM (default: the latest)")
    parser.add_argument("--lang", default="zh", choices=("zh", "en"))
    parser.add_argument("--out", required=True, help="output file ending in .png or .pdf")
    parser.add_argument("--url", help="base URL of a running app (default: start one)")
    args = parser.parse_args(argv)
    fmt = Path(args.out).suffix.lower().lstrip(".")
    if fmt not in ("png", "pdf"):
        print("error: --out must end in .png or .pdf", file=sys.stderr)
        return 2
    if chromium_path() is None:
        print(
            "error: Chromium is not installed (apt-get install chromium fonts-noto-cjk)",
            file=sys.stderr,
        )
        return 2
    params = scope_params(args.scope, args.month[:7] if args.month else None, args.lang)
    if args.url:
        data = render(view_url(args.url, args.page, params), fmt)
    else:
        with running_app() as base:
            data = render(view_url(base, args.page, params), fmt)
    Path(args.out).write_bytes(data)
    print(f"{args.out}: {len(data):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
