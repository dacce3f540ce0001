"""Phase 4: staff. Positions (slots) open and close; people fill them, leave and are replaced."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from data_access.demo.common import (
    DEMO_FIRST_MONTH,
    DEMO_LAST_MONTH,
    FIRST_DAY,
    HISTORY_START,
    LAST_DAY,
    MONTHS,
    NEVER,
    PERIODS,
    YEARS,
    epoch_dates,
    epoch_day,
    month_index,
    month_start,
    next_month_start,
    year_of,
    year_start,
)
from data_access.demo.grids import GridPlan
from data_access.demo.places import CityPlan
from data_access.demo.population import Population

COUNTED_ROLES = ("secretary", "committee", "staff", "grid_fulltime")
ROLE_ORDER = {
    role: i
    for i, role in enumerate((*COUNTED_ROLES, "grid_parttime", "public_welfare", "temporary"))
}
# Community workers turn over fast: about 9 % resign each year, besides retirement at 58–62.
MEAN_TENURE_DAYS = 11 * 365.25
MIN_TENURE_DAYS = 60  # nobody leaves before the end of probation
# Most vacancies wait for the district's next recruitment drive (公开招聘社区工作者);
# the rest are filled directly within four months.
DRIVE_FILLED = 0.6
DRIVE_WAIT_DAYS = 450  # a vacancy whose next drive is further away is filled directly


def _district_drives(n_districts: int, rng: np.random.Generator) -> list[list[tuple[int, float]]]:
    """Each district's recruitment drives: (month index, weight), at its own dates.

    A district recruits most years in a month of its own, skips some years, and holds one
    large district-wide drive in a year of its own, so staffing trends differ between districts.
    """
    drives: list[list[tuple[int, float]]] = []
    for _ in range(n_districts):
        usual = int(rng.integers(3, 11))  # the month of the year this district recruits in
        big_year = int(rng.integers(YEARS[0] + 1, YEARS[-1] + 1))
        own: list[tuple[int, float]] = []
        for year in YEARS:
            big = year == big_year
            if not big and rng.random() < 0.3:
                continue  # no drive this year
            month = min(max(usual + int(rng.integers(-1, 2)), 1), 12)
            index = month_index(dt.date(year, month, 1))
            if 0 <= index < MONTHS:
                own.append((index, float(rng.uniform(14, 20) if big else rng.uniform(4, 8))))
        drives.append(own)
    return drives


def _month_weights(drives: list[tuple[int, float]]) -> np.ndarray:
    """Hiring weight of every data month: a steady trickle plus the district's drives."""
    weights = np.ones(MONTHS)
    for index, extra in drives:
        weights[index] += extra
    return weights / weights.sum()


class SlotTable:
    """Every post of the city: its community, role and grid, when it opened and when it closes."""

    def __init__(
        self, rng: np.random.Generator, district: np.ndarray, drives: list[list[tuple[int, float]]]
    ) -> None:
        self.rng = rng
        self.district = district  # district index of each community
        self.month_weights = [_month_weights(own) for own in drives]
        self.community: list[int] = []
        self.role: list[str] = []
        self.grid: list[str | None] = []
        self.open: list[int] = []
        self.close: list[int] = []

    def add(
        self, c: int, role: str, open_day: int, grid: str | None = None, close: int = NEVER
    ) -> None:
        self.community.append(c)
        self.role.append(role)
        self.grid.append(grid)
        self.open.append(open_day)
        self.close.append(close)

    def old_day(self) -> int:
        """A start before the data begin (2006–2018)."""
        return int(self.rng.integers(HISTORY_START, FIRST_DAY))

    def recruit_day(self, c: int) -> int:
        """A hiring date in the data period, mostly in the district's drives, often the 1st."""
        weights = self.month_weights[int(self.district[c])]
        month = int(self.rng.choice(MONTHS, p=weights))
        start = epoch_day(PERIODS[month])
        offset = 0 if self.rng.random() < 0.4 else int(self.rng.integers(0, 28))
        return min(start + offset, LAST_DAY)

    def day_between(self, first: dt.date, last: dt.date) -> int:
        return int(self.rng.integers(epoch_day(first), epoch_day(last)))


def _per_10k_targets(plan: CityPlan, rng: np.random.Generator) -> np.ndarray:
    """Counted workers per 10,000 aimed at per community: around 18, a few far below."""
    n = len(plan.community_codes)
    # Districts and streets differ in how well they staff, so rankings have something to show.
    district_offset = rng.uniform(-2.6, 2.2, len(plan.district_codes))
    street_offset = rng.normal(0.0, 1.0, len(plan.street_codes))
    # Aimed a little above 18: posts left vacant until the next drive pull the actual ratio down.
    centre = 18.9 + district_offset[plan.community_district] + street_offset[plan.community_street]
    target = np.clip(rng.normal(centre, 2.0), 12.5, 26.0)
    far_below = rng.random(n) < 0.025
    return np.where(far_below, rng.uniform(9.0, 13.5, n), target)


@dataclass(frozen=True)
class CommunityPosts:
    """What one community's workforce looks like at the last data month."""

    c: int
    urban: bool
    counted: int  # secretary, committee, staff and full-time grid workers aimed at
    general: list[str]
    dedicated: list[str]


def _counted_slots(slots: SlotTable, posts: CommunityPosts, staffed: list[str]) -> int:
    """Secretary, committee, staff and full-time grid posts; returns how many grids got one."""
    rng, c = slots.rng, posts.c
    committee = int(rng.integers(4, 8) if posts.urban else rng.integers(3, 6))
    rest = max(posts.counted, committee + 2) - 1 - committee
    n_fulltime = min(len(staffed), round(rest * rng.uniform(0.35, 0.75)))
    # The workforce grows: part of the staff and full-time grid posts open after 2019.
    n_new = min(rest, round((rest + 1 + committee) * rng.uniform(0.14, 0.28)))
    new = set(rng.choice(rest, size=n_new, replace=False).tolist())
    slots.add(c, "secretary", slots.old_day())
    for _ in range(committee):
        slots.add(c, "committee", slots.old_day())
    for k in range(rest - n_fulltime):
        slots.add(c, "staff", slots.recruit_day(c) if k in new else slots.old_day())
    for k, grid in enumerate(staffed[:n_fulltime], start=rest - n_fulltime):
        opened = slots.recruit_day(c) if k in new else slots.old_day()
        slots.add(c, "grid_fulltime", opened, grid)
        if opened > FIRST_DAY and rng.random() < 0.4:  # a part-timer held the grid before
            slots.add(c, "grid_parttime", slots.old_day(), grid, close=opened)
    return n_fulltime


def _parttime_slots(
    slots: SlotTable, posts: CommunityPosts, parttime: list[str], unstaffed: list[str]
) -> None:
    """Part-time grid workers, and grids whose worker left without a successor."""
    rng, c = slots.rng, posts.c
    for grid in parttime + [g for g in posts.dedicated if rng.random() < 0.8]:
        opened = slots.recruit_day(c) if rng.random() < 0.15 else slots.old_day()
        slots.add(c, "grid_parttime", opened, grid)
    for grid in unstaffed:
        if rng.random() < 0.5:
            closed = slots.day_between(dt.date(2023, 1, 1), DEMO_LAST_MONTH)
            slots.add(c, "grid_parttime", slots.old_day(), grid, close=closed)


def _support_slots(slots: SlotTable, c: int) -> None:
    """Public-welfare posts and temporary staff, who do not count as community workers."""
    rng = slots.rng
    for _ in range(int(rng.integers(0, 4))):
        opened = slots.recruit_day(c) if rng.random() < 0.4 else slots.old_day()
        slots.add(c, "public_welfare", opened)
    for _ in range(int(rng.integers(1, 5))):
        # Some temporary posts were cut as burden reduction cleared out 临聘人员.
        cut = rng.random() < 0.25
        closed = slots.day_between(dt.date(2020, 1, 1), dt.date(2024, 12, 31)) if cut else NEVER
        slots.add(c, "temporary", slots.old_day(), close=closed)


def _community_slots(slots: SlotTable, posts: CommunityPosts) -> None:
    """All posts of one community; about 3.5 % of its general grids get no worker."""
    unstaffed = slots.rng.random(len(posts.general)) < 0.035
    order = slots.rng.permutation(len(posts.general)).tolist()
    staffed = [posts.general[i] for i in order if not unstaffed[i]]
    n_fulltime = _counted_slots(slots, posts, staffed)
    idle = [posts.general[i] for i in np.flatnonzero(unstaffed).tolist()]
    _parttime_slots(slots, posts, staffed[n_fulltime:], idle)
    _support_slots(slots, posts.c)


@dataclass
class People:
    slot: np.ndarray
    start: np.ndarray
    end: np.ndarray  # NEVER while still in post
    birth_year: np.ndarray


def _birth_years(start: np.ndarray, secretary: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Birth years 1962–2001 from an age at hiring of about 32 (secretaries older), 21–50."""
    n = len(start)
    age = np.where(secretary, 30 + rng.gamma(2.0, 3.5, n), 22 + rng.gamma(2.0, 5.0, n))
    year = year_of(start)
    # Hired no older than 50, so nobody retires before they start.
    oldest, youngest = np.maximum(1962, year - 50), np.minimum(2001, year - 21)
    return np.clip(np.rint(year - age), oldest, youngest).astype(np.int64)


def _snap_some(
    days: np.ndarray, rng: np.random.Generator, snap: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """About 30 % of dates moved to the first of a month, as many contracts are."""
    return np.where(rng.random(len(days)) < 0.3, snap(days), days)


def _drive_days(drives: list[list[tuple[int, float]]]) -> list[np.ndarray]:
    """The first day of each district's drives, in order."""
    return [
        np.array(sorted(epoch_day(PERIODS[index]) for index, _ in own), dtype=np.int64)
        for own in drives
    ]


def _refill_days(
    end: np.ndarray, district: np.ndarray, drive_days: list[np.ndarray], rng: np.random.Generator
) -> np.ndarray:
    """When a vacancy left on `end` is filled: at the district's next drive, or directly."""
    direct = _snap_some(end + rng.integers(0, 120, len(end)), rng, next_month_start)
    at_drive = np.full(len(end), NEVER)
    for d, days in enumerate(drive_days):
        mine = np.flatnonzero(district == d)
        if not len(days) or not len(mine):
            continue
        k = np.searchsorted(days, end[mine], side="right")
        found = k < len(days)
        at_drive[mine[found]] = days[k[found]]
    at_drive = np.where(at_drive - end <= DRIVE_WAIT_DAYS, at_drive, NEVER)
    # Drive hires start on the 1st or within the drive's month.
    offset = np.where(rng.random(len(end)) < 0.5, 0, rng.integers(0, 28, len(end)))
    waits = (rng.random(len(end)) < DRIVE_FILLED) & (at_drive != NEVER)
    return np.where(waits, np.where(waits, at_drive, 0) + offset, direct)


def _fill_slots(slots: SlotTable, drive_days: list[np.ndarray], rng: np.random.Generator) -> People:
    """Generation by generation: each holder leaves or retires and is replaced after a gap."""
    roles = np.array(slots.role)
    close = np.array(slots.close, dtype=np.int64)
    district = slots.district[np.array(slots.community, dtype=np.int64)]
    slot = np.arange(len(roles))
    start = np.array(slots.open, dtype=np.int64)
    out: list[tuple[np.ndarray, ...]] = []
    while len(slot):
        birth = _birth_years(start, roles[slot] == "secretary", rng)
        retire = year_start(birth + rng.integers(58, 63, len(slot))) + rng.integers(
            0, 365, len(slot)
        )
        # Departures are memoryless from the start of the data: no history before 2019.
        tenure = MIN_TENURE_DAYS + rng.exponential(MEAN_TENURE_DAYS, len(slot)).astype(np.int64)
        leave = np.maximum(start, FIRST_DAY) + tenure
        natural = np.minimum(leave, retire)
        end = np.minimum(natural, close[slot])
        snapped = _snap_some(end, rng, month_start)
        end = np.where(snapped > start, snapped, end)
        ended = end <= LAST_DAY
        out.append((slot, start, np.where(ended, end, NEVER), birth))
        nxt = _refill_days(end, district[slot], drive_days, rng)
        again = ended & (natural < close[slot]) & (nxt <= LAST_DAY) & (nxt < close[slot])
        slot, start = slot[again], nxt[again]
    return People(*(np.concatenate(parts) for parts in zip(*out, strict=True)))


def _certificates(people: People, counted: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Licensed about 30 % in 2019 and 55 % now: new hires certify, leavers mostly had none."""
    n = len(people.slot)
    hired_year = year_of(people.start)
    veteran = people.start < FIRST_DAY
    stayed = people.end == NEVER
    p_old = np.where(stayed, 0.45, 0.16)
    p_new = np.minimum(0.78, 0.46 + 0.04 * (hired_year - DEMO_FIRST_MONTH.year))
    p = np.where(veteran, p_old, p_new)
    p = np.where(counted, p, p * 0.35)
    licensed = rng.random(n) < p
    level = rng.random(n)
    grade = np.where(level < 0.78, "junior", np.where(level < 0.97, "intermediate", "senior"))
    return np.where(licensed, grade, "none")


def plan_staff(
    plan: CityPlan, population: Population, grids: GridPlan, rng: np.random.Generator
) -> list[dict]:
    targets = _per_10k_targets(plan, rng)
    drives = _district_drives(len(plan.district_codes), rng)
    slots = SlotTable(rng, plan.community_district, drives)
    for c in range(len(plan.community_codes)):
        posts = CommunityPosts(
            c=c,
            urban=bool(plan.community_kind[c] == "urban"),
            counted=round(targets[c] * population.latest_residents[c] / 10_000),
            general=grids.general[c],
            dedicated=grids.dedicated[c],
        )
        _community_slots(slots, posts)
    return _staff_rows(plan, slots, _fill_slots(slots, _drive_days(drives), rng), rng)


def _staff_rows(
    plan: CityPlan, slots: SlotTable, people: People, rng: np.random.Generator
) -> list[dict]:
    """One row per person, numbered S00000001… by community, role and start date."""
    roles = np.array(slots.role)[people.slot]
    community = np.array(slots.community)[people.slot]
    certificate = _certificates(people, np.isin(roles, COUNTED_ROLES), rng)
    role_rank = np.array([ROLE_ORDER[r] for r in roles.tolist()])
    order = np.lexsort((people.slot, people.start, role_rank, community))
    starts = epoch_dates(people.start[order])
    ends = epoch_dates(np.where(people.end == NEVER, 0, people.end)[order])
    return [
        {
            "staff_code": f"S{k + 1:08d}",
            "community_code": plan.community_codes[community[i]],
            "role": str(roles[i]),
            "certificate": str(certificate[i]),
            "birth_year": int(people.birth_year[i]),
            "start_date": starts[k],
            "end_date": None if people.end[i] == NEVER else ends[k],
            "grid_code": slots.grid[people.slot[i]],
        }
        for k, i in enumerate(order.tolist())
    ]
