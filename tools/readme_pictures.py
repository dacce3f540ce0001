"""Refreshes the README pictures in docs/: starts the app on a demo database and photographs pages.

Usage: .venv/bin/python tools/readme_pictures.py   (needs Debian's chromium and the dev packages)
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PICTURES = {
    "overview.png": "/?lang=zh",
    "overview_en.png": "/?lang=en&district=990101",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the app did not start at {url}")


def photograph(page, url: str, path: Path) -> None:
    """Loads url, waits for the app to settle and saves the whole main area."""
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(url)
    page.wait_for_selector('[data-testid="stMetric"]', timeout=120_000)
    page.wait_for_load_state("networkidle")
    time.sleep(2)
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    # Streamlit scrolls inside stMain, so the viewport is sized to the content first.
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 40, 8000)})
    time.sleep(1)
    page.screenshot(path=str(path), full_page=True)


def main() -> int:
    chromium = shutil.which("chromium")
    if chromium is None:
        print(
            "chromium is not installed (apt-get install chromium fonts-noto-cjk)", file=sys.stderr
        )
        return 1
    port = free_port()
    with tempfile.TemporaryDirectory() as scratch:
        env = dict(os.environ, DATABASE_URL=f"sqlite:///{scratch}/demo.sqlite3")
        subprocess.run([sys.executable, "-m", "data_access", "demo"], cwd=ROOT, env=env, check=True)
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                page = browser.new_page()
                for name, path in PICTURES.items():
                    photograph(page, base + path, ROOT / "docs" / name)
                    print(f"docs/{name}")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
