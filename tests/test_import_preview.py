"""The preview of an import (docs/metrics.md §6): per file the rows that are new, changed,
unchanged or refused, and the first changed rows as before → after, exact on the small city;
the write does what the preview said and its record lists it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select

from data_access.__main__ import main
from data_access.db import make_engine
from data_access.importing import SPECS, Upload, run_import
from data_access.importing.changes import CHANGED_LISTED, NEW_LISTED, Change, RowChange, row_line
from data_access.importing.runner import ImportReport, PartSummary
from data_access.models import BurdenRecord
from tests.test_import import MAX_BYTES, audit_rows, row_counts

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
