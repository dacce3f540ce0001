"""The one way to reach the database: an engine per URL and a single statement runner."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.sql import Executable


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """A new engine for url; SQLite files get their folder and enforced foreign keys."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    else:
        kwargs["pool_recycle"] = 1800
    if parsed.get_backend_name() == "mysql" and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    return engine


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """One engine (and so one pool) per URL in this process."""
    return make_engine(url)


def read_frame(
    engine: Engine, statement: Executable, params: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Runs a read statement and returns its rows as a DataFrame with the statement's column names."""
    with engine.connect() as connection:
        result = connection.execute(statement, dict(params or {}))
        # Plain tuples: pandas probes every Row for namedtuple fields, which is slow on large reads.
        frame = pd.DataFrame([tuple(row) for row in result], columns=list(result.keys()))
    return _decimals_to_numbers(frame)


def _decimals_to_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """MySQL returns SUM() as DECIMAL; the dashboard works in ints and floats."""
    for column in frame.columns:
        values = frame[column].dropna()
        if frame[column].dtype == object and len(values) and isinstance(values.iloc[0], Decimal):
            frame[column] = pd.to_numeric(frame[column])
    return frame
