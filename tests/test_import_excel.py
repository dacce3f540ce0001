"""Values Excel damages or a Chinese input method types (docs/metrics.md §6): each refused with
a message that names the damage, or read as the value it is when nothing was lost; staff codes
made of their community's code; communities of 0 residents."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import Engine, and_, or_, select

from dashboard import formatting
from dashboard.export import total_row
from data_access.exports import export_staffing
from data_access.figures.staffing import staffing_by_unit, staffing_total
from data_access.files import csv_bytes
from data_access.importing import Upload, line, run_import
from data_access.importing.runner import check_uploads
from data_access.importing.specs import SPECS
from data_access.importing.validate import (
    CellError,
    Column,
    to_code,
    to_date,
    to_float,
    to_int,
    to_key,
    to_period,
    to_scope,
    to_unit_code,
)
from data_access.models import CommunityPopulation, StaffMember
from data_access.scope import Scope
from tests.small_city import AS_OF
from tests.test_import import MAX_BYTES, small_city_known

COMMUNITY = SPECS["communities"].by_name["code"]
STREET = SPECS["streets"].by_name["code"]
RESIDENTS = SPECS["population"].by_name["resident_population"]
AREA = SPECS["communities"].by_name["area_km2"]
STAFF_CODE = SPECS["staff"].by_name["staff_code"]
START = SPECS["staff"].by_name["start_date"]
PERIOD = Column("period", "月份", "period")


# ---------------------------------------------------------------------------------------------
# One cell at a time


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("420115001906", "420115001906"),
        ("４２０１１５００１９０６", "420115001906"),  # full-width digits
        ("４２０１１5００１９０６", "420115001906"),  # one of them half-width
        ("420115001906.0", "420115001906"),  # `.0` appended, exact
        ("420115001906.000", "420115001906"),
        ("420,115,001,906", "420115001906"),  # grouped by thousands
        ("４２０，１１５，００１，９０６", "420115001906"),
        (" 420115001906 ", "420115001906"),
        (420115001906.0, "420115001906"),  # a number in a workbook
    ],
)
def test_a_code_is_read_as_its_digits_when_nothing_was_lost(typed, read):
    assert to_code(typed, COMMUNITY) == read


@pytest.mark.parametrize(
    "typed", ["4.20115001906E+11", "4.20115E+11", "4.20115e+11", "４．２０１１５Ｅ＋１１", "4E+11"]
)
def test_a_code_in_scientific_notation_is_refused_as_excel_damage(typed):
    with pytest.raises(CellError) as raised:
        to_code(typed, COMMUNITY)
    assert raised.value.key == "code_scientific"
    with pytest.raises(CellError) as raised:
        to_unit_code(typed, COMMUNITY)
    assert raised.value.key == "code_scientific"


@pytest.mark.parametrize(
    "typed",
    [
        "420115001906.5",
        "42011500190",
        "4201150019066",
        "420,11,5001906",
        "420115001906,0",
        "一二三",
    ],
)
def test_a_code_that_is_not_one_stays_refused_by_its_length(typed):
    with pytest.raises(CellError) as raised:
        to_code(typed, COMMUNITY)
    assert (raised.value.key, raised.value.params) == ("code_length", {"length": 12})


def test_other_codes_are_read_the_same_way():
    assert to_code("４２０１１５００１", STREET) == "420115001"
    assert to_code("420115001.0", STREET) == "420115001"
    assert to_unit_code("４２０１１５００１９０６００１", COMMUNITY) == "420115001906001"
    assert to_scope("４２０１１５", SPECS["applications"].by_name["scope"]) == "420115"
    assert to_scope("全市", SPECS["applications"].by_name["scope"]) is None


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("8650", 8650),
        ("8,650", 8650),
        ("8，650", 8650),  # the full-width comma of a Chinese input method
        ("８，６５０", 8650),
        ("１２３４５", 12345),
        ("1,234,567", 1234567),
        ("8,650.0", 8650),
        ("0", 0),
    ],
)
def test_a_whole_number_with_separators_or_in_full_width_is_the_number_it_shows(typed, read):
    assert to_int(typed, RESIDENTS) == read


@pytest.mark.parametrize("typed", ["86,50", "8,6500", ",865", "8.650,0", "8 650", "8,650.5"])
def test_separators_that_do_not_group_by_three_are_no_number(typed):
    with pytest.raises(CellError) as raised:
        to_int(typed, RESIDENTS)
    assert raised.value.key == "not_integer"


def test_decimals_and_dates_in_full_width_are_read_too():
    assert to_float("１，２３４．５", AREA) == 1234.5
    assert to_float("0.52", AREA) == 0.52
    with pytest.raises(CellError):
        to_float("0,52", AREA)  # a decimal comma is not taken for a separator
    assert to_date("２０２４－０３－０１", START) == dt.date(2024, 3, 1)
    assert to_date("２０２４／３／１", START) == dt.date(2024, 3, 1)
    assert to_period("２０２５－０６", PERIOD) == dt.date(2025, 6, 1)


def test_a_staff_code_in_scientific_notation_is_refused_and_others_kept_as_typed():
    with pytest.raises(CellError) as raised:
        to_key("3.71502E+17", STAFF_CODE)
    assert raised.value.key == "code_scientific"
    assert to_key("P000123", STAFF_CODE) == "P000123"
    assert to_key("371502001001001", STAFF_CODE) == "371502001001001"  # judged with its row


# ---------------------------------------------------------------------------------------------
# Whole files, as the clerk uploads them: messages in both languages

HEADER_POPULATION = "社区代码,年份,常住人口,户数\n"


def _problems(name: str, content: str):
    return check_uploads(
        [Upload.of(name, content.encode("utf-8-sig"))], small_city_known(), max_bytes=MAX_BYTES
    )


def test_excel_damage_is_named_with_how_to_avoid_it_in_both_languages():
    (problem,) = _problems("population.csv", HEADER_POPULATION + "9.90101E+11,2025,8650,3120\n")
    assert (problem.key, problem.row, problem.column) == ("code_scientific", 2, "社区代码")
    assert line(problem, "zh") == (
        "population.csv，第 2 行，列“社区代码”，值“9.90101E+11”："
        "Excel 把这个代码当成了数字，显示成科学计数法（如 4.20115E+11）：超出显示位数的数字已经丢失，"
        "无法确认代码是否完整。请把这一列设为“文本”格式（导入模板已设好），重新输入完整的代码后再导入。"
    )
    assert line(problem, "en") == (
        "population.csv, row 2, column “社区代码”, value “9.90101E+11”: "
        "Excel took this code for a number and shows it in scientific notation (like "
        "4.20115E+11): the digits beyond those shown are lost, so the code cannot be trusted. "
        "Format the column as Text (the import template already does), type the full code "
        "again and import again."
    )


HEADER_STAFF = "人员编号,社区代码,角色,社工证书,出生年份,入职日期,离职日期,网格代码\n"


def test_a_staff_code_is_an_id_number_only_when_it_does_not_begin_with_its_community():
    rows = [
        "990101001001001,990101001001,staff,无,1990,2020-01-01,,",  # community + 001: accepted
        "990101001001000001,990101001001,staff,无,1990,2020-01-01,,",  # 18 digits, same: accepted
        "990101001001002,990101001002,staff,无,1990,2020-01-01,,",  # another community's code
        "11010119900101123X,990101001001,staff,无,1990,2020-01-01,,",  # an ID card number
        "13812345678,990101001001,staff,无,1990,2020-01-01,,",  # a mobile number
    ]
    problems = _problems("staff.csv", HEADER_STAFF + "\n".join(rows) + "\n")
    assert [(p.key, p.row, p.column, p.value) for p in problems] == [
        ("looks_like_id", 4, "人员编号", "9901*********02"),
        ("looks_like_id", 5, "人员编号", "1101************3X"),
        ("looks_like_id", 6, "人员编号", "1381*****78"),
    ]
    assert line(problems[0], "zh").endswith(
        "人员编号看起来像身份证号或手机号；请使用不含个人信息的编号，"
        "例如社区代码加序号（如 371502001001001）。"
    )


def test_residents_and_households_are_0_together_or_not_at_all():
    rows = [
        "990101001001,2025,0,0",  # a community no one lives in yet: accepted
        "990101001002,2025,0,12",
        "990101002001,2025,850,0",
        "990101002002,2025,-1,0",
    ]
    problems = _problems("population.csv", HEADER_POPULATION + "\n".join(rows) + "\n")
    assert [(p.key, p.row, p.column) for p in problems] == [
        ("households_without_residents", 3, "户数"),
        ("residents_without_households", 4, "户数"),
        ("negative", 5, "常住人口"),
    ]
    assert [line(p, "en").split(": ", 1)[1] for p in problems[:2]] == [
        "With 0 residents the households must be 0 too.",
        "Where there are residents the households cannot be 0.",
    ]


# ---------------------------------------------------------------------------------------------
# Written: the values stored are the values meant


def test_values_excel_or_an_input_method_changed_without_loss_are_imported_as_meant(city: Engine):
    population = HEADER_POPULATION + (
        '９９０１０１００１００１,2026,"12,345","4，100"\n'  # full width, grouped
        "990101001002.0,2025,0,0\n"  # `.0` appended; nobody lives there yet
    )
    staff = HEADER_STAFF + (
        "990101001002001,990101001002,staff,无,1990,２０２４－０３－０１,,\n"
        "990101001002002,990101001002,staff,无,1990,2024/3/1,,\n"
    )
    uploads = [
        Upload.of("population.csv", population.encode("utf-8-sig")),
        Upload.of("staff.csv", staff.encode("gb18030")),
    ]
    report = run_import(city, uploads, max_bytes=MAX_BYTES)
    assert report.status == "accepted", [line(p, "en") for p in report.problems]
    c = CommunityPopulation
    with city.connect() as connection:
        stored = connection.execute(
            select(
                CommunityPopulation.community_code,
                CommunityPopulation.year,
                CommunityPopulation.resident_population,
                CommunityPopulation.households,
            )
            .where(
                or_(
                    and_(c.year == 2026, c.community_code == "990101001001"),
                    and_(c.year == 2025, c.community_code == "990101001002"),
                )
            )
            .order_by(CommunityPopulation.community_code)
        ).all()
        people = connection.execute(
            select(StaffMember.staff_code, StaffMember.start_date)
            .where(StaffMember.community_code == "990101001002")
            .where(StaffMember.staff_code.like("990101001002%"))
            .order_by(StaffMember.staff_code)
        ).all()
    assert [tuple(row) for row in stored] == [
        ("990101001001", 2026, 12345, 4100),
        ("990101001002", 2025, 0, 0),
    ]
    assert [(code, str(start)[:10]) for code, start in people] == [
        ("990101001002001", "2024-03-01"),
        ("990101001002002", "2024-03-01"),
    ]


def test_a_community_of_0_residents_is_imported_and_its_per_10k_shown_as_a_dash(city, settings):
    """The new community C6 of street 990102001: 0 residents, 2 counted workers. Its per 10,000
    is undefined (—), not 0 and not infinite; it still needs the minimum team of 9; the street
    keeps the ratio of its sums: (10 + 2) workers / 5,001 residents."""
    files = {
        "communities.csv": "社区代码,社区名称,所属街道代码,社区类型\n990102001002,六社区,990102001,城市社区\n",
        "population.csv": HEADER_POPULATION + "990102001002,2025,0,0\n",
        "staff.csv": HEADER_STAFF
        + "990102001002001,990102001002,staff,无,1990,2024-01-01,,\n"
        + "990102001002002,990102001002,secretary,无,1980,2024-01-01,,\n",
    }
    uploads = [Upload.of(name, content.encode()) for name, content in files.items()]
    report = run_import(city, uploads, max_bytes=MAX_BYTES)
    assert report.status == "accepted", [line(p, "en") for p in report.problems]

    units = staffing_by_unit(city, Scope("990102001", AS_OF), settings, "community")
    c6 = units.set_index("code").loc["990102001002"]
    assert (c6["resident_population"], c6["counted_workers"], c6["required"]) == (0, 2, 9)
    assert pd.isna(c6["per_10k"])
    assert formatting.metric("per_10k", c6["per_10k"], "zh") == "—"
    assert pd.isna(staffing_total(city, Scope("990102001002", AS_OF), settings)["per_10k"])
    street = staffing_total(city, Scope("990102001", AS_OF), settings)
    assert street["per_10k"] == pytest.approx(12 / 5001 * 10000)

    exported = export_staffing(city, Scope("990102001", AS_OF), "community", settings)
    row = exported.set_index("code").loc["990102001002"]
    assert pd.isna(row["per_10k"]) and row["resident_population"] == 0
    assert "990102001002,六社区,1,0,2,,9,7,0," in csv_bytes(exported).decode("utf-8-sig")
    assert total_row(units[units["code"] == "990102001002"])["per_10k"] is None
