"""Every private part of Streamlit and pandas the app relies on, in one place.

Each function below touches one attribute that is not part of its library's public API; an
upgrade that removes or changes it breaks here, and tests/test_compat.py says which one. The
data layer's own such uses are in data_access/compat.py (docs/architecture.md, compatibility).
"""

from __future__ import annotations

import threading
from typing import Any

from pandas.io.formats.style import Styler
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx


def in_script_run() -> bool:
    """True in a thread that runs a page for a browser session; False in the server's own threads
    (the cache warm-up), which have no session and so no account to check."""
    return get_script_run_ctx() is not None


def set_styler_cells(styler: Styler, translated: dict[str, Any]) -> None:
    """Makes st.dataframe take the cells' display text from `translated` instead of having the
    Styler write every cell again on each run (docs/formatting.md, tables).

    st.dataframe reads a Styler's text through its private `_translate`; this replaces it."""
    styler._translate = lambda *_args, **_kwargs: translated  # type: ignore[attr-defined]


def take_pages_directory_flag() -> bool:
    """True (once) when Streamlit took the pages/ folder for an old-style multipage app.

    Until some run has called st.navigation, Streamlit runs a deep-linked page file without
    app.py (the first request of a fresh server, and every AppTest run); the flag on its
    PagesManager says so. Reading it clears it, as app.py's st.navigation would."""
    if not PagesManager.uses_pages_directory:
        return False
    PagesManager.uses_pages_directory = False
    return True


def scan_components_once() -> None:
    """Makes every AppTest of this process reuse the first one's look for installed components.

    A new AppTest scans the metadata of every installed package for Streamlit components on its
    first run (about 0.2 s, over ten thousand metadata files parsed); the tests run hundreds of
    AppTests in one process, whose installed packages do not change. The scan is Streamlit's
    `manifest_scanner.scan_component_manifests`, looked up by name at each use."""
    from streamlit.components.v2 import manifest_scanner

    scan = manifest_scanner.scan_component_manifests
    if getattr(scan, "scanned_once", False):
        return
    found: list[Any] = []

    def once(*args: Any, **kwargs: Any) -> list[Any]:
        if not found:
            found.append(scan(*args, **kwargs))
        return list(found[0])

    once.scanned_once = True  # type: ignore[attr-defined]
    manifest_scanner.scan_component_manifests = once


def wait_on_run_end() -> None:
    """Makes every AppTest of this process wait for its run's end event instead of polling.

    AppTest's `local_script_runner.require_widgets_deltas` wakes every millisecond to look
    through the run's events; each wake takes Python's interpreter lock from the script it waits
    for (about 0.05 s of CPU in a 0.5 s run, counted with a sampling profiler), which a server,
    whose main thread sleeps until there is a message to send, never costs. The bench times
    pages, not that loop (docs/benchmarks.md): it waits on ScriptRunner.on_event's SHUTDOWN, the
    event AppTest's loop looks for, then lets AppTest's own check run, which returns at once
    (or raises its timeout as before)."""
    from streamlit.runtime.scriptrunner import ScriptRunnerEvent
    from streamlit.testing.v1 import local_script_runner

    poll = local_script_runner.require_widgets_deltas
    if getattr(poll, "waits_on_run_end", False):
        return

    def wait(runner: Any, timeout: float = 3) -> None:
        ended = threading.Event()

        def seen(_sender: Any, event: Any = None, **_kwargs: Any) -> None:
            if event == ScriptRunnerEvent.SHUTDOWN:
                ended.set()

        runner.on_event.connect(seen, weak=False)
        try:
            if not runner.script_stopped():  # it may have ended before the handler was in
                ended.wait(timeout)
        finally:
            runner.on_event.disconnect(seen)
        poll(runner, timeout)

    wait.waits_on_run_end = True  # type: ignore[attr-defined]
    local_script_runner.require_widgets_deltas = wait
