"""The audit trail of imports (import_batch)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select

from data_access.access import Principal, visible_imports
from data_access.db import read_frame, read_row
from data_access.models import ImportBatch


def import_history(
    engine: Engine, limit: int = 200, viewer: Principal | None = None
) -> pd.DataFrame:
    """The latest import attempts, newest first: one row per file, accepted or refused; those
    the account `viewer` may see (access.visible_imports), all for None (the command line)."""
    statement = (
        select(
            ImportBatch.id,
            ImportBatch.imported_at,
            ImportBatch.kind,
            ImportBatch.file_name,
            ImportBatch.rows,
            ImportBatch.status,
            ImportBatch.message,
            ImportBatch.sha256,
            ImportBatch.account,
        )
        .order_by(ImportBatch.id.desc())
        .limit(limit)
    )
    condition = visible_imports(viewer) if viewer is not None else None
    if condition is not None:
        statement = statement.where(condition)
    return read_frame(engine, statement)


def data_version(engine: Engine) -> int:
    """The id of the latest accepted import (0 for none): it changes whenever the data do."""
    statement = select(func.coalesce(func.max(ImportBatch.id), 0)).where(
        ImportBatch.status == "accepted"
    )
    (version,) = read_row(engine, statement)
    return int(version)
