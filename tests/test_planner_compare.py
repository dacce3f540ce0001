"""The planner's rules side by side, the recommendation, the allocation per level and the plan's
files, on the planner city of tests/planner_city.py.

Gaps there: A 8, B 8, C 1, D 12, F 3 (E and G meet the standard, H has no population), 32 in
all, 7 communities assessed. Each rule's outcome is worked out again below by plain loops.
"""

from __future__ import annotations

import csv
import io
from fractions import Fraction

import openpyxl
import pandas as pd
import pytest

from dashboard.i18n import text_in
from dashboard.planner_charts import gap_closure_bars
from dashboard.planner_export import columns_for, plan_csv, plan_workbook
from data_access.planner import (
    RULES,
    PlanOptions,
    allocation,
    compare_rules,
    make_plan,
    plan_by_unit,
    unassessed,
)
from data_access.scope import CODE_LENGTH
from tests.planner_city import COMMUNITIES, DISTRICTS, STREETS, A, B, C, D, E, F, G, H
from tests.test_planner import YEAR, community_frame, history

GAPS = {A: 8, B: 8, C: 1, D: 12, F: 3}  # the assessed communities with a gap
MEETING_NOW = 2  # E and G
ASSESSED = 7
NAMES = {code: name for code, name, *_ in (*DISTRICTS, *STREETS, *COMMUNITIES)}


def by_hand(gaps: dict[str, int], posts: int, rule: str) -> dict[str, int]:
    """Posts per community under a rule, one post or one community at a time."""
    given = dict.fromkeys(gaps, 0)
    if posts >= sum(gaps.values()):
        return dict(gaps)
    if rule == "largest_gap":
        for _ in range(posts):
            left = {code: gaps[code] - given[code] for code in gaps}
            chosen = min(left, key=lambda code: (-left[code], code))
            given[chosen] += 1
    elif rule == "most_communities":
        for code in sorted(gaps, key=lambda code: (gaps[code], code)):
            given[code] = min(gaps[code], posts)
            posts -= given[code]
    else:
        total = sum(gaps.values())
        quotas = {code: Fraction(posts * gap, total) for code, gap in gaps.items()}
        given = {code: int(quota) for code, quota in quotas.items()}
        rest = posts - sum(given.values())
        for code in sorted(quotas, key=lambda code: (-(quotas[code] - given[code]), code))[:rest]:
            given[code] += 1
    return given


def outcome_by_hand(posts: int, rule: str) -> tuple[int, int, int]:
    """(communities meeting, gap left, communities left exactly one short)."""
    given = by_hand(GAPS, posts, rule)
    left = [GAPS[code] - given[code] for code in GAPS]
    return MEETING_NOW + left.count(0), sum(left), left.count(1)


@pytest.mark.parametrize("posts", [0, 1, 2, 10, 13, 31, 32, 40])
def test_each_rule_outcome_equals_the_allocation_by_hand(posts, settings):
    comparison = compare_rules(
        community_frame(), PlanOptions(posts=posts), settings, history(), YEAR
    )
    for outcome in comparison.outcomes:
        assert (outcome.communities_meeting, outcome.gap_after, outcome.one_short) == (
            outcome_by_hand(posts, outcome.rule)
        ), outcome.rule
        assert outcome.communities_assessed == ASSESSED
        given = by_hand(GAPS, posts, outcome.rule)
        assert outcome.receiving == sum(1 for n in given.values() if n)
    assert sorted(outcome.rule for outcome in comparison.outcomes) == sorted(RULES)


def test_ten_posts_compared(settings):
    # largest_gap: A 2, B 2, D 6 → C stays one short; most_communities: C 1, F 3, A 6 → C and F
    # meet; proportional: A 3, B 2, D 4, F 1 → C one short. Every rule leaves 32 − 10 = 22.
    comparison = compare_rules(community_frame(), PlanOptions(posts=10), settings, history(), YEAR)
    frame = comparison.frame()
    assert frame[["rule", "recommended", "communities_meeting", "gap_after", "one_short"]].to_dict(
        "list"
    ) == {
        "rule": ["most_communities", "largest_gap", "proportional"],
        "recommended": [True, False, False],
        "communities_meeting": [4, 2, 2],
        "gap_after": [22, 22, 22],
        "one_short": [0, 1, 1],
    }
    assert list(frame["per_10k"]) == pytest.approx([90 / 58000 * 10000] * 3)
    assert list(frame["receiving"]) == [3, 3, 4]
    assert (comparison.recommended, comparison.decided_by) == ("most_communities", "meeting")
    assert comparison.runner_up.rule == "largest_gap"  # tied with proportional, earlier in RULES


@pytest.mark.parametrize(
    ("posts", "recommended", "decided_by"),
    [
        (2, "most_communities", "meeting"),  # C 1 and F 1: 3 meeting, against 2
        # 31 posts: every rule leaves one gap of 1 (D under most_communities and proportional,
        # F under largest_gap), 6 meeting: the first rule in the list.
        (31, "largest_gap", "order"),
        (40, "largest_gap", "same"),  # every gap closed, whatever the rule
        (0, "largest_gap", "same"),
    ],
)
def test_the_recommendation_and_what_decided_it(posts, recommended, decided_by, settings):
    comparison = compare_rules(
        community_frame(), PlanOptions(posts=posts), settings, history(), YEAR
    )
    assert (comparison.recommended, comparison.decided_by) == (recommended, decided_by)


def test_fewer_one_short_decides_between_rules_that_bring_as_many_to_the_standard(settings):
    # Gaps X 1, Y 3, Z 3 and 3 posts: most_communities closes X and leaves Y one short;
    # proportional (quotas 3/7, 9/7, 9/7) gives X, Y and Z one each: X meets, none one short;
    # largest_gap levels Y and Z to 1 and X stays at 1: none meets.
    codes = ["980101001001", "980101001002", "980101001003"]
    frame = pd.DataFrame(
        {
            "code": codes,
            "name": ["X", "Y", "Z"],
            "resident_population": [10000] * 3,  # 18 required each
            "counted_workers": [17, 15, 15],
        }
    )
    comparison = compare_rules(frame, PlanOptions(posts=3), settings)
    assert [(o.rule, o.communities_meeting, o.one_short) for o in comparison.outcomes] == [
        ("proportional", 1, 0),
        ("most_communities", 1, 1),
        ("largest_gap", 0, 2),
    ]
    assert comparison.decided_by == "one_short"


def test_a_community_without_a_required_headcount_gets_no_posts(settings):
    # B keeps its 10,000 residents but has no required headcount (as an unassessed village):
    # largest gaps first levels D 12 and A 8 to 5 with the 10 posts.
    frame = community_frame()
    frame["required"] = [18, None, 9, 36, 11, 9, 9, None]
    plan = make_plan(frame, PlanOptions(posts=10), settings, history(), YEAR)
    added = dict(zip(plan.communities["code"], plan.communities["added"], strict=True))
    assert {code: n for code, n in added.items() if n} == {A: 3, D: 7}
    assert plan.after.communities_assessed == plan.now.communities_assessed == 6
    assert (plan.now.gap, plan.after.gap) == (24, 14)
    assert plan.now.per_10k == pytest.approx(80 / 58000 * 10000)  # B's workers and residents count
    assert pd.isna(plan.communities.set_index("code").loc[B, "gap_before"])
    assert unassessed(frame) == 2  # B and H
    comparison = compare_rules(frame, PlanOptions(posts=40), settings, history(), YEAR)
    assert all(
        plan.communities.set_index("code").loc[B, "added"] == 0
        for plan in comparison.plans.values()
    )


def test_every_level_of_the_allocation_adds_up_to_the_plan_and_the_chart(settings):
    plan = compare_rules(community_frame(), PlanOptions(posts=10), settings, history(), YEAR).plans[
        "most_communities"
    ]
    for level in ("district", "street", "community"):
        rows = allocation(plan.communities, level, NAMES, CODE_LENGTH)
        assert int(rows["added"].sum()) == plan.allocated == 10
        assert int(rows["gap_before"].sum()) == plan.without_posts.gap == 32
        assert int(rows["gap_after"].sum()) == plan.after.gap == 22
        units = plan_by_unit(plan.communities, CODE_LENGTH[level]).assign(name="")
        chart = gap_closure_bars(units, "", text_in("zh"))
        closed, _, labels = chart.data
        assert sum(closed.x) == int(rows["added"].sum())  # no posts beyond the gaps here
        assert len(labels.text) == len(rows)  # every bar labelled
    streets = allocation(plan.communities, "street", NAMES, CODE_LENGTH)
    assert streets.to_dict("list") == {
        "district_name": ["北区", "北区", "南区"],
        "name": ["青山街道", "绿水街道", "白云街道"],
        "code": ["980101001", "980101002", "980102001"],
        "communities": [3, 3, 2],
        "receiving": [2, 1, 0],
        "gap_before": [17, 15, 0],
        "added": [7, 3, 0],
        "gap_after": [10, 12, 0],
    }
    communities = allocation(plan.communities, "community", NAMES, CODE_LENGTH)
    assert list(communities["code"]) == [A, F, C, D, B, E, G, H]  # most posts, then gap left
    assert list(communities.columns[:7]) == [
        "district_name", "street_name", "name", "code", "gap_before", "added", "gap_after",
    ]  # fmt: skip
    assert list(communities["street_name"][:3]) == ["青山街道", "绿水街道", "青山街道"]


def test_the_plan_csv_has_every_community_under_the_table_headers(settings):
    plan = compare_rules(community_frame(), PlanOptions(posts=10), settings, history(), YEAR).plans[
        "most_communities"
    ]
    rows = columns_for(
        allocation(plan.communities, "community", NAMES, CODE_LENGTH), PlanOptions(posts=10)
    )
    data = plan_csv(rows, text_in("zh"))
    assert data.startswith("\ufeff".encode())  # Excel on Chinese Windows reads it as UTF-8
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == [
        "所属区", "所属街道", "名称", "代码", "缺额（分配前）", "新增岗位", "缺额（分配后）",
        "现有社区工作者", "测算后社区工作者", "应配人数", "常住人口",
    ]  # fmt: skip
    assert table[1] == ["北区", "青山街道", "甲社区", A, "8", "6", "2", "10", "16", "18", "10000"]
    assert table[-1] == ["南区", "白云街道", "辛社区", H, "", "0", "", "5", "5", "", ""]
    assert len(table) == 1 + len(COMMUNITIES)
    assert sum(int(row[5]) for row in table[1:]) == 10
    # Written when clicked, after the page's run: in the language the page bound, not the default.
    english = list(csv.reader(io.StringIO(plan_csv(rows, text_in("en")).decode("utf-8-sig"))))
    assert english[0][:7] == [
        "District", "Street", "Name", "Code", "Gap before", "New posts", "Gap after",
    ]  # fmt: skip


def test_the_plan_workbook_holds_the_rules_and_every_level(settings):
    options = PlanOptions(posts=10)
    comparison = compare_rules(community_frame(), options, settings, history(), YEAR)
    plan = comparison.plans[comparison.recommended]
    units = allocation(plan.communities, "district", NAMES, CODE_LENGTH)
    communities = allocation(plan.communities, "community", NAMES, CODE_LENGTH)
    data = plan_workbook(
        comparison, units, "district", communities, "全市", {"新增岗位数": "10"}, text_in("zh")
    )
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["规则对比", "按区分配", "按社区分配", "筛选条件"]
    rules = [[cell.value for cell in row] for row in book["规则对比"].iter_rows(min_row=4)]
    assert [row[:6] for row in rules] == [
        ["达标社区最多", "是", 4, 7, 22, 0],
        ["先补缺额最大的社区", None, 2, 7, 22, 1],
        ["按缺额比例分配", None, 2, 7, 22, 1],
    ]
    districts = [[cell.value for cell in row] for row in book["按区分配"].iter_rows(min_row=4)]
    assert districts == [
        ["北区", "980101", 6, 3, 32, 10, 22],
        ["南区", "980102", 2, 0, 0, 0, 0],
        ["合计", None, 8, 3, 32, 10, 22],  # the total row: the chart's and the plan's totals
    ]
    assert book["筛选条件"]["A2"].value == "新增岗位数"
