"""Staffing figures (docs/metrics.md §3) as the Staffing page lists them."""

from __future__ import annotations

import pandas as pd

from data_access.models import CERTIFICATES


def largest_gap_first(units: pd.DataFrame) -> pd.DataFrame:
    """Rows of queries/staffing.py:staffing_by_unit with the largest gap first, then by code."""
    return units.sort_values(["gap", "code"], ascending=[False, True])


def licensed_by_certificate(certificates: pd.DataFrame) -> dict[str, int]:
    """Workers holding each certificate level (queries/staffing.py:certificate_counts), none left out."""
    workers = certificates.set_index("certificate")["workers"]
    return {level: int(workers.get(level, 0)) for level in CERTIFICATES if level != "none"}
