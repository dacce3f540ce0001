"""Handing memory freed by a large step back to the system (docs/security.md, memory).

glibc's malloc keeps what a step freed for later use by this process, so the resident size of
an import grows with every step that parses a large boundary or file. malloc_trim(0) returns it;
elsewhere than on glibc this does nothing. A full collection costs about 0.1 s in a process
holding the app, so it runs only after the process grew by `RELEASE_AFTER_GROWTH_BYTES` since the
last release: a small import's steps do not pay it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

RELEASE_AFTER_GROWTH_BYTES = 64 * 1024 * 1024
_released_at = [0]  # the resident size after the last release
_frozen_with_modules = [0]  # len(sys.modules) at the last freeze


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def resident_bytes() -> int | None:
    """The process's resident size (Linux's /proc/self/statm), None where it cannot be read."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * _page_size()


@cache
def _page_size() -> int:
    return os.sysconf("SC_PAGE_SIZE")


def release_memory() -> None:
    """Collects unreachable objects and returns the freed memory to the system, where glibc can,
    when the process grew by RELEASE_AFTER_GROWTH_BYTES since the last release (always where
    its size cannot be read)."""
    now = resident_bytes()
    if now is not None and now < _released_at[0] + RELEASE_AFTER_GROWTH_BYTES:
        return
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    _released_at[0] = resident_bytes() or 0


def freeze_long_lived() -> bool:
    """Takes the objects alive now out of the cyclic collector's sight, when modules were
    imported since the last time; True when it did.

    A process holding the app keeps some 240,000 objects that live as long as it does (the
    modules of Streamlit, pandas, plotly, SQLAlchemy and the app), and each full collection,
    which Python starts on its own now and then, walks them all: 0.12 s in the middle of a page's
    run. Frozen (gc.freeze) they are not walked again. What is garbage now is collected first;
    app.py calls this at the end of each run, so it runs once per process and again after a
    page that imports modules of its own.
    """
    modules = len(sys.modules)
    if modules == _frozen_with_modules[0]:
        return False
    gc.collect()
    gc.freeze()
    _frozen_with_modules[0] = modules
    return True
