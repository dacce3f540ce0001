"""The lookups every page reads besides its figures: the units, the months with data, the imports."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine

from data_access.access import Principal
from data_access.dissolution import ending_of
from data_access.figures.registry import figure
from data_access.queries import hierarchy, imports
from data_access.scope import CODE_LENGTH, Scope


@figure
def units(engine: Engine) -> pd.DataFrame:
    """Every district, street and community: code, name, level, parent_code (queries/hierarchy.py)."""
    return hierarchy.units(engine)


@figure
def data_months(engine: Engine) -> tuple[dt.date | None, dt.date | None]:
    """The first and last month with data (read_path.py:data_months)."""
    return hierarchy.data_months(engine)


@figure
def left_in_dissolved(engine: Engine, scope: Scope) -> pd.DataFrame:
    """The data left in the dissolved communities of the scope (queries/hierarchy.py:
    left_in_dissolved), one row per community and kind, as the Data page lists them: code,
    name, dissolved_on (the day it ends), successor_code (of the unit dissolved: the community
    or its street or district), left_over (the kind), rows and left_keys (the first 10)."""
    return left_over_table(hierarchy.left_in_dissolved(engine, scope), units(engine))


LEFT_KEYS_SHOWN = 10


def left_over_table(left: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """left_in_dissolved's rows per community and kind, with the names and successors of units."""
    columns = ["code", "name", "dissolved_on", "successor_code", "left_over", "rows", "left_keys"]
    rows = []
    for (code, kind), group in left.groupby(["community_code", "kind"], sort=False):
        ending = ending_of(units, str(code))
        keys = group["key"].tolist()
        rows.append(
            {
                "code": code,
                "name": next(iter(units.loc[units["code"] == code, "name"]), code),
                "dissolved_on": group["ends_on"].iloc[0],
                "successor_code": None if ending is None else ending.successor_code,
                "left_over": kind,
                "rows": len(keys),
                "left_keys": "、".join(keys[:LEFT_KEYS_SHOWN]),
            }
        )
    frame = pd.DataFrame(rows, columns=columns)
    successors = frame["successor_code"].astype(object)
    frame["successor_code"] = successors.where(successors.notna(), None)  # None, not NaN
    return frame


def import_history(engine: Engine, limit: int, viewer: Principal) -> pd.DataFrame:
    """The latest `limit` imports the account `viewer` may see, newest first (queries/imports.py,
    access.visible_imports); read anew on every run, so that a check or an import just made is
    listed at once."""
    return imports.import_history(engine, limit, viewer)


def with_places(frame: pd.DataFrame, code_column: str, units: pd.DataFrame) -> pd.DataFrame:
    """The frame with the district and street name of each row's unit in front of it."""
    names = dict(zip(units["code"].tolist(), units["name"].tolist(), strict=True))
    codes = frame[code_column].astype(str)
    placed = frame.copy()
    for level, column in (("street", "street_name"), ("district", "district_name")):
        prefixes = codes.str[: CODE_LENGTH[level]]
        placed.insert(0, column, prefixes.map(lambda code: names.get(code, code)))
    return placed
