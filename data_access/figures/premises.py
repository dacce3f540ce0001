"""Service premises figures (docs/metrics.md §9): one function each, as the Overview, the Grid
map, the profile, the briefing, the wall screen and `export premises` show them."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from data_access.figures.lookups import units as all_units
from data_access.figures.lookups import with_places
from data_access.figures.registry import figure
from data_access.queries import premises as queries
from data_access.scope import Scope
from data_access.settings import Settings

# The columns of `export premises` and of the page tables (docs/metrics.md §7, §9).
EXPORT_COLUMNS = [
    "code", "name", "communities", "households", "premises_m2", "per_100_households",
    "required_m2", "shortfall_m2", "communities_meeting", "communities_without", "elderly_m2",
    "elderly_per_100_households", "facilities_without_area",
]  # fmt: skip
ALERT_COLUMNS = [
    "code", "name", "households", "premises_m2", "per_100_households", "required_m2",
    "shortfall_m2", "reason",
]  # fmt: skip


def alert_rows(communities: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The communities the standard applies to that have no counted premises at all (reason
    `none`), or whose premises per 100 households are below premises_alert_ratio × the standard
    (reason `below`); fewest premises per 100 households first, those without any first of all.

    communities: queries/premises.py:community_premises."""
    threshold = settings.premises_alert_ratio * settings.premises_standard_m2_per_100_households
    applies = communities["applies"] == 1
    without = applies & (communities["counted_facilities"] == 0)
    per_100 = pd.to_numeric(communities["per_100_households"]).astype("Float64")
    below = applies & (communities["assessed"] == 1) & (per_100 < threshold).fillna(False)
    shortfall = pd.to_numeric(communities["required_m2"]) - pd.to_numeric(
        communities["premises_m2"]
    )
    table = pd.DataFrame(
        {
            "code": communities["community_code"],
            "name": communities["name"],
            "households": communities["households"],
            "premises_m2": pd.to_numeric(communities["premises_m2"]).astype("Float64"),
            "per_100_households": per_100,
            "required_m2": pd.to_numeric(communities["required_m2"]).astype("Float64"),
            "shortfall_m2": shortfall.clip(lower=0).astype("Float64"),
            "reason": without.map({True: "none", False: "below"}),
        }
    )[without | below]
    order = table.assign(first=table["reason"] != "none")
    order = order.sort_values(["first", "per_100_households", "code"], na_position="first")
    return order[ALERT_COLUMNS].reset_index(drop=True)


def premises_status(total: pd.Series) -> str:
    """What one community's premises_total says, in one word: `village` (the standard does not
    apply), `no_households`, `unknown` (a counted facility without a floor area), `none` (no
    counted facility), `meets` or `short`."""
    if not total["communities_applying"]:
        return "village"
    if not total["communities_assessed"]:
        return "unknown" if total["facilities_without_area"] else "no_households"
    if total["communities_without"]:
        return "none"
    return "meets" if total["communities_meeting"] else "short"


def largest_shortfall_first(units: pd.DataFrame) -> pd.DataFrame:
    """Rows of premises_by_unit with the largest shortfall first, then by code."""
    return units.sort_values(["shortfall_m2", "code"], ascending=[False, True], ignore_index=True)


def _named(frame: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    names = dict(zip(units["code"].tolist(), units["name"].tolist(), strict=True))
    named = frame.copy()
    named["community_name"] = named["community_code"].map(lambda code: names.get(code, code))
    return with_places(named, "community_code", units)


@figure
def premises_by_unit(
    engine: Engine, scope: Scope, settings: Settings, level: str | None = None
) -> pd.DataFrame:
    """Premises per unit at `level` (default: the scope's children): the page tables, the map
    and `export premises` alike."""
    return queries.premises_by_unit(engine, scope, settings, level)


@figure
def premises_total(engine: Engine, scope: Scope, settings: Settings) -> pd.Series:
    """The scope's premises as one row: the Overview's card, the briefing, the profile sentence."""
    return queries.premises_total(engine, scope, settings)


@figure
def premises_by_shortfall(
    engine: Engine, scope: Scope, settings: Settings, level: str | None = None
) -> pd.DataFrame:
    """The units at `level` (default: the scope's children), largest shortfall first (the ranking
    of streets by shortfall)."""
    return largest_shortfall_first(premises_by_unit(engine, scope, settings, level))


@figure
def premises_alerts(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """alert_rows of the scope's communities, with their district and street."""
    rows = alert_rows(queries.community_premises(engine, scope, settings), settings)
    return with_places(rows, "code", all_units(engine))


@figure
def unknown_area_facilities(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """The facilities of the counted kinds and of elderly care without a floor area, named, with
    their community, street and district."""
    found = queries.facilities_without_area(engine, scope, settings)
    return _named(found, all_units(engine))
