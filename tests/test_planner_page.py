"""The 配备测算 page under AppTest on the planner city (tests/planner_city.py)."""

from __future__ import annotations

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


TABLES = ("planner_effect", "planner_needed", "planner_table")  # in page order


def table(at: AppTest, key: str):
    return at.dataframe[TABLES.index(key)].value


def test_city_plan_shows_the_largest_gaps_levelled(planner_url, monkeypatch):
    at = run_app(planner_url, monkeypatch, page=PAGE, month="2025-06", plan_posts=10)
    assert not at.exception
    values = metric_values(at)
    assert values["方案后每万人"] == "15.5"  # 90 / 58,000
    assert values["方案后达标社区"] == "2 / 7"
    assert values["方案后缺额"] == "22"  # 32 − 10
    assert values["方案后不足9人"] == "2"
    assert values["已分配岗位"] == "10 / 10"
    deltas = {metric.label: metric.delta for metric in at.metric}
    assert deltas["方案后每万人"] == "+1.7"  # from 13.79
    assert deltas["方案后缺额"] == "-10"
    rows = table(at, "planner_table")
    assert dict(zip(rows["名称"], rows["新增岗位"], strict=True)) == {
        "丁社区": 6, "甲社区": 2, "乙社区": 2, "己社区": 0, "丙社区": 0, "戊社区": 0,
        "庚社区": 0, "辛社区": 0,
    }  # fmt: skip
    assert list(rows["所属街道"][:3]) == ["绿水街道", "青山街道", "青山街道"]
    assert len(at.get("plotly_chart")) == 1
    needed = table(at, "planner_needed")
    assert list(needed["按现行人口"]) == ["32", "25"]
    assert list(needed["按人口趋势（明年）"]) == ["35", "27"]
    assert "1 个社区没有人口数据" in " ".join(c.value for c in at.caption)
    assert any(
        i.value.startswith("10 个新增岗位中 10 个分到 3 个社区：每万人社区工作者由 13.8 到 15.5")
        for i in at.info
    )


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
