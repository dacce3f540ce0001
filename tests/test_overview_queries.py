"""Grid staffing and burden figures of the Overview on the small hand-checked city."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import insert

from data_access.db import make_engine
from data_access.figures.burden import main_reductions, reduction_of, reductions_by_category
from data_access.figures.overview import (
    RANKING_COLUMNS,
    ReboundCounts,
    far_below_alerts,
    far_below_list,
    headline_facts,
    month_earlier,
    ranking,
    ranking_of,
    rebound_alerts,
    rebound_counts,
    rebound_list,
    unstaffed_alerts,
    unstaffed_list,
)
from data_access.figures.staffing import staffing_by_unit as staffing_figure
from data_access.models import BurdenRecord
from data_access.queries.burden import community_rebounds, monthly_series
from data_access.queries.grids import (
    grid_list,
    grid_staffing_by_unit,
    grid_staffing_total,
    unstaffed_grids,
)
from data_access.queries.hierarchy import data_months, units
from data_access.queries.staffing import communities_far_below
from data_access.scope import Scope
from tests.small_city import AS_OF, build_small_city, refresh_all_summaries
from tests.test_cli_export import run_export
from tests.test_pages import run_app

C1 = "990101001001"


def test_grid_staffing_counts_active_grid_workers_only(small_city):
    total = grid_staffing_total(small_city, Scope(None, AS_OF))
    assert total["grids"] == 4
    assert total["staffed_grids"] == 2  # 001 full-time, 002 part-time; 003's worker has left
    assert total["fulltime_staffed_grids"] == 1
    assert total["staffed_rate"] == pytest.approx(0.5)
    assert list(unstaffed_grids(small_city, Scope(None, AS_OF))["code"]) == [
        "990101001001003",  # 600 households, listed before the dedicated grid without any
        "990101001002001",
    ]


def test_grid_staffing_by_street_and_grid_list(small_city):
    rows = grid_staffing_by_unit(small_city, Scope("990101", AS_OF)).set_index("code")
    assert rows.loc["990101001", "grids"] == 4
    assert rows.loc["990101001", "staffed_rate"] == pytest.approx(0.5)
    assert "990101002" not in rows.index  # a street without grids has no row
    grids = grid_list(small_city, Scope("990101001001", AS_OF))
    assert list(grids["staffed"]) == [1, 1, 0]
    assert list(grids["fulltime_staffed"]) == [1, 0, 0]


def test_empty_grid_scope_gives_empty_rate(small_city):
    total = grid_staffing_total(small_city, Scope("990102", AS_OF))
    assert total["grids"] == 0
    assert pd.isna(total["staffed_rate"])


def test_burden_reduction_and_rebound_on_summed_series(small_city, settings):
    series = monthly_series(small_city, Scope("990101", AS_OF), ("work_items",))
    assert list(series["value"]) == [100, 80, 60, 50, 40, 60]  # July is after the as-of date
    result = reduction_of(series, AS_OF, settings)
    assert result.baseline_period == dt.date(2025, 1, 1)
    assert result.baseline == 100
    assert result.current_period == dt.date(2025, 6, 1)
    assert result.current == 60
    assert result.reduction == pytest.approx(0.4)
    assert result.window_min == 40
    assert result.rebound is True
    chosen = reduction_of(series, AS_OF, settings, baseline_month=dt.date(2025, 2, 1))
    assert chosen.reduction == pytest.approx(0.25)


def test_all_categories_in_one_pass_equal_each_category_alone(small_city, settings):
    for code in (None, "990101", "990101001"):
        series = monthly_series(small_city, Scope(code, AS_OF))
        assert series["category"].nunique() >= 2
        for as_of in (AS_OF, dt.date(2025, 3, 31)):
            together = reductions_by_category(series, as_of, settings)
            alone = {
                str(category): reduction_of(rows, as_of, settings)
                for category, rows in series.groupby("category")
                if (rows["period"] <= as_of).any()
            }
            assert together == alone


def test_zero_baseline_gives_no_reduction(small_city, settings):
    series = monthly_series(small_city, Scope(None, AS_OF), ("forms",))
    result = reduction_of(series, AS_OF, settings)
    assert result.baseline == 0
    assert result.reduction is None


def test_rebound_thresholds(settings):
    series = pd.DataFrame(
        {"period": [dt.date(2025, m, 1) for m in (1, 2, 3)], "value": [50, 40, 43]}
    )
    assert reduction_of(series, AS_OF, settings).rebound is False  # +3 < 10 % of 40
    strict = dataclasses.replace(settings, rebound_min_pct=5.0)
    assert reduction_of(series, AS_OF, strict).rebound is True


def test_community_rebounds(small_city, settings):
    rebounds = community_rebounds(small_city, Scope(None, AS_OF), settings)
    assert list(zip(rebounds["community_code"], rebounds["category"], strict=True)) == [
        ("990101001001", "work_items"),  # 60 against a low of 40
        ("990101001002", "forms"),  # 3 against a low of 0
    ]
    assert list(rebounds["rise"]) == [20, 3]


def test_hierarchy_and_data_months(small_city):
    table = units(small_city)
    assert list(table["level"].value_counts().sort_index()) == [5, 2, 3]
    assert table.set_index("code").loc["990101001", "parent_code"] == "990101"
    assert data_months(small_city) == (dt.date(2025, 1, 1), dt.date(2025, 7, 1))


def test_ranking_of_streets_with_changes_on_a_year_and_a_month_earlier(small_city, settings):
    scope = Scope("990101", AS_OF)
    assert month_earlier(scope).as_of == dt.date(2025, 5, 31)
    rows = ranking(small_city, scope, settings)
    assert list(rows[RANKING_COLUMNS].columns) == RANKING_COLUMNS
    east, west = rows.iloc[0], rows.iloc[1]
    assert (east["code"], west["code"]) == ("990101001", "990101002")
    assert (east["grids"], west["grids"]) == (4, 0)  # a street without grids has 0 …
    assert east["staffed_rate"] == pytest.approx(0.5)
    assert pd.isna(west["staffed_rate"])  # … and no staffed rate
    # 23 workers both times; C1 had 9,000 residents in 2024 (C2 4,000 in both years).
    assert east["per_10k_yoy"] == pytest.approx(23 / 14000 * 10000 - 23 / 13000 * 10000)
    assert east["counted_workers_yoy"] == 0
    assert pd.isna(west["per_10k_yoy"])  # C3 and C4 have no population before 2025
    assert list(rows["per_10k_mom"]) == [0.0, 0.0]
    # Built from its parts, each read on its own: the same frame.
    parts = ranking_of(
        staffing_figure(small_city, scope, settings),
        grid_staffing_by_unit(small_city, scope),
        staffing_figure(small_city, scope.year_earlier(), settings),
        staffing_figure(small_city, month_earlier(scope), settings),
    )
    assert parts.equals(rows)


def test_main_reductions_now_and_a_year_earlier(small_city, settings):
    scope = Scope("990101", AS_OF)
    found = main_reductions(small_city, scope, settings)
    assert list(found) == list(settings.main_categories)
    now, before = found["work_items"]
    assert (now.baseline, now.current, now.reduction) == (100.0, 60.0, 0.4)
    assert before.reduction is None  # nothing reported before 2025
    assert found["forms"][0].reduction is None  # baseline 0


def test_alert_lists_name_the_district_and_street(small_city, settings):
    city = Scope(None, AS_OF)
    table = units(small_city)
    far = far_below_list(communities_far_below(small_city, city, settings), table)
    assert list(far.columns[:4]) == ["district_name", "street_name", "code", "name"]
    assert far[["district_name", "street_name", "code", "gap"]].values.tolist() == [
        ["甲区", "西街道", "990101002001", 24]  # 10 per 10,000
    ]
    rebounds = rebound_list(community_rebounds(small_city, city, settings), table)
    assert rebounds[["district_name", "street_name", "community_code"]].values.tolist() == [
        ["甲区", "东街道", "990101001001"],
        ["甲区", "东街道", "990101001002"],
    ]
    unstaffed = unstaffed_list(unstaffed_grids(small_city, city), table)
    assert list(unstaffed["code"]) == ["990101001001003", "990101001002001"]
    assert list(unstaffed["community_name"]) == ["一社区", "二社区"]
    assert set(unstaffed["street_name"]) == {"东街道"}
    # The figures the Overview reads are these lists, read from the database.
    assert far_below_alerts(small_city, city, settings).equals(far)
    assert rebound_alerts(small_city, city, settings).equals(rebounds)
    assert unstaffed_alerts(small_city, city).equals(unstaffed)


@pytest.mark.slow
def test_page_ranking_table_equals_the_export(small_city_url, monkeypatch, capsysbinary):
    status, rows, _ = run_export(
        monkeypatch, capsysbinary, small_city_url,
        "ranking", "--level", "street", "--scope", "990101", "--as-of", AS_OF.isoformat(),
    )  # fmt: skip
    assert status == 0
    assert list(rows[0]) == RANKING_COLUMNS
    at = run_app(small_city_url, monkeypatch, lang="en", month="2025-06", district="990101")
    assert not at.exception
    shown = at.dataframe[-1].value  # the ranking of the streets
    assert list(shown["Code"]) == [row["code"] for row in rows] == ["990101001", "990101002"]
    headers = {
        "name": "Name", "communities": "Communities", "resident_population": "Residents",
        "counted_workers": "Workers counted", "counted_workers_yoy": "Workers YoY",
        "counted_workers_mom": "Workers MoM", "required": "Required", "gap": "Gap",
        "net_gap": "Net gap", "grids": "Grids",
    }  # fmt: skip
    decimals = {
        "per_10k": ("Per 10,000", 1, 1), "per_10k_yoy": ("Per 10,000 YoY", 1, 1),
        "per_10k_mom": ("Per 10,000 MoM", 1, 1),
        "share_meeting": ("Share meeting standard", 100, 1), "licensed_rate": ("Licensed share", 100, 1),
        "staffed_rate": ("Staffed-grid rate", 100, 1),
    }  # fmt: skip
    for (_, page), csv_row in zip(shown.iterrows(), rows, strict=True):
        for column, header in headers.items():
            value = page[header]  # a count, whichever numeric type the database gave it
            assert str(value if isinstance(value, str) else int(value)) == csv_row[column], column
        for column, (header, times, digits) in decimals.items():
            expected = round(float(csv_row[column]) * times, digits) if csv_row[column] else None
            assert (None if pd.isna(page[header]) else page[header]) == expected, column
    assert rows[0]["per_10k_yoy"] and float(rows[0]["per_10k_yoy"]) == pytest.approx(
        23 / 14000 * 10000 - 23 / 13000 * 10000
    )
    assert rows[1]["per_10k_yoy"] == rows[1]["staffed_rate"] == ""


@pytest.fixture
def twice_url(migrated_database) -> str:
    """tests/small_city.py with C1 rebounding in a second category: its meetings are 20 from
    2025-01 to 2025-05 and 25 in 2025-06 (a rise of 25 % and of 5 over the lowest, docs/metrics.md
    §4). C1 and C2 rebound, in 3 community × category series."""
    url = migrated_database("twice_rebounding")
    engine = make_engine(url)
    build_small_city(engine, refresh=False)
    meetings = {**dict.fromkeys(range(1, 6), 20), 6: 25}
    with engine.begin() as connection:
        connection.execute(
            insert(BurdenRecord),
            [
                {
                    "community_code": C1,
                    "category": "meetings",
                    "period": dt.date(2025, m, 1),
                    "count": n,
                }
                for m, n in meetings.items()
            ],
        )
        refresh_all_summaries(connection)
    engine.dispose()
    return url


def test_rebound_counts_name_communities_and_series_apart(twice_url, settings):
    engine = make_engine(twice_url)
    try:
        city = Scope(None, AS_OF)
        rebounds = community_rebounds(engine, city, settings)
        assert sorted(zip(rebounds["community_code"], rebounds["category"], strict=True)) == [
            (C1, "meetings"),
            (C1, "work_items"),
            ("990101001002", "forms"),
        ]
        counts = rebound_counts(rebounds)
        assert counts == ReboundCounts(communities=2, series=3)
        assert rebound_counts(rebound_alerts(engine, city, settings)) == counts
        assert headline_facts(engine, city, settings).rebounding_communities == 2
        assert rebound_counts(rebounds.iloc[:0]) == ReboundCounts(communities=0, series=0)
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("page", ["overview", "briefing"])
def test_pages_write_rebounding_communities_and_series_apart(twice_url, page, monkeypatch):
    at = run_app(twice_url, monkeypatch, page=f"pages/{page}.py", lang="zh", month="2025-06")
    assert not at.exception
    headline = "".join(text.value for text in at.text) + "".join(
        element.proto.body for element in at.get("html")
    )
    assert "2个社区出现反弹" in headline
    if page == "overview":
        assert at.tabs[1].label == "减负反弹（2个社区，3项）"
        (table,) = [frame.value for frame in at.dataframe if frame.key == "overview_rebounds_city"]
        assert len(table) == 3
        return
    (counts,) = [e.proto.body for e in at.get("html") if "出现减负反弹的社区" in e.proto.body]
    assert "出现减负反弹的社区 2 个（社区×类别 3 项）" in counts


@pytest.mark.slow
@pytest.mark.parametrize(
    "filters", [{}, {"district": "990101", "street": "990101001"}], ids=["city", "street"]
)
def test_burden_page_writes_rebounding_communities_and_series_apart(
    twice_url, filters, monkeypatch
):
    at = run_app(
        twice_url, monkeypatch, page="pages/burden.py", lang="zh", month="2025-06", **filters
    )
    assert not at.exception
    assert at.tabs[-1].label == "社区层面（2个社区，3项）"
