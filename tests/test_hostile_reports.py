"""Reports under control (issue 11): a queue of at most N renders, a browser that asks nothing
but the app, a deadline, and the ready marker on every path (st.stop() included)."""

from __future__ import annotations

import http.server
import os
import threading
import time
from collections.abc import Iterator
from typing import ClassVar

import pytest

from dashboard.render_queue import RenderQueue, RenderTimeout
from dashboard.snapshot import chromium_path, render, running_app
from data_access.db import make_engine
from data_access.schema import upgrade


def test_at_most_n_renders_run_and_the_others_wait_in_order():
    queue = RenderQueue(2)
    release = threading.Event()
    started: list[int] = []

    def one(number: int) -> None:
        with queue.slot(time.monotonic() + 10):
            started.append(number)
            release.wait(10)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
        time.sleep(0.1)
    assert queue.status() == (2, 2) and started == [0, 1]
    # A fifth cannot get a place before its deadline.
    with pytest.raises(RenderTimeout), queue.slot(time.monotonic() + 0.3):
        pass
    release.set()
    for thread in threads:
        thread.join()
    assert sorted(started) == [0, 1, 2, 3] and queue.status() == (0, 0)


class _Counting(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []
    body = b""

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(type(self).body)

    def log_message(self, *args: object) -> None:
        pass


def _serve(handler: type) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture
def browser_present() -> None:
    if chromium_path() is None:
        pytest.skip("no Chromium on this machine")


def test_the_report_browser_asks_nothing_but_the_app(browser_present):
    class Outside(_Counting):
        hits: ClassVar[list[str]] = []

    class App(_Counting):
        hits: ClassVar[list[str]] = []

    outside_server = _serve(Outside)
    outside = next(outside_server)
    App.body = (
        f'<html><body><div data-testid="stMain"><img src="{outside}/x.png">'
        f'<link rel="stylesheet" href="{outside}/c.css"><script src="{outside}/s.js"></script>'
        '<div class="st-key-page_ready"><div class="page-drawn">ready</div></div></div></body></html>'
    ).encode()
    app_server = _serve(App)
    app = next(app_server)
    try:
        png = render(f"{app}/overview", "png", timeout_s=60)
        assert png.startswith(b"\x89PNG")
        assert App.hits and Outside.hits == []
    finally:
        for server in (app_server, outside_server):
            next(server, None)


@pytest.mark.full
def test_a_page_that_never_gets_ready_ends_at_the_deadline(browser_present):
    class Never(_Counting):
        hits: ClassVar[list[str]] = []
        body = b"<html><body>no marker here</body></html>"

    server = _serve(Never)
    base = next(server)
    try:
        started = time.monotonic()
        with pytest.raises(RenderTimeout):
            render(f"{base}/overview", "png", timeout_s=6)
        assert time.monotonic() - started < 20
    finally:
        next(server, None)


@pytest.mark.full
def test_a_page_that_stops_early_still_renders(browser_present, tmp_path):
    """An empty database: every page stops after its notice (st.stop()); the report still comes."""
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    with running_app(dict(os.environ, DATABASE_URL=url)) as base:
        started = time.monotonic()
        png = render(f"{base}/?lang=zh", "png", timeout_s=90)
        assert png.startswith(b"\x89PNG") and time.monotonic() - started < 60
