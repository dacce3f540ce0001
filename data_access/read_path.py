"""What the summaries kept at write time hold, and the rules that say whether a query may read
them (docs/architecture.md, "Summaries kept at write time" and "The read path").

The writers in data_access/summaries/ store, beside each summary, the settings and the months
it was computed for (a `summary_state` row); the functions here write those rows' params and
read them back. Nothing here writes a summary or imports one of the writers.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, Engine, func, select

from data_access.db import read_frame, read_row
from data_access.models import BurdenRecord, StaffMember, SummaryState
from data_access.scope import Scope, add_months, month_end
from data_access.settings import Settings

# The summary_state rows, by summary.
BURDEN = "burden"
COVERAGE = "coverage"
STAFFING = "staffing"
GRID_STAFFING = "grid_staffing"

CITY = "city"  # the code of burden_summary's rows of the whole city
NEXT_NONE = dt.date(9999, 12, 1)  # next_period of a series' last month: compares after any date
TREND_MONTHS = 60  # the staffing trend's month ends, the as-of date's included (metrics §3)

# staffing_summary's columns: a count per certificate and per age band (docs/metrics.md §3).
CERTIFICATE_COLUMNS = {
    "none": "certificate_none",
    "junior": "certificate_junior",
    "intermediate": "certificate_intermediate",
    "senior": "certificate_senior",
}
AGE_BAND_NAMES = ("under_35", "35_44", "45_54", "55_over", "unknown")


def rebound_params(settings: Settings) -> str:
    """The thresholds the stored rebound flags were computed with, as kept in summary_state."""
    return (
        f"rebound_min_abs={settings.rebound_min_abs!r};rebound_min_pct={settings.rebound_min_pct!r}"
    )


def coverage_params(settings: Settings) -> str:
    """The settings the coverage summaries depend on, as stored beside them."""
    return f"sliver_width_m={settings.sliver_width_m:g};walk_radius_m={settings.walk_radius_m:g}"


def staffing_params(settings: Settings, first: dt.date | None, last: dt.date | None) -> str:
    """The counted roles and the month ends covered, as stored beside the staffing summary."""
    months = f"{first.isoformat()}..{last.isoformat()}" if first and last else "none"
    return f"counted_roles={','.join(sorted(settings.counted_roles))};months={months}"


def staffing_coverage(params: str | None, settings: Settings) -> tuple[dt.date, dt.date] | None:
    """The first and last month end the stored summary holds, when it was computed with
    today's counted roles; None otherwise."""
    if not params:
        return None
    fields = _fields(params)
    if fields.get("counted_roles") != ",".join(sorted(settings.counted_roles)):
        return None
    return _months(fields)


def grid_staffing_params(first: dt.date | None, last: dt.date | None) -> str:
    """The month ends covered, as stored beside the grid staffing summary."""
    return f"months={first.isoformat()}..{last.isoformat()}" if first and last else "months=none"


def grid_staffing_coverage(params: str | None) -> tuple[dt.date, dt.date] | None:
    """The first and last month end the stored grid staffing summary holds; None without one."""
    return _months(_fields(params or ""))


def _fields(params: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in params.split(";") if "=" in part)


def _months(fields: dict[str, str]) -> tuple[dt.date, dt.date] | None:
    first, _, last = fields.get("months", "").partition("..")
    try:
        return dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    except ValueError:
        return None


def data_months(engine: Engine | Connection) -> tuple[dt.date | None, dt.date | None]:
    """The first and last month with burden data, or with staff starting, whichever exists."""
    first, last = read_row(
        engine, select(func.min(BurdenRecord.period), func.max(BurdenRecord.period))
    )
    if first is None:
        first, last = read_row(
            engine, select(func.min(StaffMember.start_date), func.max(StaffMember.start_date))
        )
    if first is None:
        return None, None
    return _as_date(first), _as_date(last)


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def summary_month_ends(connection: Connection) -> list[dt.date]:
    """The month ends the staffing and grid staffing summaries cover: the trend's five years
    before the first month the sidebar offers, to the last (data_months)."""
    first, last = data_months(connection)
    if first is None or last is None:
        return []
    start = add_months(first, -(TREND_MONTHS - 1))
    count = (last.year - start.year) * 12 + last.month - start.month + 1
    return [month_end(add_months(start, k)) for k in range(count)]


# ---------------------------------------------------------------------------------------------
# The read path: summary or raw tables (docs/architecture.md, "The read path")


@dataclass(frozen=True)
class SummaryCoverage:
    """What the summaries of a database hold, as their summary_state rows say; every query asks
    this, never summary_state itself, whether a summary answers its question. The settings a
    summary depends on are compared when asked, so one value serves every settings."""

    staffing_params: str | None = None  # counted roles and month ends (staffing_params)
    grid_staffing_months: tuple[dt.date, dt.date] | None = None
    burden_window: int | None = None  # the rebound window of the stored minima
    burden_params: str | None = None  # the thresholds of the stored flags (rebound_params)
    coverage_params: str | None = None  # sliver width and walk radius (coverage_params)

    @classmethod
    def none(cls) -> SummaryCoverage:
        """No summary: every figure is computed from the raw tables."""
        return cls()

    @classmethod
    def of(cls, states: dict[str, tuple[int | None, str | None]]) -> SummaryCoverage:
        """From the summary_state rows: name → (window_months, params)."""
        burden = states.get(BURDEN)
        return cls(
            staffing_params=states.get(STAFFING, (None, None))[1],
            grid_staffing_months=grid_staffing_coverage(states.get(GRID_STAFFING, (None, None))[1]),
            burden_window=None if burden is None or burden[0] is None else int(burden[0]),
            burden_params=None if burden is None else burden[1],
            coverage_params=states.get(COVERAGE, (None, None))[1],
        )

    def staffing_months(self, settings: Settings) -> tuple[dt.date, dt.date] | None:
        """The first and last month end the staffing summary holds for today's counted roles."""
        return staffing_coverage(self.staffing_params, settings)

    def reads_staffing(self, scope: Scope, settings: Settings, months: int = 1) -> bool:
        """True when the staffing summary holds the as-of date (a month end) and the `months`
        month ends up to it, counted with today's roles."""
        if scope.as_of != month_end(scope.as_of):
            return False
        covered = self.staffing_months(settings)
        earliest = month_end(add_months(scope.as_of, -(months - 1)))
        return covered is not None and covered[0] <= earliest and scope.as_of <= covered[1]

    def reads_grid_staffing(self, scope: Scope) -> bool:
        """True when the grid staffing summary holds the as-of date, a month end."""
        if scope.as_of != month_end(scope.as_of):
            return False
        covered = self.grid_staffing_months
        return covered is not None and covered[0] <= scope.as_of <= covered[1]

    def reads_burden_series(self) -> bool:
        """True when the burden summary was filled: its values are the series, whatever the
        rebound settings."""
        return self.burden_window is not None

    def reads_burden_window(self, settings: Settings) -> bool:
        """True when the burden summary's window minima were computed with today's window."""
        return (
            self.burden_window is not None and self.burden_window == settings.rebound_window_months
        )

    def reads_burden_flags(self, settings: Settings) -> bool:
        """True when, besides the window, the stored rebound flags use today's thresholds."""
        return self.reads_burden_window(settings) and self.burden_params == rebound_params(settings)

    def reads_coverage(self, settings: Settings) -> bool:
        """True when the coverage summaries were computed with today's sliver width and radius."""
        return self.coverage_params is not None and self.coverage_params == coverage_params(
            settings
        )


RAW = SummaryCoverage.none()

_known: dict[str, SummaryCoverage] = {}  # database URL → what its summaries hold
_known_lock = threading.Lock()
_forced: ContextVar[SummaryCoverage | None] = ContextVar("forced_read_path", default=None)


def summary_coverage(engine: Engine | Connection) -> SummaryCoverage:
    """What the database's summaries hold: one SELECT of summary_state per database and data
    version in this process (forget() starts again); RAW inside `reading_raw()`."""
    forced = _forced.get()
    if forced is not None:
        return forced
    url = engine.engine.url.render_as_string(hide_password=True)
    with _known_lock:
        known = _known.get(url)
    if known is not None:
        return known
    rows = read_frame(
        engine, select(SummaryState.name, SummaryState.window_months, SummaryState.params)
    )
    found = SummaryCoverage.of(
        {
            str(name): (
                None if pd.isna(window) else int(window),
                params if isinstance(params, str) else None,
            )
            for name, window, params in rows.itertuples(index=False)
        }
    )
    if isinstance(engine, Connection) and engine.in_transaction():
        return found  # maybe this transaction's own, uncommitted writes: not for everyone
    with _known_lock:
        _known[url] = found
    return found


def forget() -> None:
    """Reads the summary states of every database again on next use: the writers call this when
    they change the data or a summary, the app when another process did (dashboard/cached.py)."""
    with _known_lock:
        _known.clear()


@contextmanager
def reading(coverage: SummaryCoverage) -> Iterator[None]:
    """Inside it, every query of this thread (and context) reads as `coverage` says, whatever
    the database's summary_state holds."""
    token = _forced.set(coverage)
    try:
        yield
    finally:
        _forced.reset(token)


def reading_raw() -> AbstractContextManager[None]:
    """Inside it, every query computes from the raw tables: the reference the tests hold the
    summaries equal to, and the fallback when a summary does not fit."""
    return reading(RAW)
