"""The 配备测算 page under AppTest on the planner city (tests/planner_city.py)."""

from __future__ import annotations

import base64

import numpy as np
import plotly.io
import pytest
from streamlit.testing.v1 import AppTest

from data_access.db import make_engine
from data_access.schema import upgrade
from tests.planner_city import build_planner_city
from tests.test_pages import APP, metric_values, run_app

PAGE = "pages/planner.py"


@pytest.fixture(scope="module")
def planner_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('planner') / 'planner.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    build_planner_city(engine)
    engine.dispose()
    return url


TABLES = ("planner_compare", "planner_effect", "planner_needed", "planner_table")  # page order


def numbers(values: object) -> list[float]:
    """A chart's numbers as the page sends them: a list, or typed array data in base64."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def plan_warnings(at: AppTest) -> list[str]:
    """The page's own warnings, not the frame's (sign-in off)."""
    return [w.value for w in at.warning if w.icon == ":material/info:"]


def table(at: AppTest, key: str):
    return at.dataframe[TABLES.index(key)].value


def test_city_plan_opens_on_the_recommended_rule_and_compares_the_rules(planner_url, monkeypatch):
    at = run_app(planner_url, monkeypatch, page=PAGE, month="2025-06", plan_posts=10)
    assert not at.exception
    # The recommended rule is the default: C 1, F 3 and A 6 bring C and F up to the standard.
    assert at.radio[0].value == "most_communities"
    assert at.radio[0].options[1] == "达标社区最多（推荐）"
    (decision,) = at.success
    assert decision.value == (
        "若增 10 岗，按『达标社区最多』可使 4/7 个社区达标，剩余缺额 22 人，每万人社区工作者"
        " 15.5 人。 推荐『达标社区最多』：达标社区最多，比『先补缺额最大的社区』多 2 个。"
    )
    assert not plan_warnings(at)  # the chosen rule is the recommended one
    compared = table(at, "planner_compare")
    assert compared.to_dict("list") == {
        "分配规则": ["达标社区最多（推荐）", "先补缺额最大的社区", "按缺额比例分配"],
        "达标社区数": ["4 / 7", "2 / 7", "2 / 7"],
        "仅差 1 人的社区": ["0", "1", "1"],
        "剩余缺额": ["22", "22", "22"],
        "方案后每万人": ["15.5", "15.5", "15.5"],
        "分到岗位的社区": ["3", "3", "4"],
    }
    values = metric_values(at)
    assert values["方案后每万人"] == "15.5"  # 90 / 58,000
    assert values["方案后达标社区"] == "4 / 7"
    assert values["方案后缺额"] == "22"  # 32 − 10
    assert values["方案后不足9人"] == "0"  # C and F reach 9
    assert values["已分配岗位"] == "10 / 10"
    deltas = {metric.label: metric.delta for metric in at.metric}
    assert deltas["方案后每万人"] == "+1.7"  # from 13.79
    assert deltas["方案后缺额"] == "-10"
    # Where the posts go, per district first (the chart's bars), with the chart's totals.
    districts = table(at, "planner_table")
    assert districts.to_dict("list") == {
        "名称": ["北区", "南区"],
        "代码": ["980101", "980102"],
        "社区数": [6, 2],
        "分到岗位的社区": [3, 0],
        "缺额（分配前）": [32, 0],
        "新增岗位": [10, 0],
        "缺额（分配后）": [22, 0],
    }
    assert "合计 2 个区：分配前缺额 32，新增岗位 10，分配后缺额 22。" in [
        c.value for c in at.caption
    ]
    (chart,) = at.get("plotly_chart")
    *bars, ends = plotly.io.from_json(chart.proto.spec).data
    labels = {name: text.strip() for name, text in zip(ends.y, ends.text, strict=True)}
    assert labels == {"北区": "新增 10 · 仍缺 22", "南区": "新增 0 · 仍缺 0"}
    assert sum(numbers(bars[0].x)) == sum(
        districts["新增岗位"]
    )  # the posts closing gaps, none beyond
    assert "1 个社区没有应配人数" in " ".join(c.value for c in at.caption)
    assert any(
        i.value.startswith("10 个新增岗位中 10 个分到 3 个社区：每万人社区工作者由 13.8 到 15.5")
        for i in at.info
    )


def test_a_rule_the_leader_picks_is_kept_and_set_against_the_recommended(planner_url, monkeypatch):
    at = run_app(
        planner_url,
        monkeypatch,
        page=PAGE,
        month="2025-06",
        plan_posts=10,
        plan_rule="largest_gap",
        planner_level="community",
    )
    assert not at.exception
    assert at.radio[0].value == "largest_gap"
    (chosen,) = plan_warnings(at)
    assert chosen == (
        "当前选择『先补缺额最大的社区』（非推荐）：2/7 个社区达标，1 个社区仅差 1 人。"
    )
    assert table(at, "planner_compare")["分配规则"][1] == "先补缺额最大的社区（当前选择）"
    assert metric_values(at)["方案后达标社区"] == "2 / 7"
    rows = table(at, "planner_table")
    assert dict(zip(rows["名称"], rows["新增岗位"], strict=True)) == {
        "丁社区": 6, "甲社区": 2, "乙社区": 2, "己社区": 0, "丙社区": 0, "戊社区": 0,
        "庚社区": 0, "辛社区": 0,
    }  # fmt: skip
    assert list(rows["所属街道"][:3]) == ["绿水街道", "青山街道", "青山街道"]
    assert list(rows.columns[:4]) == ["所属区", "所属街道", "名称", "代码"]
    needed = table(at, "planner_needed")
    assert list(needed["按现行人口"]) == ["32", "25"]
    assert list(needed["按人口趋势（明年）"]) == ["35", "27"]


def test_district_plan_with_departures_and_growth(planner_url, monkeypatch):
    # District 980101 (A–F): 5 departures take A 1, B 1, D 2, E 1; with next year's population
    # the gaps are A 10, B 9, C 1, D 15, F 4; the smallest first: C 1, F 4, and 8 for B.
    at = run_app(
        planner_url,
        monkeypatch,
        page=PAGE,
        month="2025-06",
        district="980101",
        plan_posts=13,
        plan_rule="most_communities",
        plan_departures=5,
        plan_growth=True,
        planner_level="community",
    )
    assert not at.exception
    values = metric_values(at)
    assert values["方案后每万人"] == "14.1"  # 79 / 55,900
    assert values["方案后达标社区"] == "3 / 6"  # C, E, F
    assert values["方案后缺额"] == "26"  # A 10, B 1, D 15
    assert values["方案后不足9人"] == "0"
    rows = table(at, "planner_table").set_index("名称")
    assert rows["新增岗位"].to_dict() == {
        "乙社区": 8,
        "己社区": 4,
        "丙社区": 1,
        "丁社区": 0,
        "甲社区": 0,
        "戊社区": 0,
    }
    assert rows["预计减员"].to_dict() == {
        "乙社区": 1,
        "己社区": 0,
        "丙社区": 0,
        "丁社区": 2,
        "甲社区": 1,
        "戊社区": 1,
    }
    assert rows.loc["甲社区", "测算人口"] == 10300
    effect = table(at, "planner_effect").set_index("指标")
    assert list(effect.loc["每万人社区工作者"]) == ["12.9", "11.8", "14.1"]  # 71, 66, 79


def test_a_report_url_carries_the_plan(planner_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", planner_url)
    from dashboard import navigation

    chosen = next(spec for spec in navigation.PAGES if spec.path == PAGE)
    monkeypatch.setattr(
        navigation, "PAGES", (chosen, *(s for s in navigation.PAGES if s is not chosen))
    )
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in {
        "month": "2025-06", "plan_posts": "40", "plan_rule": "proportional",
        "plan_surplus": "population", "plan_departures": "many", "lang": "en",
    }.items():  # fmt: skip
        at.query_params[key] = value
    at.run()
    assert not at.exception
    values = metric_values(at)
    assert values["Posts allocated"] == "40 / 40"  # 32 for the gaps, 8 by population
    assert values["Gap after"] == "0"
    assert at.session_state["plan_departures"] == 0  # not a number: the default
    warnings = " ".join(w.value for w in at.warning)
    assert "8 posts were left once every gap was closed" in warnings
    assert any(i.value.startswith("40 of 40 new posts go to 6 communities") for i in at.info)


def test_community_scope_says_what_it_means(planner_url, monkeypatch):
    at = run_app(
        planner_url,
        monkeypatch,
        page=PAGE,
        month="2025-06",
        lang="en",
        district="980101",
        street="980101002",
        community="980101002003",
        plan_posts=5,
    )
    assert not at.exception
    assert "One community is chosen" in " ".join(c.value for c in at.caption)
    assert not at.get("plotly_chart")  # one community: no chart of one bar
    values = metric_values(at)
    assert values["Posts allocated"] == "3 / 5"  # F's gap is 3
    assert values["Under 9 after"] == "0"


def test_a_printed_report_states_the_assumptions_as_text(planner_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", planner_url)
    from dashboard import navigation

    chosen = next(spec for spec in navigation.PAGES if spec.path == PAGE)
    monkeypatch.setattr(
        navigation, "PAGES", (chosen, *(s for s in navigation.PAGES if s is not chosen))
    )
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in {
        "month": "2025-06", "plan_posts": "13", "plan_rule": "most_communities",
        "plan_departures": "5", "plan_growth": "1", "district": "980101", "report": "1",
    }.items():  # fmt: skip
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert not at.number_input  # widgets do not print
    pages = " ".join(element.proto.body for element in at.get("html"))
    for text in (
        "<td>新增岗位数</td><td>13</td>",
        "<td>达标社区最多</td>",
        "<td>预计减员</td><td>5</td>",
    ):
        assert text in pages
    assert metric_values(at)["方案后每万人"] == "14.1"  # the district plan of the test above
    assert "<td>乙社区</td>" in pages  # the allocation table, printed in full


def brief_run(planner_url, monkeypatch, **params: str) -> AppTest:
    monkeypatch.setenv("DATABASE_URL", planner_url)
    from dashboard import navigation

    chosen = next(spec for spec in navigation.PAGES if spec.path == PAGE)
    monkeypatch.setattr(
        navigation, "PAGES", (chosen, *(s for s in navigation.PAGES if s is not chosen))
    )
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in {"month": "2025-06", "report": "1", "plan_brief": "1", **params}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    return at


def test_the_plan_briefing_opens_with_its_conclusion(planner_url, monkeypatch):
    at = brief_run(planner_url, monkeypatch, plan_posts="10")
    assert at.title[0].value == "配备测算简报"
    assert not at.metric and not at.dataframe  # one printed page: sentences and two tables
    page = " ".join(element.proto.body for element in at.get("html"))
    assert "report-one-page" in page
    for text in (
        "<p>若增 10 岗，按『达标社区最多』可使 4/7 个社区达标，剩余缺额 22 人，每万人社区工作者"
        " 15.5 人。</p>",
        "<p>推荐『达标社区最多』：达标社区最多，比『先补缺额最大的社区』多 2 个。</p>",
        '<td>达标社区最多（推荐）</td><td class="number">4 / 7</td><td class="number">0</td>',
        '<td>北区</td><td>980101</td><td class="number">32</td><td class="number">10</td>'
        '<td class="number">22</td>',
        "合计 2 个区：分配前缺额 32，新增岗位 10，分配后缺额 22。",
    ):
        assert text in page


def test_the_plan_briefing_in_english_names_a_chosen_rule(planner_url, monkeypatch):
    at = brief_run(planner_url, monkeypatch, plan_posts="10", plan_rule="largest_gap", lang="en")
    page = " ".join(element.proto.body for element in at.get("html"))
    for text in (
        "<p>With 10 more posts, “Largest gaps first” brings 2 of 7 communities up to the"
        " standard, leaves a gap of 22 and gives 15.5 workers per 10,000.</p>",
        "<p>Recommended: “Most communities up to standard”, which brings the most communities"
        " up to the standard, 2 more than “Largest gaps first”.</p>",
        "<p>Chosen: “Largest gaps first”, not the recommended rule: 2 of 7 communities meet the"
        " standard; communities one worker short: 1.</p>",
    ):
        assert text in page
