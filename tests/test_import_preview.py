"""The preview of an import (docs/metrics.md §6): per file the rows that are new, changed,
unchanged or refused, and the first changed rows as before → after, exact on the small city;
the write does what the preview said and its record lists it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest

from dashboard import navigation
from dashboard.navigation import PAGES
from data_access.__main__ import main
from data_access.db import make_engine
from data_access.importing import SPECS, Upload, run_import
from data_access.importing.changes import CHANGED_LISTED, NEW_LISTED, Change, RowChange, row_line
from data_access.importing.confirm import checked_import, confirm_import, confirmation_refused
from data_access.importing.runner import ImportReport, PartSummary
from data_access.models import AuditEvent, BurdenRecord
from tests.test_import import MAX_BYTES, audit_rows, row_counts

APP = str(Path(__file__).resolve().parent.parent / "app.py")

POPULATION = (
    "社区代码,年份,常住人口,户数\n"
    "990101001001,2025,10000,3500\n"  # row 2: as stored
    "990101001002,2024,4100,1500\n"  # row 3: 4,000 residents before
    "990101002001,2025,30000,11200\n"  # row 4: 11,000 households before
    "990102001001,2026,0,0\n"  # row 5: new, nobody lives there yet
    "990199001001,2025,100,40\n"  # row 6: no such community
    "990101002002,2025,-5,2000\n"  # row 7: negative
)
STAFF = (
    "人员编号,社区代码,角色,社工证书,出生年份,入职日期,离职日期,网格代码\n"
    "T0000001,990101001001,secretary,junior,1995,2020-01-01,2025-05-31,\n"  # row 2: leaves
    "T0000002,990101001001,committee,none,1985,2020-01-01,,\n"  # row 3: as stored
    "990101001002001,990101001002,staff,初级,1998,2025-06-01,,\n"  # row 4: new
    "T0000003,990101001001,两委成员,中级,1975,2020-01-01,,\n"  # row 5: certificate none → 中级
)


def uploads(population: str = POPULATION) -> list[Upload]:
    return [
        Upload.of("population.csv", population.encode("utf-8-sig")),
        Upload.of("staff.csv", STAFF.encode("utf-8-sig")),
    ]


EXPECTED_POPULATION = PartSummary(
    "population.csv",
    "population",
    6,
    inserted=1,
    updated=2,
    unchanged=1,
    refused=2,
    changed_rows=(
        RowChange(
            3, "990101001002 / 2024", (Change("resident_population", "常住人口", 4000, 4100),)
        ),
        RowChange(4, "990101002001 / 2025", (Change("households", "户数", 11000, 11200),)),
    ),
    new_rows=(RowChange(5, "990102001001 / 2026"),),
    compared=True,
)
EXPECTED_STAFF = PartSummary(
    "staff.csv",
    "staff",
    4,
    inserted=1,
    updated=2,
    unchanged=1,
    refused=0,
    changed_rows=(
        RowChange(2, "T0000001", (Change("end_date", "离职日期", None, dt.date(2025, 5, 31)),)),
        RowChange(5, "T0000003", (Change("certificate", "社工证书", "none", "intermediate"),)),
    ),
    new_rows=(RowChange(4, "990101001002001"),),
    compared=True,
)


def test_the_preview_counts_and_lists_what_the_import_would_change(city: Engine):
    before = row_counts(city)
    report = run_import(city, uploads(), max_bytes=MAX_BYTES, dry_run=True)
    assert report.status == "checked"
    assert [(p.key, p.row) for p in report.problems] == [
        ("missing_community", 6),
        ("negative", 7),
    ]
    assert report.parts == [EXPECTED_POPULATION, EXPECTED_STAFF]
    assert not report.may_confirm  # two rows have a problem: nothing may be written
    assert row_counts(city) == before  # nothing written, not even an audit row


def test_the_write_does_what_the_preview_said_and_its_record_lists_it(city: Engine):
    sound = "\n".join(POPULATION.splitlines()[:5]) + "\n"  # rows 6 and 7 left out
    preview = run_import(city, uploads(sound), max_bytes=MAX_BYTES, dry_run=True)
    assert preview.may_confirm and not preview.problems
    population = PartSummary(**{**EXPECTED_POPULATION.__dict__, "rows": 4, "refused": 0})
    assert preview.parts == [population, EXPECTED_STAFF]

    written = run_import(city, uploads(sound), max_bytes=MAX_BYTES)
    assert written.status == "accepted"
    assert written.parts == preview.parts
    population_record, staff_record = (row["message"] for row in audit_rows(city)[-2:])
    assert population_record == (
        "已导入：新增 1 行，更新 2 行，未变 1 行。\n"
        "更新的行（列出前 2 行）：\n"
        "第 3 行 990101001002 / 2024：常住人口 4000 → 4100\n"
        "第 4 行 990101002001 / 2025：户数 11000 → 11200\n"
        "新增的行（列出前 1 行）：990102001001 / 2026"
    )
    assert staff_record == (
        "已导入：新增 1 行，更新 2 行，未变 1 行。\n"
        "更新的行（列出前 2 行）：\n"
        "第 2 行 T0000001：离职日期 — → 2025-05-31\n"
        "第 5 行 T0000003：社工证书 无 → 中级\n"
        "新增的行（列出前 1 行）：990101001002001"
    )

    again = run_import(city, uploads(sound), max_bytes=MAX_BYTES, dry_run=True)
    assert [(p.inserted, p.updated, p.unchanged, p.refused) for p in again.parts] == [
        (0, 0, 4, 0),
        (0, 0, 4, 0),
    ]
    assert not again.may_confirm  # nothing left to write


def _burden(counts: dict[tuple[str, int], int]) -> str:
    lines = ["community_code,category,period,count"]
    lines += [f"990101002001,{c},2024-{m:02d},{n}" for (c, m), n in counts.items()]
    return "\n".join(lines) + "\n"


CATEGORIES = tuple(SPECS["burden"].by_name["category"].labels or {})


def test_the_preview_lists_the_first_rows_only_and_counts_them_all(city: Engine):
    keys = [(category, month) for month in (1, 2, 3) for category in CATEGORIES]  # 30 rows
    first = {key: 5 for key in keys}
    written = run_import(
        city, [Upload.of("burden.csv", _burden(first).encode())], max_bytes=MAX_BYTES
    )
    assert written.status == "accepted"
    (part,) = written.parts
    assert (part.inserted, len(part.new_rows)) == (30, NEW_LISTED)
    assert [row.row for row in part.new_rows] == list(range(2, 2 + NEW_LISTED))

    second = {key: (7 if index < 25 else 5) for index, key in enumerate(keys)}
    second[("forms", 4)] = 1  # row 32, new
    report = run_import(
        city, [Upload.of("burden.csv", _burden(second).encode())], max_bytes=MAX_BYTES, dry_run=True
    )
    (part,) = report.parts
    assert (part.rows, part.inserted, part.updated, part.unchanged) == (31, 1, 25, 5)
    assert len(part.changed_rows) == CHANGED_LISTED == 20
    assert [row.row for row in part.changed_rows] == list(range(2, 22))
    assert part.changed_rows[0] == RowChange(
        2, "990101002001 / work_items / 2024-01", (Change("count", "count", 5, 7),)
    )
    assert row_line(SPECS["burden"], part.changed_rows[1], "en") == (
        "row 3 990101002001 / certificates / 2024-01: count 5 → 7"
    )
    assert part.new_rows == (RowChange(32, "990101002001 / forms / 2024-04"),)
    with city.connect() as connection:
        stored = connection.execute(
            select(func.sum(BurdenRecord.count)).where(
                BurdenRecord.community_code == "990101002001"
            )
        ).scalar_one()
    assert stored == 150  # 30 rows of 5: the check wrote nothing


def test_a_boundary_is_previewed_as_a_change_without_its_geojson(city: Engine):
    square = '{"type":"Polygon","coordinates":[[[116.3,39.9],[116.31,39.9],[116.31,39.91],[116.3,39.9]]]}'
    geojson = (
        '{"type":"FeatureCollection","features":[{"type":"Feature",'
        f'"properties":{{"code":"990101001001"}},"geometry":{square}}}]}}'
    )
    upload = Upload.of("boundaries.geojson", geojson.encode())
    report = run_import(city, [upload], max_bytes=MAX_BYTES, dry_run=True)
    (part,) = report.parts
    assert (part.inserted, part.updated, part.unchanged) == (0, 1, 0)
    assert part.changed_rows == (
        RowChange(1, "990101001001", (Change("boundary", "geometry", None, "{…}"),)),
    )
    run_import(city, [upload], max_bytes=MAX_BYTES)
    again = run_import(city, [upload], max_bytes=MAX_BYTES, dry_run=True)
    assert [(p.updated, p.unchanged) for p in again.parts] == [(0, 1)]


def test_a_file_whose_header_fails_is_listed_without_counts(city: Engine):
    bad = Upload.of(
        "population.csv", "社区代码,年份,常住人口,备注\n990101001001,2025,1,x\n".encode()
    )
    report = run_import(city, [bad, uploads()[1]], max_bytes=MAX_BYTES, dry_run=True)
    assert [p.key for p in report.problems] == ["unknown_column", "missing_column"]
    population, staff = report.parts
    assert (population.file, population.compared) == ("population.csv", False)
    assert staff == EXPECTED_STAFF  # the sound file is still previewed


@pytest.mark.servers()  # reading and checking: the same on every backend
def test_cli_check_prints_the_preview(city_url, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DATABASE_URL", city_url)
    for upload in uploads():
        (tmp_path / upload.name).write_bytes(upload.data or b"")
    assert main(["import", "--check", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f"{tmp_path.name}/population.csv [population] 6: 新增 1 行，更新 2 行，未变 1 行，有问题 2 行",
        "  第 3 行 990101001002 / 2024：常住人口 4000 → 4100",
        "  第 4 行 990101002001 / 2025：户数 11000 → 11200",
        "  第 5 行 990102001001 / 2026（新增）",
        f"{tmp_path.name}/staff.csv [staff] 4: 新增 1 行，更新 2 行，未变 1 行，有问题 0 行",
        "  第 2 行 T0000001：离职日期 — → 2025-05-31",
        "  第 5 行 T0000003：社工证书 无 → 中级",
        "  第 4 行 990101001002001（新增）",
    ]
    assert "第 6 行，列“社区代码”，值“990199001001”" in captured.err

    sound = "\n".join(POPULATION.splitlines()[:5]) + "\n"
    (tmp_path / "population.csv").write_bytes(sound.encode("utf-8-sig"))
    assert main(["import", "--check", "--lang", "en", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{tmp_path.name}/population.csv [population] 4: "
        "1 new, 2 changed, 1 unchanged, 0 with a problem",
        "  row 3 990101001002 / 2024: 常住人口 4000 → 4100",
        "  row 4 990101002001 / 2025: 户数 11000 → 11200",
        "  row 5 990102001001 / 2026 (new)",
        f"{tmp_path.name}/staff.csv [staff] 4: 1 new, 2 changed, 1 unchanged, 0 with a problem",
        "  row 2 T0000001: 离职日期 — → 2025-05-31",
        "  row 5 T0000003: 社工证书 none → intermediate",
        "  row 4 990101001002001 (new)",
        "Check passed: 2 files, 8 rows (nothing written).",
    ]
    engine = make_engine(city_url)
    assert row_counts(engine)["import_batch"] == 0  # a check is not an import: no record
    engine.dispose()


def test_a_report_with_changes_to_write_may_be_confirmed_and_others_not():
    changed = PartSummary("a.csv", "population", 1, updated=1, compared=True)
    same = PartSummary("a.csv", "population", 1, unchanged=1, compared=True)
    assert ImportReport("checked", parts=[changed]).may_confirm
    assert not ImportReport("checked", parts=[same]).may_confirm
    assert not ImportReport("accepted", parts=[changed]).may_confirm
    assert not ImportReport("refused", parts=[changed]).may_confirm


# ---------------------------------------------------------------------------------------------
# The Data page: check, preview, then confirm


def data_page(url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The Data page as the first page (AppTest keeps what app.py draws only on its first run)."""
    monkeypatch.setenv("DATABASE_URL", url)
    chosen = next(spec for spec in PAGES if spec.path == "pages/data.py")
    monkeypatch.setattr(navigation, "PAGES", (chosen, *(s for s in PAGES if s is not chosen)))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = "zh"
    at.run()
    return at


def upload(at: AppTest, files: list[Upload]) -> None:
    at.file_uploader[0].set_value([(f.name, f.data, "text/csv") for f in files])
    at.run()


def shown_frames(at: AppTest) -> dict[str, list[list[object]]]:
    """The tables of the page by their last column header: their rows as shown."""
    return {str(d.value.columns[-1]): d.value.values.tolist() for d in at.dataframe}


def has_confirm_button(at: AppTest) -> bool:
    return any(button.key == "data_confirm" for button in at.button)


SOUND = "\n".join(POPULATION.splitlines()[:5]) + "\n"  # rows 6 and 7 left out


@pytest.mark.servers()  # the page's code is the same on every backend
def test_the_data_page_writes_only_the_preview_the_clerk_confirmed(city, city_url, monkeypatch):
    at = data_page(city_url, monkeypatch)
    upload(at, uploads(SOUND))
    before = row_counts(city)
    at.button(key="data_check").click().run()
    assert not at.exception
    assert at.info[0].value.startswith("检查通过，尚未写入任何数据：2 个文件（工作表），共 8 行。")
    frames = shown_frames(at)
    assert frames["有问题"] == [
        ["population.csv", "常住人口", 4, 1, 2, 1, 0],
        ["staff.csv", "社区工作者", 4, 1, 2, 1, 0],
    ]
    assert frames["变化（原值 → 新值）"] == [
        ["population.csv", "常住人口", 3, "990101001002 / 2024", "更新", "常住人口 4000 → 4100"],
        ["population.csv", "常住人口", 4, "990101002001 / 2025", "更新", "户数 11000 → 11200"],
        ["population.csv", "常住人口", 5, "990102001001 / 2026", "新增", ""],
        ["staff.csv", "社区工作者", 2, "T0000001", "更新", "离职日期 — → 2025-05-31"],
        ["staff.csv", "社区工作者", 5, "T0000003", "更新", "社工证书 无 → 中级"],
        ["staff.csv", "社区工作者", 4, "990101001002001", "新增", ""],
    ]
    assert has_confirm_button(at)
    at.run()  # the page drawn again, the preview read: still nothing written
    assert row_counts(city) == before

    at.button(key="data_confirm").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("导入成功：2 个文件（工作表），共 8 行")
    after = row_counts(city)
    assert after["community_population"] == before["community_population"] + 1
    assert after["staff_member"] == before["staff_member"] + 1
    assert after["import_batch"] == before["import_batch"] + 2
    assert audit_rows(city)[-2]["message"].endswith(
        "第 3 行 990101001002 / 2024：常住人口 4000 → 4100\n"
        "第 4 行 990101002001 / 2025：户数 11000 → 11200\n新增的行（列出前 1 行）：990102001001 / 2026"
    )
    assert not has_confirm_button(at)
    assert not at.file_uploader[0].value  # emptied for the next import


@pytest.mark.servers()  # the page's code is the same on every backend
def test_the_data_page_refuses_a_confirmation_of_other_files(city, city_url, monkeypatch):
    at = data_page(city_url, monkeypatch)
    upload(at, uploads(SOUND))
    at.button(key="data_check").click().run()
    assert has_confirm_button(at)
    other = SOUND.replace("990101001002,2024,4100,1500", "990101001002,2024,4200,1500")
    upload(at, uploads(other))  # changed after the check, not checked again
    assert at.warning[-1].value.startswith("上传框中的文件与检查时的不同")
    before = row_counts(city)
    at.button(key="data_confirm").click().run()
    assert not at.exception
    assert (
        at.error[0].value == "导入被拒绝，未写入任何数据。请按下表修改后重新上传（共 1 个问题）。"
    )
    ((file, _, column, value, problem),) = shown_frames(at)["问题"]
    assert (file, column, value, problem) == (
        "—",
        "",
        "",
        "上传框中的文件与检查时的不同，未写入任何数据。请重新检查，核对将发生的变化后再确认。",
    )
    after = row_counts(city)
    assert after.pop("audit_event") == before.pop("audit_event") + 1  # the refusal, on record
    assert after == before  # nothing else written, not even an import's record
    with city.connect() as connection:
        event = connection.execute(
            select(AuditEvent.kind, AuditEvent.detail).order_by(AuditEvent.id.desc()).limit(1)
        ).one()
    assert tuple(event) == ("import", "refused: population.csv, staff.csv")
    assert not has_confirm_button(at)  # the preview is gone: check again


@pytest.mark.servers()  # the page's code is the same on every backend
def test_the_data_page_offers_no_confirmation_for_problems_or_nothing_new(
    city, city_url, monkeypatch
):
    at = data_page(city_url, monkeypatch)
    upload(at, uploads())  # rows 6 and 7 have problems
    at.button(key="data_check").click().run()
    assert at.error[0].value == "检查发现 2 个问题，导入前请按下表修改。"
    assert shown_frames(at)["有问题"][0] == ["population.csv", "常住人口", 6, 1, 2, 1, 2]
    assert not has_confirm_button(at)

    run_import(city, uploads(SOUND), max_bytes=MAX_BYTES)
    upload(at, uploads(SOUND))
    at.button(key="data_check").click().run()
    assert at.success[0].value == (
        "检查通过：2 个文件（工作表），共 8 行，与数据库中已有的完全相同，无需导入。"
    )
    assert not has_confirm_button(at)


def test_a_confirmation_by_an_account_whose_area_changed_writes_nothing(city):
    files = uploads("\n".join(POPULATION.splitlines()[:4]) + "\n")  # rows inside 990101
    report = run_import(city, files, max_bytes=MAX_BYTES, dry_run=True, scope_code="990101")
    checked = checked_import(files, "east", "990101", report)
    assert checked is not None
    before = row_counts(city)
    refused = confirm_import(
        city, checked, files, account="east", scope_code="990101001",
        audited_as="east", max_bytes=MAX_BYTES,
    )  # fmt: skip
    assert [(p.key, p.file) for p in refused.problems] == [("stale_scope", "—")]
    assert row_counts(city) == before
    assert confirmation_refused(checked, list(reversed(files)), "east", "990101") is None
    assert confirmation_refused(checked, files[:1], "east", "990101") == "stale_files"
    assert confirmation_refused(checked, files, "west", "990101") == "stale_scope"
