"""Handing memory freed by a large step back to the system (docs/security.md, memory).

glibc's malloc keeps what a step freed for later use by this process, so the resident size of
an import grows with every step that parses a large boundary or file. malloc_trim(0) returns it;
elsewhere than on glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Callable
from functools import cache


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


def release_memory() -> None:
    """Collects unreachable objects and returns the freed memory to the system, where glibc can."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
