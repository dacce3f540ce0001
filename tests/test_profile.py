"""社区画像: its figures equal the export and the other pages; projection, ranks, empty states,
and the way down to a profile and back up by the breadcrumb."""

from __future__ import annotations

import base64
import datetime as dt
import json

import numpy as np
import pydeck as pdk
import pytest
from sqlalchemy import insert

from dashboard import formatting
from dashboard.map_geometry import PROFILE_MAP_HEIGHT_PX, PROFILE_MAP_NARROWEST_PX, screen_xy
from data_access.db import make_engine
from data_access.figures.burden import unit_reductions
from data_access.figures.profile import (
    Problem,
    community_problems,
    community_projection,
    farthest_below_first,
    hiring_projection,
    population_history,
    problems,
    projection,
    rank_table,
    ranks,
    rebound_rise,
    what_is_wrong,
)
from data_access.models import CommunityPopulation
from data_access.queries.burden import community_rebounds
from data_access.queries.grids import grid_staffing_total
from data_access.queries.profile import hires_and_departures
from data_access.queries.staffing import staffing_by_unit
from data_access.scope import Scope
from tests.small_city import AS_OF, insert_units
from tests.test_cli_export import run_export
from tests.test_pages import metric_values, run_app

C1 = {"district": "990101", "street": "990101001", "community": "990101001001"}
C5 = {"district": "990102", "street": "990102001", "community": "990102001001"}
MONTH = AS_OF.strftime("%Y-%m")


def _row(rows: list[dict[str, str]], code: str, category: str | None = None) -> dict[str, str]:
    return next(r for r in rows if r["code"] == code and r.get("category", category) == category)


def test_profile_figures_equal_the_export(small_city_url, monkeypatch, capsysbinary):
    args = ("--level", "community", "--scope", "990101001", "--as-of", AS_OF.isoformat())
    exports = {}
    for table in ("staffing", "grids", "burden"):
        status, rows, _ = run_export(monkeypatch, capsysbinary, small_city_url, table, *args)
        assert status == 0
        exports[table] = rows
    staffing = _row(exports["staffing"], "990101001001")
    grids = _row(exports["grids"], "990101001001")
    work_items = _row(exports["burden"], "990101001001", "work_items")
    at = run_app(small_city_url, monkeypatch, page="pages/profile.py", month=MONTH, **C1)
    assert not at.exception
    shown = metric_values(at)
    assert shown["常住人口"] == formatting.count(int(staffing["resident_population"]), "zh")
    assert shown["社区工作者"] == staffing["counted_workers"] == "15"
    assert shown["每万人社区工作者"] == formatting.decimal(float(staffing["per_10k"])) == "15.0"
    assert shown["应配人数"] == staffing["required"] == "18"
    assert shown["缺额人数"] == staffing["gap"] == "3"
    assert shown["网格数"] == grids["grids"] == "3"
    assert shown["网格配员率"] == formatting.percent(float(grids["staffed_rate"])) == "66.7%"
    assert shown["工作事项精简率"] == formatting.percent(float(work_items["reduction_pct"]) / 100)
    assert shown["工作事项精简率"] == "40.0%"
    lines = [text.value for text in at.text]
    assert "· 社区工作者缺3人" in lines
    assert "· 工作事项较前12个月最低值回升50%" in lines  # 60 over the low of 40
    assert "· 1个网格无网格员" in lines


def test_profile_equals_the_overview_at_community_scope(demo_url, monkeypatch):
    community = {"district": "990101", "street": "990101001", "community": "990101001001"}
    profile = metric_values(run_app(demo_url, monkeypatch, page="pages/profile.py", **community))
    overview = metric_values(run_app(demo_url, monkeypatch, **community))
    shared = set(profile) & set(overview)
    assert {"社区工作者", "每万人社区工作者", "应配人数", "缺额人数", "网格配员率"} <= shared
    assert {label: profile[label] for label in shared} == {
        label: overview[label] for label in shared
    }


def test_community_without_grids_or_burden_says_so(small_city_url, monkeypatch):
    at = run_app(small_city_url, monkeypatch, page="pages/profile.py", month=MONTH, **C5)
    assert not at.exception
    infos = [info.value for info in at.info]
    assert "本社区没有登记网格。" in infos
    assert "本社区没有减负台账记录。" in infos
    assert "本社区没有登记服务设施。" in infos


def test_community_without_staff_says_so(migrated_database, monkeypatch):
    url = migrated_database("lonely")
    engine = make_engine(url)
    with engine.begin() as connection:
        insert_units(
            connection,
            [("990101", "甲区")],
            [("990101001", "东街道", "990101")],
            [("990101001001", "一社区", "990101001")],
        )
        connection.execute(
            insert(CommunityPopulation),
            [
                {
                    "community_code": "990101001001",
                    "year": 2025,
                    "resident_population": 3000,
                    "households": 1000,
                }
            ],
        )
    engine.dispose()
    at = run_app(url, monkeypatch, page="pages/profile.py", **C1)
    assert not at.exception
    infos = [info.value for info in at.info]
    assert "本社区截至当日没有在岗人员。" in infos
    assert "本社区没有登记网格。" in infos
    # Nobody in post: all 9 of the minimum are missing, and no hires mean it never closes.
    lines = [text.value for text in at.text]
    assert "· 社区工作者缺9人" in lines
    assert "· 按近12个月的节奏（新进0人、减员0人），缺额9人不会补齐。" in lines


def test_above_community_scope_the_profile_offers_the_communities(small_city_url, monkeypatch):
    at = run_app(
        small_city_url,
        monkeypatch,
        page="pages/profile.py",
        month=MONTH,
        street="990101001",
        district="990101",
    )
    assert not at.exception
    assert at.info[-1].value.startswith("社区画像展示一个社区")
    assert list(at.dataframe[0].value["代码"]) == ["990101001001", "990101001002"]  # 15.0, 20.0


def test_breadcrumb_leads_from_the_profile_back_up(small_city_url, monkeypatch):
    at = run_app(small_city_url, monkeypatch, page="pages/profile.py", month=MONTH, **C1)
    labels = [button.label for button in at.button if button.key.startswith("breadcrumb_")]
    assert labels == ["全市", "甲区", "东街道", "一社区"]
    at.button(key="breadcrumb_2").click().run()  # 东街道
    assert not at.exception
    # The scope and the URL are the street's now, on the Overview.
    assert at.session_state["_url_written"] == {
        "district": "990101",
        "street": "990101001",
        "month": MONTH,
        "lang": "zh",
    }
    assert at.title[0].value == "总览"
    assert [b.label for b in at.button if b.key.startswith("breadcrumb_")] == [
        "全市",
        "甲区",
        "东街道",
    ]


def test_hiring_projection():
    as_of = dt.date(2025, 6, 30)
    assert hiring_projection(3, 4, 1, as_of).months == 12  # 3 net a year: a year for 3
    assert hiring_projection(3, 4, 1, as_of).reached == dt.date(2026, 6, 1)
    assert hiring_projection(5, 3, 1, as_of).months == 30  # 2 net a year: 30 months for 5
    assert hiring_projection(3, 2, 2, as_of).status == "never"
    assert hiring_projection(0, 0, 3, as_of).status == "met"
    assert hiring_projection(-4, 0, 0, as_of).status == "met"


def test_ranks_put_the_best_first():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "code": ["a", "b", "c"],
            "per_10k": [18.0, 12.0, None],
            "gap": [0, 4, 2],
            "licensed_rate": [0.5, 0.5, 0.1],
            "staffed_rate": [1.0, 0.5, 0.75],
            "reduction": [0.6, 0.4, 0.5],
        }
    )
    assert ranks(frame, "b") == {
        "per_10k": (2, 2),
        "gap": (3, 3),
        "licensed_rate": (1, 3),
        "staffed_rate": (3, 3),
        "reduction": (3, 3),
    }
    assert ranks(frame, "c")["per_10k"] == (None, 2)


def test_rank_table_of_the_small_city(small_city, settings):
    table = rank_table(small_city, Scope("990101001001", AS_OF), settings).set_index("metric")
    # Street 东街道: C1 15.0 and C2 20.0 per 10,000; district 甲区 adds C3 10.0 and C4 33.3.
    assert table.loc["per_10k", ["street_rank", "street_units"]].tolist() == [2, 2]
    assert table.loc["per_10k", ["district_rank", "district_units"]].tolist() == [3, 4]
    # Gaps: C1 3, C2 1, C3 24, C4 0 (positive gaps only).
    assert table.loc["gap", ["district_rank", "district_units"]].tolist() == [3, 4]


def test_what_is_wrong_and_the_pace_in_the_small_city(small_city, settings):
    def read(code: str):
        scope = Scope(code, AS_OF)
        staffing = staffing_by_unit(small_city, scope, settings, level="community")
        rebounds = community_rebounds(small_city, scope, settings)
        found = what_is_wrong(
            staffing,
            unit_reductions(small_city, scope, "community", settings),
            grid_staffing_total(small_city, scope),
            rebounds,
        )
        pace = projection(staffing, *hires_and_departures(small_city, scope, settings), AS_OF)
        # The figures the profile page reads are these, read from the database.
        assert community_problems(small_city, scope, settings) == found
        assert community_projection(small_city, scope, settings) == pace
        return rebound_rise(rebounds), found, pace

    rise, found, pace = read("990101001001")
    assert rise == {"work_items": 50.0}  # 60 over the low of 40
    assert found == [
        Problem("short", {"n": 3}),
        Problem("rebound", {"category": "work_items", "pct": 50.0}),
        Problem("unstaffed_grids", {"n": 1}),
    ]
    # One counted worker started on the as-of date and one left in the 12 months: never.
    assert (pace.gap, pace.hires, pace.departures, pace.status) == (3, 1, 1, "never")
    rise, found, pace = read("990101001002")
    assert rise == {"forms": 100.0}  # 3 over a low of 0
    assert found[0] == Problem("short", {"n": 1})
    rise, found, pace = read("990102001001")
    assert (rise, found, pace.status) == ({}, [], "met")


def test_chooser_lists_the_lowest_per_10k_first(small_city, settings):
    scope = Scope("990101", AS_OF)
    communities = staffing_by_unit(small_city, scope, settings, level="community")
    assert list(farthest_below_first(communities)["code"]) == [
        "990101002001",  # 10.0
        "990101001001",  # 15.0
        "990101001002",  # 20.0
        "990101002002",  # 33.3
    ]


def test_problems_in_plain_terms():
    import pandas as pd

    staffing = pd.Series({"gap": 3, "resident_population": 10000})
    burden = pd.DataFrame({"category": ["forms", "work_items"], "reduction": [-0.05, 0.4]})
    grids = pd.Series({"unstaffed_grids": 2})
    assert problems(staffing, burden, grids, {"work_items": 20.0}) == [
        Problem("short", {"n": 3}),
        Problem("rebound", {"category": "work_items", "pct": 20.0}),
        Problem("above_baseline", {"category": "forms"}),
        Problem("unstaffed_grids", {"n": 2}),
    ]
    assert problems(None, burden.iloc[0:0], None, {}) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_profile_runs_in_both_languages_on_the_demo_city(lang, demo_url, monkeypatch):
    at = run_app(
        demo_url, monkeypatch, page="pages/profile.py", lang=lang, community="990101001001"
    )
    assert not at.exception
    assert at.session_state["district"] == "990101"  # a community alone brings its parents
    assert at.title[0].value == ("社区画像" if lang == "zh" else "Community profile")
    # The grid map shows the community's whole outline, with a margin, even in the narrowest
    # column it is drawn in (330 px in a 1024-pixel window), and fills the map's height or width.
    (deck,) = [json.loads(chart.proto.json) for chart in at.get("deck_gl_json_chart")]
    (outline,) = [layer for layer in deck["layers"] if layer["id"] == "outlines"]
    points = np.array(
        [point for row in outline["data"] for ring in _rings(row["polygon"]) for point in ring]
    )
    view = pdk.ViewState(**deck["initialViewState"])
    offsets = np.abs(screen_xy(points[:, 0], points[:, 1], view))
    half = np.array([PROFILE_MAP_NARROWEST_PX, PROFILE_MAP_HEIGHT_PX]) / 2
    assert (offsets <= half * 0.93).all()  # inside, 7 % of the map clear on every side
    assert (offsets.max(axis=0) / half).max() > 0.8  # and not lost in the middle


def _rings(polygon: list) -> list:
    """A polygon's rings: [[lon, lat], …] or [[[lon, lat], …], …]."""
    return [polygon] if isinstance(polygon[0][0], int | float) else polygon


def test_population_years_are_written_without_thousands_separators(small_city_url, monkeypatch):
    at = run_app(small_city_url, monkeypatch, page="pages/profile.py", month=MONTH, **C1)
    assert not at.exception
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    (population,) = [
        spec for spec in specs if spec["layout"]["title"]["text"].endswith("历年常住人口与户数")
    ]
    years = [trace["x"] for trace in population["data"]]
    # Plotly sends the years as base64 int16: whole numbers, the same on both traces.
    assert years[0] == years[1] and years[0]["dtype"] == "i2"
    decoded = np.frombuffer(base64.b64decode(years[0]["bdata"]), dtype="<i2").tolist()
    engine = make_engine(small_city_url)
    try:
        history = population_history(engine, Scope(C1["community"], AS_OF))
    finally:
        engine.dispose()
    assert decoded == history["year"].tolist() == [2024, 2025, 2026]
    axis = population["layout"]["xaxis"]
    assert (axis["tickformat"], axis["hoverformat"], axis["separatethousands"]) == ("d", "d", False)
