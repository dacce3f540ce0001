"""The admission list (docs/admission.md): working days, the list, applications, items found, export."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import Engine

from data_access.admission import (
    admission_by_unit,
    by_department,
    list_changes,
    list_counts,
    list_history,
    load,
    not_admitted,
    timing_summary,
    unfunded,
)
from data_access.db import make_engine
from data_access.exports import export_table
from data_access.queries.hierarchy import units
from data_access.schema import upgrade
from data_access.scope import Scope
from data_access.workdays import (
    is_working_day,
    known_years,
    nth_working_day_after,
    working_days_between,
)
from tests.admission_city import build_admission
from tests.small_city import AS_OF, build_small_city

D = dt.date
CITY = Scope(None, AS_OF)

# ---------------------------------------------------------------------------------------------
# Working days (chinese-calendar): holidays off, adjusted Saturdays and Sundays (调休) worked


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Spring Festival 2025: 28 Jan – 4 Feb off; Sun 26 Jan and Sat 8 Feb worked.
        (D(2025, 1, 24), D(2025, 2, 10), 7),
        (D(2025, 1, 27), D(2025, 2, 5), 1),
        # National Day 2025: 1–8 Oct off; Sun 28 Sep and Sat 11 Oct worked.
        (D(2025, 9, 26), D(2025, 10, 13), 7),
        # Spring Festival 2024: 10–17 Feb off; Sun 4 Feb and Sun 18 Feb worked.
        (D(2024, 2, 2), D(2024, 2, 19), 8),
        # National Day 2024: 1–7 Oct off; Sun 29 Sep and Sat 12 Oct worked.
        (D(2024, 9, 27), D(2024, 10, 14), 8),
        # Spring Festival 2026: 15–23 Feb off; Sat 14 Feb and Sat 28 Feb worked.
        (D(2026, 2, 13), D(2026, 3, 2), 7),
        # An ordinary fortnight, and an answer on the day of the application.
        (D(2025, 3, 3), D(2025, 3, 17), 10),
        (D(2025, 3, 3), D(2025, 3, 3), 0),
    ],
)
def test_working_days_across_holidays_and_adjusted_days(start, end, expected):
    assert working_days_between(start, end) == expected


@pytest.mark.parametrize(
    "day", [D(2025, 2, 8), D(2025, 10, 11), D(2024, 10, 12), D(2026, 2, 14), D(2026, 2, 28)]
)
def test_adjusted_saturdays_are_working_days(day):
    assert day.weekday() == 5 and is_working_day(day) is True


def test_holidays_on_weekdays_are_not_working_days():
    assert is_working_day(D(2025, 10, 1)) is False and is_working_day(D(2025, 1, 29)) is False


def test_a_year_the_calendar_does_not_know_is_unknown_not_guessed():
    first, last = known_years()
    assert (first, last) == (2004, 2026)  # chinese-calendar 1.11
    assert is_working_day(D(last + 1, 1, 5)) is None
    assert working_days_between(D(last, 12, 20), D(last + 1, 1, 10)) is None
    assert nth_working_day_after(D(last, 12, 20), 15) is None
    assert working_days_between(D(first - 1, 12, 20), D(first, 1, 10)) is None


def test_deadline_of_fifteen_working_days():
    # 23–26 Sep, Sun 28 Sep, 29–30 Sep, 9–11 Oct (Sat 11 worked), 13–17 Oct.
    assert nth_working_day_after(D(2025, 9, 22), 15) == D(2025, 10, 17)
    assert working_days_between(D(2025, 9, 22), D(2025, 10, 17)) == 15


def test_end_before_start_is_an_error():
    with pytest.raises(ValueError):
        working_days_between(D(2025, 3, 3), D(2025, 3, 2))


# ---------------------------------------------------------------------------------------------
# The fixture: tests/admission_city.py on the small city, once per backend


@pytest.fixture(scope="session")
def admission_url(databases) -> str:
    url = databases.new("admission")
    engine = make_engine(url)
    upgrade(engine)
    build_small_city(engine)
    build_admission(engine)
    engine.dispose()
    return url


@pytest.fixture
def admission_db(admission_url: str) -> Iterator[Engine]:
    engine = make_engine(admission_url)
    yield engine
    engine.dispose()


def test_list_by_category_and_over_time(admission_db, settings):
    data = load(admission_db, CITY, settings)
    assert list_counts(data.items, AS_OF).to_dict() == {
        "self_governance": 2,
        "assisting": 2,
        "certificate_abolished": 1,
    }
    history = list_history(data.items, AS_OF).pivot(index="day", columns="list", values="items")
    assert list(history.index) == [*(D(y, 12, 31) for y in range(2019, 2025)), AS_OF]
    assert history["assisting"].tolist() == [2, 2, 2, 2, 2, 1, 2]
    assert history["certificate_abolished"].tolist() == [0, 1, 1, 1, 1, 1, 1]
    changes = list_changes(data.items, AS_OF)
    assert changes.to_dict("records") == [
        {"year": 2019, "list": "assisting", "items_added": 2, "items_withdrawn": 0},
        {"year": 2019, "list": "self_governance", "items_added": 2, "items_withdrawn": 0},
        {"year": 2020, "list": "certificate_abolished", "items_added": 1, "items_withdrawn": 0},
        {"year": 2024, "list": "assisting", "items_added": 0, "items_withdrawn": 1},
        {"year": 2025, "list": "assisting", "items_added": 1, "items_withdrawn": 0},
    ]
    assert unfunded(data.items, AS_OF)["code"].tolist() == ["XZ-01", "XZ-03"]


def test_application_timing_at_city_scope(admission_db, settings):
    data = load(admission_db, CITY, settings)
    timing = data.applications.set_index("id")
    assert timing["working_days"].to_dict() == {
        "A1": 7, "A2": 13, "A3": 16, "A4": 38, "A5": 6, "A6": 14, "A8": 20,
    }  # fmt: skip
    assert timing["timing"].to_dict() == {
        "A1": "on_time", "A2": "on_time", "A3": "late", "A4": "overdue", "A5": "pending",
        "A6": "pending", "A8": "late",
    }  # fmt: skip
    assert timing.loc["A6", "state"] == "pending"  # decided only after the as-of date
    assert timing.loc["A4", "deadline"] == D(2025, 5, 27)  # 7–9, 12–16, 19–23, 26–27 May


def test_on_time_share_median_and_worst_by_department(admission_db, settings):
    data = load(admission_db, CITY, settings)
    table = by_department(data.applications).set_index("department")
    assert list(table.index) == ["公安局", "住建局", "卫健委", "城管局"]  # most behind first
    assert table.loc[
        "城管局", ["decided_on_time", "on_time_share", "median_working_days"]
    ].tolist() == [2, 1.0, 10.0]
    assert table.loc[
        "公安局", ["applications", "overdue", "decided_late", "on_time_share"]
    ].tolist() == [2, 1, 1, 0.0]
    assert table.loc["公安局", ["median_working_days", "worst_working_days"]].tolist() == [
        16.0,
        38.0,
    ]
    assert table.loc["卫健委", ["pending", "decided", "worst_working_days"]].tolist() == [
        2,
        0,
        14.0,
    ]
    assert math.isnan(table.loc["卫健委", "on_time_share"])
    assert math.isnan(table.loc["卫健委", "median_working_days"])
    total = timing_summary(data.applications)
    assert total[
        ["applications", "pending", "overdue", "decided_on_time", "decided_late"]
    ].tolist() == [7, 3, 1, 2, 2]
    # 2 on time of 2 on time, 2 late and 1 overdue (docs/admission.md).
    assert total["on_time_share"] == 0.4 and total["median_working_days"] == 14.5


def test_an_overdue_application_keeps_a_department_below_100_percent(admission_db, settings):
    applications = load(admission_db, CITY, settings).applications.set_index("id")
    assert applications.loc[["A1", "A2", "A4"], "timing"].tolist() == [
        "on_time",
        "on_time",
        "overdue",
    ]
    # 城管局 answered A1 and A2 on time; give it A4 too, pending 38 working days by the as-of date.
    applications.loc["A4", "department"] = "城管局"
    table = by_department(applications.reset_index()).set_index("department")
    assert table.loc["城管局", ["decided_on_time", "decided_late", "overdue"]].tolist() == [2, 0, 1]
    assert table.loc["城管局", "on_time_share"] == 2 / 3
    # A pending application within the limit (卫健委's A5) is left out of the share.
    assert math.isnan(table.loc["卫健委", "on_time_share"])


def test_a_district_sees_its_own_and_the_citys_applications(admission_db, settings):
    data = load(admission_db, Scope("990101002", AS_OF), settings)
    assert sorted(data.applications["id"]) == ["A1", "A2", "A3", "A6", "A8"]


@pytest.mark.parametrize(
    ("scope", "level", "expected"),
    [
        (None, "district", {"990101": (7, 5, 4, 4), "990102": (1, 1, 1, 1)}),
        (
            None,
            "street",
            {"990101001": (4, 3, 2, 2), "990101002": (3, 2, 2, 2), "990102001": (1, 1, 1, 1)},
        ),
        ("990101001", "community", {"990101001001": (3, 2, 1, 1), "990101001002": (1, 1, 1, 1)}),
        ("990101002002", "community", {"990101002002": (2, 1, 1, 1)}),
    ],
)
def test_items_found_but_not_admitted_at_each_level(admission_db, settings, scope, level, expected):
    table = admission_by_unit(
        load(admission_db, Scope(scope, AS_OF), settings),
        units(admission_db),
        level,
        Scope(scope, AS_OF),
    )
    columns = ["found_items", "not_admitted", "not_admitted_items", "communities_with_not_admitted"]
    assert {row.code: tuple(row[columns]) for _, row in table.iterrows()} == expected


def test_not_admitted_list_names_the_items(admission_db, settings):
    found = not_admitted(load(admission_db, CITY, settings).found)
    assert list(zip(found["community_code"], found["item_name"], found["list"], strict=True)) == [
        ("990101001001", "创建文明养犬示范小区", None),
        ("990101001002", "电动车权属证明", "certificate_abolished"),
        ("990101002001", "协助就业失业登记", "assisting"),
        ("990101001001", "创建文明养犬示范小区", None),
        ("990102001001", "创建达标评比", "none"),
        ("990101002002", "协助燃气安全入户宣传", "assisting"),
    ]
    assert found["why_not"].tolist() == [
        "unlisted", "certificate", "withdrawn", "unlisted", "cleared", "not_yet",
    ]  # fmt: skip


def test_unit_table_counts_each_districts_own_applications(admission_db, settings):
    table = admission_by_unit(
        load(admission_db, CITY, settings), units(admission_db), "district", CITY
    )
    first, second = table.iloc[0], table.iloc[1]
    assert first[["communities", "applications", "pending", "overdue"]].tolist() == [4, 3, 1, 0]
    assert first[["decided_on_time", "decided_late", "on_time_share"]].tolist() == [1, 1, 0.5]
    assert first[["median_working_days", "worst_working_days"]].tolist() == [11.5, 16]
    assert second[["applications", "pending", "overdue", "worst_working_days"]].tolist() == [
        2,
        2,
        1,
        38,
    ]
    assert second["on_time_share"] == 0.0  # nothing answered, one overdue


def test_export_admission_matches_the_unit_table(admission_db, settings):
    exported = export_table(admission_db, "admission", "street", "990101", AS_OF, settings)
    scope = Scope("990101", AS_OF)
    table = admission_by_unit(
        load(admission_db, scope, settings), units(admission_db), "street", scope
    )
    pd.testing.assert_frame_equal(exported, table)
    assert exported["code"].tolist() == ["990101001", "990101002"]
    assert exported["applications"].tolist() == [3, 3]  # the district's, on each of its streets


# ---------------------------------------------------------------------------------------------
# The demo city's list (data_access/demo/admission.py)


def test_demo_city_has_the_jiangxia_list_and_applications_over_the_years(demo_url, settings):
    engine = make_engine(demo_url)
    scope = Scope(None, D(2026, 10, 31))
    data = load(engine, scope, settings)
    assert list_counts(data.items, scope.as_of).to_dict() == {
        "self_governance": 16,
        "assisting": 40,
        "certificate_abolished": 23,
    }
    assert list_counts(data.items, D(2019, 12, 31)).to_dict()["assisting"] == 38
    timing = data.applications
    assert set(timing["submitted_on"].map(lambda d: d.year)) == set(range(2020, 2027))
    counted = timing["timing"].value_counts()
    assert counted["late"] >= 3 and counted["overdue"] >= 1 and counted["pending"] >= 1
    assert (timing["state"] == "refused").sum() >= 10
    assert timing["department"].nunique() >= 10
    found = data.found
    assert 0 < (~found["admitted"]).sum() < len(found) / 4
    assert (found["list"].isna() & ~found["admitted"]).any()  # items on no list at all
    assert len(unfunded(data.items, scope.as_of)) >= 5
    engine.dispose()


# ---------------------------------------------------------------------------------------------
# The page under AppTest (SQLite): its figures are the export's


def _page(url: str, monkeypatch, lang: str = "zh", **state: object):
    from tests.test_pages import run_app

    return run_app(url, monkeypatch, page="pages/admission.py", lang=lang, month="2025-06", **state)


def _table(at, key: str | None = None, first_column: str | None = None) -> pd.DataFrame:
    """The one table of the page with this key (selectable tables) or this first column."""
    (frame,) = [
        element.value
        for element in at.dataframe
        if (key and element.key == key)
        or (first_column and element.value.columns[0] == first_column)
    ]
    return frame


@pytest.fixture
def admission_sqlite(admission_url: str, backend: str) -> str:
    if backend != "sqlite":
        pytest.skip("the page is tested on SQLite")
    return admission_url


def test_page_figures_equal_the_export_at_city_scope(admission_sqlite, monkeypatch, settings):
    at = _page(admission_sqlite, monkeypatch)
    assert not at.exception and not at.error
    from tests.test_pages import metric_values

    metrics = metric_values(at)
    assert metrics["依法自治事项"] == "2" and metrics["协助政府事项"] == "2"
    assert metrics["按时答复率"] == "40.0%"
    assert metrics["审批用时中位数（工作日）"] == "14"  # 14.5 in the export: whole days here
    assert metrics["审批中的申请"] == "3"
    assert metrics["未经准入进入社区的事项"] == "6"
    assert metrics["经费未配套的准入事项"] == "2"
    shown = _table(at, "admission_units_city")
    exported = export_table(
        make_engine(admission_sqlite), "admission", "district", None, AS_OF, settings
    )
    assert shown["代码"].tolist() == exported["code"].tolist() == ["990101", "990102"]
    assert shown["未经准入记录"].tolist() == exported["not_admitted"].tolist() == [5, 1]
    assert shown["申请数"].tolist() == exported["applications"].tolist() == [3, 2]
    assert shown["按时答复率"].iloc[0] == exported["on_time_share"].iloc[0] * 100 == 50.0
    departments = _table(at, first_column="部门")
    assert departments["部门"].tolist() == ["公安局", "住建局", "卫健委", "城管局"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_at_street_scope_lists_communities_and_what_was_not_admitted(
    admission_sqlite, monkeypatch, settings, lang
):
    at = _page(admission_sqlite, monkeypatch, lang, district="990101", street="990101001")
    assert not at.exception and not at.error
    shown = _table(at, "admission_units_990101001")
    assert shown.iloc[:, 0].tolist() == ["990101001001", "990101001002"]
    exported = export_table(
        make_engine(admission_sqlite), "admission", "community", "990101001", AS_OF, settings
    )
    assert shown.iloc[:, 4].tolist() == exported["not_admitted"].tolist() == [2, 1]
    missing = _table(at, first_column="社区代码" if lang == "zh" else "Community code")
    assert len(missing) == 3
    assert "电动车权属证明" in missing.iloc[:, 4].tolist()


def test_page_without_admission_data_says_so(small_city_url, backend, monkeypatch):
    if backend != "sqlite":
        pytest.skip("the page is tested on SQLite")
    at = _page(small_city_url, monkeypatch)
    assert not at.exception
    assert any("还没有导入工作事项清单" in info.value for info in at.info)


def test_cli_export_admission_writes_the_documented_columns(
    admission_sqlite, monkeypatch, capsysbinary
):
    from tests.test_cli_export import run_export

    status, rows, _ = run_export(
        monkeypatch, capsysbinary, admission_sqlite,
        "admission", "--level", "district", "--as-of", AS_OF.isoformat(),
    )  # fmt: skip
    assert status == 0
    assert list(rows[0]) == [
        "code", "name", "communities", "found_items", "not_admitted", "not_admitted_items",
        "communities_with_not_admitted", "applications", "pending", "overdue", "decided_on_time",
        "decided_late", "on_time_share", "median_working_days", "worst_working_days",
    ]  # fmt: skip
    assert rows[0] | {} == {
        "code": "990101", "name": "甲区", "communities": "4", "found_items": "7",
        "not_admitted": "5", "not_admitted_items": "4", "communities_with_not_admitted": "4",
        "applications": "3", "pending": "1", "overdue": "0", "decided_on_time": "1",
        "decided_late": "1", "on_time_share": "0.5", "median_working_days": "11.5",
        "worst_working_days": "16",
    }  # fmt: skip
    # None decided, one overdue: the share is 0, the median empty.
    assert (rows[1]["on_time_share"], rows[1]["median_working_days"]) == ("0.0", "")


def test_department_chart_stacks_answers_and_waits(admission_db, settings):
    from dashboard.admission_charts import department_timing_chart
    from dashboard.i18n import text_in

    departments = by_department(load(admission_db, CITY, settings).applications)
    en = text_in("en")
    figure = department_timing_chart(departments, "title", en)
    bars = {trace.name: dict(zip(trace.y, trace.x, strict=True)) for trace in figure.data}
    on, late, wait, over = (
        en(f"admission.timing.{k}") for k in ("on_time", "late", "pending", "overdue")
    )
    assert bars[over]["公安局"] == 1 and bars[late]["公安局"] == 1
    assert bars[wait]["卫健委"] == 2 and bars[on]["城管局"] == 2
    assert list(figure.data[0].y)[-1] == "公安局"  # the most behind at the top


def test_templates_carry_the_three_admission_tables():
    import io

    import openpyxl

    from data_access.importing.templates import allowed_values, template_workbook

    workbook = openpyxl.load_workbook(io.BytesIO(template_workbook()))
    for sheet, headers in (
        (
            "工作事项清单",
            [
                "事项编号",
                "事项名称",
                "所属清单",
                "主管部门",
                "依据",
                "列入日期",
                "移出日期",
                "经费配套",
            ],
        ),
        (
            "准入申请",
            [
                "申请编号",
                "申请事项",
                "申请部门",
                "申请范围",
                "申请日期",
                "审批日期",
                "审批结果",
                "理由",
            ],
        ),
        ("事项发现", ["社区代码", "月份", "事项编号或名称", "来源"]),
    ):
        assert [cell.value for cell in workbook[sheet][1]] == headers
    lists = [row[2:] for row in allowed_values() if row[:2] == ("工作事项清单", "所属清单")]
    assert lists == [
        ("self_governance", "依法自治事项"),
        ("assisting", "协助政府事项"),
        ("certificate_abolished", "取消的证明事项"),
        ("none", "未列入清单"),
    ]
