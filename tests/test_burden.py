"""Burden reduction (docs/metrics.md §4) on the hand-checked city of tests/burden_city.py: queries, export, page."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from dashboard.burden_charts import burden_trend
from dashboard.i18n import text_in
from data_access.db import make_engine
from data_access.figures.burden import (
    REDUCTION_COLUMNS,
    area_per_community,
    by_category,
    categories_without_data,
    category_table,
    not_ranked,
    reductions,
    reductions_by_unit,
    total_of,
    unit_category_table,
    unit_rebounds,
    unit_reductions,
    unit_table,
)
from data_access.models import BURDEN_CATEGORIES
from data_access.queries.burden import community_rebounds, monthly_series, unit_series
from data_access.queries.hierarchy import units
from data_access.schema import upgrade
from data_access.scope import Scope
from tests.burden_city import AS_OF, FIRST, A, B, C, build_burden_city, burden_values, month
from tests.test_cli_export import run_export as run_cli_export
from tests.test_pages import metric_values, run_app


@pytest.fixture(scope="module")
def burden_city_url(databases) -> str:
    """The hand-checked burden city, once per backend (SQLite, PostgreSQL, MariaDB)."""
    url = databases.new("burden_city")
    engine = make_engine(url)
    upgrade(engine)
    build_burden_city(engine)
    engine.dispose()
    return url


@pytest.fixture
def burden_city(burden_city_url: str) -> Iterator[Engine]:
    engine = make_engine(burden_city_url)
    yield engine
    engine.dispose()


def figures(frame: pd.DataFrame, code: str, category: str) -> dict[str, object]:
    """One row of reductions() as plain values, NaN as None, for exact comparison."""
    row = frame[(frame["code"] == code) & (frame["category"] == category)].iloc[0]
    plain = {
        key: value.item() if isinstance(value, np.generic) else value
        for key, value in row.drop(["code", "category"]).items()
    }
    return {
        key: None if isinstance(value, float) and math.isnan(value) else value
        for key, value in plain.items()
    }


def test_street_series_is_the_sum_of_what_its_communities_reported(burden_city):
    series = unit_series(burden_city, Scope("990101", AS_OF), "street")
    work = series[(series["code"] == "990101001") & (series["category"] == "work_items")]
    by_month = dict(zip(work["period"], work["value"], strict=True))
    assert by_month[month(2024, 1)] == 100
    assert by_month[month(2024, 3)] == 50  # A did not report in March
    assert by_month[month(2025, 6)] == 76
    assert month(2025, 7) not in by_month  # after the as-of date
    assert len(by_month) == 18
    assert set(series["code"]) == {"990101001", "990101002"}


def test_community_rebounds_while_its_street_does_not(burden_city, settings):
    scope = Scope("990101001", AS_OF)
    communities = reductions(unit_series(burden_city, scope, "community"), AS_OF, settings)
    assert figures(communities, A, "work_items") == {
        "baseline_period": month(2024, 1),
        "baseline": 50.0,
        "current_period": month(2025, 6),
        "current": 36.0,
        "reduction": 0.28,
        "window_min": 30.0,
        "rebound": True,
    }
    assert figures(communities, B, "work_items") == {
        "baseline_period": month(2024, 1),
        "baseline": 50.0,
        "current_period": month(2025, 6),
        "current": 40.0,
        "reduction": 0.2,
        "window_min": 50.0,
        "rebound": False,
    }
    streets = reductions(unit_series(burden_city, scope, "street"), AS_OF, settings)
    assert figures(streets, "990101001", "work_items") == {
        "baseline_period": month(2024, 1),
        "baseline": 100.0,
        "current_period": month(2025, 6),
        "current": 76.0,
        "reduction": 0.24,
        "window_min": 80.0,
        "rebound": False,
    }


def test_current_is_each_series_own_latest_month_up_to_the_as_of_date(burden_city, settings):
    scope = Scope("990101", AS_OF)
    communities = unit_reductions(burden_city, scope, "community", settings)
    assert figures(communities, C, "work_items") == {
        "baseline_period": month(2024, 1),
        "baseline": 25.0,
        "current_period": month(2025, 4),  # its July figure of 99 is after the as-of date
        "current": 12.0,
        "reduction": 0.52,
        "window_min": 8.0,  # lowest of 2024-04 … 2025-03
        "rebound": True,
    }
    districts = unit_reductions(burden_city, Scope(None, AS_OF), "district", settings)
    assert figures(districts, "990101", "work_items") == {
        "baseline_period": month(2024, 1),
        "baseline": 125.0,
        "current_period": month(2025, 6),
        "current": 76.0,
        "reduction": 0.392,
        "window_min": 80.0,
        "rebound": False,
    }
    assert "990102" not in set(districts["code"])  # a district that reports nothing has no series


def test_zero_baseline_leaves_the_reduction_empty(burden_city, settings):
    streets = unit_reductions(burden_city, Scope("990101", AS_OF), "street", settings)
    assert figures(streets, "990101001", "forms") == {
        "baseline_period": month(2024, 1),
        "baseline": 0.0,
        "current_period": month(2025, 6),
        "current": 3.0,
        "reduction": None,
        "window_min": None,
        "rebound": False,
    }


def test_rebound_at_exactly_ten_percent(burden_city, settings):
    communities = unit_reductions(burden_city, Scope("990101001", AS_OF), "community", settings)
    meetings = figures(communities, B, "meetings")
    assert (meetings["window_min"], meetings["current"], meetings["rebound"]) == (20.0, 22.0, True)
    assert meetings["reduction"] == pytest.approx(8 / 30, rel=1e-12)
    stricter = dataclasses.replace(settings, rebound_min_pct=10.5)
    again = unit_reductions(burden_city, Scope("990101001", AS_OF), "community", stricter)
    assert figures(again, B, "meetings")["rebound"] is False


def test_chosen_baseline_month(burden_city, settings):
    scope = Scope("990101", AS_OF)
    february = unit_reductions(burden_city, scope, "street", settings, month(2024, 2))
    assert figures(february, "990101001", "work_items")["baseline"] == 90.0
    assert figures(february, "990101001", "work_items")["reduction"] == pytest.approx(
        14 / 90, rel=1e-12
    )
    assert figures(february, "990101002", "work_items")["baseline"] is None  # C skipped February
    assert figures(february, "990101002", "work_items")["reduction"] is None
    march = unit_reductions(burden_city, scope, "street", settings, month(2024, 3))
    assert figures(march, "990101001", "work_items")["baseline"] == 50.0  # A did not report
    assert figures(march, "990101001", "work_items")["reduction"] == -0.52


def test_scope_total_equals_the_sum_of_its_units(burden_city):
    scope = Scope("990101", AS_OF)
    from_units = total_of(unit_series(burden_city, scope, "street"))
    assert from_units.equals(monthly_series(burden_city, scope))
    work = from_units[from_units["category"] == "work_items"]
    assert list(work["value"])[:4] == [125, 90, 68, 90]


def test_community_rebounds_use_each_communitys_latest_month(burden_city, settings):
    rebounds = community_rebounds(burden_city, Scope(None, AS_OF), settings)
    assert list(
        zip(rebounds["community_code"], rebounds["category"], rebounds["period"], strict=True)
    ) == [
        (A, "work_items", month(2025, 6)),
        (C, "work_items", month(2025, 4)),
        (B, "meetings", month(2025, 6)),
    ]
    assert list(rebounds["window_min"]) == [30, 8, 20]
    assert list(rebounds["current"]) == [36, 12, 22]


def test_reductions_as_of_an_earlier_month(burden_city, settings):
    earlier = Scope("990101", month(2025, 5))
    streets = unit_reductions(burden_city, earlier, "street", settings)
    assert figures(streets, "990101001", "work_items")["current"] == 80.0
    assert figures(streets, "990101001", "work_items")["reduction"] == 0.2
    assert figures(streets, "990101001", "forms")["current_period"] == month(2024, 1)


def test_area_figures_by_category_are_those_of_its_summed_series(burden_city, settings):
    scope = Scope("990101", AS_OF)
    rows = by_category(unit_series(burden_city, scope, "street"), AS_OF, settings)
    work = rows.assign(code="990101")
    assert figures(work, "990101", "work_items") == {
        "baseline_period": month(2024, 1),
        "baseline": 125.0,
        "current_period": month(2025, 6),
        "current": 76.0,
        "reduction": 0.392,
        "window_min": 80.0,
        "rebound": False,
    }
    # The district's own row of the district level, category by category.
    district = unit_reductions(burden_city, Scope(None, AS_OF), "district", settings)
    mine = district[district["code"] == "990101"].drop(columns="code").reset_index(drop=True)
    assert rows.equals(mine)
    assert list(category_table(rows)["category"]) == ["work_items", "forms", "meetings"]
    a_year_earlier = by_category(
        unit_series(burden_city, scope, "street"), month(2024, 6), settings
    )
    assert figures(a_year_earlier.assign(code=""), "", "work_items")["current"] == 90.0


def test_unit_table_has_every_unit_and_category(burden_city, settings):
    scope = Scope("990101", AS_OF)
    table = unit_table(burden_city, scope, "street", settings)
    assert list(table.columns) == ["code", "name", "category", *REDUCTION_COLUMNS]
    assert len(table) == 20  # two streets × ten categories, reported or not
    assert list(table["category"][:3]) == ["work_items", "certificates", "forms"]
    assert figures(table, "990101001", "work_items") == {
        "name": "一街道",
        "baseline_period": month(2024, 1),
        "baseline": 100.0,
        "current_period": month(2025, 6),
        "current": 76.0,
        "reduction": 0.24,
        "window_min": 80.0,
        "rebound": False,
    }
    assert figures(table, "990101002", "signboards") == {
        "name": "二街道",
        **{column: None for column in REDUCTION_COLUMNS},
    }
    assert (not_ranked(table, "work_items"), not_ranked(table, "forms")) == (0, 2)
    assert not_ranked(table, "meetings") == 1  # B's street only
    # The page builds it from the per-unit figures it already has: the same table.
    found = reductions_by_unit(
        unit_series(burden_city, scope, "street"), units(burden_city), AS_OF, settings
    )
    assert set(found["name"]) == {"一街道", "二街道"}
    assert unit_category_table(units(burden_city), found, scope, "street").equals(table)


def test_unit_rebounds_largest_rise_first(burden_city, settings):
    scope = Scope("990101", AS_OF)
    found = reductions_by_unit(
        unit_series(burden_city, scope, "community"), units(burden_city), AS_OF, settings
    )
    rebounds = unit_rebounds(found)
    assert list(zip(rebounds["code"], rebounds["category"], rebounds["rise"], strict=True)) == [
        (A, "work_items", 6.0),
        (C, "work_items", 4.0),
        (B, "meetings", 2.0),
    ]
    assert list(rebounds["name"]) == ["甲社区", "丙社区", "乙社区"]


def run_export(monkeypatch, capsysbinary, url: str, *args: str) -> list[dict[str, str]]:
    status, rows, _ = run_cli_export(monkeypatch, capsysbinary, url, "burden", *args)
    assert status == 0
    return rows


def test_export_by_street(burden_city_url, monkeypatch, capsysbinary):
    rows = run_export(
        monkeypatch, capsysbinary, burden_city_url,
        "--level", "street", "--scope", "990101", "--as-of", AS_OF.isoformat(),
    )  # fmt: skip
    assert list(rows[0]) == [
        "code", "name", "category", "baseline_period", "baseline", "current_period", "current",
        "reduction_pct", "rebound",
    ]  # fmt: skip
    assert len(rows) == 20  # two streets × ten categories
    assert [row["category"] for row in rows[:3]] == ["work_items", "certificates", "forms"]
    by_key = {(row["code"], row["category"]): row for row in rows}
    assert by_key["990101001", "work_items"] == {
        "code": "990101001",
        "name": "一街道",
        "category": "work_items",
        "baseline_period": "2024-01",
        "baseline": "100",
        "current_period": "2025-06",
        "current": "76",
        "reduction_pct": "24.0",
        "rebound": "false",
    }
    assert by_key["990101001", "forms"]["baseline"] == "0"
    assert by_key["990101001", "forms"]["reduction_pct"] == ""  # empty, not 0
    assert by_key["990101002", "work_items"]["current_period"] == "2025-04"
    assert by_key["990101002", "work_items"]["rebound"] == "true"
    assert by_key["990101002", "signboards"] == {
        "code": "990101002",
        "name": "二街道",
        "category": "signboards",
        "baseline_period": "",
        "baseline": "",
        "current_period": "",
        "current": "",
        "reduction_pct": "",
        "rebound": "false",
    }


def test_export_of_communities_across_the_city(burden_city_url, monkeypatch, capsysbinary):
    rows = run_export(
        monkeypatch, capsysbinary, burden_city_url,
        "--level", "community", "--as-of", AS_OF.isoformat(),
    )  # fmt: skip
    assert len(rows) == 40
    work = {row["code"]: row for row in rows if row["category"] == "work_items"}
    assert [work[code]["rebound"] for code in (A, B, C)] == ["true", "false", "true"]
    assert float(work[A]["reduction_pct"]) == 28.0
    assert work["990102001001"]["current"] == ""  # D reports nothing
    meetings = next(r for r in rows if r["code"] == B and r["category"] == "meetings")
    assert float(meetings["reduction_pct"]) == 800 / 30  # unrounded


@pytest.mark.slow
def test_page_at_district_scope(burden_city_url, monkeypatch):
    at = run_app(
        burden_city_url, monkeypatch, page="pages/burden.py", month="2025-06", district="990101"
    )
    assert not at.exception
    values = metric_values(at)
    assert values["工作事项精简率"] == "39.2%"
    assert values["报表精简率"] == "—"  # baseline 0
    # Streets: 二街道's work items (C alone) and 一街道's meetings (B alone), not 一街道's work items.
    assert [tab.label for tab in at.tabs] == ["街道层面（2）", "社区层面（3个社区，3项）"]
    streets = at.dataframe[-1].value  # every street × category
    assert len(streets) == 20
    work = streets[(streets["代码"] == "990101001") & (streets["类别"] == "工作事项")].iloc[0]
    assert (work["基期值"], work["当前值"], work["精简率"], work["反弹"]) == (
        100,
        76,
        24.0,
        "否",
    )


@pytest.mark.slow
def test_page_with_a_chosen_baseline_month(burden_city_url, monkeypatch):
    at = run_app(
        burden_city_url, monkeypatch, page="pages/burden.py", lang="en", month="2025-06",
        district="990101", street="990101001", burden_baseline=month(2024, 2),
    )  # fmt: skip
    assert not at.exception
    values = metric_values(at)
    assert values["Work items reduced"] == "15.6%"  # 90 → 76
    assert [tab.label for tab in at.tabs] == [
        "By community (2 communities, 2 series)"
    ]  # A's work items, B's meetings


@pytest.mark.slow
def test_page_unit_table_equals_the_export(burden_city_url, monkeypatch, capsysbinary):
    rows = run_export(
        monkeypatch, capsysbinary, burden_city_url,
        "--level", "street", "--scope", "990101", "--as-of", AS_OF.isoformat(),
    )  # fmt: skip
    at = run_app(
        burden_city_url, monkeypatch, page="pages/burden.py", lang="en", month="2025-06",
        district="990101",
    )  # fmt: skip
    assert not at.exception
    shown = at.dataframe[-1].value
    assert len(shown) == len(rows) == 20
    names = {"Work items": "work_items", "Forms": "forms", "Meetings": "meetings"}

    def shown_as_text(value: object) -> str:
        """A page cell as the CSV writes it: empty when missing, counts without decimals."""
        if value is None or pd.isna(value):
            return ""
        if isinstance(value, dt.date):  # a month: words on the page (Jan 2024), 2024-01 in a CSV
            return f"{value:%Y-%m}"
        return str(value)

    for (_, page_row), csv_row in zip(shown.iterrows(), rows, strict=True):
        page = {column: shown_as_text(value) for column, value in page_row.items()}
        assert page["Code"] == csv_row["code"]
        assert page["Name"] == csv_row["name"]
        assert names.get(page["Category"], csv_row["category"]) == csv_row["category"]
        assert page["Baseline month"] == csv_row["baseline_period"]
        assert page["Current month"] == csv_row["current_period"]
        assert page["Baseline"] == csv_row["baseline"]
        assert page["Current"] == csv_row["current"]
        pct = csv_row["reduction_pct"]
        assert page["Reduction"] == (str(round(float(pct), 1)) if pct else "")
        assert page["Rebound"] == ("Yes" if csv_row["rebound"] == "true" else "No")
    work = shown[(shown["Code"] == "990101002") & (shown["Category"] == "Work items")].iloc[0]
    assert (work["Current"], work["Reduction"], work["Rebound"]) == (12, 52.0, "Yes")


# --- the average per community (docs/metrics.md §4) ----------------------------------------------


def mean_reported(category: str, period: dt.date, prefix: str = "") -> tuple[int, float] | None:
    """The communities under `prefix` with a record of `category` in `period`, and the mean of
    their values, worked from the fixture's own table, not through the database; None when none
    has a record."""
    values = [
        months[period]
        for (code, name), months in burden_values().items()
        if name == category and code.startswith(prefix) and period in months
    ]
    return (len(values), sum(values) / len(values)) if values else None


@pytest.mark.parametrize(
    ("scope", "baseline_month"),
    [(None, None), ("990101", None), ("990101001", None), ("990101001", month(2024, 3))],
)
def test_average_per_community_divides_by_the_communities_reporting_that_month(
    burden_city, settings, scope, baseline_month
):
    rows = area_per_community(burden_city, Scope(scope, AS_OF), settings, baseline_month)
    rows = rows.set_index("category")
    for category in ("work_items", "forms", "meetings"):
        row = rows.loc[category]
        baseline = baseline_month or FIRST  # every series here starts in January 2024
        expected = {
            "baseline": mean_reported(category, baseline, scope or ""),
            "current": mean_reported(category, month(2025, 6), scope or ""),
        }
        for side, reported in expected.items():
            if reported is None:  # no record that month: no average, not 0
                assert pd.isna(row[f"{side}_communities"]), (category, side)
                assert pd.isna(row[f"{side}_per_community"]), (category, side)
                continue
            communities, mean = reported
            assert row[f"{side}_communities"] == communities, (category, side)
            assert row[f"{side}_per_community"] == pytest.approx(mean, rel=1e-12), (category, side)
    work = rows.loc["work_items"]
    if baseline_month is None and scope != "990101001":  # 东区 and the city: A, B and C, then A, B
        assert (work["baseline"], work["baseline_communities"]) == (125, 3)
        assert work["baseline_per_community"] == pytest.approx(125 / 3, rel=1e-12)
        assert (work["current"], work["current_communities"], work["current_per_community"]) == (
            76, 2, 38.0,
        )  # fmt: skip
    if baseline_month is not None:  # March 2024: A did not report, B's 50 alone
        assert (work["baseline"], work["baseline_communities"]) == (50, 1)
        assert work["baseline_per_community"] == 50.0


def test_a_month_without_a_record_has_no_average(burden_city, settings):
    rows = area_per_community(burden_city, Scope("990101002", AS_OF), settings, month(2024, 2))
    work = rows.set_index("category").loc["work_items"]  # C reported nothing in February 2024
    assert pd.isna(work["baseline"]) and pd.isna(work["baseline_per_community"])
    assert pd.isna(work["baseline_communities"])
    assert (work["current_period"], work["current_per_community"]) == (month(2025, 4), 12.0)


def test_categories_without_data_are_named_not_drawn(burden_city):
    series = monthly_series(burden_city, Scope("990101", AS_OF))
    missing = categories_without_data(series)
    assert missing == [
        "certificates", "signboards", "mechanisms", "inspections", "ledgers", "apps",
        "creation_tasks",
    ]  # fmt: skip
    figure = burden_trend(series, series.head(0), "东区", "2025年6月", text_in("zh"))
    titles = [annotation.text for annotation in figure.layout.annotations]
    assert titles == ["工作事项", "报表", "会议"]  # in model order, no empty panel
    assert not categories_without_data(
        pd.concat([series.assign(category=c) for c in BURDEN_CATEGORIES])
    )


@pytest.mark.slow
def test_page_shows_the_average_per_community_beside_the_sums(burden_city_url, monkeypatch):
    at = run_app(
        burden_city_url, monkeypatch, page="pages/burden.py", month="2025-06", district="990101"
    )
    assert not at.exception
    captions = [caption.value for caption in at.caption]
    # Under the cards: work items 125 / 3 → 76 / 2, forms 0 / 1 → 3 / 1, meetings 30 → 22.
    assert {"每社区 41.7 → 38.0", "每社区 0.0 → 3.0", "每社区 30.0 → 22.0"} <= set(captions)
    assert (
        "以下类别截至 2025年6月 没有数据：证明事项、挂牌、工作机制/机构、检查考评、台账、"
        "政务App/信息系统、创建达标。"
    ) in captions
    table = at.dataframe[0].value  # by category
    work = table[table["类别"] == "工作事项"].iloc[0]
    assert (work["基期值"], work["当前值"]) == (125, 76)
    assert (work["基期每社区"], work["当前每社区"]) == (41.7, 38.0)
    assert (work["基期填报社区数"], work["当前填报社区数"]) == (3, 2)
    trend = json.loads(at.get("plotly_chart")[0].proto.spec)
    titles = [a["text"] for a in trend["layout"]["annotations"]]
    assert titles == [
        "工作事项<br><span style='font-size:11px'>每社区 41.7 → 38.0</span>",
        "报表<br><span style='font-size:11px'>每社区 0.0 → 3.0</span>",
        "会议<br><span style='font-size:11px'>每社区 30.0 → 22.0</span>",
    ]


@pytest.mark.slow
def test_overview_and_briefing_show_the_average_per_community(burden_city_url, monkeypatch):
    overview = run_app(
        burden_city_url, monkeypatch, page="pages/overview.py", lang="en", month="2025-06",
        district="990101",
    )  # fmt: skip
    assert not overview.exception
    captions = [caption.value for caption in overview.caption]
    assert "Per community 41.7 → 38.0" in captions  # work items, a main category
    assert "Per community 0.0 → 3.0" in captions  # forms
    briefing = run_app(
        burden_city_url, monkeypatch, page="pages/briefing.py", month="2025-06", district="990101"
    )
    assert not briefing.exception
    cards = next(e.proto.body for e in briefing.get("html") if "briefing-cards" in e.proto.body)
    assert '<div class="note">每社区 41.7 → 38.0</div>' in cards
    community = run_app(
        burden_city_url, monkeypatch, page="pages/overview.py", month="2025-06",
        district="990101", street="990101001", community=A,
    )  # fmt: skip
    assert not community.exception  # a community's own figures: no average of one
    assert not [c.value for c in community.caption if c.value.startswith("每社区")]
