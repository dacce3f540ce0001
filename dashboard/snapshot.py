"""Pictures of pages: a full-page PNG or a PDF of a view, drawn by headless Chromium.

Used by the report buttons of the app, by `python -m dashboard.snapshot` for scheduled
briefings and by tools/readme_pictures.py. No Streamlit import: it drives a running app
through a browser, or starts one of its own. With sign-in on, the command draws the view as an
account (`--account`), through a one-time report token like the app's buttons
(docs/accounts.md).
"""

from __future__ import annotations

import argparse
import contextlib
import html
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

from dashboard import navigation
from dashboard.render_queue import RenderTimeout, render_queue
from data_access import access
from data_access.access import Principal
from data_access.accounts import principal_by_name
from data_access.catalog import translate
from data_access.scope import ancestors
from data_access.settings import get_settings
from data_access.tokens import TOKEN_PARAM, configured_secret, mint, view_key

if TYPE_CHECKING:
    from sqlalchemy import Engine

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
# Pages made for one fixed display are pictured at its size, not as a long page.
FIXED_VIEWPORTS = {"screen": (1920, 1080)}
# The end of a run (dashboard/ready.py): a keyed container holding a mark drawn by st.html, so
# that once it is there, the report's header, styles and tables (st.html too) are drawn.
READY_KEY = "page_ready"
DRAWN_CLASS = "page-drawn"
READY = f".st-key-{READY_KEY} .{DRAWN_CLASS}"


def chromium_path() -> str | None:
    """The system Chromium (Debian's package); None when the server has none."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def view_url(base: str, url_path: str, params: Mapping[str, str]) -> str:
    """The URL of a page in report mode with the given filters.

    The first page of the menu is the app's default page, served at the root, not at its name.
    """
    if url_path.strip("/") == navigation.PAGES[0].url_path:
        url_path = ""
    query = urllib.parse.urlencode({**{k: v for k, v in params.items() if v}, "report": "1"})
    return f"{base.rstrip('/')}/{url_path.strip('/')}?{query}"


def fixed_viewport(url: str) -> tuple[int, int] | None:
    """The window size of a page made for one display (the wall screen), else None."""
    page = urllib.parse.urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]
    return FIXED_VIEWPORTS.get(page)


# A page is still when nothing in it has changed for QUIET_MS and every Plotly chart holds its
# drawing: charts, tables and the SVG map are drawn into the page, so a quiet page is a drawn one.
# Watching the changes (a MutationObserver) instead of waiting a fixed time takes a report
# 2-3 s sooner (docs/architecture.md, "Page pictures").
QUIET_MS = 400
STILL_TIMEOUT_MS = 5000
# deck.gl draws into its canvas, which changes nothing in the page: a map of it gets this long.
DECK_DRAW_MS = 1500
DECK_SELECTOR = '[data-testid="stDeckGlJsonChart"]'
_WATCH_CHANGES = """() => {
  if (window.__lastChange === undefined) {
    new MutationObserver(() => { window.__lastChange = performance.now(); }).observe(
      document.documentElement,
      {subtree: true, childList: true, attributes: true, characterData: true});
  }
  window.__lastChange = performance.now();
}"""
_STILL = """(quietMs) => performance.now() - window.__lastChange >= quietMs
  && Array.from(document.querySelectorAll('.js-plotly-plot'))
    .every(chart => chart.querySelector('.main-svg') !== null)"""


def wait_until_still(page: Page, timeout_ms: int = STILL_TIMEOUT_MS) -> None:
    """Waits until the page has been still for QUIET_MS (its charts drawn), at most timeout_ms,
    then takes it as it is; a deck.gl map gets DECK_DRAW_MS more."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.evaluate(_WATCH_CHANGES)
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(_STILL, arg=QUIET_MS, polling=100, timeout=timeout_ms)
    if page.locator(DECK_SELECTOR).count():
        page.wait_for_timeout(DECK_DRAW_MS)


def _wait_until_drawn(page: Page, timeout_ms: int) -> None:
    page.wait_for_selector(READY, state="attached", timeout=timeout_ms)
    # An online basemap that cannot be reached (an intranet) never lets the network go idle,
    # so idleness is waited for briefly, then the map is taken as it is.
    with contextlib.suppress(Exception):
        page.wait_for_load_state("networkidle", timeout=5000)
    wait_until_still(page)


def render(url: str, fmt: str, timeout_s: float | None = None) -> bytes:
    """The page at url as PNG (the whole page, not just the window) or PDF (A4, real text) bytes.

    Waits for a place in the process's render queue; the browser asks nothing but the app
    itself; the whole render, waiting included, ends within timeout_s (the setting
    report_deadline_seconds) or raises RenderTimeout.
    """
    if fmt not in ("png", "pdf"):
        raise ValueError(f"format must be png or pdf, not {fmt!r}")
    executable = chromium_path()
    if executable is None:
        raise RuntimeError("Chromium is not installed on this server")
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    settings = get_settings()
    deadline = time.monotonic() + (timeout_s or settings.report_deadline_seconds)
    with render_queue(settings.report_max_renders).slot(deadline) as left:
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
                try:
                    fixed = fixed_viewport(url)
                    width, height = fixed or (WIDTH, 1000)
                    page = browser.new_page(viewport={"width": width, "height": height})
                    page.route("**/*", only_the_app(url))
                    page.set_default_timeout(max(left, 1) * 1000)
                    page.goto(url, timeout=max(left, 1) * 1000)
                    _wait_until_drawn(page, int(max(deadline - time.monotonic(), 1) * 1000))
                    if fmt == "pdf":
                        return print_pdf(page)
                    # The wall screen is pictured as the display shows it; other pages whole.
                    return page.screenshot(type="png") if fixed else screenshot(page)
                finally:
                    browser.close()
        except PlaywrightError as exc:
            if time.monotonic() >= deadline - 1:
                raise RenderTimeout(f"the page did not render within the deadline: {url}") from exc
            raise


def only_the_app(url: str) -> Callable[[object], None]:
    """A route handler that lets through requests to the app itself and aborts every other:
    data in a page can never make the server's browser fetch an address (SSRF)."""
    own = urllib.parse.urlparse(url)
    origin = (own.scheme, own.netloc)

    def handle(route: object) -> None:
        target = urllib.parse.urlparse(route.request.url)  # type: ignore[attr-defined]
        if (target.scheme, target.netloc) == origin or target.scheme in ("data", "blob"):
            route.continue_()  # type: ignore[attr-defined]
        else:
            route.abort()  # type: ignore[attr-defined]

    return handle


MAX_HEIGHT = 16000


def screenshot(page: Page) -> bytes:
    """The whole page as one picture, its report header on top."""
    # Streamlit scrolls inside stMain, so the window is made as tall as the content.
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": WIDTH, "height": min(int(height) + 40, MAX_HEIGHT)})
    wait_until_still(page)
    return page.screenshot(full_page=True, type="png")


# A4 at 96 px per inch, less the side margins: the window is made as wide as the paper so
# that the page is laid out (charts included) at print size, neither shrunk nor cut.
PRINT_MARGIN_MM = {"top": 16, "bottom": 14, "left": 10, "right": 10}
PRINT_WIDTH_PX = {False: round((210 - 20) / 25.4 * 96), True: round((297 - 20) / 25.4 * 96)}
# A table with more columns than this is printed on landscape pages, drawn a little smaller so
# that a chart as tall as a screen still fits below its heading on the shorter page.
PORTRAIT_MAX_COLUMNS = 8
PRINT_SCALE = {False: 1.0, True: 0.85}
PRINT_HEIGHT_PX = {
    False: (297 - PRINT_MARGIN_MM["top"] - PRINT_MARGIN_MM["bottom"]) / 25.4 * 96,
    True: (210 - PRINT_MARGIN_MM["top"] - PRINT_MARGIN_MM["bottom"]) / 25.4 * 96,
}
# A page that marks itself .report-one-page (the briefing) is drawn smaller until it fits one sheet.
_REPORT_LAYOUT = """() => {
  const header = document.querySelector('.report-header');
  const widths = Array.from(document.querySelectorAll('table.report-table thead tr'))
    .map(row => row.children.length);
  return {
    header: header ? header.innerText : '',
    columns: Math.max(0, ...widths),
    onePage: document.querySelector('.report-one-page') !== null,
  };
}"""
_CONTENT_HEIGHT = (
    "() => document.querySelector('[data-testid=\"stMainBlockContainer\"]').scrollHeight"
)


def one_page_scale(content_height: float, landscape: bool, scale: float) -> float:
    """The print scale at which content of this height (in px at that scale) fills one sheet."""
    fitting = PRINT_HEIGHT_PX[landscape] / max(content_height, 1.0) * 0.97
    return max(0.3, min(scale, scale * fitting))


def print_pdf(page: Page) -> bytes:
    """Chromium's own print of the report layout: selectable text, vector charts, A4 pages.

    Landscape when a table is wide; the report header and page numbers on every page.
    """
    layout = page.evaluate(_REPORT_LAYOUT)
    landscape = int(layout["columns"]) > PORTRAIT_MAX_COLUMNS
    page.emulate_media(media="print")
    scale = PRINT_SCALE[landscape]
    _print_width(page, landscape, scale)
    if layout["onePage"]:
        for _ in range(2):  # a smaller scale is a wider window, and the height changes a little
            height = float(page.evaluate(_CONTENT_HEIGHT))
            fitted = one_page_scale(height * scale, landscape, scale)
            if fitted >= scale:
                break
            scale = fitted
            _print_width(page, landscape, scale)
    return page.pdf(
        format="A4",
        landscape=landscape,
        scale=scale,
        print_background=True,
        display_header_footer=True,
        header_template=page_header_html(str(layout["header"])),
        footer_template=PAGE_NUMBER_HTML,
        margin={
            "top": f"{PRINT_MARGIN_MM['top']}mm",
            "bottom": f"{PRINT_MARGIN_MM['bottom']}mm",
            "left": f"{PRINT_MARGIN_MM['left']}mm",
            "right": f"{PRINT_MARGIN_MM['right']}mm",
        },
    )


def _print_width(page: Page, landscape: bool, scale: float) -> None:
    """Lays the page out as wide as the paper at this scale; charts redraw at the new width."""
    width = round(PRINT_WIDTH_PX[landscape] / scale)
    page.set_viewport_size({"width": width, "height": 1000})
    wait_until_still(page)


_MARGIN_STYLE = "font-size:8.5px;color:#555;width:100%;padding:0 10mm;font-family:'Noto Sans CJK SC',sans-serif;"
PAGE_NUMBER_HTML = (
    f'<div style="{_MARGIN_STYLE}text-align:center;">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


def page_header_html(text: str) -> str:
    """The header of every printed page: the report header of the page, escaped."""
    return f'<div style="{_MARGIN_STYLE}">{html.escape(text)}</div>'


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


class SnapshotRefused(PermissionError):
    """An account that may not have this view drawn: unknown, disabled or outside its area."""


class SnapshotOutsideArea(SnapshotRefused):
    """A view outside the account's area: said with the app's own sentence for a refusal."""


def account_for_view(engine: Engine, name: str, page: str, scope: str | None) -> Principal:
    """The enabled account `name`, when the view of `scope` (None: its own area) is inside its
    area; otherwise the refusal is recorded in the audit and SnapshotRefused raised."""
    what = f"snapshot {page}"
    principal = principal_by_name(engine, name)
    if principal is None:
        access.record(engine, "refused", name, scope, f"{what}: no enabled account")
        raise SnapshotRefused(f"no enabled account named {name}")
    try:
        access.check_code(principal, scope or principal.scope_code, engine, what)
    except access.ScopeRefused as exc:
        raise SnapshotOutsideArea(str(exc)) from None
    return principal


def signed_params(
    account: str, page: str, params: Mapping[str, str], lifetime_s: int, secret: str
) -> dict[str, str]:
    """The view's URL parameters with a one-time token for the account, made with the app's key.

    The token names the view as the app sees it: the first page of the menu is served at the
    root, so its path is empty there."""
    app_path = "" if page.strip("/") == navigation.PAGES[0].url_path else page.strip("/")
    token = mint(account, view_key(app_path, params), lifetime_s, secret.encode())
    return {**params, TOKEN_PARAM: token}


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.snapshot",
        description="Save a page of the dashboard as PNG or PDF, e.g. for a scheduled briefing.",
    )
    parser.add_argument(
        "--page",
        default=navigation.PAGES[0].url_path,
        help=f"one of {', '.join(spec.url_path for spec in navigation.PAGES)} (default: the first)",
    )
    parser.add_argument(
        "--scope",
        help="district, street or community code (default: the account's area, else the city)",
    )
    parser.add_argument("--as-of", dest="month", help="month YYYY-MM (default: the latest)")
    parser.add_argument("--lang", default="zh", choices=("zh", "en"))
    parser.add_argument("--out", required=True, help="output file ending in .png or .pdf")
    parser.add_argument("--url", help="base URL of a running app (default: start one)")
    parser.add_argument(
        "--account",
        help="draw the view as this account (needed when sign-in is on); no password: the "
        "command runs on the server and signs a one-time token",
    )
    args = parser.parse_args(argv)
    fmt = Path(args.out).suffix.lower().lstrip(".")
    if fmt not in ("png", "pdf"):
        return _error("--out must end in .png or .pdf")
    page = args.page.strip("/")
    if page not in {spec.url_path for spec in navigation.PAGES}:
        return _error(
            f"--page must be one of {', '.join(spec.url_path for spec in navigation.PAGES)}"
        )
    settings = get_settings()
    signing = settings.auth_mode != "none"
    if signing and not args.account:
        return _error(f"sign-in is on (auth_mode {settings.auth_mode}): give --account NAME")
    scope = args.scope
    if args.account:
        from data_access.config import resolve_writer
        from data_access.db import make_engine

        engine = make_engine(resolve_writer().url)
        try:
            principal = account_for_view(engine, args.account, page, scope)
        except SnapshotOutsideArea as exc:
            return _error(f"{translate(args.lang, 'auth.refused')} ({exc})")
        except SnapshotRefused as exc:
            return _error(str(exc))
        finally:
            engine.dispose()
        scope = scope or principal.scope_code
    secret = configured_secret()
    if signing and args.url and secret is None:
        return _error(
            "a running app accepts the token only with the shared DASHBOARD_REPORT_SECRET "
            "(or report_secret in secrets.toml); set it for the app and this command"
        )
    if chromium_path() is None:
        return _error("Chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    params = scope_params(scope, args.month[:7] if args.month else None, args.lang)

    def url_of(base: str) -> str:
        if not signing:
            return view_url(base, page, params)
        assert secret is not None
        signed = signed_params(args.account, page, params, settings.report_token_seconds, secret)
        return view_url(base, page, signed)

    if args.url:
        data = _render_quietly(url_of(args.url), fmt)
    else:
        # The app started here shares a key with this command: the configured one, else a new
        # random one handed to it alone.
        secret = secret or secrets.token_urlsafe(32)
        env = {**os.environ, "DASHBOARD_REPORT_SECRET": secret}
        with running_app(env) as base:
            data = _render_quietly(url_of(base), fmt)
    Path(args.out).write_bytes(data)
    print(f"{args.out}: {len(data):,} bytes")
    return 0


def _render_quietly(url: str, fmt: str) -> bytes:
    """render(url), with a failure's message kept free of the URL when it holds a token."""
    if f"{TOKEN_PARAM}=" not in url:
        return render(url, fmt)
    try:
        return render(url, fmt)
    except Exception as exc:  # playwright's errors quote the URL they navigated to
        raise RuntimeError(f"the {fmt} could not be drawn ({type(exc).__name__})") from None


if __name__ == "__main__":
    sys.exit(main())
