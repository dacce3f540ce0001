"""Every part of SQLAlchemy the data layer replaces at run time, in one place.

An upgrade that changes it breaks here, and tests/test_compat.py says which one. The app's own
uses of Streamlit's and pandas' private parts are in dashboard/compat.py (docs/architecture.md,
compatibility).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Dialect

Ping = Callable[[Any], bool]


def wrap_ping(dialect: Dialect, wrapper: Callable[[Ping], Ping]) -> None:
    """Makes the pool's pre-ping go through wrapper(original ping).

    SQLAlchemy's pre-ping calls `dialect.do_ping(dbapi_connection)` on every checkout; the
    watchdog (data_access/watchdog.py) wraps it so that a ping to a hung server is cancelled."""
    original = dialect.do_ping
    # Replacing the dialect's own method is the point here; mypy flags any method assignment.
    dialect.do_ping = wrapper(original)  # type: ignore[method-assign, assignment]
