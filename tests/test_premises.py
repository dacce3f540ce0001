"""Service premises per 100 households (docs/metrics.md §9) on tests/premises_city.py, on every
database: each level, the unknown areas, the village, the alert at its threshold."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import Engine

from dashboard import formatting
from dashboard.map_style import metric_classes
from data_access.db import make_engine
from data_access.exports import PREMISES_COLUMNS
from data_access.figures import grids as grid_figures
from data_access.figures.premises import (
    premises_alerts,
    premises_by_shortfall,
    premises_by_unit,
    premises_status,
    premises_total,
    unknown_area_facilities,
)
from data_access.lights import light_of
from data_access.schema import upgrade
from data_access.scope import Scope
from tests.premises_city import UNKNOWN, VILLAGE, build_premises
from tests.small_city import AS_OF, build_small_city
from tests.test_cli_export import run_export
from tests.test_pages import metric_values, run_app

CITY = Scope(None, AS_OF)


@pytest.fixture(scope="session")
def premises_url(databases) -> str:
    url = databases.new("premises")
    engine = make_engine(url)
    upgrade(engine)
    build_small_city(engine)
    build_premises(engine)
    engine.dispose()
    return url


@pytest.fixture
def premises_db(premises_url: str) -> Iterator[Engine]:
    engine = make_engine(premises_url)
    yield engine
    engine.dispose()


def _row(frame: pd.DataFrame, code: str) -> pd.Series:
    return frame.set_index("code").loc[code]


def _plain(row: pd.Series, columns: list[str]) -> dict[str, object]:
    return {c: (None if pd.isna(row[c]) else float(row[c])) for c in columns}


COLUMNS = [
    "communities", "communities_applying", "communities_assessed", "households", "premises_m2",
    "per_100_households", "required_m2", "shortfall_m2", "communities_meeting",
    "communities_without", "elderly_assessed", "elderly_households", "elderly_m2",
    "elderly_per_100_households", "elderly_required_m2", "elderly_shortfall_m2",
    "elderly_meeting", "facilities_without_area",
]  # fmt: skip


def _expect(values: list[float | None]) -> dict[str, object]:
    return dict(zip(COLUMNS, values, strict=True))


STREETS = {
    "990101001": _expect(
        [2, 2, 2, 5000, 1225, 24.5, 1500, 275, 0, 0, 1, 3500, 700, 20.0, 700, 0, 1, 1]
    ),
    "990101002": _expect(
        [
            2,
            2,
            2,
            13000,
            700,
            700 / 13000 * 100,
            3900,
            3300,
            1,
            1,
            2,
            13000,
            300,
            300 / 13000 * 100,
            2600,
            2300,
            0,
            0,
        ]
    ),
    "990102001": _expect(
        [3, 2, 1, 1800, 250, 250 / 1800 * 100, 540, 290, 0, 0, 2, 2800, 0, 0.0, 560, 560, 0, 1]
    ),
}
CITY_TOTAL = _expect(
    [7, 6, 5, 19800, 2175, 2175 / 19800 * 100, 5940, 3865, 1, 1,
     5, 19300, 1000, 1000 / 19300 * 100, 3860, 2860, 1, 2]
)  # fmt: skip


def test_streets_and_city(premises_db, settings):
    streets = premises_by_unit(premises_db, CITY, settings, "street")
    assert streets["code"].tolist() == list(STREETS)
    for code, expected in STREETS.items():
        assert _plain(_row(streets, code), COLUMNS) == pytest.approx(expected, rel=1e-12), code
    assert _plain(premises_total(premises_db, CITY, settings), COLUMNS) == pytest.approx(
        CITY_TOTAL, rel=1e-12
    )


def test_districts_are_ratios_of_sums(premises_db, settings):
    districts = premises_by_unit(premises_db, CITY, settings)
    first = _plain(_row(districts, "990101"), COLUMNS)
    assert first == pytest.approx(
        _expect(
            [4, 4, 4, 18000, 1925, 1925 / 18000 * 100, 5400, 3575, 1, 1,
             3, 16500, 1000, 1000 / 16500 * 100, 3300, 2300, 1, 1]
        ),
        rel=1e-12,
    )  # fmt: skip
    # The mean of the streets' ratios (24.5 and 5.38…) would be 14.9: not what is shown.
    assert first["per_100_households"] == pytest.approx(10.694444444444445, rel=1e-12)
    assert _plain(_row(districts, "990102"), COLUMNS) == pytest.approx(
        STREETS["990102001"], rel=1e-12
    )
    district = premises_total(premises_db, Scope("990101", AS_OF), settings)
    assert _plain(district, COLUMNS) == pytest.approx(first, rel=1e-12)


def test_communities_unknown_area_and_village(premises_db, settings):
    rows = premises_by_unit(premises_db, Scope("990102001", AS_OF), settings)
    assert rows["code"].tolist() == ["990102001001", VILLAGE, UNKNOWN]
    village = _row(rows, VILLAGE)
    # The village is not set against the urban standard: no required area, no shortfall.
    assert village["communities_applying"] == 0 and village["communities_assessed"] == 0
    assert pd.isna(village["required_m2"]) and pd.isna(village["per_100_households"])
    assert pd.isna(village["shortfall_m2"])
    unknown = _row(rows, UNKNOWN)
    # A station without a floor area: the area is unknown, not 300 m² and not assessed.
    assert unknown["communities_assessed"] == 0 and pd.isna(unknown["premises_m2"])
    assert unknown["facilities_without_area"] == 1 and unknown["communities_without"] == 0
    assert pd.isna(unknown["per_100_households"])
    # …its elderly-care area is known (none at all): 0 per 100 households.
    assert unknown["elderly_per_100_households"] == 0
    one = premises_total(premises_db, Scope("990101001001", AS_OF), settings)
    assert float(one["per_100_households"]) == pytest.approx(1000 / 3500 * 100, rel=1e-12)
    assert float(one["shortfall_m2"]) == pytest.approx(50, rel=1e-12)
    assert float(one["elderly_per_100_households"]) == pytest.approx(20.0, rel=1e-12)
    assert one["elderly_meeting"] == 1 and one["communities_meeting"] == 0


def test_village_assessed_when_the_setting_says_so(premises_db, settings):
    wider = dataclasses.replace(settings, premises_standard_applies_to_villages=True)
    total = premises_total(premises_db, CITY, wider)
    assert total["communities_assessed"] == 6 and total["households"] == 20200
    assert float(total["premises_m2"]) == pytest.approx(2225, rel=1e-12)
    assert float(total["shortfall_m2"]) == pytest.approx(3935, rel=1e-12)
    alerts = premises_alerts(premises_db, CITY, wider)
    assert VILLAGE in alerts["code"].tolist()


def test_counted_kinds_follow_the_setting(premises_db, settings):
    with_clinics = dataclasses.replace(
        settings, premises_counted_kinds="service_centre,social_work_station,clinic"
    )
    one = premises_total(premises_db, Scope("990101001001", AS_OF), with_clinics)
    assert float(one["premises_m2"]) == pytest.approx(1500, rel=1e-12)
    assert one["communities_meeting"] == 1 and float(one["shortfall_m2"]) == 0


def test_alerts_at_the_threshold(premises_db, settings):
    alerts = premises_alerts(premises_db, CITY, settings)
    # C3 has no counted premises; C5 is at 13.9 < 15; C2 at exactly 15.0 is not below half.
    assert alerts["code"].tolist() == ["990101002001", "990102001001"]
    assert alerts["reason"].tolist() == ["none", "below"]
    assert alerts["street_name"].tolist() == ["西街道", "南街道"]
    assert alerts["district_name"].tolist() == ["甲区", "乙区"]
    assert float(alerts["shortfall_m2"].iloc[0]) == pytest.approx(3300, rel=1e-12)
    assert float(alerts["per_100_households"].iloc[1]) == pytest.approx(250 / 18, rel=1e-12)
    stricter = dataclasses.replace(settings, premises_alert_ratio=0.51)
    assert premises_alerts(premises_db, CITY, stricter)["code"].tolist() == [
        "990101002001",
        "990102001001",
        "990101001002",
    ]


def test_ranking_by_shortfall(premises_db, settings):
    ranked = premises_by_shortfall(premises_db, CITY, settings, "street")
    assert ranked["code"].tolist() == ["990101002", "990102001", "990101001"]
    assert ranked["shortfall_m2"].tolist() == pytest.approx([3300, 290, 275], rel=1e-12)


def test_facilities_without_area_are_named(premises_db, settings):
    found = unknown_area_facilities(premises_db, CITY, settings)
    assert found["code"].tolist() == ["F06", "F13"]
    assert found["kind"].tolist() == ["elderly_care", "social_work_station"]
    assert found["community_name"].tolist() == ["二社区", "七社区"]
    assert found["street_name"].tolist() == ["东街道", "南街道"]
    only_district = unknown_area_facilities(premises_db, Scope("990102", AS_OF), settings)
    assert only_district["code"].tolist() == ["F13"]


def test_export_premises_by_street(premises_url, premises_db, settings, monkeypatch, capsysbinary):
    status, rows, _ = run_export(
        monkeypatch, capsysbinary, premises_url,
        "premises", "--level", "street", "--as-of", AS_OF.isoformat(),
    )  # fmt: skip
    assert status == 0
    assert list(rows[0]) == PREMISES_COLUMNS
    first = dict(rows[0])
    assert float(first.pop("per_100_households")) == pytest.approx(24.5, rel=1e-12)
    assert first == {
        "code": "990101001",
        "name": "东街道",
        "communities": "2",
        "households": "5000",
        "premises_m2": "1225.0",
        "required_m2": "1500.0",
        "shortfall_m2": "275.0",
        "communities_meeting": "0",
        "communities_without": "0",
        "elderly_m2": "700.0",
        "elderly_per_100_households": "20.0",
        "facilities_without_area": "1",
    }
    # The page table is the same figure: every value equal to the export's.
    page = premises_by_unit(premises_db, CITY, settings, "street")[PREMISES_COLUMNS]
    for row, (_, expected) in zip(rows, page.iterrows(), strict=True):
        for column in PREMISES_COLUMNS:
            value = expected[column]
            if pd.isna(value):
                assert row[column] == "", column
            elif isinstance(value, str):
                assert row[column] == value
            else:
                assert float(row[column]) == pytest.approx(float(value), rel=1e-12), column


def test_export_premises_of_communities_leaves_unknown_empty(
    premises_url, monkeypatch, capsysbinary
):
    status, rows, _ = run_export(
        monkeypatch, capsysbinary, premises_url,
        "premises", "--level", "community", "--scope", "990102001", "--as-of", AS_OF.isoformat(),
    )  # fmt: skip
    assert status == 0
    by_code = {row["code"]: row for row in rows}
    assert by_code[UNKNOWN]["premises_m2"] == "" and by_code[UNKNOWN]["per_100_households"] == ""
    assert by_code[UNKNOWN]["facilities_without_area"] == "1"
    assert by_code[VILLAGE]["required_m2"] == "" and by_code[VILLAGE]["shortfall_m2"] == ""


@pytest.mark.parametrize(
    ("community", "light"),
    [("990101002002", "meets"), ("990101001001", "close"), ("990101001002", "below")],
)
def test_light_at_the_thresholds(premises_db, settings, community, light):
    # 35.0 ≥ 30 meets; 28.57 ≥ 0.9 × 30 = 27 is close; 15.0 is below.
    total = premises_total(premises_db, Scope(community, AS_OF), settings)
    assert light_of("per_100_households", total["per_100_households"], settings) == light


@pytest.mark.parametrize(
    ("community", "status"),
    [
        ("990101002002", "meets"),
        ("990101001001", "short"),
        ("990101002001", "none"),
        (UNKNOWN, "unknown"),
        (VILLAGE, "village"),
    ],
)
def test_profile_status(premises_db, settings, community, status):
    total = premises_total(premises_db, Scope(community, AS_OF), settings)
    assert premises_status(total) == status


def test_map_classes_around_the_standard(settings):
    classes = metric_classes("premises", settings)  # 30 m² and 0.9 × 30 = 27 m²
    assert classes.breaks == (27.0, 30.0)
    assert classes.colour(26.9) == classes.colour(0.0) != classes.colour(27.0)
    assert classes.colour(30.0) != classes.colour(29.9)
    assert [classes.state(v) for v in (26.9, 27.0, 30.0)] == ["below", "close", "meets"]
    assert formatting.metric("premises", 28.5714, "zh") == "28.6"


def test_unit_metrics_carry_premises(premises_db, settings):
    metrics = grid_figures.unit_metrics(premises_db, CITY, settings, "street")
    by_code = metrics.set_index("code")["premises"]
    assert float(by_code["990101001"]) == pytest.approx(24.5, rel=1e-12)
    assert float(by_code["990102001"]) == pytest.approx(250 / 18, rel=1e-12)


@pytest.mark.servers()  # the pages' code is the same on every backend
def test_pages_show_the_figures(premises_url, monkeypatch):
    at = run_app(premises_url, monkeypatch, page="pages/overview.py", lang="en")
    assert not at.exception
    assert metric_values(at)["Service premises (m² per 100 households)"] == "11.0"
    profile = run_app(
        premises_url, monkeypatch, page="pages/profile.py", lang="en",
        district="990101", street="990101001", community="990101001001",
    )  # fmt: skip
    assert not profile.exception
    texts = [element.value for element in profile.text]
    assert (
        "Service premises 1,000 m², 28.6 m² per 100 households: below the standard of 30 m²; "
        "required 1,050 m², short by 50 m²."
    ) in texts

    grids = run_app(premises_url, monkeypatch, page="pages/grids.py", lang="en")
    assert not grids.exception
    shortfalls = [
        frame.value for frame in grids.dataframe if "Shortfall (m²)" in frame.value.columns
    ]
    assert len(shortfalls) == 1
    # The districts, largest shortfall first: the export's rows and values.
    assert list(shortfalls[0]["Code"]) == ["990101", "990102"]
    assert list(shortfalls[0]["Shortfall (m²)"]) == pytest.approx([3575, 290], rel=1e-12)
    assert list(shortfalls[0]["Per 100 households (m²)"]) == pytest.approx(
        [1925 / 18000 * 100, 250 / 18], rel=1e-12
    )
    assert list(shortfalls[0]["Facilities without area"]) == [1, 1]


@pytest.mark.servers()
def test_wall_screen_and_briefing_show_premises(premises_url, monkeypatch):
    screen = run_app(
        premises_url, monkeypatch, page="pages/screen.py", lang="en", metric="premises"
    )
    assert not screen.exception
    html = " ".join(str(element.proto.body) for element in screen.get("html"))
    assert "Premises per 100 households" in html  # the ranking's title
    briefing = run_app(premises_url, monkeypatch, page="pages/briefing.py", lang="en")
    assert not briefing.exception
    cards = " ".join(str(element.proto.body) for element in briefing.get("html"))
    assert "Service premises (m² per 100 households)" in cards and "11.0" in cards
