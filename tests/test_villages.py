"""Urban communities and villages measured apart (docs/metrics.md §3) on tests/village_city.py,
on every database, from the staffing summary and from the raw tables alike: per 10,000 of the
urban communities and of all, required headcounts, gaps and meeting counts at every level, with
the village settings unset and set; the far-below list, the trend, the planner, the headline and
the export."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from dashboard.headline import headline_sentences
from dashboard.i18n import text_in
from dashboard.navigation import PAGES
from dashboard.staffing_charts import population_scatter, required_vs_counted
from data_access import read_path
from data_access.db import make_engine
from data_access.figures import staffing as staffing_figures
from data_access.figures.overview import headline_facts
from data_access.figures.profile import Problem, community_problems, profile_chooser
from data_access.planner import PlanOptions, make_plan
from data_access.queries import staffing
from data_access.schema import upgrade
from data_access.scope import Scope
from data_access.settings import Settings, load_settings
from tests.test_cli_export import run_export
from tests.test_pages import metric_values, run_app
from tests.village_city import (
    AS_OF,
    U1,
    U2,
    U3,
    V1,
    V2,
    V3,
    V4,
    build_village_city,
    village_settings,
)

CITY = Scope(None, AS_OF)
NO_FILE = Path("/nonexistent/secrets.toml")

# code: communities, urban_communities, villages, resident_population, urban_population,
# counted_workers, urban_counted_workers, per_10k (numerator, denominator), per_10k_all (the same)
SPLIT: dict[str | None, tuple] = {
    U1: (1, 1, 0, 10000, 10000, 15, 15, (15, 10000), (15, 10000)),
    U2: (1, 1, 0, 4000, 4000, 10, 10, (10, 4000), (10, 4000)),
    U3: (1, 1, 0, 6000, 6000, 8, 8, (8, 6000), (8, 6000)),
    V1: (1, 0, 1, 2500, None, 4, 0, None, (4, 2500)),
    V2: (1, 0, 1, 3400, None, 6, 0, None, (6, 3400)),
    V3: (1, 0, 1, 1200, None, 1, 0, None, (1, 1200)),
    V4: (1, 0, 1, None, None, 3, 0, None, None),
    "970101001": (2, 2, 0, 14000, 14000, 25, 25, (25, 14000), (25, 14000)),
    "970102001": (2, 1, 1, 8500, 6000, 12, 8, (8, 6000), (12, 8500)),
    "970102002": (3, 0, 3, 4600, None, 10, 0, None, (7, 4600)),
    "970101": (2, 2, 0, 14000, 14000, 25, 25, (25, 14000), (25, 14000)),
    "970102": (5, 1, 4, 13100, 6000, 22, 8, (8, 6000), (19, 13100)),
    None: (7, 3, 4, 27100, 20000, 47, 33, (33, 20000), (44, 27100)),
}
SPLIT_COLUMNS = [
    "communities", "urban_communities", "villages", "resident_population", "urban_population",
    "counted_workers", "urban_counted_workers",
]  # fmt: skip
# code: required, gap, net_gap, communities_meeting, communities_assessed (None: empty)
UNSET: dict[str | None, tuple] = {
    U1: (18, 3, 3, 0, 1),
    U2: (9, 0, -1, 1, 1),
    U3: (11, 3, 3, 0, 1),
    V1: (None, None, None, 0, 0),
    V2: (None, None, None, 0, 0),
    V3: (None, None, None, 0, 0),
    V4: (None, None, None, 0, 0),
    "970101001": (27, 3, 2, 1, 2),
    "970102001": (11, 3, 3, 0, 1),
    "970102002": (None, None, None, 0, 0),
    "970101": (27, 3, 2, 1, 2),
    "970102": (11, 3, 3, 0, 1),
    None: (38, 6, 5, 1, 3),
}
SET: dict[str | None, tuple] = {
    **UNSET,
    V1: (4, 0, 0, 1, 1),
    V2: (5, 0, -1, 1, 1),
    V3: (4, 3, 3, 0, 1),
    "970102001": (15, 3, 3, 1, 2),
    "970102002": (9, 3, 2, 1, 2),
    "970102": (24, 6, 5, 2, 4),
    None: (51, 9, 7, 3, 6),
}
ASSESSMENT_COLUMNS = ["required", "gap", "net_gap", "communities_meeting", "communities_assessed"]
LEVEL_OF = {6: "district", 9: "street", 12: "community"}


@pytest.fixture(scope="session")
def village_url(databases) -> str:
    url = databases.new("villages")
    engine = make_engine(url)
    upgrade(engine)
    build_village_city(engine)
    engine.dispose()
    return url


@pytest.fixture
def village_db(village_url: str) -> Iterator[Engine]:
    engine = make_engine(village_url)
    yield engine
    engine.dispose()


def _value(value: object) -> object:
    return None if pd.isna(value) else int(value)


def _ratio(pair: tuple[int, int] | None) -> float | None:
    return None if pair is None else pair[0] / pair[1] * 10000


def _check(row: pd.Series, code: str | None, assessment: dict[str | None, tuple]) -> None:
    *counts, per_10k, per_10k_all = SPLIT[code]
    assert [_value(row[c]) for c in SPLIT_COLUMNS] == counts, code
    for column, pair in (("per_10k", per_10k), ("per_10k_all", per_10k_all)):
        expected = _ratio(pair)
        if expected is None:
            assert pd.isna(row[column]), (code, column)
        else:
            assert row[column] == pytest.approx(expected, rel=1e-12), (code, column)
    assert [_value(row[c]) for c in ASSESSMENT_COLUMNS] == list(assessment[code]), code
    assessed = assessment[code][4]
    share = row["share_meeting"]
    if assessed:
        assert share == pytest.approx(assessment[code][3] / assessed, rel=1e-12), code
    else:
        assert pd.isna(share), code


def _every_level(engine: Engine, settings: Settings, assessment: dict) -> None:
    _check(staffing.staffing_total(engine, CITY, settings), None, assessment)
    for level in ("district", "street", "community"):
        rows = staffing.staffing_by_unit(engine, CITY, settings, level).set_index("code")
        assert sorted(rows.index) == sorted(
            code for code in SPLIT if code is not None and LEVEL_OF[len(code)] == level
        )
        for code, row in rows.iterrows():
            _check(row, str(code), assessment)
    for code in SPLIT:
        if code is not None:  # the total of each unit as a scope equals its row
            _check(staffing.staffing_total(engine, Scope(code, AS_OF), settings), code, assessment)


@pytest.mark.parametrize("villages", ["unset", "set"])
def test_urban_and_village_figures_at_every_level_from_summary_and_raw(
    villages, village_db, settings
):
    chosen, expected = (
        (settings, UNSET) if villages == "unset" else (village_settings(settings), SET)
    )
    assert read_path.summary_coverage(village_db).reads_staffing(CITY, chosen)
    _every_level(village_db, chosen, expected)
    with read_path.reading_raw():
        assert not read_path.summary_coverage(village_db).reads_staffing(CITY, chosen)
        _every_level(village_db, chosen, expected)


def test_the_default_settings_leave_villages_unassessed(settings):
    assert settings.village_standard_per_10k is None and settings.village_min_team is None
    assert not settings.villages_assessed
    from_environment = load_settings(
        environ={"DASHBOARD_VILLAGE_STANDARD_PER_10K": "12", "DASHBOARD_VILLAGE_MIN_TEAM": ""},
        secrets_file=NO_FILE,
    )
    assert from_environment.village_standard_per_10k == 12.0
    assert from_environment.village_min_team is None
    assert from_environment.villages_assessed
    with pytest.raises(ValueError, match="village_min_team"):
        load_settings(environ={"DASHBOARD_VILLAGE_MIN_TEAM": "four"}, secrets_file=NO_FILE)


def test_a_minimum_team_alone_is_a_villages_requirement(village_db, settings):
    only_team = dataclasses.replace(settings, village_min_team=4)
    rows = staffing.staffing_by_unit(village_db, CITY, only_team, "community").set_index("code")
    # ceil(0 × population) = 0, so the minimum team of 4 is each village's requirement.
    assert [_value(rows.loc[code, "required"]) for code in (V1, V2, V3, V4)] == [4, 4, 4, None]
    assert [_value(rows.loc[code, "gap"]) for code in (V1, V2, V3)] == [0, 0, 3]


@pytest.mark.parametrize("villages", ["unset", "set"])
def test_far_below_judges_villages_only_by_their_own_standard(villages, village_db, settings):
    chosen = settings if villages == "unset" else village_settings(settings)
    far = staffing.communities_far_below(village_db, CITY, chosen)
    assert list(far["code"]) == ([U3] if villages == "unset" else [V3, U3])
    with read_path.reading_raw():
        raw = staffing.communities_far_below(village_db, CITY, chosen)
    pd.testing.assert_frame_equal(raw, far, check_dtype=False, check_exact=True)


@pytest.mark.parametrize("code", [None, "970102", "970102002", V1])
def test_trend_ends_on_the_total_and_agrees_raw(code, village_db, settings):
    scope = Scope(code, AS_OF)
    trend = staffing_figures.monthly_trend(village_db, scope, settings, months=3)
    with read_path.reading_raw():
        raw = staffing_figures.monthly_trend(village_db, scope, settings, months=3)
    pd.testing.assert_frame_equal(trend, raw, check_dtype=False, check_exact=True)
    total = staffing.staffing_total(village_db, scope, settings)
    last = trend.iloc[-1]
    for column in ("per_10k", "per_10k_all"):
        if pd.isna(total[column]):
            assert last[column] is None or pd.isna(last[column])
        else:
            assert last[column] == pytest.approx(float(total[column]), rel=1e-12)
    assert last["counted_workers"] == total["counted_workers"]
    if code is None:  # U1's newcomer started in June: one worker fewer at the end of May
        assert list(trend["counted_workers"]) == [46, 46, 47]
        assert trend.iloc[1]["per_10k"] == pytest.approx(32 / 20000 * 10000, rel=1e-12)


@pytest.mark.parametrize("villages", ["unset", "set"])
def test_the_planner_counts_villages_as_the_staffing_figures_do(villages, village_db, settings):
    chosen = settings if villages == "unset" else village_settings(settings)
    rows = staffing.staffing_by_unit(village_db, CITY, chosen, "community")
    plan = make_plan(rows, PlanOptions(posts=100, surplus="population"), chosen)
    total = staffing.staffing_total(village_db, CITY, chosen)
    now = plan.now
    assert now.per_10k == pytest.approx(float(total["per_10k"]), rel=1e-12)
    assert (now.required, now.gap, now.net_gap) == (
        int(total["required"]),
        int(total["gap"]),
        int(total["net_gap"]),
    )
    assert (now.communities_meeting, now.communities_assessed) == (
        int(total["communities_meeting"]),
        int(total["communities_assessed"]),
    )
    added = plan.communities.set_index("code")["added"]
    if villages == "unset":
        # No post to a village: the gaps close (3 + 3) and the surplus of 94 goes to the urban
        # communities by population, 10,000 : 4,000 : 6,000.
        assert {code: int(added[code]) for code in (V1, V2, V3, V4)} == dict.fromkeys(
            (V1, V2, V3, V4), 0
        )
        assert [int(added[code]) for code in (U1, U2, U3)] == [3 + 47, 19, 3 + 28]
        assert plan.needed.area == 36 - 33  # ceil(18 × 20,000 / 10,000) − 33
    else:
        assert int(added[V3]) > 0
        # ceil(18 × 2) + ceil(12 × 7,100 / 10,000) − (33 + 11) = 36 + 9 − 44
        assert plan.needed.area == 1


EXPECTED_HEADLINES = {
    ("970102", "zh", "unset"): (
        "南郊区城市社区每万人社区工作者13.3人，低于标准（18人）；仍有1个城市社区未达标，"
        "南关街道最低（13.3）；城市社区 1 个、村 4 个，村不按城市社区标准评估。"
    ),
    ("970102", "en", "unset"): (
        "南郊区: 13.3 community workers per 10,000 residents of its urban communities, below the "
        "standard of 18; urban communities short of their required headcount: 1, lowest 南关街道 "
        "(13.3); 1 urban community, 4 villages, the villages not assessed against the urban "
        "standard."
    ),
    ("970102", "zh", "set"): (
        "南郊区城市社区每万人社区工作者13.3人，低于标准（18人）；仍有2个城市社区和村未达标，"
        "南关街道最低（13.3）；城市社区 1 个、村 4 个，村按村的标准评估。"
    ),
    ("970102002", "zh", "unset"): (
        "柳河镇有村 3 个，每万人社区工作者15.2人，不按城市社区标准评估。"
    ),
    ("970102002", "zh", "set"): "柳河镇有村 3 个，每万人社区工作者15.2人；仍有1个村未达标。",
    ("970102002", "en", "set"): (
        "柳河镇: 3 villages, 15.2 community workers per 10,000 residents; villages short of "
        "their required headcount: 1."
    ),
    (V3, "zh", "unset"): "后坡村（村）每万人社区工作者8.3人，不按城市社区标准评估。",
    (
        V3,
        "en",
        "set",
    ): "后坡村 (a village): 8.3 community workers per 10,000 residents, 3 workers short.",
    ("970101", "zh", "unset"): (
        "城关区每万人社区工作者17.9人，低于标准（18人）；仍有1个社区未达标，城关街道最低（17.9）。"
    ),
}
NAMES = {"970102": "南郊区", "970102002": "柳河镇", V3: "后坡村", "970101": "城关区"}


@pytest.mark.parametrize(("code", "language", "villages"), list(EXPECTED_HEADLINES))
def test_headline_counts_urban_communities_and_villages_apart(
    code, language, villages, village_db, settings
):
    chosen = settings if villages == "unset" else village_settings(settings)
    facts = headline_facts(village_db, Scope(code, AS_OF), chosen)
    sentences = headline_sentences(facts, NAMES[code], language)
    assert sentences[0] == EXPECTED_HEADLINES[(code, language, villages)]


def test_staffing_export_adds_the_urban_and_village_columns(village_url, monkeypatch, capsysbinary):
    status, rows, _ = run_export(
        monkeypatch, capsysbinary, village_url,
        "staffing", "--level", "street", "--as-of", AS_OF.isoformat(),
    )  # fmt: skip
    assert status == 0
    assert list(rows[0]) == [
        "code", "name", "communities", "resident_population", "counted_workers", "per_10k",
        "required", "gap", "communities_meeting", "licensed_rate", "urban_communities",
        "villages", "urban_population", "urban_counted_workers", "per_10k_all",
    ]  # fmt: skip
    by_code = {row["code"]: row for row in rows}
    mixed = dict(by_code["970102001"])
    assert float(mixed.pop("per_10k")) == pytest.approx(8 / 6000 * 10000, rel=1e-12)
    assert float(mixed.pop("per_10k_all")) == pytest.approx(12 / 8500 * 10000, rel=1e-12)
    assert mixed == {
        "code": "970102001",
        "name": "南关街道",
        "communities": "2",
        "resident_population": "8500",
        "counted_workers": "12",
        "required": "11",
        "gap": "3",
        "communities_meeting": "0",
        "licensed_rate": "0.0",
        "urban_communities": "1",
        "villages": "1",
        "urban_population": "6000",
        "urban_counted_workers": "8",
    }
    town = by_code["970102002"]
    assert (town["per_10k"], town["required"], town["gap"], town["urban_population"]) == (
        "",
        "",
        "",
        "",
    )
    assert (town["villages"], town["communities_meeting"]) == ("3", "0")
    assert float(town["per_10k_all"]) == pytest.approx(7 / 4600 * 10000, rel=1e-12)


OVERVIEW_CARDS = {
    "zh": {
        "城市社区 / 村": "1 / 4",
        "每万人社区工作者（城市社区）": "13.3",  # 8 / 6,000
        "达标城市社区占比": "0.0%",
        "缺额人数": "3",
    },
    "en": {
        "Urban communities / villages": "1 / 4",
        "Workers per 10,000 (urban communities)": "13.3",
        "Urban communities meeting standard": "0.0%",
    },
}
NOTE_START = {"zh": "城市社区 1 个、村 4 个。", "en": "1 urban community, 4 villages. "}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_overview_cards_count_urban_communities_and_villages(lang, village_url, monkeypatch):
    at = run_app(village_url, monkeypatch, lang=lang, month="2025-06", district="970102")
    assert not at.exception
    values = metric_values(at)
    for label, value in OVERVIEW_CARDS[lang].items():
        assert values[label] == value, label
    (note,) = [c.value for c in at.caption if c.value.startswith(NOTE_START[lang])]
    assert ("含村在内，每万人 14.5 人" if lang == "zh" else "With the villages: 14.5") in note
    headline = " ".join(text.value for text in at.text)
    assert ("仍有1个城市社区未达标" if lang == "zh" else "urban communities short") in headline


def test_overview_of_a_district_without_villages_says_communities(village_url, monkeypatch):
    at = run_app(village_url, monkeypatch, lang="zh", month="2025-06", district="970101")
    assert not at.exception
    values = metric_values(at)
    assert values["社区数"] == "2"
    assert values["每万人社区工作者"] == "17.9"  # 25 / 14,000
    assert values["达标社区占比"] == "50.0%"
    assert not [c.value for c in at.caption if "村" in c.value]


def test_staffing_page_counts_urban_communities_and_villages(village_url, monkeypatch):
    at = run_app(
        village_url,
        monkeypatch,
        page="pages/staffing.py",
        lang="zh",
        month="2025-06",
        district="970102",
    )
    assert not at.exception
    values = metric_values(at)
    assert values["达标 / 参评城市社区"] == "0 / 1"
    assert values["每万人社区工作者（城市社区）"] == "13.3"
    assert values["应配人数"] == "11"
    assert any(c.value.startswith("城市社区 1 个、村 4 个。") for c in at.caption)
    units = at.dataframe[-1].value  # the streets, largest gap first
    assert list(units["代码"]) == ["970102001", "970102002"]
    assert list(units["城市社区数"]) == [1, 0] and list(units["村数"]) == [1, 3]
    assert list(units["应配人数"].astype(object).where(units["应配人数"].notna(), None)) == [
        11,
        None,
    ]


@pytest.mark.parametrize("villages", ["unset", "set"])
def test_charts_show_villages_without_a_verdict_unless_assessed(villages, village_db, settings):
    chosen = settings if villages == "unset" else village_settings(settings)
    communities = staffing.staffing_by_unit(village_db, CITY, chosen, "community")
    traces = population_scatter(communities, 18.0, 9, "t", text_in("zh")).data
    xs = [sorted(trace.x) for trace in traces[:-1]]  # the last is the required headcount's line
    if villages == "unset":
        assert [trace.name for trace in traces[:-1]] == [
            "达标社区",
            "未达标社区",
            "村（不按城市社区标准评估）",
        ]
        assert xs == [[4000], [6000, 10000], [1200, 2500, 3400]]  # V4 has no population
    else:
        assert xs == [[2500, 3400, 4000], [1200, 6000, 10000]]
    streets = staffing.staffing_by_unit(village_db, CITY, chosen, "street")
    figure = required_vs_counted(streets, "t", text_in("en"), "urban_counted_workers")
    required, counted = figure.data
    assert list(counted.y) == list(required.y)
    shown = dict(zip(counted.y, counted.x, strict=True))
    assert shown["南关街道"] == 8  # U3's workers, not V1's, against U3's required 11
    assert counted.name == "Workers of urban communities"


@pytest.mark.parametrize("villages", ["unset", "set"])
def test_a_villages_profile_says_it_is_not_assessed(villages, village_db, settings):
    chosen = settings if villages == "unset" else village_settings(settings)
    found = community_problems(village_db, Scope(V3, AS_OF), chosen)
    if villages == "unset":
        assert found == [Problem("village", {})]
    else:
        assert found == [Problem("short", {"n": 3})]
    chooser = profile_chooser(village_db, Scope("970102", AS_OF), chosen)
    # The urban community first; then the villages by their own per 10,000, unknown first.
    assert list(chooser["code"]) == [U3, V4, V3, V1, V2]


VILLAGE_SCOPES = {
    "district": {"district": "970102"},
    "town": {"district": "970102", "street": "970102002"},
    "village": {"district": "970102", "street": "970102002", "community": V3},
}


@pytest.mark.servers()
@pytest.mark.parametrize("where", VILLAGE_SCOPES)
@pytest.mark.parametrize("spec", PAGES, ids=lambda spec: spec.url_path)
def test_every_page_runs_where_villages_are(spec, where, village_url, monkeypatch):
    at = run_app(
        village_url,
        monkeypatch,
        page=spec.path,
        lang="zh",
        month="2025-06",
        **VILLAGE_SCOPES[where],
    )
    assert not at.exception
    assert not at.error


def test_a_villages_overview_gives_its_own_figure_unjudged(village_url, monkeypatch):
    at = run_app(village_url, monkeypatch, lang="en", month="2025-06", **VILLAGE_SCOPES["village"])
    assert not at.exception
    values = metric_values(at)
    assert values["Workers per 10,000 (village)"] == "8.3"  # 1 / 1,200
    assert values["Required workers"] == "—" and values["Staff gap"] == "—"
    headline = " ".join(text.value for text in at.text)
    assert (
        "后坡村 (a village): 8.3 community workers per 10,000 residents, not assessed" in headline
    )
