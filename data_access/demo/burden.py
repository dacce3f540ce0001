"""Phase 6: burden records, month by month: falling at policy dates in steps, gradually or
stalling after the first, with recent rebounds in a few communities of every district, in one
whole street and in most of one district."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from data_access.demo.common import MONTHS, PERIODS, month_index
from data_access.demo.places import CityPlan
from data_access.models import BURDEN_CATEGORIES


@dataclass(frozen=True)
class BurdenProfile:
    """How one category starts in 2019 and falls at policy dates (seed figures of docs/metrics.md §4)."""

    baseline: tuple[float, float]
    end_ratio: tuple[float, float]
    steps: tuple[tuple[str, float], ...]  # policy month, share of the whole fall
    monthly_flow: bool  # counts of events that vary month to month, not standing lists
    # Chances that a community's series falls in steps, gradually, or stalls after the first.
    shapes: tuple[float, float, float] = (0.5, 0.3, 0.2)


BURDEN_PROFILES = {
    "work_items": BurdenProfile(
        baseline=(145, 185),
        end_ratio=(0.28, 0.42),
        steps=(("2019-11", 0.6), ("2022-01", 0.25), ("2024-06", 0.15)),
        monthly_flow=False,
        shapes=(0.6, 0.3, 0.1),
    ),
    "certificates": BurdenProfile(
        baseline=(24, 32),
        end_ratio=(0.03, 0.15),
        steps=(("2020-12", 0.7), ("2022-01", 0.15), ("2024-06", 0.15)),
        monthly_flow=False,
        shapes=(0.8, 0.1, 0.1),
    ),
    "forms": BurdenProfile(
        baseline=(160, 200),
        end_ratio=(0.12, 0.28),
        steps=(("2020-07", 0.65), ("2022-01", 0.15), ("2024-06", 0.2)),
        monthly_flow=False,
        shapes=(0.5, 0.35, 0.15),
    ),
    "signboards": BurdenProfile(
        baseline=(10, 17),
        end_ratio=(0.2, 0.35),
        steps=(("2019-11", 0.3), ("2020-12", 0.4), ("2024-06", 0.3)),
        monthly_flow=False,
        shapes=(0.4, 0.3, 0.3),
    ),
    "mechanisms": BurdenProfile(
        baseline=(12, 18),
        end_ratio=(0.25, 0.4),
        steps=(("2020-07", 0.4), ("2022-01", 0.3), ("2024-06", 0.3)),
        monthly_flow=False,
        shapes=(0.3, 0.4, 0.3),
    ),
    "meetings": BurdenProfile(
        baseline=(10, 15),
        end_ratio=(0.35, 0.5),
        steps=(("2019-11", 0.4), ("2022-01", 0.3), ("2024-06", 0.3)),
        monthly_flow=True,
        shapes=(0.2, 0.6, 0.2),
    ),
    "inspections": BurdenProfile(
        baseline=(2, 3.4),
        end_ratio=(0.3, 0.5),
        steps=(("2020-07", 0.5), ("2022-01", 0.2), ("2024-06", 0.3)),
        monthly_flow=True,
        shapes=(0.3, 0.5, 0.2),
    ),
    "ledgers": BurdenProfile(
        baseline=(190, 250),
        end_ratio=(0.25, 0.35),
        steps=(("2020-12", 0.5), ("2022-01", 0.2), ("2024-06", 0.3)),
        monthly_flow=False,
        shapes=(0.3, 0.5, 0.2),
    ),
    "apps": BurdenProfile(
        baseline=(10, 12.5),
        end_ratio=(0.28, 0.45),
        steps=(("2022-01", 0.6), ("2024-06", 0.4)),
        monthly_flow=False,
        shapes=(0.5, 0.2, 0.3),
    ),
    "creation_tasks": BurdenProfile(
        baseline=(5, 8.5),
        end_ratio=(0.25, 0.4),
        steps=(("2019-11", 0.4), ("2022-01", 0.3), ("2024-06", 0.3)),
        monthly_flow=True,
        shapes=(0.3, 0.4, 0.3),
    ),
}
SINGLE_REBOUND_CATEGORIES = (
    "meetings",
    "inspections",
    "ledgers",
    "apps",
    "creation_tasks",
    "certificates",
    "signboards",
    "work_items",
)
REBOUND_DISTRICT_FROM = dt.date(2026, 1, 1)
STREET_REBOUND_CATEGORY = "ledgers"
STREET_REBOUND_MONTHS = 3
GAP_FREE_RECENT_MONTHS = 3  # the latest months are complete, so "current" is whole
MISSING_SHARE = 0.01


def _burden_levels(profile: BurdenProfile, plan: CityPlan, rng: np.random.Generator) -> np.ndarray:
    """Non-increasing integer levels (communities, months) that fall in ramps after each policy."""
    n, districts = len(plan.community_codes), len(plan.district_codes)
    district = plan.community_district
    village = plan.community_kind == "village"
    base = rng.uniform(*profile.baseline, n) * np.where(village, 0.8, 1.0)
    ratio = rng.uniform(*profile.end_ratio, n) * rng.uniform(0.85, 1.2, districts)[district]
    ratio = np.clip(ratio, 0.02, 0.95)
    months = np.arange(MONTHS)[None, :]
    stepped = np.zeros((n, MONTHS))
    stalled = np.zeros((n, MONTHS))
    begins = []
    for index, (month, share) in enumerate(profile.steps):
        delay = rng.integers(0, 3, districts)[district]  # districts act a little later
        ramp = rng.integers(1, 4, n)
        begin = month_index(month) + delay
        begins.append(begin)
        step = share * np.clip((months - begin[:, None] + 1) / ramp[:, None], 0.0, 1.0)
        stepped += step
        if index == 0:  # a stalled series keeps only the first step, and a little of the rest
            stalled += step
        else:
            stalled += 0.15 * step
    # A gradual series falls evenly from the first policy to half a year after the last.
    start, end = begins[0], begins[-1] + 6
    gradual = np.clip((months - start[:, None] + 1) / (end - start + 1)[:, None], 0.0, 1.0)
    shape = rng.choice(3, size=n, p=profile.shapes)[:, None]
    fallen = np.choose(shape, [stepped, gradual, stalled])
    return np.rint(base[:, None] * (1.0 - (1.0 - ratio[:, None]) * fallen))


def _noise(levels: np.ndarray, flow: bool, rng: np.random.Generator) -> np.ndarray:
    """Upward noise under 10 % of the level, so a falling series never looks like a rebound."""
    allowed = np.maximum((levels.astype(np.int64) - 1) // 10, 0)
    noise = np.floor(rng.random(levels.shape) * (allowed + 1))
    if not flow:
        noise = np.where(rng.random(levels.shape) < 0.12, noise, 0)
    return noise


def _creep(level: np.ndarray, months: int, extra: float) -> np.ndarray:
    """Adds a rise reaching extra over the last months of a series."""
    steps = np.ceil(extra * np.arange(1, months + 1) / months)
    level[-months:] = level[-months:] + steps
    return level


def _rebound_district(plan: CityPlan) -> int:
    """The smallest district outside the centre, where forms creep back in 2026."""
    sizes = np.bincount(plan.community_district, minlength=len(plan.district_codes))
    if len(sizes) == 1:
        return 0
    return 1 + int(np.argmin(sizes[1:]))


def _add_rebounds(counts: np.ndarray, plan: CityPlan, rng: np.random.Generator) -> None:
    """Recent rebounds: forms in most of one district in 2026, one category in every community
    of one street of another district, and one category in two communities of every district."""
    forms = BURDEN_CATEGORIES.index("forms")
    district = _rebound_district(plan)
    in_district = np.flatnonzero(plan.community_district == district)
    months = MONTHS - month_index(REBOUND_DISTRICT_FROM)
    # Two communities in three are enough for the district's summed series to rebound too.
    for c in in_district[rng.random(len(in_district)) < 0.65].tolist():
        low = counts[c, forms, -months - 1]
        _creep(counts[c, forms], months, 0.3 * low + 2)
    street = _rebound_street(plan, district)
    if street is not None:
        k = BURDEN_CATEGORIES.index(STREET_REBOUND_CATEGORY)
        for c in np.flatnonzero(plan.community_street == street).tolist():
            low = counts[c, k, -STREET_REBOUND_MONTHS - 1]
            _creep(counts[c, k], STREET_REBOUND_MONTHS, 0.25 * low + 2)
    for each in range(len(plan.district_codes)):
        members = np.flatnonzero(plan.community_district == each)
        if street is not None:
            members = members[plan.community_street[members] != street]
        for c in rng.choice(members, size=min(2, len(members)), replace=False).tolist():
            k = BURDEN_CATEGORIES.index(str(rng.choice(SINGLE_REBOUND_CATEGORIES)))
            months_up = int(rng.integers(1, 4))
            low = counts[c, k, -months_up - 1]
            _creep(counts[c, k], months_up, max(2.0, math.ceil(0.3 * low)))


def _rebound_street(plan: CityPlan, rebound_district: int) -> int | None:
    """The street with the most communities outside the rebound district (None: only one district)."""
    outside = plan.community_district != rebound_district
    if not outside.any():
        return None
    sizes = np.bincount(plan.community_street[outside], minlength=plan.community_street.max() + 1)
    return int(np.argmax(sizes))


def _street_sums(counts: np.ndarray, street: np.ndarray) -> np.ndarray:
    sums = np.zeros((street.max() + 1, *counts.shape[1:]), dtype=np.int64)
    np.add.at(sums, street, counts)
    return sums


def _highest_ahead(sums: np.ndarray) -> np.ndarray:
    """For each month, the highest value of the 12 months after it (huge for the last month)."""
    ahead = np.full_like(sums, np.iinfo(np.int64).max // 16)
    for t in range(MONTHS - 1):
        ahead[:, :, t] = sums[:, :, t + 1 : t + 13].max(axis=2)
    return ahead


def _one_per_street_month(
    cells: tuple[np.ndarray, ...], street: np.ndarray, draw: np.ndarray
) -> np.ndarray:
    """Indices into cells: per street and month the cell with the lowest draw, lowest first."""
    c, t = cells
    order = np.lexsort((draw[c, t], t, street[c]))
    key = street[c][order] * MONTHS + t[order]
    first = order[np.r_[True, key[1:] != key[:-1]]]
    return first[np.argsort(draw[c[first], t[first]], kind="stable")]


def _missing_months(counts: np.ndarray, plan: CityPlan, rng: np.random.Generator) -> np.ndarray:
    """About 1 % of community-months unreported, never where the gap would fake a rebound.

    A missing month lowers its street's summed series; it is safe when each of the next 12
    months stays under 1.1 × the lowered sum in every category. Months safe for a street are
    safe for its district and the city too. Gaps are added in rounds of at most one per street
    and month, each round checked against the sums that earlier rounds lowered.
    """
    n, street = len(plan.community_codes), plan.community_street
    ahead = _highest_ahead(_street_sums(counts, street))[street]
    draw = rng.random((n, MONTHS))
    allowed = np.zeros((n, MONTHS), dtype=bool)
    allowed[:, 2 : MONTHS - GAP_FREE_RECENT_MONTHS] = True
    missing = np.zeros((n, MONTHS), dtype=bool)
    target = round(MISSING_SHARE * n * MONTHS)
    for _ in range(4):
        wanted = target - int(missing.sum())
        if wanted <= 0:
            break
        lowered = _street_sums(counts * ~missing[:, None, :], street)[street] - counts
        safe = allowed & ~missing & np.all(ahead * 10 < lowered * 11, axis=1)
        cells = np.nonzero(safe)
        if len(cells[0]) == 0:
            break
        chosen = _one_per_street_month(cells, street, draw)[:wanted]
        missing[cells[0][chosen], cells[1][chosen]] = True
    return missing


def plan_burden(plan: CityPlan, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Counts (communities, categories, months) and which community-months were reported."""
    levels = np.stack(
        [_burden_levels(BURDEN_PROFILES[k], plan, rng) for k in BURDEN_CATEGORIES], axis=1
    )
    noise = np.stack(
        [
            _noise(levels[:, i], BURDEN_PROFILES[k].monthly_flow, rng)
            for i, k in enumerate(BURDEN_CATEGORIES)
        ],
        axis=1,
    )
    counts = np.maximum(levels + noise, 0).astype(np.int64)
    _add_rebounds(counts, plan, rng)
    return counts, ~_missing_months(counts, plan, rng)


def burden_rows(codes: Sequence[str], counts: np.ndarray, present: np.ndarray) -> Iterator[dict]:
    """Rows by community, category and month, skipping the months a community did not report."""
    for c, code in enumerate(codes):
        months = np.flatnonzero(present[c])
        for k, category in enumerate(BURDEN_CATEGORIES):
            values = counts[c, k, months].tolist()
            for t, value in zip(months.tolist(), values, strict=True):
                yield {
                    "community_code": code,
                    "category": category,
                    "period": PERIODS[t],
                    "count": value,
                }
