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
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

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


def village_mask(communities: pd.DataFrame) -> pd.Series:
    """True for the villages (村) among staffing_by_unit rows at community level (by code order
    of the frame's index); all False for rows without the `villages` column."""
    if "villages" not in communities.columns:
        return pd.Series(False, index=communities.index)
    return pd.to_numeric(communities["villages"]).fillna(0) > 0


def required_headcount(
    population: pd.Series, settings: Settings, villages: pd.Series | None = None
) -> pd.Series:
    """max(minimum, ceil(standard × population / 10,000)); missing where the population is.

    `villages` (True for a village, same index) take the village standard and minimum team
    when either is set (an unset one counts 0) and are missing otherwise (docs/metrics.md §3).
    """
    values = pd.to_numeric(population).astype("float64").to_numpy()

    def headcount(standard: float, minimum: int) -> pd.Series:
        # The same operations as math.ceil(standard * p / 10000.0), on every community at once.
        needed = pd.Series(np.ceil(standard * values / 10000.0), index=population.index)
        return needed.where(needed.isna(), needed.clip(lower=minimum))

    urban = headcount(settings.standard_per_10k, settings.minimum_workers)
    if villages is None or not villages.any():
        return urban.astype("Int64")
    village = pd.Series(math.nan, index=population.index)
    if settings.villages_assessed:
        village = headcount(
            settings.village_standard_per_10k or 0.0, settings.village_min_team or 0
        )
    return urban.where(~villages, village).astype("Int64")


def minimum_team(villages: pd.Series, settings: Settings) -> pd.Series:
    """Each community's minimum team: the urban one, or village_min_team (0 when unset)."""
    village_minimum = settings.village_min_team or 0
    return pd.Series(settings.minimum_workers, index=villages.index).where(
        ~villages, village_minimum
    )


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
    order = pd.DataFrame(
        {"remainder": remainders.to_numpy(), "code": weights.index.to_numpy()}
    ).sort_values(["remainder", "code"], ascending=[False, True], kind="stable")
    values = shares.to_numpy().copy()
    values[order.index[:left]] += 1  # the positions of the largest remainders
    return pd.Series(values, index=weights.index, dtype="int64")


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
    """Each community in the order of (gap, code) gets its gap, or what is left before it."""
    order = pd.DataFrame({"gap": gaps.to_numpy(), "code": gaps.index.to_numpy()}).sort_values(
        ["gap", "code"], kind="stable"
    )
    sizes = order["gap"].to_numpy()
    before = np.cumsum(sizes) - sizes  # posts taken by the smaller gaps
    given = np.minimum(sizes, np.clip(posts - before, 0, None))
    added = np.zeros(len(gaps), dtype="int64")
    added[order.index.to_numpy()] = given
    return pd.Series(added, index=gaps.index, dtype="int64")


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
    added = (gaps - low).clip(lower=0).to_numpy().copy()
    left = posts - int(added.sum())
    if low > 0:  # gaps is in code order: the first positions at the level are the lowest codes
        added[np.flatnonzero(gaps.to_numpy() >= low)[:left]] += 1
    return pd.Series(added, index=gaps.index, dtype="int64")


def spread_departures(counted: pd.Series, departures: int) -> pd.Series:
    """Departures expected, spread in proportion to each community's counted workers."""
    if departures > int(counted.sum()):
        raise ValueError("more departures than counted workers")
    return largest_remainder(counted, departures)


def figures(
    population: pd.Series,
    counted: pd.Series,
    required: pd.Series,
    minimum: int | pd.Series,
    villages: pd.Series | None = None,
) -> Figures:
    """The staffing figures (docs/metrics.md §3) of communities (indexed by code).

    Per 10,000 is taken over the urban communities with a population; gap, required, meeting
    and the minimum team over the assessed ones, those with a required headcount (none without
    a population, nor where the staffing figures give none, as for an unassessed village).
    `minimum`: the minimum team, or each community's (minimum_team).
    """
    urban = ~villages if villages is not None else pd.Series(True, index=population.index)
    populated = population.notna()
    assessed = populated & required.notna()
    known_counted = counted[assessed]
    gap = (required[assessed] - known_counted).astype("int64")
    residents = int(population[populated].sum())
    urban_residents = int(population[populated & urban].sum())
    minimums = (
        minimum if isinstance(minimum, pd.Series) else pd.Series(minimum, index=counted.index)
    )
    return Figures(
        resident_population=residents,
        counted_workers=int(counted.sum()),
        per_10k=float(counted[populated & urban].sum()) / urban_residents * 10000
        if urban_residents
        else None,
        required=int(required[assessed].sum()),
        gap=int(gap.clip(lower=0).sum()),
        net_gap=int(gap.sum()),
        communities_assessed=int(assessed.sum()),
        communities_meeting=int((gap <= 0).sum()),
        below_minimum=int((known_counted < minimums[assessed]).sum()),
    )


def posts_needed(
    population: pd.Series,
    counted: pd.Series,
    required: pd.Series,
    settings: Settings,
    villages: pd.Series | None = None,
) -> PostsNeeded:
    """Posts to bring every assessed community to its required headcount, and the area to the
    standard: ceil(standard × residents / 10,000) − workers over the assessed urban communities,
    and over the assessed villages by village_standard_per_10k when it is set."""
    villages = villages if villages is not None else pd.Series(False, index=population.index)
    assessed = population.notna() & required.notna()
    every = int((required[assessed] - counted[assessed]).clip(lower=0).sum())
    needs, workers = 0, 0
    standards = [(~villages, settings.standard_per_10k)]
    if settings.village_standard_per_10k is not None:
        standards.append((villages, settings.village_standard_per_10k))
    for kind, standard in standards:
        here = assessed & kind
        needs += math.ceil(standard * float(population[here].sum()) / 10000.0)
        workers += int(counted[here].sum())
    return PostsNeeded(every, max(0, needs - workers))


def make_plan(
    communities: pd.DataFrame,
    options: PlanOptions,
    settings: Settings,
    history: pd.DataFrame | None = None,
    year: int | None = None,
    *,
    trend: pd.Series | None = None,
) -> Plan:
    """The plan for the communities of a scope (staffing_by_unit rows at community level).

    `history` (community_code, year, resident_population) and `year` (the as-of year) are
    needed for the growth option and for the projected posts needed; `trend` is
    project_population(history, year) when the caller has it already.
    """
    frame = communities.set_index("code").sort_index()
    population = pd.to_numeric(frame["resident_population"]).astype("Int64")
    counted = pd.to_numeric(frame["counted_workers"]).fillna(0).astype("int64")
    villages = village_mask(frame)
    rated = _rated(frame)
    required_now = required_headcount(population, settings, villages).where(rated)
    projected: pd.Series | None = None
    if trend is None and history is not None and year is not None:
        trend = project_population(history, year)
    if trend is not None:
        projected = trend.reindex(frame.index)
        projected = projected.where(population.notna())  # no history, no assessment
    if options.growth and projected is None:
        raise ValueError("population growth needs the population history and the as-of year")
    population_plan = projected if options.growth and projected is not None else population
    required = required_headcount(population_plan, settings, villages).where(rated)

    departures = spread_departures(counted, options.departures)
    counted_start = counted - departures
    # Villages without a standard of their own, like communities without a population, get no
    # required headcount, no gap and no posts (docs/metrics.md §3).
    assessed = required.notna()
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
    minimum = minimum_team(villages, settings)
    return Plan(
        communities=table.reset_index()[PLAN_COLUMNS],
        posts=options.posts,
        allocated=int(added.sum()),
        surplus=surplus,
        unallocated=unallocated,
        now=figures(population, counted, required_now, minimum, villages),
        without_posts=figures(population_plan, counted_start, required, minimum, villages),
        after=figures(population_plan, counted_after, required, minimum, villages),
        needed=posts_needed(population, counted_start, required_now, settings, villages),
        needed_with_growth=None
        if projected is None
        else posts_needed(
            projected,
            counted_start,
            required_headcount(projected, settings, villages).where(rated),
            settings,
            villages,
        ),
    )


def _rated(frame: pd.DataFrame) -> pd.Series:
    """Communities the staffing figures give a required headcount: all with a population, unless
    the rows carry `required` and it is empty (a community the standard does not apply to)."""
    if "required" not in frame.columns:
        return pd.Series(True, index=frame.index)
    return pd.to_numeric(frame["required"]).notna()


# What decided the recommendation: more communities meeting the standard, else fewer left
# exactly one short, else the order of RULES; `same` when every rule gives the same posts.
DECIDED_BY = ("meeting", "one_short", "order", "same")


@dataclass(frozen=True)
class RuleOutcome:
    """What one rule's plan leaves: the columns of the planner's comparison of rules."""

    rule: str
    communities_meeting: int
    communities_assessed: int
    gap_after: int
    one_short: int
    per_10k: float | None
    receiving: int


@dataclass(frozen=True)
class RuleComparison:
    """Every rule's plan for the same posts and assumptions, the recommended rule first."""

    plans: Mapping[str, Plan]
    outcomes: tuple[RuleOutcome, ...]  # recommended first, then by the same order
    decided_by: str

    @property
    def recommended(self) -> str:
        return self.outcomes[0].rule

    @property
    def runner_up(self) -> RuleOutcome:
        """The next rule in the order (the recommended one when there is only one rule)."""
        return self.outcomes[min(1, len(self.outcomes) - 1)]

    def outcome(self, rule: str) -> RuleOutcome:
        return next(outcome for outcome in self.outcomes if outcome.rule == rule)

    def frame(self) -> pd.DataFrame:
        """One row per rule, recommended first: the comparison table and its export."""
        rows = pd.DataFrame([vars(outcome) for outcome in self.outcomes])
        rows.insert(1, "recommended", rows["rule"] == self.recommended)
        return rows


def one_short(communities: pd.DataFrame) -> int:
    """Communities of a plan left exactly one worker short of their required headcount."""
    return int(communities["gap_after"].eq(1).fillna(False).sum())


def outcome_of(rule: str, plan: Plan) -> RuleOutcome:
    return RuleOutcome(
        rule=rule,
        communities_meeting=plan.after.communities_meeting,
        communities_assessed=plan.after.communities_assessed,
        gap_after=plan.after.gap,
        one_short=one_short(plan.communities),
        per_10k=plan.after.per_10k,
        receiving=plan.receiving,
    )


def recommendation_order(outcome: RuleOutcome) -> tuple[int, int, int]:
    """Most communities meeting first; then fewest left one short; then the order of RULES.

    The gap left and per 10,000 never separate two rules: every rule spends the same posts on
    the same gaps (min(posts, total gap)), and any surplus the same way.
    """
    return (-outcome.communities_meeting, outcome.one_short, RULES.index(outcome.rule))


def compare_rules(
    communities: pd.DataFrame,
    options: PlanOptions,
    settings: Settings,
    history: pd.DataFrame | None = None,
    year: int | None = None,
) -> RuleComparison:
    """The plan of every rule for the options' posts and assumptions (its rule is ignored), and
    the rule recommended by recommendation_order, with what decided it (DECIDED_BY)."""
    trend = None if history is None or year is None else project_population(history, year)
    plans = {
        rule: make_plan(communities, replace(options, rule=rule), settings, trend=trend)
        for rule in RULES
    }
    outcomes = tuple(
        sorted((outcome_of(rule, plan) for rule, plan in plans.items()), key=recommendation_order)
    )
    first, second = outcomes[0], outcomes[1]
    posts = [plans[outcome.rule].communities["added"] for outcome in outcomes]
    if all(added.equals(posts[0]) for added in posts[1:]):
        decided_by = "same"
    elif first.communities_meeting > second.communities_meeting:
        decided_by = "meeting"
    elif first.one_short < second.one_short:
        decided_by = "one_short"
    else:
        decided_by = "order"
    return RuleComparison(plans, outcomes, decided_by)


# The allocation at each level: where the unit is, what it lacks and what it gets.
UNIT_SUMS = ["communities", "receiving", "gap_before", "added", "gap_after"]
COMMUNITY_DETAIL = [
    "counted_before", "departures", "counted_after", "required", "resident_population",
    "population_plan",
]  # fmt: skip
PARENTS = {"district": [], "street": ["district"], "community": ["district", "street"]}


def allocation(
    communities: pd.DataFrame, level: str, names: Mapping[str, str], code_lengths: Mapping[str, int]
) -> pd.DataFrame:
    """The plan's posts per unit at `level` (district, street or community), each row with the
    names of the units above it, its name and code, the gap before, the posts and the gap after
    (a community also its workers, required headcount and population); most posts first, then
    the largest gap left, then by code. Every level adds up to the same totals as the plan.

    `communities` is Plan.communities; `code_lengths` the code length of each level
    (data_access.scope.CODE_LENGTH).
    """
    if level == "community":
        rows = communities.rename(columns={"counted_workers": "counted_before"})
        sums = ["gap_before", "added", "gap_after", *COMMUNITY_DETAIL]
    else:
        frame = communities.assign(
            code=communities["code"].str[: code_lengths[level]],
            receiving=(communities["added"] > 0).astype("int64"),
            communities=1,
        )
        rows = frame.groupby("code")[UNIT_SUMS].sum(min_count=0).astype("int64").reset_index()
        rows["name"] = rows["code"].map(lambda code: names.get(code, code))
        sums = UNIT_SUMS
    parents = [f"{parent}_name" for parent in PARENTS[level]]
    rows = rows.assign(
        **{
            f"{parent}_name": rows["code"]
            .str[: code_lengths[parent]]
            .map(lambda code: names.get(code, code))
            for parent in PARENTS[level]
        }
    )
    ordered = rows.sort_values(["added", "gap_after", "code"], ascending=[False, False, True])
    return ordered[[*parents, "name", "code", *sums]].reset_index(drop=True)


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
    """Communities without a required headcount (no population in force, or the standard does
    not apply to them): left out of the plan, no posts."""
    missing = communities["resident_population"].isna()
    if "required" in communities.columns:
        missing |= pd.to_numeric(communities["required"]).isna()
    return int(missing.sum())
