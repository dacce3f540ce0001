"""The rebound test of docs/metrics.md §4, one function for the burden summary's stored flags
(data_access/summaries/burden.py) and for the reductions (data_access/queries/burden.py)."""

from __future__ import annotations

from typing import Any

from data_access.settings import Settings


def rebounds(current: Any, window_min: Any, settings: Settings) -> Any:
    """Current at least rebound_min_pct % and rebound_min_abs above the window's lowest (False
    without a window), element by element."""
    rise = current - window_min
    return (rise >= settings.rebound_min_abs) & (
        rise * 100.0 >= window_min * settings.rebound_min_pct
    )
