"""How the summaries kept at write time are written (docs/architecture.md, "Summaries kept at
write time"): rows of a DataFrame inserted in batches, the summary_state row beside a summary,
the districts a refresh walks. data_access/summaries/ and data_access/outlines.py write through
these; this module imports neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Connection, Integer, insert, select, update

from data_access import read_path
from data_access.db import bulk_insert
from data_access.models import Base, District, SummaryState
from data_access.scope import CODE_LENGTH, Scope

BATCH = 5_000  # rows per INSERT


def insert_frame(connection: Connection, table: type[Base], frame: pd.DataFrame) -> int:
    """Inserts the frame's rows (its columns named as the table's) in batches; rows written."""
    columns = table.__table__.columns
    names = [column.name for column in columns]
    for start in range(0, len(frame), BATCH):
        # A batch at a time, column by column into plain Python values (None for missing), then
        # one dict per row: several times quicker than DataFrame.to_dict, and never the dicts of
        # a million rows at once (docs/security.md).
        batch = frame.iloc[start : start + BATCH]
        values = [
            _python_values(batch[column.name], isinstance(column.type, Integer | BigInteger))
            for column in columns
        ]
        records = [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]
        bulk_insert(connection, Base.metadata.tables[table.__tablename__], records)
    return len(frame)


def _python_values(series: pd.Series, integer: bool) -> list[Any]:
    if integer and isinstance(series.dtype, np.dtype) and series.dtype.kind in "iu":
        return series.tolist()  # numpy integers: never missing
    values = series.astype(object).where(series.notna(), None).tolist()
    if integer:  # counts read as floats beside NaN
        return [None if v is None else int(v) for v in values]
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def set_state(connection: Connection, name: str, values: dict[str, object]) -> None:
    """Writes the summary_state row of a summary (what it was computed with, what it covers),
    and makes this process read the summary states again (read_path.forget); the writers call
    forget() once more after their commit."""
    done = connection.execute(
        update(SummaryState).where(SummaryState.name == name).values(**values)
    )
    if not done.rowcount:
        connection.execute(insert(SummaryState).values(name=name, **values))
    read_path.forget()


def stored_params(connection: Connection, name: str) -> str | None:
    """The params of a summary's summary_state row, None without one."""
    return connection.execute(
        select(SummaryState.params).where(SummaryState.name == name)
    ).scalar_one_or_none()


def all_districts(connection: Connection) -> list[str]:
    """Every district's code, in order."""
    return sorted(set(connection.execute(select(District.code)).scalars()))


def whole_district(district: str) -> Scope:
    """The scope of a whole district, every date included."""
    return Scope(district, dt.date.max)


def affected_districts(community_codes: Iterable[str]) -> set[str]:
    """The districts whose summaries rows of these communities change."""
    return {code[: CODE_LENGTH["district"]] for code in community_codes if code}
