"""Import (docs/metrics.md §6): the defect corpus, all-or-nothing writes, re-imports, encodings, round trip."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from sqlalchemy import Engine, func, select, text
from sqlalchemy.dialects import mysql, postgresql, sqlite
from streamlit.testing.v1 import AppTest

from data_access.__main__ import main
from data_access.access import Principal
from data_access.coverage import coordinate_arrays
from data_access.db import make_engine
from data_access.files import csv_bytes
from data_access.importing import Problem, Upload, line, run_import, uploads_from_paths
from data_access.importing.export_all import FullExport, export_all, export_workbook, export_zip
from data_access.importing.messages import text as catalog_text
from data_access.importing.readers import GeometryText
from data_access.importing.runner import check_uploads
from data_access.importing.specs import SPECS
from data_access.importing.templates import template_workbook, template_zip
from data_access.importing.validate import CellError, Known, to_geometry
from data_access.models import Base, BurdenRecord, Community, Grid, StaffMember
from data_access.scope import Scope
from data_access.sql import _UPSERTS
from tests import small_city
from tests.admission_city import build_admission

CORPUS = Path(__file__).resolve().parent / "import_corpus"
MAX_BYTES = 2**20
TODAY = dt.date(2025, 6, 30)
APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def fresh(migrated_database) -> Iterator[Engine]:
    engine = make_engine(migrated_database("fresh"))
    yield engine
    engine.dispose()


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in Base.metadata.tables.items()
        }


def import_paths(engine: Engine, *paths: Path, **options: object):
    uploads, missing = uploads_from_paths(paths, MAX_BYTES)
    assert not missing
    return run_import(engine, uploads, max_bytes=MAX_BYTES, **options)  # type: ignore[arg-type]


def audit_rows(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as connection:
        table = Base.metadata.tables["import_batch"]
        return [dict(r) for r in connection.execute(table.select().order_by(table.c.id)).mappings()]


# ---------------------------------------------------------------------------------------------
# The corpus: one defect per folder, each refused with its message, nothing written

DEFECTS = [
    # folder, message key, row, column as written in the file
    ("applications_decided_before_submitted", "decided_before_submitted", 2, "审批日期"),
    ("applications_pending_with_date", "pending_with_date", 2, "审批日期"),
    ("applications_unknown_scope", "missing_district", 2, "scope"),
    ("boundaries_broken_json", "geojson_parse", None, None),
    ("boundaries_duplicate_key", "geojson_duplicate_key", None, None),
    ("boundaries_not_a_collection", "geojson_not_collection", None, None),
    ("boundaries_outside_china", "geometry_outside_china", 1, "geometry"),
    ("boundaries_point", "geometry_type", 1, "geometry"),
    ("boundaries_self_intersecting", "geometry_invalid", 1, "geometry"),
    ("boundaries_unknown_code", "boundary_code_missing", 1, "properties.code"),
    ("burden_duplicate_key", "duplicate_key", 3, "社区代码"),
    ("burden_fraction", "not_integer", 2, "数量"),
    ("burden_missing_column", "missing_column", 1, "数量"),
    ("burden_month_13", "not_period", 2, "月份"),
    ("burden_month_before_first_year", "month_before_first_year", 2, "月份"),
    ("burden_month_in_future", "month_in_future", 2, "月份"),
    ("burden_negative_count", "negative", 3, "数量"),
    ("burden_period_not_first", "not_period", 2, "月份"),
    ("burden_unknown_category", "not_allowed", 2, "类别"),
    ("burden_unknown_community", "missing_community", 2, "社区代码"),
    ("communities_latitude_outside_china", "lat_outside_china", 2, "纬度"),
    ("communities_lon_lat_swapped", "lon_outside_china", 2, "经度"),
    ("communities_unknown_kind", "not_allowed", 2, "社区类型"),
    ("districts_duplicate_column", "duplicate_column", 1, "code"),
    ("districts_short_code", "code_length", 2, "区代码"),
    ("districts_unknown_column", "unknown_column", 1, "备注"),
    ("empty_file", "empty_file", None, None),
    ("encoding_utf16", "encoding", None, None),
    ("facilities_area_in_words", "not_number", 2, "建筑面积（平方米）"),
    ("facilities_no_longitude", "required", 2, "经度"),
    ("grids_code_not_under_community", "code_parent", 2, "网格代码"),
    ("items_found_unknown_community", "missing_community", 2, "社区代码"),
    ("grids_negative_households", "negative", 2, "户数"),
    ("grids_not_boolean", "not_boolean", 2, "有网格党支部"),
    ("not_a_workbook", "unreadable", None, None),
    ("population_future_year", "year_in_future", 2, "年份"),
    ("population_words", "not_integer", 2, "常住人口"),
    ("population_zero_households", "residents_without_households", 2, "户数"),
    ("staff_code_is_id_number", "looks_like_id", 2, "人员编号"),
    ("staff_date_format", "not_date", 2, "入职日期"),
    ("staff_end_before_start", "end_before_start", 2, "离职日期"),
    ("staff_grid_of_other_community", "grid_other_community", 2, "网格代码"),
    ("staff_name_column", "personal_column", 1, "姓名"),
    ("staff_no_such_day", "no_such_date", 2, "入职日期"),
    ("staff_start_missing", "required", 2, "入职日期"),
    ("staff_unknown_grid", "missing_grid", 2, "网格代码"),
    ("staff_unknown_role", "not_allowed", 2, "角色"),
    ("streets_code_not_under_district", "code_parent", 2, "街道代码"),
    ("streets_unknown_district", "missing_district", 2, "所属区代码"),
    ("unknown_file_name", "unknown_kind", None, None),
    ("work_items_unknown_list", "not_allowed", 2, "所属清单"),
]


def test_corpus_lists_every_defect_folder():
    folders = {p.name for p in (CORPUS / "bad").iterdir() if p.is_dir()}
    assert folders == {case for case, *_ in DEFECTS}
    assert len(folders) >= 25
    for folder in (CORPUS / "bad").iterdir():
        assert len(list(folder.iterdir())) == 1  # one file, one defect


def small_city_known() -> Known:
    """The unit codes of tests/small_city.py, as the import finds them in its database."""
    return Known(
        {
            "district": {code for code, _ in small_city.DISTRICTS},
            "street": {code for code, *_ in small_city.STREETS},
            "community": {code for code, *_ in small_city.COMMUNITIES},
            "grid": {code for code, *_ in small_city.GRIDS},
        }
    )


def problems_of(path: Path) -> list[Problem]:
    """The problems an import of path into the small city would report, found without a database."""
    uploads, missing = uploads_from_paths([path], MAX_BYTES)
    assert not missing
    return check_uploads(uploads, small_city_known(), max_bytes=MAX_BYTES)


@pytest.mark.parametrize(("case", "key", "row", "column"), DEFECTS, ids=[d[0] for d in DEFECTS])
def test_defective_file_is_refused_with_its_problem(case, key, row, column):
    (path,) = (CORPUS / "bad" / case).iterdir()
    problems = problems_of(path)
    assert (key, row, column) in [(p.key, p.row, p.column) for p in problems]


# A defect found while reading, one in a cell and one between tables (a parent that is missing).
WRITTEN_DEFECTS = ("encoding_utf16", "burden_negative_count", "staff_unknown_grid")


def test_refused_imports_write_nothing_and_are_on_record(city):
    for case in WRITTEN_DEFECTS:
        before = row_counts(city)
        (path,) = (CORPUS / "bad" / case).iterdir()
        report = import_paths(city, path)
        assert report.status == "refused", case
        assert report.problems == problems_of(path), case  # the database finds what the checks do
        after = row_counts(city)
        assert after.pop("import_batch") == before.pop("import_batch") + 1  # the refusal's record
        assert after == before, case
        audit = audit_rows(city)[-1]
        assert (audit["status"], audit["file_name"]) == ("refused", path.name)
        assert line(report.problems[0], "zh") in str(audit["message"])


@pytest.mark.parametrize(
    ("case", "zh", "en"),
    [
        (
            "burden_negative_count",
            "burden.csv，第 3 行，列“数量”，值“-3”：不能为负数。",
            "burden.csv, row 3, column “数量”, value “-3”: Must not be negative.",
        ),
        (
            "staff_grid_of_other_community",
            "staff.csv，第 2 行，列“网格代码”，值“990101001001001”："
            "网格不属于该人员所在社区 990101001002（网格代码应以社区代码开头）。",
            "staff.csv, row 2, column “网格代码”, value “990101001001001”: "
            "The grid is not in this person's community 990101001002 "
            "(a grid code starts with its community code).",
        ),
        (
            "burden_duplicate_key",
            "burden.csv，第 3 行，列“社区代码”，值“990101001001 / forms / 2025-06”："
            "与 burden.csv 第 2 行重复（同一主键只能出现一次）。",
            "burden.csv, row 3, column “社区代码”, value “990101001001 / forms / 2025-06”: "
            "Duplicates row 2 of burden.csv (each key may appear once).",
        ),
        (
            "communities_latitude_outside_china",
            "communities.csv，第 2 行，列“纬度”，值“91”：纬度不在中国范围内（3–54）；请检查是否与经度填反。",
            "communities.csv, row 2, column “纬度”, value “91”: Latitude outside China (3–54); "
            "check that longitude and latitude are not swapped.",
        ),
        (
            "staff_start_missing",
            "staff.csv，第 2 行，列“入职日期”：必填项为空。",
            "staff.csv, row 2, column “入职日期”: This value is required.",
        ),
    ],
)
def test_problems_read_in_both_languages(case, zh, en):
    (path,) = (CORPUS / "bad" / case).iterdir()
    (problem,) = problems_of(path)
    assert line(problem, "zh") == zh
    assert line(problem, "en") == en


@pytest.mark.servers()  # reading and checking: the same on every backend
def test_folder_with_a_good_and_a_bad_file_is_refused_as_a_whole(city):
    before = row_counts(city)
    report = import_paths(city, CORPUS / "mixed")
    assert report.status == "refused"
    assert [(p.file, p.key) for p in report.problems] == [("mixed/streets.csv", "code_parent")]
    after = row_counts(city)
    assert after.pop("import_batch") == before.pop("import_batch") + 2  # one row per file
    assert after == before  # not even the good districts.csv
    good, bad = audit_rows(city)[-2:]
    assert (good["file_name"], good["status"]) == ("mixed/districts.csv", "refused")
    assert good["message"] == catalog_text("zh", "import.audit.refused_other")
    assert bad["file_name"] == "mixed/streets.csv"
    assert "990104" in str(bad["message"])


# ---------------------------------------------------------------------------------------------
# Good imports

GOOD_ROWS = {
    "district": 1,
    "street": 1,
    "community": 2,
    "community_population": 3,
    "grid": 3,
    "staff_member": 6,
    "facility": 2,
    "burden_record": 12,
    "work_item": 3,
    "admission_application": 2,
    "item_found": 2,
}


def test_good_folder_is_written_once_and_a_second_import_changes_nothing(city):
    before = row_counts(city)
    first = import_paths(city, CORPUS / "good")
    assert first.status == "accepted"
    assert [p.kind for p in first.parts] == [
        "districts", "streets", "communities", "population", "grids", "staff", "facilities",
        "burden", "work_items", "applications", "items_found", "boundaries",
    ]  # fmt: skip
    assert [(p.inserted, p.updated, p.unchanged) for p in first.parts][-1] == (0, 2, 0)
    after = row_counts(city)
    for table, added in GOOD_ROWS.items():
        assert after[table] == before[table] + added, table
    assert after["import_batch"] == before["import_batch"] + 12

    second = import_paths(city, CORPUS / "good")
    assert second.status == "accepted"
    assert all(p.inserted == p.updated == 0 and p.unchanged == p.rows for p in second.parts)
    again = row_counts(city)
    assert again.pop("import_batch") == after.pop("import_batch") + 12
    assert again == after
    assert audit_rows(city)[-1]["message"] == "已导入：新增 0 行，更新 0 行，未变 2 行。"


def test_imported_values_are_stored_as_meant(city):
    import_paths(city, CORPUS / "good")
    with city.connect() as connection:
        staff = {
            row.staff_code: f"{row.role}/{row.certificate}/{row.end_date or ''}/{row.grid_code or ''}"
            for row in connection.execute(
                select(StaffMember).where(StaffMember.staff_code.in_(["G0003", "G0005"]))
            )
        }
        grid = connection.execute(
            select(Grid.kind, Grid.households, Grid.has_party_branch).where(
                Grid.code == "990103001002001"
            )
        ).one()
        burden = connection.execute(
            select(BurdenRecord.period, BurdenRecord.count)
            .where(BurdenRecord.community_code == "990103001001", BurdenRecord.category == "forms")
            .order_by(BurdenRecord.period)
        ).all()
        village = connection.execute(
            select(Community.kind, Community.lon, Community.boundary).where(
                Community.code == "990103001002"
            )
        ).one()
        boundary = connection.execute(
            select(Grid.boundary).where(Grid.code == "990103001001001")
        ).scalar_one()
    assert staff == {
        "G0003": "staff/none/2024-12-31/",
        "G0005": "grid_parttime/none//990103001001002",  # an empty certificate is none
    }
    assert tuple(grid) == ("dedicated", None, True)
    assert [(str(p), c) for p, c in burden] == [
        ("2025-04-01", 30),
        ("2025-05-01", 25),
        ("2025-06-01", 21),
    ]
    assert tuple(village) == ("village", None, None)
    assert json.loads(boundary)["coordinates"][0][2] == [116.51, 40.02]
    assert " " not in boundary  # stored as compact GeoJSON


def test_a_changed_row_is_updated_and_the_rest_left_alone(city, tmp_path):
    import_paths(city, CORPUS / "good")
    changed = (CORPUS / "good" / "burden.csv").read_text(encoding="utf-8-sig")
    changed = changed.replace("990103001002,报表,2025-06,21", "990103001002,报表,2025-06,19")
    (tmp_path / "burden.csv").write_text(changed, encoding="utf-8-sig")
    (part,) = import_paths(city, tmp_path / "burden.csv").parts
    assert (part.inserted, part.updated, part.unchanged) == (0, 1, 11)
    with city.connect() as connection:
        value = connection.execute(
            text(
                "SELECT count FROM burden_record WHERE community_code = '990103001002' "
                "AND category = 'forms' AND period = '2025-06-01'"
            )
        ).scalar_one()
    assert value == 19


@pytest.mark.servers()  # reading and checking: the same on every backend
@pytest.mark.parametrize("encoding", ["gb18030", "utf-8", "utf-8-sig"])
def test_csv_encodings_are_detected(city, tmp_path, encoding):
    for path in (CORPUS / "good").glob("*.csv"):
        content = path.read_text(encoding="utf-8-sig")
        (tmp_path / path.name).write_bytes(content.encode(encoding))
    raw = (tmp_path / "districts.csv").read_bytes()
    assert raw.startswith(codecs.BOM_UTF8) == (encoding == "utf-8-sig")
    report = import_paths(city, tmp_path)
    assert report.status == "accepted", [line(p, "en") for p in report.problems]
    with city.connect() as connection:
        name = connection.execute(text("SELECT name FROM community WHERE code = '990103001002'"))
        assert name.scalar_one() == "七村"


@pytest.mark.servers()  # reading and checking: the same on every backend
def test_xlsx_gives_values_not_formulas(city, tmp_path):
    path = tmp_path / "burden.xlsx"
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("Sheet1")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["community_code", "category", "period", "count"])
    sheet.write_number(1, 0, 990101001001)  # a code typed as a number
    sheet.write_string(1, 1, "会议")
    sheet.write_datetime(1, 2, dt.datetime(2025, 6, 1), date_format)
    sheet.write_formula(1, 3, "=40+2", None, 42)  # the value last calculated is imported
    workbook.close()
    report = import_paths(city, path)
    assert report.status == "accepted", [line(p, "en") for p in report.problems]
    with city.connect() as connection:
        stored = connection.execute(
            text("SELECT period, count FROM burden_record WHERE category = 'meetings'")
        ).one()
    assert (str(stored[0]), stored[1]) == ("2025-06-01", 42)


@pytest.mark.servers()  # reading and checking: the same on every backend
def test_filled_in_excel_template_is_accepted(city, tmp_path):
    workbook = openpyxl.load_workbook(io.BytesIO(template_workbook()))
    workbook["区"].append(["990103", "丙区"])
    workbook["街道"].append(["990103001", "北街道", "990103"])
    workbook["社区"].append(["990103001001", "六社区", "990103001", "城市社区", 0.9, 116.5, 40.0])
    workbook["人口"].append(["990103001001", 2025, 8000, 3000])
    path = tmp_path / "我的导入.xlsx"
    workbook.save(path)
    report = import_paths(city, path)
    assert report.status == "accepted", [line(p, "en") for p in report.problems]
    # The template's example rows are skipped, its unused sheets too.
    assert [(p.file, p.rows) for p in report.parts] == [
        ("我的导入.xlsx › 区", 1),
        ("我的导入.xlsx › 街道", 1),
        ("我的导入.xlsx › 社区", 1),
        ("我的导入.xlsx › 人口", 1),
    ]
    assert "110101" not in {r[0] for r in _codes(city, "district")}


def _codes(engine: Engine, table: str) -> list[tuple[str]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(f"SELECT code FROM {table}")).all()]


@pytest.mark.servers()  # reading and checking: the same on every backend
def test_unfilled_templates_have_nothing_to_import(city):
    for name, data in (("template.zip", template_zip()), ("template.xlsx", template_workbook())):
        report = run_import(city, [Upload.of(name, data)], max_bytes=MAX_BYTES, dry_run=True)
        assert [p.key for p in report.problems] == ["nothing_to_import"], name


def test_csv_templates_carry_the_chinese_headers_and_the_allowed_values():
    with zipfile.ZipFile(io.BytesIO(template_zip())) as archive:
        staff = archive.read("staff.csv").decode("utf-8-sig").splitlines()
        allowed = archive.read("allowed_values.csv").decode("utf-8-sig")
    assert staff[0] == "人员编号,社区代码,角色,社工证书,出生年份,入职日期,离职日期,网格代码"
    assert staff[1].startswith("例：")
    assert "社区,角色,secretary,社区党组织书记" not in allowed
    assert "社区工作者,角色,secretary,社区党组织书记" in allowed
    workbook = openpyxl.load_workbook(io.BytesIO(template_workbook()), read_only=True)
    assert workbook.sheetnames == [
        "填写说明", *(SPECS[k].sheet for k in SPECS), "可选值",
    ]  # fmt: skip


@pytest.mark.servers()  # reading and checking: the same on every backend
def test_file_size_limit(city, tmp_path):
    path = CORPUS / "good" / "burden.csv"
    size = path.stat().st_size
    uploads, _ = uploads_from_paths([path], max_bytes=size - 1)
    report = run_import(city, uploads, max_bytes=size - 1)
    assert [p.key for p in report.problems] == ["file_too_large"]
    # A file inside a zip is measured before it is inflated.
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("burden.csv", "x" * 5000)
    report = run_import(city, [Upload.of("in.zip", archive.getvalue())], max_bytes=4000)
    assert [(p.file, p.key) for p in report.problems] == [("in.zip/burden.csv", "file_too_large")]


@pytest.mark.servers()  # reading and checking: the same on every backend
def test_zip_with_a_folder_and_gbk_names_is_imported(city):
    archive = io.BytesIO()
    placeholder = "AAAA/BBBB.txt"  # as long in bytes as the GBK name that replaces it
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted((CORPUS / "good").iterdir()):
            zipped.writestr(f"六月/{path.name}", path.read_bytes())
        zipped.writestr(placeholder, "备注")
    # Zip tools on Chinese Windows store GBK names without the UTF-8 flag.
    data = archive.getvalue().replace(placeholder.encode(), "六月/说明.txt".encode("gbk"))
    report = run_import(city, [Upload.of("六月.zip", data)], max_bytes=MAX_BYTES)
    assert report.status == "accepted"
    assert report.skipped == ["六月.zip/六月/说明.txt"]
    assert len(report.parts) == 12


@pytest.mark.servers()  # reading and checking: the same on every backend
def test_progress_is_reported_for_each_phase(city):
    seen: list[tuple[str, int, int]] = []
    import_paths(city, CORPUS / "good", progress=lambda *args: seen.append(args))
    phases = [phase for phase, *_ in seen]
    assert phases[0] == "read" and "validate" in phases and phases[-1] == "write"
    assert seen[-1] == ("write", 39, 39)


@pytest.mark.servers()  # reading and checking: the same on every backend
def test_dry_run_writes_nothing_and_is_not_audited(city):
    before = row_counts(city)
    report = import_paths(city, CORPUS / "good", dry_run=True)
    assert report.status == "checked" and not report.problems
    assert row_counts(city) == before


# ---------------------------------------------------------------------------------------------
# Export all, and the round trip


def test_export_then_import_into_a_fresh_database_then_export_is_identical(
    fresh, migrated_database
):
    import_paths(fresh, CORPUS / "good")
    scope = Scope(None, TODAY)
    exported = export_all(fresh, scope, viewer=None)
    assert {k: len(v) for k, v in exported.tables.items()} == {
        "districts": 1, "streets": 1, "communities": 2, "population": 3, "grids": 3, "staff": 6,
        "facilities": 2, "burden": 12, "work_items": 3, "applications": 2, "items_found": 2,
    }  # fmt: skip
    assert [code for code, _ in exported.boundaries] == ["990103001001", "990103001001001"]
    data = export_zip(exported)
    for name, payload in (("all.zip", data), ("all.xlsx", export_workbook(exported))):
        engine = make_engine(migrated_database("round_trip"))
        report = run_import(engine, [Upload.of(name, payload)], max_bytes=MAX_BYTES)
        assert report.status == "accepted", [line(p, "en") for p in report.problems]
        again = export_all(engine, scope, viewer=None)
        assert again == exported, name
        assert export_zip(again) == data, name  # byte for byte
        counts, expected = row_counts(engine), row_counts(fresh)
        assert counts.pop("import_batch") == 12  # eleven tables and the boundaries
        expected.pop("import_batch")
        assert counts == expected
        engine.dispose()


def test_export_of_a_street_brings_its_district_and_imports_alone(city, fresh):
    exported = export_all(city, Scope("990101002", TODAY), viewer=None)
    assert [r[0] for r in exported.tables["districts"]] == ["990101"]
    assert [r[0] for r in exported.tables["streets"]] == ["990101002"]
    assert [r[0] for r in exported.tables["communities"]] == ["990101002001", "990101002002"]
    report = run_import(fresh, [Upload.of("s.zip", export_zip(exported))], max_bytes=MAX_BYTES)
    assert report.status == "accepted", [line(p, "en") for p in report.problems]
    assert row_counts(fresh)["staff_member"] == len(exported.tables["staff"]) == 50


def _application_ids(export: FullExport) -> list[str]:
    """The ids of the applications sheet's rows, in the workbook the Data page gives out."""
    workbook = openpyxl.load_workbook(io.BytesIO(export_workbook(export)))
    sheet = workbook[SPECS["applications"].sheet]
    return sorted(str(row[0]) for row in sheet.iter_rows(min_row=2, values_only=True))


def test_the_full_export_gives_applications_as_the_admission_page_does(city):
    """A street or community account gets no application, a district account those addressed
    to its district, a city account those of the scope (docs/admission.md: A1 … A8)."""
    build_admission(city)
    street = Principal("east", "990101001", "viewer")
    community = Principal("c1", "990101001001", "importer")
    district = Principal("district_a", "990101", "viewer")
    other = Principal("district_b", "990102", "admin")
    whole = Principal("chief", None, "admin")
    for viewer in (street, community):
        made = export_all(city, Scope(viewer.scope_code, TODAY), viewer=viewer)
        assert made.tables["applications"] == []
        assert _application_ids(made) == []
        assert made.tables["communities"]  # the rest of its area is there
        with zipfile.ZipFile(io.BytesIO(export_zip(made))) as archive:
            lines = archive.read("applications.csv").decode("utf-8-sig").splitlines()
        assert len(lines) == 1  # the header only
    made = export_all(city, Scope("990101", TODAY), viewer=district)
    assert _application_ids(made) == ["A1", "A3", "A6", "A7"]
    assert {row[3] for row in made.tables["applications"]} == {"990101"}
    # Exporting a street of its district, a district account still gets its district's.
    made = export_all(city, Scope("990101002", TODAY), viewer=district)
    assert _application_ids(made) == ["A1", "A3", "A6", "A7"]
    made = export_all(city, Scope("990102", TODAY), viewer=other)
    assert _application_ids(made) == ["A4", "A5"]
    # The city's account: every application at city scope; a district's and the city's own
    # when it exports one district, as before.
    assert _application_ids(export_all(city, Scope(None, TODAY), viewer=whole)) == [
        f"A{n}" for n in range(1, 9)
    ]
    made = export_all(city, Scope("990102", TODAY), viewer=whole)
    assert _application_ids(made) == ["A2", "A4", "A5", "A8"]


def test_text_is_stored_as_given_and_every_csv_guards_formulas(city, fresh):
    name = '=HYPERLINK("x")'
    content = f'区代码,区名称\r\n990109,"{name.replace(chr(34), chr(34) * 2)}"\r\n'
    report = run_import(city, [Upload.of("districts.csv", content.encode())], max_bytes=MAX_BYTES)
    assert report.accepted
    exported = export_all(city, Scope("990109", TODAY), viewer=None)
    # The district is in force: its dissolution date and successor are empty.
    assert exported.tables["districts"] == [["990109", name, None, None]]
    with zipfile.ZipFile(io.BytesIO(export_zip(exported))) as archive:
        rows = list(csv.reader(io.StringIO(archive.read("districts.csv").decode("utf-8-sig"))))
    # The full export guards the formula like every CSV; its import takes the guard off again.
    assert rows == [
        ["区代码", "区名称", "撤销日期", "并入单位代码"],
        ["990109", "'" + name, "", ""],
    ]
    back = run_import(fresh, [Upload.of("export.zip", export_zip(exported))], max_bytes=MAX_BYTES)
    assert back.accepted, back.problems
    assert export_all(fresh, Scope("990109", TODAY), viewer=None).tables["districts"] == [
        ["990109", name, None, None]
    ]
    workbook = openpyxl.load_workbook(io.BytesIO(export_workbook(exported)))
    assert workbook["区"]["B2"].value == name and workbook["区"]["B2"].data_type == "s"
    import pandas as pd

    assert "'=HYPERLINK" in csv_bytes(pd.DataFrame({"name": [name]})).decode("utf-8-sig")


def test_upsert_is_one_statement_per_dialect():
    table = Base.metadata.tables["burden_record"]
    keys, updates = ("community_code", "category", "period"), ["count"]
    compiled = {
        name: str(_UPSERTS[name](table, keys, updates).compile(dialect=dialect))
        for name, dialect in (
            ("sqlite", sqlite.dialect()),
            ("postgresql", postgresql.dialect()),
            ("mysql", mysql.dialect()),
        )
    }
    assert (
        "ON CONFLICT (community_code, category, period) DO UPDATE SET count = excluded.count"
        in compiled["sqlite"]
    )
    assert (
        "ON CONFLICT (community_code, category, period) DO UPDATE SET count = excluded.count"
        in compiled["postgresql"]
    )
    assert "ON DUPLICATE KEY UPDATE count = VALUES(count)" in compiled["mysql"]


# ---------------------------------------------------------------------------------------------
# Command line


@pytest.mark.servers()  # reading and checking: the same on every backend
def test_cli_import_exit_codes_and_messages(city_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", city_url)
    assert main(["import", str(CORPUS / "bad" / "burden_negative_count" / "burden.csv")]) == 1
    err = capsys.readouterr().err
    assert "导入被拒绝，未写入任何数据。发现 1 个问题：" in err
    assert "burden.csv，第 3 行，列“数量”，值“-3”：不能为负数。" in err

    status = main(["import", "--lang", "en", str(CORPUS / "mixed")])
    err = capsys.readouterr().err
    assert status == 1
    assert "mixed/streets.csv, row 2, column “街道代码”, value “990105001”" in err

    assert main(["import", "--check", str(CORPUS / "good")]) == 0
    assert "检查通过：12 个文件，39 行（未写入）。" in capsys.readouterr().out

    assert main(["import", str(CORPUS / "good")]) == 0
    out = capsys.readouterr().out
    assert "good/burden.csv [burden] 12: 已导入：新增 12 行，更新 0 行，未变 0 行。" in out
    assert "导入成功：12 个文件，39 行。" in out

    assert main(["import", str(CORPUS / "no-such-folder")]) == 2
    assert "找不到文件或文件夹" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# The page


@pytest.mark.servers()  # reading and checking: the same on every backend
@pytest.mark.slow
@pytest.mark.parametrize(("lang", "history"), [("zh", "3. 导入记录"), ("en", "3. Import history")])
def test_data_page_lists_the_import_history(city, city_url, monkeypatch, lang, history):
    import_paths(city, CORPUS / "mixed")
    monkeypatch.setenv("DATABASE_URL", city_url)
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = lang
    at.run()
    at.switch_page("pages/data.py")
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception
    assert history in [s.value for s in at.subheader]
    shown = at.dataframe[-1].value
    # Newest first; other tests may have written to the shared small city before it was copied.
    assert list(shown.iloc[:2, 2]) == ["mixed/streets.csv", "mixed/districts.csv"]
    assert shown.iloc[0, 4] == ("已拒绝" if lang == "zh" else "refused")
    # The header names no zone, since every time names its own: the configured one, UTC+8.
    assert shown.columns[0] == ("导入时间" if lang == "zh" else "Imported at")
    zone = "（UTC+8）" if lang == "zh" else " (UTC+8)"
    assert all(str(moment).endswith(zone) for moment in shown.iloc[:, 0])
    buttons = {b.proto.label for b in at.get("download_button")}
    assert {"下载 Excel 模板", "导出全部数据（CSV 压缩包）"} <= buttons or lang == "en"
    # The upload box's own English words are written over in Chinese, and only there.
    styles = [h.proto.body for h in at.get("html") if "stFileUploaderDropzone" in h.proto.body]
    if lang == "zh":
        (style,) = styles
        assert 'content: "选择文件"' in style and 'content: "每个文件不超过 50 MB' in style
    else:
        assert styles == []


def test_the_upload_box_words_are_css_strings_that_cannot_close_the_rule():
    from dashboard.data_import import uploader_css

    css = uploader_css('选"择</style>', "")
    assert 'content: "选\\22 择\\3c /style\\3e "' in css
    assert css.count("</style>") == 1 and uploader_css("", "") == ""


# --- Duplicate keys (data_access/importing/validate.py, Links) ----------------------------------


class _EveryHash(set):
    """A set of colliding hashes that holds every hash: Links then remembers every key."""

    def __contains__(self, item: object) -> bool:
        return True


def _duplicate_checks(
    uploads: list[Upload], known: Known, cap: int
) -> tuple[tuple[list[Problem], int], tuple[list[Problem], int]]:
    """(listed problems, total) from validate(), then from one pass remembering every key."""
    from data_access.importing.readers import read_uploads
    from data_access.importing.validate import Links, Problems, _validate_pass, validate

    found = []
    for two_pass in (True, False):
        raws = read_uploads(uploads, MAX_BYTES).tables
        problems = Problems(cap)
        if two_pass:
            validate(raws, known, problems=problems, max_rows=10**6)
        else:
            _validate_pass(raws, Links(known, _EveryHash()), None, problems, 10**6)
        found.append((problems.listed(), problems.total))
    return found[0], found[1]


def _burden_known() -> Known:
    known = Known()
    known.codes["community"] = {f"990101001{n:03d}" for n in range(1, 31)}
    return known


def test_duplicate_keys_are_listed_with_the_row_where_each_was_first_seen():
    lines = [
        "990101001001,forms,2025-01,1",  # row 2
        "990101001002,forms,2025-01,2",
        "990101001001,forms,2025-01,3",  # row 4: as row 2
        "990101001001,forms,2025-02,4",
        "990101001001,forms,2025-01,5",  # row 6: as row 2 again
        "990101001002,forms,2025-1,6",  # row 7: the same month written otherwise, as row 3
    ]
    upload = Upload.of("burden.csv", ("社区代码,类别,月份,数量\n" + "\n".join(lines)).encode())
    (listed, total), _ = _duplicate_checks([upload], _burden_known(), 1000)
    assert total == 3
    assert [(p.key, p.row, p.column, p.value, p.params) for p in listed] == [
        ("duplicate_key", 4, "社区代码", "990101001001 / forms / 2025-01", {"file": "burden.csv", "row": 2}),
        ("duplicate_key", 6, "社区代码", "990101001001 / forms / 2025-01", {"file": "burden.csv", "row": 2}),
        ("duplicate_key", 7, "社区代码", "990101001002 / forms / 2025-01", {"file": "burden.csv", "row": 3}),
    ]  # fmt: skip


def _many_duplicates() -> tuple[list[Upload], list[tuple[str, int, int]]]:
    """Burden rows of 30 communities and 50 months, each key twice, between bad counts and
    unknown communities, and a communities file whose codes come three times; with the
    duplicates (file, row, row first seen) counted here from the text."""
    rows, communities = [], []
    for n in range(3000):
        community = f"990101001{n % 30 + 1:03d}" if n % 7 else "990101009001"
        month = n // 30 % 50
        count = "x" if n % 11 == 0 else str(n)
        rows.append((community, f"{2015 + month // 12}-{month % 12 + 1:02d}", count))
    for n in range(120):
        communities.append(f"990101001{n % 40 + 1:03d}")
    expected = []
    for file, keys in (("communities.csv", communities), ("burden.csv", [r[:2] for r in rows])):
        first: dict[object, int] = {}
        for row, key in enumerate(keys, start=2):
            if first.setdefault(key, row) != row:
                expected.append((file, row, first[key]))
    burden = "".join(f"{code},forms,{month},{count}\n" for code, month, count in rows)
    units = "".join(f"{code},社区{n},990101001\n" for n, code in enumerate(communities))
    uploads = [
        Upload.of("burden.csv", ("社区代码,类别,月份,数量\n" + burden).encode()),
        Upload.of("communities.csv", ("社区代码,社区名称,所属街道代码\n" + units).encode()),
    ]
    return uploads, expected


def _known_city() -> Known:
    known = _burden_known()
    known.codes["street"] = {"990101001"}
    return known


@pytest.mark.parametrize("cap", [1000, 40, 5000])
def test_many_duplicate_keys_are_listed_as_a_pass_remembering_every_key_lists_them(cap):
    uploads, expected = _many_duplicates()
    assert len(expected) > 1500
    two_passes, every_key = _duplicate_checks(uploads, _known_city(), cap)
    assert two_passes == every_key
    listed, total = two_passes
    duplicates = [(p.file, p.row, p.params["row"]) for p in listed if p.key == "duplicate_key"]
    kinds = {p.key for p in listed} | {p.params.get("key") for p in listed if p.key == "more"}
    assert {"duplicate_key", "missing_community", "not_integer"} <= kinds
    if cap == 5000:  # everything listed, in file order
        assert total == len(listed) > len(expected)
        assert duplicates == sorted(expected)
    else:
        assert total > len(listed) > cap and set(duplicates) < set(expected)


def test_equal_hashes_of_different_keys_are_no_duplicate(monkeypatch):
    """Every key given one hash: the second pass compares the keys themselves."""
    from data_access.importing import validate as validate_module

    uploads, expected = _many_duplicates()
    honest = _duplicate_checks(uploads, _known_city(), 5000)[0]
    monkeypatch.setattr(validate_module, "hash", lambda value: 7, raising=False)
    colliding = _duplicate_checks(uploads, _known_city(), 5000)[0]
    assert colliding == honest
    assert sum(p.key == "duplicate_key" for p in honest[0]) == len(expected)


# ---------------------------------------------------------------------------------------------
# GeoJSON boundaries: each feature's geometry is kept as text, and read as numpy arrays when it
# holds only its type and coordinates (docs/security.md, memory)


def _square(west: float, south: float, size: float) -> list[list[float]]:
    return [
        [west, south],
        [west + size, south],
        [west + size, south + size],
        [west, south + size],
        [west, south],
    ]


FEATURE_GEOMETRIES = {
    # Whole numbers stay whole: 116 is stored as 116, never 116.0.
    "990101001001": '{"type":"Polygon","coordinates":[[[116,39],[117,39],[117,40],[116,40],'
    "[116,39]],[[116.2,39.2],[116.4,39.2],[116.4,39.4],[116.2,39.2]]]}",
    "990101001002": json.dumps(
        {"type": "MultiPolygon", "coordinates": [[_square(116, 39, 0.5)], [_square(117, 39, 0.5)]]}
    ),
    # Keys in another order and a bbox: read as a cell's text would be.
    "990101002001": '{"coordinates": [[[116.0, 39.0], [116.5, 39.0], [116.5, 39.5], [116.0, 39.0]]],'
    ' "bbox": [116.0, 39.0, 116.5, 39.5], "type": "Polygon"}',
    "990101002002": '{"type":"Polygon","coordinates":[[[116,39,5],[117,39,5],[117,40,5],[116,39,5]]]}',
    # Numbers as JSON allows them, stored as Python writes them.
    "990102001001": '{"type": "Polygon", "coordinates": [[[1.16E2, 39], [116.5, 3.9e1], '
    "[116.5, 39.5], [1.16E2, 39]]]}",
}


def test_geojson_boundaries_are_stored_as_their_compact_json(city):
    features = ",".join(
        f'{{"type":"Feature","properties":{{"code":"{code}"}},"geometry":{geometry}}}'
        for code, geometry in FEATURE_GEOMETRIES.items()
    )
    data = f'{{"type":"FeatureCollection","features":[{features}]}}'.encode()
    report = run_import(city, [Upload.of("boundaries.geojson", data)], max_bytes=2**20)
    assert report.status == "accepted", report.problems
    with city.connect() as connection:
        stored = dict(
            connection.execute(
                select(Community.code, Community.boundary).where(Community.boundary.is_not(None))
            ).all()
        )
    expected = {
        code: json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
        for code, text in FEATURE_GEOMETRIES.items()
    }
    assert stored == expected
    assert stored["990101001001"].startswith('{"type":"Polygon","coordinates":[[[116,39],[117,39]')
    assert stored["990102001001"] == (
        '{"type":"Polygon","coordinates":[[[116.0,39],[116.5,39.0],[116.5,39.5],[116.0,39]]]}'
    )
    assert stored["990101002001"].startswith('{"coordinates":[[[116.0,39.0],')


BOWTIE = [[116, 39], [117, 40], [117, 39], [116, 40], [116, 39]]
CHECKED_GEOMETRIES = [
    {"type": "Polygon", "coordinates": [_square(116, 39, 1)]},
    {"type": "Polygon", "coordinates": [BOWTIE]},  # self-intersecting
    {"type": "Polygon", "coordinates": [_square(10, 10, 1)]},  # outside China
    {"type": "Polygon", "coordinates": [_square(116, 39, 1)[:-1]]},  # open ring
    {"type": "Polygon", "coordinates": [[[116, 39], [117, 39], [116, 39]]]},  # too few points
    {"type": "Polygon", "coordinates": [[[116, 39], [117, 39, 1], [117, 40], [116, 39]]]},
    {"type": "Polygon", "coordinates": []},
    {"type": "MultiPolygon", "coordinates": [[_square(116, 39, 1)], [BOWTIE]]},
    {"type": "MultiPolygon", "coordinates": [[_square(116, 39, 1)], [_square(116.5, 39, 1)]]},
    {"type": "Polygon", "coordinates": [_square(116, 39, 1), _square(116.2, 39.2, 0.1)]},
    {"type": "Point", "coordinates": [116, 39]},
    {"type": "Polygon", "coordinates": [[[116, 39], [117, 39], [117, 1e308], [116, 39]]]},
]


@pytest.mark.parametrize("geometry", CHECKED_GEOMETRIES)
def test_a_feature_geometry_is_checked_as_its_parsed_object(geometry):
    """The numpy reading of a feature's text accepts and refuses exactly what shapely's reading
    of the parsed object does, with the same problem and the same stored text."""
    column = SPECS["boundaries"].by_name["boundary"]
    text = json.dumps(geometry, separators=(",", ":"))

    def outcome(value: object) -> object:
        try:
            return to_geometry(value, column)
        except CellError as error:
            return error.key, error.params

    assert outcome(GeometryText(text)) == outcome(geometry)
    assert outcome(GeometryText(text)) == outcome(text)


def test_feature_geometries_of_the_simple_form_are_read_as_arrays():
    read = coordinate_arrays(json.dumps(CHECKED_GEOMETRIES[9], separators=(",", ":")))
    assert read is not None
    kind, polygons = read
    assert kind == "Polygon" and len(polygons) == 1
    assert [ring.tolist() for ring in polygons[0]] == CHECKED_GEOMETRIES[9]["coordinates"]
    read = coordinate_arrays(json.dumps(CHECKED_GEOMETRIES[8], separators=(",", ":")))
    assert read is not None and read[0] == "MultiPolygon"
    assert [[ring.tolist() for ring in polygon] for polygon in read[1]] == [
        [_square(116, 39, 1)],
        [_square(116.5, 39, 1)],
    ]
    # Mixed dimensions, spaces, another key order or other keys: read as written instead.
    for geometry, separators in (
        (CHECKED_GEOMETRIES[5], (",", ":")),
        (CHECKED_GEOMETRIES[0], (", ", ": ")),
        ({"coordinates": [_square(116, 39, 1)], "type": "Polygon"}, (",", ":")),
        ({**CHECKED_GEOMETRIES[0], "bbox": [116, 39, 117, 40]}, (",", ":")),
        (CHECKED_GEOMETRIES[6], (",", ":")),
    ):
        assert coordinate_arrays(json.dumps(geometry, separators=separators)) is None


def test_a_feature_geometry_is_shown_short_in_a_problem(city):
    data = (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
        f'{{"code":"990101001001"}},"geometry":{json.dumps(CHECKED_GEOMETRIES[1])}}}]}}'
    ).encode()
    report = run_import(city, [Upload.of("boundaries.geojson", data)], max_bytes=2**20)
    assert report.status == "refused"
    (problem,) = report.problems
    assert (problem.key, problem.row, problem.value) == ("geometry_invalid", 1, "{…}")


def test_a_boundaries_file_over_its_own_cap_is_refused_unread():
    from data_access.importing.readers import Limits, read_uploads

    ring = [[114.3 + i * 1e-6, 30.5] for i in range(120_000)] + [[114.3, 30.6], [114.3, 30.5]]
    feature = {
        "type": "Feature",
        "properties": {"code": "990101001001"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    data = json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()
    assert 2 * 2**20 < len(data) < 5 * 2**20
    upload = Upload("boundaries.geojson", data, len(data))
    refused = read_uploads([upload], Limits.of(50 * 2**20, None, 2 * 2**20))
    assert refused.tables == []
    assert [(p.key, p.params["limit_mb"]) for p in refused.problems] == [("file_too_large", 2)]
    # The same file under the cap is read.
    read = read_uploads([upload], Limits.of(50 * 2**20, None, 8 * 2**20))
    assert read.problems == [] and len(read.tables) == 1


def test_a_boundary_in_a_cell_is_parsed_only_under_its_cap():
    from data_access.importing import SPECS
    from data_access.importing.validate import MAX_CELL_GEOMETRY_CHARS, CellError, to_geometry

    column = SPECS["communities"].by_name["boundary"]
    square = [[116.40, 39.90], [116.41, 39.90], [116.41, 39.91], [116.40, 39.91], [116.40, 39.90]]
    small = json.dumps({"type": "Polygon", "coordinates": [square]})
    assert json.loads(to_geometry(small, column))["coordinates"] == [square]
    huge = small[:-2] + " " * MAX_CELL_GEOMETRY_CHARS + "]}"
    with pytest.raises(CellError) as refused:
        to_geometry(huge, column)
    assert (refused.value.key, refused.value.params) == ("geometry_too_large", {"limit_mb": 2})
