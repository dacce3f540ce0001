"""Constants, dates and the summary shared by every phase of the demo city."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

DEMO_CITY_NAME = "示范市"
DEMO_FIRST_MONTH = dt.date(2019, 1, 1)
DEMO_LAST_MONTH = dt.date(2026, 10, 1)
# No real 统计用区划代码 starts with 99, so the demo codes never collide with a real place.
CODE_PREFIX = "9901"
CENTRE_LON, CENTRE_LAT = 114.30, 30.60
EARTH_RADIUS_KM = 6371.0088
CHUNK_ROWS = 20_000
MAX_CHILDREN = 999  # three code digits per level


def month_index(month: str | dt.date) -> int:
    """Months since DEMO_FIRST_MONTH of a date or a "YYYY-MM" string."""
    if isinstance(month, str):
        year, mon = map(int, month.split("-"))
    else:
        year, mon = month.year, month.month
    return (year - DEMO_FIRST_MONTH.year) * 12 + mon - DEMO_FIRST_MONTH.month


YEARS = tuple(range(DEMO_FIRST_MONTH.year, DEMO_LAST_MONTH.year + 1))
MONTHS = month_index(DEMO_LAST_MONTH) + 1
PERIODS = tuple(
    dt.date(
        DEMO_FIRST_MONTH.year + (m + DEMO_FIRST_MONTH.month - 1) // 12,
        (m + DEMO_FIRST_MONTH.month - 1) % 12 + 1,
        1,
    )
    for m in range(MONTHS)
)
EPOCH = dt.date(1970, 1, 1)
NEVER = np.iinfo(np.int64).max

KM_PER_DEG_LAT = EARTH_RADIUS_KM * math.pi / 180
KM_PER_DEG_LON = KM_PER_DEG_LAT * math.cos(math.radians(CENTRE_LAT))

DATA_TABLES = (
    "district",
    "street",
    "community",
    "community_population",
    "grid",
    "staff_member",
    "facility",
    "burden_record",
    "work_item",
    "admission_application",
    "item_found",
)

# Share of the whole build each phase covers on the progress bar (burden rows dominate).
PHASE_SPANS = {
    "geometry": (0.0, 0.12),
    "population": (0.12, 0.14),
    "grids": (0.14, 0.24),
    "staff": (0.24, 0.31),
    "facilities": (0.31, 0.34),
    "burden": (0.34, 0.98),
    "admission": (0.98, 0.99),
    "done": (1.0, 1.0),
}

ProgressFn = Callable[[float, str], None]
WeightFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class DemoSummary:
    """What build_demo wrote: rows per table and the seconds it took."""

    districts: int
    streets: int
    communities: int
    grids: int
    staff: int
    facilities: int
    burden_records: int
    seconds: float


def epoch_day(value: dt.date) -> int:
    return (value - EPOCH).days


def epoch_dates(days: np.ndarray) -> list[dt.date]:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype(object).tolist()


def month_start(days: np.ndarray) -> np.ndarray:
    return (
        days.astype("datetime64[D]")
        .astype("datetime64[M]")
        .astype("datetime64[D]")
        .astype(np.int64)
    )


def next_month_start(days: np.ndarray) -> np.ndarray:
    months = days.astype("datetime64[D]").astype("datetime64[M]") + 1
    return months.astype("datetime64[D]").astype(np.int64)


def year_of(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def year_start(years: np.ndarray) -> np.ndarray:
    return (years - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)


FIRST_DAY = epoch_day(DEMO_FIRST_MONTH)
LAST_DAY = epoch_day(DEMO_LAST_MONTH)
HISTORY_START = epoch_day(dt.date(2006, 1, 1))
