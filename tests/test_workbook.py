"""Excel for people (dashboard/export.py) read back with openpyxl, and file names in the UI language."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from dashboard.context import PageContext
from dashboard.export import SheetTable, total_row, workbook_bytes
from data_access.files import safe_file_stem
from data_access.scope import Scope
from data_access.settings import load_settings

# Two streets: 78 workers for 44,258 residents and 132 for 84,559 (17.6 and 15.6 per 10,000).
STREETS = pd.DataFrame(
    {
        "code": ["990101001", "990101002"],
        "name": ["北康镇", "晨新街道"],
        "resident_population": [44_258, 84_559],
        "counted_workers": [78, 132],
        "per_10k": [78 / 44_258 * 10_000, 132 / 84_559 * 10_000],
        "gap": [20, 24],
        "communities_meeting": [0, 3],
        "communities_assessed": [7, 8],
        "share_meeting": [0.0, 3 / 8],
        "licensed_rate": [0.487, None],
    }
)
HEADERS = {
    "code": "代码",
    "name": "名称",
    "resident_population": "常住人口",
    "counted_workers": "社区工作者",
    "per_10k": "每万人",
    "gap": "缺额",
    "communities_meeting": "达标社区",
    "communities_assessed": "参评社区",
    "share_meeting": "达标社区占比",
    "licensed_rate": "持证比例",
}


def read_back(tables: list[SheetTable]) -> openpyxl.Workbook:
    data = workbook_bytes(
        tables, {"范围": "东湖区", "截至日期": "2026年10月31日"}, "筛选条件", ("条件", "值")
    )
    return openpyxl.load_workbook(io.BytesIO(data))


def test_a_sheet_has_a_title_a_frozen_header_and_formats_per_column():
    title = "队伍配备 · 东湖区 · 数据截至2026年10月31日"
    book = read_back([SheetTable("各街道", title, STREETS, HEADERS, "合计")])
    assert book.sheetnames == ["各街道", "筛选条件"]
    sheet = book["各街道"]
    assert sheet["A1"].value == title and sheet["A1"].font.bold
    assert [cell.value for cell in sheet[3]] == list(HEADERS.values())
    assert sheet.freeze_panes == "A4"
    assert sheet.print_title_rows == "$3:$3"
    row = {HEADERS[key]: cell for key, cell in zip(STREETS.columns, sheet[4], strict=True)}
    assert row["代码"].value == "990101001" and row["代码"].data_type == "s"
    assert (row["常住人口"].value, row["常住人口"].number_format) == (44_258, "#,##0")
    assert row["每万人"].number_format == "#,##0.0"
    assert row["每万人"].value == pytest.approx(78 / 44_258 * 10_000)  # unrounded in the cell
    assert (row["达标社区占比"].value, row["达标社区占比"].number_format) == (0, "0.0%")
    assert sheet.cell(5, 10).value is None  # a missing rate is an empty cell, not "None"
    assert sheet.column_dimensions["B"].width >= 10  # 晨新街道 is eight columns wide
    assert [[c.value for c in r] for r in book["筛选条件"].iter_rows()] == [
        ["条件", "值"],
        ["范围", "东湖区"],
        ["截至日期", "2026年10月31日"],
    ]


@pytest.mark.parametrize(
    ("language", "month", "day"),
    [("zh", 'yyyy"年"m"月"', 'yyyy"年"m"月"d"日"'), ("en", "mmm yyyy", "d mmm yyyy")],
)
def test_months_and_days_are_dates_and_changes_carry_their_sign(language, month, day):
    frame = pd.DataFrame(
        {
            "period": pd.to_datetime(["2026-10-01", None]),
            "deadline": [dt.date(2026, 10, 31), None],
            "counted_workers_yoy": [36, -1],
            "per_10k_yoy": [-0.04, 0.26],  # -0.04 shows as +0.0: no fall at one decimal
        }
    )
    sheet = read_back([SheetTable("s", "t", frame, {}, language=language)])["s"]
    assert sheet["A4"].value == dt.datetime(2026, 10, 1) and sheet["A4"].number_format == month
    assert sheet["B4"].value == dt.datetime(2026, 10, 31) and sheet["B4"].number_format == day
    assert sheet["A5"].value is None and sheet["B5"].value is None
    assert sheet["C4"].number_format == "+#,##0;-#,##0;+#,##0"
    assert sheet["D4"].number_format == "+#,##0.0;-#,##0.0;+#,##0.0"
    assert [sheet["D4"].value, sheet["D5"].value] == [0.0, 0.3]


def test_the_total_row_sums_counts_and_takes_rates_as_ratios_of_sums():
    book = read_back([SheetTable("各街道", "t", STREETS, HEADERS, "合计")])
    sheet = book["各街道"]
    total = {HEADERS[key]: cell for key, cell in zip(STREETS.columns, sheet[6], strict=True)}
    assert total["名称"].value == "合计" and total["代码"].value is None
    assert total["常住人口"].value == 128_817
    assert total["社区工作者"].value == 210
    # 210 / 128,817 × 10,000 = 16.30, not the mean of 17.62 and 15.61 (16.62).
    assert total["每万人"].value == pytest.approx(210 / 128_817 * 10_000)
    assert total["达标社区占比"].value == pytest.approx(3 / 15)  # not (0 + 0.375) / 2
    assert total["持证比例"].value is None  # no licensed_workers column: no ratio of sums
    assert total["每万人"].number_format == "#,##0.0" and total["每万人"].font.bold


def test_no_total_row_where_a_total_means_nothing():
    book = read_back([SheetTable("名单", "t", STREETS, HEADERS)])
    assert book["名单"].max_row == 5  # title, blank, header and the two streets


def test_total_row_of_an_empty_denominator_is_empty():
    frame = STREETS.assign(communities_assessed=[0, 0])
    assert total_row(frame)["share_meeting"] is None


def test_text_that_looks_like_a_formula_stays_text():
    frame = pd.DataFrame({"code": ["1"], "name": ["=HYPERLINK(1)"]})
    sheet = read_back([SheetTable("s", "t", frame, HEADERS)])["s"]
    assert sheet["B4"].value == "'=HYPERLINK(1)"


@pytest.mark.parametrize(
    ("text", "stem"),
    [
        ("队伍配备_东湖区_2026年10月", "队伍配备_东湖区_2026年10月"),
        ('a/b:c*?"<>|d', "a_b_c_d"),
        ("CON", "_CON"),
        ("report. ", "report"),
        ("", "export"),
    ],
)
def test_file_names_are_safe_on_windows(text, stem):
    assert safe_file_stem(text) == stem


def test_file_names_in_the_ui_language(monkeypatch):
    units = pd.DataFrame({"code": ["990101"], "name": ["东湖区"]})
    context = PageContext(
        "sqlite://", Scope("990101", dt.date(2026, 10, 31)), units, load_settings({}), True, True
    )
    monkeypatch.setattr("dashboard.context.current_language", lambda: "zh")
    assert context.file_stem("staffing_units") == "队伍配备_东湖区_2026年10月"
    assert context.file_stem("overview") == "总览_东湖区_2026年10月"  # a page's own title
    monkeypatch.setattr("dashboard.context.current_language", lambda: "en")
    assert context.file_stem("staffing_units") == "Staffing_东湖区_2026-10"


def test_the_total_per_10k_of_units_with_villages_is_that_of_their_urban_communities():
    # 北康镇 holds 2 villages of 9,000 residents and 12 workers beside its urban communities.
    units = STREETS.assign(
        urban_population=[35_258, 84_559],
        urban_counted_workers=[66, 132],
        per_10k=[66 / 35_258 * 10_000, 132 / 84_559 * 10_000],
        per_10k_all=[78 / 44_258 * 10_000, 132 / 84_559 * 10_000],
    )
    totals = total_row(units)
    assert totals["per_10k"] == pytest.approx(198 / 119_817 * 10_000)  # not 210 / 128,817
    assert totals["per_10k_all"] == pytest.approx(210 / 128_817 * 10_000)
    assert (totals["urban_population"], totals["urban_counted_workers"]) == (119_817, 198)
    # A list of communities and villages without those columns has no total per 10,000.
    listed = STREETS.assign(community_kind=["村", "城市社区"], per_10k_all=STREETS["per_10k"])
    totals = total_row(listed)
    assert "per_10k" not in totals
    assert totals["per_10k_all"] == pytest.approx(210 / 128_817 * 10_000)
