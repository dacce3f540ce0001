"""Community-profile figures (docs/metrics.md §8): what is wrong, the hiring pace, the chooser.

The profile's numbers are the other pages' own (queries/profile.py says how); these functions
put them together for the page.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from data_access.queries.profile import Problem, Projection, hiring_projection, problems


def community_row(staffing: pd.DataFrame) -> pd.Series | None:
    """The community's row of staffing_by_unit at community level; None when it has none."""
    return None if staffing.empty else staffing.iloc[0]


def rebound_rise(rebounds: pd.DataFrame) -> dict[str, float]:
    """category → rise in % of the current month over the window's low, for the categories that
    rebound now (queries/burden.py:community_rebounds of one community); 100 when the low is 0."""
    rise = {}
    lows, currents = rebounds["window_min"].astype(float), rebounds["current"].astype(float)
    for category, current, low in zip(rebounds["category"], currents, lows, strict=True):
        rise[str(category)] = (current - low) / low * 100 if low else 100.0
    return rise


def what_is_wrong(
    staffing: pd.DataFrame,
    burden: pd.DataFrame,
    grid_total: pd.Series,
    rebounds: pd.DataFrame,
) -> list[Problem]:
    """queries/profile.py:problems of one community from its staffing_by_unit rows, its
    unit_reductions rows, grid_staffing_total and community_rebounds."""
    return problems(community_row(staffing), burden, grid_total, rebound_rise(rebounds))


def projection(staffing: pd.DataFrame, hires: int, departures: int, as_of: dt.date) -> Projection:
    """When the community's gap closes at the pace of the last 12 months (hiring_projection)."""
    row = community_row(staffing)
    return hiring_projection(None if row is None else row["gap"], hires, departures, as_of)


def farthest_below_first(communities: pd.DataFrame) -> pd.DataFrame:
    """The communities of a scope for the profile's chooser: lowest per 10,000 first (none first)."""
    return communities.sort_values(["per_10k", "code"], na_position="first", ignore_index=True)
