"""配备测算: where new community worker posts go, and what they buy (docs/metrics.md §3, staffing plan).

Pure functions on the per-community staffing figures that data_access.queries.staffing
already produces (staffing_by_unit at community level): no SQL, no Streamlit. Every count is
an integer, every tie is broken by community code (lower code first), so a plan is the same
on every run and every database.

The plan year: the roster of today minus the departures expected, set against the
population in force (or, with growth, that population plus one year of its recent trend).
The posts are allocated against the gaps of that plan year, and never to a community that
already has its required headcount while another one is short.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data_access.settings import Settings

RULES = ("largest_gap", "most_communities", "proportional")
SURPLUS_USES = ("unallocated", "population")
TREND_YEARS = 3  # the population trend is the average yearly change over at most this many years


@dataclass(frozen=True)
class PlanOptions:
    """What the leader enters: new posts, the rule, departures expected, growth, surplus use."""

    posts: int
    rule: str = "largest_gap"
    departures: int = 0
    growth: bool = False
    surplus: str = "unallocated"

    def __post_init__(self) -> None:
        if self.posts < 0 or self.departures < 0:
            raise ValueError("posts and departures cannot be negative")
        if self.rule not in RULES:
            raise ValueError(f"rule must be one of {', '.join(RULES)}, not {self.rule!r}")
        if self.surplus not in SURPLUS_USES:
            raise ValueError(f"surplus must be one of {', '.join(SURPLUS_USES)}")


@dataclass(frozen=True)
class Figures:
    """The staffing figures of §5.1 for a set of communities: ratios of sums, positive gaps."""

    resident_population: int
    counted_workers: int
    per_10k: float | None
    required: int
    gap: int
    net_gap: int
    communities_assessed: int
    communities_meeting: int
    below_minimum: int


@dataclass(frozen=True)
class PostsNeeded:
    """Posts that would close every community's gap, and posts that lift the area to the standard."""

    every_community: int
    area: int


@dataclass(frozen=True)
class Plan:
    """The allocation per community and the figures now, in the plan year without and with it."""

    communities: pd.DataFrame
    posts: int
    allocated: int
    surplus: int
    unallocated: int
    now: Figures
    without_posts: Figures
    after: Figures
    needed: PostsNeeded
    needed_with_growth: PostsNeeded | None = field(default=None)

    @property
    def receiving(self) -> int:
        """Communities that receive at least one of the new posts."""
        return int((self.communities["added"] > 0).sum())


PLAN_COLUMNS = [
    "code", "name", "resident_population", "population_plan", "counted_workers", "departures",
    "counted_start", "required", "gap_before", "added", "counted_after", "gap_after",
]  # fmt: skip


def required_headcount(population: pd.Series, settings: Settings) -> pd.Series:
    """max(minimum, ceil(standard × population / 10,000)); missing where the population is."""
    needed = population.astype(float).map(
        lambda p: math.nan if pd.isna(p) else math.ceil(settings.standard_per_10k * p / 10000.0)
    )
    return needed.where(needed.isna(), needed.clip(lower=settings.minimum_workers)).astype("Int64")


def project_population(history: pd.DataFrame, year: int) -> pd.Series:
    """Each community's population one year after the one in force on `year`, from its trend.

    The trend is the average yearly change between the latest record not after `year` and
    the earliest record at most TREND_YEARS years before it; a community with one record
    keeps its population. Rounded half up, never below 0.
    """
    known = history[history["year"] <= year].dropna(subset=["resident_population"])
    # One pass over every community at once (a loop per community took seconds at 10,000).
    frame = pd.DataFrame(
        {
            "code": known["community_code"].astype(str),
            "year": known["year"].astype("int64"),
            "value": known["resident_population"].astype("float64"),
        }
    ).sort_values(["code", "year"], kind="stable")
    frame["last_year"] = frame.groupby("code")["year"].transform("max")
    last = frame.groupby("code").tail(1).set_index("code")
    first = frame[frame["year"] >= frame["last_year"] - TREND_YEARS].groupby("code").head(1)
    first = first.set_index("code")
    years = (last["year"] - first["year"]).astype("float64")
    change = ((last["value"] - first["value"]) / years.where(years > 0)).fillna(0.0)
    projected = np.floor(last["value"] + change + 0.5).clip(lower=0)
    return pd.Series(projected.astype("int64"), dtype="Int64", name="population_plan").rename_axis(
        None
    )


def largest_remainder(weights: pd.Series, total: int) -> pd.Series:
    """`total` split in proportion to integer weights (Hamilton's method), ties by lower index."""
    weights = weights.fillna(0).astype("int64").clip(lower=0)
    whole = int(weights.sum())
    if total == 0 or whole == 0:
        return pd.Series(0, index=weights.index, dtype="int64")
    shares = weights * total // whole
    remainders = weights * total % whole
    left = total - int(shares.sum())
    order = sorted(weights.index, key=lambda code: (-int(remainders[code]), code))
    for code in order[:left]:
        shares[code] += 1
    return shares


def allocate(gaps: pd.Series, posts: int, rule: str) -> pd.Series:
    """Posts per community under a rule, never more than a community's gap (gaps ≥ 0, by code).

    largest_gap: each post goes to the community with the largest remaining gap.
    most_communities: the smallest gaps are closed first; what cannot close a whole gap
    goes to the next smallest. proportional: in proportion to the gaps, largest remainder.
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)}, not {rule!r}")
    gaps = gaps.fillna(0).astype("int64").clip(lower=0).sort_index()
    if posts >= int(gaps.sum()):
        return gaps.copy()
    if rule == "proportional":
        return largest_remainder(gaps, posts)
    if rule == "most_communities":
        return _smallest_first(gaps, posts)
    return _level_from_the_top(gaps, posts)


def _smallest_first(gaps: pd.Series, posts: int) -> pd.Series:
    added = pd.Series(0, index=gaps.index, dtype="int64")
    for code in sorted(gaps[gaps > 0].index, key=lambda code: (int(gaps[code]), code)):
        given = min(int(gaps[code]), posts)
        added[code] = given
        posts -= given
        if posts == 0:
            break
    return added


def _level_from_the_top(gaps: pd.Series, posts: int) -> pd.Series:
    """Brings every gap above a level down to it; the posts left go to the level's lowest codes."""
    low, high = 0, int(gaps.max())
    # The lowest level whose cost fits in the posts (cost falls as the level rises).
    while low < high:
        middle = (low + high) // 2
        if int((gaps - middle).clip(lower=0).sum()) <= posts:
            high = middle
        else:
            low = middle + 1
    added = (gaps - low).clip(lower=0)
    left = posts - int(added.sum())
    at_level = sorted(gaps[gaps >= low].index) if low > 0 else []
    for code in at_level[:left]:
        added[code] += 1
    return added


def spread_departures(counted: pd.Series, departures: int) -> pd.Series:
    """Departures expected, spread in proportion to each community's counted workers."""
    if departures > int(counted.sum()):
        raise ValueError("more departures than counted workers")
    return largest_remainder(counted, departures)


def figures(
    population: pd.Series, counted: pd.Series, required: pd.Series, minimum: int
) -> Figures:
    """The staffing figures (docs/metrics.md §3) of communities (indexed by code); those without population are not assessed."""
    assessed = population.notna()
    known_counted = counted[assessed]
    gap = (required[assessed] - known_counted).astype("int64")
    residents = int(population[assessed].sum())
    return Figures(
        resident_population=residents,
        counted_workers=int(counted.sum()),
        per_10k=float(known_counted.sum()) / residents * 10000 if residents else None,
        required=int(required[assessed].sum()),
        gap=int(gap.clip(lower=0).sum()),
        net_gap=int(gap.sum()),
        communities_assessed=int(assessed.sum()),
        communities_meeting=int((gap <= 0).sum()),
        below_minimum=int((known_counted < minimum).sum()),
    )


def posts_needed(
    population: pd.Series, counted: pd.Series, required: pd.Series, settings: Settings
) -> PostsNeeded:
    """Posts to bring every community to its required headcount, and the area to the standard."""
    assessed = population.notna()
    every = int((required[assessed] - counted[assessed]).clip(lower=0).sum())
    residents = float(population[assessed].sum())
    area_needs = math.ceil(settings.standard_per_10k * residents / 10000.0)
    return PostsNeeded(every, max(0, area_needs - int(counted[assessed].sum())))


def make_plan(
    communities: pd.DataFrame,
    options: PlanOptions,
    settings: Settings,
    history: pd.DataFrame | None = None,
    year: int | None = None,
) -> Plan:
    """The plan for the communities of a scope (staffing_by_unit rows at community level).

    `history` (community_code, year, resident_population) and `year` (the as-of year) are
    needed for the growth option and for the projected posts needed.
    """
    frame = communities.set_index("code").sort_index()
    population = pd.to_numeric(frame["resident_population"]).astype("Int64")
    counted = pd.to_numeric(frame["counted_workers"]).fillna(0).astype("int64")
    required_now = required_headcount(population, settings)
    projected: pd.Series | None = None
    if history is not None and year is not None:
        projected = project_population(history, year).reindex(frame.index)
        projected = projected.where(population.notna())  # no history, no assessment
    if options.growth and projected is None:
        raise ValueError("population growth needs the population history and the as-of year")
    population_plan = projected if options.growth and projected is not None else population
    required = required_headcount(population_plan, settings)

    departures = spread_departures(counted, options.departures)
    counted_start = counted - departures
    assessed = population_plan.notna()
    gap_before = (required - counted_start).where(assessed).fillna(0).clip(lower=0).astype("int64")
    added = allocate(gap_before, options.posts, options.rule)
    surplus = max(0, options.posts - int(gap_before.sum()))
    unallocated = surplus
    if surplus and options.surplus == "population":
        spread = largest_remainder(population_plan.where(assessed).fillna(0), surplus)
        if int(spread.sum()) == surplus:
            added = added + spread
            unallocated = 0
    counted_after = counted_start + added
    gap_after = (required - counted_after).where(assessed)

    table = pd.DataFrame(
        {
            "name": frame["name"],
            "resident_population": population,
            "population_plan": population_plan,
            "counted_workers": counted,
            "departures": departures,
            "counted_start": counted_start,
            "required": required,
            "gap_before": gap_before.where(assessed).astype("Int64"),
            "added": added,
            "counted_after": counted_after,
            "gap_after": gap_after.clip(lower=0).astype("Int64"),
        }
    ).rename_axis("code")
    minimum = settings.minimum_workers
    return Plan(
        communities=table.reset_index()[PLAN_COLUMNS],
        posts=options.posts,
        allocated=int(added.sum()),
        surplus=surplus,
        unallocated=unallocated,
        now=figures(population, counted, required_now, minimum),
        without_posts=figures(population_plan, counted_start, required, minimum),
        after=figures(population_plan, counted_after, required, minimum),
        needed=posts_needed(population, counted_start, required_now, settings),
        needed_with_growth=None
        if projected is None
        else posts_needed(
            projected, counted_start, required_headcount(projected, settings), settings
        ),
    )


def plan_by_unit(communities: pd.DataFrame, code_length: int) -> pd.DataFrame:
    """The plan summed per unit (code prefix): gap before, posts, the gap they close, what is left.

    `closed` is the part of the gap the posts fill; `beyond` the posts above the gaps (surplus
    spread by population). Units in code order.
    """
    frame = communities.assign(code=communities["code"].str[:code_length])
    sums = (
        frame.groupby("code")[["gap_before", "added", "gap_after"]]
        .sum(min_count=0)
        .astype("int64")
        .reset_index()
    )
    sums["closed"] = sums["gap_before"] - sums["gap_after"]
    sums["beyond"] = sums["added"] - sums["closed"]
    return sums.sort_values("code", ignore_index=True)


def counted_workers(communities: pd.DataFrame) -> int:
    """The counted workers of the communities a plan starts from (its departures' upper bound)."""
    return int(pd.to_numeric(communities["counted_workers"]).sum())


def unassessed(communities: pd.DataFrame) -> int:
    """Communities without a population in force: no required headcount, left out of the plan."""
    return int(communities["resident_population"].isna().sum())
