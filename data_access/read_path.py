"""What the summaries kept at write time hold, and the rules that say whether a query may read
them (docs/architecture.md, "Summaries kept at write time" and "The read path").

The writers in data_access/summaries/ store, beside each summary, the settings and the months
it was computed for (a `summary_state` row); the functions here write those rows' params and
read them back. Nothing here writes a summary or imports one of the writers.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, Engine, func, select

from data_access.db import read_row
from data_access.models import BurdenRecord, StaffMember
from data_access.scope import add_months, month_end
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
