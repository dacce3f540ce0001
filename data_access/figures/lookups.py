"""The lookups every page reads besides its figures: the units, the months with data, the imports."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine

from data_access.access import Principal
from data_access.figures.registry import figure
from data_access.queries import hierarchy, imports
from data_access.scope import CODE_LENGTH


@figure
def units(engine: Engine) -> pd.DataFrame:
    """Every district, street and community: code, name, level, parent_code (queries/hierarchy.py)."""
    return hierarchy.units(engine)


@figure
def data_months(engine: Engine) -> tuple[dt.date | None, dt.date | None]:
    """The first and last month with data (read_path.py:data_months)."""
    return hierarchy.data_months(engine)


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
