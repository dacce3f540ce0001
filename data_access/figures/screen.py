"""Wall screen figures (docs/operations.md, the wall screen): the open alerts of the scope counted
by the street (or, inside a street, the community) they lie in, from the same alert figures as
the Overview and the briefing."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from data_access.figures import burden, grids, premises, staffing
from data_access.figures.lookups import units as all_units
from data_access.figures.registry import figure
from data_access.scope import CODE_LENGTH, Scope
from data_access.settings import Settings

# far_below: communities far below the standard; rebound: communities with a burden rebound in
# any category (counted once); unstaffed: grids without a grid worker; premises: communities
# without or far below the service premises standard.
ALERT_KINDS = ("far_below", "rebound", "unstaffed", "premises")
STREETS_SHOWN = 10


def group_level(scope: Scope) -> str:
    """Streets above street scope; a street's (or a community's) own communities inside it."""
    return "street" if scope.level in ("city", "district") else "community"


def alerts_by_place(
    codes: dict[str, pd.Series], units: pd.DataFrame, level: str, limit: int = STREETS_SHOWN
) -> pd.DataFrame:
    """The `limit` places at `level` with the most open alerts, most first (then by code).

    codes: kind → the codes of its alerts (a community or grid code each, one per alert);
    units: code, name of the units. Returns code, name, district_name, one count per kind of
    ALERT_KINDS, and total.
    """
    length = CODE_LENGTH[level]
    counts = pd.DataFrame(
        {
            kind: codes.get(kind, pd.Series(dtype=str)).astype(str).str[:length].value_counts()
            for kind in ALERT_KINDS
        }
    )
    counts = counts.fillna(0).astype(int)
    counts.index.name = "code"
    counts = counts.reset_index()
    counts["total"] = counts[list(ALERT_KINDS)].sum(axis=1)
    names = dict(zip(units["code"].tolist(), units["name"].tolist(), strict=True))
    counts["name"] = counts["code"].map(lambda code: names.get(code, code))
    counts["district_name"] = counts["code"].map(
        lambda code: names.get(code[: CODE_LENGTH["district"]], "")
    )
    ranked = counts.sort_values(["total", "code"], ascending=[False, True], ignore_index=True)
    columns = ["code", "name", "district_name", *ALERT_KINDS, "total"]
    return ranked[columns].head(limit)


def alert_codes(engine: Engine, scope: Scope, settings: Settings) -> dict[str, pd.Series]:
    """kind → the codes of the scope's open alerts of that kind (a community counted once)."""
    rebounds = burden.community_rebounds(engine, scope, settings)
    return {
        "far_below": staffing.communities_far_below(engine, scope, settings)["code"],
        "rebound": pd.Series(rebounds["community_code"].unique(), dtype=str),
        "unstaffed": grids.unstaffed_grids(engine, scope)["code"],
        "premises": premises.premises_alerts(engine, scope, settings)["code"],
    }


@figure
def alert_totals(engine: Engine, scope: Scope, settings: Settings) -> dict[str, int]:
    """kind → the number of the scope's open alerts of that kind."""
    return {kind: len(codes) for kind, codes in alert_codes(engine, scope, settings).items()}


@figure
def alerts_by_street(engine: Engine, scope: Scope, settings: Settings) -> pd.DataFrame:
    """alerts_by_place of the scope's open alerts, by street (inside a street: by community)."""
    codes = alert_codes(engine, scope, settings)
    return alerts_by_place(codes, all_units(engine), group_level(scope))
