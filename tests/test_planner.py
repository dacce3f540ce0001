"""The staffing planner on the planner city of tests/planner_city.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
from itertools import count

import pandas as pd
import pytest
from sqlalchemy import Engine, insert, select, update

from data_access.db import make_engine
from data_access.models import CommunityPopulation, StaffMember
from data_access.planner import (
    PlanOptions,
    allocate,
    largest_remainder,
    make_plan,
    project_population,
    required_headcount,
)
from data_access.queries.staffing import population_by_year, staffing_by_unit, staffing_total
from data_access.schema import upgrade
from data_access.scope import Scope
from data_access.settings import Settings
from data_access.summaries import affected_districts, refresh_staffing_summary
from tests.planner_city import (
    AS_OF,
    COMMUNITIES,
    COUNTED,
    POPULATION,
    A,
    B,
    C,
    D,
    E,
    F,
    G,
    H,
    build_planner_city,
    staff_row,
)

YEAR = AS_OF.year


def community_frame() -> pd.DataFrame:
    """The rows staffing_by_unit gives at community level, from the fixture's own tables."""
    latest: dict[str, tuple[int, int]] = {}
    for code, year, population in POPULATION:
        if year <= YEAR and year >= latest.get(code, (0, 0))[0]:
            latest[code] = (year, population)
    return pd.DataFrame(
        {
            "code": [code for code, _, _ in COMMUNITIES],
            "name": [name for _, name, _ in COMMUNITIES],
            "resident_population": [latest.get(code, (0, None))[1] for code, _, _ in COMMUNITIES],
            "counted_workers": [COUNTED[code] for code, _, _ in COMMUNITIES],
        }
    )


def history() -> pd.DataFrame:
    return pd.DataFrame(POPULATION, columns=["community_code", "year", "resident_population"])


def plan_for(settings, **options):
    return make_plan(community_frame(), PlanOptions(**options), settings, history(), YEAR)


def added(plan) -> dict[str, int]:
    """Posts per community, only where there are any."""
    rows = plan.communities
    return {code: int(n) for code, n in zip(rows["code"], rows["added"], strict=True) if n}


def column(plan, name: str) -> dict[str, object]:
    rows = plan.communities
    return {
        code: (None if pd.isna(value) else int(value))
        for code, value in zip(rows["code"], rows[name], strict=True)
    }


def test_required_headcount_has_the_minimum_and_rounds_up(settings):
    population = pd.Series([10000, 4000, 5001, 5000, None], dtype="Int64")
    assert list(required_headcount(population, settings).astype(object)) == [
        18, 9, 10, 9, pd.NA,
    ]  # fmt: skip


def test_gaps_and_figures_now(settings):
    plan = plan_for(settings, posts=0)
    assert column(plan, "gap_before") == {A: 8, B: 8, C: 1, D: 12, E: 0, F: 3, G: 0, H: None}
    assert column(plan, "required") == {A: 18, B: 18, C: 9, D: 36, E: 11, F: 9, G: 9, H: None}
    now = plan.now
    assert now.per_10k == pytest.approx(80 / 58000 * 10000)  # H's 5 have no residents
    assert (now.counted_workers, now.resident_population) == (85, 58000)
    assert (now.gap, now.net_gap, now.required) == (32, 30, 110)
    assert (now.communities_meeting, now.communities_assessed, now.below_minimum) == (2, 7, 2)
    assert plan.after == plan.now == plan.without_posts
    assert added(plan) == {}
    assert (plan.needed.every_community, plan.needed.area) == (32, 25)  # ceil(104.4) − 80
    # With the trend: gaps A 9, B 8, C 1, D 13, F 4; ceil(18 × 58,900 / 10,000) − 80 = 27.
    assert dataclasses.astuple(plan.needed_with_growth) == (35, 27)


@pytest.mark.parametrize("rule", ["largest_gap", "most_communities", "proportional"])
def test_zero_posts_change_nothing_under_any_rule(rule, settings):
    plan = plan_for(settings, posts=0, rule=rule)
    assert added(plan) == {}
    assert (plan.allocated, plan.unallocated) == (0, 0)


def test_largest_gap_levels_the_largest_gaps_down(settings):
    # D 12 → 6 uses 6, A and B 8 → 6 use 2 each: all three end at 6.
    plan = plan_for(settings, posts=10, rule="largest_gap")
    assert added(plan) == {A: 2, B: 2, D: 6}
    after = plan.after
    assert after.per_10k == pytest.approx(90 / 58000 * 10000)
    assert (after.gap, after.communities_meeting, after.below_minimum) == (22, 2, 2)


def test_largest_gap_tie_goes_to_the_lower_code(settings):
    # The 11th post: A, B and D all have 6 left; A has the lowest code.
    assert added(plan_for(settings, posts=11, rule="largest_gap")) == {A: 3, B: 2, D: 6}


def test_most_communities_closes_the_smallest_gaps_first(settings):
    plan = plan_for(settings, posts=10, rule="most_communities")
    # C (1) and F (3) close; the 6 left go to A (8), the next smallest, lower code than B.
    assert added(plan) == {A: 6, C: 1, F: 3}
    assert column(plan, "gap_after")[A] == 2
    assert (plan.after.communities_meeting, plan.after.below_minimum) == (4, 0)
    assert added(plan_for(settings, posts=13, rule="most_communities")) == {A: 8, B: 1, C: 1, F: 3}


def test_the_minimum_of_nine_counts_though_per_10k_meets_the_standard(settings):
    # C: 8 workers for 4,000 residents is 20 per 10,000, yet the minimum of 9 makes a gap of 1.
    plan = plan_for(settings, posts=1, rule="most_communities")
    assert added(plan) == {C: 1}
    assert plan.after.below_minimum == plan.now.below_minimum - 1


def test_proportional_uses_the_largest_remainders(settings):
    # Quotas 10 × gap / 32: A 2.5, B 2.5, C 0.3125, D 3.75, F 0.9375; floors give 7, the
    # 3 left go to F (.9375), D (.75) and A (.5, tied with B, lower code).
    assert added(plan_for(settings, posts=10, rule="proportional")) == {A: 3, B: 2, D: 4, F: 1}


@pytest.mark.parametrize("rule", ["largest_gap", "most_communities", "proportional"])
def test_no_post_where_the_standard_is_met_while_gaps_remain(rule, settings):
    for posts in (5, 17, 31):
        plan = plan_for(settings, posts=posts, rule=rule)
        assert plan.allocated == posts
        assert E not in added(plan) and G not in added(plan) and H not in added(plan)
        gap_before = column(plan, "gap_before")
        assert all(n <= gap_before[code] for code, n in added(plan).items())


@pytest.mark.parametrize("rule", ["largest_gap", "most_communities", "proportional"])
def test_posts_beyond_the_total_gap_are_left_unallocated(rule, settings):
    plan = plan_for(settings, posts=40, rule=rule)
    assert added(plan) == {A: 8, B: 8, C: 1, D: 12, F: 3}
    assert (plan.allocated, plan.surplus, plan.unallocated) == (32, 8, 8)
    assert (plan.after.gap, plan.after.communities_meeting, plan.after.below_minimum) == (0, 7, 0)


def test_posts_beyond_the_total_gap_spread_by_population(settings):
    # 8 surplus posts by population (58,000): floors A 1, B 1, D 2; remainders E, D, F, C.
    plan = plan_for(settings, posts=40, rule="largest_gap", surplus="population")
    assert added(plan) == {A: 9, B: 9, C: 2, D: 15, E: 1, F: 4}
    assert (plan.allocated, plan.surplus, plan.unallocated) == (40, 8, 0)
    assert plan.after.per_10k == pytest.approx(120 / 58000 * 10000)


def test_departures_spread_by_workers_and_open_new_gaps(settings):
    # 5 of 85 workers: floors D 1; remainders 5 × workers mod 85: E 65, A 50, B 50, G 45.
    plan = plan_for(settings, posts=0, departures=5)
    assert {k: v for k, v in column(plan, "departures").items() if v} == {
        A: 1, B: 1, D: 1, E: 1, G: 1,
    }  # fmt: skip
    assert column(plan, "gap_before") == {A: 9, B: 9, C: 1, D: 13, E: 0, F: 3, G: 1, H: None}
    assert plan.without_posts.gap == 36
    assert plan.without_posts.communities_meeting == 1  # G now misses its 9
    assert plan.now.gap == 32  # today is today
    assert (plan.needed.every_community, plan.needed.area) == (36, 30)  # 105 − 75


def test_growth_raises_required_headcounts_from_the_trend(settings):
    plan = plan_for(settings, posts=0, growth=True)
    assert column(plan, "population_plan") == {
        A: 10300, B: 10000, C: 4000, D: 20500, E: 5900, F: 5200, G: 3000, H: None,
    }  # fmt: skip
    assert column(plan, "gap_before") == {A: 9, B: 8, C: 1, D: 13, E: 0, F: 4, G: 0, H: None}
    assert plan.without_posts.per_10k == pytest.approx(80 / 58900 * 10000)


def test_population_projection_ignores_later_years_and_never_goes_below_zero():
    frame = pd.DataFrame(
        [("X", 2024, 100), ("X", 2025, 40), ("Y", 2025, 500), ("Y", 2026, 9999), ("Z", 2024, 7)],
        columns=["community_code", "year", "resident_population"],
    )
    assert project_population(frame, 2025).to_dict() == {"X": 0, "Y": 500, "Z": 7}


def test_largest_remainder_and_allocate_edge_cases():
    weights = pd.Series({"b": 1, "a": 1, "c": 0})
    assert largest_remainder(weights, 1).to_dict() == {"b": 0, "a": 1, "c": 0}
    assert largest_remainder(pd.Series({"a": 0}), 3).to_dict() == {"a": 0}
    with pytest.raises(ValueError):
        allocate(pd.Series({"a": 1}), 1, "random")


def test_bad_options_are_refused(settings):
    with pytest.raises(ValueError):
        PlanOptions(posts=-1)
    with pytest.raises(ValueError):
        PlanOptions(posts=1, surplus="anywhere")
    with pytest.raises(ValueError):
        plan_for(settings, posts=0, departures=86)


# The figures of a plan must be those the staffing queries give once the plan is carried out:
# the posts inserted as staff, the departures ended, the projected population recorded.
SCENARIOS = [
    (None, PlanOptions(posts=11, rule="largest_gap")),
    ("980101", PlanOptions(posts=13, rule="most_communities", departures=5, growth=True)),
    (None, PlanOptions(posts=40, rule="proportional", surplus="population", departures=3)),
]


def figures_from_queries(engine: Engine, scope: Scope, settings) -> tuple[dict, pd.DataFrame]:
    total = staffing_total(engine, scope, settings)
    communities = staffing_by_unit(engine, scope, settings, level="community")
    assessed = communities[communities["required"].notna()]
    below = int((pd.to_numeric(assessed["counted_workers"]) < settings.minimum_workers).sum())
    shown = {
        "resident_population": int(total["resident_population"]),
        "counted_workers": int(total["counted_workers"]),
        "per_10k": pytest.approx(float(total["per_10k"])),
        "required": int(total["required"]),
        "gap": int(total["gap"]),
        "net_gap": int(total["net_gap"]),
        "communities_assessed": int(total["communities_assessed"]),
        "communities_meeting": int(total["communities_meeting"]),
        "below_minimum": below,
    }
    return shown, communities


def carry_out(engine: Engine, plan, growth: bool, settings: Settings) -> dt.date:
    """Writes the plan into the database; returns the date on which to look at the result.

    Like the import, it recomputes the staffing summary of the districts it wrote in the same
    transaction (docs/architecture.md, "Summaries kept at write time").
    """
    codes = (f"N{n:07d}" for n in count(1))
    rows = plan.communities
    with engine.begin() as connection:
        for code, leaving, posts in zip(
            rows["code"], rows["departures"], rows["added"], strict=True
        ):
            leavers = select(StaffMember.staff_code).where(
                StaffMember.community_code == code, StaffMember.role == "staff"
            )
            chosen = [r[0] for r in connection.execute(leavers.order_by(StaffMember.staff_code))]
            for staff_code in chosen[: int(leaving)]:
                connection.execute(
                    update(StaffMember)
                    .where(StaffMember.staff_code == staff_code)
                    .values(end_date=AS_OF)
                )
            for _ in range(int(posts)):
                connection.execute(
                    insert(StaffMember), staff_row(next(codes), code, "staff", AS_OF)
                )
        if growth:
            projected = rows[rows["population_plan"].notna()]
            connection.execute(
                insert(CommunityPopulation),
                [
                    {
                        "community_code": c,
                        "year": YEAR + 1,
                        "resident_population": int(p),
                        "households": int(p) // 3,
                    }
                    for c, p in zip(projected["code"], projected["population_plan"], strict=True)
                ],
            )
        refresh_staffing_summary(connection, settings, affected_districts(rows["code"]))
    return AS_OF.replace(year=YEAR + 1) if growth else AS_OF


@pytest.mark.parametrize(("scope_code", "options"), SCENARIOS)
def test_plan_figures_equal_the_staffing_queries_on_the_planned_roster(
    scope_code, options, migrated_database, settings
):
    url = migrated_database("planner")
    engine = make_engine(url)
    try:
        build_planner_city(engine)
        scope = Scope(scope_code, AS_OF)
        now, communities = figures_from_queries(engine, scope, settings)
        history_rows = population_by_year(engine, scope)
        plan = make_plan(communities, options, settings, history_rows, YEAR)
        assert dataclasses.asdict(plan.now) == now
        required_now = plan.communities["required"] if not options.growth else None
        assert required_now is None or list(required_now.astype(float).fillna(-1)) == list(
            communities["required"].astype(float).fillna(-1)
        )
        as_of = carry_out(engine, plan, options.growth, settings)
        after, communities_after = figures_from_queries(engine, Scope(scope_code, as_of), settings)
        assert dataclasses.asdict(plan.after) == after
        assert list(plan.communities["counted_after"]) == [
            int(n) for n in communities_after["counted_workers"]
        ]
        assessed = communities_after["required"].notna().to_numpy()
        assert list(plan.communities["gap_after"][assessed]) == [
            int(n) for n in communities_after["gap"][assessed]
        ]
        assert plan.allocated == options.posts - plan.unallocated
    finally:
        engine.dispose()


def test_plan_by_street_and_its_chart(settings):
    from dashboard.i18n import text_in
    from dashboard.planner_charts import gap_closure_bars
    from data_access.planner import plan_by_unit

    plan = plan_for(settings, posts=40, rule="largest_gap", surplus="population")
    streets = plan_by_unit(plan.communities, 9)
    # Street 980101001: A 8 + B 8 + C 1 closed, 1 + 1 + 1 beyond; 980101002: D 12 + F 3, 3 + 1 + 1.
    assert streets.to_dict("list") == {
        "code": ["980101001", "980101002", "980102001"],
        "gap_before": [17, 15, 0],
        "added": [20, 20, 0],
        "gap_after": [0, 0, 0],
        "closed": [17, 15, 0],
        "beyond": [3, 5, 0],
    }
    zh = text_in("zh")
    figure = gap_closure_bars(streets.assign(name=["东", "西", "南"]), "标题", zh)
    names = [zh(f"planner.chart.{part}") for part in ("closed", "gap_after", "beyond")]
    *bars, labels = figure.data
    assert [bar.name for bar in bars] == names
    assert list(bars[0].y) == ["东", "西", "南"]  # largest gap first
    assert list(bars[2].x) == [3, 5, 0]
    assert all(bar.textangle == 0 for bar in bars)  # part labels read horizontally
    # Every bar ends in its posts and the gap left: 17 + 3 beyond, 15 + 5 beyond, nothing.
    assert list(labels.x) == [20, 20, 0]
    assert [text.strip() for text in labels.text] == [
        "新增 20 · 仍缺 0", "新增 20 · 仍缺 0", "新增 0 · 仍缺 0",
    ]  # fmt: skip
    without_beyond = gap_closure_bars(
        plan_by_unit(plan_for(settings, posts=3).communities, 6).assign(name=["北", "南"]),
        "标题",
        zh,
    )
    assert [bar.name for bar in without_beyond.data[:-1]] == names[:2]


def test_plan_command_writes_the_allocation(tmp_path, monkeypatch, capsysbinary):
    import csv
    import io

    from data_access.__main__ import main

    url = f"sqlite:///{tmp_path / 'planner.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    build_planner_city(engine)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    status = main(["plan", "--posts", "10", "--rule", "proportional", "--as-of", AS_OF.isoformat()])
    captured = capsysbinary.readouterr()
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(captured.out.decode("utf-8-sig"))))
    assert {row["code"]: row["added"] for row in rows if row["added"] != "0"} == {
        A: "3", B: "2", D: "4", F: "1",
    }  # fmt: skip
    assert rows[-1]["required"] == ""  # H: no population, no required headcount
    assert captured.err.decode().strip() == (
        "10 of 10 posts to 4 communities (0 unallocated); per 10,000 13.8 -> 15.5; "
        "gap 32 -> 22; meeting the standard 2 -> 2 of 7; under 9 workers 2 -> 2\n"
        "rule proportional; recommended most_communities (meeting)"
    )
    # Without --rule, the recommended rule: C 1, F 3 and A 6 close two gaps more.
    assert main(["plan", "--posts", "10", "--as-of", AS_OF.isoformat()]) == 0
    captured = capsysbinary.readouterr()
    rows = list(csv.DictReader(io.StringIO(captured.out.decode("utf-8-sig"))))
    assert {row["code"]: row["added"] for row in rows if row["added"] != "0"} == {
        A: "6", C: "1", F: "3",
    }  # fmt: skip
    assert "meeting the standard 2 -> 4 of 7" in captured.err.decode()
    # --compare writes every rule's outcome, the recommended first.
    assert main(["plan", "--posts", "10", "--compare", "--as-of", AS_OF.isoformat()]) == 0
    compared = list(csv.DictReader(io.StringIO(capsysbinary.readouterr().out.decode("utf-8-sig"))))
    assert [
        (r["rule"], r["recommended"], r["communities_meeting"], r["one_short"], r["gap_after"])
        for r in compared
    ] == [
        ("most_communities", "True", "4", "0", "22"),
        ("largest_gap", "False", "2", "1", "22"),
        ("proportional", "False", "2", "1", "22"),
    ]
    assert main(["plan", "--posts", "1", "--scope", "99x"]) == 2
    assert main(["plan", "--posts", "1", "--scope", "990199"]) == 2  # no such district


def test_the_exported_table_adds_up_in_its_total_row(settings):
    from dashboard.export import total_row

    plan = plan_for(settings, posts=10, rule="largest_gap", departures=5)
    totals = total_row(plan.communities.rename(columns={"counted_workers": "counted_before"}))
    assert {key: totals[key] for key in ("added", "departures", "gap_before", "gap_after")} == {
        "added": 10, "departures": 5, "gap_before": 36, "gap_after": 26,
    }  # fmt: skip
    assert (totals["counted_before"], totals["counted_after"]) == (85, 90)
    assert totals["resident_population"] == 58000
