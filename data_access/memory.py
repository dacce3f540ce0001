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
from collections.abc import Callable
from functools import cache
from pathlib import Path

RELEASE_AFTER_GROWTH_BYTES = 64 * 1024 * 1024
_released_at = [0]  # the resident size after the last release


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
