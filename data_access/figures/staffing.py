"""Staffing figures (docs/metrics.md §3): one function each, as every page, export and report shows them."""

from __future__ import annotations

import pandas as pd
from pandas.api.typing import NAType
from sqlalchemy import Engine

from data_access.figures.registry import figure
from data_access.models import CERTIFICATES
from data_access.queries import staffing as queries
from data_access.scope import Scope
from data_access.settings import Settings

# The columns of staffing_by_unit that split a unit into its urban communities and villages
# (docs/metrics.md §3): shown beside the other figures wherever a unit holds villages.
VILLAGE_COLUMNS = [
    "urban_communities",
    "villages",
    "urban_population",
    "urban_counted_workers",
    "per_10k_all",
]


def has_villages(frame: pd.DataFrame | pd.Series) -> bool:
    """Whether staffing rows (or a staffing_total) hold any village."""
    villages = frame["villages"]
    if isinstance(villages, pd.Series):
        return bool(pd.to_numeric(villages).fillna(0).sum() > 0)
    return not pd.isna(villages) and int(villages) > 0


def community_kind(units: pd.DataFrame) -> pd.Series:
    """urban or village, for staffing_by_unit rows at community level."""
    return pd.Series(
        ["village" if v > 0 else "urban" for v in pd.to_numeric(units["villages"]).fillna(0)],
        index=units.index,
        dtype=object,
    )


def filled_share(required: float | NAType | None, gap: float) -> float | None:
    """The share of the required posts that are filled, 1 - gap / required (docs/metrics.md §3);
    None without a required headcount."""
    if required is None or pd.isna(required) or not required:
        return None
    return 1 - float(gap) / float(required)


def _with_filled_share(frame: pd.DataFrame) -> pd.DataFrame:
    shares = [filled_share(r, g) for r, g in zip(frame["required"], frame["gap"], strict=True)]
    return frame.assign(filled_share=pd.Series(shares, index=frame.index, dtype="Float64"))


@figure
def staffing_total(engine: Engine, scope: Scope, settings: Settings) -> pd.Series:
    """The scope's staffing as one row (queries/staffing.py:staffing_total) with its filled_share."""
    total = queries.staffing_total(engine, scope, settings).copy()
    total["filled_share"] = filled_share(total["required"], total["gap"])
    return total


@figure
def staffing_by_unit(
    engine: Engine, scope: Scope, settings: Settings, level: str | None = None
) -> pd.DataFrame:
    """Staffing per unit at `level` (default: the scope's children) with each unit's filled_share;
    the page tables and `export staffing` alike."""
    found = queries.staffing_by_unit(engine, scope, settings, level=level)
    return _with_filled_share(found)


def largest_gap_first(units: pd.DataFrame) -> pd.DataFrame:
    """Rows of staffing_by_unit with the largest gap first, then by code."""
    return units.sort_values(["gap", "code"], ascending=[False, True])


@figure
def staffing_by_gap(engine: Engine, scope: Scope, settings: Settings, level: str) -> pd.DataFrame:
    """The units at `level` in the scope, largest gap first (the Staffing page's chart and table)."""
    level_asked = None if level == scope.breakdown_level else level
    return largest_gap_first(staffing_by_unit(engine, scope, settings, level_asked))


@figure
def communities_far_below(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    return queries.communities_far_below(engine, scope, settings)


@figure
def certificate_counts(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    return queries.certificate_counts(engine, scope, settings)


def licensed_by_certificate(certificates: pd.DataFrame) -> dict[str, int]:
    """Workers holding each certificate level (certificate_counts), none left out."""
    workers = certificates.set_index("certificate")["workers"]
    return {level: int(workers.get(level, 0)) for level in CERTIFICATES if level != "none"}


@figure
def licensed_counts(engine: Engine, scope: Scope, settings: Settings) -> dict[str, int]:
    """licensed_by_certificate of the scope's counted workers."""
    return licensed_by_certificate(certificate_counts(engine, scope, settings))


@figure
def age_structure(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    return queries.age_structure(engine, scope, settings)


@figure
def uncertified_under_40(engine: Engine, scope: Scope, settings: Settings) -> int:
    return queries.uncertified_under_40(engine, scope, settings)


@figure
def staffing_trend(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    return queries.monthly_trend(engine, scope, settings)


@figure
def population_by_year(engine: Engine, scope: Scope) -> pd.DataFrame:
    """The scope's residents and households at each year's end (the Staffing page's chart)."""
    return queries.population_by_year(engine, scope)
